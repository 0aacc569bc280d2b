package test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/hooks"
	"github.com/safeship/lambda-bluegreen/constructs/hooks/hookconfig"
	"github.com/safeship/lambda-bluegreen/constructs/hooks/runner"
	"github.com/safeship/lambda-bluegreen/constructs/strategy"
	"github.com/safeship/lambda-bluegreen/test/testkit"
)

func intp(i int) *int { return &i }

func preTraffic() *hooks.PreTrafficProps {
	return &hooks.PreTrafficProps{
		Tests: []hooks.TestCase{{
			Name: "root", Payload: map[string]interface{}{"rawPath": "/"}, StatusCode: intp(200),
			Equals: map[string]interface{}{"body.ok": true}, Contains: map[string]string{"body.message": "hello"},
			MaxLatency: 2 * time.Second,
		}},
		Load: &hooks.LoadCheck{Budget: time.Second},
	}
}

// statements returns the policy statements of the role whose logical id starts with rolePrefix, and the ids of
// the policies holding them.
func statements(t *testing.T, tmpl assertions.Template, rolePrefix string) []map[string]interface{} {
	t.Helper()
	var out []map[string]interface{}
	for _, p := range testkit.Resources(tmpl, "AWS::IAM::Policy") {
		roles := testkit.JSONString(testkit.Props(p)["Roles"])
		if !strings.Contains(roles, `"Ref":"`+rolePrefix) {
			continue
		}
		doc := testkit.Props(p)["PolicyDocument"].(map[string]interface{})
		for _, s := range doc["Statement"].([]interface{}) {
			out = append(out, s.(map[string]interface{}))
		}
	}
	return out
}

// actionsOn maps each action of the statements to the JSON of every resource it is allowed on, one entry per
// resource (an action granted by several statements collects them all).
func actionsOn(stmts []map[string]interface{}) map[string][]string {
	out := map[string][]string{}
	list := func(v interface{}) []interface{} {
		if l, ok := v.([]interface{}); ok {
			return l
		}
		return []interface{}{v}
	}
	for _, s := range stmts {
		for _, a := range list(s["Action"]) {
			for _, r := range list(s["Resource"]) {
				out[a.(string)] = append(out[a.(string)], testkit.JSONString(r))
			}
		}
	}
	return out
}

// checkGrants fails unless every action of want is granted, on resources that each contain the wanted text, and
// no other action is granted; no action may end in "*", and no resource may be "*" unless allowed.
func checkGrants(t *testing.T, got map[string][]string, want map[string]string, starAllowed ...string) {
	t.Helper()
	for action, resource := range want {
		if len(got[action]) == 0 {
			t.Errorf("%s is not granted", action)
		}
		for _, r := range got[action] {
			if !strings.Contains(r, resource) {
				t.Errorf("%s on %s, want a resource with %q", action, r, resource)
			}
		}
	}
	allowed := map[string]bool{}
	for _, a := range starAllowed {
		allowed[a] = true
	}
	for action, resources := range got {
		if _, ok := want[action]; !ok {
			t.Errorf("unexpected permission %s on %v", action, resources)
		}
		if strings.HasSuffix(action, "*") {
			t.Errorf("wildcard action %s", action)
		}
		for _, r := range resources {
			if r == `"*"` && !allowed[action] {
				t.Errorf("%s on \"*\"", action)
			}
		}
	}
}

