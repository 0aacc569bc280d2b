package hooks

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdadestinations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/gobuild"
	"github.com/safeship/lambda-bluegreen/constructs/hooks/hookconfig"
	"github.com/safeship/lambda-bluegreen/constructs/hooks/runner"
	"github.com/safeship/lambda-bluegreen/constructs/quota"
	"github.com/safeship/lambda-bluegreen/internal/check"
	"github.com/safeship/lambda-bluegreen/internal/deploygroups"
	"github.com/safeship/lambda-bluegreen/internal/nag"
)

// HookProps configure a Hook. Set exactly one of PreTraffic and PostTraffic.
type HookProps struct {
	// Function is the protected function: the hook invokes, reads and prunes only its versions. Required.
	Function awslambda.IFunction

	// DeploymentGroup is the CodeDeploy group whose deployments the hook checks and reports to. Required. The
	// hook reads the version under test from each deployment's AppSpec, so it is not tied to a version.
	DeploymentGroup awscodedeploy.ILambdaDeploymentGroup

	// PreTraffic makes this a pre-traffic hook (BeforeAllowTraffic) with these checks.
	//
	// Default: none; PostTraffic must be set instead.
	PreTraffic *PreTrafficProps

	// PostTraffic makes this a post-traffic hook (AfterAllowTraffic) with these checks.
	//
	// Default: none; PreTraffic must be set instead.
	PostTraffic *PostTrafficProps

	// Timeout is the hook function's timeout, 30 seconds to 15 minutes. The hook keeps its last 10 seconds (a
	// quarter of a shorter timeout) to report, so its checks get the rest.
	//
	// Default: 5 minutes.
	Timeout time.Duration

	// Build tunes the go build of the hook's handler (see gobuild.Options); Files is set by the hook.
	//
	// Default: gobuild's defaults (arm64).
	Build *gobuild.Options

	// ProvisionedConcurrency, for a pre-traffic hook, is the provisioned concurrency the deployment declares for its
	// alias (bluegreen.Deployment sets it from its props): before any traffic shifts, the hook waits within its
	// Timeout until the provisioned concurrency in force for green during the shift (green's version's own
	// configuration, else the alias's at the amount it has now) is READY, and fails when it is FAILED or not READY
	// in time. It does not wait for an amount from Min to Max: a changed amount is applied only after the shift
	// (see bluegreen.DeploymentProps.ProvisionedConcurrency), and the hook says so; with none in force yet it
	// passes. Give the hook a Timeout that covers an allocation in progress (Lambda allocates after a minute or
	// two of preparation). It applies to Function (and functions added with AddTarget); each of Targets has its
	// own (Target.ProvisionedConcurrency).
	//
	// Default: no provisioned concurrency check.
	ProvisionedConcurrency *hookconfig.ProvisionedConcurrency

	// Targets are further functions this pre-traffic hook tests, each with its own checks: one hook for a whole
	// service. The hook tags each target function with hookconfig.TargetTagKey = its Key and, for a deployment,
	// runs the checks of the function the deployment shifts (Function keeps PreTraffic's). Only with PreTraffic.
	//
	// Default: none.
	Targets []Target
}

// Target is a further function of a shared pre-traffic hook, with its own checks.
type Target struct {
	// Key names the target in the hook's configuration and in the function's tag: 1 to 128 letters, digits and
	// "_.:/=+-@", unique among the hook's targets. Required.
	Key string
	// Function is the function to test; it must be defined in the app (the hook tags it). Required.
	Function awslambda.Function
	// DeploymentGroup is the group whose deployments shift Function. Required.
	DeploymentGroup awscodedeploy.ILambdaDeploymentGroup
	// PreTraffic are the function's checks. Required.
	PreTraffic *PreTrafficProps
	// ProvisionedConcurrency is the provisioned concurrency the function's deployment declares for its alias
	// (bluegreen.Deployment.ProvisionedConcurrencyCheck): before the function's shift, the hook waits until the
	// provisioned concurrency in force is READY, as for HookProps.ProvisionedConcurrency. Min and Max are whole
	// numbers with 1 <= Min <= Max.
	//
	// Default: no provisioned concurrency check for this function.
	ProvisionedConcurrency *hookconfig.ProvisionedConcurrency
}

var targetKeyPattern = regexp.MustCompile(`^[\pL\pN_.:/=+\-@]{1,128}$`)

