// Package service is the example app: a small HTTP service (a Go handler behind a Lambda function URL on the
// live alias) shipped blue/green, all-at-once in a dev stack and by canary in a prod stack.
package service

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/dashboard"
	"github.com/safeship/lambda-bluegreen/constructs/gobuild"
	"github.com/safeship/lambda-bluegreen/constructs/hooks"
	"github.com/safeship/lambda-bluegreen/constructs/notify"
	"github.com/safeship/lambda-bluegreen/constructs/strategy"
)

// StackProps configure one stage of the example service.
type StackProps struct {
	awscdk.StackProps

	// Stage names the stage ("dev", "prod") in the function's environment and description. Required.
	Stage string

	// Strategy is how a new version reaches traffic in this stage.
	//
	// Default: strategy.Canary10Percent5Minutes.
	Strategy strategy.Strategy

	// CodeDir is the folder holding the handler's bootstrap, built once by gobuild.BuildOnce for every stage. Required.
	CodeDir string

	// PreTraffic are the tests green must pass before it takes traffic.
	//
	// Default: none.
	PreTraffic *hooks.PreTrafficProps

	// PostTraffic are the checks green must pass once it has all the traffic.
	//
	// Default: none.
	PostTraffic *hooks.PostTrafficProps

	// Dashboard adds a CloudWatch dashboard of the deployment to the stack.
	//
	// Default: false (no dashboard).
	Dashboard bool

	// EmergencyBypass ships this deploy all at once with alarms ignored (see bluegreen.DeploymentProps).
	//
	// Default: false.
	EmergencyBypass bool

	// Notifications report every deployment of the service to an encrypted topic of the stack (notify.New),
	// and to the e-mail addresses and Slack channel the context names (ContextNotifyEmails, ContextSlackWorkspace).
	//
	// Default: false (no notifications).
	Notifications bool
}

// Stack is one stage of the example service.
type Stack struct {
	awscdk.Stack

	// Deployment ships the service's function blue/green.
	Deployment bluegreen.Deployment

	// URL is the function URL on the live alias.
	URL awslambda.FunctionUrl

	// Dashboard shows the deployment, when StackProps.Dashboard is set; nil otherwise.
	Dashboard dashboard.Dashboard

	// Notifier reports the deployments, when StackProps.Notifications is set; nil otherwise.
	Notifier notify.Notifier
}

// NewStack defines one stage of the example service: the function, shipped blue/green with props.Strategy, and a
// function URL on its alias so that every request goes through the traffic shift.
func NewStack(scope constructs.Construct, id string, props *StackProps) *Stack {
	if props == nil || props.CodeDir == "" {
		panic(fmt.Errorf("%s/%s: StackProps.CodeDir must name the folder of the built handler, got none",
			*scope.Node().Path(), id))
	}
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	deployment := defineService(stack, props)
	url := deployment.Alias().AddFunctionUrl(&awslambda.FunctionUrlOptions{
		AuthType: awslambda.FunctionUrlAuthType_NONE,
	})
	awscdk.NewCfnOutput(stack, jsii.String("ServiceUrl"), &awscdk.CfnOutputProps{
		Value:       url.Url(),
		Description: jsii.String("HTTPS endpoint of the service, served through the live alias"),
	})
	out := &Stack{Stack: stack, Deployment: deployment, URL: url}
	if props.Dashboard {
		out.Dashboard = dashboard.New(stack, "Dashboard", &dashboard.Props{
			Deployments: []bluegreen.Deployment{deployment},
		})
	}
	if props.Notifications {
		out.Notifier = newNotifier(stack, deployment)
	}
	return out
}