func TestPreTrafficHookIsWiredWithLeastPrivilege(t *testing.T) {
	stack := testkit.NewStack(t)
	d := testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{PreTraffic: preTraffic()})
	if d.PreTrafficHook() == nil || d.PreTrafficHook().Phase() != hookconfig.PreTraffic {
		t.Fatalf("no pre-traffic hook")
	}
	tmpl := testkit.Template(t, stack)

	testkit.HasResourceDefinition(t, tmpl, "AWS::Lambda::Alias", testkit.Like(testkit.Obj{
		"UpdatePolicy": testkit.Obj{"CodeDeployLambdaAliasUpdate": testkit.Like(testkit.Obj{
			"BeforeAllowTrafficHook": testkit.Obj{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^ApiPreTrafficHookFunction"))},
			"AfterAllowTrafficHook":  assertions.Match_Absent(),
		})},
	}))
	testkit.HasResource(t, tmpl, "AWS::Lambda::Function", testkit.Like(testkit.Obj{
		"Runtime": "provided.al2023", "Architectures": testkit.Arr{"arm64"}, "Timeout": 300,
		"Role": testkit.Obj{"Fn::GetAtt": testkit.Arr{assertions.Match_StringLikeRegexp(jsii.String("^ApiPreTrafficHookRole")), "Arn"}},
	}))

	got := actionsOn(statements(t, tmpl, "ApiPreTrafficHookRole"))
	want := map[string]string{
		"codedeploy:GetDeployment":                        appGroups,
		"codedeploy:PutLifecycleEventHookExecutionStatus": appGroups,
		"codedeploy:GetApplicationRevision":               `:application:`,
		"lambda:InvokeFunction":                           `"Api`,
		"logs:CreateLogStream":                            "ApiPreTrafficHookLogs",
		"logs:PutLogEvents":                               "ApiPreTrafficHookLogs",
		// The watchdog: its own schedules only, and the role Scheduler invokes the reporter as.
		"scheduler:CreateSchedule": ":schedule/default/bluegreen-*",
		"scheduler:DeleteSchedule": ":schedule/default/bluegreen-*",
		"iam:PassRole":             "ApiPreTrafficHookWatchdogRole",
	}
	checkGrants(t, got, want)
	// Invoke only the protected function's versions ("<function ARN>:*"), and the hook's failure reporter (its
	// on-failure destination).
	checkInvokes(t, got["lambda:InvokeFunction"], "ApiFunction", "ApiPreTrafficHookFailureReporter")
	// CodeDeploy's role may invoke the hook although it is not named CodeDeployHook_*.
	cd := actionsOn(statements(t, tmpl, "ApiDeploymentGroupServiceRole"))
	if !strings.Contains(strings.Join(cd["lambda:InvokeFunction"], " "), "ApiPreTrafficHookFunction") {
		t.Errorf("CodeDeploy's role cannot invoke the hook: %v", cd)
	}
	// The alias (whose update starts the deployment) waits for the hook and for CodeDeploy's permission.
	_, alias := testkit.OnlyResource(t, tmpl, "AWS::Lambda::Alias")
	deps := testkit.JSONString(alias["DependsOn"])
	for _, want := range []string{"ApiPreTrafficHookFunction", "ApiPreTrafficHookRoleDefaultPolicy", "ApiDeploymentGroupServiceRoleDefaultPolicy"} {
		if !strings.Contains(deps, want) {
			t.Errorf("alias DependsOn %s lacks %s", deps, want)
		}
	}
}

func TestPostTrafficHookPermissions(t *testing.T) {
	stack := testkit.NewStack(t)
	d := testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{PostTraffic: &hooks.PostTrafficProps{KeepVersions: intp(5),
		MinInvocations: jsii.Number(1)}})
	tmpl := testkit.Template(t, stack)
	testkit.HasResourceDefinition(t, tmpl, "AWS::Lambda::Alias", testkit.Like(testkit.Obj{
		"UpdatePolicy": testkit.Obj{"CodeDeployLambdaAliasUpdate": testkit.Like(testkit.Obj{
			"AfterAllowTrafficHook": testkit.Obj{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^ApiPostTrafficHookFunction"))},
		})},
	}))
	got := actionsOn(statements(t, tmpl, "ApiPostTrafficHookRole"))
	want := map[string]string{
		"codedeploy:GetDeployment":                        appGroups,
		"codedeploy:PutLifecycleEventHookExecutionStatus": appGroups,
		"codedeploy:GetApplicationRevision":               ":application:",
		"codedeploy:GetDeploymentGroup":                   appGroups,
		"cloudwatch:GetMetricStatistics":                  `"*"`,
		"cloudwatch:DescribeAlarms":                       `"*"`, // composite alarms are returned only to "*"
		"lambda:ListVersionsByFunction":                   "ApiFunction",
		"lambda:ListAliases":                              "ApiFunction",
		"lambda:ListProvisionedConcurrencyConfigs":        "ApiFunction",
		"lambda:ListEventSourceMappings":                  `"*"`, // no resource-level permissions
		"lambda:DeleteFunction":                           `":*"`,
		"logs:CreateLogStream":                            "ApiPostTrafficHookLogs",
		"logs:PutLogEvents":                               "ApiPostTrafficHookLogs",
		"scheduler:CreateSchedule":                        ":schedule/default/bluegreen-*",
		"scheduler:DeleteSchedule":                        ":schedule/default/bluegreen-*",
		"iam:PassRole":                                    "ApiPostTrafficHookWatchdogRole",
	}
	want["lambda:InvokeFunction"] = "ApiPostTrafficHookFailureReporter" // its on-failure destination, nothing else
	checkGrants(t, got, want, "cloudwatch:GetMetricStatistics", "cloudwatch:DescribeAlarms", "lambda:ListEventSourceMappings")
	// The wildcard carries its reason for cdk-nag.
	if reasons := nagReasons(t, testkit.Template(t, stack), "ApiPostTrafficHookRoleDefaultPolicy"); !strings.Contains(reasons, "lambda:ListEventSourceMappings") {
		t.Errorf("no cdk-nag reason names lambda:ListEventSourceMappings: %s", reasons)
	}
	checkInvokes(t, got["lambda:InvokeFunction"], "", "ApiPostTrafficHookFailureReporter")
	if d.PostTrafficHook().Phase() != hookconfig.PostTraffic {
		t.Errorf("phase %v", d.PostTrafficHook().Phase())
	}
}

