package deployment

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/alarms"
	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/strategy"
	"github.com/safeship/lambda-bluegreen/test/testkit"
)

// Every bad prop is refused at synth with the construct path, the field, the value and what is allowed, and
// nothing is left in the tree.
func TestBadInput(t *testing.T) {
	cases := []struct {
		name  string
		props func(t *testing.T, existing awslambda.Function) *bluegreen.DeploymentProps
		want  []string
	}{
		{"nil props", func(*testing.T, awslambda.Function) *bluegreen.DeploymentProps { return nil },
			[]string{"exactly one of Function and FunctionProps must be set, got neither"}},
		{"neither function nor props", func(*testing.T, awslambda.Function) *bluegreen.DeploymentProps {
			return &bluegreen.DeploymentProps{}
		}, []string{"exactly one of Function and FunctionProps must be set, got neither"}},
		{"both function and props", func(t *testing.T, fn awslambda.Function) *bluegreen.DeploymentProps {
			return &bluegreen.DeploymentProps{Function: fn, FunctionProps: testkit.FunctionProps(t)}
		}, []string{"exactly one of Function and FunctionProps must be set, got both"}},
		{"percent above 99", withStrategy(strategy.Canary(120, 5*time.Minute)),
			[]string{"Strategy: canary percentage must be between 1 and 99, got 120"}},
		{"percent below 1", withStrategy(strategy.Linear(0, 5*time.Minute)),
			[]string{"linear percentage must be between 1 and 99, got 0"}},
		// A percentage such as 12.5 does not compile: CodeDeploy's percentages are integers.
		{"percent from a token", func(t *testing.T, fn awslambda.Function) *bluegreen.DeploymentProps {
			percent := awscdk.Token_AsNumber(awscdk.Fn_ImportValue(jsii.String("Percent")))
			return withStrategy(strategy.Canary(int(*percent), 5*time.Minute))(t, fn)
		}, []string{"Strategy: canary percentage must be a number known at synth", "CDK token",
			"CDK tokens are not supported in a strategy"}},
		{"interval from a token", func(t *testing.T, fn awslambda.Function) *bluegreen.DeploymentProps {
			minutes := awscdk.Token_AsNumber(awscdk.Fn_ImportValue(jsii.String("Minutes")))
			return withStrategy(strategy.Linear(10, time.Duration(*minutes*float64(time.Minute))))(t, fn)
		}, []string{"Strategy: linear interval must be a duration known at synth", "CDK tokens are not supported"}},
		{"interval not whole minutes", withStrategy(strategy.Canary(10, 90*time.Second)),
			[]string{"canary interval must be whole minutes, got 1m30s"}},
		{"interval below 1 minute", withStrategy(strategy.Linear(10, 30*time.Second)),
			[]string{"linear interval must be at least 1 minute, got 30s"}},
		{"canary longer than 48 hours", withStrategy(strategy.Canary(10, 49*time.Hour)),
			[]string{"canary interval must be at most 48h0m0s (CodeDeploy's limit), got 49h0m0s"}},
		{"linear schedule longer than 48 hours", withStrategy(strategy.Linear(10, 6*time.Hour)),
			[]string{"linear schedule must take at most 48h0m0s (CodeDeploy's limit), got 10 shifts 6h0m0s apart = 54h0m0s"}},
		{"several problems at once", withStrategy(strategy.Linear(150, 10*time.Second)),
			[]string{"Strategy: linear percentage must be between 1 and 99, got 150", "\nStrategy: linear interval must be at least 1 minute, got 10s"}},
		{"alias name with a space", func(t *testing.T, _ awslambda.Function) *bluegreen.DeploymentProps {
			return &bluegreen.DeploymentProps{FunctionProps: testkit.FunctionProps(t), AliasName: jsii.String("my alias")}
		}, []string{`AliasName must be 1 to 128 letters, digits, '-' or '_', and not only digits, got "my alias"`}},
		{"alias name only digits", func(t *testing.T, _ awslambda.Function) *bluegreen.DeploymentProps {
			return &bluegreen.DeploymentProps{FunctionProps: testkit.FunctionProps(t), AliasName: jsii.String("42")}
		}, []string{`AliasName must be 1 to 128 letters, digits, '-' or '_', and not only digits, got "42"`}},
		{"alias name empty", func(t *testing.T, _ awslambda.Function) *bluegreen.DeploymentProps {
			return &bluegreen.DeploymentProps{FunctionProps: testkit.FunctionProps(t), AliasName: jsii.String("")}
		}, []string{`AliasName must be 1 to 128 letters`, `got ""`}},
		{"alias name too long", func(t *testing.T, _ awslambda.Function) *bluegreen.DeploymentProps {
			return &bluegreen.DeploymentProps{FunctionProps: testkit.FunctionProps(t), AliasName: jsii.String(strings.Repeat("a", 129))}
		}, []string{`AliasName must be 1 to 128 letters`}},
		{"negative error-rate threshold", withAlarms(alarms.Options{ErrorRate: alarms.ErrorRateOptions{ThresholdPercent: jsii.Number(-1)}}),
			[]string{"GreenAlarms.ErrorRate.ThresholdPercent must be at least 0 and below 100", "got -1"}},
		{"error-rate threshold above 100 %", withAlarms(alarms.Options{ErrorRate: alarms.ErrorRateOptions{ThresholdPercent: jsii.Number(150)}}),
			[]string{"GreenAlarms.ErrorRate.ThresholdPercent must be at least 0 and below 100 (an error rate never " +
				"exceeds 100 %, so the alarm could never fire), got 150"}},
		{"error-rate threshold of 100 %", withAlarms(alarms.Options{ErrorRate: alarms.ErrorRateOptions{ThresholdPercent: jsii.Number(100)}}),
			[]string{"GreenAlarms.ErrorRate.ThresholdPercent must be at least 0 and below 100", "got 100"}},
		{"relative margin of 100 points", withAlarms(alarms.Options{RelativeErrorRate: alarms.RelativeErrorRateOptions{MarginPercent: jsii.Number(100)}}),
			[]string{"GreenAlarms.RelativeErrorRate.MarginPercent must be at least 0 and below 100 (percentage points", "got 100"}},
		{"latency budget at the function's timeout", func(t *testing.T, _ awslambda.Function) *bluegreen.DeploymentProps {
			fp := testkit.FunctionProps(t)
			fp.Timeout = awscdk.Duration_Seconds(jsii.Number(10))
			return &bluegreen.DeploymentProps{FunctionProps: fp,
				GreenAlarms: alarms.Options{Latency: alarms.LatencyOptions{Budget: 10 * time.Second}}}
		}, []string{"GreenAlarms.Latency.Budget must be below the function's timeout (10s): Lambda stops an invocation " +
			"at its timeout, so green's latency never exceeds it and the alarm could never fire, got 10s"}},
		{"latency budget above Lambda's default timeout", withAlarms(alarms.Options{Latency: alarms.LatencyOptions{Budget: 5 * time.Second}}),
			[]string{"GreenAlarms.Latency.Budget must be below the function's timeout (3s)", "got 5s"}},
		{"latency budget above an existing function's timeout", func(t *testing.T, fn awslambda.Function) *bluegreen.DeploymentProps {
			return &bluegreen.DeploymentProps{Function: fn,
				GreenAlarms: alarms.Options{Latency: alarms.LatencyOptions{Budget: 4 * time.Second}}}
		}, []string{"GreenAlarms.Latency.Budget must be below the function's timeout (3s)", "got 4s"}},
		{"negative throttle threshold and margin", withAlarms(alarms.Options{
			Throttles:         alarms.ThrottleOptions{Threshold: jsii.Number(-3)},
			RelativeErrorRate: alarms.RelativeErrorRateOptions{MarginPercent: jsii.Number(-0.5)}}),
			[]string{"GreenAlarms.RelativeErrorRate.MarginPercent must be at least 0 and below 100", "got -0.5",
				"\nGreenAlarms.Throttles.Threshold must be at least 0, got -3"}},
		{"percentile above 100", withAlarms(alarms.Options{Latency: alarms.LatencyOptions{Percentile: jsii.Number(120)}}),
			[]string{"GreenAlarms.Latency.Percentile must be greater than 0 and at most 100, got 120"}},
		{"percentile 0", withAlarms(alarms.Options{Latency: alarms.LatencyOptions{Percentile: jsii.Number(0)}}),
			[]string{"GreenAlarms.Latency.Percentile must be greater than 0 and at most 100, got 0"}},
		{"negative latency budget", withAlarms(alarms.Options{Latency: alarms.LatencyOptions{Budget: -time.Second}}),
			[]string{"GreenAlarms.Latency.Budget must be positive (or zero for the default), got -1s"}},
		{"period not a multiple of 60 s", withAlarms(alarms.Options{Throttles: alarms.ThrottleOptions{
			Evaluation: alarms.Evaluation{Period: 90 * time.Second}}}),
			[]string{"GreenAlarms.Throttles.Period must be a whole multiple of 60s (AWS/Lambda publishes once a minute), got 1m30s"}},
		{"more datapoints than periods", withAlarms(alarms.Options{Latency: alarms.LatencyOptions{
			Evaluation: alarms.Evaluation{EvaluationPeriods: jsii.Number(2), DatapointsToAlarm: jsii.Number(3)}}}),
			[]string{"GreenAlarms.Latency.DatapointsToAlarm must be at most EvaluationPeriods (2), got 3"}},
		{"an error-rate window with no room for late data", withAlarms(alarms.Options{ErrorRate: alarms.ErrorRateOptions{
			Evaluation: alarms.Evaluation{EvaluationPeriods: jsii.Number(2), DatapointsToAlarm: jsii.Number(3)}}}),
			[]string{"GreenAlarms.ErrorRate.EvaluationPeriods must be at least DatapointsToAlarm + 3 = 6 with 1m0s periods, got 2"}},
		{"min invocations below 1", withAlarms(alarms.Options{ErrorRate: alarms.ErrorRateOptions{MinInvocations: jsii.Number(0)}}),
			[]string{"GreenAlarms.ErrorRate.MinInvocations must be at least 1, got 0"}},
		{"nil alarm", func(t *testing.T, _ awslambda.Function) *bluegreen.DeploymentProps {
			return &bluegreen.DeploymentProps{FunctionProps: testkit.FunctionProps(t), Alarms: []awscloudwatch.IAlarm{nil}}
		}, []string{"Alarms[0] must be an alarm, got nil"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stack := testkit.NewStack(t)
			existing := awslambda.NewFunction(stack, jsii.String("Existing"), testkit.FunctionProps(t))
			before := len(*stack.Node().Children())
			p := tc.props(t, existing)
			msg := testkit.MustPanic(t, func() { bluegreen.NewDeployment(stack, "Api", p) })
			if !strings.HasPrefix(msg, "TestStack/Api: invalid DeploymentProps: ") {
				t.Errorf("error must start with the construct path, got %q", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			if after := len(*stack.Node().Children()); after != before {
				t.Errorf("a refused deployment left %d constructs in the stack", after-before)
			}
			if stack.Node().TryFindChild(jsii.String("Api")) != nil {
				t.Errorf("a refused deployment left its construct in the tree")
			}
		})
	}
}

func withAlarms(o alarms.Options) func(*testing.T, awslambda.Function) *bluegreen.DeploymentProps {
	return func(t *testing.T, _ awslambda.Function) *bluegreen.DeploymentProps {
		return &bluegreen.DeploymentProps{FunctionProps: testkit.FunctionProps(t), GreenAlarms: o}
	}
}

func withStrategy(s strategy.Strategy) func(*testing.T, awslambda.Function) *bluegreen.DeploymentProps {
	return func(t *testing.T, _ awslambda.Function) *bluegreen.DeploymentProps {
		return &bluegreen.DeploymentProps{FunctionProps: testkit.FunctionProps(t), Strategy: s}
	}
}

func TestAddAlarmRefusesNil(t *testing.T) {
	stack := testkit.NewStack(t)
	d := testkit.Deploy(t, stack, "Api", nil)
	msg := testkit.MustPanic(t, func() { d.AddAlarm(nil) })
	if msg != "TestStack/Api: AddAlarm: alarm must be an alarm, got nil" {
		t.Errorf("got %q", msg)
	}
}

func TestTokenAliasNameIsAccepted(t *testing.T) {
	stack := testkit.NewStack(t)
	name := awslambda.NewFunction(stack, jsii.String("Other"), testkit.FunctionProps(t)).FunctionName()
	testkit.NoPanic(t, func() {
		testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{AliasName: name})
	})
}

// What only CDK can refuse (here: inline code, which provided.al2023 does not take) also leaves nothing behind, and
// the error still names the construct path.
func TestCDKRefusalLeavesNothingInTheTree(t *testing.T) {
	stack := testkit.NewStack(t)
	before := len(*stack.Node().Children())
	msg := testkit.MustPanic(t, func() {
		bluegreen.NewDeployment(stack, "Api", &bluegreen.DeploymentProps{FunctionProps: &awslambda.FunctionProps{
			Code:    awslambda.Code_FromInline(jsii.String("exit 0")),
			Runtime: awslambda.Runtime_PROVIDED_AL2023(),
			Handler: jsii.String("bootstrap"),
		}})
	})
	if !strings.HasPrefix(msg, "TestStack/Api: ") || !strings.Contains(strings.ToLower(msg), "inline") {
		t.Errorf("got %q, want CDK's refusal of inline code prefixed with the construct path", msg)
	}
	if after := len(*stack.Node().Children()); after != before {
		t.Errorf("a refused deployment left %d constructs in the stack", after-before)
	}
	// A valid deployment can take the same id afterwards.
	testkit.NoPanic(t, func() { testkit.Deploy(t, stack, "Api", nil) })
}

// Reusing an id is refused by CDK, and the construct that already had the id stays.
func TestDuplicateIDKeepsTheFirst(t *testing.T) {
	stack := testkit.NewStack(t)
	first := testkit.Deploy(t, stack, "Api", nil)
	testkit.MustPanic(t, func() { testkit.Deploy(t, stack, "Api", nil) })
	if stack.Node().TryFindChild(jsii.String("Api")) == nil || first.Alias() == nil {
		t.Errorf("the first deployment was removed")
	}
	testkit.CountIs(t, testkit.Template(t, stack), "AWS::Lambda::Alias", 1)
}
