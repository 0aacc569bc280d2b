package runner_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/safeship/lambda-bluegreen/constructs/hooks/hookconfig"
)

// The runner reads the AppSpec with internal/appspec, the one parser the repository has: it imports that package
// and no YAML package of its own, and defines no AppSpec parser.
func TestRunnerUsesTheSharedAppSpecParser(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	imports := map[string]bool{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			imports[path] = true
		}
		for _, obj := range f.Scope.Objects {
			if low := strings.ToLower(obj.Name); strings.Contains(low, "appspec") {
				t.Errorf("%s declares %s: parse the AppSpec with internal/appspec", name, obj.Name)
			}
		}
	}
	if !imports["github.com/safeship/lambda-bluegreen/internal/appspec"] {
		t.Errorf("the runner does not import internal/appspec; imports: %v", imports)
	}
	if imports["sigs.k8s.io/yaml"] {
		t.Errorf("the runner imports sigs.k8s.io/yaml itself: the AppSpec is internal/appspec's to parse")
	}
}

// The CodeDeploy user guide writes the Lambda AppSpec with lowercase keys; the hook reads those too.
func TestDocumentedLowercaseAppSpec(t *testing.T) {
	f := newFake(t)
	f.appSpec = "version: 0.0\nresources:\n  - api:\n      type: \"AWS::Lambda::Function\"\n      properties:\n" +
		"        name: doc-fn\n        alias: live\n        currentversion: \"3\"\n        targetversion: \"4\"\n"
	got, log := run(t, f, pre(hookconfig.TestCase{Name: "x"}), 5*time.Second)
	wantStatus(t, got, "Succeeded", log)
	if len(f.invocations) != 1 || f.invocations[0] != "4" || !strings.Contains(log, "doc-fn version 4 (blue: 3, alias live)") {
		t.Errorf("invoked %v; log:\n%s", f.invocations, log)
	}
}
