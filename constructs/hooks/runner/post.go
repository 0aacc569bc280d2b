package runner

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

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

// servedTraffic sums the invocations green served through the alias since the deployment started.
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

// alarmsQuiet fails when any alarm of the deployment group is in ALARM.
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
	var firing []string
	for i := 0; i < len(names); i += 100 { // DescribeAlarms takes at most 100 names
		batch := names[i:min(i+100, len(names))]
		out, err := h.CloudWatch.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: batch})
		if err != nil {
			return "", fmt.Errorf("DescribeAlarms: %w", err)
		}
		for _, a := range out.MetricAlarms {
			if a.StateValue == cwtypes.StateValueAlarm {
				firing = append(firing, deref(a.AlarmName))
			}
		}
		for _, a := range out.CompositeAlarms {
			if a.StateValue == cwtypes.StateValueAlarm {
				firing = append(firing, deref(a.AlarmName))
			}
		}
	}
	if len(firing) > 0 {
		return "", fmt.Errorf("in ALARM: %s", strings.Join(firing, ", "))
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
