package deployment

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/quota"
	"github.com/safeship/lambda-bluegreen/test/testkit"
)

// sizedStack is a stack with three protected functions (default alarms; two of them sharing a pre-traffic hook
// and a CodeDeploy role defined beside them, one of these two given an existing function) and plain filler
// resources.
type sizedStack struct {
	app       awscdk.App
	stack     awscdk.Stack
	protected int // resources the Deployments cost, counted by the test itself
	filler    int
}

// newSizedStack returns a sizedStack whose template holds total resources once the caller has added others,
// with the filler defined after the Deployments.
func newSizedStack(t *testing.T, total, others int) *sizedStack {
	t.Helper()
	app := testkit.NewApp(t)
	stack := awscdk.NewStack(app, jsii.String("TestStack"), nil)
	hook := awslambda.NewFunction(stack, jsii.String("Hook"), testkit.FunctionProps(t))
	existing := awslambda.NewFunction(stack, jsii.String("Existing"), testkit.FunctionProps(t))
	role := awsiam.NewRole(stack, jsii.String("DeploymentRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("codedeploy.amazonaws.com"), nil),
	})
	testkit.Deploy(t, stack, "A", &bluegreen.DeploymentProps{PreHook: hook, DeploymentRole: role})
	testkit.Deploy(t, stack, "B", &bluegreen.DeploymentProps{Function: existing, PreHook: hook, DeploymentRole: role})
	testkit.Deploy(t, stack, "C", nil)
	s := &sizedStack{app: app, stack: stack, protected: cfnResources(stack)}
	s.filler = total - others - s.protected
	for i := 0; i < s.filler; i++ {
		filler(stack, fmt.Sprintf("Filler%d", i))
	}
	return s
}

// filler defines a resource that costs nothing and needs no property.
func filler(scope constructs.Construct, id string) {
	awscdk.NewCfnResource(scope, jsii.String(id), &awscdk.CfnResourceProps{
		Type: jsii.String("AWS::CloudFormation::WaitConditionHandle"),
	})
}

// cfnResources counts the CfnResources in stack's tree so far, asking CDK about each construct.
func cfnResources(stack awscdk.Stack) int {
	n := 0
	for _, c := range *stack.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		if *awscdk.CfnResource_IsCfnResource(c) {
			n++
		}
	}
	return n
}

// addOneAtSynth is an Aspect that defines one more resource in the stack it visits, at synth.
type addOneAtSynth struct{ stack awscdk.Stack }

func (a *addOneAtSynth) Visit(node constructs.IConstruct) {
	if node.Node().Path() != nil && *node.Node().Path() == *a.stack.Node().Path() {
		filler(a.stack, "AddedByAnAspect")
	}
}

// A stack holding Deployments warns above 80 % of CloudFormation's 500 resources, once, with the count as
// CloudFormation sees it (a nested stack's resources excluded, resources defined after the Deployments and by an
// Aspect included), what each protected function costs there, and what to do.
func TestStackSizeWarnsAbove400(t *testing.T) {
	cases := []struct {
		name        string
		total       int
		nested      int  // resources in a nested stack of the stack, which holds them as one
		aspect      bool // an Aspect adds one resource at synth
		wantWarning bool
	}{
		{"400 is quiet, a nested stack counting as one resource", 400, 30, false, false},
		{"401 warns, counting a resource an Aspect adds", 401, 0, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSizedStack(t, tc.total, 1)
			if tc.nested > 0 {
				nested := awscdk.NewNestedStack(s.stack, jsii.String("Nested"), nil)
				for i := 0; i < tc.nested; i++ {
					filler(nested, fmt.Sprintf("Inner%d", i))
				}
			}
			if tc.aspect {
				awscdk.Aspects_Of(s.stack).Add(&addOneAtSynth{s.stack}, nil)
			}
			var sizeWarnings []string
			for _, w := range testkit.Annotations(t, s.stack, "warning") { // synthesizes the app
				if strings.Contains(w, bluegreen.StackSizeWarning) {
					sizeWarnings = append(sizeWarnings, w)
				}
			}
			// The assembly Annotations_FromStack synthesized: no second synth.
			tmpl, _ := s.app.Synth(nil).GetStackArtifact(jsii.String("TestStack")).Template().(map[string]interface{})
			resources, _ := tmpl["Resources"].(map[string]interface{})
			if len(resources) != tc.total {
				t.Fatalf("the test built a template of %d resources, want %d", len(resources), tc.total)
			}
			if !tc.wantWarning {
				if len(sizeWarnings) > 0 {
					t.Errorf("want no stack size warning at %d resources, got %q", tc.total, sizeWarnings)
				}
				return
			}
			if len(sizeWarnings) != 1 {
				t.Fatalf("want one stack size warning for the stack's 3 Deployments, got %d: %q", len(sizeWarnings), sizeWarnings)
			}
			for _, want := range []string{
				"stack TestStack has 401 CloudFormation resources, more than 80 % of CloudFormation's quota of 500",
				fmt.Sprintf("its 3 blue/green protected functions account for %d of them, about %d per protected function",
					s.protected, int(math.Round(float64(s.protected)/3))),
				"share one pre- and post-traffic hook across the stack's functions",
				"split the service across stacks (see docs/service.md: Split a service across stacks)",
			} {
				if !strings.Contains(sizeWarnings[0], want) {
					t.Errorf("warning %q does not contain %q", sizeWarnings[0], want)
				}
			}
		})
	}
}

