// Package testkit holds the helpers of the template tests, which are split into two packages (test and
// test/deployment) so that go test runs them as two test binaries, each with its own Node.js process (started by
// the jsii runtime, which takes one call at a time), on two cores at once. It is imported by tests only.
package testkit

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/gobuild"
	"github.com/safeship/lambda-bluegreen/constructs/hooks"
	"github.com/safeship/lambda-bluegreen/constructs/hooks/hookconfig"
	"github.com/safeship/lambda-bluegreen/constructs/service"
	"github.com/safeship/lambda-bluegreen/internal/report"
)

// RepoRoot is the repository root, relative to the folder of the test package being run (go test runs a test
// binary in its package's folder): the nearest folder up from there that holds go.mod.
var RepoRoot = repoRoot()

func repoRoot() string {
	rel := "."
	dir, err := os.Getwd()
	if err != nil {
		return rel
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return rel
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "."
		}
		dir, rel = parent, filepath.Join(rel, "..")
	}
}

// sharedDir holds what outlives one test (the cloud assemblies that tests share): Main makes it and removes it
// once every test has run.
var sharedDir string

// Main runs the tests of a test binary (m.Run) with a folder for what outlives one test (see MkdirShared), removes
// the folder afterwards and returns the exit code. A package's TestMain calls os.Exit(testkit.Main(m)).
func Main(m *testing.M) int {
	dir, err := os.MkdirTemp("", "bluegreen-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	sharedDir = dir
	code := m.Run()
	if err := os.RemoveAll(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	return code
}

// MkdirShared makes a new folder in the folder that Main made for the test binary: unlike t.TempDir's, it is kept
// until every test has run. It needs Main in the package's TestMain.
func MkdirShared(t testing.TB, prefix string) string {
	t.Helper()
	if sharedDir == "" {
		t.Fatal("testkit.MkdirShared needs testkit.Main in the package's TestMain")
	}
	dir, err := os.MkdirTemp(sharedDir, prefix+"-")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

var (
	contextOnce sync.Once
	appContext  map[string]interface{}
	contextErr  error

	helloOnce sync.Once
	helloDir  string
	helloErr  error
)

// NewApp returns an app with the feature flags of the repository's cdk.json (the ones a new CDK app gets), writing
// its cloud assembly into a temporary folder, so tests see what cdk synth produces.
func NewApp(t testing.TB) awscdk.App {
	t.Helper()
	return NewAppWith(t, nil)
}

// NewAppWith is NewApp with extra context entries (nil values remove a key).
func NewAppWith(t testing.TB, extra map[string]interface{}) awscdk.App {
	t.Helper()
	ctx := ExampleContext(t, extra)
	return awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(t.TempDir())})
}

// ExampleContext returns the context of cdk.json with extra entries (nil values remove a key).
func ExampleContext(t testing.TB, extra map[string]interface{}) map[string]interface{} {
	t.Helper()
	contextOnce.Do(func() {
		var cfg struct {
			Context map[string]interface{} `json:"context"`
		}
		b, err := os.ReadFile(filepath.Join(RepoRoot, "cdk.json"))
		if err == nil {
			err = json.Unmarshal(b, &cfg)
		}
		appContext, contextErr = cfg.Context, err
	})
	if contextErr != nil {
		t.Fatalf("reading cdk.json: %v", contextErr)
	}
	ctx := map[string]interface{}{}
	for k, v := range appContext {
		ctx[k] = v
	}
	for k, v := range extra {
		if v == nil {
			delete(ctx, k)
		} else {
			ctx[k] = v
		}
	}
	return ctx
}

// NewStack returns an environment-agnostic stack in a new app.
func NewStack(t testing.TB) awscdk.Stack {
	t.Helper()
	return awscdk.NewStack(NewApp(t), jsii.String("TestStack"), nil)
}

// reportPath finds the validation report a failed synth names in its error.
var reportPath = regexp.MustCompile(`found in: (\S+)` + regexp.QuoteMeta(report.FileName))

// ReportedFindings returns, one per line, the error-level findings of the validation report that the synth error
// msg names, or "" when it names none.
func ReportedFindings(msg string) string {
	m := reportPath.FindStringSubmatch(msg)
	if m == nil {
		return ""
	}
	findings, err := report.Findings(m[1], "error", "fatal")
	if err != nil {
		return "\n  (" + err.Error() + ")"
	}
	return "\n  " + strings.Join(findings, "\n  ")
}

// HookConfig reads the configuration a hook function carries beside its bootstrap (hookconfig.FileName in its code
// asset) from the cloud assembly in dir; fn is the function's resource in the template.
func HookConfig(t testing.TB, dir string, fn map[string]interface{}) hookconfig.Config {
	t.Helper()
	code, _ := Props(fn)["Code"].(map[string]interface{})
	key := strings.TrimSuffix(fmt.Sprint(code["S3Key"]), ".zip")
	b, err := os.ReadFile(filepath.Join(dir, "asset."+key, hookconfig.FileName))
	if err != nil {
		t.Fatalf("reading a hook's configuration: %v", err)
	}
	var cfg hookconfig.Config
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatalf("a hook's configuration: %v\n%s", err, b)
	}
	return cfg
}

