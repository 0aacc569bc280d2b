package notify

import (
	"fmt"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awschatbot"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdadestinations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/alarms"
	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/gobuild"
	"github.com/safeship/lambda-bluegreen/constructs/notify/formatter"
	"github.com/safeship/lambda-bluegreen/constructs/quota"
	"github.com/safeship/lambda-bluegreen/internal/deploygroups"
	"github.com/safeship/lambda-bluegreen/internal/nag"
)

// Notifier reports the deployments of its deployment groups to an SNS topic, one readable notice per state
// change, and from there to e-mail and chat channels.
type Notifier interface {
	constructs.Construct
	// Topic returns the topic the notices are published to: Props.Topic, or the one the Notifier defined.
	Topic() awssns.ITopic
	// Key returns the customer managed KMS key of the topic the Notifier defined, or nil for Props.Topic.
	Key() awskms.Key
	// Rule returns the EventBridge rule that sends the groups' deployment state changes to Function.
	Rule() awsevents.Rule
	// Function returns the Go function that reads each deployment and publishes its notice.
	Function() awslambda.Function
	// Role returns the function's role: it may read its groups' deployments and alarms, publish to Topic and
	// write to LogGroup.
	Role() awsiam.Role
	// LogGroup returns the function's log group, which also holds each notice it published.
	LogGroup() awslogs.LogGroup
	// EmailSubscriptions returns the subscriptions of Props.Emails, in order.
	EmailSubscriptions() []awssns.Subscription
	// Slack returns the Slack channel configuration of Props.Slack, or nil.
	Slack() awschatbot.SlackChannelConfiguration
	// Teams returns the Microsoft Teams channel configuration of Props.Teams, or nil. aws-cdk-lib 2.276.0 has no
	// L2 construct for it.
	Teams() awschatbot.CfnMicrosoftTeamsChannelConfiguration
	// TeamsRole returns the role of the Teams channel configuration (it has no permissions), or nil.
	TeamsRole() awsiam.Role
	// UndeliveredAlarm returns the alarm that goes into ALARM when a notice may be lost: Lambda could not deliver
	// a failed event's record to the topic (DestinationDeliveryFailures), or dropped an event (AsyncEventsDropped).
	// It has no action: add one to a topic of your own paging (not Topic, which may be what fails).
	UndeliveredAlarm() awscloudwatch.Alarm
	// AddDeployment reports the deployments of d's group too.
	AddDeployment(d bluegreen.Deployment)
	// AddDeploymentGroup reports the deployments of group too: the rule matches it, the function may read it.
	AddDeploymentGroup(group awscodedeploy.ILambdaDeploymentGroup)
}

type notifier struct {
	constructs.Construct
	topic     awssns.ITopic
	key       awskms.Key
	rule      awsevents.Rule
	function  awslambda.Function
	role      awsiam.Role
	logs      awslogs.LogGroup
	emails    []awssns.Subscription
	slack     awschatbot.SlackChannelConfiguration
	teams     awschatbot.CfnMicrosoftTeamsChannelConfiguration
	teamsRole awsiam.Role
	health    awscloudwatch.Alarm
	groups    map[string]bool
	matched   []matchedGroup // the groups reported, in the order added
	apps      map[string]bool
}

// matchedGroup is a deployment group a Notifier reports, with the key of its application.
type matchedGroup struct {
	group awscodedeploy.ILambdaDeploymentGroup
	app   string
}

