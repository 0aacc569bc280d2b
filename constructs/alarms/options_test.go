package alarms

import (
	"strings"
	"testing"
	"time"
)

func f(v float64) *float64 { return &v }

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		o    Options
		want string // "" for valid
	}{
		{"zero value", Options{}, ""},
		{"tuned", Options{ErrorRate: ErrorRateOptions{ThresholdPercent: f(0), MinInvocations: f(1),
			Evaluation: Evaluation{Period: 5 * time.Minute, EvaluationPeriods: f(4), DatapointsToAlarm: f(2)}}}, ""},
		{"error-rate window without room for late data", Options{ErrorRate: ErrorRateOptions{
			Evaluation: Evaluation{Period: 5 * time.Minute, EvaluationPeriods: f(3), DatapointsToAlarm: f(2)}}},
			"ErrorRate.EvaluationPeriods must be at least DatapointsToAlarm + 2 = 4 with 5m0s periods, got 3: the " +
				"alarm's metric math fills the newest 2 periods with 0 until AWS/Lambda's data arrives"},
		{"relative window of the old default", Options{RelativeErrorRate: RelativeErrorRateOptions{
			Evaluation: Evaluation{EvaluationPeriods: f(2)}}},
			"RelativeErrorRate.EvaluationPeriods must be at least DatapointsToAlarm + 3 = 5 with 1m0s periods, got 2"},
		{"error-rate datapoints widen the default window", Options{ErrorRate: ErrorRateOptions{
			Evaluation: Evaluation{DatapointsToAlarm: f(3)}}}, ""},
		{"whole day", Options{Latency: LatencyOptions{Evaluation: Evaluation{Period: time.Hour, EvaluationPeriods: f(24)}}}, ""},
		{"longer than a day", Options{Latency: LatencyOptions{Evaluation: Evaluation{Period: time.Hour, EvaluationPeriods: f(25)}}},
			"Latency.Period × EvaluationPeriods must be at most 24h (CloudWatch's limit), got 25h0m0s"},
		{"fractional periods", Options{Throttles: ThrottleOptions{Evaluation: Evaluation{EvaluationPeriods: f(1.5)}}},
			"Throttles.EvaluationPeriods must be a whole number of at least 1, got 1.5"},
		{"zero datapoints", Options{Throttles: ThrottleOptions{Evaluation: Evaluation{DatapointsToAlarm: f(0)}}},
			"Throttles.DatapointsToAlarm must be a whole number of at least 1, got 0"},
		{"negative period", Options{ErrorRate: ErrorRateOptions{Evaluation: Evaluation{Period: -time.Minute}}},
			"ErrorRate.Period must be a whole multiple of 60s"},
		{"datapoints above the default periods", Options{Throttles: ThrottleOptions{Evaluation: Evaluation{DatapointsToAlarm: f(3)}}},
			"Throttles.DatapointsToAlarm must be at most EvaluationPeriods (1), got 3"},
		{"default periods make it longer than a day", Options{Latency: LatencyOptions{Evaluation: Evaluation{Period: 10 * time.Hour}}},
			"Latency.Period × EvaluationPeriods must be at most 24h (CloudWatch's limit), got 30h0m0s"},
		{"datapoints within default periods", Options{Latency: LatencyOptions{Evaluation: Evaluation{DatapointsToAlarm: f(3)}}}, ""},
		{"percentile 100.5", Options{Latency: LatencyOptions{Percentile: f(100.5)}},
			"Latency.Percentile must be greater than 0 and at most 100, got 100.5"},
		{"error-rate threshold above 100 %", Options{ErrorRate: ErrorRateOptions{ThresholdPercent: f(150)}},
			"ErrorRate.ThresholdPercent must be at least 0 and below 100 (an error rate never exceeds 100 %, so the " +
				"alarm could never fire), got 150"},
		{"error-rate threshold of 100 %", Options{ErrorRate: ErrorRateOptions{ThresholdPercent: f(100)}},
			"ErrorRate.ThresholdPercent must be at least 0 and below 100"},
		{"error-rate threshold just below 100 %", Options{ErrorRate: ErrorRateOptions{ThresholdPercent: f(99.5)}}, ""},
		{"negative error-rate threshold", Options{ErrorRate: ErrorRateOptions{ThresholdPercent: f(-1)}},
			"ErrorRate.ThresholdPercent must be at least 0 and below 100"},
		{"relative margin of 100 points", Options{RelativeErrorRate: RelativeErrorRateOptions{MarginPercent: f(100)}},
			"RelativeErrorRate.MarginPercent must be at least 0 and below 100 (percentage points: green's error rate " +
				"can never exceed the alias's by 100, so the alarm could never fire), got 100"},
		{"relative margin of 0 points", Options{RelativeErrorRate: RelativeErrorRateOptions{MarginPercent: f(0)}}, ""},
	}
	for _, tc := range cases {
		err := tc.o.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: unexpected error %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestDetectionTime(t *testing.T) {
	if got := DetectionTime(time.Minute, 1); got != 4*time.Minute {
		t.Errorf("1 × 1m + 2m lag + 1m CodeDeploy's check = %v, want 4m", got)
	}
	if got := DetectionTime(5*time.Minute, 2); got != 13*time.Minute {
		t.Errorf("2 × 5m + 2m lag + 1m CodeDeploy's check = %v, want 13m", got)
	}
	if got := resolveLatency(Options{Latency: LatencyOptions{Budget: time.Second}}, nil).datapoints; got != 2 {
		t.Errorf("latency default datapoints = %d, want 2", got)
	}
}

func TestResolveDefaults(t *testing.T) {
	r := resolveErrorRate(Options{})
	if !r.enabled || r.threshold != 5 || r.minInvoke != 100 || r.period != time.Minute || r.evaluate != 4 || r.datapoints != 1 {
		t.Errorf("error rate defaults: %+v, want 1 of 4", r)
	}
	r = resolveRelative(Options{})
	if r.evaluate != 5 || r.datapoints != 2 || r.threshold != 2 {
		t.Errorf("relative defaults: %+v, want 2 of 5", r)
	}
	r = resolveRelative(Options{RelativeErrorRate: RelativeErrorRateOptions{Evaluation: Evaluation{EvaluationPeriods: f(6)}}})
	if r.evaluate != 6 || r.datapoints != 2 {
		t.Errorf("relative with 6 periods: %+v, want 2 of 6 (the window widens, the datapoints stay)", r)
	}
	r = resolveErrorRate(Options{ErrorRate: ErrorRateOptions{Evaluation: Evaluation{Period: 5 * time.Minute}}})
	if r.evaluate != 3 || r.datapoints != 1 {
		t.Errorf("error rate at 5-minute periods: %+v, want 1 of 3", r)
	}
	r = resolveThrottles(Options{Throttles: ThrottleOptions{Evaluation: Evaluation{EvaluationPeriods: f(3)}}})
	if r.evaluate != 3 || r.datapoints != 3 {
		t.Errorf("throttles with 3 periods: %+v, want 3 of 3", r)
	}
	if resolveThrottles(Options{Disabled: true}).enabled {
		t.Errorf("Options.Disabled must turn every alarm off")
	}
}

func TestLatePeriods(t *testing.T) {
	for _, tc := range []struct {
		period time.Duration
		want   int
	}{{time.Minute, 3}, {2 * time.Minute, 2}, {90 * time.Second, 3}, {5 * time.Minute, 2}, {time.Hour, 2}} {
		if got := LatePeriods(tc.period); got != tc.want {
			t.Errorf("LatePeriods(%v) = %d, want %d", tc.period, got, tc.want)
		}
	}
}

// fillAlarmFires models how CloudWatch evaluates an M-out-of-N alarm on metric math with FILL(…, 0) ("Using metric
// math", FILL: a delayed metric's newest datapoints are the FILL value): at each evaluation, every one of the N
// newest periods has a datapoint, real if its data has arrived, 0 otherwise. Green fails every request from time 0
// on; its data for the period [k·p, (k+1)·p) arrives lag after the period ends. It returns when the alarm first
// sees datapoints breaching, evaluated once a minute, or false within the horizon.
func fillAlarmFires(period time.Duration, evaluate, datapoints int, lag, horizon time.Duration) (time.Duration, bool) {
	for now := time.Duration(0); now <= horizon; now += time.Minute {
		current := int(now / period) // the period in progress
		breaching := 0
		for k := current; k > current-evaluate && k >= 0; k-- {
			end := time.Duration(k+1) * period
			if end+lag <= now { // real data: green failed every request, so the rate breaches
				breaching++
			} // otherwise FILL supplies 0: not breaching
		}
		if breaching >= datapoints {
			return now, true
		}
	}
	return 0, false
}

func TestErrorRateWindowsFireDespiteLateData(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
		r    func(Options) resolved
	}{
		{"error rate", Options{}, resolveErrorRate},
		{"relative error rate", Options{}, resolveRelative},
		{"error rate at 5-minute periods", Options{ErrorRate: ErrorRateOptions{Evaluation: Evaluation{Period: 5 * time.Minute}}}, resolveErrorRate},
		{"relative, 3 datapoints", Options{RelativeErrorRate: RelativeErrorRateOptions{Evaluation: Evaluation{DatapointsToAlarm: f(3)}}}, resolveRelative},
	} {
		r := tc.r(tc.o)
		for lag := time.Duration(0); lag <= MetricLag; lag += 30 * time.Second {
			at, ok := fillAlarmFires(r.period, r.evaluate, r.datapoints, lag, time.Hour)
			if !ok {
				t.Errorf("%s (%d of %d × %v) never fires with data %v late", tc.name, r.datapoints, r.evaluate, r.period, lag)
				continue
			}
			if at > r.detection() {
				t.Errorf("%s fires after %v with data %v late, later than its detection time %v", tc.name, at, lag, r.detection())
			}
		}
	}
	// The settings this replaced: 1 of 1 never fires once data is late at all, which is why the window must cover it.
	if _, ok := fillAlarmFires(time.Minute, 1, 1, time.Minute, time.Hour); ok {
		t.Errorf("the model must show that a 1-of-1 FILL alarm never fires on late data")
	}
}

func TestValidateTimeout(t *testing.T) {
	budget := func(d time.Duration) Options { return Options{Latency: LatencyOptions{Budget: d}} }
	for _, tc := range []struct {
		name    string
		o       Options
		timeout time.Duration
		want    string // "" for valid
	}{
		{"default budget", Options{}, time.Second, ""},
		{"below the timeout", budget(9999 * time.Millisecond), 10 * time.Second, ""},
		{"at the timeout", budget(10 * time.Second), 10 * time.Second,
			"Latency.Budget must be below the function's timeout (10s): Lambda stops an invocation at its timeout, so " +
				"green's latency never exceeds it and the alarm could never fire, got 10s"},
		{"above Lambda's default timeout", budget(5 * time.Second), 3 * time.Second,
			"Latency.Budget must be below the function's timeout (3s)"},
		{"latency alarm off", Options{Latency: LatencyOptions{Disabled: true, Budget: time.Minute}}, time.Second, ""},
		{"every alarm off", Options{Disabled: true, Latency: LatencyOptions{Budget: time.Minute}}, time.Second, ""},
		{"negative budget, reported by Validate", budget(-time.Second), time.Second, ""},
	} {
		err := tc.o.ValidateTimeout(tc.timeout)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: unexpected error %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
}
