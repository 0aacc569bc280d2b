package deployment

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/alarms"
	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/hooks"
	"github.com/safeship/lambda-bluegreen/constructs/strategy"
	"github.com/safeship/lambda-bluegreen/test/testkit"
)

func newAlarm(stack awscdk.Stack, id string) awscloudwatch.Alarm {
	return awscloudwatch.NewAlarm(stack, jsii.String(id), &awscloudwatch.AlarmProps{
		Metric: awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String("Test"), MetricName: jsii.String(id),
		}),
		Threshold:         jsii.Number(1),
		EvaluationPeriods: jsii.Number(1),
	})
}

func TestPredefinedStrategiesUseCodeDeployConfigs(t *testing.T) {
	stack := testkit.NewStack(t)
	names := map[string]bool{}
	for _, s := range strategy.Predefined() {
		testkit.Deploy(t, stack, s.String(), &bluegreen.DeploymentProps{Strategy: s})
		names[s.PredefinedName()] = true
	}
	tmpl := testkit.Template(t, stack)
	testkit.CountIs(t, tmpl, "AWS::CodeDeploy::DeploymentConfig", 0)
	got := map[string]bool{}
	for _, r := range testkit.Resources(tmpl, "AWS::CodeDeploy::DeploymentGroup") {
		name, _ := testkit.Props(r)["DeploymentConfigName"].(string)
		got[name] = true
	}
	for name := range names {
		if !got[name] {
			t.Errorf("no deployment group uses %s; got %v", name, got)
		}
	}
	if len(got) != 9 {
		t.Errorf("want the 9 predefined Lambda configs, got %d: %v", len(got), got)
	}
}

func TestDefaultStrategyIsCanary10Percent5Minutes(t *testing.T) {
	stack := testkit.NewStack(t)
	d := testkit.Deploy(t, stack, "Api", nil)
	if d.Strategy() != strategy.Canary10Percent5Minutes {
		t.Errorf("Strategy() = %v, want Canary10Percent5Minutes", d.Strategy())
	}
	testkit.HasResource(t, testkit.Template(t, stack), "AWS::CodeDeploy::DeploymentGroup", testkit.Like(testkit.Obj{
		"DeploymentConfigName": "CodeDeployDefault.LambdaCanary10Percent5Minutes",
		"DeploymentStyle":      testkit.Obj{"DeploymentOption": "WITH_TRAFFIC_CONTROL", "DeploymentType": "BLUE_GREEN"},
	}))
}

func TestCustomStrategiesDefineSharedConfigs(t *testing.T) {
	stack := testkit.NewStack(t)
	a := testkit.Deploy(t, stack, "A", &bluegreen.DeploymentProps{Strategy: strategy.Canary(5, 7*time.Minute)})
	b := testkit.Deploy(t, stack, "B", &bluegreen.DeploymentProps{Strategy: strategy.Canary(5, 7*time.Minute)})
	testkit.Deploy(t, stack, "C", &bluegreen.DeploymentProps{Strategy: strategy.Linear(20, 3*time.Minute)})
	testkit.Deploy(t, stack, "D", &bluegreen.DeploymentProps{Strategy: strategy.Linear(20, 3*time.Minute)})
	if *a.DeploymentConfig().DeploymentConfigName() != *b.DeploymentConfig().DeploymentConfigName() {
		t.Errorf("equal custom strategies must share one config")
	}
	tmpl := testkit.Template(t, stack)
	testkit.CountIs(t, tmpl, "AWS::CodeDeploy::DeploymentConfig", 2)
	testkit.HasResource(t, tmpl, "AWS::CodeDeploy::DeploymentConfig", testkit.Obj{
		"ComputePlatform": "Lambda",
		"TrafficRoutingConfig": testkit.Obj{
			"Type":            "TimeBasedCanary",
			"TimeBasedCanary": testkit.Obj{"CanaryInterval": 7, "CanaryPercentage": 5},
		},
	})
	testkit.HasResource(t, tmpl, "AWS::CodeDeploy::DeploymentConfig", testkit.Obj{
		"ComputePlatform": "Lambda",
		"TrafficRoutingConfig": testkit.Obj{
			"Type":            "TimeBasedLinear",
			"TimeBasedLinear": testkit.Obj{"LinearInterval": 3, "LinearPercentage": 20},
		},
	})
	// Every group refers to one of the two configs.
	configs := testkit.Resources(tmpl, "AWS::CodeDeploy::DeploymentConfig")
	for id, g := range testkit.Resources(tmpl, "AWS::CodeDeploy::DeploymentGroup") {
		ref, _ := testkit.Props(g)["DeploymentConfigName"].(map[string]interface{})
		if _, ok := configs[ref["Ref"].(string)]; !ok {
			t.Errorf("group %s: DeploymentConfigName %v is not a Ref to a config of the stack", id, testkit.Props(g)["DeploymentConfigName"])
		}
	}
}

