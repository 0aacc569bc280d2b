package runner

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

func (h *Hook) postTraffic(ctx context.Context, t Target, r *Result) {
	if min := h.Config.MinInvocations; min > 0 {
		detail, err := h.servedTraffic(ctx, t, min)
		r.add("green served traffic", err, detail)
	}
	if h.Config.CheckAlarms {
		detail, err := h.alarmsQuiet(ctx, t)
		r.add("rollback alarms", err, detail)
	}
	if keep := h.Config.KeepVersions; keep > 0 {
		detail, err := h.prune(ctx, t, keep)
		r.Checks = append(r.Checks, Check{Name: "prune old versions", Passed: err == nil, Detail: detail, Warning: true})
		if err != nil {
			r.Checks[len(r.Checks)-1].Detail = err.Error()
		}
	}
}

// servedTraffic sums the invocations green served through the alias since the deployment started: the
// Invocations metric with the dimensions FunctionName, Resource "<function>:<alias>" and ExecutedVersion.
//
// What the sum can and cannot see, from the AWS documentation:
//   - AWS Lambda Developer Guide, "Working with Lambda function metrics": Resource views "metrics for a version or
//     alias of a function", ExecutedVersion "metrics for a combination of alias and version". The pre-traffic
//     hook invokes green's version, not the alias, so its calls are not in this sum.
//   - Same page: "Invocations aren't recorded if the invocation request is throttled or otherwise results in an
//     invocation error", and "The timestamp on a metric reflects when the function was invoked. Depending on the
//     duration of the invocation, this can be several minutes before the metric is emitted."
//   - Amazon CloudWatch User Guide, "AWS Lambda metrics": "Note that AWS Lambda only sends these metrics to
//     CloudWatch if they have a nonzero value." A minute without a call has no datapoint at all.
//
// So a quiet function can serve nothing during the shift through no fault of green: the gate is opt-in
// (MinInvocations defaults to 0).
func (h *Hook) servedTraffic(ctx context.Context, t Target, min float64) (string, error) {
	end := h.now()
	start := t.Started
	if start.IsZero() {
		start = end.Add(-time.Hour)
	}
	start = start.Add(-time.Minute).Truncate(time.Minute)
	span := end.Sub(start)
	period := int32(span.Round(time.Minute)/time.Second) + 60
	out, err := h.CloudWatch.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{
		Namespace:  str("AWS/Lambda"),
		MetricName: str("Invocations"),
		Dimensions: []cwtypes.Dimension{
			{Name: str("FunctionName"), Value: str(t.FunctionName)},
			{Name: str("Resource"), Value: str(t.FunctionName + ":" + t.Alias)},
			{Name: str("ExecutedVersion"), Value: str(t.TargetVersion)},
		},
		StartTime:  &start,
		EndTime:    &end,
		Period:     &period,
		Statistics: []cwtypes.Statistic{cwtypes.StatisticSum},
	})
	if err != nil {
		return "", fmt.Errorf("GetMetricStatistics: %w", err)
	}
	total := 0.0
	for _, dp := range out.Datapoints {
		if dp.Sum != nil {
			total += *dp.Sum
		}
	}
	detail := fmt.Sprintf("%g invocations of version %s through %s since %s (at least %g required)", total,
		t.TargetVersion, t.Alias, start.UTC().Format(time.RFC3339), min)
	if total < min {
		return "", fmt.Errorf("%s: green did not serve the traffic it was given", detail)
	}
	return detail, nil
}

