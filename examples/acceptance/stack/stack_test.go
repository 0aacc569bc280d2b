package stack_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/examples/acceptance/stack"
	"github.com/safeship/lambda-bluegreen/internal/acceptance"
	"github.com/safeship/lambda-bluegreen/test/testkit"
)

// run is the run id of the test's stacks.
const run = "t1"

// TestAcceptanceStacks synthesizes the acceptance app's stack for three releases, in one app (one synth), and checks
// what the AWS backend relies on (internal/acceptance/app.go): the outputs, the live alias of every function under
// CodeDeploy, the queue on the notification topic, the run's tag, the business alarm as a rollback alarm, and no
// error-level finding in CDK's validation report.
func TestAcceptanceStacks(t *testing.T) {
	app := testkit.NewApp(t)
	cases := []struct {
		name    string
		release acceptance.Release
	}{
		{"one function, every option", acceptance.Release{Commit: "c2", Strategy: "Canary10Percent10Minutes",
			PreTraffic: true, Business: true, ProvisionedConcurrency: 2}},
		{"a service of two", acceptance.Release{Commit: "s1", Commits: []string{"a1", "b1"}, PreTraffic: true,
			Business: true}},
		{"a slow release", acceptance.Release{Commit: "c3", Fail: acceptance.FailLatency, Bypass: true}},
	}
	stacks := make([]*stack.Stack, len(cases))
	for i, tc := range cases {
		r := tc.release
		stacks[i] = stack.NewStack(app, acceptance.StackName(run, i), &stack.Props{Run: run, Release: &r})
	}
	tmpls := make([]assertions.Template, len(cases))
	for i, s := range stacks {
		tmpls[i] = testkit.Template(t, s.Stack)
	}

	t.Run("no error-level validation findings", func(t *testing.T) {
		if errs := testkit.ValidationFindings(t, *app.Outdir(), "error", "fatal"); len(errs) > 0 {
			t.Errorf("validation report has %d error-level findings:\n%s", len(errs), strings.Join(errs, "\n"))
		}
	})

	for i, tc := range cases {
		s, tmpl := stacks[i], tmpls[i]
		t.Run(tc.name, func(t *testing.T) {
			checkCommon(t, s, tmpl)
		})
	}

	t.Run("every option is on in the first", func(t *testing.T) {
		s, tmpl := stacks[0], tmpls[0]
		d := s.Deployments[acceptance.Api]
		testkit.HasResource(t, tmpl, "AWS::CodeDeploy::DeploymentGroup", testkit.Like(testkit.Obj{
			"DeploymentConfigName": "CodeDeployDefault.LambdaCanary10Percent10Minutes",
			"AlarmConfiguration": testkit.Like(testkit.Obj{"Enabled": true,
				"Alarms": testkit.ArrayWith(testkit.Obj{"Name": resolve(s, s.BusinessAlarm.AlarmName())})}),
		}))
		testkit.HasResource(t, tmpl, "AWS::CloudWatch::Alarm", testkit.Like(testkit.Obj{
			"Namespace": acceptance.BusinessNamespace, "MetricName": acceptance.BusinessMetric,
			"Dimensions":         []interface{}{testkit.Obj{"Name": acceptance.BusinessDimension, "Value": *s.StackName()}},
			"Threshold":          acceptance.BusinessThreshold,
			"ComparisonOperator": "LessThanThreshold", "Period": 60, "EvaluationPeriods": 1,
			"TreatMissingData": "notBreaching",
		}))
		testkit.HasResource(t, tmpl, "AWS::ApplicationAutoScaling::ScalableTarget",
			testkit.Like(testkit.Obj{"MinCapacity": 2, "MaxCapacity": 2}))
		if d.PreTrafficHook() == nil {
			t.Error("no pre-traffic hook")
		}
		alias := aliasOf(t, s, tmpl, acceptance.Api)
		update := alias["UpdatePolicy"].(map[string]interface{})["CodeDeployLambdaAliasUpdate"].(map[string]interface{})
		if update["BeforeAllowTrafficHook"] == nil {
			t.Errorf("the alias's update has no BeforeAllowTrafficHook: %v", update)
		}
		checkEnv(t, s, tmpl, acceptance.Api, map[string]interface{}{acceptance.EnvCommit: "c2"})
	})

	t.Run("the service's functions are at their commits", func(t *testing.T) {
		s, tmpl := stacks[1], tmpls[1]
		if s.Service == nil || !reflect.DeepEqual(s.Functions, []string{"Fn00", "Fn01"}) {
			t.Fatalf("functions %v, service %v", s.Functions, s.Service)
		}
		checkEnv(t, s, tmpl, "Fn00", map[string]interface{}{acceptance.EnvCommit: "a1"})
		checkEnv(t, s, tmpl, "Fn01", map[string]interface{}{acceptance.EnvCommit: "b1"})
		// green alarms, the business alarm and notify's undelivered alarm
		testkit.CountIs(t, tmpl, "AWS::CloudWatch::Alarm", 4*2+1+1)
		// Both functions roll back on the one business alarm, whose name is the output.
		business := testkit.JSONString(testkit.Obj{"Name": resolve(s, s.BusinessAlarm.AlarmName())})
		groups := testkit.Resources(tmpl, "AWS::CodeDeploy::DeploymentGroup")
		if len(groups) != len(s.Functions) {
			t.Errorf("%d deployment groups, want one per function (%d)", len(groups), len(s.Functions))
		}
		for id, r := range groups {
			config, _ := testkit.Props(r)["AlarmConfiguration"].(map[string]interface{})
			alarms, _ := config["Alarms"].([]interface{})
			found := false
			for _, a := range alarms {
				found = found || testkit.JSONString(a) == business
			}
			if !found {
				t.Errorf("deployment group %s does not roll back on the business alarm: %v", id, config)
			}
		}
	})

	t.Run("the slow release answers after the latency alarm's threshold, within the timeout", func(t *testing.T) {
		s, tmpl := stacks[2], tmpls[2]
		checkEnv(t, s, tmpl, acceptance.Api, map[string]interface{}{acceptance.EnvCommit: "c3",
			acceptance.EnvFail: string(acceptance.FailLatency)})
		testkit.HasResource(t, tmpl, "AWS::CodeDeploy::DeploymentGroup", testkit.Like(testkit.Obj{
			"DeploymentConfigName": "CodeDeployDefault.LambdaAllAtOnce",
			"AlarmConfiguration":   testkit.Like(testkit.Obj{"Enabled": false}),
		}))
		d := s.Deployments[acceptance.Api]
		fn := resolve(s, d.Function().FunctionName()).(map[string]interface{})["Ref"].(string)
		timeout := testkit.Props(testkit.Resources(tmpl, "AWS::Lambda::Function")[fn])["Timeout"]
		if timeout != acceptance.FunctionTimeout.Seconds() {
			t.Errorf("the function's timeout is %v s, want %v", timeout, acceptance.FunctionTimeout.Seconds())
		}
		latency := d.GreenAlarms().Latency()
		if latency == nil {
			t.Fatal("no green latency alarm")
		}
		ref, _ := resolve(s, latency.AlarmName()).(map[string]interface{})["Ref"].(string)
		threshold, _ := testkit.Props(testkit.Resources(tmpl, "AWS::CloudWatch::Alarm")[ref])["Threshold"].(float64)
		budget := time.Duration(threshold) * time.Millisecond
		if budget != d.GreenAlarms().LatencyBudget() || budget <= 0 {
			t.Fatalf("the latency alarm's threshold is %v, its budget %v", budget, d.GreenAlarms().LatencyBudget())
		}
		// The slow version breaches the alarm on every request, by seconds, and still answers: its requests end
		// seconds before the timeout (a timeout would be an error, not latency).
		if margin := acceptance.SlowDelay - budget; margin < 2*time.Second {
			t.Errorf("SlowDelay %v exceeds the latency alarm's threshold %v by %v, want at least 2s", acceptance.SlowDelay,
				budget, margin)
		}
		if margin := acceptance.FunctionTimeout - acceptance.SlowDelay; margin < 2*time.Second {
			t.Errorf("SlowDelay %v is %v under the timeout %v, want at least 2s", acceptance.SlowDelay, margin,
				acceptance.FunctionTimeout)
		}
	})
}

