// Package release holds a stack's release guard: one Go Lambda function per stack (construct id
// BlueGreenReleaseGuard, a direct child of the stack) that answers the stack's release gate (one custom resource
// with an entry per bluegreen.Deployment) and coordinates the releases of the stack's CodeDeploy applications (see package guard for what it does at run
// time). bluegreen.NewDeployment wires it; nothing here needs to be called by hand.
package release

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/gobuild"
	"github.com/safeship/lambda-bluegreen/constructs/quota"
	"github.com/safeship/lambda-bluegreen/constructs/release/guard"
	"github.com/safeship/lambda-bluegreen/internal/block"
	"github.com/safeship/lambda-bluegreen/internal/deploygroups"
	"github.com/safeship/lambda-bluegreen/internal/nag"
)

// GuardID is the construct id of a stack's release guard, a direct child of the stack.
const GuardID = "BlueGreenReleaseGuard"

// Guard is a stack's release guard.
type Guard interface {
	constructs.Construct
	// Function returns the guard's Lambda function.
	Function() awslambda.Function
	// Role returns the function's role: it may read the blocked releases (SSM parameters under
	// block.ParameterPrefix), the stack's status, and read, update and stop the deployments and deployment groups
	// of the applications it serves.
	Role() awsiam.Role
	// LogGroup returns the log group the guard writes what it did to.
	LogGroup() awslogs.LogGroup
	// Rule returns the EventBridge rule (construct id: the application's id + "Events") that sends the deployments
	// of application that start, fail or stop to the guard, or nil when the guard does not serve it.
	Rule(application awscodedeploy.ILambdaApplication) awsevents.Rule
	// Serve makes the guard coordinate the releases of application, when it is defined in the guard's stack: an
	// EventBridge rule for its deployments that start, fail or stop (one pattern, whatever the number of groups),
	// and the permissions on its deployment groups. An application of another stack, or imported, is left alone
	// (its groups are not this stack's to stop); serving an application twice changes nothing. It reports whether
	// the guard serves application.
	Serve(application awscodedeploy.ILambdaApplication) bool
	// Gate returns the stack's release gate (construct id ReleaseGate): a custom resource with an entry per
	// protected function (AddRelease), which every protected alias must depend on; nil before the first entry.
	Gate() awscdk.CfnCustomResource
	// AddRelease adds the entry of one protected function to the release gate, defining the gate on first use, and
	// returns the property path of its entry ("Releases.<key>"). key names the entry (the Deployment's construct
	// path); it must be unique in the stack.
	AddRelease(key string, props *GateProps) string
}

// GateProps are the properties of one function's entry in the release gate.
type GateProps struct {
	// Function is the protected function. Required.
	Function awslambda.IFunction
	// Release names what the alias serves after this deploy: the logical id of the function's current version
	// (block.Entry.Release), or block.PinnedPrefix + a version number for a pinned rollback. Required.
	Release *string
	// Group is the function's deployment group; its configuration is put back as ConfigName and AlarmsEnabled
	// before the alias moves. Required.
	Group awscodedeploy.ILambdaDeploymentGroup
	// ConfigName is the group's deployment configuration name in the template. Required.
	ConfigName *string
	// AlarmsEnabled is whether the template turns the group's alarm monitoring on.
	//
	// Default: false.
	AlarmsEnabled bool
	// Restore makes the gate put the group's strategy and alarm monitoring back as ConfigName and AlarmsEnabled
	// say; only for a group of an application the guard serves (Serve), which the guard may read and update.
	//
	// Default: false.
	Restore bool
}

type releaseGuard struct {
	constructs.Construct
	function awslambda.Function
	role     awsiam.Role
	logs     awslogs.LogGroup
	rules    map[string]awsevents.Rule // by the application's construct path
	served   map[awscodedeploy.ILambdaApplication]bool
	gate     awscdk.CfnCustomResource
}

