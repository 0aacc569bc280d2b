// Command app is the example CDK app that the repository's cdk.json runs: cdk synth, cdk deploy.
//
// The stacks are environment-agnostic unless both context keys "account" and "region" are set
// (cdk synth -c account=123456789012 -c region=eu-west-1). With -c lambda-bluegreen:nag=true the cdk-nag
// AwsSolutions and Serverless packs run too (the example pipeline's synth does this).
package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/examples/service"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	var env *awscdk.Environment
	account, _ := app.Node().TryGetContext(jsii.String("account")).(string)
	region, _ := app.Node().TryGetContext(jsii.String("region")).(string)
	if account != "" && region != "" {
		env = &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)}
	}
	service.NewApp(app, ".", env)
	app.Synth(nil)
}
