package bluegreen

import (
	"strings"
	"testing"
	"time"

	"github.com/safeship/lambda-bluegreen/constructs/strategy"
)

// The table docs/alarms.md documents: default alarms detect a fully broken green within the detection time.
func TestDetectionAdviceForPredefinedStrategies(t *testing.T) {
	const detection = 3 * time.Minute
	want := map[strategy.Strategy]string{
		strategy.Canary10Percent5Minutes:       "",
		strategy.Canary10Percent10Minutes:      "",
		strategy.Canary10Percent15Minutes:      "",
		strategy.Canary10Percent30Minutes:      "",
		strategy.Linear10PercentEvery1Minute:   "reach 40 % of traffic",
		strategy.Linear10PercentEvery2Minutes:  "reach 20 % of traffic",
		strategy.Linear10PercentEvery3Minutes:  "reach 20 % of traffic",
		strategy.Linear10PercentEvery10Minutes: "",
		strategy.Canary(10, 3*time.Minute):     "reaches 100 % of traffic",
		strategy.Canary(10, 4*time.Minute):     "",
	}
	for s, w := range want {
		got := DetectionAdvice(s, detection)
		if (w == "") != (got == "") || !strings.Contains(got, w) {
			t.Errorf("%v: got %q, want %q", s, got, w)
		}
	}
	if got := DetectionAdvice(strategy.Linear10PercentEvery1Minute, detection); !strings.Contains(got, "interval of at least 4m0s") {
		t.Errorf("advice must say which interval is safe: %q", got)
	}
}
