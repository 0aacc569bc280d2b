// Package service ships a whole service of Lambda functions blue/green from one stack: each function keeps its
// own bluegreen.Deployment (alias, deployment group, green alarms, strategy), while everything that can be shared
// is shared: one pre-traffic hook that runs each function's own tests, one post-traffic hook, one CodeDeploy
// service role, and the stack's CodeDeploy application and deployment configurations.
package service

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/alarms"
	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/hooks"
	"github.com/safeship/lambda-bluegreen/constructs/quota"
	"github.com/safeship/lambda-bluegreen/constructs/strategy"
	"github.com/safeship/lambda-bluegreen/internal/check"
	"github.com/safeship/lambda-bluegreen/internal/nag"
)

// Props configure a Service.
type Props struct {
	// Functions are the service's functions, in order; each gets a bluegreen.Deployment with construct id
	// Function.ID under the service. At least one.
	Functions []Function

	// Strategy is how traffic moves for every function that sets none of its own.
	//
	// Default: strategy.Canary10Percent5Minutes.
	Strategy strategy.Strategy

	// GreenAlarms tune the default rollback alarms of every function that sets none of its own.
	//
	// Default: all four green alarms on with their defaults.
	GreenAlarms alarms.Options

	// PostTraffic declares the checks of the service's one post-traffic hook (construct id "PostTrafficHook"),
	// which every function's deployment runs once green has all the traffic.
	//
	// Default: no post-traffic hook.
	PostTraffic *hooks.PostTrafficProps

	// PreTrafficTimeout is the timeout of the shared pre-traffic hook, 30 seconds to 15 minutes (see
	// hooks.HookProps.Timeout); zero means the default.
	//
	// Default: 5 minutes.
	PreTrafficTimeout time.Duration

	// EmergencyBypass ships every function of this deploy all at once with alarm monitoring off (see
	// bluegreen.DeploymentProps.EmergencyBypass).
	//
	// Default: false.
	EmergencyBypass *bool

	// ConcurrentExecutionsQuota is your account's Lambda quota of concurrent executions in the region the stack
	// deploys to, when it was raised: every function's deployment checks its provisioned concurrency against it
	// (see bluegreen.DeploymentProps.ConcurrentExecutionsQuota). It is the account's, so it is the service's, not a
	// function's.
	//
	// Default: 1,000 (bluegreen.DefaultConcurrentExecutionsQuota, Lambda's default quota).
	ConcurrentExecutionsQuota *float64
}

// Function is one function of a Service.
type Function struct {
	// ID is the construct id of the function's Deployment under the service: stable PascalCase (changing it
	// replaces the function's resources). Required.
	ID string

	// Function is an existing function to ship; set it or FunctionProps.
	//
	// Default: none.
	Function awslambda.Function

	// FunctionProps are the props of a new function (construct id "<ID>/Function"); set them or Function.
	//
	// Default: none.
	FunctionProps *awslambda.FunctionProps

	// AliasName is the function's alias.
	//
	// Default: "live".
	AliasName *string

	// Strategy overrides the service's strategy for this function.
	//
	// Default: Props.Strategy.
	Strategy strategy.Strategy

	// GreenAlarms overrides the service's green alarm options for this function.
	//
	// Default: Props.GreenAlarms.
	GreenAlarms *alarms.Options

	// Alarms are rollback alarms of this function's own (business metrics…), beside its green alarms.
	//
	// Default: none.
	Alarms []awscloudwatch.IAlarm

	// PinnedVersion points this function's alias at an existing version for this deploy (see
	// bluegreen.DeploymentProps.PinnedVersion): a rollback through a deploy.
	//
	// Default: none; the alias follows the function's current version.
	PinnedVersion *string

	// PreTraffic are this function's own tests, which the service's shared pre-traffic hook runs before any
	// traffic reaches a new version of this function. With ProvisionedConcurrency or
	// ProvisionedConcurrencyScaling, the hook first waits for this function's provisioned concurrency to be READY,
	// as a Deployment's own hook does.
	//
	// Default: no pre-traffic tests for this function.
	PreTraffic *hooks.PreTrafficProps

	// AliasDescription is the description of this function's alias, at most 256 characters (see
	// bluegreen.DeploymentProps.AliasDescription).
	//
	// Default: none.
	AliasDescription *string

	// ProvisionedConcurrency is how many execution environments Lambda keeps initialized for this function's
	// alias: a whole number from 1 (0 releases it), held by an Application Auto Scaling target of the alias and
	// applied once the deployment of the release that sets it has ended (see
	// bluegreen.DeploymentProps.ProvisionedConcurrency for its limits and how to remove it). With PreTraffic, the
	// shared pre-traffic hook waits for the provisioned concurrency in force to be READY before this function's
	// shift.
	//
	// Default: none (on-demand concurrency only). At most one of ProvisionedConcurrency and
	// ProvisionedConcurrencyScaling.
	ProvisionedConcurrency *float64

	// ProvisionedConcurrencyScaling scales this function's provisioned concurrency with Application Auto Scaling
	// (see bluegreen.DeploymentProps.ProvisionedConcurrencyScaling); the shared pre-traffic hook checks it as
	// ProvisionedConcurrency.
	//
	// Default: none. At most one of ProvisionedConcurrency and ProvisionedConcurrencyScaling.
	ProvisionedConcurrencyScaling *bluegreen.ProvisionedConcurrencyScaling
}

