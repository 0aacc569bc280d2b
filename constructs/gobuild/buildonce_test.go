package gobuild

import (
	"os"
	"path/filepath"
	"testing"
)

// BuildOnce builds a handler once per entry and options: the second call returns the first call's folder without
// building again, and other options build again.
func TestBuildOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build; skipped with -short")
	}
	entry := filepath.Join("..", "..", "examples", "handlers", "hello")
	cache := t.TempDir()
	first, err := BuildOnce(entry, &Options{CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	// A build would write the binary again: make the folder's binary tell whether it did.
	marker := filepath.Join(first, "bootstrap")
	if err := os.WriteFile(marker, []byte("not rebuilt"), 0o755); err != nil {
		t.Fatal(err)
	}
	again, err := BuildOnce(entry, &Options{CacheDir: cache})
	if err != nil || again != first {
		t.Fatalf("second call: got %q, %v; want %q", again, err, first)
	}
	if b, _ := os.ReadFile(marker); string(b) != "not rebuilt" {
		t.Error("the second call built again")
	}
	other, err := BuildOnce(entry, &Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if other == first {
		t.Error("other options returned the first build")
	}
	if _, err := BuildOnce(filepath.Join("no", "such", "folder"), nil); err == nil {
		t.Error("a missing entry built")
	}
}