// checkCommon checks what every acceptance stack has.
func checkCommon(t *testing.T, s *stack.Stack, tmpl assertions.Template) {
	t.Run("outputs", func(t *testing.T) {
		outputs := *tmpl.FindOutputs(jsii.String("*"), nil)
		want := []string{acceptance.OutputQueueURL, acceptance.OutputApplication}
		for _, id := range s.Functions {
			want = append(want, acceptance.OutputFunctionName+id, acceptance.OutputDeploymentGroup+id)
		}
		if s.Release.Business {
			want = append(want, acceptance.OutputBusinessAlarm)
		}
		for _, key := range want {
			if _, ok := outputs[key]; !ok {
				t.Errorf("no output %s; outputs: %v", key, keys(outputs))
			}
		}
		if len(outputs) != len(want) {
			t.Errorf("outputs %v, want only %v", keys(outputs), want)
		}
		d := s.Deployments[s.Functions[0]]
		if got, want := testkit.JSONString((*outputs[acceptance.OutputApplication])["Value"]),
			testkit.JSONString(resolve(s, d.Application().ApplicationName())); got != want {
			t.Errorf("Application output %s, want %s", got, want)
		}
		if s.Release.Business {
			if s.BusinessAlarm == nil {
				t.Fatal("the release has the business alarm, the stack none")
			}
			if got, want := testkit.JSONString((*outputs[acceptance.OutputBusinessAlarm])["Value"]),
				testkit.JSONString(resolve(s, s.BusinessAlarm.AlarmName())); got != want {
				t.Errorf("%s output %s, want the business alarm's name %s", acceptance.OutputBusinessAlarm, got, want)
			}
		}
	})
	t.Run("every function's live alias is shifted by CodeDeploy", func(t *testing.T) {
		for _, id := range s.Functions {
			alias := aliasOf(t, s, tmpl, id)
			update, _ := alias["UpdatePolicy"].(map[string]interface{})["CodeDeployLambdaAliasUpdate"].(map[string]interface{})
			group := s.Deployments[id].DeploymentGroup()
			if testkit.JSONString(update["DeploymentGroupName"]) != testkit.JSONString(resolve(s, group.DeploymentGroupName())) {
				t.Errorf("%s: alias update policy %v does not name its deployment group", id, update)
			}
		}
	})
	t.Run("the queue is subscribed to the notification topic", func(t *testing.T) {
		topic := resolve(s, s.Notifier.Topic().TopicArn())
		testkit.HasResource(t, tmpl, "AWS::SNS::Subscription", testkit.Obj{
			"Protocol": "sqs", "TopicArn": topic, "Endpoint": resolve(s, s.Queue.QueueArn()),
			"RawMessageDelivery": false, // the SNS envelope, with its Subject, reaches the queue
		})
		testkit.HasResource(t, tmpl, "AWS::SQS::Queue", testkit.Like(testkit.Obj{
			"KmsMasterKeyId": resolve(s, s.QueueKey.KeyArn()),
		}))
		sns := testkit.Obj{"Service": "sns.amazonaws.com"}
		testkit.HasResource(t, tmpl, "AWS::SQS::QueuePolicy", testkit.Like(testkit.Obj{
			"PolicyDocument": testkit.Like(testkit.Obj{"Statement": testkit.ArrayWith(testkit.Like(testkit.Obj{
				"Action": "sqs:SendMessage", "Effect": "Allow", "Principal": sns,
				"Condition": testkit.Obj{"ArnEquals": testkit.Obj{"aws:SourceArn": topic}},
			}))}),
		}))
		testkit.HasResource(t, tmpl, "AWS::KMS::Key", testkit.Like(testkit.Obj{
			"PendingWindowInDays": 7,
			"KeyPolicy": testkit.Like(testkit.Obj{"Statement": testkit.ArrayWith(testkit.Like(testkit.Obj{
				"Action": []interface{}{"kms:Decrypt", "kms:GenerateDataKey"}, "Effect": "Allow", "Principal": sns,
				"Condition": testkit.Obj{"ArnEquals": testkit.Obj{"aws:SourceArn": topic}},
			}))}),
		}))
	})
	t.Run("the run's tag is on the stack and its resources", func(t *testing.T) {
		if got := *s.Tags().TagValues(); got[acceptance.TagKey] == nil || *got[acceptance.TagKey] != run {
			t.Errorf("stack tags %v, want %s=%s", got, acceptance.TagKey, run)
		}
		tagged := map[string]bool{}
		for typ, r := range allResources(tmpl) {
			tags, ok := testkit.Props(r)["Tags"]
			if !ok {
				continue
			}
			if !hasTag(tags) {
				t.Errorf("%s has tags %v without %s=%s", typ, tags, acceptance.TagKey, run)
			}
			tagged[strings.SplitN(typ, " ", 2)[0]] = true
		}
		for _, typ := range []string{"AWS::Lambda::Function", "AWS::SQS::Queue", "AWS::SNS::Topic", "AWS::KMS::Key",
			"AWS::Logs::LogGroup", "AWS::IAM::Role", "AWS::CloudWatch::Alarm"} {
			if !tagged[typ] {
				t.Errorf("no %s carries the tag", typ)
			}
		}
	})
	t.Run("log groups keep a day and go with the stack", func(t *testing.T) {
		for id, r := range testkit.Resources(tmpl, "AWS::Logs::LogGroup") {
			if testkit.Props(r)["RetentionInDays"] != 1.0 || r["DeletionPolicy"] != "Delete" {
				t.Errorf("log group %s: retention %v, deletion policy %v", id, testkit.Props(r)["RetentionInDays"], r["DeletionPolicy"])
			}
		}
		testkit.HasResourceDefinition(t, tmpl, "AWS::SQS::Queue", testkit.Like(testkit.Obj{"DeletionPolicy": "Delete"}))
	})
	t.Run("environment-agnostic", func(t *testing.T) {
		if !strings.HasPrefix(*s.Account(), "${Token[") || !strings.HasPrefix(*s.Region(), "${Token[") {
			t.Errorf("account %q and region %q should be unresolved tokens", *s.Account(), *s.Region())
		}
	})
}