func TestCustomConfigsAreSharedPerStackNotPerApp(t *testing.T) {
	app := testkit.NewApp(t)
	var stacks []awscdk.Stack
	for _, id := range []string{"One", "Two"} {
		stack := awscdk.NewStack(app, jsii.String(id), nil)
		testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{Strategy: strategy.Linear(25, 2*time.Minute)})
		stacks = append(stacks, stack)
	}
	for _, stack := range stacks {
		testkit.CountIs(t, testkit.Template(t, stack), "AWS::CodeDeploy::DeploymentConfig", 1)
	}
}

func TestAliasIsShiftedByCodeDeploy(t *testing.T) {
	stack := testkit.NewStack(t)
	testkit.Deploy(t, stack, "Api", nil)
	tmpl := testkit.Template(t, stack)
	app := assertions.NewCapture(nil)
	group := assertions.NewCapture(nil)
	testkit.HasResourceDefinition(t, tmpl, "AWS::Lambda::Alias", testkit.Like(testkit.Obj{
		"Properties": testkit.Like(testkit.Obj{"Name": "live"}),
		"UpdatePolicy": testkit.Obj{"CodeDeployLambdaAliasUpdate": testkit.Obj{
			"ApplicationName":     testkit.Obj{"Ref": app},
			"DeploymentGroupName": testkit.Obj{"Ref": group},
		}},
	}))
	if t.Failed() {
		return
	}
	appID, _ := testkit.OnlyResource(t, tmpl, "AWS::CodeDeploy::Application")
	groupID, _ := testkit.OnlyResource(t, tmpl, "AWS::CodeDeploy::DeploymentGroup")
	if *app.AsString() != appID || *group.AsString() != groupID {
		t.Errorf("alias update policy refers to %s/%s, want %s/%s", *app.AsString(), *group.AsString(), appID, groupID)
	}
	// The alias points at the function's current version, never at $LATEST.
	testkit.HasResource(t, tmpl, "AWS::Lambda::Alias", testkit.Like(testkit.Obj{
		"FunctionVersion": testkit.Obj{"Fn::GetAtt": testkit.Arr{assertions.Match_StringLikeRegexp(jsii.String("CurrentVersion")), "Version"}},
	}))
}

func TestCustomAliasName(t *testing.T) {
	stack := testkit.NewStack(t)
	testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{AliasName: jsii.String("prod-traffic")})
	testkit.HasResource(t, testkit.Template(t, stack), "AWS::Lambda::Alias", testkit.Like(testkit.Obj{"Name": "prod-traffic"}))
}

// Every version that served a release is kept; the green of a stack operation that rolls back is deleted, so
// that the same commit can be deployed again (see TestLifecycle… for the sequences).
func TestVersionsAreRetainedExceptOnCreate(t *testing.T) {
	stack := testkit.NewStack(t)
	testkit.Deploy(t, stack, "Api", nil)
	testkit.HasResourceDefinition(t, testkit.Template(t, stack), "AWS::Lambda::Version", testkit.Like(testkit.Obj{
		"DeletionPolicy":      "RetainExceptOnCreate",
		"UpdateReplacePolicy": "Retain",
	}))
}