// GuardOf returns the release guard of the stack holding scope, defining it on first use. It panics, naming the
// stack, when GuardID is taken by another construct or the guard's handler does not build.
func GuardOf(scope constructs.Construct) Guard {
	stack := awscdk.Stack_Of(scope)
	switch existing := stack.Node().TryFindChild(jsii.String(GuardID)).(type) {
	case nil:
	case *releaseGuard:
		return existing
	default:
		panic(fmt.Errorf("%s: construct id %q is taken by a construct that is not the blue/green release guard",
			*stack.Node().Path(), GuardID))
	}
	build := gobuild.Options{}
	codeDir, err := gobuild.BuildOnce(guard.HandlerPackage, &build)
	if err != nil {
		panic(fmt.Errorf("%s/%s: building the release guard: %w", *stack.Node().Path(), GuardID, err))
	}
	g := &releaseGuard{rules: map[string]awsevents.Rule{}, served: map[awscodedeploy.ILambdaApplication]bool{}}
	constructs.NewConstruct_Override(g, stack, jsii.String(GuardID))
	quota.Of(g).Watch(g) // its role, rules and gate serve every function of the stack
	g.logs = awslogs.NewLogGroup(g, jsii.String("Logs"), &awslogs.LogGroupProps{
		Retention:     awslogs.RetentionDays_ONE_MONTH,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	g.role = awsiam.NewRole(g, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("bluegreen release guard: keeps rolled-back releases out, ends failed releases"),
	})
	g.logs.GrantWrite(g.role)
	// The blocks of every function live under one prefix (block.ParameterPrefix), outside the stack: one statement
	// whatever the number of functions. The ARN of "/lambda-bluegreen/blocked/x" is "…:parameter/lambda-bluegreen/
	// blocked/x" (Service Authorization Reference, Systems Manager: "parameter/${ParameterNameWithoutLeadingSlash}").
	g.role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("ssm:GetParameter"),
		Resources: jsii.Strings(fmt.Sprintf("arn:%s:ssm:%s:%s:parameter%s*", *awscdk.Aws_PARTITION(), *awscdk.Aws_REGION(),
			*awscdk.Aws_ACCOUNT_ID(), block.ParameterPrefix)),
	}))
	// Its own stack's status only: a gate never refuses while the stack rolls back.
	g.role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("cloudformation:DescribeStacks"), Resources: jsii.Strings(*awscdk.Aws_STACK_ID()),
	}))
	g.function = awslambda.NewFunction(g, jsii.String("Function"), gobuild.BuiltFunctionProps(codeDir, &build, &awslambda.FunctionProps{
		// A gate answers in about a second; the coordinator stops and updates a few dozen groups at most.
		Timeout:    awscdk.Duration_Seconds(jsii.Number(120)),
		MemorySize: jsii.Number(128),
		Role:       g.role,
		LogGroup:   g.logs,
		Description: jsii.String("bluegreen release guard: refuses rolled-back releases, puts deployment groups back " +
			"before a release, ends a failed release of the whole stack"),
	}))
	explain(g)
	nag.Explain(g.function, nag.Rule{
		ID: "Serverless-LambdaDLQ",
		Reason: "a release gate answers CloudFormation itself (a failure is a FAILED answer the deploy shows) and a " +
			"coordination that fails is in the guard's log; an event kept in a queue would be acted on too late to " +
			"matter, and the stack's rollback does not depend on it",
	})
	return g
}

// explain records in cdk-nag metadata why the guard's policy has the wildcards it has.
func explain(g *releaseGuard) {
	nag.ExplainPolicy(g.role, nag.Rule{
		ID: "AwsSolutions-IAM5",
		Reason: "parameter/lambda-bluegreen/blocked/* holds only the blocked releases this library writes (one " +
			"parameter per function, outside every stack), and deploymentgroup:<application>/* names only the " +
			"deployment groups of the stack's own CodeDeploy application: one statement each whatever the number " +
			"of functions, so that the policy stays within IAM's size limits",
		AppliesTo: []interface{}{
			fmt.Sprintf("Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter%s*", block.ParameterPrefix),
			nag.GroupsOfAnApplication,
		},
	})
}

func (g *releaseGuard) Function() awslambda.Function { return g.function }
func (g *releaseGuard) Role() awsiam.Role            { return g.role }
func (g *releaseGuard) LogGroup() awslogs.LogGroup   { return g.logs }

func (g *releaseGuard) Rule(application awscodedeploy.ILambdaApplication) awsevents.Rule {
	return g.rules[*application.Node().Path()]
}

