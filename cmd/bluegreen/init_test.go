package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safeship/lambda-bluegreen/internal/report"
)

// checkout is this repository's root: the library a test app replaces its requirement with.
func checkout(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// TestInitCreatesAnAppThatSynthesizes runs bluegreen init as a newcomer would, with go.mod replacing the library
// with this checkout (offline), then the new app's own ./cdkw synth (the pinned CLI, from the cache cdkw installs
// it into), and checks the cloud assembly: the alias, its CodeDeploy deployment group, a validation report without
// errors; and that the app's Go code is gofmt- and go vet-clean.
func TestInitCreatesAnAppThatSynthesizes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a CDK app and runs the CDK CLI; skipped with -short")
	}
	dir := filepath.Join(t.TempDir(), "orders-api")
	var stdout, stderr bytes.Buffer
	start := time.Now()
	if code := runInit([]string{"-library-dir", checkout(t), dir}, &stdout, &stderr); code != exitOK {
		t.Fatalf("bluegreen init: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	t.Logf("bluegreen init took %v:\n%s%s", time.Since(start).Round(time.Millisecond), stdout.String(), stderr.String())
	for _, want := range []string{"Created a CDK app in " + dir + " (module orders-api, stack OrdersApiStack):",
		"\n  cdkw ", "\n  .cdk/package-lock.json ", "\n  go.sum ", "\nNext:\n  cd " + dir + "\n  ./cdkw synth "} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the output lacks %q", want)
		}
	}

	run := func(name string, args ...string) string {
		t.Helper()
		start := time.Now()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CI=true")
		out, err := cmd.CombinedOutput()
		t.Logf("%s %s: %v", name, strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
		if err != nil {
			t.Fatalf("%s %s in the new app: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	assembly := t.TempDir()
	run("./cdkw", "synth", "--quiet", "--output", assembly)
	if out := run("gofmt", "-l", "."); out != "" {
		t.Errorf("gofmt -l lists files of the new app:\n%s", out)
	}
	run("go", "vet", "./...")

	b, err := os.ReadFile(filepath.Join(assembly, "OrdersApiStack.template.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tmpl struct {
		Resources map[string]struct {
			Type         string                 `json:"Type"`
			Properties   map[string]interface{} `json:"Properties"`
			UpdatePolicy map[string]interface{} `json:"UpdatePolicy"`
		} `json:"Resources"`
	}
	if err := json.Unmarshal(b, &tmpl); err != nil {
		t.Fatal(err)
	}
	var alias, group bool
	for _, r := range tmpl.Resources {
		switch r.Type {
		case "AWS::Lambda::Alias":
			alias = r.Properties["Name"] == "live" && r.UpdatePolicy["CodeDeployLambdaAliasUpdate"] != nil
		case "AWS::CodeDeploy::DeploymentGroup":
			style, _ := r.Properties["DeploymentStyle"].(map[string]interface{})
			group = style["DeploymentType"] == "BLUE_GREEN"
		}
	}
	if !alias || !group {
		t.Errorf("the template lacks the live alias updated by CodeDeploy (%v) or its blue/green deployment group (%v)", alias, group)
	}
	if bytes.Contains(b, []byte("\n ")) {
		t.Error("the template is indented: cdk.json's @aws-cdk/core:suppressTemplateIndentation did not apply")
	}
	findings, err := report.Findings(assembly, "error", "fatal")
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) > 0 {
		t.Errorf("the validation report has error-level findings:\n%s", strings.Join(findings, "\n"))
	}
}

// bluegreen init refuses what it cannot make an app of, as bad usage, and writes nothing.
func TestInitRefuses(t *testing.T) {
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "main.go"), []byte("package main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"a folder that is not empty", []string{"-library-version", "v1.2.3", full}, full + " is not empty (it holds main.go)"},
		{"a bad module path", []string{"-library-version", "v1.2.3", "-module", "example.com/my app", filepath.Join(t.TempDir(), "a")},
			`module path must be slash-separated elements of letters, digits and '-._~', none empty or beginning or ending with '.', such as example.com/my-app, got "example.com/my app"`},
		{"a folder name that is no module path", []string{"-library-version", "v1.2.3", filepath.Join(t.TempDir(), "my app")},
			`the folder's name "my app" is not a module path, so give one with -module`},
		{"no folder", []string{"-library-version", "v1.2.3"}, "the app's folder DIR is missing"},
		{"two folders", []string{t.TempDir(), "other"}, `unexpected argument "other"`},
		{"both library flags", []string{"-library-version", "v1.2.3", "-library-dir", checkout(t), t.TempDir()},
			"-library-version and -library-dir exclude each other"},
		{"a library folder that is no checkout", []string{"-library-dir", full, filepath.Join(t.TempDir(), "a")},
			"library folder must be a checkout of github.com/safeship/lambda-bluegreen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := runInit(tc.args, &stdout, &stderr); code != exitUsage {
				t.Errorf("exit %d, want %d (bad usage)", code, exitUsage)
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, stderr.String())
			}
			if stdout.Len() > 0 {
				t.Errorf("printed on stdout:\n%s", stdout.String())
			}
		})
	}
	if entries, _ := os.ReadDir(full); len(entries) != 1 {
		t.Errorf("the folder that was not empty holds %d entries now", len(entries))
	}
}

// Flags may follow DIR; -no-tidy leaves go mod tidy to the next steps; a bluegreen built from a checkout (as this
// test binary is) replaces the library with the checkout that holds the working directory.
func TestInitFlagsAfterTheFolderAndTheCheckoutFound(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "app")
	var stdout, stderr bytes.Buffer
	if code := runInit([]string{dir, "-module", "example.com/shop/app", "-stack", "Shop", "-no-tidy"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"module example.com/shop/app\n", "replace github.com/safeship/lambda-bluegreen => " + checkout(t) + "\n"} {
		if !strings.Contains(string(gomod), want) {
			t.Errorf("go.mod lacks %q:\n%s", want, gomod)
		}
	}
	if !strings.Contains(stderr.String(), "this bluegreen is built from the checkout "+checkout(t)+", not a release") {
		t.Errorf("stderr does not say the library comes from the checkout:\n%s", stderr.String())
	}
	if want := "\nNext:\n  cd " + dir + "\n  go mod tidy "; !strings.Contains(stdout.String(), want) {
		t.Errorf("the next steps lack go mod tidy:\n%s", stdout.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "go.sum")); err == nil {
		t.Error("go mod tidy ran with -no-tidy")
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{"my-app": "my-app", "../apps/x_1": "../apps/x_1", "my app": "'my app'",
		"it's": `'it'\''s'`, "": "''"} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %q, want %q", in, got, want)
		}
	}
}
