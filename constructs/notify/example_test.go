package notify_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/gobuild"
	"github.com/safeship/lambda-bluegreen/constructs/notify"
)

// Every deployment of the stack's function reaches an encrypted topic, and from there an e-mail address and a
// Slack channel.
func ExampleNew() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Service"), nil)
	api := bluegreen.NewDeployment(stack, "Api", &bluegreen.DeploymentProps{
		FunctionProps: gobuild.FunctionProps("../../examples/handlers/hello", nil, nil),
	})
	notifier := notify.New(stack, "Notifications", &notify.Props{
		Deployments: []bluegreen.Deployment{api},
		Emails:      []string{"team@example.com"},
		Slack: &notify.SlackChannel{
			ConfigurationName: "deployments",
			WorkspaceID:       "T0123ABCD",
			ChannelID:         "C0123ABCD",
		},
	})
	fmt.Println(*notifier.Function().Node().Path(), notifier.Key() != nil, len(notifier.EmailSubscriptions()))
	// Output: Service/Notifications/Function true 1
}