// alarmsQuiet fails when any rollback alarm of the deployment group is in ALARM, or no longer exists.
//
// It asks for both kinds of alarm: Amazon CloudWatch API Reference, DescribeAlarms, AlarmTypes: "If you omit this
// parameter, only metric alarms are returned, even if composite alarms exist in the account."
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html). AlarmNames takes
// "Maximum number of 100 items", and the operation is paginated (NextToken), so it asks 100 names at a time with
// MaxRecords 100 (its maximum) and follows NextToken. A name of the group that no page returns is an alarm that
// was deleted (or that the hook may not read): CodeDeploy cannot watch it either, so it fails the check rather
// than pass unseen.
func (h *Hook) alarmsQuiet(ctx context.Context, t Target) (string, error) {
	g, err := h.CodeDeploy.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{
		ApplicationName: &t.Application, DeploymentGroupName: &t.DeploymentGroup,
	})
	if err != nil {
		return "", fmt.Errorf("GetDeploymentGroup: %w", err)
	}
	var names []string
	if info := g.DeploymentGroupInfo; info != nil && info.AlarmConfiguration != nil {
		if !info.AlarmConfiguration.Enabled {
			return "alarm monitoring is off for this deployment group (an emergency bypass): not checked", nil
		}
		for _, a := range info.AlarmConfiguration.Alarms {
			if a.Name != nil {
				names = append(names, *a.Name)
			}
		}
	}
	if len(names) == 0 {
		return "the deployment group has no alarms", nil
	}
	found := map[string]bool{}
	var firing []string
	for i := 0; i < len(names); i += 100 {
		in := &cloudwatch.DescribeAlarmsInput{
			AlarmNames: names[i:min(i+100, len(names))],
			AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm},
			MaxRecords: aws.Int32(100),
		}
		for {
			out, err := h.CloudWatch.DescribeAlarms(ctx, in)
			if err != nil {
				return "", fmt.Errorf("DescribeAlarms: %w", err)
			}
			for _, a := range out.MetricAlarms {
				found[deref(a.AlarmName)] = true
				if a.StateValue == cwtypes.StateValueAlarm {
					firing = append(firing, deref(a.AlarmName))
				}
			}
			for _, a := range out.CompositeAlarms {
				found[deref(a.AlarmName)] = true
				if a.StateValue == cwtypes.StateValueAlarm {
					firing = append(firing, deref(a.AlarmName)+" (composite)")
				}
			}
			if out.NextToken == nil || *out.NextToken == "" {
				break
			}
			in.NextToken = out.NextToken
		}
	}
	var missing []string
	for _, n := range names {
		if !found[n] {
			missing = append(missing, n)
		}
	}
	var problems []string
	if len(firing) > 0 {
		sort.Strings(firing)
		problems = append(problems, "in ALARM: "+strings.Join(firing, ", "))
	}
	if len(missing) > 0 {
		problems = append(problems, "not found in CloudWatch (deleted, or not readable by the hook): "+
			strings.Join(missing, ", "))
	}
	if len(problems) > 0 {
		return "", errors.New(strings.Join(problems, "; "))
	}
	return fmt.Sprintf("%d alarms, none in ALARM", len(names)), nil
}

// prune deletes the function's numbered versions beyond the newest keep, never blue, green or a version an alias
// points at (with or without weight).
func (h *Hook) prune(ctx context.Context, t Target, keep int) (string, error) {
	protected := map[string]bool{t.CurrentVersion: true, t.TargetVersion: true}
	var marker *string
	for {
		out, err := h.Lambda.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: &t.FunctionName, Marker: marker})
		if err != nil {
			return "", fmt.Errorf("ListAliases: %w", err)
		}
		for _, a := range out.Aliases {
			protected[deref(a.FunctionVersion)] = true
			if a.RoutingConfig != nil {
				for v := range a.RoutingConfig.AdditionalVersionWeights {
					protected[v] = true
				}
			}
		}
		if marker = out.NextMarker; marker == nil {
			break
		}
	}
	var versions []int
	marker = nil
	for {
		out, err := h.Lambda.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: &t.FunctionName, Marker: marker})
		if err != nil {
			return "", fmt.Errorf("ListVersionsByFunction: %w", err)
		}
		for _, v := range out.Versions {
			if n, err := strconv.Atoi(deref(v.Version)); err == nil { // skips $LATEST
				versions = append(versions, n)
			}
		}
		if marker = out.NextMarker; marker == nil {
			break
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(versions)))
	var deleted, failed []string
	for i, n := range versions {
		v := strconv.Itoa(n)
		if i < keep || protected[v] {
			continue
		}
		if _, err := h.Lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: &t.FunctionName, Qualifier: &v}); err != nil {
			failed = append(failed, v+" ("+err.Error()+")")
			continue
		}
		deleted = append(deleted, v)
	}
	detail := fmt.Sprintf("kept the newest %d and blue/green/aliased versions; deleted %d: %s", keep, len(deleted),
		strings.Join(deleted, ", "))
	if len(failed) > 0 {
		return "", fmt.Errorf("%s; could not delete %s", detail, strings.Join(failed, ", "))
	}
	return detail, nil
}

func str(s string) *string { return &s }