// HelloDir returns the folder of the example handler's build (its bootstrap); the handler is built once per test
// binary.
func HelloDir(t testing.TB) string {
	t.Helper()
	helloOnce.Do(func() {
		helloDir, helloErr = gobuild.Build(filepath.Join(RepoRoot, "examples", "handlers", "hello"), nil)
	})
	if helloErr != nil {
		t.Fatalf("building the example handler: %v", helloErr)
	}
	return helloDir
}

// HelloCode returns the example handler's code as a new asset (CDK binds an asset to one stack); the handler is
// built once per test binary.
func HelloCode(t testing.TB) awslambda.Code {
	t.Helper()
	return awslambda.Code_FromAsset(jsii.String(HelloDir(t)), nil)
}

// FunctionProps returns props for a small Go function running the example handler.
func FunctionProps(t testing.TB) *awslambda.FunctionProps {
	t.Helper()
	return &awslambda.FunctionProps{
		Code:         HelloCode(t),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
	}
}

// Deploy defines a Deployment with the example handler in stack; props may leave the function unset.
func Deploy(t testing.TB, stack awscdk.Stack, id string, props *bluegreen.DeploymentProps) bluegreen.Deployment {
	t.Helper()
	p := bluegreen.DeploymentProps{}
	if props != nil {
		p = *props
	}
	if p.Function == nil && p.FunctionProps == nil {
		p.FunctionProps = FunctionProps(t)
	}
	return bluegreen.NewDeployment(stack, id, &p)
}

// Resources returns the resources of type typ in the template, by logical id.
func Resources(tmpl assertions.Template, typ string) map[string]map[string]interface{} {
	found := tmpl.FindResources(jsii.String(typ), nil)
	out := map[string]map[string]interface{}{}
	for id, r := range *found {
		if r != nil {
			out[id] = *r
		}
	}
	return out
}

// OnlyResource returns the one resource of type typ, failing the test when there is not exactly one.
func OnlyResource(t testing.TB, tmpl assertions.Template, typ string) (string, map[string]interface{}) {
	t.Helper()
	rs := Resources(tmpl, typ)
	if len(rs) != 1 {
		t.Fatalf("want exactly one %s, got %d", typ, len(rs))
	}
	for id, r := range rs {
		return id, r
	}
	return "", nil
}

// Props returns the Properties of a resource from Resources or OnlyResource.
func Props(r map[string]interface{}) map[string]interface{} {
	p, _ := r["Properties"].(map[string]interface{})
	return p
}

// MustPanic runs f and returns the text of the error it panicked with, failing the test when it does not panic.
func MustPanic(t testing.TB, f func()) (msg string) {
	t.Helper()
	defer func() {
		r := recover()
		if r == nil {
			t.Fatalf("expected a panic, got none")
		}
		switch v := r.(type) {
		case error:
			msg = v.Error()
		case string:
			msg = v
		default:
			msg = JSONString(v)
		}
	}()
	f()
	return ""
}

// JSONString returns v as JSON, or "" when it cannot be marshaled.
func JSONString(v interface{}) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Template synthesizes stack and returns its template. When synth fails (CDK's own validation among the
// reasons), it fails the test at once with the messages: a nil template would crash the test binary at its first
// use and take every later test down with it.
func Template(t testing.TB, stack awscdk.Stack) assertions.Template {
	t.Helper()
	var tmpl assertions.Template
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("synthesizing %s failed: %v%s", *stack.Node().Path(), r, ReportedFindings(fmt.Sprint(r)))
			}
		}()
		tmpl = assertions.Template_FromStack(stack, nil)
	}()
	return tmpl
}

// HasResource asserts that the template has a resource of type typ matching props (a Match_* matcher or a
// literal), reporting the assertion's message instead of crashing the test binary.
func HasResource(t testing.TB, tmpl assertions.Template, typ string, props interface{}) {
	t.Helper()
	NoPanic(t, func() { tmpl.HasResourceProperties(jsii.String(typ), props) })
}

// HasResourceDefinition is HasResource on the whole resource definition (Properties, UpdatePolicy, DeletionPolicy…).
func HasResourceDefinition(t testing.TB, tmpl assertions.Template, typ string, def interface{}) {
	t.Helper()
	NoPanic(t, func() { tmpl.HasResource(jsii.String(typ), def) })
}

// CountIs asserts the number of resources of type typ.
func CountIs(t testing.TB, tmpl assertions.Template, typ string, n int) {
	t.Helper()
	NoPanic(t, func() { tmpl.ResourceCountIs(jsii.String(typ), jsii.Number(float64(n))) })
}

