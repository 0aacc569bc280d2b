package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/gobuild"
	"github.com/safeship/lambda-bluegreen/test/testkit"
)

// A relative entry is resolved against the process's working directory (not the Go file that names it); the errors
// say so and name the folder it resolved to.
func TestGobuildRelativeEntryErrors(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	opts := &gobuild.Options{CacheDir: t.TempDir()}
	_, err = gobuild.Build(filepath.Join("handlers", "nope"), opts)
	want := `entry must be a folder holding a Go main package, or its import path, got "handlers/nope", resolved ` +
		"against the working directory " + wd + " to " + filepath.Join(wd, "handlers", "nope") + ", which is not a folder"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want an error containing %q", err, want)
	}
	broken, err := filepath.Rel(wd, handlerModule(t, "package main\n\nfunc main() { undefined() }\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = gobuild.Build(broken, opts)
	want = `(entry "` + broken + `", resolved against the working directory ` + wd + `) failed`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want an error containing %q", err, want)
	}
}

// NewFunction defines the function from a Go main package, and its errors name the construct path and leave
// nothing in the tree.
func TestGobuildNewFunction(t *testing.T) {
	stack := testkit.NewStack(t)
	base := &awslambda.FunctionProps{MemorySize: jsii.Number(512)}
	gobuild.NewFunction(stack, "Api", &gobuild.Props{Entry: filepath.Join(testkit.RepoRoot, "examples", "handlers", "hello"),
		Function: base})
	if base.Code != nil || base.Runtime != nil {
		t.Errorf("NewFunction modified the caller's props")
	}
	testkit.HasResource(t, testkit.Template(t, stack), "AWS::Lambda::Function", testkit.Obj{
		"Runtime": "provided.al2023", "Architectures": testkit.Arr{"arm64"}, "Handler": "bootstrap", "MemorySize": 512,
		"Code": testkit.Like(testkit.Obj{}), "Role": testkit.Like(testkit.Obj{}),
	})

	cases := []struct {
		name, id string
		props    *gobuild.Props
		want     []string
	}{
		{"nil props", "Nil", nil, []string{"TestStack/Nil: invalid gobuild.Props: Entry must be a folder holding a Go main package, or its import path, got \"\""}},
		{"missing entry", "Missing", &gobuild.Props{Entry: "handlers/nope"},
			[]string{"TestStack/Missing: gobuild: entry must be a folder", "resolved against the working directory"}},
		{"not a main package", "Lib", &gobuild.Props{Entry: handlerModule(t, "package lib\n\nfunc F() int { return 1 }\n")},
			[]string{"TestStack/Lib: gobuild: ", "the package is not a main package"}},
		{"props CDK refuses", "Refused", &gobuild.Props{Entry: filepath.Join(testkit.RepoRoot, "examples", "handlers", "hello"),
			Function: &awslambda.FunctionProps{FunctionName: jsii.String("has a space")}}, []string{"TestStack/Refused: "}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msg := testkit.MustPanic(t, func() { gobuild.NewFunction(stack, tc.id, tc.props) })
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			if !strings.HasPrefix(msg, "TestStack/"+tc.id+": ") {
				t.Errorf("error %q does not start with the construct path", msg)
			}
			if stack.Node().TryFindChild(jsii.String(tc.id)) != nil {
				t.Errorf("a refused function was left in the tree")
			}
		})
	}
	t.Run("id taken", func(t *testing.T) {
		testkit.MustPanic(t, func() {
			gobuild.NewFunction(stack, "Api", &gobuild.Props{Entry: filepath.Join(testkit.RepoRoot, "examples", "handlers", "hello")})
		})
		if stack.Node().TryFindChild(jsii.String("Api")) == nil {
			t.Errorf("the function that had the id was taken out of the tree")
		}
	})
}
