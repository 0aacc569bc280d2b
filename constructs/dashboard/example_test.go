package dashboard_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/dashboard"
	"github.com/safeship/lambda-bluegreen/constructs/gobuild"
)

// One dashboard for the stack, with a section per deployment.
func ExampleNew() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Service"), nil)
	api := bluegreen.NewDeployment(stack, "Api", &bluegreen.DeploymentProps{
		FunctionProps: gobuild.FunctionProps("../../examples/handlers/hello", nil, nil),
	})
	board := dashboard.New(stack, "Dashboard", &dashboard.Props{
		Deployments: []bluegreen.Deployment{api},
	})
	fmt.Println(*board.CloudWatchDashboard().Node().Path())
	// Output: Service/Dashboard/Resource
}
