// Package guard is the logic of a stack's release guard, the one Lambda function per stack that
//   - answers the release gate of each bluegreen.Deployment (a CloudFormation custom resource the alias depends
//     on): it refuses a deploy that would send traffic to a release a person rolled back (package block), and it
//     puts the deployment group's strategy and alarm monitoring back as the template has them before any traffic
//     moves;
//   - coordinates the releases of a stack with several protected functions: when one deployment fails or is
//     stopped, it stops every other release of the stack's CodeDeploy application at once, and puts every group of
//     the application in "abort mode" (all at once, alarm monitoring off), so that the reverse deployments
//     CloudFormation starts to roll the stack back are one step and no alarm can stop them.
package guard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/safeship/lambda-bluegreen/internal/alarmcfg"
	"github.com/safeship/lambda-bluegreen/internal/appspec"
	"github.com/safeship/lambda-bluegreen/internal/block"
)

// HandlerPackage is the import path of the guard's main package.
const HandlerPackage = "github.com/safeship/lambda-bluegreen/constructs/release/handler"

// Properties of an entry of the release gate beyond block.GateFunctionName and block.GateRelease: the deployment
// group whose configuration the gate puts back as the template has it.
const (
	GateApplication      = "ApplicationName"
	GateDeploymentGroup  = "DeploymentGroupName"
	GateDeploymentConfig = "DeploymentConfigName"
	// GateAlarmsEnabled is "true" or "false" (CloudFormation passes every property to a custom resource as a
	// string).
	GateAlarmsEnabled = "AlarmsEnabled"
	// GateRestore is "true" when the gate puts the group's configuration back (a group of an application the guard
	// serves, which it may read and update), "false" otherwise.
	GateRestore = "Restore"
)

// AllAtOnce is CodeDeploy's predefined configuration that shifts all traffic at once.
const AllAtOnce = "CodeDeployDefault.LambdaAllAtOnce"

// BlockReader reads a function's blocked releases (block.Store).
type BlockReader interface {
	Get(ctx context.Context, function string) (block.List, error)
}

// CloudFormationAPI is the part of the CloudFormation client the guard uses.
type CloudFormationAPI interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, opts ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

// CodeDeployAPI is the part of the CodeDeploy client the guard uses.
type CodeDeployAPI interface {
	GetDeploymentGroup(ctx context.Context, in *codedeploy.GetDeploymentGroupInput, opts ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentGroupOutput, error)
	UpdateDeploymentGroup(ctx context.Context, in *codedeploy.UpdateDeploymentGroupInput, opts ...func(*codedeploy.Options)) (*codedeploy.UpdateDeploymentGroupOutput, error)
	ListDeploymentGroups(ctx context.Context, in *codedeploy.ListDeploymentGroupsInput, opts ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentGroupsOutput, error)
	ListDeployments(ctx context.Context, in *codedeploy.ListDeploymentsInput, opts ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentsOutput, error)
	GetDeployment(ctx context.Context, in *codedeploy.GetDeploymentInput, opts ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentOutput, error)
	GetApplicationRevision(ctx context.Context, in *codedeploy.GetApplicationRevisionInput, opts ...func(*codedeploy.Options)) (*codedeploy.GetApplicationRevisionOutput, error)
	StopDeployment(ctx context.Context, in *codedeploy.StopDeploymentInput, opts ...func(*codedeploy.Options)) (*codedeploy.StopDeploymentOutput, error)
}

// Guard answers the release gates and coordinates the releases of one stack.
type Guard struct {
	Blocks         BlockReader
	CloudFormation CloudFormationAPI
	CodeDeploy     CodeDeployAPI
	// Log receives what the guard did, for a person. Default: io.Discard.
	Log io.Writer
	// ConfigError, when set, is why the AWS clients could not be configured: every gate request fails with it
	// (Delete and rollbacks aside, which need no client).
	ConfigError error
}

func (g *Guard) log() io.Writer {
	if g.Log == nil {
		return io.Discard
	}
	return g.Log
}