// Above 500 resources synth fails, before CDK's own TooManyResourcesInStack check, with the count, the cost of
// each protected function and what to do.
func TestStackSizeFailsAbove500(t *testing.T) {
	s := newSizedStack(t, 501, 0)
	msg := testkit.MustPanic(t, func() { s.app.Synth(nil) })
	for _, want := range []string{
		"Validation failed with the following errors",
		"[TestStack/" + quota.CheckID + "] stack TestStack has 501 CloudFormation resources, more than " +
			"CloudFormation's quota of 500 resources per stack",
		fmt.Sprintf("account for %d of them, about %d per protected function", s.protected,
			int(math.Round(float64(s.protected)/3))),
		"share one pre- and post-traffic hook across the stack's functions, or split the service across stacks",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("synth error %q does not contain %q", msg, want)
		}
	}
	if strings.Contains(msg, "TooManyResourcesInStack") {
		t.Errorf("CDK's own check ran first: %q", msg)
	}
}

// Exactly 500 resources is CloudFormation's quota, not above it: synth succeeds (the 80 % warning stands) and the
// template holds all 500.
func TestStackSizeAt500Synthesizes(t *testing.T) {
	s := newSizedStack(t, 500, 0)
	var tmpl map[string]interface{}
	testkit.NoPanic(t, func() {
		tmpl, _ = s.app.Synth(nil).GetStackArtifact(jsii.String("TestStack")).Template().(map[string]interface{})
	})
	resources, _ := tmpl["Resources"].(map[string]interface{})
	if len(resources) != 500 {
		t.Fatalf("the test built a template of %d resources, want 500", len(resources))
	}
	if w := testkit.Annotations(t, s.stack, "warning"); !testkit.ContainsText(w, "stack TestStack has 500 CloudFormation resources, "+
		"more than 80 % of CloudFormation's quota of 500") {
		t.Errorf("want the stack size warning at 500 resources, got %q", w)
	}
}

// A Deployment whose function is in another top-level stack, or in a stack of another stage, is refused before
// anything is defined, naming both stacks and what to do, with any other problem of the props.
func TestCrossStackFunctionIsRefused(t *testing.T) {
	cases := []struct {
		name     string
		fnStack  func(app awscdk.App) awscdk.Stack
		depScope func(app awscdk.App) constructs.Construct
		alias    *string
		want     []string
	}{
		{"another top-level stack", topLevel("Functions"), asScope(topLevel("Service")), nil, []string{
			"Service/Api: invalid DeploymentProps: Function Functions/Fn is in stack Functions, but the Deployment " +
				"would be in stack Service: every release would hand the new version from Functions to Service",
			"with strong cross-stack references (CDK's default) that output is an export",
			"define the Deployment in the function's stack Functions (or a stack nested in it)"}},
		{"with another problem", topLevel("Functions"), asScope(topLevel("Service")), jsii.String("my alias"), []string{
			`AliasName must be 1 to 128 letters, digits, '-' or '_', and not only digits, got "my alias"`,
			"\nFunction Functions/Fn is in stack Functions, but the Deployment would be in stack Service"}},
		{"a stack of a stage", inStage("Prod", "Functions"), asScope(topLevel("Service")), nil, []string{
			"Function Prod/Functions/Fn is in stack Prod/Functions, but the Deployment would be in stack Service",
			"define the Deployment in the function's stack Prod/Functions"}},
		{"a stack nested in another top-level stack", topLevel("Functions"), func(app awscdk.App) constructs.Construct {
			return awscdk.NewNestedStack(topLevel("Service")(app), jsii.String("Nested"), nil)
		}, nil, []string{"Service/Nested/Api: invalid DeploymentProps: Function Functions/Fn is in stack Functions, " +
			"but the Deployment would be in stack Service/Nested"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			app := testkit.NewApp(t)
			fnStack := tc.fnStack(app)
			fn := awslambda.NewFunction(fnStack, jsii.String("Fn"), testkit.FunctionProps(t))
			scope := tc.depScope(app)
			fnBefore, scopeBefore := len(*fn.Node().FindAll(constructs.ConstructOrder_PREORDER)), len(*scope.Node().Children())
			msg := testkit.MustPanic(t, func() {
				bluegreen.NewDeployment(scope, "Api", &bluegreen.DeploymentProps{Function: fn, AliasName: tc.alias})
			})
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			if after := len(*fn.Node().FindAll(constructs.ConstructOrder_PREORDER)); after != fnBefore {
				t.Errorf("a refused Deployment defined %d constructs under the function (its version?)", after-fnBefore)
			}
			if after := len(*scope.Node().Children()); after != scopeBefore {
				t.Errorf("a refused Deployment left %d constructs in its scope", after-scopeBefore)
			}
		})
	}
}

