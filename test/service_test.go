package test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/alarms"
	"github.com/safeship/lambda-bluegreen/constructs/hooks"
	"github.com/safeship/lambda-bluegreen/constructs/hooks/hookconfig"
	"github.com/safeship/lambda-bluegreen/constructs/service"
	"github.com/safeship/lambda-bluegreen/constructs/strategy"
	"github.com/safeship/lambda-bluegreen/test/testkit"
)

func resourceCount(tmpl assertions.Template) int {
	var doc struct {
		Resources map[string]interface{} `json:"Resources"`
	}
	b, _ := json.Marshal(tmpl.ToJSON())
	_ = json.Unmarshal(b, &doc)
	return len(doc.Resources)
}

// MaxResourcesPerServiceFunction is the target for each additional protected function with tests.
const maxResourcesPerServiceFunction = 12

func TestServiceSharesHooksAndRole(t *testing.T) {
	_, two, _ := testkit.NewService(t, 2, nil)
	_, three, svc := testkit.NewService(t, 3, nil)
	tmpl := testkit.Template(t, three)
	per := resourceCount(tmpl) - resourceCount(testkit.Template(t, two))
	t.Logf("each additional protected function with tests costs %d resources (%d in a 3-function stack)", per, resourceCount(tmpl))
	if per > maxResourcesPerServiceFunction {
		t.Errorf("each additional function costs %d resources, want at most %d", per, maxResourcesPerServiceFunction)
	}
	// One pre-traffic and one post-traffic hook (each with its failure reporter) for the three functions, one
	// CodeDeploy role for the three groups, one release guard for the stack.
	testkit.CountIs(t, tmpl, "AWS::Lambda::Function", 3+4+1)
	testkit.CountIs(t, tmpl, "AWS::CodeDeploy::DeploymentGroup", 3)
	testkit.CountIs(t, tmpl, "AWS::CodeDeploy::Application", 1)
	if len(svc.Deployments()) != 3 || svc.PreTrafficHook() == nil || svc.PostTrafficHook() == nil || svc.DeploymentRole() == nil ||
		svc.Deployment("Fn1") != svc.Deployments()[1] {
		t.Fatalf("the service must expose its deployments, hooks and role")
	}
	roleID := *three.GetLogicalId(svc.DeploymentRole().Node().DefaultChild().(awscdk.CfnElement))
	preID := *three.GetLogicalId(svc.PreTrafficHook().Function().Node().DefaultChild().(awscdk.CfnElement))
	postID := *three.GetLogicalId(svc.PostTrafficHook().Function().Node().DefaultChild().(awscdk.CfnElement))
	for id, g := range testkit.Resources(tmpl, "AWS::CodeDeploy::DeploymentGroup") {
		if role := testkit.JSONString(testkit.Props(g)["ServiceRoleArn"]); !strings.Contains(role, roleID) {
			t.Errorf("group %s uses role %s, want the shared %s", id, role, roleID)
		}
	}
	for id, a := range testkit.Resources(tmpl, "AWS::Lambda::Alias") {
		update := testkit.JSONString(a["UpdatePolicy"])
		deps := testkit.JSONString(a["DependsOn"])
		if !strings.Contains(update, preID) || !strings.Contains(update, postID) || !strings.Contains(deps, preID) ||
			!strings.Contains(deps, postID) {
			t.Errorf("alias %s must use and wait for both shared hooks: update %s, depends on %s", id, update, deps)
		}
	}
}

