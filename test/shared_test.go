package test

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/examples/service"
)

// sharedDir holds what outlives one test: the cloud assembly of the shared example app. TestMain makes it and
// removes it once every test has run.
var sharedDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "bluegreen-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sharedDir = dir
	code := m.Run()
	if err := os.RemoveAll(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

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
// add to its tree. The assembly's folder is in sharedDir.
func sharedExample(t testing.TB) (awscdk.App, *service.Example) {
	t.Helper()
	sharedExampleOnce.Do(func() {
		defer func() { sharedExampleErr = recover() }()
		ctx := exampleContext(t, sharedExampleContext)
		app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(mkdirShared(t, "example"))})
		example := service.NewApp(app, repoRoot, nil)
		app.Synth(nil)
		sharedExampleApp, sharedExampleDef = app, example
	})
	if sharedExampleErr != nil {
		t.Fatalf("defining and synthesizing the example app failed: %v%s", sharedExampleErr,
			reportedFindings(fmt.Sprint(sharedExampleErr)))
	}
	return sharedExampleApp, sharedExampleDef
}

// mkdirShared makes a new folder in sharedDir.
func mkdirShared(t testing.TB, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp(sharedDir, prefix+"-")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}
