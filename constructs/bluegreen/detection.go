package bluegreen

import (
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/alarms"
	"github.com/safeship/lambda-bluegreen/constructs/strategy"
	"github.com/safeship/lambda-bluegreen/internal/bake"
)

// EmergencyBypassContextKey is the context key EmergencyBypassRequested reads:
// cdk deploy -c lambda-bluegreen:emergencyBypass=true.
const EmergencyBypassContextKey = "lambda-bluegreen:emergencyBypass"

// EmergencyBypassRequested reports whether the context key EmergencyBypassContextKey is true ("true" on the
// command line) where scope is. Apps pass it to DeploymentProps.EmergencyBypass; constructs read no context.
func EmergencyBypassRequested(scope constructs.Construct) bool {
	switch v := scope.Node().TryGetContext(jsii.String(EmergencyBypassContextKey)).(type) {
	case bool:
		return v
	case string:
		return v == "true"
	default:
		return false
	}
}

// PinContextKey is the context key PinsFromContext reads: a comma-separated list of
// <deployment construct path>=<version>, for example
// cdk deploy -c lambda-bluegreen:pin=BlueGreenServiceProd/Service=6.
const PinContextKey = "lambda-bluegreen:pin"

// PinsFromContext returns the pins the context key PinContextKey sets where scope is, by deployment construct
// path, or nil when it is unset. Apps pass PinsFromContext(app)[path] to DeploymentProps.PinnedVersion;
// constructs read no context. It returns an error naming the key and the bad entry when the value is not a list
// of path=version.
func PinsFromContext(scope constructs.Construct) (map[string]string, error) {
	raw, ok := scope.Node().TryGetContext(jsii.String(PinContextKey)).(string)
	if !ok || strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	pins := map[string]string{}
	for _, entry := range strings.Split(raw, ",") {
		path, version, found := strings.Cut(strings.TrimSpace(entry), "=")
		path = strings.Trim(strings.TrimSpace(path), "/")
		version = strings.TrimSpace(version)
		if !found || path == "" || !numberedVersion.MatchString(version) {
			return nil, fmt.Errorf("-c %s: each entry must be <deployment path>=<version number>, such as "+
				"BlueGreenServiceProd/Service=6, got %q", PinContextKey, entry)
		}
		if _, twice := pins[path]; twice {
			return nil, fmt.Errorf("-c %s: %s is pinned twice", PinContextKey, path)
		}
		pins[path] = version
	}
	return pins, nil
}

// DetectionAdvice compares how fast the alarms can catch a green that fails every request (detection, see
// alarms.DetectionTime) with how fast s moves traffic. It returns a warning when green can reach more traffic than
// the strategy's first step before any alarm can fire, or "" when the strategy waits long enough. All-at-once is
// left to the caller: no alarm can limit its exposure. bluegreen plan applies the same rule (bake.DetectionAdvice).
func DetectionAdvice(s strategy.Strategy, detection time.Duration) string {
	return bake.DetectionAdvice(s, detection)
}

// NoAlarmsWarning is the id of the warning synth gives when a Deployment shifts traffic gradually (canary or
// linear) but has no rollback alarm at all; Annotations.AcknowledgeWarning takes it.
const NoAlarmsWarning = "lambda-bluegreen:noAlarms"

// warnIfNoAlarms warns when d shifts traffic gradually with no rollback alarm (GreenAlarms off, none given, none
// added with AddAlarm): CodeDeploy then rolls back only on a failed hook or a stop, and the canary or linear
// steps protect nothing. It runs at synth, after every AddAlarm.
func (d *deployment) warnIfNoAlarms() {
	if len(d.alarms) > 0 || d.alarmsOff || d.strategy.Kind() == strategy.KindAllAtOnce {
		return
	}
	awscdk.Annotations_Of(d.Construct).AddWarningV2(jsii.String(NoAlarmsWarning), jsii.String(fmt.Sprintf(
		"%s shifts traffic gradually, but this deployment has no rollback alarm (GreenAlarms are off and no alarm "+
			"was given in Alarms or added with AddAlarm): CodeDeploy rolls back only when a hook fails or the "+
			"deployment is stopped, so a broken green reaches 100 %% of traffic after %v; keep the green alarms, "+
			"add an alarm, or choose strategy.AllAtOnce", d.strategy, d.strategy.TotalDuration())), nil)
}

// annotate tells at synth what the configuration can catch, and shouts when the emergency bypass is on.
func (d *deployment) annotate() {
	notes := awscdk.Annotations_Of(d.Construct)
	if d.bypass {
		notes.AddWarningV2(jsii.String("lambda-bluegreen:emergencyBypass"), jsii.String(
			"EMERGENCY BYPASS: this deploy ships green to 100 % of traffic at once and CodeDeploy ignores every "+
				"rollback alarm; hooks still run. Deploy again without the bypass to restore the strategy and alarms"), nil)
		return
	}
	if d.pinned != "" {
		notes.AddWarningV2(jsii.String("lambda-bluegreen:pinned"), jsii.String(fmt.Sprintf(
			"PINNED: this deploy moves alias %s to version %s (not the function's current version) in one step, "+
				"with alarm monitoring off (a rollback must not be stopped by the alarm that caused it; the hooks pass a "+
				"return to an earlier version); the next deploy without the pin restores the strategy and alarms and "+
				"moves the alias to the current version again", *d.alias.AliasName(), d.pinned)), nil)
	}
	if d.green == nil {
		return
	}
	detection, ok := d.green.DetectionTime()
	if !ok {
		return
	}
	if d.strategy.Kind() == strategy.KindAllAtOnce {
		notes.AddInfoV2(jsii.String("lambda-bluegreen:detection"), jsii.String(fmt.Sprintf(
			"all-at-once gives green 100 %% of traffic at once: rollback alarms (worst-case detection %v, "+
				"including %v of metric lag and %v for CodeDeploy to see the alarm) can only stop the deployment "+
				"while CodeDeploy still runs it", detection, alarms.MetricLag, alarms.AlarmCheckDelay)))
		return
	}
	if msg := DetectionAdvice(d.strategy, detection); msg != "" {
		notes.AddWarningV2(jsii.String("lambda-bluegreen:detection"), jsii.String(msg), nil)
	}
}

