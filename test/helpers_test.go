// Package test holds the template-level tests of the constructs and the smoke test of the example app. They share
// one package so that one Node.js process (started by the jsii runtime) serves them all.
package test

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
	"github.com/safeship/lambda-bluegreen/constructs/hooks/hookconfig"
	releaseguard "github.com/safeship/lambda-bluegreen/constructs/release"
	"github.com/safeship/lambda-bluegreen/internal/report"
)

// repoRoot is the repository root, seen from this package's folder (go test runs in it).
const repoRoot = ".."

var (
	contextOnce sync.Once
	appContext  map[string]interface{}
	contextErr  error

	helloOnce sync.Once
	helloDir  string
	helloErr  error
)

// newApp returns an app with the feature flags of the repository's cdk.json (the ones a new CDK app gets), writing
// its cloud assembly into a temporary folder, so tests see what cdk synth produces.
func newApp(t testing.TB) awscdk.App {
	t.Helper()
	return newAppWith(t, nil)
}

// newAppWith is newApp with extra context entries (nil values remove a key).
func newAppWith(t testing.TB, extra map[string]interface{}) awscdk.App {
	t.Helper()
	ctx := exampleContext(t, extra)
	return awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(t.TempDir())})
}

// exampleContext returns the context of cdk.json with extra entries (nil values remove a key).
func exampleContext(t testing.TB, extra map[string]interface{}) map[string]interface{} {
	t.Helper()
	contextOnce.Do(func() {
		var cfg struct {
			Context map[string]interface{} `json:"context"`
		}
		b, err := os.ReadFile(filepath.Join(repoRoot, "cdk.json"))
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

// newStack returns an environment-agnostic stack in a new app.
func newStack(t testing.TB) awscdk.Stack {
	t.Helper()
	return awscdk.NewStack(newApp(t), jsii.String("TestStack"), nil)
}

// reportPath finds the validation report a failed synth names in its error.
var reportPath = regexp.MustCompile(`found in: (\S+)` + regexp.QuoteMeta(report.FileName))

// reportedFindings returns, one per line, the error-level findings of the validation report that the synth error
// msg names, or "" when it names none.
func reportedFindings(msg string) string {
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

// hookConfig reads the configuration a hook function carries beside its bootstrap (hookconfig.FileName in its code
// asset) from the cloud assembly in dir; fn is the function's resource in the template.
func hookConfig(t testing.TB, dir string, fn map[string]interface{}) hookconfig.Config {
	t.Helper()
	code, _ := props(fn)["Code"].(map[string]interface{})
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

// helloCode returns the example handler's code as a new asset (CDK binds an asset to one stack); the handler is
// built once per test run.
func helloCode(t testing.TB) awslambda.Code {
	t.Helper()
	helloOnce.Do(func() {
		helloDir, helloErr = gobuild.Build(filepath.Join(repoRoot, "examples", "handlers", "hello"), nil)
	})
	if helloErr != nil {
		t.Fatalf("building the example handler: %v", helloErr)
	}
	return awslambda.Code_FromAsset(jsii.String(helloDir), nil)
}

// functionProps returns props for a small Go function running the example handler.
func functionProps(t testing.TB) *awslambda.FunctionProps {
	t.Helper()
	return &awslambda.FunctionProps{
		Code:         helloCode(t),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
	}
}

// deploy defines a Deployment with the example handler in stack; props may leave the function unset.
func deploy(t testing.TB, stack awscdk.Stack, id string, props *bluegreen.DeploymentProps) bluegreen.Deployment {
	t.Helper()
	p := bluegreen.DeploymentProps{}
	if props != nil {
		p = *props
	}
	if p.Function == nil && p.FunctionProps == nil {
		p.FunctionProps = functionProps(t)
	}
	return bluegreen.NewDeployment(stack, id, &p)
}

// resources returns the resources of type typ in the template, by logical id.
func resources(tmpl assertions.Template, typ string) map[string]map[string]interface{} {
	found := tmpl.FindResources(jsii.String(typ), nil)
	out := map[string]map[string]interface{}{}
	for id, r := range *found {
		if r != nil {
			out[id] = *r
		}
	}
	return out
}

// onlyOwnResource is onlyResource among the resources that are not the stack's release guard's (every stack with
// a Deployment has one: a function, its role and log group, and an EventBridge rule per CodeDeploy application).
func onlyOwnResource(t testing.TB, tmpl assertions.Template, typ string) (string, map[string]interface{}) {
	t.Helper()
	var id string
	var found map[string]interface{}
	n := 0
	for k, r := range resources(tmpl, typ) {
		path, _ := r["Metadata"].(map[string]interface{})["aws:cdk:path"].(string)
		if strings.Contains(path, "/"+releaseguard.GuardID+"/") || strings.HasPrefix(k, releaseguard.GuardID) {
			continue
		}
		id, found, n = k, r, n+1
	}
	if n != 1 {
		t.Fatalf("want exactly one %s besides the release guard's, got %d", typ, n)
	}
	return id, found
}

// onlyResource returns the one resource of type typ, failing the test when there is not exactly one.
func onlyResource(t testing.TB, tmpl assertions.Template, typ string) (string, map[string]interface{}) {
	t.Helper()
	rs := resources(tmpl, typ)
	if len(rs) != 1 {
		t.Fatalf("want exactly one %s, got %d", typ, len(rs))
	}
	for id, r := range rs {
		return id, r
	}
	return "", nil
}

// props returns the Properties of a resource from resources or onlyResource.
func props(r map[string]interface{}) map[string]interface{} {
	p, _ := r["Properties"].(map[string]interface{})
	return p
}

// mustPanic runs f and returns the text of the error it panicked with, failing the test when it does not panic.
func mustPanic(t testing.TB, f func()) (msg string) {
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
			msg = jsonString(v)
		}
	}()
	f()
	return ""
}

func jsonString(v interface{}) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// template synthesizes stack and returns its template. When synth fails (CDK's own validation among the
// reasons), it fails the test at once with the messages: a nil template would crash the test binary at its first
// use and take every later test down with it.
func template(t testing.TB, stack awscdk.Stack) assertions.Template {
	t.Helper()
	var tmpl assertions.Template
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("synthesizing %s failed: %v%s", *stack.Node().Path(), r, reportedFindings(fmt.Sprint(r)))
			}
		}()
		tmpl = assertions.Template_FromStack(stack, nil)
	}()
	return tmpl
}

