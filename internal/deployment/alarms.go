package deployment

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// GroupAlarms returns the names of the group's rollback alarms, sorted, and whether CodeDeploy watches them.
func (r Reader) GroupAlarms(ctx context.Context, app, group string) ([]string, bool, error) {
	g, err := r.CodeDeploy.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: &app, DeploymentGroupName: &group})
	if err != nil {
		return nil, false, fmt.Errorf("GetDeploymentGroup %s/%s: %w", app, group, err)
	}
	if g.DeploymentGroupInfo == nil {
		return nil, false, nil
	}
	c := g.DeploymentGroupInfo.AlarmConfiguration
	names := AlarmNames(c)
	sort.Strings(names)
	return names, c != nil && c.Enabled, nil
}

// DeploymentAlarms returns the alarms that can stop the deployment: its own alarm override
// (overrideAlarmConfiguration) when that is enabled, which wins over the group's, otherwise the group's rollback
// alarms (GetDeploymentGroup of app and group, or of the deployment's own where they are empty).
func (r Reader) DeploymentAlarms(ctx context.Context, app, group string, d *cdtypes.DeploymentInfo) ([]string, error) {
	if o := d.OverrideAlarmConfiguration; o != nil && o.Enabled {
		return AlarmNames(o), nil
	}
	if app == "" {
		app = aws.ToString(d.ApplicationName)
	}
	if group == "" {
		group = aws.ToString(d.DeploymentGroupName)
	}
	out, err := r.CodeDeploy.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: &app, DeploymentGroupName: &group})
	if err != nil {
		return nil, err
	}
	if out.DeploymentGroupInfo == nil {
		return nil, errors.New("no group returned")
	}
	return AlarmNames(out.DeploymentGroupInfo.AlarmConfiguration), nil
}

// AlarmNames returns the names of the alarms of an alarm configuration, in its order (none for nil).
func AlarmNames(c *cdtypes.AlarmConfiguration) []string {
	if c == nil {
		return nil
	}
	var out []string
	for _, a := range c.Alarms {
		if a.Name != nil {
			out = append(out, *a.Name)
		}
	}
	return out
}

// AlarmStates reads the state of each named alarm: OK, ALARM, INSUFFICIENT_DATA, or MISSING for an alarm the group
// names that CloudWatch does not have (deleted). DescribeAlarms returns metric alarms only unless AlarmTypes asks for
// composite ones too, and takes at most 100 names a call (CloudWatch API reference, DescribeAlarms).
func (r Reader) AlarmStates(ctx context.Context, names []string) (map[string]string, error) {
	states := map[string]string{}
	for _, n := range names {
		states[n] = "MISSING" // attached to the group but not found in CloudWatch
	}
	for i := 0; i < len(names); i += 100 {
		out, err := r.CloudWatch.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{
			AlarmNames: names[i:min(i+100, len(names))],
			AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm},
		})
		if err != nil {
			return nil, fmt.Errorf("DescribeAlarms: %w", err)
		}
		for _, a := range out.MetricAlarms {
			states[aws.ToString(a.AlarmName)] = string(a.StateValue)
		}
		for _, a := range out.CompositeAlarms {
			states[aws.ToString(a.AlarmName)] = string(a.StateValue)
		}
	}
	return states, nil
}

// Alarm is a rollback alarm in ALARM, with CloudWatch's reason for its state.
type Alarm struct {
	Name   string `json:"name"`
	Reason string `json:"reason,omitempty"`
}

// Firing returns the alarms of names that are in ALARM, with their state reasons, metric alarms first. CloudWatch
// API Reference, DescribeAlarms, AlarmTypes: "If you omit this parameter, only metric alarms are returned, even if
// composite alarms exist in the account", so both types are asked for.
func (r Reader) Firing(ctx context.Context, names []string) ([]Alarm, error) {
	var out []Alarm
	var token *string
	for {
		page, err := r.CloudWatch.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{
			AlarmNames: names, NextToken: token, StateValue: cwtypes.StateValueAlarm,
			AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm},
		})
		if err != nil {
			return nil, err
		}
		for _, a := range page.MetricAlarms {
			out = append(out, Alarm{aws.ToString(a.AlarmName), aws.ToString(a.StateReason)})
		}
		for _, a := range page.CompositeAlarms {
			out = append(out, Alarm{aws.ToString(a.AlarmName), aws.ToString(a.StateReason)})
		}
		if page.NextToken == nil || *page.NextToken == "" {
			return out, nil
		}
		token = page.NextToken
	}
}

// activatedAlarms matches the alarm names in CodeDeploy's ALARM_ACTIVE message. AWS documents neither the code's
// meaning nor the message; users report "One or more alarms have been activated according to the Amazon
// CloudWatch metrics you selected, and the affected deployments have been stopped. Activated alarms: <name>", with
// the deployment Stopped.
var activatedAlarms = regexp.MustCompile(`<([^<>]+)>`)

// ActivatedAlarms returns the alarm names an ALARM_ACTIVE message of errorInformation names, in its order.
func ActivatedAlarms(message string) []string {
	var names []string
	for _, m := range activatedAlarms.FindAllStringSubmatch(message[strings.Index(message, "Activated alarms")+1:], -1) {
		names = append(names, m[1])
	}
	return names
}
