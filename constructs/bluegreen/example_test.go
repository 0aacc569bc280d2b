package bluegreen_test

import (
	"fmt"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/gobuild"
	"github.com/safeship/lambda-bluegreen/constructs/strategy"
)

// Ship a Go handler by a custom canary, with an alarm that rolls the deployment back.
func ExampleNewDeployment() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Service"), nil)

	api := bluegreen.NewDeployment(stack, "Api", &bluegreen.DeploymentProps{
		FunctionProps: gobuild.FunctionProps("../../examples/handlers/hello", nil, nil),
		Strategy:      strategy.Canary(5, 10*time.Minute),
	})
	api.AddAlarm(api.MetricErrors(nil).CreateAlarm(stack, jsii.String("ApiErrors"), &awscloudwatch.CreateAlarmOptions{
		Threshold: jsii.Number(1), EvaluationPeriods: jsii.Number(1),
	}))

	fmt.Println(*api.Alias().AliasName(), api.Strategy(), len(api.Alarms()))
	// Output: live Canary5Percent10Minutes 1
}
