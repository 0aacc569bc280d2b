package pipeline_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/gobuild"
	"github.com/safeship/lambda-bluegreen/constructs/pipeline"
)

// A pipeline that deploys a Dev stage, then a Prod stage after an approval, checking each one's alias.
func ExampleNew() {
	app := awscdk.NewApp(nil)
	stages := map[string]bluegreen.Deployment{}
	var list []pipeline.Stage
	for _, name := range []string{"Dev", "Prod"} {
		stage := awscdk.NewStage(app, jsii.String(name), nil)
		api := bluegreen.NewDeployment(awscdk.NewStack(stage, jsii.String("Service"), nil), "Api", &bluegreen.DeploymentProps{
			FunctionProps: gobuild.FunctionProps("../../examples/handlers/hello", nil, nil),
		})
		stages[name] = api
		list = append(list, pipeline.Stage{Stage: stage, Verify: []bluegreen.Deployment{api}})
	}
	p := pipeline.New(awscdk.NewStack(app, jsii.String("Delivery"), nil), "Pipeline", &pipeline.Props{
		Source:         pipeline.FromConnection("arn:aws:codeconnections:eu-west-1:123456789012:connection/example", "my-org/my-service", "main"),
		Stages:         list,
		ApprovalBefore: []string{"Prod"},
	})
	fmt.Println(*p.Node().Path(), len(stages))
	// Output: Delivery/Pipeline 2
}
