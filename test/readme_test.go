package test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/dnsswitch"
	"github.com/safeship/lambda-bluegreen/constructs/githubactions"
	"github.com/safeship/lambda-bluegreen/constructs/gobuild"
	"github.com/safeship/lambda-bluegreen/constructs/notify"
	"github.com/safeship/lambda-bluegreen/constructs/pipeline"
)

// TestReadmeExampleCompiles type-checks the README's Go examples (every ```go block that starts with an import),
// so that the docs keep matching the code. Each block becomes a file of a package that exists only in a go
// build overlay: nothing is written into the repository.
func TestReadmeExampleCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build; skipped with -short")
	}
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```go\n(import .*?)```").FindAllSubmatch(readme, -1)
	if len(blocks) == 0 {
		t.Fatal("the README has no Go example starting with an import")
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	replace := map[string]string{}
	for i, b := range blocks {
		src := filepath.Join(tmp, fmt.Sprintf("example%d.go", i))
		if err := os.WriteFile(src, append([]byte("package readme\n\n"), b[1]...), 0o644); err != nil {
			t.Fatal(err)
		}
		replace[filepath.Join(root, "readmecheck", filepath.Base(src))] = src
	}
	overlay, _ := json.Marshal(map[string]interface{}{"Replace": replace})
	overlayFile := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(overlayFile, overlay, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "build", "-overlay", overlayFile, "-o", os.DevNull, "./readmecheck")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("a README example does not compile: %v\n%s", err, out)
	}
}

// TestReadmePropsTables checks that the README's props tables list every field of the props structs, so a new
// prop cannot go undocumented.
func TestReadmePropsTables(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []reflect.Type{
		reflect.TypeOf(bluegreen.DeploymentProps{}), reflect.TypeOf(gobuild.Options{}), reflect.TypeOf(pipeline.Props{}),
		reflect.TypeOf(dnsswitch.EnvironmentProps{}), reflect.TypeOf(dnsswitch.SwitchProps{}),
		reflect.TypeOf(notify.Props{}), reflect.TypeOf(githubactions.DeployRoleProps{}), reflect.TypeOf(gobuild.Props{}),
	} {
		for i := 0; i < typ.NumField(); i++ {
			if row := "| `" + typ.Field(i).Name + "` |"; !strings.Contains(string(readme), row) {
				t.Errorf("the README has no table row for %s.%s", typ.Name(), typ.Field(i).Name)
			}
		}
	}
}