// validateProvisionedConcurrency checks a provisioned concurrency check named field: whole numbers, 1 <= Min <=
// Max (Lambda API Reference, PutProvisionedConcurrencyConfig, ProvisionedConcurrentExecutions: "Valid Range:
// Minimum value of 1").
func validateProvisionedConcurrency(field string, pc hookconfig.ProvisionedConcurrency) error {
	switch {
	case pc.Min < 1 || pc.Max < pc.Min:
		return fmt.Errorf("%s must have 1 <= Min <= Max, got Min %g, Max %g", field, pc.Min, pc.Max)
	case pc.Min != math.Trunc(pc.Min) || pc.Max != math.Trunc(pc.Max):
		return fmt.Errorf("%s must have whole numbers Min and Max, got Min %g, Max %g", field, pc.Min, pc.Max)
	}
	return nil
}

// targets adds the checks of each target to cfg, and returns every problem with them.
func (p HookProps) targets(cfg *hookconfig.Config) []error {
	if len(p.Targets) == 0 {
		return nil
	}
	var errs []error
	if p.PreTraffic == nil {
		//lint:ignore ST1005 it starts with the Go name of the field it is about (STYLE: errors name the field)
		return []error{errors.New("Targets are only for a pre-traffic hook (PreTraffic set), got PostTraffic")}
	}
	cfg.Targets = map[string]hookconfig.Checks{}
	for i, t := range p.Targets {
		field := fmt.Sprintf("Targets[%d]", i)
		if !targetKeyPattern.MatchString(t.Key) {
			errs = append(errs, fmt.Errorf("%s.Key must be 1 to 128 letters, digits and \"_.:/=+-@\", got %q", field, t.Key))
		} else if _, twice := cfg.Targets[t.Key]; twice {
			errs = append(errs, fmt.Errorf("%s.Key must be unique, got %q twice", field, t.Key))
		}
		if t.Function == nil || t.DeploymentGroup == nil || t.PreTraffic == nil {
			errs = append(errs, fmt.Errorf("%s: Function, DeploymentGroup and PreTraffic must be set", field))
			continue
		}
		c, err := t.PreTraffic.config()
		errs = append(errs, check.Prefix(field+".PreTraffic.", err)...)
		errs = append(errs, check.Prefix(field+": ", concurrencyConflict(t.Function, c))...)
		checks := hookconfig.Checks{Tests: c.Tests, Load: c.Load, MalformedEventProbe: c.MalformedEventProbe,
			StackTraceIsCrash: strings.HasPrefix(*t.Function.Runtime().Name(), "provided")}
		if pc := t.ProvisionedConcurrency; pc != nil {
			errs = append(errs, validateProvisionedConcurrency(field+".ProvisionedConcurrency", *pc))
			c := *pc
			checks.ProvisionedConcurrency = &c
		}
		cfg.Targets[t.Key] = checks
	}
	return errs
}

// Hook is a CodeDeploy lifecycle hook for a Lambda deployment: a Go function from this repository that reads the
// version under test from the deployment's AppSpec, runs the declared checks against it, and always reports
// Succeeded or Failed. Attach it with LambdaDeploymentGroup.AddPreHook / AddPostHook (bluegreen.Deployment does
// this when its PreTraffic or PostTraffic props are set).
type Hook interface {
	constructs.Construct
	// Function returns the hook's Lambda function. It sees its role without policy updates (every permission of
	// the hook is granted to Role(), and a grant through Function() is not added): grant more to Role().
	Function() awslambda.Function
	// Role returns the hook function's role, with exactly the permissions its checks need.
	Role() awsiam.Role
	// LogGroup returns the log group the hook writes its report to (its failure reporter writes there too).
	LogGroup() awslogs.LogGroup
	// FailureReporter returns the hook's on-failure destination: a function that reports Failed to CodeDeploy
	// for a hook invocation that ended without reporting (a crash, out of memory, a timeout) or never ran (its
	// event passed MaxEventAge, throttled), and that the hook's watchdog invokes for a hook that never reported. Its role (FailureReporter().Role()) may only report to the hook's
	// deployment groups and write to LogGroup().
	FailureReporter() awslambda.Function
	// WatchdogRole returns the role EventBridge Scheduler assumes to invoke the failure reporter when the hook's
	// watchdog fires (see runner.Watchdog): it may only invoke the reporter.
	WatchdogRole() awsiam.Role
	// Phase returns when CodeDeploy runs the hook.
	Phase() hookconfig.Phase
	// AddTarget lets the hook serve the deployments of another function and deployment group too, with the same
	// checks: it reads each deployment's function and version from its AppSpec, so only permissions are needed.
	// Attach the hook to that group yourself (AddPreHook / AddPostHook). Pre-traffic test payloads are sent to
	// every target, so share a pre-traffic hook only between functions that answer the same events.
	AddTarget(function awslambda.IFunction, group awscodedeploy.ILambdaDeploymentGroup)
}

