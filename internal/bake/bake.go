// Package bake holds the one rule that synth (bluegreen.BakeAdvice) and bluegreen plan apply to a rollback alarm:
// it must be able to stop a deployment before the strategy gives green all the traffic.
package bake

import (
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
