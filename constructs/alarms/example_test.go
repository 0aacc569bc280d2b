package alarms_test

import (
	"fmt"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/alarms"
	"github.com/safeship/lambda-bluegreen/constructs/gobuild"
)

// The worst-case time for the default error-rate alarm to fire on a green that fails every request: one 60-second
// datapoint, two minutes of metric lag and a minute for CodeDeploy to see the alarm.
func ExampleDetectionTime() {
	fmt.Println(alarms.DetectionTime(alarms.DefaultPeriod, 1))
	fmt.Println(alarms.DetectionTime(5*time.Minute, 2))
	// Output:
	// 4m0s
	// 13m0s
}

// The green alarms on their own, for an alias shifted by something other than bluegreen.Deployment: tune the
// latency budget, turn the throttle alarm off.
func ExampleNewGreenAlarms() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Service"), nil)
	fn := awslambda.NewFunction(stack, jsii.String("Fn"), gobuild.FunctionProps("../../examples/handlers/hello", nil, nil))
	alias := awslambda.NewAlias(stack, jsii.String("Live"), &awslambda.AliasProps{
		AliasName: jsii.String("live"), Version: fn.CurrentVersion(),
	})
	green := alarms.NewGreenAlarms(stack, "GreenAlarms", &alarms.GreenAlarmsProps{
		Alias: alias,
		Options: alarms.Options{
			Latency:   alarms.LatencyOptions{Budget: 250 * time.Millisecond},
			Throttles: alarms.ThrottleOptions{Disabled: true},
		},
	})
	d, _ := green.DetectionTime()
	fmt.Println(len(green.Alarms()), green.LatencyBudget(), d)
	// Output: 3 250ms 4m0s
}
