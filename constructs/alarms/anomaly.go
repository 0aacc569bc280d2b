package alarms

import (
	"errors"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Direction says which side of its expected band a metric must leave for an anomaly alarm to fire.
type Direction int

const (
	// Below fires when the metric drops under its band: the usual sign of a broken release in a business metric
	// (active users, orders per minute, sign-ins).
	Below Direction = iota
	// Above fires when the metric rises over its band (queue depth, refunds).
	Above
	// Outside fires on either side.
	Outside
)

// AnomalyAlarmProps configure NewAnomalyAlarm.
type AnomalyAlarmProps struct {
	// Metric is the metric to watch, with its own period and statistic. Required.
	Metric awscloudwatch.IMetric

	// StdDevs is the width of the expected band, in standard deviations of the metric's learnt model; wider
	// bands alarm less often.
	//
	// Default: 2.
	StdDevs *float64

	// Direction says which side of the band fires the alarm.
	//
	// Default: Below.
	Direction Direction

	// EvaluationPeriods is how many recent datapoints the alarm looks at.
	//
	// Default: 3.
	EvaluationPeriods *float64

	// DatapointsToAlarm is how many of those must be outside the band for the alarm to fire.
	//
	// Default: 2.
	DatapointsToAlarm *float64

	// TreatMissingData says what a missing datapoint means. A business metric is legitimately quiet at times
	// (night, a weekend, a new service): counted as breaching, its silence would keep the alarm in ALARM and stop
	// every deployment. To catch a metric that stops arriving because the release broke it, publish zeros (so
	// that the drop is data) or set TreatMissingData_BREACHING knowing it blocks deployments while the metric is
	// quiet.
	//
	// Default: TreatMissingData_NOT_BREACHING.
	TreatMissingData awscloudwatch.TreatMissingData

	// Description is the alarm's description.
	//
	// Default: one naming the metric's direction and band.
	Description *string
}

// Default M-of-N of an anomaly alarm.
var anomalyDefaults = defaults{evaluate: 3, datapoints: 2}

// NewAnomalyAlarm defines a CloudWatch anomaly-detection alarm on a custom metric, so that a business metric can
// roll a deployment back without anyone guessing a threshold: CloudWatch learns the metric's normal band (from
// about two weeks of history; a new metric has a wide band at first) and the alarm fires when the metric leaves
// it. Add the result to a deployment with AddAlarm. The metric's period (CDK's default is 5 minutes) and
// DatapointsToAlarm set how long the alarm needs to fire (Timing.DetectionTime): a Deployment warns at synth when
// that is not shorter than its strategy's bake time. It panics, naming the construct path, on invalid props.
func NewAnomalyAlarm(scope constructs.Construct, id string, props *AnomalyAlarmProps) awscloudwatch.AnomalyDetectionAlarm {
	p := AnomalyAlarmProps{}
	if props != nil {
		p = *props
	}
	if err := p.validate(); err != nil {
		panic(fmt.Errorf("%s/%s: invalid AnomalyAlarmProps: %w", *scope.Node().Path(), id, err))
	}
	std := orDefault(p.StdDevs, 2)
	ops := map[Direction]awscloudwatch.ComparisonOperator{
		Below:   awscloudwatch.ComparisonOperator_LESS_THAN_LOWER_THRESHOLD,
		Above:   awscloudwatch.ComparisonOperator_GREATER_THAN_UPPER_THRESHOLD,
		Outside: awscloudwatch.ComparisonOperator_LESS_THAN_LOWER_OR_GREATER_THAN_UPPER_THRESHOLD,
	}
	words := map[Direction]string{Below: "below", Above: "above", Outside: "outside"}
	_, evaluate, datapoints := Evaluation{EvaluationPeriods: p.EvaluationPeriods, DatapointsToAlarm: p.DatapointsToAlarm}.
		resolve(anomalyDefaults)
	missing := p.TreatMissingData
	if missing == "" {
		// A quiet business metric is no evidence against green; CloudWatch's own default ("missing") would leave
		// the alarm without a state, and "breaching" would block every deployment while the metric is quiet.
		missing = awscloudwatch.TreatMissingData_NOT_BREACHING
	}
	description := p.Description
	if description == nil {
		description = jsii.String(fmt.Sprintf("The metric went %s its expected band (%g standard deviations): "+
			"CodeDeploy rolls back to blue.", words[p.Direction], std))
	}
	return awscloudwatch.NewAnomalyDetectionAlarm(scope, jsii.String(id), &awscloudwatch.AnomalyDetectionAlarmProps{
		Metric:             p.Metric,
		StdDevs:            jsii.Number(std),
		ComparisonOperator: ops[p.Direction],
		EvaluationPeriods:  jsii.Number(float64(evaluate)),
		DatapointsToAlarm:  jsii.Number(float64(datapoints)),
		TreatMissingData:   missing,
		AlarmDescription:   description,
	})
}

func (p AnomalyAlarmProps) validate() error {
	var errs []error
	if p.Metric == nil {
		//lint:ignore ST1005 it starts with the Go name of the field it is about (STYLE: errors name the field)
		errs = append(errs, errors.New("Metric must be set, got nil"))
	}
	if p.StdDevs != nil && !(*p.StdDevs > 0) {
		errs = append(errs, fmt.Errorf("StdDevs must be greater than 0, got %v", *p.StdDevs))
	}
	if p.Direction < Below || p.Direction > Outside {
		errs = append(errs, fmt.Errorf("Direction must be Below, Above or Outside, got %d", p.Direction))
	}
	ev := Evaluation{EvaluationPeriods: p.EvaluationPeriods, DatapointsToAlarm: p.DatapointsToAlarm}
	if err := ev.validate("", anomalyDefaults); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