// The declared checks ship beside the hook's binary as config.json, and the hook, alarms, group and alias form no
// dependency cycle (CloudFormation's validator would report one).
func TestHookConfigAndNoCycle(t *testing.T) {
	app := testkit.NewApp(t)
	stack := awscdk.NewStack(app, jsii.String("Hooked"), nil)
	testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{PreTraffic: preTraffic(),
		PostTraffic: &hooks.PostTrafficProps{MinInvocations: jsii.Number(10)}})
	var dir string
	testkit.NoPanic(t, func() { dir = *app.Synth(nil).Directory() })
	if t.Failed() {
		return
	}
	if errs := testkit.ValidationFindings(t, dir, "error", "fatal"); len(errs) > 0 {
		t.Fatalf("validation findings: %v", errs)
	}
	tmpl := assertions.Template_FromStack(stack, nil)
	found := 0
	for id, fn := range testkit.Resources(tmpl, "AWS::Lambda::Function") {
		if !strings.Contains(id, "TrafficHookFunction") {
			continue
		}
		cfg := testkit.HookConfig(t, dir, fn)
		found++
		switch cfg.Phase {
		case hookconfig.PreTraffic:
			if len(cfg.Tests) != 1 || cfg.Tests[0].StatusCode != 200 || compact(cfg.Tests[0].Payload) != `{"rawPath":"/"}` ||
				compact(cfg.Tests[0].Equals["body.ok"]) != "true" || cfg.Tests[0].MaxLatencyMillis != 2000 ||
				!cfg.MalformedEventProbe || cfg.Load == nil || cfg.Load.Invocations != 20 || cfg.Load.BudgetMillis != 1000 {
				t.Errorf("pre-traffic config: %+v", cfg)
			}
		case hookconfig.PostTraffic:
			if cfg.MinInvocations != 10 || !cfg.CheckAlarms || cfg.KeepVersions != 0 {
				t.Errorf("post-traffic config: %+v", cfg)
			}
		}
		key := strings.TrimSuffix(testkit.Props(fn)["Code"].(map[string]interface{})["S3Key"].(string), ".zip")
		if _, err := os.Stat(filepath.Join(dir, "asset."+key, "bootstrap")); err != nil {
			t.Errorf("%s: no bootstrap beside the config", id)
		}
	}
	if found != 2 {
		t.Errorf("found %d hook functions, want 2", found)
	}
}

// nagReasons returns the cdk-nag metadata (rules_to_suppress) of the resources whose logical id starts with prefix,
// as JSON.
func nagReasons(t *testing.T, tmpl assertions.Template, prefix string) string {
	t.Helper()
	var out []string
	for id, r := range (*tmpl.ToJSON())["Resources"].(map[string]interface{}) {
		if strings.HasPrefix(id, prefix) {
			meta, _ := r.(map[string]interface{})["Metadata"].(map[string]interface{})
			out = append(out, testkit.JSONString(meta["cdk_nag"]))
		}
	}
	if len(out) == 0 {
		t.Fatalf("no resource %s…", prefix)
	}
	return strings.Join(out, " ")
}

