package service

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/notify"
)

// Context keys of the prod stage's deployment notifications. Without them the notices reach only the topic (and
// the notification function's log group); subscribe to the topic yourself, or set them:
// ./cdkw deploy BlueGreenServiceProd -c lambda-bluegreen:notifyEmails=team@example.com
const (
	// ContextNotifyEmails is a comma-separated list of e-mail addresses to subscribe to the notifications.
	ContextNotifyEmails = "lambda-bluegreen:notifyEmails"
	// ContextSlackWorkspace and ContextSlackChannel, both set, deliver the notifications to that Slack channel
	// (the workspace authorized once in the AWS chat integration's console); ContextSlackConfiguration names the
	// chat configuration (default "bluegreen-<stack name>").
	ContextSlackWorkspace     = "lambda-bluegreen:slackWorkspace"
	ContextSlackChannel       = "lambda-bluegreen:slackChannel"
	ContextSlackConfiguration = "lambda-bluegreen:slackConfiguration"
)

// newNotifier reports every deployment of the stack's service to an encrypted topic of the stack (construct id
// "Notifications"), and to the e-mail addresses and the Slack channel the context names.
func newNotifier(stack awscdk.Stack, deployment bluegreen.Deployment) notify.Notifier {
	props := &notify.Props{Deployments: []bluegreen.Deployment{deployment}}
	for _, address := range strings.Split(stackContext(stack, ContextNotifyEmails, ""), ",") {
		if address = strings.TrimSpace(address); address != "" {
			props.Emails = append(props.Emails, address)
		}
	}
	workspace, channel := stackContext(stack, ContextSlackWorkspace, ""), stackContext(stack, ContextSlackChannel, "")
	if workspace != "" && channel != "" {
		props.Slack = &notify.SlackChannel{
			ConfigurationName: stackContext(stack, ContextSlackConfiguration, "bluegreen-"+strings.ReplaceAll(*stack.StackName(), "_", "-")),
			WorkspaceID:       workspace,
			ChannelID:         channel,
		}
	}
	return notify.New(stack, "Notifications", props)
}

// stackContext is the context value of key seen from stack (set on the command line with -c), or fallback.
func stackContext(stack awscdk.Stack, key, fallback string) string {
	if v, ok := stack.Node().TryGetContext(jsii.String(key)).(string); ok && v != "" {
		return v
	}
	return fallback
}
