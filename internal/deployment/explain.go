package deployment

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/safeship/lambda-bluegreen/internal/appspec"
)

// Summary explains one deployment: what bluegreen status -json prints as its deployment, and what
// examples/github-actions/report-release.sh reads from it.
type Summary struct {
	ID        string     `json:"id"`
	Status    string     `json:"status"`
	Created   time.Time  `json:"created"`
	Completed *time.Time `json:"completed,omitempty"`
	// Creator is who created the deployment: user, autoscaling, codeDeployRollback, CloudFormation,
	// CloudFormationRollback… (CodeDeploy API reference, DeploymentInfo creator).
	Creator string `json:"creator,omitempty"`
	// Function and Alias are what the deployment shifts, Blue the version it shifts from and Green the one it shifts
	// to (the AppSpec's CurrentVersion and TargetVersion; for a rollback, see Release).
	Function string `json:"function,omitempty"`
	Alias    string `json:"alias,omitempty"`
	Blue     string `json:"blue,omitempty"`
	Green    string `json:"green,omitempty"`
	// Phase is the lifecycle event in progress, or the one that failed (BeforeAllowTraffic, AllowTraffic,
	// AfterAllowTraffic); empty before the first and after the last.
	Phase  string  `json:"phase,omitempty"`
	Events []Event `json:"lifecycleEvents,omitempty"`
	// FailedHook is the lifecycle hook whose event failed.
	FailedHook *Hook `json:"failedHook,omitempty"`
	// ErrorCode and ErrorMessage are CodeDeploy's errorInformation; Alarms the rollback alarms its ALARM_ACTIVE
	// message names.
	ErrorCode    string   `json:"errorCode,omitempty"`
	ErrorMessage string   `json:"errorMessage,omitempty"`
	Alarms       []string `json:"activatedAlarms,omitempty"`
	// Rollback is true for a deployment that rolls another back (IsRollback), RollbackOf the one it rolls back
	// when it says; RolledBackBy is the deployment that rolls this one back, and RollbackMessage what CodeDeploy
	// says of that rollback (rollbackInfo).
	Rollback        bool   `json:"rollback,omitempty"`
	RollbackOf      string `json:"rollbackOf,omitempty"`
	RolledBackBy    string `json:"rolledBackBy,omitempty"`
	RollbackMessage string `json:"rollbackMessage,omitempty"`
	// Release is, for a rollback that names the deployment it rolls back, that deployment explained: the release
	// the rollback belongs to, and the one to report.
	Release *Summary `json:"release,omitempty"`
	// Problems say what could not be read (the AppSpec, the release a rollback belongs to), so that the summary is
	// known to be partial.
	Problems []string `json:"problems,omitempty"`

	// hooks are the hook functions of the AppSpec, by lifecycle event.
	hooks map[string]string
}

