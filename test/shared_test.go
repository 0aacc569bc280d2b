package test

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/examples/service"
	"github.com/safeship/lambda-bluegreen/test/testkit"
)

// TestMain runs the tests with testkit.Main, which keeps the shared example app's cloud assembly until they end.
func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }

// sharedExampleContext is the context of the shared example app besides cdk.json's: construct paths in the
// template metadata, as the CDK CLI writes them by default (what cdk synth and bluegreen plan read).
var sharedExampleContext = map[string]interface{}{"aws:cdk:enable-path-metadata": true}

var (
	sharedExampleOnce sync.Once
	sharedExampleApp  awscdk.App
	sharedExampleDef  *service.Example
	sharedExampleErr  interface{}
)

// sharedExample returns the example app with default context (and sharedExampleContext), defined and
// synthesized once per test binary: the tests that only read it share its cloud assembly instead of each
// defining and synthesizing the whole app again (several seconds of calls into the CDK each). A test must not
// add to its tree. The assembly's folder is made by testkit.MkdirShared.
func sharedExample(t testing.TB) (awscdk.App, *service.Example) {
	t.Helper()
	sharedExampleOnce.Do(func() {
		defer func() { sharedExampleErr = recover() }()
		ctx := testkit.ExampleContext(t, sharedExampleContext)
		app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(testkit.MkdirShared(t, "example"))})
		example := service.NewApp(app, testkit.RepoRoot, nil)
		app.Synth(nil)
		sharedExampleApp, sharedExampleDef = app, example
	})
	if sharedExampleErr != nil {
		t.Fatalf("defining and synthesizing the example app failed: %v%s", sharedExampleErr,
			testkit.ReportedFindings(fmt.Sprint(sharedExampleErr)))
	}
	return sharedExampleApp, sharedExampleDef
}
