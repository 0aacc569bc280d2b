package alarms

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
)

// MetricLag is how long AWS/Lambda metrics take, at worst, to reach CloudWatch alarms after the minute they
// describe. It is part of every detection time this package computes, and sets how many of the newest periods
// the error-rate alarms may see without data (LatePeriods). AWS documents no bound: Lambda "sends metric data to
// CloudWatch in 1-minute intervals", stamped with the time of the invocation, so a metric arrives after its minute
// ends (Lambda developer guide, "Using CloudWatch metrics with Lambda").
const MetricLag = 2 * time.Minute

// LatePeriods returns how many of an alarm's newest periods of the given length may still have no AWS/Lambda data
// when CloudWatch evaluates the alarm: the period in progress, and those that ended less than MetricLag ago.
//
// The error-rate alarms divide FILL(errors, 0) by FILL(invocations, …). CloudWatch's metric math guide warns that
// when a metric is published with a delay, FILL supplies the newest datapoints, "which can result in the alarm
// being stuck in either OK state or ALARM state", and advises an M out of N alarm ("Using metric math", FILL). So
// their window (EvaluationPeriods) is DatapointsToAlarm + LatePeriods(Period): it always holds DatapointsToAlarm
// periods of real data, and a green that fails every request fires the alarm within DetectionTime.
func LatePeriods(period time.Duration) int {
	return int((MetricLag+period-1)/period) + 1
}

// Default values of the green alarms. Each is documented on the option that uses it.
const (
	DefaultErrorRateThresholdPercent = 5.0
	DefaultMinInvocations            = 100.0
	DefaultRelativeMarginPercent     = 2.0
	DefaultThrottleThreshold         = 5.0
	DefaultLatencyPercentile         = 99.0
	// DefaultLatencyBudgetShare is the share of the function's timeout green's latency percentile may reach.
	DefaultLatencyBudgetShare = 0.8
	// DefaultPeriod is the period of every green alarm: the finest AWS/Lambda publishes.
	DefaultPeriod = time.Minute
	// lambdaDefaultTimeout is the timeout Lambda gives a function that sets none.
	lambdaDefaultTimeout = 3 * time.Second
)

// Options tune the default rollback alarms on green. The zero Options turns every alarm on with its defaults.
type Options struct {
	// Disabled turns every default alarm off (alarms you add yourself still work).
	//
	// Default: false.
	Disabled bool

	// ErrorRate tunes the alarm on green's own error rate.
	//
	// Default: on, with the default of each field.
	ErrorRate ErrorRateOptions

	// RelativeErrorRate tunes the alarm on green's error rate compared with the alias as a whole.
	//
	// Default: on, with the default of each field.
	RelativeErrorRate RelativeErrorRateOptions

	// Throttles tunes the alarm on green's throttled requests.
	//
	// Default: on, with the default of each field.
	Throttles ThrottleOptions

	// Latency tunes the alarm on green's latency percentile.
	//
	// Default: on, with the default of each field.
	Latency LatencyOptions
}

// Evaluation says how an alarm reads its metric. Zero fields take the alarm's defaults.
type Evaluation struct {
	// Period is the length of one datapoint: a whole multiple of 60 seconds (AWS/Lambda publishes once a minute).
	// Zero is never a valid period, so zero means "default".
	//
	// Default: 1 minute.
	Period time.Duration

	// EvaluationPeriods is how many recent datapoints the alarm looks at. For the two error-rate alarms, whose
	// metric math fills the newest periods with 0 until AWS/Lambda's data arrives, it must be at least
	// DatapointsToAlarm + LatePeriods(Period), or the alarm might never see a real datapoint.
	//
	// Default: for the error rate and the relative error rate DatapointsToAlarm + LatePeriods(Period) (4 and 5
	// with 1-minute periods); 1 for throttles; 3 for latency.
	EvaluationPeriods *float64

	// DatapointsToAlarm is how many of those must breach for the alarm to fire (M of N).
	//
	// Default: 1 for the error rate, 2 for the relative error rate, 2 for latency; for throttles all of
	// EvaluationPeriods (1).
	DatapointsToAlarm *float64
}

