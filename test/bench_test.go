package test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/examples/service"
)

// BenchmarkSynthExampleApp defines and synthesizes the whole example app (both stacks, cloud assembly written,
// CloudFormation validation run), as cdk synth does after the app's process has started.
func BenchmarkSynthExampleApp(b *testing.B) {
	for i := 0; i < b.N; i++ {
		app := newApp(b)
		service.NewApp(app, repoRoot, nil)
		app.Synth(nil)
	}
}

// BenchmarkSynthDeployments defines and synthesizes one stack with 1 and with 10 protected functions. The
// difference divided by 9 is what each additional Deployment costs (target: under 150 ms).
func BenchmarkSynthDeployments(b *testing.B) {
	for _, n := range []int{1, 10} {
		b.Run(fmt.Sprintf("functions=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				app := newApp(b)
				stack := awscdk.NewStack(app, jsii.String("Bench"), nil)
				props := functionProps(b) // one asset per stack, shared by its functions
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

// BenchmarkSynthTwoEnvironments defines and synthesizes two environment stacks in two regions (each a protected
// function behind an HTTP API, custom domain and health check) and the Switch stack between them.
func BenchmarkSynthTwoEnvironments(b *testing.B) {
	for i := 0; i < b.N; i++ {
		e := newTwoEnvironmentsTB(b, "eu-west-1", "eu-central-1")
		e.newSwitch(nil)
		e.app.Synth(nil)
	}
}