// Service is a group of functions in one stack, each shipped blue/green with its own deployment, sharing one
// pre-traffic hook, one post-traffic hook and one CodeDeploy service role.
type Service interface {
	constructs.Construct
	// Deployments returns the functions' deployments, in the order of Props.Functions.
	Deployments() []bluegreen.Deployment
	// Deployment returns the deployment with construct id id, or nil.
	Deployment(id string) bluegreen.Deployment
	// PreTrafficHook returns the shared pre-traffic hook, or nil when no function declares tests.
	PreTrafficHook() hooks.Hook
	// PostTrafficHook returns the shared post-traffic hook, or nil when Props.PostTraffic is nil.
	PostTrafficHook() hooks.Hook
	// DeploymentRole returns the CodeDeploy service role every deployment group of the service uses.
	DeploymentRole() awsiam.Role
}

type service struct {
	constructs.Construct
	deployments []bluegreen.Deployment
	byID        map[string]bluegreen.Deployment
	pre, post   hooks.Hook
	role        awsiam.Role
}

var idPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*$`)

func (p Props) validate() error {
	var errs []error
	if len(p.Functions) == 0 {
		//lint:ignore ST1005 it starts with the Go name of the field it is about (STYLE: errors name the field)
		errs = append(errs, errors.New("Functions must list at least one function, got none"))
	}
	ids := map[string]bool{}
	said := map[string]bool{}
	for i, f := range p.Functions {
		field := fmt.Sprintf("Functions[%d]", i)
		switch {
		case !idPattern.MatchString(f.ID):
			errs = append(errs, fmt.Errorf("%s.ID must be a construct id of letters and digits starting with a letter, got %q", field, f.ID))
		case ids[f.ID] || f.ID == "DeploymentRole" || f.ID == "PreTrafficHook" || f.ID == "PostTrafficHook":
			errs = append(errs, fmt.Errorf("%s.ID must be unique and not DeploymentRole, PreTrafficHook or PostTrafficHook, got %q", field, f.ID))
		}
		ids[f.ID] = true
		if (f.Function == nil) == (f.FunctionProps == nil) {
			errs = append(errs, fmt.Errorf("%s: exactly one of Function and FunctionProps must be set", field))
		}
		if f.PreTraffic != nil {
			errs = append(errs, check.Prefix(field+".PreTraffic.", f.PreTraffic.Validate())...)
		}
		errs = append(errs, latencyBudgetErrors(p, i, f)...)
		for _, err := range check.Prefix("", bluegreen.AliasOptionsError(p.aliasOptions(f), functionField(i))) {
			// The service's ConcurrentExecutionsQuota is checked with each function: report a problem with it once.
			if !said[err.Error()] {
				said[err.Error()] = true
				errs = append(errs, err)
			}
		}
	}
	if p.PostTraffic != nil && (p.EmergencyBypass == nil || !*p.EmergencyBypass) {
		// The one post-traffic hook serves every function: its traffic gate must be possible under each one's
		// strategy (the same check as a Deployment's).
		for i, f := range p.Functions {
			s := f.Strategy
			if s.IsZero() {
				s = p.Strategy
			}
			if f.PinnedVersion == nil {
				errs = append(errs, check.Prefix(fmt.Sprintf("Functions[%d] (%s): ", i, f.ID),
					bluegreen.TrafficGateError(s, p.PostTraffic.RequiredInvocations()))...)
			}
		}
	}
	errs = append(errs, check.Prefix("Strategy: ", p.Strategy.Validate())...)
	errs = append(errs, check.Prefix("GreenAlarms.", p.GreenAlarms.Validate())...)
	if p.PostTraffic != nil {
		errs = append(errs, check.Prefix("PostTraffic.", p.PostTraffic.Validate())...)
	}
	return errors.Join(errs...)
}

// aliasOptions are the alias options of f's deployment, with its function, for validation.
func (p Props) aliasOptions(f Function) *bluegreen.DeploymentProps {
	return &bluegreen.DeploymentProps{Function: f.Function, FunctionProps: f.FunctionProps,
		AliasDescription: f.AliasDescription, ProvisionedConcurrency: f.ProvisionedConcurrency,
		ProvisionedConcurrencyScaling: f.ProvisionedConcurrencyScaling, ConcurrentExecutionsQuota: p.ConcurrentExecutionsQuota}
}

// functionField names a field of Functions[i] ("Functions[2].ProvisionedConcurrency"); ConcurrentExecutionsQuota
// is the service's own.
func functionField(i int) func(string) string {
	return func(field string) string {
		if field == "ConcurrentExecutionsQuota" {
			return field
		}
		return fmt.Sprintf("Functions[%d].%s", i, field)
	}
}

// latencyBudgetErrors reports a latency budget at or above the timeout of function f (Functions[i]), which the
// function's Deployment would refuse too (alarms.Options.ValidateTimeout), named with the service's fields: the
// function's own GreenAlarms, or the service's that it inherits.
func latencyBudgetErrors(p Props, i int, f Function) []error {
	opts, field := p.GreenAlarms, fmt.Sprintf("Functions[%d] (%s): GreenAlarms.", i, f.ID)
	if f.GreenAlarms != nil {
		opts, field = *f.GreenAlarms, fmt.Sprintf("Functions[%d].GreenAlarms.", i)
	}
	if opts.Latency.Budget <= 0 || (f.Function == nil) == (f.FunctionProps == nil) {
		return nil // the default budget is below any timeout; a function set twice or not at all is reported above
	}
	var d time.Duration
	var ok bool
	if f.Function != nil {
		d, ok = alarms.FunctionTimeout(f.Function.Timeout())
	} else {
		d, ok = alarms.FunctionTimeout(f.FunctionProps.Timeout)
	}
	if !ok {
		return nil
	}
	return check.Prefix(field, opts.ValidateTimeout(d))
}

// New defines the service: a CodeDeploy service role ("DeploymentRole"), a bluegreen.Deployment per function
// (construct id Function.ID) in the stack's shared CodeDeploy application, one pre-traffic hook
// ("PreTrafficHook") running each function's own tests when any function declares tests, and one post-traffic
// hook ("PostTrafficHook") when Props.PostTraffic is set. It panics, naming the construct path, with every problem
// in props; nothing is defined then.
func New(scope constructs.Construct, id string, props *Props) Service {
	p := Props{}
	if props != nil {
		p = *props
	}
	if err := p.validate(); err != nil {
		panic(fmt.Errorf("%s/%s: invalid service.Props: %w", *scope.Node().Path(), id, err))
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	s := &service{Construct: c, byID: map[string]bluegreen.Deployment{}}
	// One role for every group: CDK attaches AWSCodeDeployRoleForLambdaLimited to a role it is given, as to the
	// role it would define, and each group's hooks add their invoke grants to this role's one policy.
	s.role = awsiam.NewRole(c, jsii.String("DeploymentRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("codedeploy.amazonaws.com"), nil),
		Description: jsii.String("CodeDeploy's role for the blue/green deployments of " + *c.Node().Path()),
	})
	quota.Of(c).Watch(s.role) // its policy grows with the hooks CodeDeploy invokes
	var targets []hooks.Target
	for _, f := range p.Functions {
		d := bluegreen.NewDeployment(c, f.ID, s.deploymentProps(p, f))
		s.deployments = append(s.deployments, d)
		s.byID[f.ID] = d
		if f.PreTraffic != nil {
			// The shared hook checks each function's provisioned concurrency as the function's own hook would.
			targets = append(targets, hooks.Target{Key: f.ID, Function: d.Function(), DeploymentGroup: d.DeploymentGroup(),
				PreTraffic: f.PreTraffic, ProvisionedConcurrency: d.ProvisionedConcurrencyCheck()})
		}
	}
	if len(targets) > 0 {
		first := targets[0]
		s.pre = hooks.NewHook(c, "PreTrafficHook", &hooks.HookProps{
			Function: first.Function, DeploymentGroup: first.DeploymentGroup, PreTraffic: first.PreTraffic,
			ProvisionedConcurrency: first.ProvisionedConcurrency, Targets: targets[1:], Timeout: p.PreTrafficTimeout,
		})
		for _, t := range targets {
			s.byID[t.Key].DeploymentGroup().AddPreHook(s.pre.Function())
			s.waitFor(s.byID[t.Key], s.pre)
		}
	}
	if p.PostTraffic != nil {
		post := *p.PostTraffic
		if p.EmergencyBypass != nil && *p.EmergencyBypass && post.RequiredInvocations() > 0 {
			// Validation refused a gate that can only fail under a strategy; the bypass ships all at once, before
			// any metric of green exists: the gate is not applied to that deploy (as for a Deployment).
			awscdk.Annotations_Of(c).AddWarningV2(jsii.String("lambda-bluegreen:postTrafficAllAtOnce"),
				jsii.String(fmt.Sprintf("PostTraffic.MinInvocations %g is not applied to this deploy: the emergency "+
					"bypass ships all at once, before any metric of green exists", *post.MinInvocations)), nil)
			post.MinInvocations = jsii.Number(0)
		}
		first := s.deployments[0]
		s.post = hooks.NewHook(c, "PostTrafficHook", &hooks.HookProps{
			Function: first.Function(), DeploymentGroup: first.DeploymentGroup(), PostTraffic: &post,
		})
		for i, d := range s.deployments {
			if i > 0 {
				s.post.AddTarget(d.Function(), d.DeploymentGroup())
			}
			d.DeploymentGroup().AddPostHook(s.post.Function())
			s.waitFor(d, s.post)
		}
	}
	if s.pre != nil || s.post != nil {
		nag.ExplainPolicy(s.role, nag.Rule{
			ID:        "AwsSolutions-IAM5",
			Reason:    "CDK's invoke grant for a CodeDeploy hook covers the hook function and its versions only",
			AppliesTo: []interface{}{nag.VersionsOfAFunction},
		})
	}
	return s
}

// deploymentProps are the props of f's deployment: the service's defaults where f sets nothing.
func (s *service) deploymentProps(p Props, f Function) *bluegreen.DeploymentProps {
	d := &bluegreen.DeploymentProps{
		Function: f.Function, FunctionProps: f.FunctionProps, AliasName: f.AliasName, Strategy: f.Strategy,
		GreenAlarms: p.GreenAlarms, Alarms: f.Alarms, DeploymentRole: s.role, EmergencyBypass: p.EmergencyBypass,
		PinnedVersion: f.PinnedVersion, AliasDescription: f.AliasDescription,
		ProvisionedConcurrency: f.ProvisionedConcurrency, ProvisionedConcurrencyScaling: f.ProvisionedConcurrencyScaling,
		ConcurrentExecutionsQuota: p.ConcurrentExecutionsQuota,
	}
	if d.Strategy.IsZero() {
		d.Strategy = p.Strategy
	}
	if f.GreenAlarms != nil {
		d.GreenAlarms = *f.GreenAlarms
	}
	return d
}

// waitFor makes d's alias wait for hook (its function, role and failure reporter): the deployment the alias update
// starts must find the hook, with this synth's checks, in place. None of them refers to the alias: no cycle.
func (s *service) waitFor(d bluegreen.Deployment, hook hooks.Hook) {
	d.Alias().Node().AddDependency(hook.Function(), hook.Role(), s.role)
}

func (s *service) Deployments() []bluegreen.Deployment {
	return append([]bluegreen.Deployment(nil), s.deployments...)
}
func (s *service) Deployment(id string) bluegreen.Deployment { return s.byID[id] }
func (s *service) PreTrafficHook() hooks.Hook                { return s.pre }
func (s *service) PostTrafficHook() hooks.Hook               { return s.post }
func (s *service) DeploymentRole() awsiam.Role               { return s.role }
