package alarms

import (
	"fmt"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// GreenAlarmsProps configure GreenAlarms.
type GreenAlarmsProps struct {
	// Alias is the alias whose deployments are watched. Required.
	Alias awslambda.Alias

	// Version is green: the version a deployment moves the alias to.
	//
	// Default: the alias's version in the template (the function's current version), which is green for the
	// whole deployment and blue afterwards.
	Version awslambda.IVersion

	// Options tune each alarm.
	//
	// Default: all four on with their defaults.
	Options Options
}

// GreenAlarms are the default rollback alarms of a blue/green deployment. Each watches the requests green itself
// serves (dimension ExecutedVersion), not the alias as a whole, so a broken canary shows at its real error rate
// and errors blue already had do not block a fix. Every alarm uses 60-second periods by default and treats missing
// data as not breaching (no traffic to green is no evidence against it). Their names end in green's version
// number, so a new version gets new alarms, which start without the state a broken blue left.
type GreenAlarms interface {
	constructs.Construct

	// Alarms returns the alarms that are on, in a fixed order: error rate, relative error rate, throttles, latency.
	Alarms() []awscloudwatch.IAlarm
	// ErrorRate returns the alarm on green's error rate, or nil when it is off.
	ErrorRate() awscloudwatch.Alarm
	// RelativeErrorRate returns the alarm on green's error rate minus the alias's, or nil when it is off.
	RelativeErrorRate() awscloudwatch.Alarm
	// Throttles returns the alarm on green's throttles, or nil when it is off.
	Throttles() awscloudwatch.Alarm
	// Latency returns the alarm on green's latency percentile, or nil when it is off.
	Latency() awscloudwatch.Alarm
	// LatencyBudget returns the budget the latency alarm holds green to (with the default applied).
	LatencyBudget() time.Duration
	// LatencyPercentile returns the percentile the latency alarm watches (with the default applied).
	LatencyPercentile() float64
	// MinInvocations returns the low-traffic guard of the error-rate alarm (with the default applied).
	MinInvocations() float64
	// DetectionTime returns the worst-case time from green failing every request to an alarm in ALARM: the fastest
	// error alarm's DatapointsToAlarm × Period plus MetricLag plus AlarmCheckDelay. ok is false when both error
	// alarms are off.
	DetectionTime() (d time.Duration, ok bool)
	// Target returns the traffic the alarms measure, for building more metrics.
	Target() Target
	// Timing returns the Timing of alarm when it is one of these alarms, as ReadTiming would read it from the
	// alarm's CloudFormation definition but without a call into the CDK (ReadTiming costs some 30 per alarm);
	// ok is false for any other alarm.
	Timing(alarm awscloudwatch.IAlarm) (t Timing, ok bool)
}

type greenAlarms struct {
	constructs.Construct
	target     Target
	alarms     []awscloudwatch.IAlarm
	errorRate  awscloudwatch.Alarm
	relative   awscloudwatch.Alarm
	throttles  awscloudwatch.Alarm
	latency    awscloudwatch.Alarm
	budget     time.Duration
	percentile float64
	minInvoke  float64
	detection  time.Duration
	namePrefix string
	timings    map[awscloudwatch.IAlarm]Timing
}

// NewGreenAlarms defines the green alarms that props.Options leaves on. It panics, naming the construct path, when
// Alias is missing or an option is invalid (see Options.Validate); nothing is defined then.
func NewGreenAlarms(scope constructs.Construct, id string, props *GreenAlarmsProps) GreenAlarms {
	p := GreenAlarmsProps{}
	if props != nil {
		p = *props
	}
	if p.Alias == nil {
		panic(fmt.Errorf("%s/%s: invalid GreenAlarmsProps: Alias must be set, got nil", *scope.Node().Path(), id))
	}
	if err := p.Options.Validate(); err != nil {
		panic(fmt.Errorf("%s/%s: invalid GreenAlarmsProps: %w", *scope.Node().Path(), id, err))
	}
	if p.Version == nil {
		p.Version = p.Alias.Version()
	}
	target := NewTarget(p.Alias, p.Version)
	if fn, ok := target.function.(awslambda.Function); ok && p.Options.Latency.Budget > 0 {
		if timeout, known := FunctionTimeout(fn.Timeout()); known {
			if err := p.Options.ValidateTimeout(timeout); err != nil {
				panic(fmt.Errorf("%s/%s: invalid GreenAlarmsProps: %w", *scope.Node().Path(), id, err))
			}
		}
	}
	o := p.Options
	c := constructs.NewConstruct(scope, jsii.String(id))
	g := &greenAlarms{Construct: c, target: target, timings: map[awscloudwatch.IAlarm]Timing{}}
	// Alarm names carry green's version number, so each new version gets new alarms (CloudFormation replaces an
	// alarm whose name changes). A new alarm starts without a state; an updated one would keep its old state, and
	// an alarm left in ALARM by a broken blue would stop the very deployment that fixes it.
	g.namePrefix = *awscdk.Aws_STACK_NAME() + "-" + *awscdk.Names_UniqueResourceName(c,
		&awscdk.UniqueResourceNameOptions{MaxLength: jsii.Number(80), Separator: jsii.String("-")}) + "-"

	errRate := resolveErrorRate(o)
	g.minInvoke = errRate.minInvoke
	if errRate.enabled {
		g.errorRate = g.alarm("ErrorRate", errRate, g.target.GreenErrorRate(errRate.minInvoke, errRate.period),
			fmt.Sprintf("Green's error rate is above %g%% of its invocations (counting at least %g invocations per %v): "+
				"CodeDeploy rolls back to blue.", errRate.threshold, errRate.minInvoke, errRate.period))
		g.noteDetection(errRate.detection())
	}
	rel := resolveRelative(o)
	if rel.enabled {
		g.relative = g.alarm("RelativeErrorRate", rel, g.target.ErrorRateExcess(rel.minInvoke, rel.period),
			fmt.Sprintf("Green's error rate exceeds the alias's by more than %g percentage points: CodeDeploy rolls back "+
				"to blue.", rel.threshold))
		g.noteDetection(rel.detection())
	}
	thr := resolveThrottles(o)
	if thr.enabled {
		g.throttles = g.alarm("Throttles", thr, g.target.GreenMetric("Throttles", "Sum", thr.period),
			fmt.Sprintf("Green had more than %g throttled requests per %v: CodeDeploy rolls back to blue.",
				thr.threshold, thr.period))
	}
	lat := resolveLatency(o, g.target.function)
	g.budget, g.percentile = lat.budget, lat.percentile
	if lat.enabled {
		stat := fmt.Sprintf("p%g", lat.percentile)
		g.latency = g.alarm("Latency", lat, g.target.GreenMetric("Duration", stat, lat.period),
			fmt.Sprintf("Green's %s latency is above %v: CodeDeploy rolls back to blue.", stat, lat.budget))
	}
	return g
}

func (g *greenAlarms) noteDetection(d time.Duration) {
	if g.detection == 0 || d < g.detection {
		g.detection = d
	}
}

func (g *greenAlarms) alarm(id string, r resolved, metric awscloudwatch.IMetric, description string) awscloudwatch.Alarm {
	a := awscloudwatch.NewAlarm(g.Construct, jsii.String(id), &awscloudwatch.AlarmProps{
		AlarmName:          jsii.String(g.namePrefix + id + "-v" + *g.target.version),
		Metric:             metric,
		Threshold:          jsii.Number(r.threshold),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		EvaluationPeriods:  jsii.Number(float64(r.evaluate)),
		DatapointsToAlarm:  jsii.Number(float64(r.datapoints)),
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		AlarmDescription:   jsii.String(description),
	})
	g.alarms = append(g.alarms, a)
	g.timings[a] = Timing{Period: r.period, EvaluationPeriods: r.evaluate, DatapointsToAlarm: r.datapoints}
	return a
}

func resolveErrorRate(o Options) resolved {
	e := o.ErrorRate
	r := resolved{enabled: !o.Disabled && !e.Disabled,
		threshold: orDefault(e.ThresholdPercent, DefaultErrorRateThresholdPercent),
		minInvoke: orDefault(e.MinInvocations, DefaultMinInvocations)}
	r.period, r.evaluate, r.datapoints = e.Evaluation.resolve(errorRateDefaults)
	return r
}

func resolveRelative(o Options) resolved {
	e := o.RelativeErrorRate
	r := resolved{enabled: !o.Disabled && !e.Disabled,
		threshold: orDefault(e.MarginPercent, DefaultRelativeMarginPercent),
		minInvoke: orDefault(e.MinInvocations, DefaultMinInvocations)}
	r.period, r.evaluate, r.datapoints = e.Evaluation.resolve(relativeDefaults)
	return r
}

func resolveThrottles(o Options) resolved {
	e := o.Throttles
	r := resolved{enabled: !o.Disabled && !e.Disabled, threshold: orDefault(e.Threshold, DefaultThrottleThreshold)}
	r.period, r.evaluate, r.datapoints = e.Evaluation.resolve(throttlesDefaults)
	return r
}

func resolveLatency(o Options, function awslambda.IFunction) resolved {
	e := o.Latency
	r := resolved{enabled: !o.Disabled && !e.Disabled, percentile: orDefault(e.Percentile, DefaultLatencyPercentile),
		budget: e.Budget}
	if r.budget == 0 {
		timeout := lambdaDefaultTimeout
		if fn, ok := function.(awslambda.Function); ok {
			if t := fn.Timeout(); t != nil {
				timeout = time.Duration(*t.ToMilliseconds(nil)) * time.Millisecond
			}
		}
		r.budget = time.Duration(float64(timeout) * DefaultLatencyBudgetShare).Round(time.Millisecond)
	}
	r.threshold = float64(r.budget.Milliseconds())
	r.period, r.evaluate, r.datapoints = e.Evaluation.resolve(latencyDefaults)
	return r
}

func (g *greenAlarms) Alarms() []awscloudwatch.IAlarm {
	return append([]awscloudwatch.IAlarm(nil), g.alarms...)
}
func (g *greenAlarms) ErrorRate() awscloudwatch.Alarm         { return g.errorRate }
func (g *greenAlarms) RelativeErrorRate() awscloudwatch.Alarm { return g.relative }
func (g *greenAlarms) Throttles() awscloudwatch.Alarm         { return g.throttles }
func (g *greenAlarms) Latency() awscloudwatch.Alarm           { return g.latency }
func (g *greenAlarms) LatencyBudget() time.Duration           { return g.budget }
func (g *greenAlarms) LatencyPercentile() float64             { return g.percentile }
func (g *greenAlarms) Target() Target                         { return g.target }
func (g *greenAlarms) MinInvocations() float64                { return g.minInvoke }
func (g *greenAlarms) DetectionTime() (time.Duration, bool)   { return g.detection, g.detection > 0 }

func (g *greenAlarms) Timing(alarm awscloudwatch.IAlarm) (Timing, bool) {
	t, ok := g.timings[alarm]
	return t, ok
}