// New defines the notification pipeline of props' deployment groups: an EventBridge rule on their deployment state
// changes, a Go function (built with go build, like the hooks) that reads each deployment and publishes a notice,
// its role and log group, the topic (unless Props.Topic is given) with its KMS key, and the e-mail and chat
// subscriptions. It panics, naming the construct path, with every problem in props; nothing is defined then.
//
// Define one Notifier per stack for the stack's deployments: the rule, the function and the topic serve them all.
func New(scope constructs.Construct, id string, props *Props) Notifier {
	p := Props{}
	if props != nil {
		p = *props
	}
	if err := p.validate(); err != nil {
		panic(fmt.Errorf("%s/%s: invalid notify.Props: %w", *scope.Node().Path(), id, err))
	}
	build := gobuild.Options{}
	if p.Build != nil {
		build = *p.Build
	}
	build.Files = nil
	codeDir, err := gobuild.BuildOnce(formatter.HandlerPackage, &build)
	if err != nil {
		panic(fmt.Errorf("%s/%s: building the notification function: %w", *scope.Node().Path(), id, err))
	}
	events := p.Events
	if len(events) == 0 {
		events = DefaultEvents
	}

	c := constructs.NewConstruct(scope, jsii.String(id))
	quota.Of(c).Watch(c) // the rule's pattern and the role grow with the groups notified
	n := &notifier{Construct: c, groups: map[string]bool{}, apps: map[string]bool{}}
	n.logs = awslogs.NewLogGroup(c, jsii.String("Logs"), &awslogs.LogGroupProps{
		Retention:     awslogs.RetentionDays_ONE_MONTH,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	n.role = awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("bluegreen deployment notifications: reads deployments, publishes notices"),
	})
	n.logs.GrantWrite(n.role)
	n.topic = p.Topic
	if n.topic == nil {
		n.defineTopic(c)
	}

	var reserved *float64
	if p.ReservedConcurrency != nil {
		reserved = jsii.Number(float64(*p.ReservedConcurrency))
	}
	n.function = awslambda.NewFunction(c, jsii.String("Function"), gobuild.BuiltFunctionProps(codeDir, &build, &awslambda.FunctionProps{
		Timeout:                      awscdk.Duration_Seconds(jsii.Number(60)),
		MemorySize:                   jsii.Number(128),
		Role:                         n.role,
		LogGroup:                     n.logs,
		ReservedConcurrentExecutions: reserved,
		Environment:                  &map[string]*string{formatter.TopicEnv: n.topic.TopicArn()},
		// EventBridge invokes the function asynchronously. After Lambda's retries (two by default) a failed event
		// goes to the on-failure destination, the topic itself: e-mail subscribers still hear of the deployment, as
		// the raw invocation record (chat channels do not: AWS's chat integration does not show messages that are
		// not an AWS event or custom notification) (Developer Guide, "Asynchronous invocation": "On failure – Send a record when the
		// event fails all processing attempts or exceeds the maximum age"; the record holds the event as
		// requestPayload). CDK's SnsDestination grants the role sns:Publish on the topic, and the KMS actions on its
		// key when CDK knows it.
		OnFailure:   awslambdadestinations.NewSnsDestination(n.topic),
		Description: jsii.String("bluegreen deployment notifications: publishes a readable notice per deployment state change"),
	}))
	n.health = undeliveredAlarm(c, n.function)
	// The function's policy must be in place before the first event reaches it.
	n.rule = awsevents.NewRule(c, jsii.String("Rule"), &awsevents.RuleProps{
		Description: jsii.String("CodeDeploy deployment state changes of the bluegreen deployment groups"),
		// EventBridge events reference, "AWS CodeDeploy events": "CodeDeploy sends the following events directly
		// to EventBridge: CodeDeploy Deployment State-change Notification, …" with "source": "aws.codedeploy";
		// each event's resources are the application's and the deployment group's ARNs. "Delivery type: Best
		// effort": a notice may, rarely, never come.
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings("aws.codedeploy"),
			DetailType: jsii.Strings("CodeDeploy Deployment State-change Notification"),
			// The applications and, when the notifier reports only some of an application's groups, the groups'
			// names: the pattern grows with the number of applications, not of groups, where the groups' ARNs
			// (195 to 230 characters each, resolved) would pass EventBridge's event pattern quota (2,048
			// characters, "Amazon EventBridge quotas") at about ten groups. "detail": {"application": …,
			// "deploymentGroup": …} of CodeDeploy's deployment state-change events (EventBridge events
			// reference, AWS CodeDeploy events).
			Detail: &map[string]interface{}{
				"state":           eventStates(events),
				"application":     awscdk.Lazy_List(&applicationNames{n}, nil),
				"deploymentGroup": awscdk.Lazy_List(&groupNames{n}, &awscdk.LazyListValueOptions{OmitEmpty: jsii.Bool(true)}),
			},
		},
	})
	n.rule.AddTarget(awseventstargets.NewLambdaFunction(n.function, nil))
	n.rule.Node().AddDependency(n.role)

	// CloudWatch API Reference, DescribeAlarms: "To use this operation and return information about composite
	// alarms, you must be signed on with the cloudwatch:DescribeAlarms permission that is scoped to *." The
	// function only reads the state of the alarms CodeDeploy names for a stopped deployment.
	n.role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("cloudwatch:DescribeAlarms"), Resources: jsii.Strings("*"),
	}))
	// ListDeploymentTargets and GetDeploymentTarget, which say which hook failed, have no resource type in the
	// Service Authorization Reference for CodeDeploy ("Resource types" empty for both, as read from a full-text copy
	// of the page; this repository's tools could not open the page itself), and an action without a resource type
	// is granted only by "*". "*" grants them whichever way the page reads: the role can still name the failed hook.
	n.role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("codedeploy:ListDeploymentTargets", "codedeploy:GetDeploymentTarget"),
		Resources: jsii.Strings("*"),
	}))
	for _, d := range p.Deployments {
		n.AddDeployment(d)
	}
	for _, g := range p.DeploymentGroups {
		n.AddDeploymentGroup(g)
	}

	for _, address := range p.Emails {
		sub := n.topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(address), nil))
		n.emails = append(n.emails, sub)
		nag.Explain(sub, nag.Rule{
			ID: "Serverless-SNSRedrivePolicy",
			Reason: "an e-mail subscription: SNS retries delivery to the mail server by its delivery policy; a " +
				"dead-letter queue would hold notices nobody reads, and the notification function's log group " +
				"keeps every notice",
		})
	}
	if p.Slack != nil {
		n.slack = awschatbot.NewSlackChannelConfiguration(c, jsii.String("Slack"), &awschatbot.SlackChannelConfigurationProps{
			SlackChannelConfigurationName: jsii.String(p.Slack.ConfigurationName),
			SlackWorkspaceId:              jsii.String(p.Slack.WorkspaceID),
			SlackChannelId:                jsii.String(p.Slack.ChannelID),
			NotificationTopics:            &[]awssns.ITopic{n.topic},
			GuardrailPolicies:             guardrails(p.Slack.GuardrailPolicies),
		})
	}
	if p.Teams != nil {
		n.defineTeams(c, p.Teams)
	}
	explain(n.role, n.function, n.rule)
	return n
}