// BakeAdvice compares how long a rollback alarm with timing t needs to fire (t.DetectionTime) with the time s gives
// green before it takes all traffic (s.TotalDuration: a canary's bake, a linear shift's whole schedule). It
// returns a warning naming the alarm (path) when the alarm needs longer than that to stop a deployment, or ""
// when it does not or when s is all-at-once (no alarm can limit its exposure; annotate says so once).
func BakeAdvice(s strategy.Strategy, path string, t alarms.Timing) string {
	if !bake.SlowerThanBake(s, t) {
		return ""
	}
	bakeTime := s.TotalDuration()
	return fmt.Sprintf("rollback alarm %s needs up to %v to stop a deployment (%d of %d datapoints × %v + %v of "+
		"metric lag + %v for CodeDeploy to see the alarm), "+
		"longer than the %v %v gives green before it takes all traffic: it cannot stop a broken green before 100 %% "+
		"and acts only while CodeDeploy still runs the deployment (the post-traffic hook); shorten its period or "+
		"datapoints to alarm, or choose a strategy that bakes longer than %v", path, t.DetectionTime(),
		t.DatapointsToAlarm, t.EvaluationPeriods, t.Period, alarms.MetricLag, alarms.AlarmCheckDelay, bakeTime, s,
		t.DetectionTime())
}

// adviseBake warns at synth when alarm cannot fire within the strategy's bake time. The green error alarms are
// left to DetectionAdvice, which weighs them against each step of the strategy; an alarm whose timing cannot be
// read at synth (imported, composite) is skipped.
func (d *deployment) adviseBake(alarm awscloudwatch.IAlarm) {
	if d.alarmsOff || d.strategy.Kind() == strategy.KindAllAtOnce {
		return
	}
	if d.green != nil && (alarm == awscloudwatch.IAlarm(d.green.ErrorRate()) || alarm == awscloudwatch.IAlarm(d.green.RelativeErrorRate())) {
		return
	}
	// The green alarms' timing is known in Go; reading it back from the CDK costs dozens of calls into Node.
	var t alarms.Timing
	ok := false
	if d.green != nil {
		t, ok = d.green.Timing(alarm)
	}
	if !ok {
		t, ok = alarms.ReadTiming(alarm)
	}
	if !ok || BakeAdvice(d.strategy, "", t) == "" { // the path is built only for a warning
		return
	}
	if msg := BakeAdvice(d.strategy, *alarm.Node().Path(), t); msg != "" {
		awscdk.Annotations_Of(d.Construct).AddWarningV2(jsii.String("lambda-bluegreen:alarmSlowerThanBake"),
			jsii.String(msg), nil)
	}
}

// TrafficGateError returns why a post-traffic traffic gate of min invocations (PostTrafficProps.MinInvocations)
// can only fail under s, or nil when it can pass: it is the one check of the gate for a Deployment and for each
// function of a service (package service). The post-traffic hook runs as soon as the shift ends,
// s.TotalDuration after it started. Lambda publishes Invocations once a minute and only for minutes with
// invocations, stamped with the time of the invocation ("Using CloudWatch metrics with Lambda"), and the data
// reaches CloudWatch up to alarms.MetricLag later; the pre-traffic tests invoke the version, not the alias, so they
// do not count. Unless the shift lasts a full minute longer than the lag, no minute of green's traffic may be
// published when the hook counts it, and the gate rolls back every release; under all-at-once the hook runs right
// after the shift, before any metric of green exists.
func TrafficGateError(s strategy.Strategy, min float64) error {
	if min <= 0 {
		return nil
	}
	if s.IsZero() {
		s = strategy.Default()
	}
	need := alarms.MetricLag + time.Minute
	if s.Kind() == strategy.KindAllAtOnce {
		return fmt.Errorf("PostTraffic.MinInvocations %g cannot be met under %s: the post-traffic hook runs right "+
			"after the shift, before AWS/Lambda has published any of green's invocations (they arrive up to %v "+
			"late), so it would roll back every release; leave MinInvocations unset, or choose a strategy that "+
			"shifts for at least %v", min, s, alarms.MetricLag, need)
	}
	if s.TotalDuration() < need {
		return fmt.Errorf("PostTraffic.MinInvocations %g cannot be met under %s: the post-traffic hook counts "+
			"green's invocations %v after the shift starts, but AWS/Lambda publishes them up to %v late, so it may "+
			"see none and roll back every release; choose a strategy that shifts for at least %v, or leave "+
			"MinInvocations unset", min, s, s.TotalDuration(), alarms.MetricLag, need)
	}
	return nil
}