// ErrorRateOptions tune the alarm on green's error rate: 100 × errors ÷ max(invocations, MinInvocations) for the
// requests green served through the alias (dimension ExecutedVersion), per period.
type ErrorRateOptions struct {
	// Disabled turns this alarm off.
	//
	// Default: false.
	Disabled bool

	// ThresholdPercent is the error rate (percent of green's invocations) above which the alarm fires: at least 0
	// (any error fires it) and below 100 (no error rate exceeds 100 %).
	//
	// Default: 5.
	ThresholdPercent *float64

	// MinInvocations guards against noise: a period with fewer invocations is computed as if it had this many, so
	// a handful of failed requests cannot fire the alarm. At traffic below it, green must fail more than
	// ThresholdPercent × MinInvocations ÷ 100 requests in a period before the alarm fires (more than 5 with the
	// defaults): a green that fails every request but serves 5 or fewer per minute is not caught by the error
	// alarms; lower MinInvocations for a quiet function, or test green before traffic with a pre-traffic hook.
	//
	// Default: 100.
	MinInvocations *float64

	Evaluation
}

// RelativeErrorRateOptions tune the canary-versus-baseline alarm: green's error rate minus the alias's (both
// guarded as in ErrorRateOptions). At a canary of p %, that difference is (1 − p/100) × (green − blue), so it needs
// no knowledge of blue's version, and errors blue already had do not count against green.
type RelativeErrorRateOptions struct {
	// Disabled turns this alarm off.
	//
	// Default: false.
	Disabled bool

	// MarginPercent is how many percentage points green's error rate may exceed the alias's before the alarm
	// fires: at least 0 and below 100.
	//
	// Default: 2.
	MarginPercent *float64

	// MinInvocations guards both rates against noise, as ErrorRateOptions.MinInvocations does.
	//
	// Default: 100.
	MinInvocations *float64

	Evaluation
}

// ThrottleOptions tune the alarm on green's throttled requests (Throttles with dimension ExecutedVersion).
type ThrottleOptions struct {
	// Disabled turns this alarm off.
	//
	// Default: false.
	Disabled bool

	// Threshold is the number of throttled requests per period above which the alarm fires.
	//
	// Default: 5.
	Threshold *float64

	Evaluation
}

// LatencyOptions tune the alarm on green's latency: a percentile of Duration for the requests green served.
type LatencyOptions struct {
	// Disabled turns this alarm off.
	//
	// Default: false.
	Disabled bool

	// Percentile is the latency percentile to watch, greater than 0 and at most 100.
	//
	// Default: 99 (p99).
	Percentile *float64

	// Budget is the latency the percentile must stay under, below the function's timeout (Lambda stops an
	// invocation at its timeout, so a budget at or above it could never be exceeded; synth refuses it when the
	// timeout is known). Zero is never a useful budget, so zero means "default". Set it to your service's
	// objective: the default only catches a green that is about to time out.
	//
	// Default: 80 % of the function's timeout (of Lambda's 3-second default when the function sets none).
	Budget time.Duration

	Evaluation
}

// resolved holds one alarm's settings with every default applied.
type resolved struct {
	enabled    bool
	threshold  float64 // percent, percentage points, count or milliseconds
	minInvoke  float64
	percentile float64
	budget     time.Duration
	period     time.Duration
	evaluate   int
	datapoints int
}

// detection returns the worst-case time for the alarm to fire once every datapoint breaches.
func (r resolved) detection() time.Duration {
	return DetectionTime(r.period, r.datapoints)
}

// AlarmCheckDelay is how long CodeDeploy may take to notice a rollback alarm in ALARM. CodeDeploy stops a
// deployment when "any of the specified alarms are activated" ("Monitoring deployments with CloudWatch alarms in
// CodeDeploy"), which it learns by reading the alarms' states periodically; AWS documents no interval, and users
// report it near a minute. It is a term of every detection time this package computes.
const AlarmCheckDelay = time.Minute

// DetectionTime is the worst-case time from green failing every request to CodeDeploy stopping the deployment:
// datapoints full periods that must breach, plus MetricLag for the data to reach the alarm, plus AlarmCheckDelay
// for CodeDeploy to see the alarm.
func DetectionTime(period time.Duration, datapoints int) time.Duration {
	return time.Duration(datapoints)*period + MetricLag + AlarmCheckDelay
}

