package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// clients are the AWS APIs status and rollback use.
type clients struct {
	lambda     *lambda.Client
	codedeploy *codedeploy.Client
	cloudwatch *cloudwatch.Client
}

// connect builds the clients from the standard credential chain, with an optional profile and region.
type connector func(ctx context.Context, profile, region string) (clients, error)

func connectAWS(ctx context.Context, profile, region string) (clients, error) {
	var opts []func(*config.LoadOptions) error
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return clients{}, err
	}
	return newClients(cfg), nil
}

func newClients(cfg aws.Config) clients {
	return clients{lambda: lambda.NewFromConfig(cfg), codedeploy: codedeploy.NewFromConfig(cfg),
		cloudwatch: cloudwatch.NewFromConfig(cfg)}
}

// Status is what status reports.
type Status struct {
	Function string `json:"function"`
	Alias    string `json:"alias"`
	// Version is the version the alias points at: blue while a shift runs, with BlueWeight of the traffic;
	// Weights are the other versions it sends traffic to (green while a shift runs), by version.
	Version    string             `json:"version"`
	BlueWeight float64            `json:"blueWeight"`
	Weights    map[string]float64 `json:"greenWeights,omitempty"`
	Deployment *DeploymentStatus  `json:"deployment,omitempty"`
	// AlarmsEnabled is false when the group's alarm monitoring is off (an emergency bypass).
	AlarmsEnabled bool              `json:"alarmsEnabled"`
	Alarms        map[string]string `json:"alarms,omitempty"`
}

// DeploymentStatus is the newest CodeDeploy deployment of the group.
type DeploymentStatus struct {
	ID      string           `json:"id"`
	Status  string           `json:"status"`
	Created time.Time        `json:"created"`
	Events  []LifecycleEvent `json:"lifecycleEvents,omitempty"`
}

// LifecycleEvent is one step of a Lambda deployment, in order.
type LifecycleEvent struct {
	Name   string `json:"name"`
	Status string `json:"status"`
}

func readStatus(ctx context.Context, c clients, fn, alias, app, group string) (Status, error) {
	s := Status{Function: fn, Alias: alias}
	a, err := c.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: &fn, Name: &alias})
	if err != nil {
		return s, fmt.Errorf("GetAlias %s:%s: %w", fn, alias, err)
	}
	s.Version, s.BlueWeight = aws.ToString(a.FunctionVersion), 1
	if a.RoutingConfig != nil && len(a.RoutingConfig.AdditionalVersionWeights) > 0 {
		s.Weights = a.RoutingConfig.AdditionalVersionWeights
		for _, w := range s.Weights {
			s.BlueWeight -= w
		}
	}
	if app == "" || group == "" {
		return s, nil
	}
	d, err := newestDeployment(ctx, c, app, group, nil)
	if err != nil {
		return s, err
	}
	if d != nil {
		ds := &DeploymentStatus{ID: aws.ToString(d.DeploymentId), Status: string(d.Status)}
		if d.CreateTime != nil {
			ds.Created = *d.CreateTime
		}
		targets, err := c.codedeploy.ListDeploymentTargets(ctx, &codedeploy.ListDeploymentTargetsInput{DeploymentId: d.DeploymentId})
		if err != nil {
			return s, fmt.Errorf("ListDeploymentTargets: %w", err)
		}
		for _, id := range targets.TargetIds {
			t, err := c.codedeploy.GetDeploymentTarget(ctx, &codedeploy.GetDeploymentTargetInput{DeploymentId: d.DeploymentId, TargetId: aws.String(id)})
			if err != nil {
				return s, fmt.Errorf("GetDeploymentTarget: %w", err)
			}
			if t.DeploymentTarget != nil && t.DeploymentTarget.LambdaTarget != nil {
				for _, e := range t.DeploymentTarget.LambdaTarget.LifecycleEvents {
					ds.Events = append(ds.Events, LifecycleEvent{Name: aws.ToString(e.LifecycleEventName), Status: string(e.Status)})
				}
			}
		}
		s.Deployment = ds
	}
	g, err := c.codedeploy.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: &app, DeploymentGroupName: &group})
	if err != nil {
		return s, fmt.Errorf("GetDeploymentGroup: %w", err)
	}
	var names []string
	if info := g.DeploymentGroupInfo; info != nil && info.AlarmConfiguration != nil {
		s.AlarmsEnabled = info.AlarmConfiguration.Enabled
		for _, a := range info.AlarmConfiguration.Alarms {
			names = append(names, aws.ToString(a.Name))
		}
	}
	if len(names) > 0 {
		s.Alarms = map[string]string{}
		for _, n := range names {
			s.Alarms[n] = "MISSING" // attached to the group but not found in CloudWatch
		}
		for i := 0; i < len(names); i += 100 {
			out, err := c.cloudwatch.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{
				AlarmNames: names[i:min(i+100, len(names))],
				AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm},
			})
			if err != nil {
				return s, fmt.Errorf("DescribeAlarms: %w", err)
			}
			for _, a := range out.MetricAlarms {
				s.Alarms[aws.ToString(a.AlarmName)] = string(a.StateValue)
			}
			for _, a := range out.CompositeAlarms {
				s.Alarms[aws.ToString(a.AlarmName)] = string(a.StateValue)
			}
		}
	}
	return s, nil
}