// checkInvokes fails unless every lambda:InvokeFunction resource is either "<function ARN>:*" of the protected
// function (logical id prefix fn; "" for none allowed) or the hook's failure reporter (reporter), and the reporter
// is among them.
func checkInvokes(t *testing.T, resources []string, fn, reporter string) {
	t.Helper()
	sawReporter := false
	for _, r := range resources {
		switch {
		case strings.Contains(r, `"`+reporter):
			sawReporter = true
		case fn != "" && strings.Contains(r, `["`+fn) && strings.Contains(r, `"Arn"]},":*"]`):
		default:
			t.Errorf("lambda:InvokeFunction on %s: only the protected function's versions and the failure reporter are allowed", r)
		}
	}
	if !sawReporter {
		t.Errorf("the hook may not invoke its failure reporter (%s): %v", reporter, resources)
	}
}

// A hook that never reports (a crash at start, out of memory, a timeout, or an event Lambda gives up on while
// throttled) reaches CodeDeploy as Failed within minutes: each hook's asynchronous invocation config sends a failed
// event to a failure reporter after at most 60 seconds (never 6 hours), with no retry; the reporter is the hook's
// binary in reporter mode, may only report to the hook's groups and write to the hook's log group, and is
// reachable as FailureReporter().
func TestHookFailuresReachCodeDeploy(t *testing.T) {
	stack := testkit.NewStack(t)
	d := testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{PreTraffic: preTraffic(), PostTraffic: &hooks.PostTrafficProps{}})
	other := testkit.Deploy(t, stack, "Other", nil)
	d.PostTrafficHook().AddTarget(other.Function(), other.DeploymentGroup())
	tmpl := testkit.Template(t, stack)
	for _, tc := range []struct {
		h      hooks.Hook
		prefix string
	}{{d.PreTrafficHook(), "ApiPreTrafficHook"}, {d.PostTrafficHook(), "ApiPostTrafficHook"}} {
		t.Run(string(tc.h.Phase()), func(t *testing.T) {
			if tc.h.FailureReporter() == nil || tc.h.FailureReporter().Role() == nil {
				t.Fatalf("FailureReporter() is not exposed")
			}
			reporter := testkit.Obj{"Fn::GetAtt": testkit.Arr{assertions.Match_StringLikeRegexp(jsii.String("^" + tc.prefix + "FailureReporter")), "Arn"}}
			testkit.HasResource(t, tmpl, "AWS::Lambda::EventInvokeConfig", testkit.Obj{
				"FunctionName":         testkit.Obj{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^" + tc.prefix + "Function"))},
				"Qualifier":            "$LATEST",
				"MaximumRetryAttempts": 0,
				// CodeDeploy's hour, less the hook's 5-minute timeout and a minute: an event that starts this late can
				// still report in time, so no queueing a healthy release survives fails it.
				"MaximumEventAgeInSeconds": 3240,
				"DestinationConfig":        testkit.Obj{"OnFailure": testkit.Obj{"Destination": reporter}},
			})
			testkit.HasResource(t, tmpl, "AWS::Lambda::Function", testkit.Like(testkit.Obj{
				"Runtime": "provided.al2023", "Handler": "bootstrap", "MemorySize": 128, "Timeout": 30,
				"Environment":   testkit.Obj{"Variables": testkit.Obj{runner.FailureReporterEnv: string(tc.h.Phase())}},
				"LoggingConfig": testkit.Obj{"LogGroup": testkit.Obj{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^" + tc.prefix + "Logs"))}},
				"Role":          testkit.Obj{"Fn::GetAtt": testkit.Arr{assertions.Match_StringLikeRegexp(jsii.String("^" + tc.prefix + "FailureReporterRole")), "Arn"}},
			}))
			// The watchdog: the hook knows the reporter and the role to invoke it as; Scheduler (of this account
			// only) may assume that role, and the role may only invoke the reporter.
			testkit.HasResource(t, tmpl, "AWS::Lambda::Function", testkit.Like(testkit.Obj{
				"Role": testkit.Obj{"Fn::GetAtt": testkit.Arr{assertions.Match_StringLikeRegexp(jsii.String("^" + tc.prefix + "Role")), "Arn"}},
				"Environment": testkit.Obj{"Variables": testkit.Like(testkit.Obj{
					runner.WatchdogTargetEnv: reporter,
					runner.WatchdogRoleEnv:   testkit.Obj{"Fn::GetAtt": testkit.Arr{assertions.Match_StringLikeRegexp(jsii.String("^" + tc.prefix + "WatchdogRole")), "Arn"}},
				})},
			}))
			testkit.HasResource(t, tmpl, "AWS::IAM::Role", testkit.Like(testkit.Obj{
				"AssumeRolePolicyDocument": testkit.Like(testkit.Obj{"Statement": testkit.Arr{testkit.Like(testkit.Obj{
					"Principal": testkit.Obj{"Service": "scheduler.amazonaws.com"},
					"Condition": testkit.Obj{"StringEquals": testkit.Obj{"aws:SourceAccount": testkit.Obj{"Ref": "AWS::AccountId"}}},
				})}}),
			}))
			checkGrants(t, actionsOn(statements(t, tmpl, tc.prefix+"WatchdogRole")),
				map[string]string{"lambda:InvokeFunction": tc.prefix + "FailureReporter"})
			got := actionsOn(statements(t, tmpl, tc.prefix+"FailureReporterRole"))
			checkGrants(t, got, map[string]string{
				"codedeploy:PutLifecycleEventHookExecutionStatus": appGroups,
				"logs:CreateLogStream":                            tc.prefix + "Logs",
				"logs:PutLogEvents":                               tc.prefix + "Logs",
			})
			groups := strings.Join(got["codedeploy:PutLifecycleEventHookExecutionStatus"], " ")
			if tc.h.Phase() == hookconfig.PostTraffic && !strings.Contains(groups, appGroups) {
				t.Errorf("AddTarget did not let the reporter report to the other group (of the same application): %s", groups)
			}
			// Whatever the reporter needs is in place before a deployment can invoke the hook.
			_, fn := onlyResourceWithPrefix(t, tmpl, "AWS::Lambda::Function", tc.prefix+"Function")
			if deps := testkit.JSONString(fn["DependsOn"]); !strings.Contains(deps, tc.prefix+"FailureReporterRoleDefaultPolicy") {
				t.Errorf("the hook does not wait for its reporter's permissions: DependsOn %s", deps)
			}
			if reasons := nagReasons(t, tmpl, tc.prefix+"FailureReporter"); !strings.Contains(reasons, "Serverless-LambdaDLQ") {
				t.Errorf("no cdk-nag reason for the reporter's missing DLQ: %s", reasons)
			}
		})
	}
}

// onlyResourceWithPrefix returns the one resource of type typ whose logical id starts with prefix.
func onlyResourceWithPrefix(t *testing.T, tmpl assertions.Template, typ, prefix string) (string, map[string]interface{}) {
	t.Helper()
	var id string
	var found map[string]interface{}
	for k, r := range testkit.Resources(tmpl, typ) {
		if strings.HasPrefix(k, prefix) {
			if found != nil {
				t.Fatalf("more than one %s %s…", typ, prefix)
			}
			id, found = k, r
		}
	}
	if found == nil {
		t.Fatalf("no %s %s…", typ, prefix)
	}
	return id, found
}

func compact(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return "invalid: " + string(raw)
	}
	return b.String()
}

func TestHookBadInput(t *testing.T) {
	cases := []struct {
		name  string
		props bluegreen.DeploymentProps
		want  []string
	}{
		{"no check left", bluegreen.DeploymentProps{PreTraffic: &hooks.PreTrafficProps{SkipMalformedEventProbe: true}},
			[]string{"PreTraffic.at least one check must remain"}},
		{"bad test cases", bluegreen.DeploymentProps{PreTraffic: &hooks.PreTrafficProps{Tests: []hooks.TestCase{
			{Name: "a", StatusCode: intp(700), MaxLatency: -time.Second},
			{Name: "a", Payload: json.RawMessage(`{broken`)},
			{Payload: func() {}},
		}}}, []string{
			"PreTraffic.Tests[0].StatusCode must be from 100 to 599, got 700",
			"PreTraffic.Tests[0].MaxLatency must be positive (or zero for no limit), got -1s",
			`PreTraffic.Tests[1].Name must be unique, got "a" twice`,
			"PreTraffic.Tests[1].Payload must marshal to JSON",
			`PreTraffic.Tests[2].Name must be set, got ""`,
		}},
		{"bad load check", bluegreen.DeploymentProps{PreTraffic: &hooks.PreTrafficProps{Load: &hooks.LoadCheck{
			Invocations: intp(5), Concurrency: intp(10), Percentile: jsii.Number(120)}}}, []string{
			"PreTraffic.Load.Concurrency must be from 1 to 100 and at most Invocations (5), got 10",
			"PreTraffic.Load.Percentile must be greater than 0 and at most 100, got 120",
			"PreTraffic.Load.Budget must be positive, got 0s",
		}},
		{"post-traffic with nothing left (the traffic gate is off by default)", bluegreen.DeploymentProps{
			PostTraffic: &hooks.PostTrafficProps{SkipAlarmCheck: true}},
			[]string{"PostTraffic.at least one check must remain, got none: keep the alarm check (SkipAlarmCheck false), " +
				"set MinInvocations above 0 (the traffic gate is off by default) or set KeepVersions"}},
		{"post-traffic that only prunes is fine", bluegreen.DeploymentProps{PostTraffic: &hooks.PostTrafficProps{
			SkipAlarmCheck: true, KeepVersions: intp(3)}}, nil},
		{"bad post-traffic", bluegreen.DeploymentProps{PostTraffic: &hooks.PostTrafficProps{
			MinInvocations: jsii.Number(-1), KeepVersions: intp(0)}}, []string{
			"PostTraffic.MinInvocations must be at least 0, got -1", "PostTraffic.KeepVersions must be at least 1, got 0",
		}},
		{"pre- and post-traffic together are fine", bluegreen.DeploymentProps{PreTraffic: preTraffic(),
			PostTraffic: &hooks.PostTrafficProps{}}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stack := testkit.NewStack(t)
			before := len(*stack.Node().Children())
			if tc.want == nil {
				testkit.NoPanic(t, func() { testkit.Deploy(t, stack, "Api", &tc.props) })
				return
			}
			msg := testkit.MustPanic(t, func() { testkit.Deploy(t, stack, "Api", &tc.props) })
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			if after := len(*stack.Node().Children()); after != before {
				t.Errorf("a refused deployment left %d constructs", after-before)
			}
		})
	}
	t.Run("pre-traffic tests and an own pre-hook", func(t *testing.T) {
		stack := testkit.NewStack(t)
		own := testkit.Deploy(t, stack, "Other", nil).Function()
		msg := testkit.MustPanic(t, func() {
			testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{PreTraffic: preTraffic(), PreHook: own})
		})
		if !strings.Contains(msg, "at most one of PreTraffic and PreHook may be set, got both") {
			t.Errorf("got %q", msg)
		}
	})
	t.Run("standalone hook without function or group", func(t *testing.T) {
		stack := testkit.NewStack(t)
		msg := testkit.MustPanic(t, func() { hooks.NewHook(stack, "Hook", &hooks.HookProps{Timeout: time.Hour}) })
		for _, w := range []string{"TestStack/Hook: invalid HookProps", "Function must be set, got nil",
			"DeploymentGroup must be set, got nil", "Timeout must be whole seconds from 30s to 15m0s, got 1h0m0s",
			"exactly one of PreTraffic and PostTraffic must be set, got neither"} {
			if !strings.Contains(msg, w) {
				t.Errorf("%q does not contain %q", msg, w)
			}
		}
	})
}