// NoPanic runs f and turns a panic (a failed assertion, a synth error) into a test error.
func NoPanic(t testing.TB, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%v", r)
		}
	}()
	f()
}

// Obj shortens matcher literals: a JSON object.
type Obj = map[string]interface{}

// Arr shortens matcher literals: a JSON array.
type Arr = []interface{}

// Like matches an object that has at least the entries of m (assertions.Match_ObjectLike).
func Like(m Obj) assertions.Matcher { return assertions.Match_ObjectLike(&m) }

// ArrayWith matches an array that contains the elements a, in order (assertions.Match_ArrayWith).
func ArrayWith(a ...interface{}) assertions.Matcher {
	return assertions.Match_ArrayWith(&a)
}

// SynthMessage is a message that synthesis left on a construct: its path and its data (the text, mostly).
type SynthMessage struct {
	ID   string
	Data interface{}
}

// SynthMessages returns the messages of level ("error", "warning", "info") that synthesis left on stack, those
// whose text matches data when it is not nil, as assertions.Annotations_FromStack(stack).FindXxx("*", data)
// finds them. Annotations_FromStack synthesizes the whole app again on every call (it forces a new synth, for
// assertions made between changes of the tree); this reads the app's cloud assembly as Template_FromStack
// does, synthesizing only when the app was not synthesized yet. When constructs were added after that synth
// (CDK refuses to hand out the old assembly then), it synthesizes again, as Annotations_FromStack would.
func SynthMessages(t testing.TB, stack awscdk.Stack, level string, data *regexp.Regexp) []SynthMessage {
	t.Helper()
	root, ok := stack.Node().Root().(awscdk.Stage)
	if !ok {
		t.Fatalf("%s is not in an app", *stack.Node().Path())
	}
	var assembly cxapi.CloudAssembly
	func() {
		defer func() {
			r := recover()
			if r == nil {
				return
			}
			if !strings.Contains(fmt.Sprint(r), "construct tree was modified") {
				panic(r)
			}
			assembly = root.Synth(&awscdk.StageSynthesisOptions{Force: jsii.Bool(true)})
		}()
		assembly = root.Synth(nil)
	}()
	var out []SynthMessage
	for _, m := range *assembly.GetStackArtifact(stack.ArtifactId()).Messages() {
		//lint:ignore SA1019 the cloud assembly hands out cxapi.SynthesisMessage; its replacement (@aws-cdk/cloud-assembly-api) has no Go binding
		mLevel, id, mData := string(m.Level), *m.Id, m.Entry.Data
		if !strings.EqualFold(mLevel, level) { // the Go binding's levels are upper case: WARNING
			continue
		}
		if text, _ := mData.(string); data != nil && !data.MatchString(text) {
			continue
		}
		out = append(out, SynthMessage{ID: id, Data: mData})
	}
	return out
}

// serviceFunctions returns n functions of the example handler, each with a test of its own.
func serviceFunctions(t *testing.T, n int) []service.Function {
	var fs []service.Function
	for i := 0; i < n; i++ {
		fs = append(fs, service.Function{ID: fmt.Sprintf("Fn%d", i), FunctionProps: FunctionProps(t),
			PreTraffic: &hooks.PreTrafficProps{Tests: []hooks.TestCase{{Name: fmt.Sprintf("root of %d", i),
				Payload: map[string]interface{}{"rawPath": fmt.Sprintf("/fn%d", i)}}}}})
	}
	return fs
}

// NewService defines a service of n functions of the example handler, each with a pre-traffic test of its own, whose
// post-traffic hook keeps 10 versions, as service "Shop" in stack "Svc" of a new app; tweak, when not nil, changes
// the props first.
func NewService(t *testing.T, n int, tweak func(*service.Props)) (awscdk.App, awscdk.Stack, service.Service) {
	t.Helper()
	app := NewApp(t)
	stack := awscdk.NewStack(app, jsii.String("Svc"), nil)
	keep := 10
	p := &service.Props{Functions: serviceFunctions(t, n), PostTraffic: &hooks.PostTrafficProps{KeepVersions: &keep}}
	if tweak != nil {
		tweak(p)
	}
	return app, stack, service.New(stack, "Shop", p)
}

// Annotations returns the texts of the warnings (level "warning") or infos (any other level) that synthesis left
// on stack.
func Annotations(t *testing.T, stack awscdk.Stack, level string) []string {
	t.Helper()
	if level != "warning" {
		level = "info"
	}
	var out []string
	for _, m := range SynthMessages(t, stack, level, nil) {
		out = append(out, fmt.Sprint(m.Data))
	}
	return out
}

// ContainsText reports whether one of texts contains sub.
func ContainsText(texts []string, sub string) bool {
	for _, s := range texts {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// ValidationFindings reads the validation report CDK writes into a cloud assembly and returns every finding whose
// severity is in severities.
func ValidationFindings(t testing.TB, assemblyDir string, severities ...string) []string {
	t.Helper()
	out, err := report.Findings(assemblyDir, severities...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