// Event is one lifecycle event of a deployment, in order, with CodeDeploy's diagnostics when it failed.
type Event struct {
	Name    string `json:"name"`
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

// Hook is a lifecycle hook whose event failed: the event (BeforeAllowTraffic or AfterAllowTraffic), the name of the
// hook function the AppSpec gives it (FunctionName of it: empty when it gives none), and CodeDeploy's diagnostics
// message.
type Hook struct {
	Event    string `json:"event"`
	Function string `json:"function,omitempty"`
	Message  string `json:"message,omitempty"`
}

// eventFailed is a lifecycle event's status when it failed: Pending, InProgress, Succeeded, Failed, Skipped,
// Unknown (CodeDeploy API reference, LifecycleEvent). A Lambda hook's event is Failed when its function reported
// Failed or never reported within the hour (DESIGN.md).
const eventFailed = cdtypes.LifecycleEventStatusFailed

// FailedHook returns the first hook event (BeforeAllowTraffic, AfterAllowTraffic) that failed, with its function
// from hooks (the AppSpec's, by event), or nil when no hook failed.
func FailedHook(events []cdtypes.LifecycleEvent, hooks map[string]string) *Hook {
	for _, e := range events {
		name := aws.ToString(e.LifecycleEventName)
		if e.Status != eventFailed || (name != appspec.BeforeAllowTraffic && name != appspec.AfterAllowTraffic) {
			continue
		}
		h := &Hook{Event: name, Function: FunctionName(hooks[name])}
		if d := e.Diagnostics; d != nil {
			h.Message = aws.ToString(d.Message)
		}
		return h
	}
	return nil
}

// Phase returns the name of the first lifecycle event in progress or failed, or "" when none is.
func Phase(events []cdtypes.LifecycleEvent) string {
	for _, e := range events {
		if e.Status == cdtypes.LifecycleEventStatusInProgress || e.Status == eventFailed {
			return aws.ToString(e.LifecycleEventName)
		}
	}
	return ""
}

// Explain reads what a deployment's own record leaves out (its AppSpec, its lifecycle events) and explains it.
// For a rollback that names the deployment it rolls back, that release is read and explained too (Release), and
// the rollback's function and versions come from it: a rollback redeploys "a previously deployed revision" (user
// guide, "Redeploy and roll back a deployment"), so its own AppSpec is an earlier release's, and it moves from the
// release's green back to its blue. app names the application when the deployment does not. It fails when the
// deployment's lifecycle events cannot be read; an AppSpec, or a release, that cannot be is one of the Problems:
// the rest is still explained.
func (r Reader) Explain(ctx context.Context, app string, info *cdtypes.DeploymentInfo) (Summary, error) {
	return r.explain(ctx, app, info, true)
}

// Describe is Explain without the lifecycle events (no Events, Phase or FailedHook, for the deployment or its
// release): the record, the AppSpec, and for a rollback its release and versions, for a caller that reads the
// events only when it needs them (ReadEvents). It reads no lifecycle event, so it never fails: what cannot be read
// is one of the Problems.
func (r Reader) Describe(ctx context.Context, app string, info *cdtypes.DeploymentInfo) Summary {
	s, _ := r.explain(ctx, app, info, false)
	return s
}

// explain explains info, with its lifecycle events when events, and follows a rollback to its release.
func (r Reader) explain(ctx context.Context, app string, info *cdtypes.DeploymentInfo, events bool) (Summary, error) {
	s := r.one(ctx, app, info)
	if events {
		if err := r.ReadEvents(ctx, &s); err != nil {
			return s, err
		}
	}
	if err := r.FollowRollback(ctx, app, &s, events); err != nil {
		s.Problems = append(s.Problems, fmt.Sprintf("the release this rollback belongs to: %v", err))
	}
	return s, nil
}

// FollowRollback reads the release that s, a rollback, belongs to (s.RollbackOf; nothing to do when it names
// none), explained from its record and AppSpec and, when events, its lifecycle events (what cannot be read of it
// is one of its Problems), and makes it s's Release. s then moves the release's function and alias from the
// release's green back to its blue: the versions a rollback moves between, whatever its own AppSpec (an earlier
// release's) says. It fails when the release cannot be read (GetDeployment), leaving s as it was.
func (r Reader) FollowRollback(ctx context.Context, app string, s *Summary, events bool) error {
	if s.RollbackOf == "" {
		return nil
	}
	info, err := r.Get(ctx, s.RollbackOf)
	if err != nil {
		return err
	}
	release := r.one(ctx, app, info)
	if events {
		if err := r.ReadEvents(ctx, &release); err != nil {
			release.Problems = append(release.Problems, err.Error())
		}
	}
	s.Release = &release
	if release.Function != "" {
		s.Function, s.Alias, s.Blue, s.Green = release.Function, release.Alias, release.Green, release.Blue
	}
	return nil
}

// one explains one deployment from its record and its AppSpec, without following a rollback to its release.
func (r Reader) one(ctx context.Context, app string, info *cdtypes.DeploymentInfo) Summary {
	s := record(info)
	content, err := r.AppSpec(ctx, app, *info)
	if err == nil && content == "" {
		_, err = parseFunction(s.ID, content) // "has no AppSpec content"
	}
	if err != nil {
		s.Problems = append(s.Problems, err.Error())
		return s
	}
	s.appSpec(content)
	return s
}

// ReadEvents reads the lifecycle events of s's deployment into it (Events, Phase, FailedHook). A deployment
// Created or Queued has run none; one that has not started (DeploymentNotStartedException) neither.
func (r Reader) ReadEvents(ctx context.Context, s *Summary) error {
	if s.Status == string(cdtypes.DeploymentStatusCreated) || s.Status == string(cdtypes.DeploymentStatusQueued) {
		return nil // no lifecycle event has run
	}
	events, err := r.Events(ctx, s.ID)
	var notStarted *cdtypes.DeploymentNotStartedException
	if err != nil && !errors.As(err, &notStarted) {
		return err
	}
	s.lifecycle(events)
	return nil
}

// Summarize explains a deployment from what has been read of it, without reading anything: its record, its AppSpec
// content ("" when it was not read or there is none) and its lifecycle events (none when not read). watch, which
// polls them, explains the deployment it followed with it; content that cannot be parsed is one of the Problems.
func Summarize(info *cdtypes.DeploymentInfo, appSpec string, events []cdtypes.LifecycleEvent) Summary {
	s := record(info)
	s.appSpec(appSpec)
	s.lifecycle(events)
	return s
}

// record explains what the deployment's own record says: status, creator, errorInformation (and the alarms an
// ALARM_ACTIVE message names), rollbackInfo.
func record(info *cdtypes.DeploymentInfo) Summary {
	s := Summary{ID: aws.ToString(info.DeploymentId), Status: string(info.Status), Creator: string(info.Creator),
		Completed: info.CompleteTime, Rollback: IsRollback(info), RollbackOf: RollbackOf(info), RolledBackBy: RolledBackBy(info)}
	if info.CreateTime != nil {
		s.Created = *info.CreateTime
	}
	if e := info.ErrorInformation; e != nil {
		s.ErrorCode, s.ErrorMessage = string(e.Code), aws.ToString(e.Message)
		if e.Code == cdtypes.ErrorCodeAlarmActive {
			s.Alarms = ActivatedAlarms(s.ErrorMessage)
		}
	}
	if ri := info.RollbackInfo; ri != nil {
		s.RollbackMessage = aws.ToString(ri.RollbackMessage)
	}
	return s
}

// appSpec reads the function, alias, versions and hook functions of the deployment's AppSpec content ("": none);
// content that cannot be parsed is one of the Problems.
func (s *Summary) appSpec(content string) {
	if content == "" {
		return
	}
	s.hooks = appspec.Hooks(content)
	f, err := parseFunction(s.ID, content)
	if err != nil {
		s.Problems = append(s.Problems, err.Error())
		return
	}
	s.Function, s.Alias, s.Blue, s.Green = f.Name, f.Alias, f.CurrentVersion, f.TargetVersion
}

// lifecycle explains the deployment's lifecycle events: each one, the phase, the hook that failed.
func (s *Summary) lifecycle(events []cdtypes.LifecycleEvent) {
	s.Events = nil
	for _, e := range events {
		ev := Event{Name: aws.ToString(e.LifecycleEventName), Status: string(e.Status)}
		if d := e.Diagnostics; d != nil && e.Status == eventFailed {
			ev.Message = aws.ToString(d.Message)
		}
		s.Events = append(s.Events, ev)
	}
	s.Phase = Phase(events)
	s.FailedHook = FailedHook(events, s.hooks)
}
