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
		r.Checks = append(r.Checks, h.pruneAfterChecks(ctx, t, keep, r.Checks))
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

// pruneAfterChecks prunes old versions only when every counted check before it passed: after a failed check
// CodeDeploy rolls the deployment back, and a version that looks old to this deployment may be the one the alias
// returns to. Pruning is a warning, never a failure: its check is marked Warning.
func (h *Hook) pruneAfterChecks(ctx context.Context, t Target, keep int, before []Check) Check {
	c := Check{Name: "prune old versions", Warning: true}
	var failed []string
	for _, b := range before {
		if !b.Passed && !b.Warning {
			failed = append(failed, b.Name)
		}
	}
	if len(failed) > 0 {
		c.Detail = fmt.Sprintf("skipped: %s failed, so CodeDeploy rolls this deployment back to blue; no version is "+
			"deleted after a failed check", strings.Join(failed, ", "))
		return c
	}
	detail, notes, err := h.prune(ctx, t, keep)
	c.Passed, c.Detail, c.Notes = err == nil, detail, notes
	if err != nil {
		c.Detail = err.Error()
	}
	return c
}

// prune deletes the function's numbered versions beyond the newest keep, except every version still in use.
// It decides with the Lambda APIs, and returns one note per version beyond the newest keep that it kept, with
// the reason. A version is kept when it is:
//   - blue, the AppSpec's CurrentVersion, which is also the version a rollback returns the alias to: CodeDeploy
//     points the alias back at it, and CloudFormation starts its deployments with "CurrentVersion" the version of
//     the template (DESIGN.md), which after a stack rollback is blue again;
//   - green, the AppSpec's TargetVersion;
//   - a version an alias points at or routes a weight to (ListAliases: FunctionVersion and
//     RoutingConfig.AdditionalVersionWeights). Lambda refuses these itself (API Reference, DeleteFunction,
//     Qualifier: "Specify a version to delete. You can't delete a version that an alias references."), but the hook
//     does not rely on the refusal;
//   - a version with a provisioned concurrency configuration (ListProvisionedConcurrencyConfigs: FunctionArn is
//     "The Amazon Resource Name (ARN) of the alias or version");
//   - a version an event source mapping invokes (ListEventSourceMappings with FunctionName the version's ARN: the
//     API Reference lists "Version or Alias ARN – arn:aws:lambda:us-west-2:123456789012:function:MyFunction:PROD"
//     among its name formats; the ARN is the FunctionArn ListVersionsByFunction returns for the version). Lambda
//     does not refuse to delete such a version: DeleteFunction documents only the alias refusal and says "To delete
//     Lambda event source mappings that invoke a function, use DeleteEventSourceMapping" (older text: "You will
//     need to delete the event source mappings explicitly"); AWS does not document what the mapping does after its
//     version is deleted, and users report it stays and fails ("PROBLEM: Function not found",
//     hashicorp/terraform#4089);
//   - a version whose mappings could not be listed (an API error, or no ARN in Lambda's answer): kept, and the
//     prune check warns.
//
// An error listing aliases, versions or provisioned concurrency deletes nothing.
func (h *Hook) prune(ctx context.Context, t Target, keep int) (detail string, notes []string, err error) {
	inUse := map[string][]string{} // version → why it is in use
	use := func(v, why string) { inUse[v] = append(inUse[v], why) }
	use(t.CurrentVersion, "blue (the AppSpec's CurrentVersion), also the version a rollback returns the alias to")
	use(t.TargetVersion, "green (the AppSpec's TargetVersion)")
	var marker *string
	for {
		out, err := h.Lambda.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: &t.FunctionName, Marker: marker})
		if err != nil {
			return "", nil, fmt.Errorf("ListAliases: %w (no version deleted)", err)
		}
		for _, a := range out.Aliases {
			use(deref(a.FunctionVersion), fmt.Sprintf("alias %s points at it", deref(a.Name)))
			if a.RoutingConfig != nil {
				for v, w := range a.RoutingConfig.AdditionalVersionWeights {
					use(v, fmt.Sprintf("alias %s routes %g%% of its traffic to it", deref(a.Name), w*100))
				}
			}
		}
		if marker = out.NextMarker; marker == nil {
			break
		}
	}
	marker = nil
	for {
		out, err := h.Lambda.ListProvisionedConcurrencyConfigs(ctx, &lambda.ListProvisionedConcurrencyConfigsInput{
			FunctionName: &t.FunctionName, Marker: marker,
		})
		if err != nil {
			return "", nil, fmt.Errorf("ListProvisionedConcurrencyConfigs: %w (no version deleted)", err)
		}
		for _, pc := range out.ProvisionedConcurrencyConfigs {
			// On an alias, the alias's own version is already kept above.
			if q := qualifier(deref(pc.FunctionArn)); isVersion(q) {
				use(q, "it has a provisioned concurrency configuration")
			}
		}
		if marker = out.NextMarker; marker == nil {
			break
		}
	}
	type version struct {
		n   int
		arn string
	}
	var versions []version
	marker = nil
	for {
		out, err := h.Lambda.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: &t.FunctionName, Marker: marker})
		if err != nil {
			return "", nil, fmt.Errorf("ListVersionsByFunction: %w (no version deleted)", err)
		}
		for _, v := range out.Versions {
			if n, err := strconv.Atoi(deref(v.Version)); err == nil { // skips $LATEST
				versions = append(versions, version{n, deref(v.FunctionArn)})
			}
		}
		if marker = out.NextMarker; marker == nil {
			break
		}
	}
	sort.Slice(versions, func(i, j int) bool { return versions[i].n > versions[j].n })
	var deleted, failed, unsure []string
	for i, v := range versions {
		if i < keep {
			continue
		}
		name := strconv.Itoa(v.n)
		why := inUse[name]
		if len(why) == 0 {
			mappings, err := h.eventSourceMappings(ctx, v.arn)
			switch {
			case err != nil:
				why = []string{fmt.Sprintf("its event source mappings could not be listed (%v)", err)}
				unsure = append(unsure, name)
			case len(mappings) > 0:
				why = []string{"event source mapping " + strings.Join(mappings, ", ") + " invokes it"}
			}
		}
		if len(why) > 0 {
			notes = append(notes, fmt.Sprintf("kept %s: %s", name, strings.Join(why, "; ")))
			continue
		}
		if _, err := h.Lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: &t.FunctionName, Qualifier: &name}); err != nil {
			failed = append(failed, name+" ("+err.Error()+")")
			continue
		}
		deleted = append(deleted, name)
	}
	detail = fmt.Sprintf("kept the newest %d and %d in use beyond them; deleted %d", keep, len(notes), len(deleted))
	if len(deleted) > 0 {
		detail += ": " + strings.Join(deleted, ", ")
	}
	var problems []string
	if len(unsure) > 0 {
		problems = append(problems, "could not tell whether "+strings.Join(unsure, ", ")+" is in use")
	}
	if len(failed) > 0 {
		problems = append(problems, "could not delete "+strings.Join(failed, ", "))
	}
	if len(problems) > 0 {
		return "", notes, fmt.Errorf("%s; %s", detail, strings.Join(problems, "; "))
	}
	return detail, notes, nil
}