type hook struct {
	constructs.Construct
	function     awslambda.Function
	role         awsiam.Role
	logs         awslogs.LogGroup
	reporter     awslambda.Function
	reporterRole awsiam.Role
	watchdogRole awsiam.Role
	phase        hookconfig.Phase
	config       hookconfig.Config
	grants       *grants
}

// HookReportLimit is how long CodeDeploy waits for a lifecycle hook to report its status before it fails the
// deployment: one hour (DESIGN.md, "How a Lambda blue/green deployment works on AWS").
const HookReportLimit = time.Hour

// MaxEventAge returns how long Lambda keeps trying to start a hook's event (throttled, or failed by Lambda itself)
// before it gives up and sends the event to the hook's failure reporter, for a hook of the given timeout: the
// hour CodeDeploy waits for the hook (HookReportLimit), less the hook's timeout and a minute. An event that starts
// within that age can still run its checks and report within CodeDeploy's hour, so no queueing a healthy release
// could survive fails it (a service stack starts dozens of hooks together, and a new account may run only a few
// functions at once); an event older than that could not report in time anyway, so failing it then loses nothing.
// Lambda retries a throttled event "for up to 6 hours", with waits growing "from 1 second after the first attempt
// to a maximum of 5 minutes" (AWS Lambda Developer Guide, "Asynchronous invocation"), and accepts 60 to 21,600
// seconds (API Reference, PutFunctionEventInvokeConfig, MaximumEventAgeInSeconds). The age matters only when
// CodeDeploy invokes the hook asynchronously (AWS does not document how it invokes hooks); the hook's watchdog
// (runner.Watchdog) covers a hook that started and never reported, however it was invoked.
func MaxEventAge(timeout time.Duration) time.Duration {
	return max(HookReportLimit-timeout-time.Minute, time.Minute)
}

