package dnsswitch_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/dnsswitch"
	"github.com/safeship/lambda-bluegreen/constructs/gobuild"
)

// Two whole environments of api.example.com, in two regions, and the switch between them in a third stack. The
// certificates are DNS-validated in the zone; -c lambda-bluegreen:weights=blue=0,green=100 moves all the traffic
// to Green for one deploy.
func ExampleNewSwitch() {
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]interface{}{
		dnsswitch.WeightsContextKey: "blue=90,green=10",
	}})
	zone := func(stack awscdk.Stack) awsroute53.IHostedZone {
		return awsroute53.HostedZone_FromHostedZoneAttributes(stack, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{
			HostedZoneId: jsii.String("Z0000000000000EXAMPLE"), ZoneName: jsii.String("example.com"),
		})
	}
	environment := func(id, region string) dnsswitch.Environment {
		stack := awscdk.NewStack(app, jsii.String(id), &awscdk.StackProps{
			Env:                   &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String(region)},
			CrossRegionReferences: jsii.Bool(true),
		})
		service := bluegreen.NewDeployment(stack, "Service", &bluegreen.DeploymentProps{
			FunctionProps: gobuild.FunctionProps("../../examples/handlers/hello", nil, nil),
		})
		return dnsswitch.NewEnvironment(stack, "Environment", &dnsswitch.EnvironmentProps{
			Deployment: service, DomainName: jsii.String("api.example.com"), Zone: zone(stack),
		})
	}
	blue, green := environment("Blue", "eu-west-1"), environment("Green", "eu-central-1")

	router := awscdk.NewStack(app, jsii.String("Router"), &awscdk.StackProps{
		Env:                   &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-1")},
		CrossRegionReferences: jsii.Bool(true),
	})
	fromCommandLine, err := dnsswitch.WeightsFromContext(app)
	if err != nil {
		panic(err)
	}
	code := &dnsswitch.Weights{Blue: jsii.Number(100), Green: jsii.Number(0)}
	sw := dnsswitch.NewSwitch(router, "Switch", &dnsswitch.SwitchProps{
		Zone: zone(router), Blue: blue.Endpoint(), Green: green.Endpoint(), Weights: code.Over(fromCommandLine),
	})
	fmt.Println(*sw.RecordName(), sw.Weights())
	// Output: api.example.com blue=90,green=10
}
