// Package bake holds the two rules that synth (bluegreen.BakeAdvice, bluegreen.DetectionAdvice) and bluegreen plan
// apply to a deployment's timing: a rollback alarm must be able to stop a deployment before the strategy gives green
// all the traffic, and the green error alarms before green gets more than the strategy's first step.
package bake

import (
	"fmt"
	"time"

	"github.com/safeship/lambda-bluegreen/constructs/alarms"
	"github.com/safeship/lambda-bluegreen/constructs/strategy"
)

// SlowerThanBake reports whether a rollback alarm with timing t needs longer to stop a deployment
// (t.DetectionTime: its datapoints to alarm × period, plus alarms.MetricLag and alarms.AlarmCheckDelay) than s gives
// green before it takes all the traffic (s.TotalDuration: a canary's bake, a linear shift's whole schedule). It is
// false under all-at-once, which has no bake: no alarm can limit its exposure.
func SlowerThanBake(s strategy.Strategy, t alarms.Timing) bool {
	return s.Kind() != strategy.KindAllAtOnce && t.DetectionTime() > s.TotalDuration()
}

// DetectionAdvice compares how fast the green error alarms can catch a green that fails every request (detection,
// see alarms.DetectionTime) with how fast s moves traffic. It returns a warning when green can reach more traffic
// than the strategy's first step before any alarm can fire, or "" when the strategy waits long enough. All-at-once is
// left to the caller: no alarm can limit its exposure.
func DetectionAdvice(s strategy.Strategy, detection time.Duration) string {
	share := s.ShareAt(detection)
	if share <= float64(s.Percent()) {
		return ""
	}
	safe := detection.Truncate(time.Minute) + time.Minute
	switch s.Kind() {
	case strategy.KindCanary:
		return fmt.Sprintf("%v bakes the canary for %v, not longer than the worst-case detection time %v of the "+
			"rollback alarms: a broken green reaches 100 %% of traffic before any alarm can fire; use an interval of "+
			"at least %v or shorten the alarm periods", s, s.Interval(), detection, safe)
	case strategy.KindLinear:
		return fmt.Sprintf("%v lets a broken green reach %g %% of traffic before any rollback alarm can fire "+
			"(worst-case detection %v, a shift every %v); use an interval of at least %v or shorten the alarm periods",
			s, share, detection, s.Interval(), safe)
	}
	return ""
}
