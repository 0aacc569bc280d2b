package bluegreen

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"

	"github.com/safeship/lambda-bluegreen/constructs/strategy"
)

// DefaultAliasName is the name of the alias a Deployment defines when DeploymentProps.AliasName is nil.
const DefaultAliasName = "live"

// DeploymentProps configure a Deployment. Set exactly one of Function and FunctionProps.
type DeploymentProps struct {
	// Function is an existing function to ship blue/green. Its current version is published and retained, and the
	// alias points at it.
	//
	// Default: none; FunctionProps must be set instead.
	Function awslambda.Function

	// FunctionProps define a new function (construct id "Function") to ship blue/green. The caller's struct is not
	// modified. gobuild.FunctionProps fills in the code, runtime and architecture of a Go handler.
	//
	// Default: none; Function must be set instead.
	FunctionProps *awslambda.FunctionProps

	// AliasName is the name of the alias that serves traffic and that CodeDeploy shifts: 1 to 128 letters, digits,
	// "-" or "_", not only digits.
	//
	// Default: "live" (DefaultAliasName).
	AliasName *string

	// Strategy is how CodeDeploy shifts traffic from blue to green: strategy.AllAtOnce, a predefined canary or
	// linear configuration, or strategy.Canary / strategy.Linear with your own percentage and interval.
	//
	// Default: strategy.Canary10Percent5Minutes.
	Strategy strategy.Strategy

	// Application is the CodeDeploy application the deployment group belongs to.
	//
	// Default: one application per stack (construct id "BlueGreenApplication", a direct child of the stack),
	// shared by every Deployment in that stack that is not given one.
	Application awscodedeploy.ILambdaApplication

	// Alarms stop the deployment and roll back to blue when any of them is in ALARM during the traffic shift. More
	// can be added with AddAlarm.
	//
	// Default: no alarms; rollback still happens when a deployment fails or is stopped.
	Alarms []awscloudwatch.IAlarm

	// PreHook is a function CodeDeploy runs before any traffic reaches green. It must report its result with
	// codedeploy:PutLifecycleEventHookExecutionStatus; the permission to do so, and CodeDeploy's permission to
	// invoke it, are granted for you.
	//
	// Default: no pre-traffic hook.
	PreHook awslambda.IFunction

	// PostHook is a function CodeDeploy runs after green has all the traffic, with the same contract as PreHook.
	//
	// Default: no post-traffic hook.
	PostHook awslambda.IFunction

	// DeploymentRole is the service role CodeDeploy assumes for the deployment group. CDK attaches the
	// AWSCodeDeployRoleForLambdaLimited managed policy to it, as to the role it would define.
	//
	// Default: a new role with the AWSCodeDeployRoleForLambdaLimited managed policy.
	DeploymentRole awsiam.IRole
}