// A function and its Deployment in the same stack, or in one top-level stack and a stack nested in it, deploy
// together: CDK passes the version through the nested stack's parameters and outputs, and nothing is exported.
func TestCrossStackSameTopLevelStackWorks(t *testing.T) {
	testkit.NoPanic(t, func() {
		app := testkit.NewApp(t)
		same := awscdk.NewStack(app, jsii.String("Same"), nil)
		testkit.Deploy(t, same, "Api", &bluegreen.DeploymentProps{
			Function: awslambda.NewFunction(same, jsii.String("Fn"), testkit.FunctionProps(t)),
		})
		parent := awscdk.NewStack(app, jsii.String("Parent"), nil)
		testkit.Deploy(t, parent, "Api", &bluegreen.DeploymentProps{
			Function: awslambda.NewFunction(awscdk.NewNestedStack(parent, jsii.String("Functions"), nil),
				jsii.String("Fn"), testkit.FunctionProps(t)),
		})
		other := awscdk.NewStack(app, jsii.String("Other"), nil)
		testkit.Deploy(t, awscdk.NewNestedStack(other, jsii.String("Deployments"), nil), "Api", &bluegreen.DeploymentProps{
			Function: awslambda.NewFunction(other, jsii.String("Fn"), testkit.FunctionProps(t)),
		})
		assembly := app.Synth(nil)
		for _, id := range []string{"Same", "Parent", "Other"} {
			tmpl := testkit.JSONString(assembly.GetStackArtifact(jsii.String(id)).Template())
			if strings.Contains(tmpl, `"Export"`) || strings.Contains(tmpl, "Fn::ImportValue") {
				t.Errorf("stack %s exports or imports a value: %s", id, tmpl)
			}
		}
	})
}

// The reason for the refusal: with strong cross-stack references (CDK's default), a function's current version
// reaches another stack through an export whose name changes with every release of the function.
func TestCrossStackStrongReferenceExportChangesEveryRelease(t *testing.T) {
	var exports []string
	for _, release := range []string{"1", "2"} {
		testkit.NoPanic(t, func() {
			app := testkit.NewAppWith(t, map[string]interface{}{"@aws-cdk/core:defaultCrossStackReferences": "strong"})
			functions := awscdk.NewStack(app, jsii.String("Functions"), nil)
			p := testkit.FunctionProps(t)
			p.Environment = &map[string]*string{"RELEASE": jsii.String(release)}
			fn := awslambda.NewFunction(functions, jsii.String("Fn"), p)
			awslambda.NewAlias(awscdk.NewStack(app, jsii.String("Service"), nil), jsii.String("Alias"),
				&awslambda.AliasProps{AliasName: jsii.String("live"), Version: fn.CurrentVersion()})
			tmpl, _ := app.Synth(nil).GetStackArtifact(jsii.String("Functions")).Template().(map[string]interface{})
			outputs, _ := tmpl["Outputs"].(map[string]interface{})
			for name, o := range outputs {
				if strings.Contains(name, "CurrentVersion") && strings.Contains(testkit.JSONString(o), `"Export"`) {
					exports = append(exports, name)
				}
			}
		})
	}
	if len(exports) != 2 || exports[0] == exports[1] {
		t.Errorf("want one export of the current version per release, each named differently, got %q", exports)
	}
}

func topLevel(id string) func(app awscdk.App) awscdk.Stack {
	return func(app awscdk.App) awscdk.Stack {
		if s, ok := app.Node().TryFindChild(jsii.String(id)).(awscdk.Stack); ok {
			return s
		}
		return awscdk.NewStack(app, jsii.String(id), nil)
	}
}

func inStage(stage, id string) func(app awscdk.App) awscdk.Stack {
	return func(app awscdk.App) awscdk.Stack {
		return awscdk.NewStack(awscdk.NewStage(app, jsii.String(stage), nil), jsii.String(id), nil)
	}
}

func asScope(f func(app awscdk.App) awscdk.Stack) func(app awscdk.App) constructs.Construct {
	return func(app awscdk.App) constructs.Construct { return f(app) }
}