// Under all-at-once the post-traffic hook runs before any metric of green exists: it does not require
// invocations, but still checks the alarms.
func TestPostTrafficUnderAllAtOnce(t *testing.T) {
	app := testkit.NewApp(t)
	stack := awscdk.NewStack(app, jsii.String("Fast"), nil)
	testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{Strategy: strategy.AllAtOnce,
		PostTraffic: &hooks.PostTrafficProps{}})
	// A hook that only prunes is a valid hook under all-at-once too (it reports Succeeded: package runner's
	// TestPostTrafficOnlyPrunes).
	testkit.Deploy(t, stack, "Pruned", &bluegreen.DeploymentProps{Strategy: strategy.AllAtOnce,
		PostTraffic: &hooks.PostTrafficProps{SkipAlarmCheck: true, KeepVersions: intp(3)}})
	dir := *app.Synth(nil).Directory()
	tmpl := assertions.Template_FromStack(stack, nil)
	for id, fn := range testkit.Resources(tmpl, "AWS::Lambda::Function") {
		if !strings.HasPrefix(id, "ApiPostTrafficHookFunction") {
			continue
		}
		if cfg := testkit.HookConfig(t, dir, fn); cfg.MinInvocations != 0 || !cfg.CheckAlarms {
			t.Errorf("post-traffic config under all-at-once: %+v", cfg)
		}
	}
	// No traffic gate was asked for: nothing to say (TestTrafficGateWarnings covers a gate under all-at-once).
	if testkit.ContainsText(testkit.Annotations(t, stack, "warning"), "MinInvocations") {
		t.Errorf("a warning about a traffic gate nobody set: %v", testkit.Annotations(t, stack, "warning"))
	}
}