// defaults are an alarm's default M of N. filled marks an alarm on metric math with FILL, whose window must
// cover LatePeriods.
type defaults struct {
	evaluate, datapoints int
	filled               bool
}

// resolve applies the alarm's defaults d to e and returns the period, EvaluationPeriods and DatapointsToAlarm
// CloudWatch gets.
func (e Evaluation) resolve(d defaults) (time.Duration, int, int) {
	period := e.Period
	if period == 0 {
		period = DefaultPeriod
	}
	evaluate, datapoints := d.evaluate, d.datapoints
	if e.DatapointsToAlarm != nil {
		datapoints = int(*e.DatapointsToAlarm)
	}
	switch {
	case e.EvaluationPeriods != nil:
		evaluate = int(*e.EvaluationPeriods)
		if e.DatapointsToAlarm == nil && !d.filled {
			datapoints = evaluate
		}
	case d.filled:
		evaluate = datapoints + LatePeriods(period)
	}
	return period, evaluate, datapoints
}

func orDefault(p *float64, def float64) float64 {
	if p == nil {
		return def
	}
	return *p
}

// Validate reports every value of o that CloudWatch would refuse or that cannot work, joined, or nil. Errors
// name the field, the value and what is allowed.
func (o Options) Validate() error {
	var errs []error
	check := func(field string, p *float64, ok func(float64) bool, allowed string) {
		if p != nil && (math.IsNaN(*p) || !ok(*p)) {
			errs = append(errs, fmt.Errorf("%s must be %s, got %v", field, allowed, *p))
		}
	}
	nonNegative := func(v float64) bool { return v >= 0 }
	atLeastOne := func(v float64) bool { return v >= 1 }
	// Both error rates are percentages of at most 100 and the alarms fire above the threshold, so a threshold of
	// 100 or more can never be crossed: green's rate is errors ÷ max(invocations, MinInvocations), and errors
	// never outnumber invocations (Errors counts invocations that end in a function error). The difference of
	// the relative alarm is below 100 too: green at 100 % means errors through the alias, so the alias's own rate
	// is above 0. 0 is a real threshold: any error fires the alarm.
	percent := func(v float64) bool { return v >= 0 && v < 100 }
	check("ErrorRate.ThresholdPercent", o.ErrorRate.ThresholdPercent, percent,
		"at least 0 and below 100 (an error rate never exceeds 100 %, so the alarm could never fire)")
	check("ErrorRate.MinInvocations", o.ErrorRate.MinInvocations, atLeastOne, "at least 1")
	check("RelativeErrorRate.MarginPercent", o.RelativeErrorRate.MarginPercent, percent,
		"at least 0 and below 100 (percentage points: green's error rate can never exceed the alias's by 100, "+
			"so the alarm could never fire)")
	check("RelativeErrorRate.MinInvocations", o.RelativeErrorRate.MinInvocations, atLeastOne, "at least 1")
	check("Throttles.Threshold", o.Throttles.Threshold, nonNegative, "at least 0")
	check("Latency.Percentile", o.Latency.Percentile, func(v float64) bool { return v > 0 && v <= 100 },
		"greater than 0 and at most 100")
	if o.Latency.Budget < 0 {
		errs = append(errs, fmt.Errorf("Latency.Budget must be positive (or zero for the default), got %v", o.Latency.Budget))
	}
	for _, e := range []struct {
		name string
		ev   Evaluation
		d    defaults
	}{
		{"ErrorRate", o.ErrorRate.Evaluation, errorRateDefaults},
		{"RelativeErrorRate", o.RelativeErrorRate.Evaluation, relativeDefaults},
		{"Throttles", o.Throttles.Evaluation, throttlesDefaults},
		{"Latency", o.Latency.Evaluation, latencyDefaults},
	} {
		errs = append(errs, e.ev.validate(e.name+".", e.d))
	}
	return errors.Join(errs...)
}

