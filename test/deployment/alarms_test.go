package deployment

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/alarms"
	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/dashboard"
	"github.com/safeship/lambda-bluegreen/constructs/quota"
	"github.com/safeship/lambda-bluegreen/constructs/strategy"
	"github.com/safeship/lambda-bluegreen/examples/service"
	"github.com/safeship/lambda-bluegreen/test/testkit"
)

// greenDims matches the dimensions of a metric of green's own traffic through the live alias of ApiFunction.
func greenDims() assertions.Matcher {
	return assertions.Match_ArrayEquals(&[]interface{}{
		testkit.Obj{"Name": "ExecutedVersion", "Value": testkit.Obj{"Fn::GetAtt": testkit.Arr{assertions.Match_StringLikeRegexp(jsii.String("^ApiFunctionCurrentVersion")), "Version"}}},
		testkit.Obj{"Name": "FunctionName", "Value": testkit.Obj{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^ApiFunction[0-9A-F]+$"))}},
		testkit.Obj{"Name": "Resource", "Value": testkit.Obj{"Fn::Join": testkit.Arr{"", testkit.Arr{testkit.Obj{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^ApiFunction[0-9A-F]+$"))}, ":live"}}}},
	})
}

// aliasDims matches the dimensions of a metric of all the alias's traffic.
func aliasDims() assertions.Matcher {
	return assertions.Match_ArrayEquals(&[]interface{}{
		testkit.Obj{"Name": "FunctionName", "Value": testkit.Obj{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^ApiFunction[0-9A-F]+$"))}},
		testkit.Obj{"Name": "Resource", "Value": testkit.Obj{"Fn::Join": testkit.Arr{"", testkit.Arr{testkit.Obj{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^ApiFunction[0-9A-F]+$"))}, ":live"}}}},
	})
}

// metricStat matches one metric of an alarm's Metrics array: the inputs of a math expression return no data, the
// single metric of a plain alarm ("m1") does.
func metricStat(id, name, stat string, dims assertions.Matcher) assertions.Matcher {
	return testkit.Like(testkit.Obj{"Id": id, "ReturnData": id == "m1", "MetricStat": testkit.Obj{
		"Metric": testkit.Obj{"Namespace": "AWS/Lambda", "MetricName": name, "Dimensions": dims},
		"Period": 60, "Stat": stat,
	}})
}

const greenRate = "(100 * FILL(ge, 0) / IF(FILL(gi, 0) < 100, 100, FILL(gi, 0)))"
const aliasRate = "(100 * FILL(ae, 0) / IF(FILL(ai, 0) < 100, 100, FILL(ai, 0)))"

func TestDefaultGreenAlarms(t *testing.T) {
	stack := testkit.NewStack(t)
	fp := testkit.FunctionProps(t)
	fp.Timeout = awscdk.Duration_Seconds(jsii.Number(10))
	d := testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{FunctionProps: fp})
	if d.GreenAlarms() == nil || len(d.GreenAlarms().Alarms()) != 4 || len(d.Alarms()) != 4 {
		t.Fatalf("want 4 default green alarms")
	}
	tmpl := testkit.Template(t, stack)
	testkit.CountIs(t, tmpl, "AWS::CloudWatch::Alarm", 4)

	t.Run("error rate", func(t *testing.T) {
		testkit.HasResource(t, tmpl, "AWS::CloudWatch::Alarm", testkit.Obj{
			"AlarmDescription":   assertions.Match_StringLikeRegexp(jsii.String("^Green's error rate is above 5%")),
			"ComparisonOperator": "GreaterThanThreshold",
			"Threshold":          5,
			// FILL supplies the newest datapoints until AWS/Lambda's late data arrives: the window covers the
			// period in progress and 2 minutes of lag (alarms.LatePeriods), beside the one datapoint to alarm.
			"EvaluationPeriods": 4,
			"DatapointsToAlarm": 1,
			"TreatMissingData":  "notBreaching",
			"Metrics": assertions.Match_ArrayWith(&[]interface{}{
				testkit.Like(testkit.Obj{"Expression": greenRate, "ReturnData": true}),
				metricStat("ge", "Errors", "Sum", greenDims()),
				metricStat("gi", "Invocations", "Sum", greenDims()),
			}),
		})
	})
	t.Run("relative error rate", func(t *testing.T) {
		testkit.HasResource(t, tmpl, "AWS::CloudWatch::Alarm", testkit.Obj{
			"AlarmDescription":   assertions.Match_StringLikeRegexp(jsii.String("exceeds the alias's by more than 2 percentage points")),
			"ComparisonOperator": "GreaterThanThreshold",
			"Threshold":          2,
			"EvaluationPeriods":  5,
			"DatapointsToAlarm":  2,
			"TreatMissingData":   "notBreaching",
			"Metrics": assertions.Match_ArrayWith(&[]interface{}{
				testkit.Like(testkit.Obj{"Expression": greenRate + " - " + aliasRate}),
				metricStat("ae", "Errors", "Sum", aliasDims()),
				metricStat("ai", "Invocations", "Sum", aliasDims()),
				metricStat("ge", "Errors", "Sum", greenDims()),
				metricStat("gi", "Invocations", "Sum", greenDims()),
			}),
		})
	})
	t.Run("throttles", func(t *testing.T) {
		testkit.HasResource(t, tmpl, "AWS::CloudWatch::Alarm", testkit.Like(testkit.Obj{
			"Metrics":   testkit.Arr{metricStat("m1", "Throttles", "Sum", greenDims())},
			"Threshold": 5, "ComparisonOperator": "GreaterThanThreshold", "EvaluationPeriods": 1, "DatapointsToAlarm": 1,
			"TreatMissingData": "notBreaching",
		}))
	})
	t.Run("latency budget is 80 % of the timeout", func(t *testing.T) {
		testkit.HasResource(t, tmpl, "AWS::CloudWatch::Alarm", testkit.Like(testkit.Obj{
			"Metrics":   testkit.Arr{metricStat("m1", "Duration", "p99", greenDims())},
			"Threshold": 8000, "ComparisonOperator": "GreaterThanThreshold",
			"EvaluationPeriods": 3, "DatapointsToAlarm": 2, "TreatMissingData": "notBreaching",
		}))
		if got := d.GreenAlarms().LatencyBudget(); got != 8*time.Second {
			t.Errorf("LatencyBudget() = %v, want 8s", got)
		}
	})
	t.Run("names carry green's version, so each version gets new alarms", func(t *testing.T) {
		for id, r := range testkit.Resources(tmpl, "AWS::CloudWatch::Alarm") {
			name := testkit.JSONString(testkit.Props(r)["AlarmName"])
			if !strings.Contains(name, `{"Ref":"AWS::StackName"}`) || !strings.Contains(name, `-v"`) ||
				!strings.Contains(name, `{"Fn::GetAtt":["ApiFunctionCurrentVersion`) {
				t.Errorf("alarm %s: AlarmName %s must join the stack name and green's version", id, name)
			}
		}
	})
	t.Run("all four roll back the deployment", func(t *testing.T) {
		g := testkit.Resources(tmpl, "AWS::CodeDeploy::DeploymentGroup")
		for _, r := range g {
			cfg := testkit.Props(r)["AlarmConfiguration"].(map[string]interface{})
			if cfg["Enabled"] != true || len(cfg["Alarms"].([]interface{})) != 4 {
				t.Errorf("AlarmConfiguration = %v, want 4 alarms enabled", cfg)
			}
		}
		testkit.HasResource(t, tmpl, "AWS::CodeDeploy::DeploymentGroup", testkit.Like(testkit.Obj{
			"AutoRollbackConfiguration": testkit.Obj{"Enabled": true, "Events": testkit.ArrayWith("DEPLOYMENT_STOP_ON_ALARM")},
		}))
	})
}

func TestLatencyBudgetDefaultsToLambdaTimeout(t *testing.T) {
	stack := testkit.NewStack(t)
	d := testkit.Deploy(t, stack, "Api", nil) // no Timeout: Lambda's 3 s
	if got := d.GreenAlarms().LatencyBudget(); got != 2400*time.Millisecond {
		t.Errorf("LatencyBudget() = %v, want 2.4s", got)
	}
	testkit.HasResource(t, testkit.Template(t, stack), "AWS::CloudWatch::Alarm", testkit.Like(testkit.Obj{
		"Metrics": testkit.Arr{metricStat("m1", "Duration", "p99", greenDims())}, "Threshold": 2400,
	}))
}

// A latency budget at or above the function's timeout could never be breached (Lambda stops an invocation at its
// timeout): NewGreenAlarms refuses it when it can read the timeout, and skips a timeout known only at deploy time.
func TestLatencyBudgetMustBeBelowTheTimeout(t *testing.T) {
	green := func(t *testing.T, stack awscdk.Stack, timeout awscdk.Duration, budget time.Duration) {
		fp := *testkit.FunctionProps(t)
		fp.Timeout = timeout
		fn := awslambda.NewFunction(stack, jsii.String("Fn"), &fp)
		alias := awslambda.NewAlias(stack, jsii.String("Live"), &awslambda.AliasProps{
			AliasName: jsii.String("live"), Version: fn.CurrentVersion()})
		alarms.NewGreenAlarms(stack, "Green", &alarms.GreenAlarmsProps{Alias: alias,
			Options: alarms.Options{Latency: alarms.LatencyOptions{Budget: budget}}})
	}
	t.Run("at the timeout", func(t *testing.T) {
		stack := testkit.NewStack(t)
		msg := testkit.MustPanic(t, func() { green(t, stack, awscdk.Duration_Seconds(jsii.Number(2)), 2*time.Second) })
		want := "TestStack/Green: invalid GreenAlarmsProps: Latency.Budget must be below the function's timeout (2s): " +
			"Lambda stops an invocation at its timeout, so green's latency never exceeds it and the alarm could never " +
			"fire, got 2s"
		if msg != want {
			t.Errorf("got %q, want %q", msg, want)
		}
		if stack.Node().TryFindChild(jsii.String("Green")) != nil {
			t.Error("a refused GreenAlarms left its construct in the tree")
		}
	})
	t.Run("above Lambda's default timeout", func(t *testing.T) {
		msg := testkit.MustPanic(t, func() { green(t, testkit.NewStack(t), nil, 4*time.Second) })
		if !strings.Contains(msg, "Latency.Budget must be below the function's timeout (3s)") {
			t.Errorf("got %q", msg)
		}
	})
	t.Run("below the timeout", func(t *testing.T) {
		testkit.NoPanic(t, func() { green(t, testkit.NewStack(t), awscdk.Duration_Seconds(jsii.Number(2)), 1999*time.Millisecond) })
	})
	t.Run("a timeout known only at deploy time", func(t *testing.T) {
		stack := testkit.NewStack(t)
		secs := awscdk.NewCfnParameter(stack, jsii.String("Timeout"), &awscdk.CfnParameterProps{Type: jsii.String("Number")})
		testkit.NoPanic(t, func() { green(t, stack, awscdk.Duration_Seconds(secs.ValueAsNumber()), time.Minute) })
		testkit.NoPanic(t, func() {
			fp := testkit.FunctionProps(t)
			fp.Timeout = awscdk.Duration_Seconds(secs.ValueAsNumber())
			testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{FunctionProps: fp,
				GreenAlarms: alarms.Options{Latency: alarms.LatencyOptions{Budget: time.Minute}}})
		})
	})
}

// Every alarm, default or added later, is a dependency of the alias: CloudFormation updates it (to watch the new
// green) before the alias update starts the traffic shift.
func TestAlarmsAreUpdatedBeforeTheAlias(t *testing.T) {
	stack := testkit.NewStack(t)
	d := testkit.Deploy(t, stack, "Api", nil)
	d.AddAlarm(newAlarm(stack, "Business"))
	tmpl := testkit.Template(t, stack)
	aliasID, alias := testkit.OnlyResource(t, tmpl, "AWS::Lambda::Alias")
	dependsOn := map[string]bool{}
	for _, dep := range alias["DependsOn"].([]interface{}) {
		dependsOn[dep.(string)] = true
	}
	alarmIDs := testkit.Resources(tmpl, "AWS::CloudWatch::Alarm")
	if len(alarmIDs) != 5 {
		t.Fatalf("want 5 alarms, got %d", len(alarmIDs))
	}
	for id := range alarmIDs {
		if !dependsOn[id] {
			t.Errorf("alias %s does not depend on alarm %s: DependsOn %v", aliasID, id, alias["DependsOn"])
		}
	}
	// The group's settings of this synth (strategy, alarm monitoring) are in place before CodeDeploy starts.
	groupID, _ := testkit.OnlyResource(t, tmpl, "AWS::CodeDeploy::DeploymentGroup")
	if !dependsOn[groupID] {
		t.Errorf("alias %s does not depend on the deployment group %s: DependsOn %v", aliasID, groupID, alias["DependsOn"])
	}
}

func TestTunedAndDisabledGreenAlarms(t *testing.T) {
	stack := testkit.NewStack(t)
	d := testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{GreenAlarms: alarms.Options{
		ErrorRate: alarms.ErrorRateOptions{ThresholdPercent: jsii.Number(1), MinInvocations: jsii.Number(50),
			Evaluation: alarms.Evaluation{Period: 2 * time.Minute, EvaluationPeriods: jsii.Number(4), DatapointsToAlarm: jsii.Number(2)}},
		RelativeErrorRate: alarms.RelativeErrorRateOptions{Disabled: true},
		Throttles:         alarms.ThrottleOptions{Disabled: true},
		Latency:           alarms.LatencyOptions{Percentile: jsii.Number(95), Budget: 750 * time.Millisecond},
	}})
	if n := len(d.Alarms()); n != 2 {
		t.Fatalf("want 2 alarms, got %d", n)
	}
	tmpl := testkit.Template(t, stack)
	testkit.CountIs(t, tmpl, "AWS::CloudWatch::Alarm", 2)
	testkit.HasResource(t, tmpl, "AWS::CloudWatch::Alarm", testkit.Like(testkit.Obj{
		"Threshold": 1, "EvaluationPeriods": 4, "DatapointsToAlarm": 2,
		"Metrics": testkit.ArrayWith(testkit.Like(testkit.Obj{
			"Expression": "(100 * FILL(ge, 0) / IF(FILL(gi, 0) < 50, 50, FILL(gi, 0)))",
		}), testkit.Like(testkit.Obj{"Id": "gi", "MetricStat": testkit.Like(testkit.Obj{"Period": 120})})),
	}))
	testkit.HasResource(t, tmpl, "AWS::CloudWatch::Alarm", testkit.Like(testkit.Obj{
		"Metrics": testkit.Arr{metricStat("m1", "Duration", "p95", greenDims())}, "Threshold": 750,
	}))
	if got, ok := d.GreenAlarms().DetectionTime(); !ok || got != 7*time.Minute {
		t.Errorf("DetectionTime() = %v, %v; want 2 × 2m + 2m lag + 1m CodeDeploy's check = 7m", got, ok)
	}
}

func TestAllGreenAlarmsOff(t *testing.T) {
	stack := testkit.NewStack(t)
	d := testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{GreenAlarms: alarms.Options{Disabled: true}})
	if d.GreenAlarms() != nil || len(d.Alarms()) != 0 {
		t.Errorf("no green alarm may be defined")
	}
	testkit.CountIs(t, testkit.Template(t, stack), "AWS::CloudWatch::Alarm", 0)
}

func TestDetectionWarnings(t *testing.T) {
	cases := []struct {
		name    string
		s       strategy.Strategy
		opts    alarms.Options
		warning string // "" for none
	}{
		{"canary that waits long enough", strategy.Canary10Percent5Minutes, alarms.Options{}, ""},
		{"linear every 10 minutes", strategy.Linear10PercentEvery10Minutes, alarms.Options{}, ""},
		{"linear every minute", strategy.Linear10PercentEvery1Minute, alarms.Options{},
			"Linear10PercentEvery1Minute lets a broken green reach 50 % of traffic before any rollback alarm can fire (worst-case detection 4m0s"},
		{"linear every 2 minutes", strategy.Linear10PercentEvery2Minutes, alarms.Options{}, "reach 30 % of traffic"},
		{"linear every 3 minutes", strategy.Linear10PercentEvery3Minutes, alarms.Options{}, "reach 20 % of traffic"},
		{"short canary", strategy.Canary(10, 2*time.Minute), alarms.Options{},
			"Canary10Percent2Minutes bakes the canary for 2m0s, not longer than the worst-case detection time 4m0s"},
		{"canary as long as the detection", strategy.Canary(10, 4*time.Minute), alarms.Options{},
			"Canary10Percent4Minutes bakes the canary for 4m0s, not longer than the worst-case detection time 4m0s"},
		{"slow alarms", strategy.Canary10Percent5Minutes,
			alarms.Options{ErrorRate: alarms.ErrorRateOptions{Evaluation: alarms.Evaluation{Period: 5 * time.Minute}},
				RelativeErrorRate: alarms.RelativeErrorRateOptions{Disabled: true}},
			"worst-case detection time 8m0s"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stack := testkit.NewStack(t)
			testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{Strategy: tc.s, GreenAlarms: tc.opts})
			warnings := testkit.Annotations(t, stack, "warning")
			if tc.warning == "" && len(warnings) > 0 {
				t.Errorf("unexpected warnings: %v", warnings)
			}
			if tc.warning != "" && !testkit.ContainsText(warnings, tc.warning) {
				t.Errorf("warnings %v do not contain %q", warnings, tc.warning)
			}
		})
	}
	t.Run("all at once gets an info", func(t *testing.T) {
		stack := testkit.NewStack(t)
		testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{Strategy: strategy.AllAtOnce})
		if w := testkit.Annotations(t, stack, "warning"); len(w) > 0 {
			t.Errorf("unexpected warnings: %v", w)
		}
		if !testkit.ContainsText(testkit.Annotations(t, stack, "info"), "all-at-once gives green 100 % of traffic at once") {
			t.Errorf("no info about all-at-once")
		}
	})
}

// CodeDeploy's quota of 50 alarms per group (adjustable): above it synth fails unless the raised quota is given;
// above 10 synth notes the older documented limit.
func TestMoreThan50AlarmsWarns(t *testing.T) {
	for _, n := range []int{10, 11, 50, 51} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			stack := testkit.NewStack(t)
			d := testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{GreenAlarms: alarms.Options{Disabled: true}})
			for i := 0; i < n; i++ {
				d.AddAlarm(newAlarm(stack, fmt.Sprintf("A%d", i)))
			}
			if n > 50 { // over CodeDeploy's quota: the stack's quota check fails the synth unless it is raised
				msg := testkit.MustPanic(t, func() { testkit.Annotations(t, stack, "warning") })
				if !strings.Contains(msg, "51 alarms, is over AWS's quota of 50 per deployment group") {
					t.Errorf("%d alarms: synth error %s", n, msg)
				}
				quota.Raise(stack, quota.AlarmsPerGroup, 100)
			}
			// Above 80 % of the quota in force (50, or 100 once raised) the check warns.
			warned := testkit.ContainsText(testkit.Annotations(t, stack, "warning"), "alarms, is above 80 % of AWS's quota")
			if warned != (n == 50) {
				t.Errorf("%d alarms: warned = %v", n, warned)
			}
			noted := testkit.ContainsText(testkit.Annotations(t, stack, "info"), "more than 10 alarms")
			if noted != (n > 10) {
				t.Errorf("%d alarms: info about the older limit of 10 = %v", n, noted)
			}
			if len(d.Alarms()) != n {
				t.Errorf("alarms were capped: %d of %d", len(d.Alarms()), n)
			}
		})
	}
}

func TestEmergencyBypass(t *testing.T) {
	check := func(t *testing.T, stack awscdk.Stack, d bluegreen.Deployment) {
		t.Helper()
		if !d.EmergencyBypass() || d.Strategy() != strategy.AllAtOnce {
			t.Errorf("bypass must ship all at once, got %v", d.Strategy())
		}
		testkit.HasResource(t, testkit.Template(t, stack), "AWS::CodeDeploy::DeploymentGroup", testkit.Like(testkit.Obj{
			"DeploymentConfigName": "CodeDeployDefault.LambdaAllAtOnce",
			"AlarmConfiguration":   testkit.Like(testkit.Obj{"Enabled": false, "Alarms": assertions.Match_AnyValue()}),
		}))
		if !testkit.ContainsText(testkit.Annotations(t, stack, "warning"), "EMERGENCY BYPASS") {
			t.Errorf("no loud warning")
		}
	}
	t.Run("prop", func(t *testing.T) {
		stack := testkit.NewStack(t)
		d := testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{EmergencyBypass: jsii.Bool(true),
			Strategy: strategy.Canary10Percent30Minutes})
		check(t, stack, d)
	})
	t.Run("context key on the example app", func(t *testing.T) {
		app := testkit.NewAppWith(t, map[string]interface{}{bluegreen.EmergencyBypassContextKey: "true"})
		example := service.NewApp(app, testkit.RepoRoot, nil)
		for _, s := range example.Services() {
			check(t, s.Stack, s.Deployment)
		}
	})
	t.Run("context key", func(t *testing.T) {
		app := testkit.NewAppWith(t, map[string]interface{}{bluegreen.EmergencyBypassContextKey: "true"})
		stack := awscdk.NewStack(app, jsii.String("Hotfix"), nil)
		if !bluegreen.EmergencyBypassRequested(stack) {
			t.Fatalf("the context key was not read")
		}
		d := testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{EmergencyBypass: jsii.Bool(bluegreen.EmergencyBypassRequested(stack))})
		check(t, stack, d)
	})
	t.Run("off by default", func(t *testing.T) {
		stack := testkit.NewStack(t)
		if bluegreen.EmergencyBypassRequested(stack) {
			t.Errorf("bypass requested without the context key")
		}
		d := testkit.Deploy(t, stack, "Api", nil)
		if d.EmergencyBypass() {
			t.Errorf("bypass on by default")
		}
		testkit.HasResource(t, testkit.Template(t, stack), "AWS::CodeDeploy::DeploymentGroup", testkit.Like(testkit.Obj{
			"AlarmConfiguration": testkit.Like(testkit.Obj{"Enabled": true}),
		}))
	})
}

func TestAnomalyAlarmOnABusinessMetric(t *testing.T) {
	stack := testkit.NewStack(t)
	d := testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{GreenAlarms: alarms.Options{Disabled: true}})
	users := awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace: jsii.String("Shop"), MetricName: jsii.String("ActiveUsers"),
		Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Sum"),
	})
	d.AddAlarm(alarms.NewAnomalyAlarm(stack, "ActiveUsersDrop", &alarms.AnomalyAlarmProps{Metric: users}))
	tmpl := testkit.Template(t, stack)
	testkit.HasResource(t, tmpl, "AWS::CloudWatch::Alarm", testkit.Like(testkit.Obj{
		"ComparisonOperator": "LessThanLowerThreshold",
		"EvaluationPeriods":  3,
		"DatapointsToAlarm":  2,
		"TreatMissingData":   "notBreaching", // a quiet business metric must not block every deployment
		"ThresholdMetricId":  assertions.Match_AnyValue(),
		"Metrics": testkit.ArrayWith(
			testkit.Like(testkit.Obj{"Expression": assertions.Match_StringLikeRegexp(jsii.String(`ANOMALY_DETECTION_BAND\(.*, 2\)`))}),
			testkit.Like(testkit.Obj{"MetricStat": testkit.Like(testkit.Obj{"Metric": testkit.Like(testkit.Obj{"MetricName": "ActiveUsers"}), "Period": 300})}),
		),
	}))
	testkit.HasResource(t, tmpl, "AWS::CodeDeploy::DeploymentGroup", testkit.Like(testkit.Obj{
		"AlarmConfiguration": testkit.Obj{"Enabled": true, "Alarms": testkit.Arr{testkit.Obj{"Name": testkit.Obj{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^ActiveUsersDrop"))}}}},
	}))
}

func TestAnomalyAlarmMissingDataCanBeBreaching(t *testing.T) {
	stack := testkit.NewStack(t)
	for _, dir := range []alarms.Direction{alarms.Below, alarms.Above, alarms.Outside} {
		alarms.NewAnomalyAlarm(stack, fmt.Sprint("Default", dir), &alarms.AnomalyAlarmProps{Metric: newMetric("Orders", 1)})
	}
	alarms.NewAnomalyAlarm(stack, "Breaching", &alarms.AnomalyAlarmProps{Metric: newMetric("Orders", 1),
		TreatMissingData: awscloudwatch.TreatMissingData_BREACHING})
	missing := map[string]int{}
	for _, a := range testkit.Resources(testkit.Template(t, stack), "AWS::CloudWatch::Alarm") {
		missing[fmt.Sprint(testkit.Props(a)["TreatMissingData"])]++
	}
	if missing["notBreaching"] != 3 || missing["breaching"] != 1 {
		t.Errorf("missing data treatments %v: want notBreaching for every direction by default, breaching when asked", missing)
	}
}

// newMetric returns a custom metric aggregated over minutes.
func newMetric(name string, minutes float64) awscloudwatch.Metric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace: jsii.String("Shop"), MetricName: jsii.String(name),
		Period: awscdk.Duration_Minutes(jsii.Number(minutes)), Statistic: jsii.String("Sum"),
	})
}

