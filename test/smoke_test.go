package test

import (
	"errors"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/examples/service"
	"github.com/safeship/lambda-bluegreen/test/testkit"
)

// synthExample synthesizes the example app with the cdk-nag AwsSolutions and Serverless packs applied, and returns
// the app, its stacks and the cloud assembly folder. A synth error (CDK fails synth on error-level validation
// findings) fails the test with the report.
func synthExample(t *testing.T) (awscdk.App, *service.Example, string) {
	t.Helper()
	app := testkit.NewAppWith(t, map[string]interface{}{service.ContextNag: "true"})
	example := service.NewApp(app, testkit.RepoRoot, nil)
	var dir string
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("synthesizing the example app failed: %v", r)
			}
		}()
		dir = *app.Synth(nil).Directory()
	}()
	return app, example, dir
}

func TestExampleAppSynthesizesCleanly(t *testing.T) {
	_, example, dir := synthExample(t)
	stacks := []awscdk.Stack{example.Pipeline}
	for _, s := range example.Services() {
		stacks = append(stacks, s.Stack)
	}
	stacks = append(stacks, example.Environments.Stacks()...)
	stacks = append(stacks, example.Fleet.Stack)

	t.Run("no error-level validation findings", func(t *testing.T) {
		if errs := testkit.ValidationFindings(t, dir, "error", "fatal"); len(errs) > 0 {
			t.Errorf("validation report has %d error-level findings:\n%s", len(errs), strings.Join(errs, "\n"))
		}
	})

	// Aspects stop at a Stage's boundary: the packs must still reach the stacks inside stages. The hook functions
	// have no X-Ray tracing, which the Serverless pack notes as a warning.
	for _, s := range []awscdk.Stack{example.PipelineProd.Stack, example.Environments.Blue.Stack} {
		t.Run(*s.StackName()+"/cdk-nag reaches stacks in stages", func(t *testing.T) {
			if len(testkit.SynthMessages(t, s, "warning", regexp.MustCompile("Serverless-LambdaTracing"))) == 0 {
				t.Error("cdk-nag left no finding on this stack: its packs did not run here")
			}
		})
	}
	for _, s := range stacks {
		s := s
		t.Run(*s.StackName()+"/no unsuppressed cdk-nag errors", func(t *testing.T) {
			for _, e := range nagErrors(t, s) {
				t.Error(e)
			}
		})
		if strings.HasPrefix(*s.StackName(), "TwoEnvironments") {
			continue
		}
		t.Run(*s.StackName()+"/environment-agnostic", func(t *testing.T) {
			if !strings.HasPrefix(*s.Account(), "${Token[") || !strings.HasPrefix(*s.Region(), "${Token[") {
				t.Errorf("account %q and region %q should be unresolved tokens", *s.Account(), *s.Region())
			}
		})
	}
	// An API Gateway custom domain name is unique within a region across all accounts: the two environments of
	// one name deploy only in two regions. The account stays the deploying one.
	t.Run("the two environments are in two regions", func(t *testing.T) {
		env := example.Environments
		blue, green, router := *env.Blue.Region(), *env.Green.Region(), *env.Router.Region()
		if blue != service.DefaultBlueRegion || green != service.DefaultGreenRegion || blue == green || router != blue {
			t.Errorf("regions: blue %q, green %q, switch %q; want %s, %s and the switch in blue's", blue, green, router,
				service.DefaultBlueRegion, service.DefaultGreenRegion)
		}
		for _, s := range env.Stacks() {
			if !strings.HasPrefix(*s.Account(), "${Token[") {
				t.Errorf("%s: account %q should be the deploying account (a token)", *s.StackName(), *s.Account())
			}
		}
	})
}

// TestValidationReportCheckFindsErrors proves the report check above can fail: a template with a property of the
// wrong type must produce an error-level finding (and make synth fail).
func TestValidationReportCheckFindsErrors(t *testing.T) {
	app := testkit.NewApp(t)
	stack := awscdk.NewStack(app, jsii.String("Broken"), nil)
	awscdk.NewCfnResource(stack, jsii.String("BadQueue"), &awscdk.CfnResourceProps{
		Type:       jsii.String("AWS::SQS::Queue"),
		Properties: &map[string]interface{}{"DelaySeconds": "not a number", "NoSuchProperty": true},
	})
	outdir := *app.Outdir()
	func() {
		defer func() { _ = recover() }() // CDK fails synth on error-level findings: the report is written first
		app.Synth(nil)
	}()
	if errs := testkit.ValidationFindings(t, outdir, "error", "fatal"); len(errs) == 0 {
		t.Fatalf("a broken template gave no error-level finding: the validation check cannot fail")
	}
	// The pipeline's check command exits 1 on it, naming the finding.
	cmd := exec.Command("go", "run", "../cmd/checkreport", outdir)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(string(out), "DelaySeconds") {
		t.Errorf("checkreport on a broken assembly: %v\n%s", err, out)
	}
}

// bluegreen rollback rolls a finished release back through a deploy with a pin: the example wires the context
// key to each of its deployments, and refuses a pin that names none.
func TestExampleAppTakesPinsFromTheCommandLine(t *testing.T) {
	app := testkit.NewAppWith(t, map[string]interface{}{bluegreen.PinContextKey: "BlueGreenServiceProd/Service=6"})
	example := service.NewApp(app, testkit.RepoRoot, nil)
	if example.Prod.Deployment.PinnedVersion() != "6" || example.Dev.Deployment.PinnedVersion() != "" {
		t.Errorf("pins: prod %q, dev %q", example.Prod.Deployment.PinnedVersion(), example.Dev.Deployment.PinnedVersion())
	}
	testkit.HasResource(t, testkit.Template(t, example.Prod.Stack), "AWS::Lambda::Alias", testkit.Like(testkit.Obj{"FunctionVersion": "6"}))

	msg := testkit.MustPanic(t, func() {
		service.NewApp(testkit.NewAppWith(t, map[string]interface{}{bluegreen.PinContextKey: "BlueGreenServiceProd/Api=6"}), testkit.RepoRoot, nil)
	})
	if !strings.Contains(msg, `no deployment is at "BlueGreenServiceProd/Api"; the example's deployments are BlueGreenServiceDev/Service, BlueGreenServiceProd/Service`) {
		t.Errorf("got %q", msg)
	}
}

// The example's whole service: FleetSize functions in one stack, each with its own deployment and test, sharing
// one pre- and one post-traffic hook, well within CloudFormation's 500 resources.
func TestExampleFleet(t *testing.T) {
	_, example := sharedExample(t)
	tmpl := testkit.Template(t, example.Fleet.Stack)
	if n := len(example.Fleet.Service.Deployments()); n < 20 || n != service.FleetSize {
		t.Fatalf("the fleet has %d functions, want %d (at least 20)", n, service.FleetSize)
	}
	testkit.CountIs(t, tmpl, "AWS::CodeDeploy::DeploymentGroup", service.FleetSize)
	testkit.CountIs(t, tmpl, "AWS::Lambda::Function", service.FleetSize+4+1) // + the two hooks and their failure reporters, the release guard
	total := resourceCount(tmpl)
	t.Logf("the fleet stack has %d resources for %d functions", total, service.FleetSize)
	if total > 400 {
		t.Errorf("the fleet stack has %d resources: more than 80 %% of CloudFormation's 500", total)
	}
}
