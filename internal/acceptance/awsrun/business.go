package awsrun

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/safeship/lambda-bluegreen/internal/acceptance"
)

// BusinessInterval is how often the business metric is published while the scenario's release has the business
// alarm or the metric is broken: twice in each of the alarm's one-minute periods. The alarm reads 1 of 1 data points
// and treats missing data as not breaching, so one minute without a broken data point puts it back to OK; the metric
// is therefore published from every wait of the backend (the traffic generator, the wait for the alarm, the wait for
// the notices), across steps, not once when the fault is set.
const BusinessInterval = 30 * time.Second

// keepBusiness publishes the business metric when it is due (BusinessInterval since the last value), while the
// scenario's release has the business alarm or the metric is broken.
func (b *Backend) keepBusiness(ctx context.Context) error {
	b.metricMu.Lock()
	defer b.metricMu.Unlock()
	if !b.release.Business && !b.broken {
		return nil
	}
	now := b.cfg.Clock.Now()
	if !b.lastMetric.IsZero() && now.Sub(b.lastMetric) < BusinessInterval {
		return nil
	}
	if err := b.putBusiness(ctx); err != nil {
		return err
	}
	b.lastMetric = now
	return nil
}

// putBusiness publishes one value of the business metric for the stack: broken or healthy.
func (b *Backend) putBusiness(ctx context.Context) error {
	v := acceptance.BusinessHealthy
	if b.broken {
		v = acceptance.BusinessBroken
	}
	_, err := b.clients.CloudWatch.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
		Namespace: aws.String(acceptance.BusinessNamespace),
		MetricData: []cwtypes.MetricDatum{{MetricName: aws.String(acceptance.BusinessMetric), Value: aws.Float64(v),
			Timestamp: aws.Time(b.cfg.Clock.Now()), Unit: cwtypes.StandardUnitCount,
			Dimensions: []cwtypes.Dimension{{Name: aws.String(acceptance.BusinessDimension), Value: aws.String(b.stack)}}}},
	})
	if err != nil {
		return fmt.Errorf("PutMetricData %s/%s: %w", acceptance.BusinessNamespace, acceptance.BusinessMetric, err)
	}
	return nil
}

// waitForAlarm sets the business metric broken or healthy, keeps publishing it, and waits, within AlarmWait, until
// the stack's business alarm (the output acceptance.OutputBusinessAlarm) is in state want as DescribeAlarms shows it
// (StateValue, one of OK, ALARM, INSUFFICIENT_DATA: CloudWatch API Reference, MetricAlarm). It returns how long
// that took.
func (b *Backend) waitForAlarm(ctx context.Context, st *cfntypes.Stack, broken bool) (time.Duration, error) {
	want := cwtypes.StateValueOk
	if broken {
		want = cwtypes.StateValueAlarm
	}
	name := output(st, acceptance.OutputBusinessAlarm)
	if name == "" {
		return 0, fmt.Errorf("stack %s has no output %s: there is no business alarm to wait for", b.stack,
			acceptance.OutputBusinessAlarm)
	}
	b.metricMu.Lock()
	b.broken, b.lastMetric = broken, time.Time{} // the new value goes out at once
	b.metricMu.Unlock()
	clock := b.cfg.Clock
	start := clock.Now()
	deadline := start.Add(b.cfg.AlarmWait)
	for {
		if err := b.keepBusiness(ctx); err != nil {
			return 0, err
		}
		out, err := b.clients.CloudWatch.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}})
		if err != nil {
			return 0, fmt.Errorf("DescribeAlarms %s: %w", name, err)
		}
		if len(out.MetricAlarms) == 0 {
			return 0, fmt.Errorf("DescribeAlarms: the business alarm %s does not exist", name)
		}
		state := out.MetricAlarms[0].StateValue
		if state == want {
			return clock.Now().Sub(start), nil
		}
		if !clock.Now().Before(deadline) {
			return 0, fmt.Errorf("the business alarm %s is still %s after %s, not %s", name, state, b.cfg.AlarmWait, want)
		}
		if err := clock.Sleep(ctx, b.cfg.PollInterval); err != nil {
			return 0, fmt.Errorf("waiting for the business alarm %s to be %s: %w", name, want, err)
		}
	}
}