// defineTopic defines the topic and its key: only the notification function may publish, only over TLS.
func (n *notifier) defineTopic(c constructs.Construct) {
	n.key = awskms.NewKey(c, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the bluegreen deployment notification topic"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
	})
	// SNS Developer Guide, "Encryption at rest" key management: a principal that publishes to an encrypted topic
	// needs "kms:GenerateDataKey*" and "kms:Decrypt" on its key. The key policy names the function's role for use
	// through SNS; CDK's SnsDestination also grants the same actions in the role's own policy (which CDK's default
	// key policy lets count), so the key is not limited to SNS use by this statement alone.
	n.key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowTheNotificationFunctionToPublishThroughSNS"),
		Principals: &[]awsiam.IPrincipal{n.role},
		Actions:    jsii.Strings("kms:GenerateDataKey*", "kms:Decrypt"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{
			"kms:ViaService": fmt.Sprintf("sns.%s.amazonaws.com", *awscdk.Stack_Of(c).Region()),
		}},
	}), nil)
	topic := awssns.NewTopic(c, jsii.String("Topic"), &awssns.TopicProps{
		DisplayName: jsii.String("Deployments"),
		MasterKey:   n.key,
		EnforceSSL:  jsii.Bool(true), // denies sns:Publish when aws:SecureTransport is false (cdk-nag AwsSolutions-SNS3)
	})
	// Only the notification function publishes (itself, or through its on-failure destination, which Lambda sends
	// with the function's execution role): aws:PrincipalArn is the role's ARN for its sessions (IAM User Guide,
	// global condition keys: "For IAM roles, the request context returns the ARN of the role, not the ARN of the
	// user that assumed the role"), and absent for anonymous requests, which the condition then denies too.
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("OnlyTheNotificationFunctionPublishes"),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewStarPrincipal()},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{topic.TopicArn()},
		Conditions: &map[string]interface{}{"ArnNotEquals": map[string]interface{}{
			"aws:PrincipalArn": n.role.RoleArn(),
		}},
	}))
	n.topic = topic
}

// defineTeams defines the Microsoft Teams channel configuration and its role (assumed by the chat integration,
// with no permissions, as aws-cdk-lib's SlackChannelConfiguration defines one).
func (n *notifier) defineTeams(c constructs.Construct, t *TeamsChannel) {
	n.teamsRole = awsiam.NewRole(c, jsii.String("TeamsRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("chatbot.amazonaws.com"), nil),
		Description: jsii.String("Microsoft Teams channel of the bluegreen deployment notifications"),
	})
	var arns []*string
	for _, g := range *guardrails(t.GuardrailPolicies) {
		arns = append(arns, g.ManagedPolicyArn())
	}
	n.teams = awschatbot.NewCfnMicrosoftTeamsChannelConfiguration(c, jsii.String("Teams"), &awschatbot.CfnMicrosoftTeamsChannelConfigurationProps{
		ConfigurationName: jsii.String(t.ConfigurationName),
		IamRoleArn:        n.teamsRole.RoleArn(),
		TeamId:            jsii.String(t.TeamID),
		TeamsTenantId:     jsii.String(t.TenantID),
		TeamsChannelId:    jsii.String(t.ChannelID),
		SnsTopicArns:      &[]*string{n.topic.TopicArn()},
		GuardrailPolicies: &arns,
	})
}

