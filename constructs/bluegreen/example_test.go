package bluegreen_test

import (
	"fmt"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/alarms"
	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/gobuild"
	"github.com/safeship/lambda-bluegreen/constructs/strategy"
)

// Ship a Go handler by a custom canary. The four default alarms watch green; a business-metric alarm (an anomaly
// band on orders per minute) rolls back too.
func ExampleNewDeployment() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Service"), nil)

	api := bluegreen.NewDeployment(stack, "Api", &bluegreen.DeploymentProps{
		FunctionProps: gobuild.FunctionProps("../../examples/handlers/hello", nil, nil),
		Strategy:      strategy.Canary(5, 10*time.Minute),
	})
	orders := awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace: jsii.String("Shop"), MetricName: jsii.String("Orders"), Statistic: jsii.String("Sum"),
	})
	api.AddAlarm(alarms.NewAnomalyAlarm(stack, "OrdersDrop", &alarms.AnomalyAlarmProps{Metric: orders}))

	fmt.Println(*api.Alias().AliasName(), api.Strategy(), len(api.GreenAlarms().Alarms()), len(api.Alarms()))
	// Output: live Canary5Percent10Minutes 4 5
}