// A rollback alarm that needs longer to fire than the strategy bakes green gets a synth warning naming it.
func TestRollbackAlarmSlowerThanTheBakeWarns(t *testing.T) {
	slowAnomaly := func(stack awscdk.Stack) awscloudwatch.IAlarm { // 2 of 3 × 5 min: 12 minutes with the lag
		return alarms.NewAnomalyAlarm(stack, "UsersDrop", &alarms.AnomalyAlarmProps{Metric: newMetric("ActiveUsers", 5)})
	}
	cases := []struct {
		name  string
		s     strategy.Strategy
		alarm func(awscdk.Stack) awscloudwatch.IAlarm
		want  string // "" for no warning
	}{
		{"5-minute anomaly alarm, 5-minute canary", strategy.Canary10Percent5Minutes, slowAnomaly,
			"rollback alarm TestStack/UsersDrop needs up to 13m0s to stop a deployment (2 of 3 datapoints × 5m0s + 2m0s of " +
				"metric lag + 1m0s for CodeDeploy to see the alarm), longer than the 5m0s Canary10Percent5Minutes gives " +
				"green before it takes all traffic"},
		{"5-minute anomaly alarm, 15-minute canary", strategy.Canary10Percent15Minutes, slowAnomaly, ""},
		{"1-minute anomaly alarm, 5-minute canary", strategy.Canary10Percent5Minutes, func(stack awscdk.Stack) awscloudwatch.IAlarm {
			return alarms.NewAnomalyAlarm(stack, "UsersDrop", &alarms.AnomalyAlarmProps{Metric: newMetric("ActiveUsers", 1)})
		}, ""},
		{"metric math alarm of 10-minute periods, linear over 9 minutes", strategy.Linear10PercentEvery1Minute,
			func(stack awscdk.Stack) awscloudwatch.IAlarm {
				return awscloudwatch.NewAlarm(stack, jsii.String("Refunds"), &awscloudwatch.AlarmProps{
					Metric: awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
						Expression:   jsii.String("r / o"),
						UsingMetrics: &map[string]awscloudwatch.IMetric{"r": newMetric("Refunds", 10), "o": newMetric("Orders", 10)},
						Period:       awscdk.Duration_Minutes(jsii.Number(10)),
					}),
					Threshold: jsii.Number(0.1), EvaluationPeriods: jsii.Number(1),
				})
			}, "rollback alarm TestStack/Refunds needs up to 13m0s to stop a deployment (1 of 1 datapoints × 10m0s"},
		{"all at once: the info note covers every alarm", strategy.AllAtOnce, slowAnomaly, ""},
		{"an imported alarm cannot be read", strategy.Canary10Percent5Minutes, func(stack awscdk.Stack) awscloudwatch.IAlarm {
			return awscloudwatch.Alarm_FromAlarmArn(stack, jsii.String("Imported"),
				jsii.String("arn:aws:cloudwatch:eu-west-1:111111111111:alarm:orders"))
		}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, late := range []bool{false, true} {
				stack := testkit.NewStack(t)
				if late {
					testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{Strategy: tc.s}).AddAlarm(tc.alarm(stack))
				} else {
					testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{Strategy: tc.s, Alarms: []awscloudwatch.IAlarm{tc.alarm(stack)}})
				}
				warnings := testkit.Annotations(t, stack, "warning")
				if tc.want == "" && len(warnings) > 0 {
					t.Errorf("added late %v: unexpected warnings %v", late, warnings)
				}
				if tc.want != "" && !testkit.ContainsText(warnings, tc.want) {
					t.Errorf("added late %v: warnings %v do not contain %q", late, warnings, tc.want)
				}
			}
		})
	}
	t.Run("green alarms tuned slower than the bake", func(t *testing.T) {
		stack := testkit.NewStack(t)
		testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{GreenAlarms: alarms.Options{
			Latency: alarms.LatencyOptions{Evaluation: alarms.Evaluation{Period: 5 * time.Minute}}}})
		warnings := testkit.Annotations(t, stack, "warning")
		if !testkit.ContainsText(warnings, "rollback alarm TestStack/Api/GreenAlarms/Latency needs up to 13m0s") || len(warnings) != 1 {
			t.Errorf("want one warning, on the latency alarm, got %v", warnings)
		}
	})
}

