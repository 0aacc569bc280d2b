// Package stack is the acceptance app's stack (examples/acceptance): the functions of an acceptance.Release, each
// a Go function shipped blue/green by the library with the release's settings, the deployment notifications and
// a queue that receives them, and the stack outputs the AWS backend of the acceptance scenarios reads. What the
// stack defines, and how, is the contract of internal/acceptance/app.go.
package stack

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/gobuild"
	"github.com/safeship/lambda-bluegreen/constructs/hooks"
	"github.com/safeship/lambda-bluegreen/constructs/notify"
	svc "github.com/safeship/lambda-bluegreen/constructs/service"
	"github.com/safeship/lambda-bluegreen/constructs/strategy"
	"github.com/safeship/lambda-bluegreen/internal/acceptance"
)

// HandlerPackage is the acceptance handler's import path, built by gobuild (an import path resolves from any
// folder of the module: the repository's root under ./cdkw, the package's folder under go test).
const HandlerPackage = "github.com/safeship/lambda-bluegreen/examples/handlers/acceptance"

// Stack is the acceptance app's stack.
type Stack struct {
	awscdk.Stack

	// Release is what the stack ships.
	Release acceptance.Release

	// Functions are the release's function ids (acceptance.Api, or Fn00, Fn01… for a service), in order.
	Functions []string

	// Deployments are the functions' blue/green deployments, by function id.
	Deployments map[string]bluegreen.Deployment

	// Service holds the deployments of a service (Release.Commits set); nil for one function.
	Service svc.Service

	// Notifier reports every deployment of the stack to its topic.
	Notifier notify.Notifier

	// Queue receives the notices: it is subscribed to the notifier's topic with raw message delivery off, so each
	// message is SNS's JSON envelope (Subject, Message…).
	Queue awssqs.Queue

	// QueueKey is the customer managed KMS key that encrypts Queue; SNS may use it for this topic only.
	QueueKey awskms.Key

	// BusinessAlarm is the rollback alarm on the business metric (Release.Business); nil otherwise.
	BusinessAlarm awscloudwatch.Alarm
}

// NewStack defines the acceptance stack, named id, for props.Release: see the package doc. It panics, naming the
// stack, with every problem in props, and with what does not build.
func NewStack(scope constructs.Construct, id string, props *Props) *Stack {
	p := Props{}
	if props != nil {
		p = *props
	}
	if p.Run == "" {
		p.Run = DefaultRun
	}
	release := DefaultRelease
	if p.Release != nil {
		release = *p.Release
		release.Commits = append([]string(nil), p.Release.Commits...)
	}
	p.Release = &release
	if err := p.validate(id); err != nil {
		panic(fmt.Errorf("%s/%s: invalid acceptance stack props: %w", *scope.Node().Path(), id, err))
	}
	codeDir, err := gobuild.BuildOnce(HandlerPackage, nil)
	if err != nil {
		panic(fmt.Errorf("%s/%s: building the acceptance handler: %w", *scope.Node().Path(), id, err))
	}

	sp := p.StackProps
	sp.StackName = jsii.String(id)
	tags := map[string]*string{acceptance.TagKey: jsii.String(p.Run)}
	if sp.Tags != nil {
		for k, v := range *sp.Tags {
			if k != acceptance.TagKey {
				tags[k] = v
			}
		}
	}
	// The stack's own tag (cleanup reads it; CloudFormation propagates it to the resources it creates) must be set
	// here: with @aws-cdk/core:explicitStackTags, Tags_Of(stack) tags the template's resources but not the stack.
	sp.Tags = &tags
	if sp.Description == nil {
		sp.Description = jsii.String("lambda-bluegreen acceptance scenarios (run " + p.Run + "); safe to delete")
	}
	stack := awscdk.NewStack(scope, jsii.String(id), &sp)
	awscdk.Tags_Of(stack).Add(jsii.String(acceptance.TagKey), jsii.String(p.Run), nil)
	awscdk.Aspects_Of(stack).Add(&shortLived{retentionDays: 1, pendingWindowDays: 7}, &awscdk.AspectOptions{Priority: awscdk.AspectPriority_MUTATING()})

	s := &Stack{Stack: stack, Release: release, Functions: release.Functions(),
		Deployments: map[string]bluegreen.Deployment{}}
	if release.Business {
		s.BusinessAlarm = businessAlarm(stack, id)
	}
	strat, _ := strategy.ByName(release.StrategyName()) // validated above
	if len(release.Commits) == 0 {
		s.defineFunction(codeDir, strat)
	} else {
		s.defineService(codeDir, strat)
	}
	s.defineNotifications()
	s.defineOutputs()
	return s
}

