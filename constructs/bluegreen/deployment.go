package bluegreen

import (
	"errors"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapplicationautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/alarms"
	"github.com/safeship/lambda-bluegreen/constructs/hooks"
	"github.com/safeship/lambda-bluegreen/constructs/hooks/hookconfig"
	"github.com/safeship/lambda-bluegreen/constructs/quota"
	"github.com/safeship/lambda-bluegreen/constructs/release"
	"github.com/safeship/lambda-bluegreen/constructs/release/guard"
	"github.com/safeship/lambda-bluegreen/constructs/strategy"
	"github.com/safeship/lambda-bluegreen/internal/block"
	"github.com/safeship/lambda-bluegreen/internal/check"
	"github.com/safeship/lambda-bluegreen/internal/nag"
)

// ApplicationID is the construct id of the CodeDeploy application a Deployment shares with every other Deployment
// in its stack when DeploymentProps.Application is nil. It is a direct child of the stack.
const ApplicationID = "BlueGreenApplication"

// MaxAlarmsWithoutQuotaIncrease is CodeDeploy's default quota of alarms per deployment group. It can be raised
// in Service Quotas: above it the stack's quota check fails the synth unless quota.Raise(stack,
// quota.AlarmsPerGroup, n) says the account's quota was raised.
const MaxAlarmsWithoutQuotaIncrease = 50

// legacyAlarmLimit is the limit of alarms per deployment group that older CodeDeploy and CloudFormation
// documentation states.
const legacyAlarmLimit = 10