// One post-traffic hook can serve several deployments: it reads each one's function from its AppSpec, and
// AddTarget extends its permissions to the other function and group.
// appGroups is how a policy names every deployment group of the stack's shared CodeDeploy application
// ("deploymentgroup:<application>/*").
const appGroups = `":deploymentgroup:",{"Ref":"BlueGreenApplication0706B5EE"},"/*"`

func TestOneHookServesTwoDeployments(t *testing.T) {
	stack := testkit.NewStack(t)
	a := testkit.Deploy(t, stack, "A", &bluegreen.DeploymentProps{PostTraffic: &hooks.PostTrafficProps{KeepVersions: intp(3)}})
	b := testkit.Deploy(t, stack, "B", nil)
	a.PostTrafficHook().AddTarget(b.Function(), b.DeploymentGroup())
	b.DeploymentGroup().AddPostHook(a.PostTrafficHook().Function())
	tmpl := testkit.Template(t, stack)
	got := actionsOn(statements(t, tmpl, "APostTrafficHookRole"))
	for _, fn := range []string{`"AFunction`, `"BFunction`} {
		if !strings.Contains(strings.Join(got["lambda:DeleteFunction"], " "), fn) {
			t.Errorf("lambda:DeleteFunction on %v lacks %s", got["lambda:DeleteFunction"], fn)
		}
	}
	// Both groups are in the stack's application: one entry covers them, however many functions the hook serves.
	if r := got["codedeploy:PutLifecycleEventHookExecutionStatus"]; len(r) != 1 || !strings.Contains(r[0], appGroups) {
		t.Errorf("PutLifecycleEventHookExecutionStatus on %v, want only the application's groups %s", r, appGroups)
	}
	n := 0
	for _, alias := range testkit.Resources(tmpl, "AWS::Lambda::Alias") {
		if strings.Contains(testkit.JSONString(alias["UpdatePolicy"]), `"AfterAllowTrafficHook":{"Ref":"APostTrafficHookFunction`) {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d aliases use A's post-traffic hook, want 2", n)
	}
}

// The traffic gate is opt-in: by default the post-traffic hook requires no invocation, so a quiet function is
// never rolled back for want of callers, and its role gets no GetMetricStatistics.
func TestPostTrafficRequiresNoTrafficByDefault(t *testing.T) {
	if got := (&hooks.PostTrafficProps{}).RequiredInvocations(); got != 0 || hooks.DefaultMinInvocations != 0 {
		t.Errorf("RequiredInvocations() = %v, DefaultMinInvocations = %v, want 0", got, hooks.DefaultMinInvocations)
	}
	if got := (&hooks.PostTrafficProps{MinInvocations: jsii.Number(3)}).RequiredInvocations(); got != 3 {
		t.Errorf("RequiredInvocations() = %v, want 3", got)
	}
	var none *hooks.PostTrafficProps
	if none.RequiredInvocations() != 0 {
		t.Errorf("a nil PostTrafficProps requires invocations")
	}
	stack := testkit.NewStack(t)
	testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{PostTraffic: &hooks.PostTrafficProps{}})
	got := actionsOn(statements(t, testkit.Template(t, stack), "ApiPostTrafficHookRole"))
	if _, ok := got["cloudwatch:GetMetricStatistics"]; ok {
		t.Errorf("the default post-traffic hook reads metrics: the traffic gate must be off by default")
	}
	if _, ok := got["cloudwatch:DescribeAlarms"]; !ok {
		t.Errorf("the default post-traffic hook must still check the alarms")
	}
}