func TestReadTiming(t *testing.T) {
	stack := testkit.NewStack(t)
	plain := awscloudwatch.NewAlarm(stack, jsii.String("Plain"), &awscloudwatch.AlarmProps{
		Metric: newMetric("Orders", 2), Threshold: jsii.Number(1), EvaluationPeriods: jsii.Number(3),
	})
	anomaly := alarms.NewAnomalyAlarm(stack, "Anomaly", &alarms.AnomalyAlarmProps{Metric: newMetric("Orders", 5),
		EvaluationPeriods: jsii.Number(4), DatapointsToAlarm: jsii.Number(3)})
	imported := awscloudwatch.Alarm_FromAlarmName(stack, jsii.String("Imported"), jsii.String("orders"))
	if got, ok := alarms.ReadTiming(plain); !ok || got != (alarms.Timing{Period: 2 * time.Minute, EvaluationPeriods: 3, DatapointsToAlarm: 3}) {
		t.Errorf("plain alarm: %+v, %v", got, ok)
	}
	if got, ok := alarms.ReadTiming(anomaly); !ok || got != (alarms.Timing{Period: 5 * time.Minute, EvaluationPeriods: 4, DatapointsToAlarm: 3}) ||
		got.DetectionTime() != 18*time.Minute {
		t.Errorf("anomaly alarm: %+v, %v", got, ok)
	}
	if _, ok := alarms.ReadTiming(imported); ok {
		t.Errorf("an imported alarm has no timing to read")
	}
}