// A pinned deploy moves the alias, and the green alarms, to an older version with the deployment's strategy.
func TestPinnedVersion(t *testing.T) {
	stack := testkit.NewStack(t)
	d := testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{PinnedVersion: jsii.String("6")})
	tmpl := testkit.Template(t, stack)
	testkit.HasResource(t, tmpl, "AWS::Lambda::Alias", testkit.Like(testkit.Obj{"FunctionVersion": "6"}))
	// The current version stays in the template (nothing is deleted), and the green alarms watch version 6.
	testkit.CountIs(t, tmpl, "AWS::Lambda::Version", 1)
	for id, a := range testkit.Resources(tmpl, "AWS::CloudWatch::Alarm") {
		name, metrics := testkit.JSONString(testkit.Props(a)["AlarmName"]), testkit.JSONString(testkit.Props(a)["Metrics"])
		if !strings.Contains(name, "-v6") || !strings.Contains(metrics, `{"Name":"ExecutedVersion","Value":"6"}`) {
			t.Errorf("alarm %s must watch the pinned version 6: name %s, metrics %s", id, name, metrics)
		}
	}
	if d.PinnedVersion() != "6" || !testkit.ContainsText(testkit.Annotations(t, stack, "warning"), "PINNED: this deploy moves alias live to version 6") {
		t.Errorf("PinnedVersion() = %q; warnings %v", d.PinnedVersion(), testkit.Annotations(t, stack, "warning"))
	}

	for _, bad := range []string{"$LATEST", "0", "live", "6 "} {
		msg := testkit.MustPanic(t, func() {
			testkit.Deploy(t, testkit.NewStack(t), "Api", &bluegreen.DeploymentProps{PinnedVersion: jsii.String(bad)})
		})
		if !strings.Contains(msg, fmt.Sprintf(`PinnedVersion must be a published version number such as "6" ($LATEST and aliases cannot be pinned), got %q`, bad)) {
			t.Errorf("pin %q: %s", bad, msg)
		}
	}
}

func TestPinsFromContext(t *testing.T) {
	cases := []struct {
		value interface{}
		want  map[string]string
		err   string
	}{
		{nil, nil, ""},
		{"Svc/Api=6", map[string]string{"Svc/Api": "6"}, ""},
		{" Svc/Api = 6 , /Other/Fn/=12", map[string]string{"Svc/Api": "6", "Other/Fn": "12"}, ""},
		{"Svc/Api", nil, `each entry must be <deployment path>=<version number>, such as BlueGreenServiceProd/Service=6, got "Svc/Api"`},
		{"Svc/Api=$LATEST", nil, "got \"Svc/Api=$LATEST\""},
		{"Svc/Api=6,Svc/Api=7", nil, "Svc/Api is pinned twice"},
	}
	for _, tc := range cases {
		app := testkit.NewAppWith(t, map[string]interface{}{bluegreen.PinContextKey: tc.value})
		got, err := bluegreen.PinsFromContext(app)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%v: error %v, want %q", tc.value, err, tc.err)
		case tc.err == "" && (err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want)):
			t.Errorf("%v: got %v, %v; want %v", tc.value, got, err, tc.want)
		}
	}
}

func TestExistingFunction(t *testing.T) {
	stack := testkit.NewStack(t)
	fn := awslambda.NewFunction(stack, jsii.String("Mine"), testkit.FunctionProps(t))
	d := bluegreen.NewDeployment(stack, "Api", &bluegreen.DeploymentProps{Function: fn})
	if d.Function() != fn {
		t.Errorf("Function() must return the function given")
	}
	tmpl := testkit.Template(t, stack)
	testkit.CountIs(t, tmpl, "AWS::Lambda::Function", 1+1) // yours, and the stack's release guard
	testkit.HasResourceDefinition(t, tmpl, "AWS::Lambda::Version", testkit.Like(testkit.Obj{"DeletionPolicy": "RetainExceptOnCreate"}))
	testkit.CountIs(t, tmpl, "AWS::Lambda::Alias", 1)
}

func TestRollbackWithoutAlarms(t *testing.T) {
	stack := testkit.NewStack(t)
	testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{GreenAlarms: alarms.Options{Disabled: true}})
	testkit.HasResource(t, testkit.Template(t, stack), "AWS::CodeDeploy::DeploymentGroup", testkit.Like(testkit.Obj{
		"AutoRollbackConfiguration": testkit.Obj{
			"Enabled": true,
			"Events":  testkit.Arr{"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST"},
		},
		"AlarmConfiguration": testkit.Obj{"Enabled": false},
	}))
}

