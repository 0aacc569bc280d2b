package guard

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/safeship/lambda-bluegreen/internal/alarmcfg"
	"github.com/safeship/lambda-bluegreen/internal/deployment"
)

// DeploymentStateChange is the detail-type of CodeDeploy's deployment events in EventBridge.
const DeploymentStateChange = "CodeDeploy Deployment State-change Notification"

// The states of a deployment event the guard acts on: the two that end a release badly, and the start of a
// deployment (a reverse deployment of a stack rollback is put in abort mode as it starts).
const (
	StateFailure = "FAILURE"
	StateStop    = "STOP"
	StateStart   = "START"
)

// DeploymentEvent is CodeDeploy's deployment state-change event, as EventBridge delivers it: source
// aws.codedeploy, detail {instanceGroupId, region, application, deploymentId, state, deploymentGroup}
// (CloudWatch Events User Guide, "Event examples from supported services", AWS CodeDeploy events).
type DeploymentEvent struct {
	Source     string `json:"source"`
	DetailType string `json:"detail-type"`
	Detail     struct {
		Application     string `json:"application"`
		DeploymentGroup string `json:"deploymentGroup"`
		DeploymentID    string `json:"deploymentId"`
		State           string `json:"state"`
	} `json:"detail"`
}

// activeStatuses are the statuses of a deployment that has not ended.
var activeStatuses = []cdtypes.DeploymentStatus{cdtypes.DeploymentStatusCreated, cdtypes.DeploymentStatusQueued,
	cdtypes.DeploymentStatusInProgress, cdtypes.DeploymentStatusReady}

// Coordinate ends a failed release everywhere in its application, when a deployment of it failed or was stopped,
// and handles a deployment that starts (see started). The EventBridge rule
// passes only those states of the stack's application; others are ignored here too.
//
//  1. It stops, with automatic rollback, every other deployment of the application still running that is a
//     release (CloudFormation created it, and it goes to a newer version): CodeDeploy puts each alias back on blue
//     at once ("autoRollbackEnabled: Indicates, when a deployment is stopped, whether instances that have been
//     updated should be rolled back to the previous version", API Reference, StopDeployment), instead of letting
//     the other canaries run to their end only to be undone by CloudFormation's rollback. A deployment that goes
//     back (a rollback of CodeDeploy's, CloudFormation's, or an operator's) is never stopped.
//  2. It puts every deployment group of the application in abort mode: CodeDeployDefault.LambdaAllAtOnce with
//     alarm monitoring off. CloudFormation then rolls the stack back, and for each alias whose shift had already
//     finished it starts a new deployment back to blue with the group's configuration (a stack rollback updates
//     the alias back to the previous template's version, and the CodeDeployLambdaAliasUpdate policy hands any
//     version change to CodeDeploy). In abort mode that deployment moves all traffic at once and reads no alarm,
//     so an alarm still firing (the cause of the failure, or a neighbour's) cannot stop it and leave the stack in
//     UPDATE_ROLLBACK_FAILED; the hooks pass it as a return (hooks/runner.Return). The release gate of each
//     Deployment puts the template's configuration back before the next release moves any traffic.
//
// EventBridge delivers CodeDeploy's events on a best-effort basis ("the service attempts to send all events to
// EventBridge, but in some rare cases an event might not be delivered", EventBridge User Guide): if this event
// is lost, the other shifts run to their end and CloudFormation's rollback runs with the groups as they are. AWS
// documents neither whether CloudFormation rolls an alias back before or after its deployment group, nor whether
// CodeDeploy reads a group's alarm configuration when a deployment starts or at each check: both are in the table of
// assumptions (docs/aws-rules.md).
func (g *Guard) Coordinate(ctx context.Context, ev DeploymentEvent) error {
	d := ev.Detail
	log := g.log()
	if d.State == StateStart {
		return g.started(ctx, d.Application, d.DeploymentGroup, d.DeploymentID)
	}
	if d.State != StateFailure && d.State != StateStop {
		fmt.Fprintf(log, "bluegreen release guard: deployment %s is %s: nothing to do\n", d.DeploymentID, d.State)
		return nil
	}
	failed, err := g.CodeDeploy.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: &d.DeploymentID})
	if err != nil {
		return fmt.Errorf("GetDeployment %s: %w", d.DeploymentID, err)
	}
	if info := failed.DeploymentInfo; info != nil && !g.isRelease(ctx, info) {
		fmt.Fprintf(log, "bluegreen release guard: deployment %s (%s) went back to an earlier version: a failed "+
			"rollback ends no release\n", d.DeploymentID, d.State)
		return nil
	}
	if d.State == StateStop {
		// Each deployment the guard stops sends a STOP of its own: once the release's groups are in abort mode,
		// the work is done, and another sweep would only cost a call per group.
		if aborted, err := g.inAbortMode(ctx, d.Application, d.DeploymentGroup); err == nil && aborted {
			fmt.Fprintf(log, "bluegreen release guard: deployment %s stopped; %s/%s is in abort mode already: nothing more to do\n",
				d.DeploymentID, d.Application, d.DeploymentGroup)
			return nil
		}
	}
	fmt.Fprintf(log, "bluegreen release guard: deployment %s of %s/%s is %s: ending the whole release of %s\n",
		d.DeploymentID, d.Application, d.DeploymentGroup, d.State, d.Application)
	groups, err := g.groups(ctx, d.Application)
	if err != nil {
		return err
	}
	// Abort mode first: a release CloudFormation starts after this point shifts no traffic before its own START
	// reaches the guard, which stops it (see started); then every running release is stopped, twice, for one that
	// started while the first pass ran.
	var errs []error
	for _, group := range groups {
		errs = append(errs, g.abortMode(ctx, d.Application, group))
	}
	for pass := 0; pass < 2; pass++ {
		for _, group := range groups {
			errs = append(errs, g.stopReleases(ctx, d.Application, group, d.DeploymentID))
		}
	}
	return errors.Join(errs...)
}