func TestAnomalyAlarmBadInput(t *testing.T) {
	stack := testkit.NewStack(t)
	msg := testkit.MustPanic(t, func() {
		alarms.NewAnomalyAlarm(stack, "Bad", &alarms.AnomalyAlarmProps{StdDevs: jsii.Number(-1), DatapointsToAlarm: jsii.Number(4)})
	})
	for _, want := range []string{"TestStack/Bad: invalid AnomalyAlarmProps", "Metric must be set, got nil",
		"StdDevs must be greater than 0, got -1", "DatapointsToAlarm must be at most EvaluationPeriods (3), got 4"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q does not contain %q", msg, want)
		}
	}
}

func TestDashboard(t *testing.T) {
	stack := testkit.NewStack(t)
	fp := testkit.FunctionProps(t)
	fp.Timeout = awscdk.Duration_Seconds(jsii.Number(10))
	d := testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{FunctionProps: fp})
	dashboard.New(stack, "Dashboard", &dashboard.Props{Deployments: []bluegreen.Deployment{d}})
	_, board := testkit.OnlyResource(t, testkit.Template(t, stack), "AWS::CloudWatch::Dashboard")
	body := testkit.JSONString(testkit.Props(board)["DashboardBody"])
	for _, want := range []string{
		"Traffic: invocations per period", "green share of traffic (%)",
		"Error rate (%): green beside the alias", `100 * FILL(ge, 0)`,
		"Latency p99 (ms): green beside the alias", "budget 8s",
		"Throttles", "Concurrent executions (max)", "ConcurrentExecutions",
		"ExecutedVersion", "Rollback alarms", `\"type\":\"alarm\"`,
		"Strategy **Canary10Percent5Minutes** on alias **live**",
		"the newest 3 minutes of the share and the error rates read 0 until it does",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard body has no %q", want)
		}
	}
	if n := strings.Count(body, `\"alarms\":[`); n != 1 {
		t.Errorf("want one alarm status widget, got %d", n)
	}
}

