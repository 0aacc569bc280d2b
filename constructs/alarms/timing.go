package alarms

import (
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
)

// Timing is how a CloudWatch metric alarm reads its metric: the length of a datapoint and its M of N.
type Timing struct {
	// Period is the length of one datapoint.
	Period time.Duration
	// EvaluationPeriods is how many of the newest datapoints the alarm looks at (N).
	EvaluationPeriods int
	// DatapointsToAlarm is how many of those must breach for the alarm to fire (M).
	DatapointsToAlarm int
}

// DetectionTime is the worst-case time from the alarm's metric turning bad to the alarm in ALARM:
// DatapointsToAlarm full periods plus MetricLag plus AlarmCheckDelay (see DetectionTime).
func (t Timing) DetectionTime() time.Duration {
	return DetectionTime(t.Period, t.DatapointsToAlarm)
}

// ReadTiming reads the Timing of a metric alarm defined in this app (awscloudwatch.Alarm, AnomalyDetectionAlarm,
// or any construct whose default child is an AWS::CloudWatch::Alarm) from its CloudFormation definition, also
// when the alarm reads metric math (the longest period of its metrics). ok is false for an imported alarm, a
// composite alarm, or a period that is not known at synth.
func ReadTiming(alarm awscloudwatch.IAlarm) (t Timing, ok bool) {
	cfn, isAlarm := alarm.Node().DefaultChild().(awscloudwatch.CfnAlarm)
	if !isAlarm {
		return Timing{}, false
	}
	seconds := count(cfn.Period())
	if metrics := cfn.Metrics(); metrics != nil {
		metrics, _ := awscdk.Stack_Of(alarm).Resolve(metrics).([]interface{})
		for _, m := range metrics {
			query, _ := m.(map[string]interface{})
			stat, _ := query["metricStat"].(map[string]interface{})
			seconds = max(seconds, number(query["period"]), number(stat["period"]))
		}
	}
	t = Timing{Period: time.Duration(seconds) * time.Second, EvaluationPeriods: int(count(cfn.EvaluationPeriods()))}
	t.DatapointsToAlarm = t.EvaluationPeriods
	if dp := count(cfn.DatapointsToAlarm()); dp > 0 {
		t.DatapointsToAlarm = int(dp)
	}
	return t, t.Period > 0 && t.DatapointsToAlarm > 0
}

// number returns v as a number of the template, or 0 when it is not one (nil, or an unresolved token).
func number(v interface{}) float64 {
	f, _ := v.(float64)
	return max(f, 0)
}

// count returns *p, or 0 when p is nil or an unresolved token (CDK encodes a number token as a huge negative
// number).
func count(p *float64) float64 {
	if p == nil {
		return 0
	}
	return max(*p, 0)
}