// eventSourceMappings lists the mappings that invoke the version with this ARN, as "UUID (source ARN)". A version
// without an ARN cannot be asked about and is reported as an error, so that it is kept.
func (h *Hook) eventSourceMappings(ctx context.Context, versionARN string) ([]string, error) {
	if versionARN == "" {
		return nil, errors.New("ListVersionsByFunction gave no ARN for it")
	}
	var found []string
	var marker *string
	for {
		out, err := h.Lambda.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{
			FunctionName: &versionARN, Marker: marker,
		})
		if err != nil {
			return nil, fmt.Errorf("ListEventSourceMappings: %w", err)
		}
		for _, m := range out.EventSourceMappings {
			found = append(found, fmt.Sprintf("%s (%s)", deref(m.UUID), deref(m.EventSourceArn)))
		}
		if marker = out.NextMarker; marker == nil {
			break
		}
	}
	return found, nil
}

// qualifier returns what follows the function name in a qualified function ARN
// (arn:<partition>:lambda:<region>:<account>:function:<name>:<qualifier>), or "" for an unqualified one.
func qualifier(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) == 8 {
		return parts[7]
	}
	return ""
}

func isVersion(q string) bool {
	_, err := strconv.Atoi(q)
	return err == nil
}

func str(s string) *string { return &s }