// newestDeployment returns the group's newest deployment among those with the given statuses (all when nil).
func newestDeployment(ctx context.Context, c clients, app, group string, statuses []cdtypes.DeploymentStatus) (*cdtypes.DeploymentInfo, error) {
	var ids []string
	pages := codedeploy.NewListDeploymentsPaginator(c.codedeploy, &codedeploy.ListDeploymentsInput{
		ApplicationName: &app, DeploymentGroupName: &group, IncludeOnlyStatuses: statuses,
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("ListDeployments %s/%s: %w", app, group, err)
		}
		ids = append(ids, page.Deployments...)
	}
	var newest *cdtypes.DeploymentInfo
	for i := 0; i < len(ids); i += 25 { // BatchGetDeployments takes at most 25 ids
		out, err := c.codedeploy.BatchGetDeployments(ctx, &codedeploy.BatchGetDeploymentsInput{DeploymentIds: ids[i:min(i+25, len(ids))]})
		if err != nil {
			return nil, fmt.Errorf("BatchGetDeployments: %w", err)
		}
		for j := range out.DeploymentsInfo {
			d := &out.DeploymentsInfo[j]
			if newest == nil || (d.CreateTime != nil && newest.CreateTime != nil && d.CreateTime.After(*newest.CreateTime)) {
				newest = d
			}
		}
	}
	return newest, nil
}

func (s Status) text(w io.Writer) {
	fmt.Fprintf(w, "%s:%s\n", s.Function, s.Alias)
	if len(s.Weights) == 0 {
		fmt.Fprintf(w, "  serving    version %s (100 %%)\n", s.Version)
	} else {
		var parts []string
		for v, weight := range s.Weights {
			parts = append(parts, fmt.Sprintf("green version %s %.0f %%", v, weight*100))
		}
		sort.Strings(parts)
		fmt.Fprintf(w, "  serving    blue version %s %.0f %%, %s\n", s.Version, s.BlueWeight*100, strings.Join(parts, ", "))
	}
	if d := s.Deployment; d != nil {
		fmt.Fprintf(w, "  deployment %s %s (created %s)\n", d.ID, d.Status, d.Created.UTC().Format(time.RFC3339))
		for _, e := range d.Events {
			fmt.Fprintf(w, "             %-20s %s\n", e.Name, e.Status)
		}
	}
	if len(s.Alarms) > 0 {
		names := make([]string, 0, len(s.Alarms))
		for n := range s.Alarms {
			names = append(names, n)
		}
		sort.Strings(names)
		if s.AlarmsEnabled {
			fmt.Fprintln(w, "  alarms")
		} else {
			fmt.Fprintln(w, "  alarms     (monitoring off: an emergency bypass; CodeDeploy ignores them)")
		}
		for _, n := range names {
			fmt.Fprintf(w, "             %-9s %s\n", s.Alarms[n], n)
		}
	}
}