// logsAndRole defines the functions' log group (30 days) and a role of their own, allowed to write only to that
// log group (instead of the managed AWSLambdaBasicExecutionRole, which may write to any log group).
func logsAndRole(stack awscdk.Stack, description string) (awslogs.LogGroup, awsiam.Role) {
	logs := awslogs.NewLogGroup(stack, jsii.String("FunctionLogs"), &awslogs.LogGroupProps{
		Retention:     awslogs.RetentionDays_ONE_MONTH,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	role := awsiam.NewRole(stack, jsii.String("FunctionRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String(description),
	})
	logs.GrantWrite(role)
	return logs, role
}

// defineService defines the service's function in stack, shipped blue/green as props say, with its own log group
// and role, and the cdk-nag reasons for what the packs flag on it.
func defineService(stack awscdk.Stack, props *StackProps) bluegreen.Deployment {
	logs, role := logsAndRole(stack, "Runs the example service's function")
	// A pin from the command line (bluegreen rollback sets it) moves the alias back to an older version for one
	// deploy.
	pins, err := bluegreen.PinsFromContext(stack)
	if err != nil {
		panic(err)
	}
	var pinned *string
	if v, ok := pins[*stack.Node().Path()+"/Service"]; ok {
		pinned = jsii.String(v)
	}
	deployment := bluegreen.NewDeployment(stack, "Service", &bluegreen.DeploymentProps{
		PinnedVersion: pinned,
		FunctionProps: &awslambda.FunctionProps{
			Role:         role,
			Code:         awslambda.Code_FromAsset(jsii.String(props.CodeDir), nil),
			Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
			Architecture: awslambda.Architecture_ARM_64(),
			Handler:      jsii.String("bootstrap"),
			Description:  jsii.String("Example blue/green service (" + props.Stage + ")"),
			MemorySize:   jsii.Number(256),
			Timeout:      awscdk.Duration_Seconds(jsii.Number(10)),
			Tracing:      awslambda.Tracing_ACTIVE,
			LogGroup:     logs,
			Environment:  &map[string]*string{"STAGE": jsii.String(props.Stage)},
		},
		Strategy:        props.Strategy,
		EmergencyBypass: jsii.Bool(props.EmergencyBypass),
		PreTraffic:      props.PreTraffic,
		PostTraffic:     props.PostTraffic,
	})
	cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		Reason:    jsii.String("X-Ray's PutTraceSegments and PutTelemetryRecords support no resource-level permissions"),
		AppliesTo: &[]interface{}{"Resource::*"},
	}}, jsii.Bool(true))
	cdknag.NagSuppressions_AddResourceSuppressions(deployment.Function(), &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("Serverless-LambdaDLQ"),
		Reason: jsii.String("Invoked only synchronously (through its function URL or HTTP API); a DLQ applies to asynchronous invocations"),
	}}, jsii.Bool(false))
	return deployment
}

// Example is what NewApp defines.
type Example struct {
	// Dev and Prod are the stacks a laptop deploys with ./cdkw deploy.
	Dev, Prod *Stack
	// Pipeline is the stack of the pipeline that delivers the same service through its own Dev and Prod stages.
	Pipeline awscdk.Stack
	// PipelineDev and PipelineProd are the service stacks inside the pipeline's stages.
	PipelineDev, PipelineProd *Stack
	// Environments is the whole-environment blue/green stage: the service in a Blue and a Green environment and
	// the Switch between them.
	Environments *TwoEnvironments
	// Fleet is a whole service of FleetSize functions in one stack, sharing hooks (constructs/service).
	Fleet *FleetStack
	// GitHub is the stack that lets the example's GitHub Actions workflow deploy (examples/github-actions).
	GitHub *GitHubAccess
}

// Services returns every service stack of the example.
func (e *Example) Services() []*Stack {
	return []*Stack{e.Dev, e.Prod, e.PipelineDev, e.PipelineProd}
}