func (g *releaseGuard) Serve(application awscodedeploy.ILambdaApplication) bool {
	if served, seen := g.served[application]; seen {
		return served // the same Go value: no call into the CDK
	}
	// Only an application of this stack: the coordinator stops and reconfigures every group of the application it
	// serves, and an application shared with other stacks (or imported) has groups this stack does not own.
	served := *awscdk.Stack_Of(application).Node().Path() == *awscdk.Stack_Of(g).Node().Path()
	g.served[application] = served
	key := *application.Node().Path()
	if !served || g.rules[key] != nil {
		return served
	}
	name := application.ApplicationName()
	groups := *deploygroups.Pattern(name)
	// Read, stop and update the deployments and groups of this application only (the CodeDeploy actions on
	// deployments and groups take the deployment group's ARN, "deploymentgroup:<application>/<group>"; listing the
	// groups and reading a revision take the application's).
	g.role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("codedeploy:GetDeploymentGroup", "codedeploy:UpdateDeploymentGroup",
			"codedeploy:ListDeployments", "codedeploy:GetDeployment", "codedeploy:StopDeployment"),
		Resources: jsii.Strings(groups),
	}))
	g.role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("codedeploy:ListDeploymentGroups", "codedeploy:GetApplicationRevision"),
		Resources: jsii.Strings(*application.ApplicationArn()),
	}))
	// The rule's construct id is the application's (BlueGreenApplication for a stack's shared one) + "Events".
	rule := awsevents.NewRule(g, jsii.String(*application.Node().Id()+"Events"), &awsevents.RuleProps{
		Description: jsii.String("bluegreen release guard: deployments of one CodeDeploy application that start, fail or stop"),
		// One pattern for the whole application, whatever the number of its groups (EventBridge's event pattern
		// quota is 2,048 characters): "detail": {"application": …, "state": …} of CodeDeploy's deployment
		// state-change events (EventBridge events reference, AWS CodeDeploy events).
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings("aws.codedeploy"),
			DetailType: jsii.Strings(guard.DeploymentStateChange),
			Detail: &map[string]interface{}{
				"application": []*string{name},
				"state":       []string{guard.StateFailure, guard.StateStop, guard.StateStart},
			},
		},
	})
	rule.AddTarget(awseventstargets.NewLambdaFunction(g.function, nil))
	g.rules[key] = rule
	nag.Explain(rule, nag.Rule{
		ID: "Serverless-EventBusDLQ",
		Reason: "EventBridge retries delivery to the guard for 24 hours (its default retry policy); an event that " +
			"never arrives leaves the other shifts to run to their end and CloudFormation's rollback to run as " +
			"usual, and a dead-letter queue would hold events too late to act on",
	})
	return true
}

func (g *releaseGuard) Gate() awscdk.CfnCustomResource { return g.gate }

func (g *releaseGuard) AddRelease(key string, props *GateProps) string {
	p := GateProps{}
	if props != nil {
		p = *props
	}
	if p.Function == nil || p.Release == nil || p.Group == nil || p.ConfigName == nil {
		panic(fmt.Errorf("%s: invalid release.GateProps for %s: Function, Release, Group and ConfigName must be set",
			*g.Node().Path(), key))
	}
	if g.gate == nil {
		// One gate per stack, whatever the number of functions: one resource instead of one each (a stack holds
		// at most 500), and one call of the guard per deploy.
		g.gate = awscdk.NewCfnCustomResource(g, jsii.String("ReleaseGate"), &awscdk.CfnCustomResourceProps{
			ServiceToken: g.function.FunctionArn(),
			// A guard that never answers (a crash, a timeout) fails the deploy after 5 minutes, not CloudFormation's
			// default hour ("ServiceTimeout … The default value is 3600 seconds", AWS::CloudFormation::CustomResource).
			ServiceTimeout: jsii.Number(300),
		})
		g.gate.AddOverride(jsii.String("Type"), jsii.String(block.GateResourceType))
		// The gate answers only once the guard may read what it needs.
		g.gate.Node().AddDependency(g.role)
	}
	enabled := "false"
	if p.AlarmsEnabled {
		enabled = "true"
	}
	path := block.GateReleases + "." + strings.ReplaceAll(key, ".", "_")
	// The entry is an override, which the stack's quota check cannot read: it is told the entry's size (its key
	// and about 500 bytes of names and references, as the template writes them).
	quota.Of(g).AddTemplateBytes(len(path) + 500)
	// One override for the whole entry (each is a call into the CDK); CDK renders an object's keys sorted, so the
	// template is the same at every synth of the same code.
	g.gate.AddPropertyOverride(jsii.String(path), map[string]interface{}{
		block.GateFunctionName:     p.Function.FunctionName(),
		block.GateRelease:          p.Release,
		guard.GateApplication:      p.Group.Application().ApplicationName(),
		guard.GateDeploymentGroup:  p.Group.DeploymentGroupName(),
		guard.GateDeploymentConfig: p.ConfigName,
		guard.GateAlarmsEnabled:    enabled,
		guard.GateRestore:          fmt.Sprint(p.Restore),
	})
	return path
}