// FunctionTimeout returns the timeout of a function whose Timeout prop (awslambda.FunctionProps.Timeout, or
// awslambda.Function.Timeout()) is timeout: Lambda's default of 3 seconds when it is nil. ok is false when the
// timeout is an unresolved token, known only at deploy time.
func FunctionTimeout(timeout awscdk.Duration) (d time.Duration, ok bool) {
	if timeout == nil {
		return lambdaDefaultTimeout, true
	}
	if timeout.IsUnresolved() != nil && *timeout.IsUnresolved() {
		return 0, false
	}
	ms := timeout.ToMilliseconds(nil)
	if ms == nil || *ms < 0 {
		return 0, false
	}
	return time.Duration(*ms) * time.Millisecond, true
}

// ValidateTimeout reports a latency budget the latency alarm could never breach on a function whose timeout is
// timeout (see FunctionTimeout), or nil. Lambda stops an invocation at the function's timeout, so its Duration
// never exceeds it (the AWS/Lambda metrics table of the CloudWatch documentation said of Duration: "The maximum
// data point value possible is the function timeout configuration"): a Latency.Budget at or above the timeout leaves an alarm that never fires, however slow
// green gets. A disabled latency alarm and the default budget (a share of the timeout) are always accepted.
func (o Options) ValidateTimeout(timeout time.Duration) error {
	b := o.Latency.Budget
	if o.Disabled || o.Latency.Disabled || b <= 0 || b < timeout {
		return nil
	}
	return fmt.Errorf("Latency.Budget must be below the function's timeout (%v): Lambda stops an invocation at its "+
		"timeout, so green's latency never exceeds it and the alarm could never fire, got %v", timeout, b)
}

// Default M-of-N of each alarm. The two error-rate alarms read metric math with FILL: their window is
// DatapointsToAlarm + LatePeriods(Period) (see LatePeriods).
var (
	errorRateDefaults = defaults{datapoints: 1, filled: true}
	relativeDefaults  = defaults{datapoints: 2, filled: true}
	throttlesDefaults = defaults{evaluate: 1, datapoints: 1}
	latencyDefaults   = defaults{evaluate: 3, datapoints: 2}
)

// validate checks e, and e with the alarm's defaults d applied; prefix ("ErrorRate.") starts each field name in
// the errors.
func (e Evaluation) validate(prefix string, d defaults) error {
	var errs []error
	if e.Period < 0 || e.Period%time.Minute != 0 {
		errs = append(errs, fmt.Errorf("%sPeriod must be a whole multiple of 60s (AWS/Lambda publishes once a minute), got %v",
			prefix, e.Period))
	}
	whole := func(v float64) bool { return v >= 1 && v == math.Trunc(v) }
	if e.EvaluationPeriods != nil && !whole(*e.EvaluationPeriods) {
		errs = append(errs, fmt.Errorf("%sEvaluationPeriods must be a whole number of at least 1, got %v",
			prefix, *e.EvaluationPeriods))
	}
	if e.DatapointsToAlarm != nil && !whole(*e.DatapointsToAlarm) {
		errs = append(errs, fmt.Errorf("%sDatapointsToAlarm must be a whole number of at least 1, got %v",
			prefix, *e.DatapointsToAlarm))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	// Check what CloudWatch will get, defaults applied.
	period, evaluate, datapoints := e.resolve(d)
	switch late := LatePeriods(period); {
	case d.filled && evaluate < datapoints+late:
		errs = append(errs, fmt.Errorf("%sEvaluationPeriods must be at least DatapointsToAlarm + %d = %d with %v "+
			"periods, got %d: the alarm's metric math fills the newest %d periods with 0 until AWS/Lambda's data "+
			"arrives (the period in progress and %v of metric lag), so a shorter window may never see a real datapoint",
			prefix, late, datapoints+late, period, evaluate, late, MetricLag))
	case datapoints > evaluate:
		errs = append(errs, fmt.Errorf("%sDatapointsToAlarm must be at most EvaluationPeriods (%d), got %d",
			prefix, evaluate, datapoints))
	}
	if total := time.Duration(evaluate) * period; total > 24*time.Hour {
		errs = append(errs, fmt.Errorf("%sPeriod × EvaluationPeriods must be at most 24h (CloudWatch's limit), got %v",
			prefix, total))
	}
	return errors.Join(errs...)
}