func TestRollbackOnAlarms(t *testing.T) {
	for _, late := range []bool{false, true} {
		name := "in props"
		if late {
			name = "added later"
		}
		t.Run(name, func(t *testing.T) {
			stack := testkit.NewStack(t)
			alarm := newAlarm(stack, "Errors")
			var d bluegreen.Deployment
			if late {
				d = testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{GreenAlarms: alarms.Options{Disabled: true}})
				d.AddAlarm(alarm)
			} else {
				d = testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{GreenAlarms: alarms.Options{Disabled: true}, Alarms: []awscloudwatch.IAlarm{alarm}})
			}
			if len(d.Alarms()) != 1 {
				t.Errorf("Alarms() has %d alarms, want 1", len(d.Alarms()))
			}
			testkit.HasResource(t, testkit.Template(t, stack), "AWS::CodeDeploy::DeploymentGroup", testkit.Like(testkit.Obj{
				"AutoRollbackConfiguration": testkit.Obj{
					"Enabled": true,
					"Events":  testkit.Arr{"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST", "DEPLOYMENT_STOP_ON_ALARM"},
				},
				"AlarmConfiguration": testkit.Obj{
					"Enabled": true,
					"Alarms":  testkit.Arr{testkit.Obj{"Name": testkit.Obj{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^Errors"))}}},
				},
			}))
		})
	}
}

// A removed alarm must not stay attached: even without the removeAlarmsFromDeploymentGroup feature flag, a group
// with no alarm left renders AlarmConfiguration.Enabled = false (CloudFormation would otherwise keep the old list).
func TestNoStaleAlarmsWithoutFeatureFlag(t *testing.T) {
	app := testkit.NewAppWith(t, map[string]interface{}{"@aws-cdk/aws-codedeploy:removeAlarmsFromDeploymentGroup": false})
	stack := awscdk.NewStack(app, jsii.String("NoFlag"), nil)
	testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{GreenAlarms: alarms.Options{Disabled: true}})
	testkit.HasResource(t, testkit.Template(t, stack), "AWS::CodeDeploy::DeploymentGroup", testkit.Like(testkit.Obj{
		"AlarmConfiguration": testkit.Obj{"Enabled": false},
	}))
}

