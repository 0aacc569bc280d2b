package hooks_test

import (
	"fmt"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/gobuild"
	"github.com/safeship/lambda-bluegreen/constructs/hooks"
)

// A pre-traffic hook on its own, for a deployment group wired by hand.
func ExampleNewHook() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Service"), nil)
	fn := awslambda.NewFunction(stack, jsii.String("Api"), gobuild.FunctionProps("../../examples/handlers/hello", nil, nil))
	alias := awslambda.NewAlias(stack, jsii.String("Live"), &awslambda.AliasProps{
		AliasName: jsii.String("live"), Version: fn.CurrentVersion(),
	})
	group := awscodedeploy.NewLambdaDeploymentGroup(stack, jsii.String("Group"), &awscodedeploy.LambdaDeploymentGroupProps{
		Alias: alias,
	})
	hook := hooks.NewHook(stack, "PreTrafficHook", &hooks.HookProps{
		Function:        fn,
		DeploymentGroup: group,
		PreTraffic: &hooks.PreTrafficProps{Tests: []hooks.TestCase{{
			Name: "health", Payload: map[string]string{"rawPath": "/health"}, StatusCode: hooks.Int(200), MaxLatency: time.Second,
		}}},
	})
	group.AddPreHook(hook.Function())
	fmt.Println(hook.Phase())
	// Output: pre-traffic
}