// inAbortMode reports whether a group shifts all at once with alarm monitoring off.
func (g *Guard) inAbortMode(ctx context.Context, app, group string) (bool, error) {
	out, err := g.CodeDeploy.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: &app, DeploymentGroupName: &group})
	if err != nil || out.DeploymentGroupInfo == nil {
		return false, fmt.Errorf("GetDeploymentGroup %s/%s: %w", app, group, err)
	}
	info := out.DeploymentGroupInfo
	return aws.ToString(info.DeploymentConfigName) == AllAtOnce && (info.AlarmConfiguration == nil || !info.AlarmConfiguration.Enabled), nil
}

// groups lists the deployment groups of app.
func (g *Guard) groups(ctx context.Context, app string) ([]string, error) {
	var out []string
	var token *string
	for {
		page, err := g.CodeDeploy.ListDeploymentGroups(ctx, &codedeploy.ListDeploymentGroupsInput{ApplicationName: &app, NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("ListDeploymentGroups %s: %w", app, err)
		}
		out = append(out, page.DeploymentGroups...)
		if page.NextToken == nil {
			return out, nil
		}
		token = page.NextToken
	}
}

// isRelease reports whether a deployment moves its alias forward: no rollback (deployment.IsRollback: not created
// by CloudFormation's or CodeDeploy's rollback, no rollback of another deployment), and a newer target version than
// current one in its AppSpec.
func (g *Guard) isRelease(ctx context.Context, info *cdtypes.DeploymentInfo) bool {
	if deployment.IsRollback(info) {
		return false
	}
	f, err := g.readAppSpec(ctx, info)
	if err != nil {
		fmt.Fprintf(g.log(), "bluegreen release guard: deployment %s: %v: taken for a release\n",
			aws.ToString(info.DeploymentId), err)
		return true
	}
	return !isReturn(f.CurrentVersion, f.TargetVersion)
}

// stopReleases stops every running release of the group but the one that failed.
func (g *Guard) stopReleases(ctx context.Context, app, group, failedID string) error {
	list, err := g.CodeDeploy.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{ApplicationName: &app,
		DeploymentGroupName: &group, IncludeOnlyStatuses: activeStatuses})
	if err != nil {
		return fmt.Errorf("ListDeployments %s/%s: %w", app, group, err)
	}
	var errs []error
	for _, id := range list.Deployments {
		if id == failedID {
			continue
		}
		out, err := g.CodeDeploy.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
		if err != nil || out.DeploymentInfo == nil {
			errs = append(errs, fmt.Errorf("GetDeployment %s: %w", id, err))
			continue
		}
		if !g.isRelease(ctx, out.DeploymentInfo) {
			fmt.Fprintf(g.log(), "bluegreen release guard: %s of %s/%s goes back to an earlier version: left to run\n", id, app, group)
			continue
		}
		_, err = g.CodeDeploy.StopDeployment(ctx, &codedeploy.StopDeploymentInput{DeploymentId: aws.String(id),
			AutoRollbackEnabled: aws.Bool(true)})
		var done *cdtypes.DeploymentAlreadyCompletedException
		switch {
		case errors.As(err, &done):
			fmt.Fprintf(g.log(), "bluegreen release guard: %s of %s/%s had already ended\n", id, app, group)
		case err != nil:
			errs = append(errs, fmt.Errorf("StopDeployment %s: %w", id, err))
		default:
			fmt.Fprintf(g.log(), "bluegreen release guard: stopped %s of %s/%s with rollback: its alias goes back to blue\n",
				id, app, group)
		}
	}
	return errors.Join(errs...)
}