func TestSharedApplication(t *testing.T) {
	t.Run("one per stack", func(t *testing.T) {
		stack := testkit.NewStack(t)
		a := testkit.Deploy(t, stack, "A", nil)
		b := testkit.Deploy(t, stack, "B", nil)
		if a.Application() != b.Application() {
			t.Errorf("two deployments in one stack must share the application")
		}
		tmpl := testkit.Template(t, stack)
		testkit.CountIs(t, tmpl, "AWS::CodeDeploy::Application", 1)
		testkit.CountIs(t, tmpl, "AWS::CodeDeploy::DeploymentGroup", 2)
		appID, _ := testkit.OnlyResource(t, tmpl, "AWS::CodeDeploy::Application")
		for id, g := range testkit.Resources(tmpl, "AWS::CodeDeploy::DeploymentGroup") {
			if ref := testkit.Props(g)["ApplicationName"]; testkit.JSONString(ref) != testkit.JSONString(testkit.Obj{"Ref": appID}) {
				t.Errorf("group %s: ApplicationName = %v, want Ref %s", id, ref, appID)
			}
		}
	})
	t.Run("given by the user", func(t *testing.T) {
		stack := testkit.NewStack(t)
		mine := awscodedeploy.NewLambdaApplication(stack, jsii.String("Mine"), nil)
		d := testkit.Deploy(t, stack, "A", &bluegreen.DeploymentProps{Application: mine})
		if d.Application() != mine {
			t.Errorf("Application() must return the application given")
		}
		tmpl := testkit.Template(t, stack)
		testkit.CountIs(t, tmpl, "AWS::CodeDeploy::Application", 1)
		testkit.HasResource(t, tmpl, "AWS::CodeDeploy::DeploymentGroup", testkit.Like(testkit.Obj{
			"ApplicationName": testkit.Obj{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^Mine"))},
		}))
	})
}

func TestHooksAreWired(t *testing.T) {
	stack := testkit.NewStack(t)
	pre := awslambda.NewFunction(stack, jsii.String("PreHook"), testkit.FunctionProps(t))
	post := awslambda.NewFunction(stack, jsii.String("PostHook"), testkit.FunctionProps(t))
	testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{PreHook: pre, PostHook: post})
	tmpl := testkit.Template(t, stack)
	testkit.HasResourceDefinition(t, tmpl, "AWS::Lambda::Alias", testkit.Like(testkit.Obj{
		"UpdatePolicy": testkit.Obj{"CodeDeployLambdaAliasUpdate": testkit.Like(testkit.Obj{
			"BeforeAllowTrafficHook": testkit.Obj{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^PreHook"))},
			"AfterAllowTrafficHook":  testkit.Obj{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^PostHook"))},
		})},
	}))
	// CodeDeploy's role may invoke the hooks although they are not named CodeDeployHook_*.
	testkit.HasResource(t, tmpl, "AWS::IAM::Policy", testkit.Like(testkit.Obj{
		"PolicyDocument": testkit.Like(testkit.Obj{"Statement": testkit.ArrayWith(testkit.Like(testkit.Obj{
			"Action":   "lambda:InvokeFunction",
			"Resource": testkit.ArrayWith(testkit.Obj{"Fn::GetAtt": testkit.Arr{assertions.Match_StringLikeRegexp(jsii.String("^PreHook")), "Arn"}}),
		}))}),
		"Roles": testkit.Arr{testkit.Obj{"Ref": assertions.Match_StringLikeRegexp(jsii.String("DeploymentGroupServiceRole"))}},
	}))
}

func TestGrantInvokeTargetsTheAlias(t *testing.T) {
	stack := testkit.NewStack(t)
	d := testkit.Deploy(t, stack, "Api", nil)
	caller := awsiam.NewRole(stack, jsii.String("Caller"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("ec2.amazonaws.com"), nil),
	})
	d.GrantInvoke(caller)
	testkit.HasResource(t, testkit.Template(t, stack), "AWS::IAM::Policy", testkit.Like(testkit.Obj{
		"PolicyDocument": testkit.Like(testkit.Obj{"Statement": testkit.ArrayWith(testkit.Like(testkit.Obj{
			"Action":   "lambda:InvokeFunction",
			"Resource": testkit.Obj{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^ApiAlias"))},
		}))}),
		"Roles": testkit.Arr{testkit.Obj{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^Caller"))}},
	}))
}

func TestMetricsTargetTheAlias(t *testing.T) {
	stack := testkit.NewStack(t)
	d := testkit.Deploy(t, stack, "Api", nil)
	metrics := map[string]awscloudwatch.Metric{
		"Errors":      d.MetricErrors(nil),
		"Invocations": d.MetricInvocations(nil),
		"Duration":    d.MetricDuration(nil),
		"Throttles":   d.MetricThrottles(nil),
		"ConcurrentExecutions": d.Metric("ConcurrentExecutions", &awscloudwatch.MetricOptions{
			Statistic: jsii.String("Maximum"),
		}),
	}
	for name, m := range metrics {
		m.CreateAlarm(stack, jsii.String(name+"Alarm"), &awscloudwatch.CreateAlarmOptions{
			Threshold: jsii.Number(1), EvaluationPeriods: jsii.Number(1),
		})
	}
	tmpl := testkit.Template(t, stack)
	for name := range metrics {
		testkit.HasResource(t, tmpl, "AWS::CloudWatch::Alarm", testkit.Like(testkit.Obj{
			"Namespace":  "AWS/Lambda",
			"MetricName": name,
			"Dimensions": testkit.ArrayWith(testkit.Obj{
				"Name": "Resource",
				"Value": testkit.Obj{"Fn::Join": testkit.Arr{"", testkit.Arr{
					testkit.Obj{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^ApiFunction"))}, ":live",
				}}},
			}),
		}))
	}
}

func TestExposedResources(t *testing.T) {
	stack := testkit.NewStack(t)
	d := testkit.Deploy(t, stack, "Api", nil)
	if d.Function() == nil || d.Version() == nil || d.Alias() == nil || d.Application() == nil ||
		d.DeploymentGroup() == nil || d.DeploymentConfig() == nil {
		t.Fatalf("every resource must be exposed")
	}
	if *d.Alias().AliasName() != "live" {
		t.Errorf("AliasName = %q", *d.Alias().AliasName())
	}
	if got := *d.DeploymentGroup().DeploymentConfig().DeploymentConfigName(); got != "CodeDeployDefault.LambdaCanary10Percent5Minutes" {
		t.Errorf("group config = %q", got)
	}
}

// An alarm on the alias's own metrics, added to its deployment group, must not create a dependency cycle between
// alarm, alias and group (aws-cdk#2231); CloudFormation's validator (E3004) would report one.
func TestAliasAlarmCreatesNoCycle(t *testing.T) {
	app := testkit.NewApp(t)
	stack := awscdk.NewStack(app, jsii.String("Cycle"), nil)
	d := testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{GreenAlarms: alarms.Options{Disabled: true}})
	d.AddAlarm(d.MetricErrors(nil).CreateAlarm(stack, jsii.String("ApiErrors"), &awscloudwatch.CreateAlarmOptions{
		Threshold: jsii.Number(1), EvaluationPeriods: jsii.Number(1),
	}))
	var dir string
	testkit.NoPanic(t, func() { dir = *app.Synth(nil).Directory() })
	if t.Failed() {
		return
	}
	if errs := testkit.ValidationFindings(t, dir, "error", "fatal"); len(errs) > 0 {
		t.Errorf("validation findings: %v", errs)
	}
	testkit.HasResource(t, assertions.Template_FromStack(stack, nil), "AWS::CodeDeploy::DeploymentGroup", testkit.Like(testkit.Obj{
		"AlarmConfiguration": testkit.Obj{"Enabled": true, "Alarms": testkit.Arr{testkit.Obj{"Name": testkit.Obj{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^ApiErrors"))}}}},
	}))
}

// A post-traffic traffic gate is opt-in; a gate that can only fail (a shift shorter than the metric lag and a
// minute, or all at once) is refused at synth, naming the field, the value and what is allowed. The emergency
// bypass and a pin ship all at once: the gate is then not applied to that deploy (with a warning), never refused.
func TestTrafficGateRefusedWhenItCanOnlyFail(t *testing.T) {
	cases := []struct {
		name   string
		s      strategy.Strategy
		min    *float64
		bypass bool
		want   string // the error, "" for none
	}{
		{"no gate", strategy.Canary(10, 2*time.Minute), nil, false, ""},
		{"gate with a 5-minute canary", strategy.Canary10Percent5Minutes, jsii.Number(5), false, ""},
		{"gate with a 3-minute canary", strategy.Canary(10, 3*time.Minute), jsii.Number(1), false, ""},
		{"gate with a 2-minute canary", strategy.Canary(10, 2*time.Minute), jsii.Number(5), false,
			"PostTraffic.MinInvocations 5 cannot be met under Canary10Percent2Minutes: the post-traffic hook counts " +
				"green's invocations 2m0s after the shift starts, but AWS/Lambda publishes them up to 2m0s late"},
		{"gate under all-at-once", strategy.AllAtOnce, jsii.Number(5), false,
			"PostTraffic.MinInvocations 5 cannot be met under AllAtOnce: the post-traffic hook runs right after the shift"},
		{"gate with the emergency bypass", strategy.Canary(10, 2*time.Minute), jsii.Number(5), true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stack := testkit.NewStack(t)
			props := &bluegreen.DeploymentProps{Strategy: tc.s, EmergencyBypass: jsii.Bool(tc.bypass),
				PostTraffic: &hooks.PostTrafficProps{MinInvocations: tc.min}}
			if tc.want != "" {
				msg := testkit.MustPanic(t, func() { testkit.Deploy(t, stack, "Api", props) })
				if !strings.Contains(msg, "TestStack/Api: invalid DeploymentProps: "+tc.want) {
					t.Errorf("got %q, want %q", msg, tc.want)
				}
				return
			}
			testkit.Deploy(t, stack, "Api", props)
			warnings := testkit.Annotations(t, stack, "warning")
			if tc.bypass != testkit.ContainsText(warnings, "PostTraffic.MinInvocations 5 is not applied to this deploy") {
				t.Errorf("bypass %v, warnings %v", tc.bypass, warnings)
			}
		})
	}
}

// Under all-at-once a traffic gate is refused; under the emergency bypass it is dropped, and a post-traffic hook
// that then has nothing to check is refused with the reason, before anything is defined.
func TestPostTrafficWithNothingLeftUnderAllAtOnce(t *testing.T) {
	for _, bypass := range []bool{false, true} {
		s := strategy.AllAtOnce
		if bypass {
			s = strategy.Canary10Percent5Minutes
		}
		msg := testkit.MustPanic(t, func() {
			testkit.Deploy(t, testkit.NewStack(t), "Api", &bluegreen.DeploymentProps{Strategy: s, EmergencyBypass: jsii.Bool(bypass),
				PostTraffic: &hooks.PostTrafficProps{MinInvocations: jsii.Number(5), SkipAlarmCheck: true}})
		})
		want := "TestStack/Api: invalid DeploymentProps: PostTraffic.MinInvocations 5 cannot be met under AllAtOnce"
		if bypass {
			want = "TestStack/Api: invalid DeploymentProps: PostTraffic: under the emergency bypass or a pin the traffic gate MinInvocations is not applied"
		}
		if !strings.Contains(msg, want) {
			t.Errorf("bypass %v: got %q, want %q", bypass, msg, want)
		}
	}
}