// NewHook builds the hook's handler (go build, like any Go function of this library), writes its checks beside
// it as config.json, and defines the function, its log group, a least-privilege role, and the failure reporter
// (construct id FailureReporter, with its own role FailureReporterRole) that Lambda invokes when an invocation of
// the hook fails or its event expires. It panics, naming the construct path, with every problem in props; nothing
// is defined then.
func NewHook(scope constructs.Construct, id string, props *HookProps) Hook {
	p := HookProps{}
	if props != nil {
		p = *props
	}
	cfg, err := p.config()
	if err = errors.Join(append([]error{err}, p.targets(&cfg)...)...); err != nil {
		panic(fmt.Errorf("%s/%s: invalid HookProps: %w", *scope.Node().Path(), id, err))
	}
	if p.Timeout == 0 {
		p.Timeout = 5 * time.Minute
	}
	if fn, ok := p.Function.(awslambda.Function); ok && cfg.Phase == hookconfig.PreTraffic {
		// Go handlers (provided.* runtimes) put a stack trace only on panics.
		cfg.StackTraceIsCrash = strings.HasPrefix(*fn.Runtime().Name(), "provided")
	}
	raw, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		panic(fmt.Errorf("%s/%s: %w", *scope.Node().Path(), id, err))
	}
	build := gobuild.Options{}
	if p.Build != nil {
		build = *p.Build
	}
	build.Files = nil
	codeDir, err := gobuild.BuildOnce(runner.HandlerPackage, &build)
	if err == nil {
		codeDir, err = gobuild.AddFiles(codeDir, map[string][]byte{hookconfig.FileName: raw}, &build)
	}
	if err != nil {
		panic(fmt.Errorf("%s/%s: building the hook: %w", *scope.Node().Path(), id, err))
	}

	c := constructs.NewConstruct(scope, jsii.String(id))
	quota.Of(c).Watch(c) // its roles' policies grow with the functions it serves
	h := &hook{Construct: c, phase: cfg.Phase, config: cfg}
	h.logs = awslogs.NewLogGroup(c, jsii.String("Logs"), &awslogs.LogGroupProps{
		Retention:     awslogs.RetentionDays_ONE_MONTH,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	h.role = awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String(fmt.Sprintf("bluegreen %s hook", cfg.Phase)),
	})
	h.logs.GrantWrite(h.role)
	h.grants = &grants{scope: c, role: h.role, apps: map[string]bool{}, current: map[string]awsiam.PolicyStatement{},
		policies: map[int]awsiam.ManagedPolicy{}}
	// The failure reporter: the same binary and asset, made a reporter by its environment (runner.FailureReporter),
	// with a role of its own that may only report Failed to the hook's groups and write to the hook's log group,
	// where a person reading the hook's report finds its line too. AWS does not document whether Lambda invokes a
	// destination function synchronously or asynchronously; the reporter keeps Lambda's default asynchronous
	// settings (two retries), which is safe because a repeated report changes nothing (runner.reportStatus). If the
	// reporter fails as well, CodeDeploy's one-hour hook timeout still fails the deployment.
	h.reporterRole = awsiam.NewRole(c, jsii.String("FailureReporterRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String(fmt.Sprintf("bluegreen %s hook failure reporter", cfg.Phase)),
	})
	h.logs.GrantWrite(h.reporterRole)
	h.reporter = awslambda.NewFunction(c, jsii.String("FailureReporter"), gobuild.BuiltFunctionProps(codeDir, &build, &awslambda.FunctionProps{
		Timeout:     awscdk.Duration_Seconds(jsii.Number(30)),
		MemorySize:  jsii.Number(128),
		Role:        h.reporterRole,
		LogGroup:    h.logs,
		Environment: &map[string]*string{runner.FailureReporterEnv: jsii.String(string(cfg.Phase))},
		Description: jsii.String(fmt.Sprintf("bluegreen %s hook failure reporter: reports Failed to CodeDeploy for a "+
			"hook invocation that ended without reporting", cfg.Phase)),
	}))
	h.function = awslambda.NewFunction(c, jsii.String("Function"), gobuild.BuiltFunctionProps(codeDir, &build, &awslambda.FunctionProps{
		Timeout:    awscdk.Duration_Seconds(jsii.Number(p.Timeout.Seconds())),
		MemorySize: jsii.Number(256),
		// The function sees its role without policy updates: every permission of the hook is granted here, to
		// the role itself. What CDK would grant on its own is either granted below (invoking the failure
		// reporter) or covered by the application-wide grant (LambdaDeploymentGroup.addPreHook/addPostHook
		// grants the hook PutLifecycleEventHookExecutionStatus on that one group: one more ARN per function,
		// which at a few dozen functions would outgrow IAM's quota of 10,240 characters of inline policies per
		// role).
		Role:     h.role.WithoutPolicyUpdates(nil),
		LogGroup: h.logs,
		// For an asynchronous invocation (AWS does not document how CodeDeploy invokes hooks): no retry after a
		// function error: the hook reports before it returns, and a retry would run the checks again. A hook
		// invocation that fails without reporting, or whose event Lambda gives up on (throttled, failed by Lambda)
		// after MaxEventAge instead of up to 6 hours, goes to the failure reporter, which reports Failed
		// (Developer Guide, "Asynchronous invocation": "On failure – Send a record when the event fails all
		// processing attempts or exceeds the maximum age"). The watchdog covers a synchronous invocation.
		RetryAttempts: jsii.Number(0),
		MaxEventAge:   awscdk.Duration_Seconds(jsii.Number(MaxEventAge(p.Timeout).Seconds())),
		// The role needs lambda:InvokeFunction on the reporter: "To send events to a destination, your function
		// needs additional permissions … Lambda – InvokeFunction" (same guide); granted below, to the role itself.
		OnFailure:   awslambdadestinations.NewLambdaDestination(h.reporter, nil),
		Description: jsii.String(fmt.Sprintf("bluegreen %s hook: tests the version a deployment shifts to", cfg.Phase)),
	}))
	// The watchdog (runner.Watchdog): the hook arms a one-time EventBridge Scheduler schedule that invokes the
	// reporter a minute after the hook's deadline, and deletes it once it has reported, so that a hook that dies
	// without reporting is reported Failed whether CodeDeploy invoked it synchronously or asynchronously.
	// Scheduler invokes the reporter as the watchdog role ("EventBridge Scheduler … assumes … the execution role
	// you specify", EventBridge Scheduler User Guide, "Set up the execution role"), which the hook must pass.
	h.watchdogRole = awsiam.NewRole(c, jsii.String("WatchdogRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()}},
		}),
		Description: jsii.String(fmt.Sprintf("bluegreen %s hook watchdog: invokes the failure reporter", cfg.Phase)),
	})
	h.reporter.GrantInvoke(h.watchdogRole)
	h.reporter.GrantInvoke(h.role) // its on-failure destination (what CDK grants a function's own role)
	h.watchdogRole.GrantPassRole(h.role)
	h.role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("scheduler:CreateSchedule", "scheduler:DeleteSchedule"),
		Resources: jsii.Strings(fmt.Sprintf("arn:%s:scheduler:%s:%s:schedule/default/%s*", *awscdk.Aws_PARTITION(),
			*awscdk.Aws_REGION(), *awscdk.Aws_ACCOUNT_ID(), runner.WatchdogSchedulePrefix)),
	}))
	nag.ExplainPolicy(h.watchdogRole, nag.Rule{
		ID:        "AwsSolutions-IAM5",
		Reason:    "CDK's invoke grant for the failure reporter covers that function and its versions only",
		AppliesTo: []interface{}{nag.VersionsOfAFunction},
	})
	h.function.AddEnvironment(jsii.String(runner.WatchdogTargetEnv), h.reporter.FunctionArn(), nil)
	h.function.AddEnvironment(jsii.String(runner.WatchdogRoleEnv), h.watchdogRole.RoleArn(), nil)
	// The deployment waits for the hook function (bluegreen.Deployment makes the alias depend on it): the
	// reporter's permission to report, and the watchdog's to invoke it, must be in place by then too.
	h.function.Node().AddDependency(h.role, h.reporterRole, h.watchdogRole)
	h.grants.waiter = h.function
	h.grant(p.Function, p.DeploymentGroup, cfg.ProvisionedConcurrency != nil)
	for _, t := range p.Targets {
		h.grant(t.Function, t.DeploymentGroup, cfg.Targets[t.Key].ProvisionedConcurrency != nil)
		awscdk.Tags_Of(t.Function).Add(jsii.String(hookconfig.TargetTagKey), jsii.String(t.Key), nil)
	}
	explainWildcards(h.role)
	nag.ExplainPolicy(h.reporterRole, nag.Rule{
		ID: "AwsSolutions-IAM5",
		Reason: "deploymentgroup:<application>/* names only the deployment groups of the served functions' CodeDeploy " +
			"application: one entry whatever the number of functions, so that the policy stays within IAM's size quotas",
		AppliesTo: []interface{}{nag.GroupsOfAnApplication},
	})
	explainFailureHandling(h.function, h.reporter)
	return h
}

