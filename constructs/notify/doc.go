// Package notify tells a team about every deployment of its blue/green functions: started, succeeded, failed,
// stopped, rolled back. A Notifier puts one readable notice per deployment state change on an SNS topic, and from
// there into e-mail and Slack or Microsoft Teams channels (AWS's chat integration).
//
// An EventBridge rule matches CodeDeploy's "Deployment State-change Notification" events of the Notifier's
// deployment groups and invokes a Go function of this repository (package formatter, built with gobuild like the
// hooks). The event names only the deployment and its new state, so the function reads the deployment from
// CodeDeploy: the function, alias and versions from its AppSpec, and, for a deployment that failed or stopped, why:
// the lifecycle hook that reported Failed (and the hook function the AppSpec names), the rollback alarms in ALARM,
// or a stop on request, with the deployment that rolls it back. It publishes the notice as plain text for e-mail
// and as an AWS chat custom notification for every other protocol.
//
// EventBridge was chosen over the other two ways AWS reports deployments. CodeDeploy triggers (a deployment group's
// TriggerConfigurations) publish CodeDeploy's own JSON to SNS: no function, alias or versions, no hook or alarm
// name, a message the chat integration cannot show, and the CodeDeploy service role would publish (and use the
// key). CodeStar notification rules watch a whole application and offer only started, succeeded and failed
// deployment events, with no stop or rollback, and the same lack of detail. EventBridge sends every state of every
// deployment (START, SUCCESS, FAILURE, STOP, READY), filterable by group, to a function that can add what the team
// needs to know. Its delivery is "best effort": a notice may, rarely, not come.
//
// The topic the Notifier defines is encrypted with a customer managed KMS key (rotation on) whose policy lets the
// function's role use it through SNS; the topic's policy denies publishing to every other principal and any request
// without TLS. A topic of your own (Props.Topic) is used as it is.
package notify