// The shared pre-traffic hook runs each function's own tests: its configuration holds them by key and each
// function after the first carries its key as a tag; the hook may read those tags and invoke those versions.
func TestServiceHookRunsEachFunctionsOwnTests(t *testing.T) {
	app, stack, svc := testkit.NewService(t, 3, nil)
	dir := *app.Synth(nil).Directory()
	tmpl := testkit.Template(t, stack)
	var cfg hookconfig.Config
	for id, fn := range testkit.Resources(tmpl, "AWS::Lambda::Function") {
		if !strings.Contains(id, "PreTrafficHookFunction") {
			continue
		}
		cfg = testkit.HookConfig(t, dir, fn)
	}
	if len(cfg.Tests) != 1 || cfg.Tests[0].Name != "root of 0" || len(cfg.Targets) != 2 ||
		cfg.Targets["Fn1"].Tests[0].Name != "root of 1" || cfg.Targets["Fn2"].Tests[0].Name != "root of 2" {
		t.Fatalf("hook configuration: %+v", cfg)
	}
	for i, d := range svc.Deployments() {
		id := *stack.GetLogicalId(d.Function().Node().DefaultChild().(awscdk.CfnElement))
		tags := testkit.JSONString(testkit.Props(testkit.Resources(tmpl, "AWS::Lambda::Function")[id])["Tags"])
		tagged := strings.Contains(tags, fmt.Sprintf(`{"Key":"%s","Value":"Fn%d"}`, hookconfig.TargetTagKey, i))
		if tagged != (i > 0) {
			t.Errorf("function %d tags %s", i, tags)
		}
	}
	policy := ""
	for _, p := range testkit.Resources(tmpl, "AWS::IAM::Policy") {
		if doc := testkit.JSONString(testkit.Props(p)["PolicyDocument"]); strings.Contains(doc, "lambda:GetFunction") {
			policy = doc
		}
	}
	for _, d := range svc.Deployments() {
		id := *stack.GetLogicalId(d.Function().Node().DefaultChild().(awscdk.CfnElement))
		if strings.Count(policy, id) < 2 { // its versions (invoke) and the function (GetFunction)
			t.Errorf("the hook's policy must let it invoke and read %s: %s", id, policy)
		}
	}
}

// The service's one post-traffic hook serves every function, not only the first: each alias runs it after its
// shift, its configuration holds the same checks for all (it reads each deployment's function from the AppSpec, so
// it needs no per-function entry), and its role may do what those checks need on each function and deployment
// group. Permissions are checked by meaning (which action on which ARN), not by the policy's shape.
func TestServicePostTrafficHookCoversEveryFunction(t *testing.T) {
	app, stack, svc := testkit.NewService(t, 3, func(p *service.Props) { p.PostTraffic.MinInvocations = jsii.Number(5) })
	dir := *app.Synth(nil).Directory()
	tmpl := testkit.Template(t, stack)
	m := newTemplateModel(tmpl, *stack.StackName())
	id := func(c constructs.IConstruct) string {
		return *stack.GetLogicalId(c.Node().DefaultChild().(awscdk.CfnElement))
	}
	post := svc.PostTrafficHook()
	postID := id(post.Function())

	cfg := testkit.HookConfig(t, dir, m.resources[postID])
	if cfg.Phase != hookconfig.PostTraffic || !cfg.CheckAlarms || cfg.MinInvocations != 5 || cfg.KeepVersions != 10 ||
		len(cfg.Targets) != 0 || len(cfg.Tests) != 0 {
		t.Fatalf("post-traffic hook configuration: want one set of post-traffic checks for every function "+
			"(alarms, 5 invocations, keep 10 versions), no per-function targets: %+v", cfg)
	}

	hookRole := m.roleStatements(id(post.Role()))
	reporterRole := m.roleStatements(id(post.FailureReporter().Role()))
	codeDeployRole := m.roleStatements(id(svc.DeploymentRole()))
	if len(svc.Deployments()) != 3 {
		t.Fatalf("want 3 deployments, got %d", len(svc.Deployments()))
	}
	arn := func(service, resource string) string {
		return fmt.Sprintf("arn:%s:%s:%s:%s:%s", testPartition, service, testRegion, testAccount, resource)
	}
	for _, d := range svc.Deployments() {
		name := *d.Node().Id()
		fnArn := m.arn(id(d.Function()))
		groupID := id(d.DeploymentGroup())
		group := m.resources[groupID]
		appName := m.expand(testkit.Props(group)["ApplicationName"])
		groupArn := arn("codedeploy", "deploymentgroup:"+appName+"/"+m.physicalName(groupID))

		// The alias's shift runs the shared hook, in this function's group.
		update := testkit.JSONString(m.resources[id(d.Alias())]["UpdatePolicy"])
		if !strings.Contains(update, `"AfterAllowTrafficHook":{"Ref":"`+postID+`"}`) ||
			!strings.Contains(update, `"DeploymentGroupName":{"Ref":"`+groupID+`"}`) {
			t.Errorf("%s: the alias's update must run the post-traffic hook in the function's group: %s", name, update)
		}
		if !allows(codeDeployRole, "lambda:InvokeFunction", m.arn(postID)) {
			t.Errorf("%s: CodeDeploy's role may not invoke the post-traffic hook", name)
		}

		need := []struct{ action, resource string }{
			// Read the deployment and report its result.
			{"codedeploy:GetDeployment", groupArn},
			{"codedeploy:PutLifecycleEventHookExecutionStatus", groupArn},
			{"codedeploy:GetApplicationRevision", arn("codedeploy", "application:"+appName)},
			// The alarm check: the group's alarms, then their states (DescribeAlarms on "*", see the hook).
			{"codedeploy:GetDeploymentGroup", groupArn},
			{"cloudwatch:DescribeAlarms", "*"},
			// The traffic gate: GetMetricStatistics has no resource-level permissions.
			{"cloudwatch:GetMetricStatistics", "*"},
			// Pruning: list what is in use, delete old versions (qualified ARNs) only.
			{"lambda:ListVersionsByFunction", fnArn},
			{"lambda:ListAliases", fnArn},
			{"lambda:ListProvisionedConcurrencyConfigs", fnArn},
			{"lambda:ListEventSourceMappings", "*"},
			{"lambda:DeleteFunction", fnArn + ":3"},
		}
		for _, n := range need {
			if !allows(hookRole, n.action, n.resource) {
				t.Errorf("%s: the post-traffic hook's role may not %s on %s", name, n.action, n.resource)
			}
		}
		if allows(hookRole, "lambda:DeleteFunction", fnArn) {
			t.Errorf("%s: the post-traffic hook's role may delete the function itself (%s), not only old versions", name, fnArn)
		}
		if !allows(reporterRole, "codedeploy:PutLifecycleEventHookExecutionStatus", groupArn) {
			t.Errorf("%s: the failure reporter may not report to the function's group %s", name, groupArn)
		}
		alarmCfg, _ := testkit.Props(group)["AlarmConfiguration"].(map[string]interface{})
		if len(asList(alarmCfg["Alarms"])) == 0 {
			t.Errorf("%s: the group has no alarms for the hook to check", name)
		}
	}
	// Scoped: nothing outside the service's functions and application.
	other := fmt.Sprintf("arn:%s:lambda:%s:%s:function:SomeoneElsesFunction", testPartition, testRegion, testAccount)
	if allows(hookRole, "lambda:DeleteFunction", other+":3") || allows(hookRole, "lambda:ListAliases", other) {
		t.Errorf("the post-traffic hook's role reaches a function outside the service: %s", other)
	}
	if allows(hookRole, "codedeploy:PutLifecycleEventHookExecutionStatus", arn("codedeploy", "deploymentgroup:OtherApp/g")) {
		t.Error("the post-traffic hook's role reaches a deployment group of another application")
	}
}