// aliasOf returns the live alias of function id.
func aliasOf(t *testing.T, s *stack.Stack, tmpl assertions.Template, id string) map[string]interface{} {
	t.Helper()
	fn := testkit.JSONString(resolve(s, s.Deployments[id].Function().FunctionName()))
	for _, r := range testkit.Resources(tmpl, "AWS::Lambda::Alias") {
		p := testkit.Props(r)
		if testkit.JSONString(p["FunctionName"]) == fn && p["Name"] == acceptance.AliasName {
			return r
		}
	}
	t.Fatalf("%s: no alias %q", id, acceptance.AliasName)
	return nil
}

// checkEnv checks function id's environment.
func checkEnv(t *testing.T, s *stack.Stack, tmpl assertions.Template, id string, want map[string]interface{}) {
	t.Helper()
	fn := resolve(s, s.Deployments[id].Function().FunctionName()).(map[string]interface{})["Ref"].(string)
	r, ok := testkit.Resources(tmpl, "AWS::Lambda::Function")[fn]
	if !ok {
		t.Fatalf("%s: no function %s", id, fn)
	}
	env, _ := testkit.Props(r)["Environment"].(map[string]interface{})
	if got := env["Variables"]; !reflect.DeepEqual(got, want) {
		t.Errorf("%s: environment %v, want %v", id, got, want)
	}
}