// explainFailureHandling records in cdk-nag metadata why neither function has a dead-letter queue.
func explainFailureHandling(hookFn, reporter awslambda.Function) {
	nag.Explain(hookFn, nag.Rule{
		ID: "Serverless-LambdaDLQ",
		Reason: "a failed asynchronous invocation of the hook goes to its on-failure destination, the failure " +
			"reporter, which reports Failed to CodeDeploy; a dead-letter queue would only keep the event",
	})
	nag.Explain(reporter, nag.Rule{
		ID: "Serverless-LambdaDLQ",
		Reason: "the failure reporter is the hook's on-failure destination and only reports Failed to CodeDeploy; " +
			"if it fails too, CodeDeploy's one-hour hook timeout fails the deployment, and its log group (the " +
			"hook's) says why; a dead-letter queue would hold nothing to act on",
	})
}

func (h *hook) AddTarget(function awslambda.IFunction, group awscodedeploy.ILambdaDeploymentGroup) {
	if function == nil || group == nil {
		panic(fmt.Errorf("%s: AddTarget: function and group must be set, got %v and %v", *h.Node().Path(), function, group))
	}
	if h.phase == hookconfig.PreTraffic {
		if err := concurrencyConflict(function, h.config); err != nil {
			panic(fmt.Errorf("%s: AddTarget: %w", *h.Node().Path(), err))
		}
	}
	h.grant(function, group, h.config.ProvisionedConcurrency != nil)
}

// concurrencyConflict reports why the pre-traffic checks of cfg cannot run within the reserved concurrency of fn,
// or nil when they can or when it is not known at synth (an imported function, no reserved concurrency, a token).
//
// Reserved concurrency caps the whole function, every version included, so green's test calls share it with the
// traffic blue serves (AWS Lambda API Reference, PutFunctionConcurrency: "Concurrency settings apply to the
// function as a whole, including all published versions and the unpublished version. Reserving concurrency both
// ensures that your function has capacity to process the specified number of events simultaneously, and prevents
// it from scaling beyond that level."), and a call beyond it is refused (Invoke: "Lambda returns
// TooManyRequestsException if running the function would cause you to exceed a concurrency limit at either the
// account level (ConcurrentInvocationLimitExceeded) or function level
// (ReservedFunctionConcurrentInvocationLimitExceeded)"). The hook retries a refused call, but a load check
// running more calls at once than the function may run could only be throttled or starve blue.
func concurrencyConflict(fn awslambda.IFunction, cfg hookconfig.Config) error {
	if fn == nil || cfg.Phase != hookconfig.PreTraffic {
		return nil
	}
	reserved, ok := reservedConcurrency(fn)
	if !ok {
		return nil
	}
	switch {
	case reserved == 0:
		need := 1
		if cfg.Load != nil {
			need = max(cfg.Load.Concurrency, 1)
		}
		return fmt.Errorf("Function %s has ReservedConcurrentExecutions 0, which throttles every invocation, so the "+
			"pre-traffic hook could never invoke green: reserve at least %d, or remove the reservation", *fn.Node().Path(), need)
	case cfg.Load != nil && float64(cfg.Load.Concurrency) > reserved:
		return fmt.Errorf("PreTraffic.Load.Concurrency must be at most the ReservedConcurrentExecutions of Function %s "+
			"(%g), got %d: calls beyond it are throttled, and blue's traffic shares the same reservation",
			*fn.Node().Path(), reserved, cfg.Load.Concurrency)
	}
	return nil
}