func TestServiceFunctionOverridesAndBadInput(t *testing.T) {
	_, stack, svc := testkit.NewService(t, 2, func(p *service.Props) {
		p.Strategy = strategy.Linear10PercentEvery10Minutes
		p.Functions[1].Strategy = strategy.AllAtOnce
	})
	if svc.Deployments()[0].Strategy() != strategy.Linear10PercentEvery10Minutes || svc.Deployments()[1].Strategy() != strategy.AllAtOnce {
		t.Errorf("strategies %v, %v", svc.Deployments()[0].Strategy(), svc.Deployments()[1].Strategy())
	}
	testkit.Template(t, stack)

	msg := testkit.MustPanic(t, func() {
		service.New(testkit.NewStack(t), "Shop", &service.Props{Functions: []service.Function{
			{ID: "Api"}, {ID: "Api", FunctionProps: testkit.FunctionProps(t)}, {ID: "pre-traffic", FunctionProps: testkit.FunctionProps(t)},
		}})
	})
	for _, want := range []string{"TestStack/Shop: invalid service.Props",
		"Functions[0]: exactly one of Function and FunctionProps must be set",
		`Functions[1].ID must be unique and not DeploymentRole, PreTrafficHook or PostTrafficHook, got "Api"`,
		`Functions[2].ID must be a construct id of letters and digits starting with a letter, got "pre-traffic"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q does not contain %q", msg, want)
		}
	}
	if msg := testkit.MustPanic(t, func() { service.New(testkit.NewStack(t), "Shop", nil) }); !strings.Contains(msg, "Functions must list at least one function, got none") {
		t.Errorf("got %q", msg)
	}
}

// A latency budget at or above a function's timeout is refused with the service's field names: the service's
// GreenAlarms for each function that inherits them, a function's own GreenAlarms by its index.
func TestServiceRefusesALatencyBudgetAtTheTimeout(t *testing.T) {
	slow := testkit.FunctionProps(t)
	slow.Timeout = awscdk.Duration_Seconds(jsii.Number(5))
	own := &alarms.Options{Latency: alarms.LatencyOptions{Budget: 5 * time.Second}}
	stack := testkit.NewStack(t)
	msg := testkit.MustPanic(t, func() {
		service.New(stack, "Shop", &service.Props{
			GreenAlarms: alarms.Options{Latency: alarms.LatencyOptions{Budget: 3 * time.Second}},
			Functions: []service.Function{
				{ID: "Api", FunctionProps: testkit.FunctionProps(t)},
				{ID: "Report", FunctionProps: slow, GreenAlarms: own},
				{ID: "Batch", FunctionProps: slow},
			}})
	})
	for _, want := range []string{"TestStack/Shop: invalid service.Props: ",
		"Functions[0] (Api): GreenAlarms.Latency.Budget must be below the function's timeout (3s): Lambda stops an " +
			"invocation at its timeout, so green's latency never exceeds it and the alarm could never fire, got 3s",
		"Functions[1].GreenAlarms.Latency.Budget must be below the function's timeout (5s)", "got 5s"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q does not contain %q", msg, want)
		}
	}
	if strings.Contains(msg, "Functions[2]") {
		t.Errorf("a budget below the function's timeout must pass: %q", msg)
	}
	if stack.Node().TryFindChild(jsii.String("Shop")) != nil {
		t.Error("a refused service left its construct in the tree")
	}
}

func TestHookTargetsBadInput(t *testing.T) {
	stack := testkit.NewStack(t)
	a, b := testkit.Deploy(t, stack, "A", nil), testkit.Deploy(t, stack, "B", nil)
	tests := &hooks.PreTrafficProps{Tests: []hooks.TestCase{{Name: "x"}}}
	msg := testkit.MustPanic(t, func() {
		hooks.NewHook(stack, "Hook", &hooks.HookProps{Function: a.Function(), DeploymentGroup: a.DeploymentGroup(),
			PreTraffic: tests, Targets: []hooks.Target{
				{Key: "b", Function: b.Function(), DeploymentGroup: b.DeploymentGroup(), PreTraffic: tests},
				{Key: "b", Function: b.Function(), DeploymentGroup: b.DeploymentGroup(), PreTraffic: tests},
				{Key: "a key with spaces!", Function: b.Function(), DeploymentGroup: b.DeploymentGroup(), PreTraffic: tests},
				{Key: "c", Function: b.Function()},
			}})
	})
	for _, want := range []string{`Targets[1].Key must be unique, got "b" twice`,
		`Targets[2].Key must be 1 to 128 letters, digits and "_.:/=+-@", got "a key with spaces!"`,
		"Targets[3]: Function, DeploymentGroup and PreTraffic must be set"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q does not contain %q", msg, want)
		}
	}
	msg = testkit.MustPanic(t, func() {
		hooks.NewHook(stack, "Post", &hooks.HookProps{Function: a.Function(), DeploymentGroup: a.DeploymentGroup(),
			PostTraffic: &hooks.PostTrafficProps{}, Targets: []hooks.Target{{Key: "b"}}})
	})
	if !strings.Contains(msg, "Targets are only for a pre-traffic hook (PreTraffic set), got PostTraffic") {
		t.Errorf("got %q", msg)
	}
}

// The service's one post-traffic hook serves every function: a traffic gate that can only fail under a function's
// strategy (all at once, or a shift shorter than the metric lag and a minute) is refused at synth, naming the
// function, as it is for a Deployment.
func TestServiceRefusesAGateThatCanOnlyFail(t *testing.T) {
	for _, tc := range []struct {
		name  string
		tweak func(*service.Props)
		want  string
	}{
		{"an all-at-once service", func(p *service.Props) { p.Strategy = strategy.AllAtOnce },
			"Functions[0] (Fn0): PostTraffic.MinInvocations 5 cannot be met under AllAtOnce"},
		{"one function on a 2-minute canary", func(p *service.Props) { p.Functions[1].Strategy = strategy.Canary(10, 2*time.Minute) },
			"Functions[1] (Fn1): PostTraffic.MinInvocations 5 cannot be met under Canary10Percent2Minutes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := testkit.MustPanic(t, func() {
				testkit.NewService(t, 2, func(p *service.Props) {
					p.PostTraffic.MinInvocations = jsii.Number(5)
					tc.tweak(p)
				})
			})
			if !strings.Contains(msg, "invalid service.Props: "+tc.want) && !strings.Contains(msg, tc.want) {
				t.Errorf("got %q, want %q", msg, tc.want)
			}
		})
	}
}