// dashboardMetrics returns every metric and expression of the dashboard's graphs: metrics by id (their
// namespace, name and dimension names and values, tokens as "TOKEN"), and the expressions.
func dashboardMetrics(t *testing.T, tmpl assertions.Template) (map[string][]interface{}, []string) {
	t.Helper()
	_, board := testkit.OnlyResource(t, tmpl, "AWS::CloudWatch::Dashboard")
	var text strings.Builder
	for _, p := range testkit.Props(board)["DashboardBody"].(map[string]interface{})["Fn::Join"].([]interface{})[1].([]interface{}) {
		if s, ok := p.(string); ok {
			text.WriteString(s)
		} else {
			text.WriteString("TOKEN")
		}
	}
	var body struct {
		Widgets []struct {
			Properties struct {
				Metrics [][]interface{} `json:"metrics"`
			} `json:"properties"`
		} `json:"widgets"`
	}
	if err := json.Unmarshal([]byte(text.String()), &body); err != nil {
		t.Fatalf("dashboard body: %v", err)
	}
	metrics := map[string][]interface{}{}
	var expressions []string
	for _, w := range body.Widgets {
		for _, m := range w.Properties.Metrics {
			opts, _ := m[len(m)-1].(map[string]interface{})
			if e, ok := opts["expression"].(string); ok {
				expressions = append(expressions, e)
			} else if id, ok := opts["id"].(string); ok {
				metrics[id] = m[:len(m)-1]
			}
		}
	}
	return metrics, expressions
}