// reservedConcurrency returns ReservedConcurrentExecutions from the CloudFormation definition of fn (the
// AWS::Lambda::Function default child of an awslambda.Function defined in this app). ok is false for an imported
// function, a function without reserved concurrency, or a value known only at deploy time.
func reservedConcurrency(fn awslambda.IFunction) (reserved float64, ok bool) {
	cfn, isFunction := fn.Node().DefaultChild().(awslambda.CfnFunction)
	if !isFunction {
		return 0, false
	}
	v := cfn.ReservedConcurrentExecutions()
	if v == nil || *awscdk.Token_IsUnresolved(v) {
		return 0, false
	}
	return *v, true
}

// explainWildcards records in cdk-nag metadata why the hook's policy has the wildcards it has: each names
// versions of one function, or an API without resource-level permissions.
func explainWildcards(role awsiam.Role) {
	nag.ExplainPolicy(role, nag.Rule{
		ID: "AwsSolutions-IAM5",
		Reason: "<function ARN>:* names only the versions and aliases of the protected function (to invoke " +
			"green, to read the provisioned concurrency of green or of its alias, or to prune old versions), or " +
			"the versions of the hook's failure reporter (CDK's invoke grant for the on-failure " +
			"destination); deploymentgroup:<application>/* names only the deployment groups of the served functions' " +
			"CodeDeploy application (one entry whatever the number of functions, so that the policy stays within " +
			"IAM's size quotas), where the hook reads and reports on the deployments it is invoked for; schedule/default/bluegreen-* names only the watchdog schedules the hook creates and " +
			"deletes for its own deployments (their names are only known at run time: bluegreen-<deployment id>-<phase>); cloudwatch:GetMetricStatistics and lambda:ListEventSourceMappings support " +
			"no resource-level permissions (Service Authorization Reference; the hook only lists the mappings " +
			"of the versions it would prune); cloudwatch:DescribeAlarms returns composite alarms only to a " +
			"permission scoped to * (CloudWatch API Reference, DescribeAlarms), and it only reads alarm states",
		AppliesTo: []interface{}{
			nag.VersionsOfAFunction,
			nag.GroupsOfAnApplication,
			"Resource::*",
			"Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/default/" +
				runner.WatchdogSchedulePrefix + "*",
		},
	})
}

func (p HookProps) config() (hookconfig.Config, error) {
	var errs []error
	if p.Function == nil {
		errs = append(errs, errors.New("Function must be set, got nil"))
	}
	if p.DeploymentGroup == nil {
		errs = append(errs, errors.New("DeploymentGroup must be set, got nil"))
	}
	if p.Timeout != 0 && (p.Timeout < 30*time.Second || p.Timeout > 15*time.Minute || p.Timeout%time.Second != 0) {
		//lint:ignore ST1005 it starts with the Go name of the field it is about (STYLE: errors name the field)
		errs = append(errs, fmt.Errorf("Timeout must be whole seconds from 30s to 15m0s, got %v", p.Timeout))
	}
	var cfg hookconfig.Config
	var err error
	switch {
	case p.PreTraffic != nil && p.PostTraffic != nil:
		errs = append(errs, errors.New("exactly one of PreTraffic and PostTraffic must be set, got both"))
	case p.PreTraffic != nil:
		cfg, err = p.PreTraffic.config()
		errs = append(errs, check.Prefix("PreTraffic.", err)...)
		errs = append(errs, concurrencyConflict(p.Function, cfg))
		if pc := p.ProvisionedConcurrency; pc != nil {
			errs = append(errs, validateProvisionedConcurrency("ProvisionedConcurrency", *pc))
			c := *pc
			cfg.ProvisionedConcurrency = &c
		}
	case p.PostTraffic != nil:
		cfg, err = p.PostTraffic.config()
		errs = append(errs, check.Prefix("PostTraffic.", err)...)
		if p.ProvisionedConcurrency != nil {
			errs = append(errs, errors.New("ProvisionedConcurrency is checked by a pre-traffic hook only, got it "+
				"with PostTraffic"))
		}
	default:
		errs = append(errs, errors.New("exactly one of PreTraffic and PostTraffic must be set, got neither"))
	}
	return cfg, errors.Join(errs...)
}

