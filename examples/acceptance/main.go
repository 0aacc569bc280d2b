// Command acceptance is the acceptance app: one stack that ships the release the AWS backend of the acceptance
// scenarios (internal/acceptance, bluegreen acceptance) deploys at each step. The context names the stack
// (acceptance:stack, default BlueGreenAcceptance-local-00), the run that tags it (acceptance:run, default local)
// and the release (acceptance:release, an acceptance.Release as JSON, default {"commit":"c1"}):
//
//	./cdkw deploy --app "go run ./examples/acceptance" -c acceptance:run=r1 \
//	  -c acceptance:stack=BlueGreenAcceptance-r1-00 -c 'acceptance:release={"commit":"c2","preTraffic":true}'
//
// The stack is environment-agnostic unless both context keys "account" and "region" are set, as in examples/app.
package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/examples/acceptance/stack"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	name, props, err := stack.FromContext(app)
	if err != nil {
		panic(err)
	}
	account, _ := app.Node().TryGetContext(jsii.String("account")).(string)
	region, _ := app.Node().TryGetContext(jsii.String("region")).(string)
	if account != "" && region != "" {
		props.StackProps.Env = &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)}
	}
	stack.NewStack(app, name, props)
	app.Synth(nil)
}