// Handle serves both kinds of event the guard receives: a CloudFormation custom resource request (a release gate)
// and a CodeDeploy deployment state-change event from EventBridge.
func (g *Guard) Handle(ctx context.Context, raw json.RawMessage) error {
	var probe struct {
		RequestType string `json:"RequestType"`
		DetailType  string `json:"detail-type"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return fmt.Errorf("bluegreen release guard: unreadable event: %w", err)
	}
	switch {
	case probe.RequestType != "":
		var ev cfn.Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			return err
		}
		reason, err := cfn.LambdaWrap(g.Gate)(ctx, ev)
		if err != nil {
			return fmt.Errorf("answering CloudFormation: %s: %w", reason, err)
		}
		return nil
	case probe.DetailType == DeploymentStateChange:
		var ev DeploymentEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return err
		}
		return g.Coordinate(ctx, ev)
	default:
		fmt.Fprintf(g.log(), "bluegreen release guard: ignored an event that is neither a release gate request nor a "+
			"CodeDeploy deployment state change: %.200s\n", raw)
		return nil
	}
}

// entry is one protected function of the gate: its properties as CloudFormation passes them (strings).
type entry map[string]interface{}

func (e entry) get(key string) string {
	switch v := e[key].(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

// entries reads the gate's entries (block.GateReleases) from a request's properties.
func entries(props map[string]interface{}) map[string]entry {
	out := map[string]entry{}
	m, _ := props[block.GateReleases].(map[string]interface{})
	for k, v := range m {
		if e, ok := v.(map[string]interface{}); ok {
			out[k] = e
		}
	}
	return out
}

// Gate answers the stack's release gate. It never refuses a Delete, a pinned release (a rollback), or anything
// while the stack rolls back: a FAILED answer during a rollback would leave the stack in UPDATE_ROLLBACK_FAILED.
// Otherwise, for each function whose release changes in this update (the others' aliases do not move), it
// refuses a blocked release, with every refusal (block.Refusal) as the reason CloudFormation shows: the stack
// update then fails before any alias is updated, so no traffic moves. When nothing is refused, it puts the
// deployment group of each changing function back as the template has it (see restoreGroup).
func (g *Guard) Gate(ctx context.Context, ev cfn.Event) (string, map[string]interface{}, error) {
	id := ev.LogicalResourceID
	if ev.RequestType == cfn.RequestDelete {
		return id, nil, nil
	}
	log := g.log()
	if g.ConfigError != nil {
		return id, nil, fmt.Errorf("bluegreen release gate: AWS SDK configuration: %w", g.ConfigError)
	}
	if rolling, status, err := g.rollingBack(ctx, ev.StackID); err != nil {
		fmt.Fprintf(log, "bluegreen release gate: could not read the stack's status (%v); checking the releases anyway\n", err)
	} else if rolling {
		fmt.Fprintf(log, "bluegreen release gate: stack is %s: a rollback is never refused\n", status)
		return id, nil, nil
	}
	now, before := entries(ev.ResourceProperties), entries(ev.OldResourceProperties)
	keys := make([]string, 0, len(now))
	for k := range now {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var changing []entry
	var refusals []string
	for _, k := range keys {
		e := now[k]
		fn, release := e.get(block.GateFunctionName), e.get(block.GateRelease)
		switch {
		case before[k] != nil && before[k].get(block.GateRelease) == release:
			continue // this function's alias does not move
		case strings.HasPrefix(release, block.PinnedPrefix):
			fmt.Fprintf(log, "bluegreen release gate: %s is pinned to version %s (a rollback): let through\n", fn,
				strings.TrimPrefix(release, block.PinnedPrefix))
			continue
		}
		blocks, err := g.Blocks.Get(ctx, fn)
		if err != nil {
			return id, nil, fmt.Errorf("bluegreen release gate: could not read the blocked releases of %s, so the release "+
				"is not let through (grant ssm:GetParameter on %s, or retry): %w", fn, block.ParameterName(fn), err)
		}
		if b, blocked := blocks.Find(release); blocked {
			fmt.Fprintf(log, "bluegreen release gate: refused: %s\n", block.Refusal(fn, b))
			refusals = append(refusals, block.Refusal(fn, b))
			continue
		}
		changing = append(changing, e)
		fmt.Fprintf(log, "bluegreen release gate: release %s of %s is not blocked: let through\n", release, fn)
	}
	if len(refusals) > 0 {
		return id, nil, errors.New(refusalReason(refusals))
	}
	for _, e := range changing {
		if err := g.restoreGroup(ctx, e); err != nil {
			return id, nil, err
		}
	}
	return id, nil, nil
}

// rollingBack reports whether the stack is rolling back (an UPDATE_ROLLBACK_* or ROLLBACK_* status), with the
// status: "UPDATE_ROLLBACK_IN_PROGRESS: Ongoing return of one or more stacks to the previous working state after
// failed stack update" (CloudFormation User Guide, stack status codes).
func (g *Guard) rollingBack(ctx context.Context, stackID string) (bool, string, error) {
	if stackID == "" {
		return false, "", errors.New("the request names no stack")
	}
	out, err := g.CloudFormation.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: &stackID})
	if err != nil {
		return false, "", fmt.Errorf("DescribeStacks: %w", err)
	}
	if len(out.Stacks) == 0 {
		return false, "", errors.New("DescribeStacks returned no stack")
	}
	status := string(out.Stacks[0].StackStatus)
	return strings.Contains(status, "ROLLBACK"), status, nil
}

// restoreGroup puts the deployment group's strategy and alarm monitoring back as the template has them, when the
// coordinator left the group in abort mode after a failed release. CloudFormation updates a resource only when its
// template changes, so a group whose template did not change would otherwise keep shifting all at once with alarms
// off. The gate runs after the group (it depends on it) and before the alias (which depends on the gate), so the
// release's deployment finds the template's configuration. The list of alarms is the group's own: only the
// monitoring switch and the configuration are set.
func (g *Guard) restoreGroup(ctx context.Context, e entry) error {
	app, group := e.get(GateApplication), e.get(GateDeploymentGroup)
	config, enabled := e.get(GateDeploymentConfig), e.get(GateAlarmsEnabled) == "true"
	if app == "" || group == "" || config == "" || e.get(GateRestore) != "true" {
		return nil
	}
	out, err := g.CodeDeploy.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: &app, DeploymentGroupName: &group})
	if err != nil {
		return fmt.Errorf("bluegreen release gate: GetDeploymentGroup %s/%s (to check its strategy and alarms before "+
			"the release): %w", app, group, err)
	}
	info := out.DeploymentGroupInfo
	if info == nil {
		return fmt.Errorf("bluegreen release gate: GetDeploymentGroup %s/%s returned no group", app, group)
	}
	ac := info.AlarmConfiguration
	if ac == nil {
		ac = &cdtypes.AlarmConfiguration{}
	}
	if aws.ToString(info.DeploymentConfigName) == config && ac.Enabled == enabled {
		return nil
	}
	fmt.Fprintf(g.log(), "bluegreen release gate: deployment group %s/%s had %s with alarm monitoring %v (abort mode "+
		"after a failed release?): putting back %s with alarm monitoring %v, as the template has it\n", app, group,
		aws.ToString(info.DeploymentConfigName), ac.Enabled, config, enabled)
	restored := *ac
	restored.Enabled = enabled
	_, err = g.CodeDeploy.UpdateDeploymentGroup(ctx, &codedeploy.UpdateDeploymentGroupInput{
		ApplicationName: &app, CurrentDeploymentGroupName: &group, DeploymentConfigName: &config,
		AlarmConfiguration: &restored,
	}, alarmcfg.ExplicitEnabled(restored.Enabled))
	if err != nil {
		return fmt.Errorf("bluegreen release gate: UpdateDeploymentGroup %s/%s (to put its strategy and alarms back): %w",
			app, group, err)
	}
	return nil
}

// isReturn reports whether versions go back (target older than current): a rollback, never a release.
func isReturn(current, target string) bool {
	c, errC := strconv.Atoi(current)
	t, errT := strconv.Atoi(target)
	return errC == nil && errT == nil && t < c
}

// readAppSpec reads the AppSpec of a deployment.
func (g *Guard) readAppSpec(ctx context.Context, info *cdtypes.DeploymentInfo) (appspec.Function, error) {
	content := appspec.Content(info.Revision)
	if content == "" && info.Revision != nil {
		rev, err := g.CodeDeploy.GetApplicationRevision(ctx, &codedeploy.GetApplicationRevisionInput{
			ApplicationName: info.ApplicationName, Revision: info.Revision})
		if err != nil {
			return appspec.Function{}, fmt.Errorf("GetApplicationRevision: %w", err)
		}
		content = appspec.Content(rev.Revision)
	}
	if content == "" {
		return appspec.Function{}, errors.New("no AppSpec content")
	}
	return appspec.Parse(content)
}

// MaxReason is the most of a refusal the gate puts in its answer: CloudFormation takes a response body of at most
// 4,096 bytes ("The total size of the response body can't exceed 4096 bytes", CloudFormation User Guide, Custom
// resource response objects), which also carries the ids and the status.
const MaxReason = 3000

// refusalReason joins the refusals, as many whole ones as fit MaxReason, and counts the rest (the guard's log has
// them all).
func refusalReason(refusals []string) string {
	var b strings.Builder
	for i, r := range refusals {
		more := fmt.Sprintf("; and %d more (the release guard's log lists them)", len(refusals)-i)
		if i > 0 && b.Len()+2+len(r)+len(more) > MaxReason {
			b.WriteString(more)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(r)
	}
	return b.String()
}
