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
	// Version is the version the alias points at (blue while a shift runs); Weights are the other versions it
	// sends traffic to (green while a shift runs), by version.
	Version    string             `json:"version"`
	Weights    map[string]float64 `json:"weights,omitempty"`
	Deployment *DeploymentStatus  `json:"deployment,omitempty"`
	Alarms     map[string]string  `json:"alarms,omitempty"`
}

// DeploymentStatus is the newest CodeDeploy deployment of the group.
type DeploymentStatus struct {
	ID      string            `json:"id"`
	Status  string            `json:"status"`
	Created time.Time         `json:"created"`
	Events  map[string]string `json:"lifecycleEvents,omitempty"`
	Order   []string          `json:"-"`
}

func readStatus(ctx context.Context, c clients, fn, alias, app, group string) (Status, error) {
	s := Status{Function: fn, Alias: alias}
	a, err := c.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: &fn, Name: &alias})
	if err != nil {
		return s, fmt.Errorf("GetAlias %s:%s: %w", fn, alias, err)
	}
	s.Version = aws.ToString(a.FunctionVersion)
	if a.RoutingConfig != nil && len(a.RoutingConfig.AdditionalVersionWeights) > 0 {
		s.Weights = a.RoutingConfig.AdditionalVersionWeights
	}
	if app == "" || group == "" {
		return s, nil
	}
	d, err := newestDeployment(ctx, c, app, group, nil)
	if err != nil {
		return s, err
	}
	if d != nil {
		ds := &DeploymentStatus{ID: aws.ToString(d.DeploymentId), Status: string(d.Status), Events: map[string]string{}}
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
					name := aws.ToString(e.LifecycleEventName)
					ds.Events[name] = string(e.Status)
					ds.Order = append(ds.Order, name)
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
		for _, a := range info.AlarmConfiguration.Alarms {
			names = append(names, aws.ToString(a.Name))
		}
	}
	if len(names) > 0 {
		s.Alarms = map[string]string{}
		out, err := c.cloudwatch.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: names})
		if err != nil {
			return s, fmt.Errorf("DescribeAlarms: %w", err)
		}
		for _, a := range out.MetricAlarms {
			s.Alarms[aws.ToString(a.AlarmName)] = string(a.StateValue)
		}
	}
	return s, nil
}

// newestDeployment returns the group's newest deployment among those with the given statuses (all when nil).
func newestDeployment(ctx context.Context, c clients, app, group string, statuses []cdtypes.DeploymentStatus) (*cdtypes.DeploymentInfo, error) {
	list, err := c.codedeploy.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{
		ApplicationName: &app, DeploymentGroupName: &group, IncludeOnlyStatuses: statuses,
	})
	if err != nil {
		return nil, fmt.Errorf("ListDeployments %s/%s: %w", app, group, err)
	}
	var newest *cdtypes.DeploymentInfo
	for _, id := range list.Deployments {
		d, err := c.codedeploy.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
		if err != nil {
			return nil, fmt.Errorf("GetDeployment %s: %w", id, err)
		}
		if i := d.DeploymentInfo; i != nil && (newest == nil || (i.CreateTime != nil && newest.CreateTime != nil && i.CreateTime.After(*newest.CreateTime))) {
			newest = i
		}
	}
	return newest, nil
}

func (s Status) text(w io.Writer) {
	fmt.Fprintf(w, "%s:%s\n", s.Function, s.Alias)
	if len(s.Weights) == 0 {
		fmt.Fprintf(w, "  serving    version %s (100 %%)\n", s.Version)
	} else {
		rest := 1.0
		var parts []string
		for v, weight := range s.Weights {
			rest -= weight
			parts = append(parts, fmt.Sprintf("green version %s %.0f %%", v, weight*100))
		}
		sort.Strings(parts)
		fmt.Fprintf(w, "  serving    blue version %s %.0f %%, %s\n", s.Version, rest*100, strings.Join(parts, ", "))
	}
	if d := s.Deployment; d != nil {
		fmt.Fprintf(w, "  deployment %s %s (created %s)\n", d.ID, d.Status, d.Created.UTC().Format(time.RFC3339))
		for _, e := range d.Order {
			fmt.Fprintf(w, "             %-20s %s\n", e, d.Events[e])
		}
	}
	if len(s.Alarms) > 0 {
		names := make([]string, 0, len(s.Alarms))
		for n := range s.Alarms {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintln(w, "  alarms")
		for _, n := range names {
			fmt.Fprintf(w, "             %-9s %s\n", s.Alarms[n], n)
		}
	}
}

// errNothing means there is nothing to roll back to (or the operator declined): exit code 3.
var errNothing = errors.New("nothing to do")

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
				return fmt.Errorf("%w: declined", errNothing)
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
		return fmt.Errorf("%w: declined", errNothing)
	}
	if _, err := c.lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: &fn, Name: &alias, FunctionVersion: &prev,
		RoutingConfig: &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{}}}); err != nil {
		return fmt.Errorf("UpdateAlias %s:%s: %w", fn, alias, err)
	}
	fmt.Fprintf(out, "%s:%s now serves version %s\n", fn, alias, prev)
	return nil
}
