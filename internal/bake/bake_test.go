package bake

import (
	"testing"
	"time"

	"github.com/safeship/lambda-bluegreen/constructs/alarms"
	"github.com/safeship/lambda-bluegreen/constructs/strategy"
)

func TestSlowerThanBake(t *testing.T) {
	oneMinute := alarms.Timing{Period: time.Minute, EvaluationPeriods: 3, DatapointsToAlarm: 2} // 2m + 2m lag + 1m check
	for _, c := range []struct {
		s    strategy.Strategy
		t    alarms.Timing
		want bool
	}{
		{strategy.Canary(10, 5*time.Minute), oneMinute, false}, // 5m0s is not longer than 5m0s
		{strategy.Canary(10, 4*time.Minute), oneMinute, true},  // 5m0s > 4m0s
		{strategy.Linear(10, time.Minute), oneMinute, false},   // the whole 9-minute schedule counts
		{strategy.AllAtOnce, oneMinute, false},                 // no bake
		{strategy.Canary(10, 30*time.Minute), alarms.Timing{Period: 5 * time.Minute, DatapointsToAlarm: 6}, true},
	} {
		if got := SlowerThanBake(c.s, c.t); got != c.want {
			t.Errorf("SlowerThanBake(%v, %+v) = %v, want %v", c.s, c.t, got, c.want)
		}
	}
}