// The load check must fit in the protected function's reserved concurrency, which green's test calls share with
// the traffic blue serves; a reservation of 0 lets no test call run at all.
func TestHookLoadCheckWithinReservedConcurrency(t *testing.T) {
	withReserved := func(t *testing.T, stack awscdk.Stack, reserved *float64) *awslambda.FunctionProps {
		fp := *testkit.FunctionProps(t)
		fp.ReservedConcurrentExecutions = reserved
		return &fp
	}
	load := func(concurrency int) *hooks.PreTrafficProps {
		return &hooks.PreTrafficProps{Load: &hooks.LoadCheck{Budget: time.Second, Invocations: intp(20), Concurrency: intp(concurrency)}}
	}
	for _, tc := range []struct {
		name     string
		reserved *float64
		pre      *hooks.PreTrafficProps
		want     string // "" when the hook is fine
	}{
		{"below the load check's concurrency", jsii.Number(2), load(5),
			"PreTraffic.Load.Concurrency must be at most the ReservedConcurrentExecutions of Function TestStack/Api/Function (2), got 5"},
		{"reservation of 0", jsii.Number(0), &hooks.PreTrafficProps{},
			"Function TestStack/Api/Function has ReservedConcurrentExecutions 0, which throttles every invocation"},
		{"equal to the load check's concurrency", jsii.Number(5), load(5), ""},
		{"above the load check's concurrency", jsii.Number(50), load(5), ""},
		{"tests only, small reservation", jsii.Number(1), &hooks.PreTrafficProps{Tests: preTraffic().Tests}, ""},
		{"no reservation", nil, load(20), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stack := testkit.NewStack(t)
			props := &bluegreen.DeploymentProps{FunctionProps: withReserved(t, stack, tc.reserved), PreTraffic: tc.pre}
			if tc.want == "" {
				testkit.NoPanic(t, func() { testkit.Deploy(t, stack, "Api", props) })
				return
			}
			if msg := testkit.MustPanic(t, func() { testkit.Deploy(t, stack, "Api", props) }); !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not contain %q", msg, tc.want)
			}
		})
	}
	t.Run("a reservation known only at deploy time is not checked", func(t *testing.T) {
		stack := testkit.NewStack(t)
		param := awscdk.NewCfnParameter(stack, jsii.String("Reserved"), &awscdk.CfnParameterProps{Type: jsii.String("Number")})
		props := &bluegreen.DeploymentProps{FunctionProps: withReserved(t, stack, param.ValueAsNumber()), PreTraffic: load(5)}
		testkit.NoPanic(t, func() { testkit.Deploy(t, stack, "Api", props) })
	})
	t.Run("a standalone hook", func(t *testing.T) {
		stack := testkit.NewStack(t)
		fp := withReserved(t, stack, jsii.Number(3))
		fn := awslambda.NewFunction(stack, jsii.String("Fn"), fp)
		group := testkit.Deploy(t, stack, "Other", nil).DeploymentGroup()
		msg := testkit.MustPanic(t, func() {
			hooks.NewHook(stack, "Hook", &hooks.HookProps{Function: fn, DeploymentGroup: group, PreTraffic: load(4)})
		})
		if !strings.Contains(msg, "TestStack/Hook: invalid HookProps: PreTraffic.Load.Concurrency must be at most the "+
			"ReservedConcurrentExecutions of Function TestStack/Fn (3), got 4") {
			t.Errorf("got %q", msg)
		}
	})
	t.Run("AddTarget", func(t *testing.T) {
		stack := testkit.NewStack(t)
		a := testkit.Deploy(t, stack, "A", &bluegreen.DeploymentProps{PreTraffic: load(4)})
		b := testkit.Deploy(t, stack, "B", &bluegreen.DeploymentProps{FunctionProps: withReserved(t, stack, jsii.Number(2))})
		msg := testkit.MustPanic(t, func() { a.PreTrafficHook().AddTarget(b.Function(), b.DeploymentGroup()) })
		if !strings.Contains(msg, "TestStack/A/PreTrafficHook: AddTarget: PreTraffic.Load.Concurrency must be at most the "+
			"ReservedConcurrentExecutions of Function TestStack/B/Function (2), got 4") {
			t.Errorf("got %q", msg)
		}
	})
}
