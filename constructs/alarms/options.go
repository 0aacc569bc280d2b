package alarms

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// MetricLag is how long AWS/Lambda metrics take, at worst, to reach CloudWatch alarms after the minute they
// describe. It is part of every detection time this package computes.
const MetricLag = 2 * time.Minute

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

	// EvaluationPeriods is how many recent datapoints the alarm looks at.
	//
	// Default: set per alarm (1 for the error rate and throttles, 2 for the relative error rate, 3 for latency).
	EvaluationPeriods *float64

	// DatapointsToAlarm is how many of those must breach for the alarm to fire (M of N).
	//
	// Default: set per alarm (all of EvaluationPeriods, except latency: 2 of 3).
	DatapointsToAlarm *float64
}

// ErrorRateOptions tune the alarm on green's error rate: 100 × errors ÷ max(invocations, MinInvocations) for the
// requests green served through the alias (dimension ExecutedVersion), per period.
type ErrorRateOptions struct {
	// Disabled turns this alarm off.
	//
	// Default: false.
	Disabled bool

	// ThresholdPercent is the error rate (percent of green's invocations) above which the alarm fires.
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
	// fires.
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

	// Budget is the latency the percentile must stay under. Zero is never a useful budget, so zero means
	// "default". Set it to your service's objective: the default only catches a green that is about to time out.
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

// DetectionTime is the worst-case time for an alarm to fire after green starts failing every request: datapoints
// full periods that must breach, plus MetricLag.
func DetectionTime(period time.Duration, datapoints int) time.Duration {
	return time.Duration(datapoints)*period + MetricLag
}

func (e Evaluation) resolve(evaluate, datapoints int) (time.Duration, int, int) {
	period := e.Period
	if period == 0 {
		period = DefaultPeriod
	}
	if e.EvaluationPeriods != nil {
		evaluate = int(*e.EvaluationPeriods)
		if e.DatapointsToAlarm == nil {
			datapoints = evaluate
		}
	}
	if e.DatapointsToAlarm != nil {
		datapoints = int(*e.DatapointsToAlarm)
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
	check("ErrorRate.ThresholdPercent", o.ErrorRate.ThresholdPercent, nonNegative, "at least 0")
	check("ErrorRate.MinInvocations", o.ErrorRate.MinInvocations, atLeastOne, "at least 1")
	check("RelativeErrorRate.MarginPercent", o.RelativeErrorRate.MarginPercent, nonNegative, "at least 0")
	check("RelativeErrorRate.MinInvocations", o.RelativeErrorRate.MinInvocations, atLeastOne, "at least 1")
	check("Throttles.Threshold", o.Throttles.Threshold, nonNegative, "at least 0")
	check("Latency.Percentile", o.Latency.Percentile, func(v float64) bool { return v > 0 && v <= 100 },
		"greater than 0 and at most 100")
	if o.Latency.Budget < 0 {
		errs = append(errs, fmt.Errorf("Latency.Budget must be positive (or zero for the default), got %v", o.Latency.Budget))
	}
	for _, e := range []struct {
		name                 string
		ev                   Evaluation
		evaluate, datapoints int
	}{
		{"ErrorRate", o.ErrorRate.Evaluation, errorRateEvaluate, errorRateDatapoints},
		{"RelativeErrorRate", o.RelativeErrorRate.Evaluation, relativeEvaluate, relativeDatapoints},
		{"Throttles", o.Throttles.Evaluation, throttlesEvaluate, throttlesDatapoints},
		{"Latency", o.Latency.Evaluation, latencyEvaluate, latencyDatapoints},
	} {
		errs = append(errs, e.ev.validate(e.name+".", e.evaluate, e.datapoints))
	}
	return errors.Join(errs...)
}

// Default M-of-N of each alarm.
const (
	errorRateEvaluate, errorRateDatapoints = 1, 1
	relativeEvaluate, relativeDatapoints   = 2, 2
	throttlesEvaluate, throttlesDatapoints = 1, 1
	latencyEvaluate, latencyDatapoints     = 3, 2
)

// validate checks e, and e with the alarm's default M of N (evaluate, datapoints) applied; prefix ("ErrorRate.")
// starts each field name in the errors.
func (e Evaluation) validate(prefix string, evaluate, datapoints int) error {
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
	period, evaluate, datapoints := e.resolve(evaluate, datapoints)
	if datapoints > evaluate {
		errs = append(errs, fmt.Errorf("%sDatapointsToAlarm must be at most EvaluationPeriods (%d), got %d",
			prefix, evaluate, datapoints))
	}
	if total := time.Duration(evaluate) * period; total > 24*time.Hour {
		errs = append(errs, fmt.Errorf("%sPeriod × EvaluationPeriods must be at most 24h (CloudWatch's limit), got %v",
			prefix, total))
	}
	return errors.Join(errs...)
}
