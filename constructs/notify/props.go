package notify

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/gobuild"
)

// Event is a deployment state a Notifier reports: the "state" of EventBridge's "CodeDeploy Deployment
// State-change Notification" (the values aws-lambda-go's events.CodeDeployDeploymentState names).
type Event string

// The deployment states. A rollback is a deployment of its own ("These rolled-back deployments are technically new
// deployments, with new deployment IDs", CodeDeploy user guide): it is reported through these states too, as
// "rollback started", "rolled back" or "rollback FAILED".
const (
	// Started means CodeDeploy started the deployment (before the pre-traffic hook).
	Started Event = "START"
	// Succeeded means the alias serves the new version; for a rollback, the old one again.
	Succeeded Event = "SUCCESS"
	// Failed means a hook failed or the deployment could not proceed; the notice says why and which deployment rolls
	// it back.
	Failed Event = "FAILURE"
	// Stopped means a rollback alarm fired (the notice names it) or someone stopped the deployment.
	Stopped Event = "STOP"
	// Ready is a state CodeDeploy documents for replacement instances ("Applies to blue/green deployments only.
	// Indicates that the latest application revision is installed on instances in a replacement environment and
	// that traffic from the original environment can now be rerouted", CodeDeploy user guide, SNS event
	// notifications); it documents nothing of it for Lambda.
	Ready Event = "READY"
)

// DefaultEvents are the states a Notifier reports unless Props.Events says otherwise.
var DefaultEvents = []Event{Started, Succeeded, Failed, Stopped}

// Props configure a Notifier. Name at least one deployment group, through Deployments or DeploymentGroups (more
// can be added later with AddDeployment and AddDeploymentGroup).
type Props struct {
	// Deployments are the blue/green deployments whose events are reported (their DeploymentGroup()).
	//
	// Default: none; DeploymentGroups must then name one.
	Deployments []bluegreen.Deployment

	// DeploymentGroups are further CodeDeploy Lambda deployment groups whose events are reported, such as one
	// wired by hand or imported.
	//
	// Default: none; Deployments must then name one.
	DeploymentGroups []awscodedeploy.ILambdaDeploymentGroup

	// Topic is an existing topic to publish notices to. The Notifier grants its function sns:Publish on it (and
	// the KMS actions on its key, when CDK knows the key), but leaves its resource policy, encryption and
	// subscribers to you: let the Notifier's Role() publish.
	//
	// Default: a new topic (construct id "Topic"), encrypted with a new customer managed KMS key with rotation
	// (construct id "Key"), whose policy denies publishing to everyone but the Notifier's function and any request
	// without TLS.
	Topic awssns.ITopic

	// Events are the deployment states to report.
	//
	// Default: DefaultEvents (Started, Succeeded, Failed, Stopped).
	Events []Event

	// Emails are e-mail addresses to subscribe to the topic. Each address receives a confirmation e-mail from
	// SNS first and gets notices only once it confirms.
	//
	// Default: none.
	Emails []string

	// Slack delivers every notice to a Slack channel through AWS's chat integration (Amazon Q Developer in chat
	// applications, formerly AWS Chatbot; construct id "Slack"). The workspace must have been authorized in its
	// console once.
	//
	// Default: no Slack channel.
	Slack *SlackChannel

	// Teams delivers every notice to a Microsoft Teams channel through AWS's chat integration (construct id
	// "Teams", role "TeamsRole"). The team must have been authorized in its console once.
	//
	// Default: no Teams channel.
	Teams *TeamsChannel

	// ReservedConcurrency reserves that many concurrent executions for the notification function: its notices
	// then go out even when the account's other functions use all the rest (a failing release can do that), and
	// it never takes more. Lambda refuses a reservation that leaves the account fewer than 100 unreserved
	// executions ("You can reserve up to the Unreserved account concurrency value minus 100"), so a new account
	// with a concurrency quota of 10 cannot deploy one: it is not set by default. Without it a throttled event is
	// kept and retried by Lambda (asynchronous invocation, up to 6 hours): the notice is late, not lost.
	//
	// Default: no reservation.
	ReservedConcurrency *int

	// Build tunes the go build of the notification function (see gobuild.Options); Files is ignored.
	//
	// Default: gobuild's defaults (arm64).
	Build *gobuild.Options
}

// SlackChannel is a Slack channel that receives the notices.
type SlackChannel struct {
	// ConfigurationName names the chat configuration: 1 to 128 letters, digits, "-" and "_", unique in the
	// account. Required.
	ConfigurationName string
	// WorkspaceID is the Slack workspace (team) id the chat integration's console shows once the workspace is
	// authorized. Required.
	WorkspaceID string
	// ChannelID is the channel's id (the end of its link, such as C0123ABCD). Required.
	ChannelID string
	// GuardrailPolicies cap what the chat integration may do from the channel.
	//
	// Default: the AWS managed policy CloudWatchReadOnlyAccess (the notices need no permission; reading alarms,
	// metrics and logs is what a team does next). AWS would apply AdministratorAccess if none were set.
	GuardrailPolicies []awsiam.IManagedPolicy
}

// TeamsChannel is a Microsoft Teams channel that receives the notices.
type TeamsChannel struct {
	// ConfigurationName names the chat configuration: 1 to 128 letters, digits, "-" and "_", unique in the
	// account. Required.
	ConfigurationName string
	// TeamID is the Microsoft Team id the chat integration's console shows once the team is authorized. Required.
	TeamID string
	// TenantID is the Microsoft Teams tenant id, shown beside TeamID. Required.
	TenantID string
	// ChannelID is the channel's id (from its link, such as 19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2).
	// Required.
	ChannelID string
	// GuardrailPolicies cap what the chat integration may do from the channel.
	//
	// Default: the AWS managed policy CloudWatchReadOnlyAccess.
	GuardrailPolicies []awsiam.IManagedPolicy
}