// abortMode sets the group to shift all at once with alarm monitoring off, keeping its list of alarms.
func (g *Guard) abortMode(ctx context.Context, app, group string) error {
	out, err := g.CodeDeploy.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: &app, DeploymentGroupName: &group})
	if err != nil || out.DeploymentGroupInfo == nil {
		return fmt.Errorf("GetDeploymentGroup %s/%s: %w", app, group, err)
	}
	info := out.DeploymentGroupInfo
	ac := cdtypes.AlarmConfiguration{}
	if info.AlarmConfiguration != nil {
		ac = *info.AlarmConfiguration
	}
	if aws.ToString(info.DeploymentConfigName) == AllAtOnce && !ac.Enabled {
		return nil
	}
	ac.Enabled = false
	_, err = g.CodeDeploy.UpdateDeploymentGroup(ctx, &codedeploy.UpdateDeploymentGroupInput{ApplicationName: &app,
		CurrentDeploymentGroupName: &group, DeploymentConfigName: aws.String(AllAtOnce), AlarmConfiguration: &ac},
		alarmcfg.ExplicitEnabled(false))
	if err != nil {
		return fmt.Errorf("UpdateDeploymentGroup %s/%s (abort mode): %w", app, group, err)
	}
	fmt.Fprintf(g.log(), "bluegreen release guard: %s/%s in abort mode (all at once, alarm monitoring off) until the "+
		"next release's gate puts its template configuration back\n", app, group)
	return nil
}

// started handles a deployment that starts. A reverse deployment CloudFormation started (Creator
// "CloudFormationRollback": a stack rollback moving an alias whose shift had finished back to its previous version)
// gets its group in abort mode: CloudFormation may have rolled the group back to the previous template's strategy
// and alarms before the alias (AWS documents no order); if CodeDeploy reads the group's alarm configuration at each
// check rather than once when the deployment starts (not documented either), no alarm can stop it from its next
// check on. A release (CloudFormation's, to a newer version) that starts while its group is in abort mode started
// after a failed release of the stack had been ended: it is stopped with rollback. A release of a new deploy never
// finds its group in abort mode: the release gate puts the template's configuration back before any alias moves.
func (g *Guard) started(ctx context.Context, app, group, id string) error {
	out, err := g.CodeDeploy.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: &id})
	if err != nil || out.DeploymentInfo == nil {
		return fmt.Errorf("GetDeployment %s: %w", id, err)
	}
	info := out.DeploymentInfo
	if info.Creator == cdtypes.DeploymentCreatorCloudFormationRollback {
		fmt.Fprintf(g.log(), "bluegreen release guard: %s of %s/%s is CloudFormation rolling the stack back\n", id, app, group)
		return g.abortMode(ctx, app, group)
	}
	if !g.isRelease(ctx, info) {
		return nil
	}
	aborted, err := g.inAbortMode(ctx, app, group)
	if err != nil || !aborted {
		return err
	}
	fmt.Fprintf(g.log(), "bluegreen release guard: release %s of %s/%s started after the stack's release was ended: "+
		"stopping it\n", id, app, group)
	return g.stopReleases(ctx, app, group, "")
}
