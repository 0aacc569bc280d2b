package awsrun

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/safeship/lambda-bluegreen/internal/acceptance"
)

// STSAPI is what the run needs of STS: who the caller is, to refuse another account than the one named.
type STSAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, opts ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// CloudFormationAPI is what the run needs of CloudFormation: one named stack with its status, tags and outputs
// (DescribeStacks, always with a StackName: without one the call "requires ListStacks and DescribeStacks
// permissions" on every stack, CloudFormation API Reference, DescribeStacks), the names of the stacks (ListStacks,
// for cleanup), a stack's events (DescribeStackEvents, to time its operation), and deleting one.
type CloudFormationAPI interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, opts ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
	ListStacks(ctx context.Context, in *cloudformation.ListStacksInput, opts ...func(*cloudformation.Options)) (*cloudformation.ListStacksOutput, error)
	DescribeStackEvents(ctx context.Context, in *cloudformation.DescribeStackEventsInput, opts ...func(*cloudformation.Options)) (*cloudformation.DescribeStackEventsOutput, error)
	DeleteStack(ctx context.Context, in *cloudformation.DeleteStackInput, opts ...func(*cloudformation.Options)) (*cloudformation.DeleteStackOutput, error)
}

// LambdaAPI is what the run needs of Lambda: the alias, the versions, the provisioned concurrency, and Invoke for
// the traffic generator.
type LambdaAPI interface {
	GetAlias(ctx context.Context, in *lambda.GetAliasInput, opts ...func(*lambda.Options)) (*lambda.GetAliasOutput, error)
	ListVersionsByFunction(ctx context.Context, in *lambda.ListVersionsByFunctionInput, opts ...func(*lambda.Options)) (*lambda.ListVersionsByFunctionOutput, error)
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
	GetProvisionedConcurrencyConfig(ctx context.Context, in *lambda.GetProvisionedConcurrencyConfigInput, opts ...func(*lambda.Options)) (*lambda.GetProvisionedConcurrencyConfigOutput, error)
}

// CloudWatchAPI is what the run needs of CloudWatch: publishing the business metric, and the business alarm's state.
type CloudWatchAPI interface {
	PutMetricData(ctx context.Context, in *cloudwatch.PutMetricDataInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error)
	DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
}

// SSMAPI is what the run needs of SSM: reading and deleting the release blocks (package block) that bluegreen
// rollback leaves outside the stack, one parameter per function.
type SSMAPI interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	DeleteParameter(ctx context.Context, in *ssm.DeleteParameterInput, opts ...func(*ssm.Options)) (*ssm.DeleteParameterOutput, error)
}

// SQSAPI is what the run needs of SQS: reading (and removing) the notices from the app's notification queue.
type SQSAPI interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
}

// CodeDeployAPI is what the run needs of CodeDeploy: the deployments a step started in a group.
type CodeDeployAPI interface {
	ListDeployments(ctx context.Context, in *codedeploy.ListDeploymentsInput, opts ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentsOutput, error)
	GetDeployment(ctx context.Context, in *codedeploy.GetDeploymentInput, opts ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentOutput, error)
}

// The SDK's clients satisfy the interfaces.
var (
	_ STSAPI            = (*sts.Client)(nil)
	_ CloudFormationAPI = (*cloudformation.Client)(nil)
	_ LambdaAPI         = (*lambda.Client)(nil)
	_ CloudWatchAPI     = (*cloudwatch.Client)(nil)
	_ SQSAPI            = (*sqs.Client)(nil)
	_ CodeDeployAPI     = (*codedeploy.Client)(nil)
	_ SSMAPI            = (*ssm.Client)(nil)
)

// Clients are the AWS APIs of one account and region.
type Clients struct {
	STS            STSAPI
	CloudFormation CloudFormationAPI
	Lambda         LambdaAPI
	CloudWatch     CloudWatchAPI
	SQS            SQSAPI
	CodeDeploy     CodeDeployAPI
	SSM            SSMAPI
}

// Function is one function of the acceptance app, as its stack's outputs name it.
type Function struct {
	// ID is the function's id in the app: Api, Fn00, Fn01.
	ID string
	// Name is the function's name, Alias its alias (acceptance.AliasName).
	Name, Alias string
	// Application and Group are its CodeDeploy application and deployment group.
	Application, Group string
	// Stack is the stack that holds it.
	Stack string
}

// Deployment is what a Deployer deploys: the acceptance app as the stack Stack of run Run, at Release.
type Deployment struct {
	Stack   string
	Run     string
	Release acceptance.Release
}

// DeployResult is how a deploy ended.
type DeployResult struct {
	// OK is whether the deploy (and its stack operation) succeeded.
	OK bool
	// Error is the deploy's error text when it failed (what the CDK CLI printed about the failure).
	Error string
}

// Deployer deploys the acceptance app at a release. An error means the deploy could not be run at all (no CDK
// CLI, an interrupt), not that the stack update failed: that is a DeployResult.
type Deployer interface {
	Deploy(ctx context.Context, d Deployment) (DeployResult, error)
}

// CommandResult is how one of bluegreen's commands ended: its exit code and what it printed.
type CommandResult struct {
	Exit   int
	Output string
}

// Commands runs bluegreen's own commands on a function of the app, so that acceptance exercises the real ones.
// An error means the command could not be run.
type Commands interface {
	// Rollback rolls the function's finished release back (bluegreen rollback -function … -yes).
	Rollback(ctx context.Context, fn Function) (CommandResult, error)
	// Unblock lifts every block of the function's releases (bluegreen unblock -function … -all -yes).
	Unblock(ctx context.Context, fn Function) (CommandResult, error)
	// Watch follows the deployment to its end and returns watch's exit code (bluegreen watch -deployment …).
	Watch(ctx context.Context, fn Function, deploymentID string) (CommandResult, error)
}