// hasResource asserts that the template has a resource of type typ matching props (a Match_* matcher or a
// literal), reporting the assertion's message instead of crashing the test binary.
func hasResource(t testing.TB, tmpl assertions.Template, typ string, props interface{}) {
	t.Helper()
	noPanic(t, func() { tmpl.HasResourceProperties(jsii.String(typ), props) })
}

// hasResourceDefinition is hasResource on the whole resource definition (Properties, UpdatePolicy, DeletionPolicy…).
func hasResourceDefinition(t testing.TB, tmpl assertions.Template, typ string, def interface{}) {
	t.Helper()
	noPanic(t, func() { tmpl.HasResource(jsii.String(typ), def) })
}

// countIs asserts the number of resources of type typ.
func countIs(t testing.TB, tmpl assertions.Template, typ string, n int) {
	t.Helper()
	noPanic(t, func() { tmpl.ResourceCountIs(jsii.String(typ), jsii.Number(float64(n))) })
}

// noPanic runs f and turns a panic (a failed assertion, a synth error) into a test error.
func noPanic(t testing.TB, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%v", r)
		}
	}()
	f()
}

// obj and arr shorten matcher literals.
type obj = map[string]interface{}
type arr = []interface{}

func like(m obj) assertions.Matcher { return assertions.Match_ObjectLike(&m) }
func arrayWith(a ...interface{}) assertions.Matcher {
	return assertions.Match_ArrayWith(&a)
}

// nagErrors returns the unsuppressed cdk-nag errors (AwsSolutions and Serverless packs) on stack, each as
// "rule: finding".
func nagErrors(t testing.TB, stack awscdk.Stack) []string {
	t.Helper()
	var out []string
	for _, m := range synthMessages(t, stack, "error", regexp.MustCompile("AwsSolutions-.*|Serverless-.*")) {
		out = append(out, fmt.Sprintf("%s: %v", m.id, m.data))
	}
	return out
}

// synthMessage is a message that synthesis left on a construct: its path and its data (the text, mostly).
type synthMessage struct {
	id   string
	data interface{}
}

// synthMessages returns the messages of level ("error", "warning", "info") that synthesis left on stack, those
// whose text matches data when it is not nil, as assertions.Annotations_FromStack(stack).FindXxx("*", data)
// finds them. Annotations_FromStack synthesizes the whole app again on every call (it forces a new synth, for
// assertions made between changes of the tree); this reads the app's cloud assembly as Template_FromStack
// does, synthesizing only when the app was not synthesized yet. When constructs were added after that synth
// (CDK refuses to hand out the old assembly then), it synthesizes again, as Annotations_FromStack would.
func synthMessages(t testing.TB, stack awscdk.Stack, level string, data *regexp.Regexp) []synthMessage {
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
	var out []synthMessage
	for _, m := range *assembly.GetStackArtifact(stack.ArtifactId()).Messages() {
		//lint:ignore SA1019 the cloud assembly hands out cxapi.SynthesisMessage; its replacement (@aws-cdk/cloud-assembly-api) has no Go binding
		mLevel, id, mData := string(m.Level), *m.Id, m.Entry.Data
		if !strings.EqualFold(mLevel, level) { // the Go binding's levels are upper case: WARNING
			continue
		}
		if text, _ := mData.(string); data != nil && !data.MatchString(text) {
			continue
		}
		out = append(out, synthMessage{id: id, data: mData})
	}
	return out
}