// InlineFunctions is how many protected functions' Lambda permissions a hook's role holds in its default inline
// policy, beside the hook's own permissions: a hook serving one function (a Deployment's) needs no other policy.
const InlineFunctions = 4

// FunctionsPerPolicy is how many further protected functions' Lambda permissions one managed policy of a hook's
// role holds (construct ids FunctionGrants1, FunctionGrants2…, attached to the role). Each function costs two
// resource entries (its ARN and "<ARN>:*"), at most 254 characters resolved (a 64-character function name in the
// longest partition and region), so a policy of FunctionsPerPolicy functions stays under 80 % of IAM's managed
// policy quota (6,144 characters) whatever the names, and the inline policies far under theirs (10,240 in
// aggregate), also by CDK's estimate, which would otherwise move statements to overflow policies of its own. The
// stack's quota check (constructs/quota) measures every policy at synth.
const FunctionsPerPolicy = 16

// grants holds the statements of a hook's role that grow with the functions it serves: one statement per
// action set, each a list of resources, so that a function adds two resource entries, not two statements.
type grants struct {
	scope     constructs.Construct
	role      awsiam.Role
	waiter    constructs.IConstruct             // the hook function: it must not run before its permissions exist
	functions int                               // functions granted so far
	apps      map[string]bool                   // applications whose deployment groups are granted
	current   map[string]awsiam.PolicyStatement // the statements of the policy functions are added to now
	policies  map[int]awsiam.ManagedPolicy      // by chunk of FunctionsPerPolicy functions after InlineFunctions
}

// add grants actions on resources of the function being granted (every call of one function goes to the same
// policy): into the statement of that action set in the current policy, defining it on first use.
func (g *grants) add(actions []string, resources ...*string) {
	key := strings.Join(actions, ",")
	if st, ok := g.current[key]; ok {
		st.AddResources(resources...)
		return
	}
	st := awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings(actions...), Resources: &resources})
	g.current[key] = st
	chunk := (g.functions - 1 - InlineFunctions) / FunctionsPerPolicy // the managed policy of this function, from 0
	if g.functions <= InlineFunctions {
		g.role.AddToPolicy(st)
		return
	}
	policy, ok := g.policies[chunk]
	if !ok { // the first statement of this managed policy: define it
		first := InlineFunctions + chunk*FunctionsPerPolicy + 1
		policy = awsiam.NewManagedPolicy(g.scope, jsii.String(fmt.Sprintf("FunctionGrants%d", chunk+1)), &awsiam.ManagedPolicyProps{
			Description: jsii.String(fmt.Sprintf("bluegreen hook %s: Lambda permissions on functions %d to at most %d it serves",
				*g.scope.Node().Path(), first, first+FunctionsPerPolicy-1)),
			Roles: &[]awsiam.IRole{g.role},
		})
		g.policies[chunk] = policy
		g.waiter.Node().AddDependency(policy)
		nag.Explain(policy, nag.Rule{
			ID: "AwsSolutions-IAM5",
			Reason: "<function ARN>:* names only the versions and aliases of one protected function (to invoke green, " +
				"read its provisioned concurrency, or prune old versions)",
			AppliesTo: []interface{}{nag.VersionsOfAFunction},
		})
	}
	policy.AddStatements(st)
}

// next starts the grants of one more function: after InlineFunctions, a new managed policy (defined with its first
// statement) every FunctionsPerPolicy functions.
func (g *grants) next() {
	if n := g.functions - InlineFunctions; n >= 0 && n%FunctionsPerPolicy == 0 {
		g.current = map[string]awsiam.PolicyStatement{}
	}
	g.functions++
}