// resolve returns v as it appears in the template.
func resolve(s *stack.Stack, v interface{}) interface{} {
	var out interface{}
	b, _ := json.Marshal(s.Resolve(v))
	_ = json.Unmarshal(b, &out)
	return out
}

// allResources returns every resource of the template by "<type> <logical id>".
func allResources(tmpl assertions.Template) map[string]map[string]interface{} {
	out := map[string]map[string]interface{}{}
	for id, r := range (*tmpl.ToJSON())["Resources"].(map[string]interface{}) {
		m := r.(map[string]interface{})
		out[m["Type"].(string)+" "+id] = m
	}
	return out
}

// hasTag reports whether a Tags property (a list of Key/Value, or a map) has the run's tag.
func hasTag(tags interface{}) bool {
	switch v := tags.(type) {
	case []interface{}:
		for _, e := range v {
			if m, ok := e.(map[string]interface{}); ok && m["Key"] == acceptance.TagKey && m["Value"] == run {
				return true
			}
		}
	case map[string]interface{}:
		return v[acceptance.TagKey] == run
	}
	return false
}

func keys(m map[string]*map[string]interface{}) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// The app reads its stack, run and release from the context, with defaults, and refuses a release it cannot read.
func TestFromContext(t *testing.T) {
	cases := []struct {
		name    string
		context map[string]interface{}
		stack   string
		run     string
		release acceptance.Release
		err     string
	}{
		{"defaults", nil, "BlueGreenAcceptance-local-00", "local", acceptance.Release{Commit: "c1"}, ""},
		{"from the command line", map[string]interface{}{acceptance.ContextStack: "BlueGreenAcceptance-r7-03",
			acceptance.ContextRun: "r7", acceptance.ContextRelease: `{"commit":"s2","commits":["a2","b2"],"fail":"crash"}`},
			"BlueGreenAcceptance-r7-03", "r7", acceptance.Release{Commit: "s2", Commits: []string{"a2", "b2"},
				Fail: acceptance.FailCrash}, ""},
		{"an object", map[string]interface{}{acceptance.ContextRelease: map[string]interface{}{"commit": "c4", "bypass": true}},
			"BlueGreenAcceptance-local-00", "local", acceptance.Release{Commit: "c4", Bypass: true}, ""},
		{"an unknown field", map[string]interface{}{acceptance.ContextRelease: `{"commit":"c1","canary":true}`},
			"", "", acceptance.Release{}, `unknown field "canary"`},
		{"the field a bad release had before fail", map[string]interface{}{acceptance.ContextRelease: `{"commit":"c1","broken":true}`},
			"", "", acceptance.Release{}, `unknown field "broken"`},
		{"not JSON", map[string]interface{}{acceptance.ContextRelease: `c1`}, "", "", acceptance.Release{},
			"-c acceptance:release must be an acceptance release as JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := tc.context
			app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
			name, props, err := stack.FromContext(app)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("want an error containing %q, got %v", tc.err, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if name != tc.stack || props.Run != tc.run || !reflect.DeepEqual(*props.Release, tc.release) {
				t.Errorf("got %s, %s, %+v; want %s, %s, %+v", name, props.Run, *props.Release, tc.stack, tc.run, tc.release)
			}
		})
	}
}

// Bad props are refused before anything is defined, naming every problem.
func TestBadProps(t *testing.T) {
	app := awscdk.NewApp(nil)
	msg := testkit.MustPanic(t, func() {
		stack.NewStack(app, "Bad_Name", &stack.Props{Run: "Not-A-Run", Release: &acceptance.Release{
			Commits: []string{"a1", ""}, Strategy: "Canary50Percent", ProvisionedConcurrency: -1, Fail: "throttles"}})
	})
	for _, want := range []string{`the stack name must be a letter then up to 127 letters, digits or hyphens, got "Bad_Name"`,
		`Run: a run id is 1 to 12 lower-case letters or digits, got "Not-A-Run"`,
		`Release.Commits[1] must name the function's commit, got ""`,
		`Release.Strategy: the strategy must be one of AllAtOnce, Canary10Percent5Minutes`, `got "Canary50Percent"`,
		"Release.ProvisionedConcurrency must be 0 (none) or more, got -1",
		`Release.Fail must be one of [errors latency crash] (or empty for a healthy release), got "throttles"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error does not say %q:\n%s", want, msg)
		}
	}
	if len(*app.Node().Children()) != 0 {
		t.Error("a stack was defined for bad props")
	}
}