// The dashboard's formulas divide what they say: green's invocations by the alias's for the share, green's errors
// by green's invocations for green's error rate.
func TestDashboardFormulas(t *testing.T) {
	stack := testkit.NewStack(t)
	d := testkit.Deploy(t, stack, "Api", nil)
	dashboard.New(stack, "Dashboard", &dashboard.Props{Deployments: []bluegreen.Deployment{d}})
	metrics, expressions := dashboardMetrics(t, testkit.Template(t, stack))
	// is reports whether the metric with id is metricName of green (ExecutedVersion) or of the whole alias.
	is := func(id, metricName string, green bool) bool {
		m, ok := metrics[id]
		if !ok || len(m) < 2 || m[0] != "AWS/Lambda" || m[1] != metricName {
			return false
		}
		return containsValue(m, "ExecutedVersion") == green && containsValue(m, "Resource")
	}
	share := regexp.MustCompile(`^IF\(FILL\((\w+), 0\) > 0, 100 \* FILL\((\w+), 0\) / FILL\((\w+), 0\), 0\)$`)
	rate := regexp.MustCompile(`^\(100 \* FILL\((\w+), 0\) / IF\(FILL\((\w+), 0\) < 100, 100, FILL\((\w+), 0\)\)\)$`)
	var shares, greenRates, aliasRates int
	for _, e := range expressions {
		if m := share.FindStringSubmatch(e); m != nil {
			shares++
			if !is(m[1], "Invocations", false) || !is(m[2], "Invocations", true) || m[3] != m[1] {
				t.Errorf("green share %q must be 100 × green invocations ÷ alias invocations (metrics %v)", e, metrics)
			}
		}
		if m := rate.FindStringSubmatch(e); m != nil && m[2] == m[3] {
			green := is(m[1], "Errors", true) && is(m[2], "Invocations", true)
			alias := is(m[1], "Errors", false) && is(m[2], "Invocations", false)
			switch {
			case green:
				greenRates++
			case alias:
				aliasRates++
			default:
				t.Errorf("error rate %q must divide one target's errors by the same target's invocations", e)
			}
		}
	}
	if shares != 1 || greenRates != 1 || aliasRates != 1 {
		t.Errorf("want one green share, one green and one alias error rate, got %d, %d, %d in %q", shares, greenRates,
			aliasRates, expressions)
	}
}

