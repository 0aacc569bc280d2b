package bluegreen

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"

	"github.com/safeship/lambda-bluegreen/constructs/alarms"
	"github.com/safeship/lambda-bluegreen/constructs/hooks"
	"github.com/safeship/lambda-bluegreen/constructs/strategy"
)

// DefaultAliasName is the name of the alias a Deployment defines when DeploymentProps.AliasName is nil.
const DefaultAliasName = "live"

// DeploymentProps configure a Deployment. Set exactly one of Function and FunctionProps.
type DeploymentProps struct {
	// Function is an existing function to ship blue/green, defined in the Deployment's stack (or a stack nested in
	// it; another stack is refused). Its current version is published and retained, and the alias points at it.
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

	// Alarms are your own rollback alarms (business metrics, downstream health…), added to the default green
	// alarms: the deployment stops and rolls back to blue when any of them is in ALARM during the traffic shift.
	// More can be added with AddAlarm. There is no cap below CodeDeploy's quota (50 per deployment group by
	// default, adjustable): synth warns above 50.
	//
	// Default: none of your own.
	Alarms []awscloudwatch.IAlarm

	// GreenAlarms tune the default rollback alarms, which watch green alone: its error rate, its error rate
	// relative to the alias, its throttles and its latency (see package alarms for each default). They are
	// defined in a child construct "GreenAlarms", attached to the deployment group, and updated before the alias
	// so that they always watch the version being shipped. Set GreenAlarms.Disabled to turn all four off.
	//
	// Default: all four on with their defaults.
	GreenAlarms alarms.Options

	// EmergencyBypass ships this deployment all at once with alarm monitoring off (the alarms stay attached), for a
	// hotfix that must go out while alarms are firing. Synth warns loudly; hooks still run; the next deploy
	// without it restores the strategy and the alarms. EmergencyBypassRequested reads it from the command line
	// (cdk deploy -c lambda-bluegreen:emergencyBypass=true) for apps that wire it.
	//
	// Default: false.
	EmergencyBypass *bool

	// PinnedVersion points the alias at this existing version of the function for this deploy, instead of the
	// function's current version: a rollback through a deploy of your app. CloudFormation updates the alias, and
	// CodeDeploy moves all traffic to the pinned version in one step with alarm monitoring off (a rollback must
	// not be stopped by the alarm that caused it), while the hooks pass a return to an earlier version; the
	// template and the alias agree throughout, and the next deploy without a pin restores the strategy and alarms.
	// Synth warns while a pin is set. PinsFromContext reads pins from the command line (cdk deploy -c
	// lambda-bluegreen:pin=<deployment path>=<version>) for apps that wire it. bluegreen rollback does the same
	// from the deployed template, without a synth (see the rollback runbook in docs/operating.md).
	//
	// Default: none; the alias follows the function's current version.
	PinnedVersion *string

	// PreTraffic declares tests of green that a pre-traffic hook (package hooks, construct id "PreTrafficHook")
	// runs before any traffic reaches it: test cases, a load check and a malformed-event probe. A failure stops
	// the deployment before a single user request reaches green.
	//
	// Default: no pre-traffic tests.
	PreTraffic *hooks.PreTrafficProps

	// PostTraffic declares the checks a post-traffic hook (construct id "PostTrafficHook") runs once green has
	// all the traffic: it served traffic, no rollback alarm is in ALARM, and optionally old versions are pruned.
	//
	// Default: no post-traffic checks.
	PostTraffic *hooks.PostTrafficProps

	// PreHook is a function of your own that CodeDeploy runs before any traffic reaches green (instead of
	// PreTraffic). It must report its result with
	// codedeploy:PutLifecycleEventHookExecutionStatus; the permission to do so, and CodeDeploy's permission to
	// invoke it, are granted for you.
	//
	// Default: no pre-traffic hook.
	PreHook awslambda.IFunction

	// PostHook is a function of your own that CodeDeploy runs after green has all the traffic (instead of
	// PostTraffic), with the same contract as PreHook.
	//
	// Default: no post-traffic hook.
	PostHook awslambda.IFunction

	// DeploymentRole is the service role CodeDeploy assumes for the deployment group. CDK attaches the
	// AWSCodeDeployRoleForLambdaLimited managed policy to it, as to the role it would define.
	//
	// Default: a new role with the AWSCodeDeployRoleForLambdaLimited managed policy.
	DeploymentRole awsiam.IRole

	// AliasDescription is the description of the alias, at most 256 characters.
	//
	// Default: none.
	AliasDescription *string

	// ProvisionedConcurrency is how many execution environments Lambda keeps initialized for the alias: a whole
	// number from 1, at most the function's ReservedConcurrentExecutions; without reserved concurrency, at most
	// ConcurrentExecutionsQuota minus 100 (900 with Lambda's default quota), because Lambda takes it from the
	// account's unreserved concurrency and keeps 100 of that unreserved. Synth refuses more. It is set through Application Auto
	// Scaling (a scalable target of the alias with minimum and maximum both this number), so that a change of it
	// is applied after the traffic shift of the same deploy, never while CodeDeploy's weights are on the alias.
	// During the shift green is served by the amount from before this deploy (none on the deploy that first adds
	// it), whose allocation follows the versions the alias routes to.
	// 0 releases the alias's provisioned concurrency (Application Auto Scaling scales it to 0): do that before
	// removing the field, because removing the scalable target does not release it. Billed while allocated.
	//
	// Default: none (on-demand concurrency only). At most one of ProvisionedConcurrency and
	// ProvisionedConcurrencyScaling.
	ProvisionedConcurrency *float64

	// ProvisionedConcurrencyScaling scales the alias's provisioned concurrency with Application Auto Scaling
	// between MinCapacity and MaxCapacity to keep its utilization at TargetUtilization. Like
	// ProvisionedConcurrency, it is applied after the traffic shift of the deploy that changes it; during a shift
	// Lambda refuses any change of the alias's provisioned concurrency, so no scaling happens then.
	//
	// Default: none. At most one of ProvisionedConcurrency and ProvisionedConcurrencyScaling.
	ProvisionedConcurrencyScaling *ProvisionedConcurrencyScaling

	// ConcurrentExecutionsQuota is your account's Lambda quota of concurrent executions in the region the stack
	// deploys to (Service Quotas: AWS Lambda, "Concurrent executions", code L-B99A9384), when it was raised. Synth
	// uses it for one check only: the provisioned concurrency of a function without ReservedConcurrentExecutions
	// must be at most this quota minus the 100 Lambda keeps unreserved. The other functions of the account share
	// the same pool, so Lambda may still refuse a smaller amount.
	//
	// Default: 1,000 (DefaultConcurrentExecutionsQuota, Lambda's default quota).
	ConcurrentExecutionsQuota *float64
}

// ProvisionedConcurrencyScaling configures target-tracking auto scaling of the alias's provisioned concurrency
// (aws-cdk-lib's Alias.addAutoScaling(...).scaleOnUtilization(...)).
type ProvisionedConcurrencyScaling struct {
	// MinCapacity is the least provisioned concurrency, a whole number from 1.
	//
	// Default: 1.
	MinCapacity *float64

	// MaxCapacity is the most provisioned concurrency, a whole number from MinCapacity, at most the function's
	// ReservedConcurrentExecutions (without reserved concurrency, at most DeploymentProps.ConcurrentExecutionsQuota
	// minus 100, as for DeploymentProps.ProvisionedConcurrency). Required.
	MaxCapacity *float64

	// TargetUtilization is the share of the allocated provisioned concurrency in use that scaling keeps, from 0.1
	// to 0.9 (as aws-cdk-lib requires): 0.7 scales out above 70 %. Required.
	TargetUtilization *float64
}