// grant gives the hook's role what its checks need and nothing else: no wildcard action, no invoke on "*". The
// CodeDeploy permissions cover the deployment groups of the function's application (one entry per application);
// the Lambda permissions name the function (two entries per function, see FunctionsPerPolicy). readsProvisioned
// says whether the function's checks read its provisioned concurrency (its own, for a target of a shared hook).
func (h *hook) grant(function awslambda.IFunction, deploymentGroup awscodedeploy.ILambdaDeploymentGroup,
	readsProvisioned bool) {
	cfg := h.config
	fnArn := function.FunctionArn()
	versions := jsii.String(*fnArn + ":*")
	app := deploymentGroup.Application()
	if key := deploygroups.ApplicationKey(app); !h.grants.apps[key] {
		h.grants.apps[key] = true
		groups := deploygroups.Pattern(app.ApplicationName())
		statement := func(role awsiam.Role, actions []string, resources ...*string) {
			role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings(actions...), Resources: &resources,
			}))
		}
		// Read the deployments of the application's groups, and report there; the failure reporter may only report
		// there. A hook can only report on a lifecycle event it was given the execution id of.
		statement(h.role, []string{"codedeploy:GetDeployment", "codedeploy:PutLifecycleEventHookExecutionStatus"}, groups)
		statement(h.reporterRole, []string{"codedeploy:PutLifecycleEventHookExecutionStatus"}, groups)
		statement(h.role, []string{"codedeploy:GetApplicationRevision"}, app.ApplicationArn())
		if cfg.Phase == hookconfig.PostTraffic && cfg.CheckAlarms {
			statement(h.role, []string{"codedeploy:GetDeploymentGroup"}, groups)
		}
	}
	g := h.grants
	g.next()
	if cfg.Phase == hookconfig.PreTraffic {
		// Invoke only the protected function's versions (qualified ARNs), never the function or anything else.
		// Read the provisioned concurrency of green's version or of the alias: the action acts on the resources
		// "Function alias, Function version" (Lambda Developer Guide, "Resources and conditions for Lambda
		// actions"), qualified ARNs that "<function ARN>:*" covers and the unqualified ARN does not.
		if readsProvisioned {
			g.add([]string{"lambda:InvokeFunction", "lambda:GetProvisionedConcurrencyConfig"}, versions)
		} else {
			g.add([]string{"lambda:InvokeFunction"}, versions)
		}
		if len(cfg.Targets) > 0 {
			// A shared hook reads the function's tag to choose its checks (GetFunction returns the tags; it acts
			// on the resource "Function", Lambda Developer Guide, "Resources and conditions for Lambda actions").
			g.add([]string{"lambda:GetFunction"}, fnArn)
		}
		return
	}
	if g.functions == 1 {
		if cfg.MinInvocations > 0 {
			// GetMetricStatistics supports no resource-level permissions.
			h.role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings("cloudwatch:GetMetricStatistics"), Resources: jsii.Strings("*")}))
		}
		if cfg.CheckAlarms {
			// The rollback alarms may be composite alarms. Their ARN has the same form as a metric alarm's
			// (arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>), but CloudWatch returns them only to a
			// DescribeAlarms permission on "*": Amazon CloudWatch API Reference, DescribeAlarms: "To use this
			// operation and return information about composite alarms, you must be signed on with the
			// cloudwatch:DescribeAlarms permission that is scoped to *. You can't return information about
			// composite alarms if your cloudwatch:DescribeAlarms permission has a narrower scope."
			// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html). A scope
			// of "…:alarm:*" would hide a composite alarm in ALARM, and the hook would take it for a deleted
			// alarm. DescribeAlarms only reads alarm states and definitions.
			h.role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings("cloudwatch:DescribeAlarms"), Resources: jsii.Strings("*")}))
		}
		if cfg.KeepVersions > 0 {
			// Same page, "Event source mapping actions": "GetEventSourceMapping ListEventSourceMappings | * |
			// None"; the Service Authorization Reference likewise gives ListEventSourceMappings no resource type,
			// which means "you must specify all resources ("*")". It only lists mappings.
			h.role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings("lambda:ListEventSourceMappings"), Resources: jsii.Strings("*")}))
		}
	}
	if cfg.KeepVersions > 0 {
		// Read which versions are in use: these take the unqualified function ARN (AWS Lambda Developer Guide,
		// "Resources and conditions for Lambda actions": ListAliases, ListVersionsByFunction and
		// ListProvisionedConcurrencyConfigs act on the resource "Function").
		g.add([]string{"lambda:ListVersionsByFunction", "lambda:ListAliases", "lambda:ListProvisionedConcurrencyConfigs"}, fnArn)
		// Delete only versions (qualified ARNs) of the protected function; the function itself cannot match.
		g.add([]string{"lambda:DeleteFunction"}, versions)
	}
}

func (h *hook) Function() awslambda.Function { return h.function }
func (h *hook) Role() awsiam.Role            { return h.role }
func (h *hook) LogGroup() awslogs.LogGroup   { return h.logs }
func (h *hook) FailureReporter() awslambda.Function {
	return h.reporter
}
func (h *hook) Phase() hookconfig.Phase   { return h.phase }
func (h *hook) WatchdogRole() awsiam.Role { return h.watchdogRole }
