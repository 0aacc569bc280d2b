package test

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/alarms"
	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/hooks"
	"github.com/safeship/lambda-bluegreen/constructs/service"
	exampleservice "github.com/safeship/lambda-bluegreen/examples/service"
	"github.com/safeship/lambda-bluegreen/test/testkit"
)

// BenchmarkSynthExampleApp defines and synthesizes the whole example app (both stacks, cloud assembly written,
// CloudFormation validation run), as cdk synth does after the app's process has started.
func BenchmarkSynthExampleApp(b *testing.B) {
	for i := 0; i < b.N; i++ {
		app := testkit.NewApp(b)
		exampleservice.NewApp(app, testkit.RepoRoot, nil)
		app.Synth(nil)
	}
}

// BenchmarkSynthDeployments defines and synthesizes one stack with 1, 10 and 44 protected functions (each a
// bluegreen.Deployment with its default green alarms, all running one prebuilt asset). The difference between two
// sizes divided by the number of functions between them is what each additional Deployment costs (target: under
// 150 ms). 44 is the most one stack holds: 11 resources each, 493 with the CodeDeploy application, the release
// guard (7: its function, role, policy, log group, rule and permission, and the release gate) and CDKMetadata,
// under CloudFormation's 500. bench/run.sh measures the same stacks as whole processes against TypeScript.
func BenchmarkSynthDeployments(b *testing.B) {
	for _, n := range []int{1, 10, 44} {
		b.Run(fmt.Sprintf("functions=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				app := testkit.NewApp(b)
				stack := awscdk.NewStack(app, jsii.String("Bench"), nil)
				awscdk.Annotations_Of(stack).AcknowledgeWarning(jsii.String(bluegreen.StackSizeWarning),
					jsii.String("a benchmark: as many functions as one stack holds"))
				props := testkit.FunctionProps(b) // one asset per stack, shared by its functions
				for j := 0; j < n; j++ {
					p := *props
					p.Environment = &map[string]*string{"INDEX": jsii.String(fmt.Sprint(j))}
					bluegreen.NewDeployment(stack, fmt.Sprintf("Fn%d", j), &bluegreen.DeploymentProps{FunctionProps: &p})
				}
				app.Synth(nil)
			}
		})
	}
}

// BenchmarkSynthService defines and synthesizes one stack with a service.Service of 1, 10 and 45 functions, each
// with a pre-traffic test of its own, sharing one pre-traffic hook, one post-traffic hook and one CodeDeploy role:
// what each additional function costs when hooks are shared. 45 such functions, each with its own execution role
// and log group (10 resources), fit in one stack (483 resources).
func BenchmarkSynthService(b *testing.B) {
	for _, n := range []int{1, 10, 45} {
		b.Run(fmt.Sprintf("functions=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				app := testkit.NewApp(b)
				stack := awscdk.NewStack(app, jsii.String("Bench"), nil)
				props := testkit.FunctionProps(b)
				fs := make([]service.Function, n)
				for j := range fs {
					p := *props
					p.Environment = &map[string]*string{"INDEX": jsii.String(fmt.Sprint(j))}
					fs[j] = service.Function{ID: fmt.Sprintf("Fn%d", j), FunctionProps: &p,
						PreTraffic: &hooks.PreTrafficProps{Tests: []hooks.TestCase{{Name: "root",
							Payload: map[string]interface{}{"rawPath": "/"}}}}}
				}
				service.New(stack, "Service", &service.Props{Functions: fs, PostTraffic: &hooks.PostTrafficProps{}})
				app.Synth(nil)
			}
		})
	}
}

// BenchmarkSynthTwoEnvironments defines and synthesizes two environment stacks in two regions (each a protected
// function behind an HTTP API, custom domain and health check) and the Switch stack between them.
func BenchmarkSynthTwoEnvironments(b *testing.B) {
	for i := 0; i < b.N; i++ {
		e := newTwoEnvironmentsTB(b, "eu-west-1", "eu-central-1")
		e.newSwitch(nil)
		e.app.Synth(nil)
	}
}

// TestGreenAlarmsTimingWithoutCDK checks the shortcut that saves a Deployment's synth most of its calls into the
// CDK: GreenAlarms.Timing answers, from Go, what ReadTiming reads back from each alarm's CloudFormation
// definition (some 30 calls each), with default and with tuned evaluations; for any other alarm it has no answer.
func TestGreenAlarmsTimingWithoutCDK(t *testing.T) {
	for name, opts := range map[string]alarms.Options{
		"defaults": {},
		"tuned": {
			ErrorRate: alarms.ErrorRateOptions{Evaluation: alarms.Evaluation{Period: 2 * time.Minute,
				EvaluationPeriods: jsii.Number(6), DatapointsToAlarm: jsii.Number(2)}},
			Throttles: alarms.ThrottleOptions{Evaluation: alarms.Evaluation{Period: 5 * time.Minute,
				EvaluationPeriods: jsii.Number(3)}},
			Latency: alarms.LatencyOptions{Evaluation: alarms.Evaluation{DatapointsToAlarm: jsii.Number(3)}},
		},
	} {
		t.Run(name, func(t *testing.T) {
			stack := testkit.NewStack(t)
			d := testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{GreenAlarms: opts})
			green := d.GreenAlarms()
			if len(green.Alarms()) != 4 {
				t.Fatalf("want 4 green alarms, got %d", len(green.Alarms()))
			}
			for _, a := range green.Alarms() {
				want, wantOK := alarms.ReadTiming(a)
				got, ok := green.Timing(a)
				if !ok || !wantOK || got != want {
					t.Errorf("%s: Timing = %+v, %v; ReadTiming = %+v, %v", *a.Node().Path(), got, ok, want, wantOK)
				}
			}
			other := awscloudwatch.NewAlarm(stack, jsii.String("Other"), &awscloudwatch.AlarmProps{
				Metric:            d.MetricErrors(nil),
				Threshold:         jsii.Number(1),
				EvaluationPeriods: jsii.Number(1),
			})
			if got, ok := green.Timing(other); ok {
				t.Errorf("Timing of an alarm that is not a green alarm = %+v, want no answer", got)
			}
		})
	}
}
