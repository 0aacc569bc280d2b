// Package cli runs the README's first command, ./cdkw synth, as a newcomer would. It is a package of its own,
// apart from the template tests in test/: it calls into the CDK only through the CDK CLI and the example app's own
// processes, so go test runs it beside them on another core instead of after them.
package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/safeship/lambda-bluegreen/internal/report"
)

// repoRoot is the repository root, seen from this package's folder (go test runs in it).
const repoRoot = "../.."

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
	errs, err := report.Findings(out, "error", "fatal")
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) > 0 {
		t.Errorf("validation report has error-level findings: %v", errs)
	}
}
