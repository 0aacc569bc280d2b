package alarms

import (
	"fmt"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
)

// Target names the traffic the metrics of this package measure: the requests a function serves through one
// alias, and among them those served by one version (green).
type Target struct {
	function     awslambda.IFunction
	functionName *string
	resource     *string
	version      *string
	cache        *metricCache
}

// metricCache keeps the metrics and durations a Target has built, so that alarms and dashboard widgets that read
// the same metric share one object instead of one more call into the CDK each.
type metricCache struct {
	metrics   map[string]awscloudwatch.Metric
	durations map[time.Duration]awscdk.Duration
}

// NewTarget returns the target of alias, with green the given version (usually the alias's current version: the
// one a deployment moves to).
func NewTarget(alias awslambda.Alias, green awslambda.IVersion) Target {
	// Each read below is a call into the CDK (Node.js): read each value once and keep it.
	fn := alias.Lambda()
	name := fn.FunctionName()
	return Target{
		function:     fn,
		functionName: name,
		resource:     jsii.String(*name + ":" + *alias.AliasName()),
		version:      green.Version(),
		cache: &metricCache{
			metrics:   map[string]awscloudwatch.Metric{},
			durations: map[time.Duration]awscdk.Duration{},
		},
	}
}

// GreenMetric returns the AWS/Lambda metric metricName of the requests green served through the alias
// (dimensions FunctionName, Resource and ExecutedVersion), aggregated with statistic over period.
func (t Target) GreenMetric(metricName, statistic string, period time.Duration) awscloudwatch.Metric {
	return t.metric(metricName, statistic, period, true, "green "+metricName)
}

// AliasMetric returns the AWS/Lambda metric metricName of every request served through the alias, blue's and
// green's (dimensions FunctionName and Resource), aggregated with statistic over period.
func (t Target) AliasMetric(metricName, statistic string, period time.Duration) awscloudwatch.Metric {
	return t.metric(metricName, statistic, period, false, "alias "+metricName)
}

func (t Target) metric(metricName, statistic string, period time.Duration, green bool, label string) awscloudwatch.Metric {
	key := fmt.Sprint(metricName, "/", statistic, "/", period, "/", green)
	if m, ok := t.cache.metrics[key]; ok {
		return m
	}
	dims := map[string]*string{"FunctionName": t.functionName, "Resource": t.resource}
	if green {
		dims["ExecutedVersion"] = t.version
	}
	m := awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String("AWS/Lambda"),
		MetricName:    jsii.String(metricName),
		DimensionsMap: &dims,
		Statistic:     jsii.String(statistic),
		Period:        t.seconds(period),
		Label:         jsii.String(label),
	})
	t.cache.metrics[key] = m
	return m
}

// GreenErrorRate returns green's error rate in percent: 100 × errors ÷ max(invocations, minInvocations) per
// period (see ErrorRateOptions.MinInvocations for what the guard does at low traffic).
func (t Target) GreenErrorRate(minInvocations float64, period time.Duration) awscloudwatch.MathExpression {
	return t.errorRate(true, minInvocations, period)
}

// AliasErrorRate returns the alias's error rate in percent, blue and green together, guarded like GreenErrorRate.
func (t Target) AliasErrorRate(minInvocations float64, period time.Duration) awscloudwatch.MathExpression {
	return t.errorRate(false, minInvocations, period)
}

func (t Target) errorRate(green bool, minInvocations float64, period time.Duration) awscloudwatch.MathExpression {
	errorsID, invocationsID, label := "ae", "ai", "alias error rate (%)"
	metric := t.AliasMetric
	if green {
		errorsID, invocationsID, label, metric = "ge", "gi", "green error rate (%)", t.GreenMetric
	}
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String(rateExpression(errorsID, invocationsID, minInvocations)),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			errorsID:      metric("Errors", "Sum", period),
			invocationsID: metric("Invocations", "Sum", period),
		},
		Period: t.seconds(period),
		Label:  jsii.String(label),
	})
}

// ErrorRateExcess returns green's error rate minus the alias's, in percentage points, both guarded with
// minInvocations.
func (t Target) ErrorRateExcess(minInvocations float64, period time.Duration) awscloudwatch.MathExpression {
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String(rateExpression("ge", "gi", minInvocations) + " - " +
			rateExpression("ae", "ai", minInvocations)),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"ge": t.GreenMetric("Errors", "Sum", period),
			"gi": t.GreenMetric("Invocations", "Sum", period),
			"ae": t.AliasMetric("Errors", "Sum", period),
			"ai": t.AliasMetric("Invocations", "Sum", period),
		},
		Period: t.seconds(period),
		Label:  jsii.String("green minus alias error rate (points)"),
	})
}

// GreenShare returns the percentage of the alias's invocations that green served.
func (t Target) GreenShare(period time.Duration) awscloudwatch.MathExpression {
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("IF(FILL(ai, 0) > 0, 100 * FILL(gi, 0) / FILL(ai, 0), 0)"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"gi": t.GreenMetric("Invocations", "Sum", period),
			"ai": t.AliasMetric("Invocations", "Sum", period),
		},
		Period: t.seconds(period),
		Label:  jsii.String("green share of traffic (%)"),
	})
}

// rateExpression is 100 × errors ÷ max(invocations, min), with missing datapoints read as 0.
func rateExpression(errorsID, invocationsID string, min float64) string {
	inv := fmt.Sprintf("FILL(%s, 0)", invocationsID)
	return fmt.Sprintf("(100 * FILL(%s, 0) / IF(%s < %g, %g, %s))", errorsID, inv, min, min, inv)
}

func (t Target) seconds(d time.Duration) awscdk.Duration {
	if v, ok := t.cache.durations[d]; ok {
		return v
	}
	v := awscdk.Duration_Seconds(jsii.Number(d.Seconds()))
	t.cache.durations[d] = v
	return v
}
