package deployment

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/dashboard"
	"github.com/safeship/lambda-bluegreen/constructs/hooks"
	"github.com/safeship/lambda-bluegreen/constructs/notify"
	"github.com/safeship/lambda-bluegreen/constructs/quota"
	"github.com/safeship/lambda-bluegreen/constructs/service"
	"github.com/safeship/lambda-bluegreen/test/testkit"
)

// longStackName is the longest stack name CloudFormation takes (128 characters): every name CloudFormation
// generates from it is as long as the service allows.
var longStackName = "CheckoutServiceProduction" + strings.Repeat("x", 128-len("CheckoutServiceProduction"))

// scaleService defines, in a stack of the longest name written without indentation, a service of n functions the
// way a platform team ships dozens of them from one stack: one role and one log group for the functions, a pre-traffic test each, one
// post-traffic hook that prunes, provisioned concurrency on every fifth function, notifications and a dashboard.
func scaleService(t *testing.T, n int) (awscdk.App, awscdk.Stack) {
	t.Helper()
	// A template of this size is uploaded as CDK writes it: without indentation it fits CloudFormation's 1 MB.
	app := testkit.NewAppWith(t, map[string]interface{}{quota.SuppressIndentationContext: true})
	stack := awscdk.NewStack(app, jsii.String(longStackName), nil)
	awscdk.Annotations_Of(stack).AcknowledgeWarning(jsii.String(bluegreen.StackSizeWarning),
		jsii.String("the test fills the stack on purpose"))
	logs := awslogs.NewLogGroup(stack, jsii.String("FunctionLogs"), &awslogs.LogGroupProps{RemovalPolicy: awscdk.RemovalPolicy_DESTROY})
	role := awsiam.NewRole(stack, jsii.String("FunctionRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil)})
	logs.GrantWrite(role)
	code := testkit.HelloCode(t)
	fs := make([]service.Function, n)
	for i := range fs {
		id := fmt.Sprintf("CheckoutFunction%02d", i)
		fs[i] = service.Function{ID: id, FunctionProps: &awslambda.FunctionProps{
			Code: code, Runtime: awslambda.Runtime_PROVIDED_AL2023(), Architecture: awslambda.Architecture_ARM_64(),
			Handler: jsii.String("bootstrap"), Role: role, LogGroup: logs, Timeout: awscdk.Duration_Seconds(jsii.Number(10)),
			Environment: &map[string]*string{"STAGE": jsii.String(id)},
		}, PreTraffic: &hooks.PreTrafficProps{Tests: []hooks.TestCase{{Name: id, MaxLatency: 2 * time.Second,
			Payload: map[string]interface{}{"rawPath": "/" + id}}}}}
		if i%5 == 0 {
			fs[i].ProvisionedConcurrency = jsii.Number(2)
		}
	}
	keep := 5
	svc := service.New(stack, "Shop", &service.Props{Functions: fs, PostTraffic: &hooks.PostTrafficProps{KeepVersions: &keep}})
	notify.New(stack, "Notifications", &notify.Props{Deployments: svc.Deployments(), Emails: []string{"team@example.com"}})
	dashboard.New(stack, "Dashboard", &dashboard.Props{Deployments: svc.Deployments()})
	return app, stack
}

// measureTemplate sizes a synthesized template with the quota check's own rules, independently of the check that
// ran at synth.
func measureTemplate(t *testing.T, name string, tmpl assertions.Template) []quota.Measurement {
	t.Helper()
	var doc struct {
		Resources  map[string]quota.Resource `json:"Resources"`
		Outputs    map[string]interface{}    `json:"Outputs"`
		Parameters map[string]interface{}    `json:"Parameters"`
	}
	b, _ := json.Marshal(tmpl.ToJSON())
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return quota.Measure(quota.Template{StackName: name, Resources: doc.Resources, Outputs: len(doc.Outputs),
		Parameters: len(doc.Parameters)}, quota.DefaultAssumptions)
}

// Services of 10, 20 and 47 functions synthesize with no quota error, and every IAM policy, event pattern and
// resource policy of their stacks, resolved at the longest names, is under its quota.
func TestQuotaServicesAtScale(t *testing.T) {
	for _, n := range []int{10, 20, 47} {
		t.Run(fmt.Sprintf("functions=%d", n), func(t *testing.T) {
			start := time.Now()
			_, stack := scaleService(t, n)
			defined := time.Since(start)
			tmpl := testkit.Template(t, stack) // fails on a quota error
			t.Logf("defined in %v, synthesized in %v", defined, time.Since(start)-defined)
			ms := measureTemplate(t, longStackName, tmpl)
			worst := map[quota.Key]quota.Measurement{}
			for _, m := range ms {
				if m.Size > worst[m.Key].Size || worst[m.Key].Key == "" {
					worst[m.Key] = m
				}
			}
			for _, key := range []quota.Key{quota.ResourcesPerStack, quota.RoleInlinePolicies, quota.ManagedPolicySize,
				quota.ManagedPoliciesPerRole, quota.TrustPolicy, quota.EventPattern, quota.FunctionPolicy,
				quota.Environment, quota.TopicPolicy, quota.KeyPolicy, quota.DashboardMetrics} {
				if _, ok := worst[key]; !ok {
					t.Errorf("nothing measured for %s", key)
				}
			}
			var lines []string
			for key, m := range worst {
				q, _ := quota.Lookup(key)
				lines = append(lines, fmt.Sprintf("%s %d/%d (%s)", key, m.Size, q.Limit, m.What))
				if m.Size > q.Limit {
					t.Errorf("%s of %s: %d, over AWS's quota of %d", key, m.What, m.Size, q.Limit)
				}
			}
			sort.Strings(lines)
			b, _ := json.Marshal(tmpl.ToJSON())
			t.Logf("template %d bytes; largest of each quota:\n%s", len(b), strings.Join(lines, "\n"))
		})
	}
}

// The check fails the synth above a quota, naming the resource, the quota, the size and what to change; a raised
// quota lets the same stack through.
func TestQuotaCheckFailsSynthAndRaiseLetsThrough(t *testing.T) {
	build := func(raise bool) (awscdk.App, awscdk.Stack) {
		app := testkit.NewApp(t)
		stack := awscdk.NewStack(app, jsii.String("Alarmed"), nil)
		d := testkit.Deploy(t, stack, "Api", nil)
		for i := 0; i < 47; i++ { // 4 green alarms + 47 = 51 alarms on the group
			d.AddAlarm(awscloudwatchAlarm(stack, fmt.Sprintf("Business%d", i), d))
		}
		if raise {
			quota.Raise(stack, quota.AlarmsPerGroup, 60)
		}
		return app, stack
	}
	app, _ := build(false)
	msg := testkit.MustPanic(t, func() { app.Synth(nil) })
	for _, want := range []string{"[Alarmed/" + quota.CheckID + "]", "deployment group Alarmed/Api/DeploymentGroup",
		"51 alarms, is over AWS's quota of 50 per deployment group", "quota codedeploy.alarmsPerDeploymentGroup",
		"composite alarm", `quota.Raise(stack, "codedeploy.alarmsPerDeploymentGroup", value)`} {
		if !strings.Contains(msg, want) {
			t.Errorf("synth error lacks %q: %s", want, msg)
		}
	}
	app, _ = build(true)
	testkit.NoPanic(t, func() { app.Synth(nil) })
	msg = testkit.MustPanic(t, func() {
		quota.Raise(awscdk.NewStack(testkit.NewApp(t), jsii.String("S"), nil), quota.ResourcesPerStack, 600)
	})
	if !strings.Contains(msg, "S: quota.Raise: quota cloudformation.resources (500 resources per stack) is not adjustable") {
		t.Errorf("Raise of an unadjustable quota: %s", msg)
	}
}

// awscloudwatchAlarm defines a rollback alarm of d's own (a business metric stand-in).
func awscloudwatchAlarm(stack awscdk.Stack, id string, d bluegreen.Deployment) awscloudwatch.IAlarm {
	return awscloudwatch.NewAlarm(stack, jsii.String(id), &awscloudwatch.AlarmProps{
		Metric: d.MetricErrors(nil), Threshold: jsii.Number(1), EvaluationPeriods: jsii.Number(1),
	})
}

// The service guide lists the quota table exactly as the check holds it.
func TestDocsListTheQuotaTable(t *testing.T) {
	if table := quota.Markdown(); !strings.Contains(string(readDoc(t, "docs/service.md")), table) {
		t.Errorf("docs/service.md must carry the quota table under \"AWS quotas, checked at synth\" exactly as "+
			"quota.Markdown() renders it:\n%s", table)
	}
}

// A shared hook moves its Lambda permissions past hooks.InlineFunctions functions into managed policies of
// hooks.FunctionsPerPolicy functions, defined only when they hold a statement: a post-traffic hook that prunes
// nothing has none.
func TestSharedHookGrantPolicies(t *testing.T) {
	n := hooks.InlineFunctions + hooks.FunctionsPerPolicy + 1 // two managed policies for the pre-traffic hook
	_, stack, _ := testkit.NewService(t, n, func(p *service.Props) { p.PostTraffic = &hooks.PostTrafficProps{} })
	tmpl := testkit.Template(t, stack)
	var names []string
	for id := range testkit.Resources(tmpl, "AWS::IAM::ManagedPolicy") {
		names = append(names, id)
	}
	sort.Strings(names)
	if len(names) != 2 || !strings.HasPrefix(names[0], "ShopPreTrafficHookFunctionGrants1") ||
		!strings.HasPrefix(names[1], "ShopPreTrafficHookFunctionGrants2") {
		t.Errorf("managed policies %v, want the pre-traffic hook's FunctionGrants1 and FunctionGrants2 only", names)
	}
}

// CDK uploads a template as it writes it, indented unless told otherwise: the check counts the indentation in its
// estimate of the template, and warns (an estimate never fails the synth) when the indented template would pass
// CloudFormation's 1 MB, naming the context key that suppresses indentation.
func TestQuotaCountsTheTemplateAsWritten(t *testing.T) {
	build := func(extra map[string]interface{}) awscdk.Stack {
		app := testkit.NewAppWith(t, extra)
		stack := awscdk.NewStack(app, jsii.String("Big"), nil)
		testkit.Deploy(t, stack, "Api", nil)
		quota.Of(stack).AddTemplateBytes(700_000) // a large document written with an override
		return stack
	}
	warnings := testkit.Annotations(t, build(nil), "warning")
	want := "bytes of template as CDK writes it (estimated), is estimated over AWS's quota of 1000000"
	if !testkit.ContainsText(warnings, want) || !testkit.ContainsText(warnings, "@aws-cdk/core:suppressTemplateIndentation") {
		t.Errorf("warnings %v lack %q and the context key", warnings, want)
	}
	if testkit.ContainsText(testkit.Annotations(t, build(map[string]interface{}{quota.SuppressIndentationContext: true}), "warning"),
		"bytes of template") {
		t.Errorf("without indentation the template is under 80 %% of the quota, yet the check warns")
	}
}

// A function's environment over Lambda's 4 KB fails the synth when its values are known; values known only at
// deploy time are estimated, which warns and never blocks a stack that may well fit.
func TestQuotaEnvironment(t *testing.T) {
	env := func(n int, value func(i int) *string) (awscdk.App, awscdk.Stack) {
		app := testkit.NewApp(t)
		stack := awscdk.NewStack(app, jsii.String("Env"), nil)
		vars := map[string]*string{}
		for i := 0; i < n; i++ {
			vars[fmt.Sprintf("VAR_%02d", i)] = value(i)
		}
		p := testkit.FunctionProps(t)
		p.Environment = &vars
		testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{FunctionProps: p})
		return app, stack
	}
	app, _ := env(5, func(int) *string { return jsii.String(strings.Repeat("v", 900)) }) // 5 × (6 + 900) > 4,096
	msg := testkit.MustPanic(t, func() { app.Synth(nil) })
	if !strings.Contains(msg, "4530 bytes of all environment variables, keys and values, is over AWS's quota of 4096") {
		t.Errorf("synth error %s", msg)
	}
	_, tokens := env(40, func(int) *string { return awscdk.Aws_STACK_NAME() }) // estimated 40 × (6 + 128)
	if w := testkit.Annotations(t, tokens, "warning"); !testkit.ContainsText(w, "is estimated over AWS's quota of 4096") {
		t.Errorf("warnings %v, want the estimate over the quota", w)
	}
}