// NewApp adds the example's stacks to app: BlueGreenServiceDev (all-at-once), BlueGreenServiceProd (canary 10 %
// for 5 minutes, pre- and post-traffic hooks, a dashboard, deployment notifications), BlueGreenPipeline, which
// delivers the same two stages (named Dev and Prod) from a repository, the stage TwoEnvironments (the service in two
// whole environments, Blue and Green, behind weighted DNS records; see its context keys), BlueGreenFleet (a service
// of FleetSize functions) and BlueGreenGitHubAccess (the GitHub Actions workflow's deploy roles). root is the repository's root folder, where examples/handlers lives.
// env, if not nil, pins the stacks to an account and region; nil leaves them environment-agnostic. The context key
// bluegreen.EmergencyBypassContextKey, set to true, ships every stage all at once with alarms ignored; ContextNag,
// set to true, runs the cdk-nag packs over every stack.
func NewApp(app awscdk.App, root string, env *awscdk.Environment) *Example {
	if nagRequested(app) {
		ApplyNag(app)
	}
	bypass := bluegreen.EmergencyBypassRequested(app)
	codeDir, err := gobuild.BuildOnce(filepath.Join(root, "examples", "handlers", "hello"), nil)
	if err != nil {
		panic(err)
	}
	dev := func(scope constructs.Construct, id string) *Stack {
		return NewStack(scope, id, &StackProps{
			StackProps:      awscdk.StackProps{Env: env, Description: jsii.String("Example blue/green service, dev stage")},
			Stage:           "dev",
			Strategy:        strategy.AllAtOnce,
			CodeDir:         codeDir,
			EmergencyBypass: bypass,
		})
	}
	prod := func(scope constructs.Construct, id string) *Stack {
		return NewStack(scope, id, &StackProps{
			StackProps:      awscdk.StackProps{Env: env, Description: jsii.String("Example blue/green service, prod stage")},
			Stage:           "prod",
			Strategy:        strategy.Canary10Percent5Minutes,
			CodeDir:         codeDir,
			EmergencyBypass: bypass,
			Dashboard:       true,
			Notifications:   true,
			PreTraffic:      helloTests(),
			// No rollback alarm may fire; keep the newest 10 versions. No traffic gate: the example may be quiet.
			PostTraffic: &hooks.PostTrafficProps{KeepVersions: intp(10)},
		})
	}
	e := &Example{Dev: dev(app, "BlueGreenServiceDev"), Prod: prod(app, "BlueGreenServiceProd")}
	e.Pipeline, e.PipelineDev, e.PipelineProd = newPipelineStack(app, env, dev, prod)
	e.Environments = newTwoEnvironments(app, codeDir, bypass)
	e.Fleet = newFleet(app, env, codeDir, bypass)
	e.GitHub = NewGitHubAccess(app, env) // BlueGreenGitHubAccess: the GitHub Actions workflow's deploy roles
	e.checkPins(app)
	return e
}

// checkPins refuses a pin that names no deployment of the example: it would otherwise be ignored silently.
func (e *Example) checkPins(app awscdk.App) {
	pins, err := bluegreen.PinsFromContext(app)
	if err != nil {
		panic(err)
	}
	known := map[string]bool{}
	var paths []string
	for _, d := range e.Deployments() {
		known[*d.Node().Path()] = true
		paths = append(paths, *d.Node().Path())
	}
	for path := range pins {
		if !known[path] {
			panic(fmt.Errorf("-c %s: no deployment is at %q; the example's deployments are %s",
				bluegreen.PinContextKey, path, strings.Join(paths, ", ")))
		}
	}
}

// Deployments returns every blue/green deployment of the example.
func (e *Example) Deployments() []bluegreen.Deployment {
	var out []bluegreen.Deployment
	for _, s := range e.Services() {
		out = append(out, s.Deployment)
	}
	out = append(out, e.Environments.Blue.Environment.Deployment(), e.Environments.Green.Environment.Deployment())
	return append(out, e.Fleet.Service.Deployments()...)
}

// helloTests are the pre-traffic tests of the hello handler: each route answers as it should, fast, and a load
// of 20 calls keeps p95 under a second.
func helloTests() *hooks.PreTrafficProps {
	get := func(path string) map[string]interface{} {
		return map[string]interface{}{"rawPath": path, "requestContext": map[string]interface{}{
			"http": map[string]interface{}{"method": "GET", "path": path}}}
	}
	post := get("/")
	post["requestContext"].(map[string]interface{})["http"].(map[string]interface{})["method"] = "POST"
	return &hooks.PreTrafficProps{
		Tests: []hooks.TestCase{
			{Name: "root says hello", Payload: get("/"), StatusCode: intp(200),
				Equals:   map[string]interface{}{"body.ok": true},
				Contains: map[string]string{"body.message": "hello"}, MaxLatency: 2 * time.Second},
			{Name: "health is ok", Payload: get("/health"), StatusCode: intp(200),
				Equals: map[string]interface{}{"body.ok": true}},
			{Name: "unknown path is 404", Payload: get("/nope"), StatusCode: intp(404)},
			{Name: "POST is refused", Payload: post, StatusCode: intp(405)},
		},
		Load: &hooks.LoadCheck{Budget: time.Second},
	}
}

func intp(i int) *int { return &i }
