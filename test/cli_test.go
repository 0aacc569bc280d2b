package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestCLISynth runs the README's first command, ./cdkw synth, with the pinned CDK CLI (installed by cdkw on first
// use), writing the cloud assembly to a temporary folder.
func TestCLISynth(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the CDK CLI; skipped with -short")
	}
	out := t.TempDir()
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(root, "cdkw"), "synth", "--quiet", "--output", out)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CI=true")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("./cdkw synth failed: %v\n%s", err, b)
	}
	for _, f := range []string{"BlueGreenServiceDev.template.json", "BlueGreenServiceProd.template.json", "manifest.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("cdk synth wrote no %s: %v", f, err)
		}
	}
	if errs := validationFindings(t, out, "error", "fatal"); len(errs) > 0 {
		t.Errorf("validation report has error-level findings: %v", errs)
	}
}