// functionProps are the props of the function id at commit: 128 MB, acceptance.FunctionTimeout (long enough for
// a FailLatency version to answer within it, after the latency alarm's threshold), a log group of its own, and the
// commit (and Release.Fail, as acceptance.EnvFail) in its environment, so that a new commit publishes a new version
// and a bad release is a version of its own.
func (s *Stack) functionProps(codeDir, id, commit string) *awslambda.FunctionProps {
	logs := awslogs.NewLogGroup(s.Stack, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
		Retention:     awslogs.RetentionDays_ONE_DAY,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	env := map[string]*string{acceptance.EnvCommit: jsii.String(commit)}
	if s.Release.Fail != "" {
		env[acceptance.EnvFail] = jsii.String(string(s.Release.Fail))
	}
	return gobuild.BuiltFunctionProps(codeDir, nil, &awslambda.FunctionProps{
		Description: jsii.String("lambda-bluegreen acceptance function " + id),
		MemorySize:  jsii.Number(128),
		Timeout:     awscdk.Duration_Seconds(jsii.Number(acceptance.FunctionTimeout.Seconds())),
		LogGroup:    logs,
		Environment: &env,
	})
}

// preTraffic is the pre-traffic test of a function at commit: green answers ok with the commit, within
// acceptance.PreTrafficMaxLatency (and the hook's malformed-event probe, on by default).
func (s *Stack) preTraffic(commit string) *hooks.PreTrafficProps {
	if !s.Release.PreTraffic {
		return nil
	}
	return &hooks.PreTrafficProps{Tests: []hooks.TestCase{{
		Name:       "green answers ok with its commit",
		Payload:    acceptance.Request{},
		Equals:     map[string]interface{}{"ok": true, "commit": commit},
		MaxLatency: acceptance.PreTrafficMaxLatency,
	}}}
}

// alarms are the rollback alarms of the user's own: the business alarm, when the release has it.
func (s *Stack) alarms() []awscloudwatch.IAlarm {
	if s.BusinessAlarm == nil {
		return nil
	}
	return []awscloudwatch.IAlarm{s.BusinessAlarm}
}

// provisioned is the release's provisioned concurrency, or nil for none.
func (s *Stack) provisioned() *float64 {
	if s.Release.ProvisionedConcurrency <= 0 {
		return nil
	}
	return jsii.Number(float64(s.Release.ProvisionedConcurrency))
}

// defineFunction defines the one function (acceptance.Api) and its Deployment.
func (s *Stack) defineFunction(codeDir string, strat strategy.Strategy) {
	r := s.Release
	s.Deployments[acceptance.Api] = bluegreen.NewDeployment(s.Stack, acceptance.Api, &bluegreen.DeploymentProps{
		FunctionProps:          s.functionProps(codeDir, acceptance.Api, r.Commit),
		Strategy:               strat,
		Alarms:                 s.alarms(),
		EmergencyBypass:        jsii.Bool(r.Bypass),
		ProvisionedConcurrency: s.provisioned(),
		PreTraffic:             s.preTraffic(r.Commit),
	})
}

// defineService defines the service's functions (Fn00, Fn01…), each at its commit, with the library's service
// construct (construct id "Service"): one Deployment each, sharing the pre-traffic hook and CodeDeploy role.
func (s *Stack) defineService(codeDir string, strat strategy.Strategy) {
	r := s.Release
	var fns []svc.Function
	for i, id := range s.Functions {
		fns = append(fns, svc.Function{
			ID:                     id,
			FunctionProps:          s.functionProps(codeDir, id, r.Commits[i]),
			Alarms:                 s.alarms(),
			ProvisionedConcurrency: s.provisioned(),
			PreTraffic:             s.preTraffic(r.Commits[i]),
		})
	}
	s.Service = svc.New(s.Stack, "Service", &svc.Props{
		Functions:       fns,
		Strategy:        strat,
		EmergencyBypass: jsii.Bool(r.Bypass),
	})
	for _, id := range s.Functions {
		s.Deployments[id] = s.Service.Deployment(id)
	}
}

// deployments returns the deployments in the order of Functions.
func (s *Stack) deployments() []bluegreen.Deployment {
	out := make([]bluegreen.Deployment, len(s.Functions))
	for i, id := range s.Functions {
		out[i] = s.Deployments[id]
	}
	return out
}

// defineNotifications reports every deployment to the notifier's encrypted topic and subscribes the queue to it.
//
// The queue is encrypted with a customer managed KMS key of its own, as the topic is, so that a notice is never
// stored under weaker protection than the topic gives it. SNS delivers to an encrypted queue only when the key's
// policy lets the SNS service principal use the key (SQS Developer Guide, "Key management", "Configure KMS
// permissions for AWS services": a customer managed key whose key policy allows the service kms:GenerateDataKey
// and kms:Decrypt; an AWS managed key's policy cannot be changed, and aws-cdk-lib refuses one for a subscription).
// aws-cdk-lib's SqsSubscription adds that statement to the key's policy, limited to this topic by aws:SourceArn
// (feature flag @aws-cdk/aws-sns-subscriptions:restrictSqsDescryption, on in cdk.json), and the queue policy
// statement that lets the topic send (sqs:SendMessage from sns.amazonaws.com with aws:SourceArn the topic). The
// topic's own key cannot serve: its policy would name the topic, which names the key (a circular dependency
// CloudFormation refuses). Whoever reads the queue needs kms:Decrypt on the queue's key, in an IAM policy naming
// the key's ARN (the key's default policy lets the account's IAM policies grant it).
func (s *Stack) defineNotifications() {
	s.Notifier = notify.New(s.Stack, "Notifications", &notify.Props{Deployments: s.deployments()})
	s.QueueKey = awskms.NewKey(s.Stack, jsii.String("NotificationQueueKey"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the acceptance app's queue of deployment notices"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
	})
	s.Queue = awssqs.NewQueue(s.Stack, jsii.String("NotificationQueue"), &awssqs.QueueProps{
		Encryption:          awssqs.QueueEncryption_KMS,
		EncryptionMasterKey: s.QueueKey,
		EnforceSSL:          jsii.Bool(true),
		RetentionPeriod:     awscdk.Duration_Days(jsii.Number(1)),
		RemovalPolicy:       awscdk.RemovalPolicy_DESTROY,
	})
	s.Notifier.Topic().AddSubscription(awssnssubscriptions.NewSqsSubscription(s.Queue,
		&awssnssubscriptions.SqsSubscriptionProps{RawMessageDelivery: jsii.Bool(false)}))
}

// businessAlarm is the alarm on the business metric of acceptance (app.go): in ALARM when a minute's lowest value
// of BusinessMetric for this stack is below BusinessThreshold; a minute with no data is not breaching, so a step
// that publishes nothing never rolls back because of it.
func businessAlarm(stack awscdk.Stack, name string) awscloudwatch.Alarm {
	return awscloudwatch.NewAlarm(stack, jsii.String("BusinessAlarm"), &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String("Acceptance business metric: fewer active users than the threshold"),
		Metric: awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace:     jsii.String(acceptance.BusinessNamespace),
			MetricName:    jsii.String(acceptance.BusinessMetric),
			DimensionsMap: &map[string]*string{acceptance.BusinessDimension: jsii.String(name)},
			Statistic:     jsii.String("Minimum"),
			Period:        awscdk.Duration_Minutes(jsii.Number(1)),
		}),
		Threshold:          jsii.Number(acceptance.BusinessThreshold),
		ComparisonOperator: awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD,
		EvaluationPeriods:  jsii.Number(1),
		DatapointsToAlarm:  jsii.Number(1),
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
}