// guardrails returns the policies given, or CloudWatchReadOnlyAccess.
func guardrails(given []awsiam.IManagedPolicy) *[]awsiam.IManagedPolicy {
	if len(given) > 0 {
		out := append([]awsiam.IManagedPolicy(nil), given...)
		return &out
	}
	return &[]awsiam.IManagedPolicy{awsiam.ManagedPolicy_FromAwsManagedPolicyName(jsii.String("CloudWatchReadOnlyAccess"))}
}

func (n *notifier) AddDeployment(d bluegreen.Deployment) {
	if d == nil {
		panic(fmt.Errorf("%s: AddDeployment: the deployment must be set, got nil", *n.Node().Path()))
	}
	n.AddDeploymentGroup(d.DeploymentGroup())
}

func (n *notifier) AddDeploymentGroup(group awscodedeploy.ILambdaDeploymentGroup) {
	if group == nil {
		panic(fmt.Errorf("%s: AddDeploymentGroup: the group must be set, got nil", *n.Node().Path()))
	}
	arn := group.DeploymentGroupArn()
	if n.groups[*arn] {
		return
	}
	n.groups[*arn] = true
	app := group.Application()
	key := deploygroups.ApplicationKey(app)
	n.matched = append(n.matched, matchedGroup{group: group, app: key})
	if n.apps[key] {
		return
	}
	n.apps[key] = true
	// Read the deployments and groups of the application (the Service Authorization Reference gives the
	// deploymentgroup resource type for GetDeployment and GetDeploymentGroup; one pattern per application,
	// "deploymentgroup:<application>/*", where one ARN per group would outgrow IAM's policy quotas at a few dozen
	// groups) and its revisions. The function only reads the deployments the rule sends it.
	n.role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("codedeploy:GetDeployment", "codedeploy:GetDeploymentGroup"),
		Resources: &[]*string{deploygroups.Pattern(app.ApplicationName())},
	}))
	n.role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("codedeploy:GetApplicationRevision"),
		Resources: &[]*string{app.ApplicationArn()},
	}))
}

// applicationNames produces, at synth, the names of the applications of the notifier's groups.
type applicationNames struct{ n *notifier }

func (a *applicationNames) Produce() *[]*string {
	var names []*string
	seen := map[string]bool{}
	for _, m := range a.n.matched {
		if !seen[m.app] {
			seen[m.app] = true
			names = append(names, m.group.Application().ApplicationName())
		}
	}
	return &names
}

// groupNames produces, at synth, the names of the notifier's groups when it reports only some of the deployment
// groups of its applications that the app defines, and nothing (every group of the applications) otherwise. With
// several applications the pattern matches any of the names in any of them: a group of one application named as
// a notified group of another would be reported too (CloudFormation generates group names with a random suffix,
// so only explicit names can collide).
type groupNames struct{ n *notifier }

func (g *groupNames) Produce() *[]*string {
	if g.n.coversApplications() {
		return &[]*string{}
	}
	names := make([]*string, len(g.n.matched))
	for i, m := range g.n.matched {
		names[i] = m.group.DeploymentGroupName()
	}
	return &names
}

// coversApplications reports whether the notifier reports every deployment group of its applications that the
// app defines (an imported application is never covered: its groups are not known).
func (n *notifier) coversApplications() bool {
	for key := range n.apps {
		var app awscodedeploy.ILambdaApplication
		for _, m := range n.matched {
			if m.app == key {
				app = m.group.Application()
				break
			}
		}
		c, ok := app.(constructs.IConstruct)
		if !ok || !*awscdk.Resource_IsOwnedResource(c) {
			return false
		}
		// Groups of the application may be defined in other stacks of the app: look through the whole app.
		for _, x := range *c.Node().Root().Node().FindAll(constructs.ConstructOrder_PREORDER) {
			group, ok := x.(awscodedeploy.LambdaDeploymentGroup)
			if ok && deploygroups.ApplicationKey(group.Application()) == key && !n.groups[*group.DeploymentGroupArn()] {
				return false
			}
		}
	}
	return true
}