func containsValue(list []interface{}, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// alarmsInDashboard returns the logical ids of the alarms whose ARN the dashboard body refers to.
func alarmsInDashboard(t *testing.T, tmpl assertions.Template) map[string]bool {
	t.Helper()
	_, board := testkit.OnlyResource(t, tmpl, "AWS::CloudWatch::Dashboard")
	parts := testkit.Props(board)["DashboardBody"].(map[string]interface{})["Fn::Join"].([]interface{})[1].([]interface{})
	found := map[string]bool{}
	for _, p := range parts {
		if m, ok := p.(map[string]interface{}); ok {
			if ga, ok := m["Fn::GetAtt"].([]interface{}); ok && ga[1] == "Arn" {
				found[ga[0].(string)] = true
			}
		}
	}
	return found
}

// The alarm widget lists every rollback alarm, including one added after the dashboard.
func TestDashboardListsEveryAlarm(t *testing.T) {
	stack := testkit.NewStack(t)
	d := testkit.Deploy(t, stack, "Api", nil)
	dashboard.New(stack, "Dashboard", &dashboard.Props{Deployments: []bluegreen.Deployment{d}})
	d.AddAlarm(newAlarm(stack, "AddedLater"))
	tmpl := testkit.Template(t, stack)
	listed := alarmsInDashboard(t, tmpl)
	alarmIDs := testkit.Resources(tmpl, "AWS::CloudWatch::Alarm")
	if len(alarmIDs) != 5 {
		t.Fatalf("want 5 alarms, got %d", len(alarmIDs))
	}
	for id := range alarmIDs {
		if !listed[id] {
			t.Errorf("alarm %s is not on the dashboard (listed: %v)", id, listed)
		}
	}
}

func TestDashboardBadInput(t *testing.T) {
	stack := testkit.NewStack(t)
	msg := testkit.MustPanic(t, func() {
		dashboard.New(stack, "Dash", &dashboard.Props{Period: 90 * time.Second})
	})
	if !strings.Contains(msg, "TestStack/Dash: invalid dashboard.Props: Period must be a whole multiple of 60s (AWS/Lambda publishes once a minute), got 1m30s") {
		t.Errorf("got %q", msg)
	}
	if stack.Node().TryFindChild(jsii.String("Dash")) != nil {
		t.Errorf("a refused dashboard was left in the tree")
	}
}

// A dashboard stays within CloudWatch's limits: 500 widgets (7 per deployment) and 100 alarms per alarm widget.
func TestDashboardLimits(t *testing.T) {
	stack := testkit.NewStack(t)
	d := testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{GreenAlarms: alarms.Options{Disabled: true}})
	for i := 0; i < 101; i++ {
		d.AddAlarm(newAlarm(stack, fmt.Sprintf("A%d", i)))
	}
	board := dashboard.New(stack, "Dashboard", nil)
	for i := 0; i < dashboard.MaxWidgets/dashboard.WidgetsPerDeployment; i++ {
		board.AddDeployment(d)
	}
	msg := testkit.MustPanic(t, func() { board.AddDeployment(d) })
	if !strings.Contains(msg, "TestStack/Dashboard: AddDeployment TestStack/Api: a CloudWatch dashboard holds at most 500 widgets and each deployment takes 7, so this one holds at most 71 deployments") {
		t.Errorf("got %q", msg)
	}

	small := testkit.NewStack(t)
	quota.Raise(small, quota.AlarmsPerGroup, 101) // an account that had CodeDeploy's alarm quota raised
	s := testkit.Deploy(t, small, "Api", &bluegreen.DeploymentProps{GreenAlarms: alarms.Options{Disabled: true}})
	for i := 0; i < 101; i++ {
		s.AddAlarm(newAlarm(small, fmt.Sprintf("A%d", i)))
	}
	dashboard.New(small, "Dashboard", &dashboard.Props{Deployments: []bluegreen.Deployment{s}})
	listed := alarmsInDashboard(t, testkit.Template(t, small))
	if len(listed) != dashboard.MaxAlarmsPerWidget {
		t.Errorf("the alarm widget lists %d alarms, want the first %d", len(listed), dashboard.MaxAlarmsPerWidget)
	}
}