// defineOutputs declares the outputs of acceptance (app.go) the AWS backend reads. The business alarm's name is an
// output when the release has the alarm: a stack has one business alarm, which every function of a service shares.
func (s *Stack) defineOutputs() {
	out := func(id string, value *string, description string) {
		o := awscdk.NewCfnOutput(s.Stack, jsii.String(id), &awscdk.CfnOutputProps{
			Value: value, Description: jsii.String(description)})
		o.OverrideLogicalId(jsii.String(id)) // the output's key is the contract, whatever CDK would name it
	}
	out(acceptance.OutputQueueURL, s.Queue.QueueUrl(), "Queue subscribed to the deployment notification topic")
	out(acceptance.OutputApplication, s.deployments()[0].Application().ApplicationName(),
		"CodeDeploy application of every deployment group of the stack")
	for _, id := range s.Functions {
		d := s.Deployments[id]
		out(acceptance.OutputFunctionName+id, d.Function().FunctionName(),
			"Function "+id+" (its alias: "+acceptance.AliasName+")")
		out(acceptance.OutputDeploymentGroup+id, d.DeploymentGroup().DeploymentGroupName(),
			"CodeDeploy deployment group of function "+id)
	}
	if s.BusinessAlarm != nil {
		out(acceptance.OutputBusinessAlarm, s.BusinessAlarm.AlarmName(),
			"Rollback alarm on the business metric, shared by every function of the stack")
	}
}
