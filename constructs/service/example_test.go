package service_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/gobuild"
	"github.com/safeship/lambda-bluegreen/constructs/hooks"
	"github.com/safeship/lambda-bluegreen/constructs/service"
	"github.com/safeship/lambda-bluegreen/constructs/strategy"
)

// Ship three functions of one Go handler blue/green, each with a test of its own, sharing one pre-traffic hook,
// one post-traffic hook and one CodeDeploy role.
func ExampleNew() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Shop"), nil)
	var functions []service.Function
	for _, id := range []string{"Orders", "Users", "Payments"} {
		functions = append(functions, service.Function{
			ID:            id,
			FunctionProps: gobuild.FunctionProps("../../examples/handlers/hello", nil, nil),
			PreTraffic: &hooks.PreTrafficProps{Tests: []hooks.TestCase{{Name: id + " answers",
				Payload: map[string]interface{}{"rawPath": "/"}}}},
		})
	}
	shop := service.New(stack, "Service", &service.Props{
		Functions: functions, Strategy: strategy.Canary10Percent5Minutes, PostTraffic: &hooks.PostTrafficProps{},
	})
	fmt.Println(len(shop.Deployments()), shop.Deployment("Users").Strategy(), shop.PreTrafficHook() != nil)
	// Output: 3 Canary10Percent5Minutes true
}