// errNothing means there is nothing to roll back to: exit code 3. errDeclined means the operator said no: exit
// code 4.
var (
	errNothing  = errors.New("nothing to roll back to")
	errDeclined = errors.New("declined")
)

// rollback stops an in-progress deployment with automatic rollback, or points the alias back at the previous
// version, after confirm approves the change it describes.
func rollback(ctx context.Context, c clients, fn, alias, app, group string, confirm func(string) bool, out io.Writer) error {
	active := []cdtypes.DeploymentStatus{cdtypes.DeploymentStatusCreated, cdtypes.DeploymentStatusQueued,
		cdtypes.DeploymentStatusInProgress, cdtypes.DeploymentStatusReady}
	if app != "" && group != "" {
		d, err := newestDeployment(ctx, c, app, group, active)
		if err != nil {
			return err
		}
		if d != nil {
			id := aws.ToString(d.DeploymentId)
			if !confirm(fmt.Sprintf("stop deployment %s (%s) and roll %s:%s back to blue", id, d.Status, fn, alias)) {
				return errDeclined
			}
			if _, err := c.codedeploy.StopDeployment(ctx, &codedeploy.StopDeploymentInput{DeploymentId: &id, AutoRollbackEnabled: aws.Bool(true)}); err != nil {
				return fmt.Errorf("StopDeployment %s: %w", id, err)
			}
			fmt.Fprintf(out, "stopped %s; CodeDeploy is putting %s:%s back on blue\n", id, fn, alias)
			return nil
		}
	}
	a, err := c.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: &fn, Name: &alias})
	if err != nil {
		return fmt.Errorf("GetAlias %s:%s: %w", fn, alias, err)
	}
	if a.RoutingConfig != nil && len(a.RoutingConfig.AdditionalVersionWeights) > 0 {
		// Mid-shift: FunctionVersion is blue. Put all traffic back on it, unless a deployment may be running.
		if app == "" || group == "" {
			return fmt.Errorf("%s:%s is mid-shift (it sends traffic to more than one version): give -application "+
				"and -group so that a running deployment is stopped rather than overridden", fn, alias)
		}
		blue := aws.ToString(a.FunctionVersion)
		if !confirm(fmt.Sprintf("send all traffic of %s:%s back to blue version %s (no deployment is in progress)", fn, alias, blue)) {
			return errDeclined
		}
		return pointAlias(ctx, c, a, fn, alias, blue, out)
	}
	current, err := strconv.Atoi(aws.ToString(a.FunctionVersion))
	if err != nil {
		return fmt.Errorf("%w: %s:%s points at %s, not a numbered version", errNothing, fn, alias, aws.ToString(a.FunctionVersion))
	}
	previous := 0
	var marker *string
	for {
		page, err := c.lambda.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: &fn, Marker: marker})
		if err != nil {
			return fmt.Errorf("ListVersionsByFunction %s: %w", fn, err)
		}
		for _, v := range page.Versions {
			if n, err := strconv.Atoi(aws.ToString(v.Version)); err == nil && n < current && n > previous {
				previous = n
			}
		}
		if marker = page.NextMarker; marker == nil {
			break
		}
	}
	if previous == 0 {
		return fmt.Errorf("%w: %s has no version older than %d to roll back to", errNothing, fn, current)
	}
	prev := strconv.Itoa(previous)
	if !confirm(fmt.Sprintf("point %s:%s from version %d back to version %s (outside CloudFormation: the next deploy "+
		"sets it again)", fn, alias, current, prev)) {
		return errDeclined
	}
	return pointAlias(ctx, c, a, fn, alias, prev, out)
}

// pointAlias points the alias at version alone, failing if the alias changed since it was read (RevisionId).
func pointAlias(ctx context.Context, c clients, a *lambda.GetAliasOutput, fn, alias, version string, out io.Writer) error {
	if _, err := c.lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: &fn, Name: &alias, FunctionVersion: &version,
		RevisionId:    a.RevisionId,
		RoutingConfig: &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{}}}); err != nil {
		return fmt.Errorf("UpdateAlias %s:%s: %w", fn, alias, err)
	}
	fmt.Fprintf(out, "%s:%s now serves version %s alone\n", fn, alias, version)
	return nil
}