// undeliveredAlarm defines the alarm on notices that may be lost. Lambda Developer Guide, "Capturing records of
// Lambda asynchronous invocations": "If Lambda can't send a record to a destination you have configured, it sends a
// DestinationDeliveryFailures metric to Amazon CloudWatch" (permissions errors and size limits among the causes);
// AsyncEventsDropped counts the events Lambda discarded without the function processing them (AWS Compute Blog,
// "Introducing new asynchronous invocation metrics for AWS Lambda"), whose records then went to the topic raw. A
// quiet function publishes neither metric: missing data is not breaching. The sum fills missing data with 0, so its
// window leaves room for data that arrives late, as the green alarms' does (alarms.LatePeriods): 1 of 1 + late.
func undeliveredAlarm(c constructs.Construct, fn awslambda.Function) awscloudwatch.Alarm {
	const minutes = 5
	period := awscdk.Duration_Minutes(jsii.Number(minutes))
	sum := &awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: period}
	return awscloudwatch.NewAlarm(c, jsii.String("Undelivered"), &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String("A deployment notice may be lost: Lambda could not deliver a failed event's " +
			"record to the notification topic, or dropped an event. Read the notification function's log group."),
		Metric: awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression: jsii.String("FILL(undelivered, 0) + FILL(dropped, 0)"),
			UsingMetrics: &map[string]awscloudwatch.IMetric{
				"undelivered": fn.Metric(jsii.String("DestinationDeliveryFailures"), sum),
				"dropped":     fn.Metric(jsii.String("AsyncEventsDropped"), sum),
			},
			Period: period,
			Label:  jsii.String("notices that may be lost"),
		}),
		Threshold:          jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		DatapointsToAlarm:  jsii.Number(1),
		EvaluationPeriods:  jsii.Number(float64(1 + alarms.LatePeriods(minutes*time.Minute))),
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
}

// eventStates returns the states of events as the rule's detail.state values.
func eventStates(events []Event) []interface{} {
	out := make([]interface{}, len(events))
	for i, e := range events {
		out[i] = string(e)
	}
	return out
}

// explain records in cdk-nag metadata why the notification resources have what the packs flag.
func explain(role awsiam.Role, fn awslambda.Function, rule awsevents.Rule) {
	nag.ExplainPolicy(role, nag.Rule{
		ID: "AwsSolutions-IAM5",
		Reason: "cloudwatch:DescribeAlarms returns composite alarms only to a permission scoped to * (CloudWatch API " +
			"Reference, DescribeAlarms), and the function only reads alarm states; codedeploy:ListDeploymentTargets " +
			"and GetDeploymentTarget have no resource type in the Service Authorization Reference, so only * grants " +
			"them (read-only: which lifecycle hook failed); kms:GenerateDataKey* on the " +
			"topic's key is what SNS requires of a principal that publishes to an encrypted topic (SNS Developer " +
			"Guide, key management), granted by CDK's SnsDestination; deploymentgroup:<application>/* names only the " +
			"deployment groups of the notified application (one entry whatever the number of groups, so that the " +
			"policy stays within IAM's size quotas), whose deployments the function only reads",
		AppliesTo: []interface{}{"Resource::*", "Action::kms:GenerateDataKey*", nag.GroupsOfAnApplication},
	})
	nag.Explain(fn, nag.Rule{
		ID: "Serverless-LambdaDLQ",
		Reason: "the function's on-failure destination is the notification topic: an event it could not format or " +
			"publish reaches the team as the raw invocation record; a dead-letter queue would hold it unread",
	})
	nag.Explain(rule, nag.Rule{
		ID: "Serverless-EventBusDLQ",
		Reason: "EventBridge retries delivery to the function for 24 hours (its default retry policy) and the " +
			"function, once invoked, sends an event it cannot handle to the notification topic; a dead-letter " +
			"queue would hold events nobody reads",
	})
}

func (n *notifier) Topic() awssns.ITopic                      { return n.topic }
func (n *notifier) Key() awskms.Key                           { return n.key }
func (n *notifier) Rule() awsevents.Rule                      { return n.rule }
func (n *notifier) Function() awslambda.Function              { return n.function }
func (n *notifier) Role() awsiam.Role                         { return n.role }
func (n *notifier) LogGroup() awslogs.LogGroup                { return n.logs }
func (n *notifier) EmailSubscriptions() []awssns.Subscription { return n.emails }
func (n *notifier) Slack() awschatbot.SlackChannelConfiguration {
	return n.slack
}
func (n *notifier) Teams() awschatbot.CfnMicrosoftTeamsChannelConfiguration { return n.teams }
func (n *notifier) UndeliveredAlarm() awscloudwatch.Alarm                   { return n.health }
func (n *notifier) TeamsRole() awsiam.Role                                  { return n.teamsRole }
