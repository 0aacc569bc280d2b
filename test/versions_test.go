package test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/gobuild"
	"github.com/safeship/lambda-bluegreen/examples/service"
	"github.com/safeship/lambda-bluegreen/test/testkit"
)

const handlerSource = `package main

// greeting is what the function prints.
var greeting = "hello"

func main() { println(greeting) }
`

// handlerModule writes a one-file Go module whose main.go is src and returns its folder.
func handlerModule(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/handler\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func build(t *testing.T, entry string, opts *gobuild.Options) string {
	t.Helper()
	dir, err := gobuild.Build(entry, opts)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// versionID synthesizes a function running the code in codeDir with the given environment and returns the logical
// id of its published version: CDK derives it from a hash of the code and the version-relevant configuration.
func versionID(t *testing.T, codeDir string, env map[string]string) string {
	t.Helper()
	stack := testkit.NewStack(t)
	vars := map[string]*string{}
	for k, v := range env {
		vars[k] = jsii.String(v)
	}
	bluegreen.NewDeployment(stack, "Api", &bluegreen.DeploymentProps{FunctionProps: &awslambda.FunctionProps{
		Code:         awslambda.Code_FromAsset(jsii.String(codeDir), nil),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Environment:  &vars,
	}})
	id, _ := testkit.OnlyResource(t, testkit.Template(t, stack), "AWS::Lambda::Version")
	return id
}

func TestVersionRules(t *testing.T) {
	opts := &gobuild.Options{CacheDir: t.TempDir()}
	entry := handlerModule(t, handlerSource)
	first := build(t, entry, opts)
	if _, err := os.Stat(filepath.Join(first, "bootstrap")); err != nil {
		t.Fatalf("no bootstrap in the asset folder: %v", err)
	}
	base := versionID(t, first, map[string]string{"STAGE": "dev"})

	t.Run("unchanged code gives the same binary and no new version", func(t *testing.T) {
		again := build(t, entry, opts)
		if again != first {
			t.Errorf("rebuilding unchanged code gave a new asset folder %s, want %s", again, first)
		}
		if id := versionID(t, again, map[string]string{"STAGE": "dev"}); id != base {
			t.Errorf("version %s, want the unchanged %s", id, base)
		}
	})
	t.Run("editing a comment's text gives no new version", func(t *testing.T) {
		src := strings.Replace(handlerSource, "what the function prints", "the text the handler writes out", 1)
		dir := build(t, handlerModule(t, src), opts)
		if dir != first {
			t.Errorf("a comment edit changed the binary")
		}
		if id := versionID(t, dir, map[string]string{"STAGE": "dev"}); id != base {
			t.Errorf("version %s, want the unchanged %s", id, base)
		}
	})
	t.Run("the caller's Go environment does not change the binary", func(t *testing.T) {
		t.Setenv("GOFLAGS", "-ldflags=-X=main.greeting=injected")
		t.Setenv("GOARM64", "v9.0")
		if dir := build(t, entry, opts); dir != first {
			t.Errorf("GOFLAGS/GOARM64 from the environment changed the binary")
		}
	})
	t.Run("a changed string gives a new version", func(t *testing.T) {
		dir := build(t, handlerModule(t, strings.Replace(handlerSource, `"hello"`, `"hello, world"`, 1)), opts)
		if dir == first {
			t.Errorf("a changed string gave the same binary")
		}
		if id := versionID(t, dir, map[string]string{"STAGE": "dev"}); id == base {
			t.Errorf("a code change published no new version (%s)", id)
		}
	})
	t.Run("a changed environment variable gives a new version", func(t *testing.T) {
		if id := versionID(t, first, map[string]string{"STAGE": "prod"}); id == base {
			t.Errorf("an environment change published no new version (%s)", id)
		}
	})
}

func TestBuildErrors(t *testing.T) {
	cache := &gobuild.Options{CacheDir: t.TempDir()}
	cases := []struct {
		name, entry string
		opts        *gobuild.Options
		want        string
	}{
		{"missing folder", filepath.Join(t.TempDir(), "nope"), cache, "entry must be a folder holding a Go main package"},
		{"code that does not compile", handlerModule(t, "package main\n\nfunc main() { undefined() }\n"), cache, "go build in"},
		{"not a main package", handlerModule(t, "package lib\n\nfunc F() int { return 1 }\n"), cache, "the package is not a main package"},
		{"unknown arch", handlerModule(t, handlerSource), &gobuild.Options{Arch: "s390x", CacheDir: cache.CacheDir}, `arch must be "arm64" or "amd64", got "s390x"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := gobuild.Build(tc.entry, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestBinaryIsLinuxArm64(t *testing.T) {
	dir := build(t, handlerModule(t, handlerSource), &gobuild.Options{CacheDir: t.TempDir()})
	b, err := os.ReadFile(filepath.Join(dir, "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	// ELF header: magic, 64-bit, little-endian; e_machine 0xB7 is AArch64.
	if !bytes.HasPrefix(b, []byte("\x7fELF\x02\x01")) || b[18] != 0xB7 || b[19] != 0 {
		t.Errorf("bootstrap is not a linux/arm64 ELF binary (header % x)", b[:20])
	}
}

func TestFunctionPropsSetsRuntime(t *testing.T) {
	stack := testkit.NewStack(t)
	p := gobuild.FunctionProps(filepath.Join(testkit.RepoRoot, "examples", "handlers", "hello"), nil,
		&awslambda.FunctionProps{MemorySize: jsii.Number(512)})
	awslambda.NewFunction(stack, jsii.String("Fn"), p)
	testkit.HasResource(t, testkit.Template(t, stack), "AWS::Lambda::Function", testkit.Obj{
		"Runtime": "provided.al2023", "Architectures": testkit.Arr{"arm64"}, "Handler": "bootstrap", "MemorySize": 512,
		"Code": testkit.Like(testkit.Obj{}), "Role": testkit.Like(testkit.Obj{}),
	})
}

// Two synths of unchanged code give byte-identical templates: the shared example app's and a new one's.
func TestSynthIsReproducible(t *testing.T) {
	prodTemplate := func(app awscdk.App, example *service.Example) []byte {
		dir := *app.Synth(nil).Directory()
		b, err := os.ReadFile(filepath.Join(dir, *example.Prod.TemplateFile()))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	first := prodTemplate(sharedExample(t))
	app := testkit.NewAppWith(t, sharedExampleContext)
	if !bytes.Equal(first, prodTemplate(app, service.NewApp(app, testkit.RepoRoot, nil))) {
		t.Errorf("two synths of unchanged code gave different templates")
	}
}

// Extra files beside bootstrap are part of the asset folder's name: a changed file is a new asset (and a new
// version of the function), the same files give the same folder.
func TestAddFiles(t *testing.T) {
	opts := &gobuild.Options{CacheDir: t.TempDir()}
	bin := build(t, handlerModule(t, handlerSource), opts)
	a, err := gobuild.AddFiles(bin, map[string][]byte{"config.json": []byte(`{"a":1}`)}, opts)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := gobuild.AddFiles(bin, map[string][]byte{"config.json": []byte(`{"a":1}`)}, opts)
	other, _ := gobuild.AddFiles(bin, map[string][]byte{"config.json": []byte(`{"a":2}`)}, opts)
	if a != again || a == other || a == bin {
		t.Errorf("folders: %s, %s, %s (binary %s)", a, again, other, bin)
	}
	if b, err := os.ReadFile(filepath.Join(a, "config.json")); err != nil || string(b) != `{"a":1}` {
		t.Errorf("config.json: %q, %v", b, err)
	}
	if _, err := gobuild.AddFiles(bin, map[string][]byte{"../escape": nil}, opts); err == nil {
		t.Errorf("a file name with a path must be refused")
	}
}
