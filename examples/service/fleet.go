package service

import (
	"fmt"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/hooks"
	svc "github.com/safeship/lambda-bluegreen/constructs/service"
	"github.com/safeship/lambda-bluegreen/constructs/strategy"
)

// FleetSize is how many functions the example's whole-service stack ships.
const FleetSize = 20

// FleetStack is the example of a whole service: FleetSize functions in one stack, each shipped by canary with its
// own alias, group, green alarms and pre-traffic test, sharing one pre-traffic hook, one post-traffic hook and one
// CodeDeploy role (constructs/service). One Go handler serves them all.
type FleetStack struct {
	awscdk.Stack
	// Service holds the functions' deployments and the shared hooks.
	Service svc.Service
}

// newFleet defines the stack BlueGreenFleet: the hello handler as FleetSize functions (Fn01…Fn20), one log group
// and one role for them all.
func newFleet(scope constructs.Construct, env *awscdk.Environment, codeDir string, bypass bool) *FleetStack {
	stack := awscdk.NewStack(scope, jsii.String("BlueGreenFleet"), &awscdk.StackProps{Env: env,
		Description: jsii.String(fmt.Sprintf("Example blue/green service of %d functions sharing hooks", FleetSize))})
	logs, role := logsAndRole(stack, "Runs the example fleet's functions")
	pins, err := bluegreen.PinsFromContext(stack)
	if err != nil {
		panic(err)
	}
	code := awslambda.Code_FromAsset(jsii.String(codeDir), nil) // one asset for every function
	var fns []svc.Function
	for i := 1; i <= FleetSize; i++ {
		id := fmt.Sprintf("Fn%02d", i)
		path := fmt.Sprintf("/fn%02d", i)
		var pinned *string
		if v, ok := pins[*stack.Node().Path()+"/Shop/"+id]; ok {
			pinned = jsii.String(v)
		}
		fns = append(fns, svc.Function{
			ID: id, PinnedVersion: pinned,
			FunctionProps: &awslambda.FunctionProps{
				Role: role, Code: code, Runtime: awslambda.Runtime_PROVIDED_AL2023(),
				Architecture: awslambda.Architecture_ARM_64(), Handler: jsii.String("bootstrap"),
				Description: jsii.String("Example fleet function " + id), MemorySize: jsii.Number(128),
				Timeout: awscdk.Duration_Seconds(jsii.Number(10)), LogGroup: logs,
				Environment: &map[string]*string{"STAGE": jsii.String("fleet-" + id)},
			},
			PreTraffic: &hooks.PreTrafficProps{Tests: []hooks.TestCase{{
				Name: id + " says hello", StatusCode: intp(200), MaxLatency: 2 * time.Second,
				Payload: map[string]interface{}{"rawPath": path, "requestContext": map[string]interface{}{
					"http": map[string]interface{}{"method": "GET", "path": path}}},
				Contains: map[string]string{"body.message": "hello"},
			}}},
		})
	}
	keep := 5
	service := svc.New(stack, "Shop", &svc.Props{
		Functions: fns, Strategy: strategy.Canary10Percent5Minutes, EmergencyBypass: jsii.Bool(bypass),
		PostTraffic: &hooks.PostTrafficProps{KeepVersions: &keep},
	})
	for _, d := range service.Deployments() {
		cdknag.NagSuppressions_AddResourceSuppressions(d.Function(), &[]*cdknag.NagPackSuppression{
			{Id: jsii.String("Serverless-LambdaDLQ"), Reason: jsii.String("Invoked only synchronously; a DLQ applies to asynchronous invocations")},
			{Id: jsii.String("Serverless-LambdaTracing"), Reason: jsii.String("The fleet example keeps X-Ray off to stay small; the other stacks show tracing")},
		}, jsii.Bool(false))
	}
	return &FleetStack{Stack: stack, Service: service}
}