// Deployment ships every change of one Lambda function blue/green: each change publishes a new retained version
// (green), and CodeDeploy shifts the alias from the version it serves today (blue) to green with the chosen
// strategy, rolling back when the deployment fails, is stopped, or an alarm fires.
type Deployment interface {
	constructs.Construct

	// Function returns the function being shipped: the one given in DeploymentProps.Function, or the one defined
	// from DeploymentProps.FunctionProps.
	Function() awslambda.Function
	// Version returns the function's current version: green during a deployment, blue once it is done. A new one
	// is published exactly when the function's code or configuration changes; old ones are retained.
	Version() awslambda.Version
	// Alias returns the alias that serves traffic. CodeDeploy moves it; nothing else should.
	Alias() awslambda.Alias
	// ProvisionedConcurrencyTarget returns the Application Auto Scaling scalable target that holds the alias's
	// provisioned concurrency (minimum and maximum both DeploymentProps.ProvisionedConcurrency, or the range of
	// DeploymentProps.ProvisionedConcurrencyScaling), or nil when neither is set. It depends on the alias, so
	// CloudFormation updates it once the alias update, and with it the traffic shift, is done.
	ProvisionedConcurrencyTarget() awsapplicationautoscaling.ScalableTarget
	// ProvisionedConcurrencyPolicy returns the target-tracking scaling policy of ProvisionedConcurrencyScaling
	// (metric LambdaProvisionedConcurrencyUtilization), or nil when it is not set.
	ProvisionedConcurrencyPolicy() awsapplicationautoscaling.TargetTrackingScalingPolicy
	// ProvisionedConcurrencyCheck returns the provisioned concurrency the deployment declares for its alias, as a
	// pre-traffic hook checks it (hooks.HookProps.ProvisionedConcurrency, hooks.Target.ProvisionedConcurrency):
	// from ProvisionedConcurrency, or ProvisionedConcurrencyScaling's range; nil when neither is set, when it is 0
	// (a release) or when it is known only at deploy time. A new copy each call.
	ProvisionedConcurrencyCheck() *hookconfig.ProvisionedConcurrency
	// Application returns the CodeDeploy application of the deployment group.
	Application() awscodedeploy.ILambdaApplication
	// DeploymentGroup returns the CodeDeploy deployment group that shifts the alias.
	DeploymentGroup() awscodedeploy.LambdaDeploymentGroup
	// DeploymentConfig returns the CodeDeploy deployment configuration of the strategy.
	DeploymentConfig() awscodedeploy.ILambdaDeploymentConfig
	// Strategy returns the traffic-shifting strategy in use, with the default applied.
	Strategy() strategy.Strategy
	// Alarms returns every alarm that stops and rolls back a deployment: the green alarms that are on, then
	// yours in the order they were added.
	Alarms() []awscloudwatch.IAlarm
	// GreenAlarms returns the default alarms on green, or nil when DeploymentProps.GreenAlarms.Disabled is set.
	GreenAlarms() alarms.GreenAlarms
	// EmergencyBypass reports whether this synth ships all at once with alarms ignored.
	EmergencyBypass() bool
	// PinnedVersion returns the version the alias is pinned to for this deploy (DeploymentProps.PinnedVersion),
	// or "" when it follows the function's current version.
	PinnedVersion() string
	// PreTrafficHook returns the hook defined from DeploymentProps.PreTraffic, or nil.
	PreTrafficHook() hooks.Hook
	// PostTrafficHook returns the hook defined from DeploymentProps.PostTraffic, or nil.
	PostTrafficHook() hooks.Hook

	// AddAlarm adds an alarm that stops the deployment and rolls back to blue when it is in ALARM during the
	// shift; the alias is made to depend on it, so it is updated before any traffic moves. Alarms may be added and
	// removed between deploys: an alarm no longer listed is detached from the deployment group, and with no alarm
	// left alarm monitoring is turned off. Synth warns when a group has more than 50 (CodeDeploy's default quota).
	AddAlarm(alarm awscloudwatch.IAlarm)
	// GrantInvoke lets grantee invoke the function through the alias (lambda:InvokeFunction on the alias ARN).
	GrantInvoke(grantee awsiam.IGrantable) awsiam.Grant
	// Metric returns the AWS/Lambda metric metricName of the alias (dimensions FunctionName and Resource).
	Metric(metricName string, opts *awscloudwatch.MetricOptions) awscloudwatch.Metric
	// MetricErrors returns the Errors metric of the alias. Default statistic: Sum over 5 minutes.
	MetricErrors(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric
	// MetricInvocations returns the Invocations metric of the alias. Default statistic: Sum over 5 minutes.
	MetricInvocations(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric
	// MetricDuration returns the Duration metric of the alias. Default statistic: Average over 5 minutes.
	MetricDuration(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric
	// MetricThrottles returns the Throttles metric of the alias. Default statistic: Sum over 5 minutes.
	MetricThrottles(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric
}

type deployment struct {
	constructs.Construct
	function    awslambda.Function
	version     awslambda.Version
	alias       awslambda.Alias
	aliasNode   constructs.Node // the alias's node, read once: each read is a call into the CDK
	role        awsiam.IRole    // the deployment group's role, read once
	sizes       *stackSize      // the size check of the stack, which also keeps its shared application
	application awscodedeploy.ILambdaApplication
	group       awscodedeploy.LambdaDeploymentGroup
	// groupResource is the group's AWS::CodeDeploy::DeploymentGroup, which renders AlarmConfiguration.Enabled.
	groupResource awscdk.CfnResource
	config        awscodedeploy.ILambdaDeploymentConfig
	strategy      strategy.Strategy
	alarms        []awscloudwatch.IAlarm
	green         alarms.GreenAlarms
	preHook       hooks.Hook
	postHook      hooks.Hook
	pcTarget      awsapplicationautoscaling.ScalableTarget
	pcPolicy      awsapplicationautoscaling.TargetTrackingScalingPolicy
	pcCheck       *hookconfig.ProvisionedConcurrency // what the pre-traffic hook waits for; nil for none
	bypass        bool
	alarmsOff     bool // the emergency bypass or a pin: alarm monitoring off for this deploy
	pinned        string
	guard         release.Guard            // the stack's release guard
	gate          awscdk.CfnCustomResource // the stack's release gate
	gateEntry     string                   // the property path of this deployment's entry in it
}

// NewDeployment defines a function shipped blue/green: the function (or the given one), its current version
// (kept across updates, deleted with the function when the stack is deleted), an alias on it, a CodeDeploy
// deployment group (in the stack's shared application) that
// moves the alias with the strategy, and automatic rollback on failure, on stop and on alarm.
//
// NewDeployment validates props before it defines anything and panics, naming the construct path, with every
// problem it found; nothing is added to the tree then. props may be nil only to get that error.
func NewDeployment(scope constructs.Construct, id string, props *DeploymentProps) Deployment {
	p := DeploymentProps{}
	if props != nil {
		p = *props
		p.Alarms = append([]awscloudwatch.IAlarm(nil), props.Alarms...)
	}
	if err := errors.Join(p.validate(), checkFunctionStack(scope, p.Function)); err != nil {
		panic(fmt.Errorf("%s/%s: invalid DeploymentProps: %w", *scope.Node().Path(), id, err))
	}
	if p.Strategy.IsZero() {
		p.Strategy = strategy.Default()
	}
	bypass := p.EmergencyBypass != nil && *p.EmergencyBypass
	// A pin is a rollback: one step, past any alarm (see DeploymentProps.PinnedVersion).
	oneStep := bypass || p.PinnedVersion != nil
	if oneStep {
		p.Strategy = strategy.AllAtOnce
	}
	aliasName := DefaultAliasName
	if p.AliasName != nil {
		aliasName = *p.AliasName
	}

	c := constructs.NewConstruct(scope, jsii.String(id))
	d := &deployment{Construct: c, strategy: p.Strategy, bypass: bypass, alarmsOff: oneStep}
	// CDK may still refuse what validate cannot see (FunctionProps it rejects, an id already taken): take the
	// half-defined construct out of the tree again before passing the error on, with the construct path.
	// The stack's size check goes too if this call defined it.
	var newSizes bool
	defer func() {
		if r := recover(); r != nil {
			scope.Node().TryRemoveChild(jsii.String(id))
			if newSizes {
				d.sizes.stackNode.TryRemoveChild(jsii.String(StackSizeID))
				if d.sizes.newQuotas {
					d.sizes.stackNode.TryRemoveChild(jsii.String(quota.CheckID))
				}
			}
			panic(check.WithPath(scope, id, r))
		}
	}()
	// Once per stack: warns at synth near CloudFormation's 500 resources, fails above.
	d.sizes, newSizes = stackSizeOf(c)
	d.define(&p, aliasName)
	d.sizes.track(d, &p)
	d.countQuotas(&p)
	return d
}

// countQuotas tells the stack's quota check what it cannot read cheaply (a call into the CDK per resource read,
// and a stack holds dozens of Deployments): the group's alarms, and the environment of a function defined here.
// Only a Deployment that is fully defined is counted.
func (d *deployment) countQuotas(p *DeploymentProps) {
	quotas := d.sizes.quotas
	quotas.Count(quota.AlarmsPerGroup, d.groupResource, func() (int, bool) { return len(d.alarms), false })
	if fp := p.FunctionProps; fp != nil && fp.Environment != nil {
		size, estimated := environmentSize(*fp.Environment)
		quotas.Count(quota.Environment, d.function, func() (int, bool) { return size, estimated })
	}
}

// define defines the resources of d in its construct from validated props.
func (d *deployment) define(p *DeploymentProps, aliasName string) {
	c := d.Construct
	d.function = p.Function
	if d.function == nil {
		d.function = awslambda.NewFunction(c, jsii.String("Function"), p.FunctionProps)
	}
	d.version = d.function.CurrentVersion()
	// Every version that served a release is kept, so blue still exists after a release and can be pinned back
	// (Retain on update; on the stack's deletion the policy keeps nothing: "Otherwise, all versions and aliases
	// are deleted", Lambda API Reference, DeleteFunction, for the function CloudFormation deletes with the stack).
	// A version created by a stack operation that rolls back is deleted
	// (DeletionPolicy RetainExceptOnCreate: "If the stack operation that created the resource is rolled back,
	// CloudFormation deletes the resource", CloudFormation user guide, DeletionPolicy attribute). Kept, that
	// green would make a re-run of the same commit fail: Lambda publishes no version when code and configuration
	// are unchanged since the last one, and CloudFormation reports "A version for this Lambda function exists".
	d.version.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE)
	green := awslambda.IVersion(d.version)
	if p.PinnedVersion != nil {
		d.pinned = *p.PinnedVersion
		green = awslambda.Version_FromVersionAttributes(c, jsii.String("PinnedVersion"), &awslambda.VersionAttributes{
			Lambda: d.function, Version: p.PinnedVersion,
		})
	}
	d.alias = awslambda.NewAlias(c, jsii.String("Alias"), &awslambda.AliasProps{
		AliasName:   jsii.String(aliasName),
		Version:     green,
		Description: p.AliasDescription,
	})
	d.aliasNode = d.alias.Node()
	// Provisioned concurrency is held by an Application Auto Scaling scalable target of the alias, never by the
	// alias's own ProvisionedConcurrencyConfig, so that a deploy that changes both the version and the amount
	// applies them one after the other:
	//   - Lambda refuses to change it during the shift: "you can't manage provisioned concurrency settings on the
	//     alias while the routing configuration is in place" (Lambda Developer Guide, "Configuring provisioned
	//     concurrency"), and CodeDeploy shifts with the alias's routing configuration. Users report the refusal
	//     ("Alias with weights can not be used with Provisioned Concurrency": hashicorp/terraform#24957,
	//     aws/serverless-application-model#1296), and a ProvisionedConcurrencyConfig on an alias with a CodeDeploy
	//     update policy that was not applied (aws/serverless-application-model#1298). CloudFormation documents no
	//     order between the alias's other properties and the CodeDeploy deployment it starts for a new version.
	//   - The scalable target refers to the alias, and "Resource B is updated before resource A" when A refers to B
	//     (CloudFormation, DependsOn attribute); the alias update lasts until CodeDeploy's deployment is done. So a
	//     new amount is registered after the shift, when the alias has no weights, and a failed shift rolls back
	//     before the amount changed.
	//   - Registering sets the amount: RegisterScalableTarget "changes the resource's current capacity to a value
	//     that is inside of this range" (Application Auto Scaling API Reference). It acts asynchronously; whether
	//     Application Auto Scaling retries a change Lambda refused is not documented; the pre-traffic hook of the
	//     next deploy logs an amount in force that differs from the declared one (hookconfig.ProvisionedConcurrency).
	//     So during the shift of a deploy that changes the amount (or first adds it), green is served by the amount
	//     from before (or none): the pre-traffic hook waits for what is in force, never for the declared amount.
	//   - Removing the scalable target "deletes the scaling policies and the scheduled actions" (same reference,
	//     DeregisterScalableTarget), not the capacity: ProvisionedConcurrency 0 releases it through a deploy.
	// During a shift the alias's allocation follows its versions: it "fluctuates depending on the amount of
	// concurrency that is provisioned for the function versions" in "linear and canary deployments" (Lambda API
	// Reference, ProvisionedConcurrencyConfigListItem, AllocatedProvisionedConcurrentExecutions).
	if lo, hi, ok := p.provisionedConcurrencyRange(); ok {
		scalable := d.alias.AddAutoScaling(&awslambda.AutoScalingOptions{
			MinCapacity: jsii.Number(lo), MaxCapacity: jsii.Number(hi),
		})
		d.pcTarget = scalable.Node().FindChild(jsii.String("Target")).(awsapplicationautoscaling.ScalableTarget)
		// On the alias's resource, not the Alias construct: the scalable target is one of its children.
		d.pcTarget.Node().AddDependency(d.aliasNode.DefaultChild())
		if s := p.ProvisionedConcurrencyScaling; s != nil {
			scalable.ScaleOnUtilization(&awslambda.UtilizationScalingOptions{UtilizationTarget: s.TargetUtilization})
			tracking := d.pcTarget.Node().FindChild(jsii.String("Tracking"))
			d.pcPolicy = tracking.(awsapplicationautoscaling.TargetTrackingScalingPolicy)
			if d.strategy.Kind() != strategy.KindAllAtOnce {
				awscdk.Annotations_Of(c).AddInfoV2(jsii.String("lambda-bluegreen:provisionedConcurrencyScaling"),
					jsii.String(fmt.Sprintf("Application Auto Scaling cannot change the alias's provisioned concurrency "+
						"while CodeDeploy's weights are on it: with %s, scaling pauses for up to %v of every deploy",
						d.strategy, d.strategy.TotalDuration())))
			}
		}
		if known(lo) && known(hi) && lo >= 1 {
			d.pcCheck = &hookconfig.ProvisionedConcurrency{Min: lo, Max: hi}
		}
		if known(hi) && hi == 0 {
			awscdk.Annotations_Of(c).AddWarningV2(jsii.String("lambda-bluegreen:provisionedConcurrencyRelease"),
				jsii.String("ProvisionedConcurrency 0 releases the alias's provisioned concurrency through Application "+
					"Auto Scaling; once a deploy has applied it, remove the field"), nil)
		}
	}

	if !p.GreenAlarms.Disabled {
		d.green = alarms.NewGreenAlarms(c, "GreenAlarms", &alarms.GreenAlarmsProps{
			Alias: d.alias, Version: green, Options: p.GreenAlarms,
		})
	}
	var all []awscloudwatch.IAlarm
	if d.green != nil {
		all = d.green.Alarms()
	}
	all = append(all, p.Alarms...)

	d.application = p.Application
	if d.application == nil {
		d.application = d.sizes.application()
	}
	d.config = p.Strategy.DeploymentConfig(c)

	// The alarms known now go in the props (one call into the CDK instead of one AddAlarm each), in the order
	// AddAlarm would have added them; later ones go through AddAlarm.
	refs := make([]interfacesawscloudwatch.IAlarmRef, len(all))
	for i, a := range all {
		refs[i] = a
	}
	d.group = awscodedeploy.NewLambdaDeploymentGroup(c, jsii.String("DeploymentGroup"), &awscodedeploy.LambdaDeploymentGroupProps{
		Alias:            d.alias,
		Application:      d.application,
		DeploymentConfig: d.config,
		Alarms:           &refs,
		// The emergency bypass and a pin keep the alarms attached but turn alarm monitoring off (CDK renders this
		// as AlarmConfiguration.Enabled false) until a synth without them turns it on again.
		IgnoreAlarmConfiguration: jsii.Bool(d.alarmsOff),
		Role:                     p.DeploymentRole,
		// DeploymentInAlarm stays unset: CDK then adds DEPLOYMENT_STOP_ON_ALARM exactly when there are alarms,
		// including ones added later with AddAlarm.
		AutoRollback: &awscodedeploy.AutoRollbackConfig{
			FailedDeployment:  jsii.Bool(true),
			StoppedDeployment: jsii.Bool(true),
		},
	})
	// Without the feature flag @aws-cdk/aws-codedeploy:removeAlarmsFromDeploymentGroup, CDK omits the alarm
	// configuration when the last alarm is removed, and CloudFormation then keeps the old alarms attached
	// (aws-cdk#23307). Rendering Enabled ourselves turns monitoring off explicitly whatever the app's flags.
	d.groupResource = d.group.Node().DefaultChild().(awscdk.CfnResource)
	d.renderAlarmsEnabled(len(all) > 0)
	d.role = d.group.Role()
	explainManagedPolicy(d.role)
	// The alias update starts the CodeDeploy deployment: the group's strategy and alarm settings of this synth
	// (an emergency bypass, or its end), the hooks with this synth's checks and CodeDeploy's permission to invoke
	// them, and the alarms (updated to watch the new green version) must be in place first. None of them refers to
	// the alias: no cycle. One call for all of them: CDK renders DependsOn sorted, whatever the order of the calls.
	d.defineGate(len(all) > 0)
	deps := append([]constructs.IDependable{d.group, d.role, d.gate}, d.attachHooks(p)...)
	for _, a := range all {
		deps = append(deps, a)
		d.noteAlarm(a)
	}
	d.aliasNode.AddDependency(deps...)
	d.annotate()
}

// explainManagedPolicy records, in the cdk-nag metadata of the CodeDeploy role (CDK attaches the managed policy to
// the role it defines and to a role you give alike), why that role uses an AWS managed policy.
func explainManagedPolicy(role awsiam.IRole) {
	nag.Explain(role, nag.Rule{
		ID: "AwsSolutions-IAM4",
		Reason: "AWSCodeDeployRoleForLambdaLimited is the policy AWS maintains for CodeDeploy Lambda " +
			"deployments: it updates aliases, reads alarms and invokes only CodeDeployHook_* functions; " +
			"other hooks get an explicit invoke grant",
		AppliesTo: []interface{}{
			"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited",
		},
	})
}

// renderAlarmsEnabled sets AlarmConfiguration.Enabled: on when the group has alarms, unless the emergency bypass
// or a pin is on; the release gate puts the same value back before the alias moves. It is a plain value rather
// than a Lazy (a callback from the CDK into Go at every resolution): only the first alarm can change it, and
// addAlarm renders it again then.
func (d *deployment) renderAlarmsEnabled(hasAlarms bool) {
	on := hasAlarms && !d.alarmsOff
	d.groupResource.AddPropertyOverride(jsii.String("AlarmConfiguration.Enabled"), jsii.Bool(on))
	if d.gate != nil {
		d.gate.AddPropertyOverride(jsii.String(d.gateEntry+"."+guard.GateAlarmsEnabled), jsii.String(fmt.Sprint(on)))
	}
}

// defineGate adds this deployment's entry to the stack's release gate (package release: a custom resource of the
// stack's release guard, construct id BlueGreenReleaseGuard/ReleaseGate) and makes the alias depend on it. Before
// any alias moves, the gate refuses a release a person rolled back (bluegreen rollback blocks it; bluegreen unblock
// lifts it), and puts the group's strategy and alarm monitoring back as this template has them (after a failed
// release left the group in abort mode). The release is named by the logical id of the function's current
// version, which CDK derives from a hash of the function's code and version-relevant configuration: the same
// commit names the same release; a pin names "pinned:<version>", which the gate lets through.
func (d *deployment) defineGate(hasAlarms bool) {
	g := d.sizes.releaseGuard()
	d.guard = g
	served := g.Serve(d.application)
	name := jsii.String(block.PinnedPrefix + d.pinned)
	if d.pinned == "" {
		// The element's LogicalId, not Stack.GetLogicalId: CDK overrides the version's id with the hash of the
		// function's code and configuration, and only the element's token resolves to the id the template has.
		name = d.version.Node().DefaultChild().(awscdk.CfnElement).LogicalId()
	}
	d.gateEntry = g.AddRelease(*d.Node().Path(), &release.GateProps{
		Function: d.function, Release: name, Group: d.group, ConfigName: d.config.DeploymentConfigName(),
		AlarmsEnabled: hasAlarms && !d.alarmsOff, Restore: served,
	})
	d.gate = g.Gate()
}

func (d *deployment) Function() awslambda.Function                            { return d.function }
func (d *deployment) Version() awslambda.Version                              { return d.version }
func (d *deployment) Alias() awslambda.Alias                                  { return d.alias }
func (d *deployment) Application() awscodedeploy.ILambdaApplication           { return d.application }
func (d *deployment) DeploymentGroup() awscodedeploy.LambdaDeploymentGroup    { return d.group }
func (d *deployment) DeploymentConfig() awscodedeploy.ILambdaDeploymentConfig { return d.config }
func (d *deployment) Strategy() strategy.Strategy                             { return d.strategy }

func (d *deployment) Alarms() []awscloudwatch.IAlarm {
	return append([]awscloudwatch.IAlarm(nil), d.alarms...)
}

func (d *deployment) AddAlarm(alarm awscloudwatch.IAlarm) {
	if alarm == nil {
		panic(fmt.Errorf("%s: AddAlarm: alarm must be an alarm, got nil", *d.Node().Path()))
	}
	d.addAlarm(alarm)
}

// addAlarm attaches alarm to the group and makes the alias depend on it: CloudFormation then updates the alarm
// (to watch the new green version) before the alias update starts CodeDeploy's traffic shift.
func (d *deployment) addAlarm(alarm awscloudwatch.IAlarm) {
	d.group.AddAlarm(alarm)
	d.aliasNode.AddDependency(alarm)
	if len(d.alarms) == 0 {
		d.renderAlarmsEnabled(true)
	}
	d.noteAlarm(alarm)
}

// noteAlarm records an alarm attached to the group and ordered before the alias, with what synth should say of it.
func (d *deployment) noteAlarm(alarm awscloudwatch.IAlarm) {
	d.alarms = append(d.alarms, alarm)
	if len(d.alarms) == legacyAlarmLimit+1 {
		awscdk.Annotations_Of(d.Construct).AddInfoV2(jsii.String("lambda-bluegreen:alarmLegacyLimit"),
			jsii.String(fmt.Sprintf("this deployment group has more than %d alarms: CodeDeploy allows %d by default, "+
				"but older API and CloudFormation documentation still gives a limit of %d; if a deploy fails with "+
				"AlarmsLimitExceededException, check the quota of your account", legacyAlarmLimit,
				MaxAlarmsWithoutQuotaIncrease, legacyAlarmLimit)))
	}
	d.adviseBake(alarm)
	// Above CodeDeploy's quota (MaxAlarmsWithoutQuotaIncrease, or a raised one) the stack's quota check speaks.
}

// attachHooks defines the declared hooks (or takes the user's functions) and attaches them to the group, which
// grants CodeDeploy's role the right to invoke them and them the right to report to it. It returns what it defined
// that the alias must depend on.
func (d *deployment) attachHooks(p *DeploymentProps) []constructs.IDependable {
	if p.PreTraffic != nil {
		d.preHook = hooks.NewHook(d.Construct, "PreTrafficHook", &hooks.HookProps{
			Function: d.function, DeploymentGroup: d.group, PreTraffic: p.PreTraffic,
			ProvisionedConcurrency: d.pcCheck,
		})
		d.group.AddPreHook(d.preHook.Function())
	} else if p.PreHook != nil {
		d.group.AddPreHook(p.PreHook)
	}
	if p.PostTraffic != nil {
		post := *p.PostTraffic
		if post.RequiredInvocations() > 0 && d.alarmsOff {
			// validate refused a gate that can only fail under the strategy; the emergency bypass and a pin ship
			// all at once, when no metric of green can exist yet: the gate is not applied to that deploy.
			awscdk.Annotations_Of(d.Construct).AddWarningV2(jsii.String("lambda-bluegreen:postTrafficAllAtOnce"),
				jsii.String(fmt.Sprintf("PostTraffic.MinInvocations %g is not applied to this deploy: the emergency "+
					"bypass or a pin ships all at once, before any metric of green exists", *post.MinInvocations)), nil)
			post.MinInvocations = jsii.Number(0)
		}
		d.postHook = hooks.NewHook(d.Construct, "PostTrafficHook", &hooks.HookProps{
			Function: d.function, DeploymentGroup: d.group, PostTraffic: &post,
		})
		d.group.AddPostHook(d.postHook.Function())
	} else if p.PostHook != nil {
		d.group.AddPostHook(p.PostHook)
	}
	if p.DeploymentRole == nil && (d.preHook != nil || d.postHook != nil) {
		explainHookGrants(d.role)
	}
	var deps []constructs.IDependable
	for _, h := range []hooks.Hook{d.preHook, d.postHook} {
		if h != nil {
			// The jsii objects, not the Go wrapper: jsii cannot pass a struct that embeds a construct.
			deps = append(deps, h.Function(), h.Role())
		}
	}
	return deps
}

// explainHookGrants records in cdk-nag metadata why CodeDeploy's role may invoke "<hook ARN>:*": CDK's invoke
// grant covers the hook function and its versions.
func explainHookGrants(role awsiam.IRole) {
	nag.ExplainPolicy(role, nag.Rule{
		ID:        "AwsSolutions-IAM5",
		Reason:    "CDK's invoke grant for a CodeDeploy hook covers the hook function and its versions only",
		AppliesTo: []interface{}{nag.VersionsOfAFunction},
	})
}

func (d *deployment) PreTrafficHook() hooks.Hook  { return d.preHook }
func (d *deployment) PostTrafficHook() hooks.Hook { return d.postHook }

func (d *deployment) GreenAlarms() alarms.GreenAlarms { return d.green }
func (d *deployment) EmergencyBypass() bool           { return d.bypass }
func (d *deployment) PinnedVersion() string           { return d.pinned }

func (d *deployment) ProvisionedConcurrencyTarget() awsapplicationautoscaling.ScalableTarget {
	return d.pcTarget
}
func (d *deployment) ProvisionedConcurrencyPolicy() awsapplicationautoscaling.TargetTrackingScalingPolicy {
	return d.pcPolicy
}
func (d *deployment) ProvisionedConcurrencyCheck() *hookconfig.ProvisionedConcurrency {
	if d.pcCheck == nil {
		return nil
	}
	c := *d.pcCheck
	return &c
}

func (d *deployment) GrantInvoke(grantee awsiam.IGrantable) awsiam.Grant {
	return d.alias.GrantInvoke(grantee)
}

func (d *deployment) Metric(metricName string, opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return d.alias.Metric(jsii.String(metricName), opts)
}

func (d *deployment) MetricErrors(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return d.alias.MetricErrors(opts)
}

func (d *deployment) MetricInvocations(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return d.alias.MetricInvocations(opts)
}

func (d *deployment) MetricDuration(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return d.alias.MetricDuration(opts)
}

func (d *deployment) MetricThrottles(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return d.alias.MetricThrottles(opts)
}

// environmentSize is the size of a function's environment variables as Lambda counts it (keys and values), and
// whether it is an estimate: a value known only at deploy time counts 128 characters (an ARN or a name).
func environmentSize(env map[string]*string) (size int, estimated bool) {
	for k, v := range env {
		size += len(k)
		switch {
		case v == nil:
		case check.IsToken(*v):
			size += 128
			estimated = true
		default:
			size += len(*v)
		}
	}
	return size, estimated
}
