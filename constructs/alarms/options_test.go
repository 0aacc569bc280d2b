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
			Evaluation: Evaluation{Period: 5 * time.Minute, EvaluationPeriods: f(3), DatapointsToAlarm: f(2)}}}, ""},
		{"whole day", Options{Latency: LatencyOptions{Evaluation: Evaluation{Period: time.Hour, EvaluationPeriods: f(24)}}}, ""},
		{"longer than a day", Options{Latency: LatencyOptions{Evaluation: Evaluation{Period: time.Hour, EvaluationPeriods: f(25)}}},
			"Latency.Period × EvaluationPeriods must be at most 24h (CloudWatch's limit), got 25h0m0s"},
		{"fractional periods", Options{Throttles: ThrottleOptions{Evaluation: Evaluation{EvaluationPeriods: f(1.5)}}},
			"Throttles.EvaluationPeriods must be a whole number of at least 1, got 1.5"},
		{"zero datapoints", Options{Throttles: ThrottleOptions{Evaluation: Evaluation{DatapointsToAlarm: f(0)}}},
			"Throttles.DatapointsToAlarm must be a whole number of at least 1, got 0"},
		{"negative period", Options{ErrorRate: ErrorRateOptions{Evaluation: Evaluation{Period: -time.Minute}}},
			"ErrorRate.Period must be a whole multiple of 60s"},
		{"datapoints above the default periods", Options{ErrorRate: ErrorRateOptions{Evaluation: Evaluation{DatapointsToAlarm: f(3)}}},
			"ErrorRate.DatapointsToAlarm must be at most EvaluationPeriods (1), got 3"},
		{"default periods make it longer than a day", Options{Latency: LatencyOptions{Evaluation: Evaluation{Period: 10 * time.Hour}}},
			"Latency.Period × EvaluationPeriods must be at most 24h (CloudWatch's limit), got 30h0m0s"},
		{"datapoints within default periods", Options{Latency: LatencyOptions{Evaluation: Evaluation{DatapointsToAlarm: f(3)}}}, ""},
		{"percentile 100.5", Options{Latency: LatencyOptions{Percentile: f(100.5)}},
			"Latency.Percentile must be greater than 0 and at most 100, got 100.5"},
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
	if got := DetectionTime(time.Minute, 1); got != 3*time.Minute {
		t.Errorf("1 × 1m + lag = %v, want 3m", got)
	}
	if got := DetectionTime(5*time.Minute, 2); got != 12*time.Minute {
		t.Errorf("2 × 5m + lag = %v, want 12m", got)
	}
	if got := resolveLatency(Options{Latency: LatencyOptions{Budget: time.Second}}, nil).datapoints; got != 2 {
		t.Errorf("latency default datapoints = %d, want 2", got)
	}
}

func TestResolveDefaults(t *testing.T) {
	r := resolveErrorRate(Options{})
	if !r.enabled || r.threshold != 5 || r.minInvoke != 100 || r.period != time.Minute || r.evaluate != 1 || r.datapoints != 1 {
		t.Errorf("error rate defaults: %+v", r)
	}
	r = resolveRelative(Options{RelativeErrorRate: RelativeErrorRateOptions{Evaluation: Evaluation{EvaluationPeriods: f(4)}}})
	if r.evaluate != 4 || r.datapoints != 4 || r.threshold != 2 {
		t.Errorf("relative with 4 periods: %+v, want 4 of 4", r)
	}
	if resolveThrottles(Options{Disabled: true}).enabled {
		t.Errorf("Options.Disabled must turn every alarm off")
	}
}
