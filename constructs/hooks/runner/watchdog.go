package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	schedtypes "github.com/aws/aws-sdk-go-v2/service/scheduler/types"
)

// Environment variables that arm the hook's watchdog; package hooks sets them on every hook it defines.
const (
	// WatchdogTargetEnv is the ARN of the hook's failure reporter, which the watchdog invokes.
	WatchdogTargetEnv = "BLUEGREEN_WATCHDOG_TARGET"
	// WatchdogRoleEnv is the ARN of the role EventBridge Scheduler assumes to invoke it.
	WatchdogRoleEnv = "BLUEGREEN_WATCHDOG_ROLE"
)

// WatchdogCondition is the condition of the record the watchdog sends the failure reporter.
const WatchdogCondition = "WatchdogDeadlinePassed"

// WatchdogSchedulePrefix starts the name of every watchdog schedule; the hook's role may create and delete only
// schedules of the default group whose name starts with it.
const WatchdogSchedulePrefix = "bluegreen-"

// ArmTimeout bounds the arming of the watchdog, so that a slow or throttled Scheduler leaves the checks their time.
const ArmTimeout = 3 * time.Second

// DefaultWatchdogGrace is how long after the hook's own deadline the watchdog fires.
const DefaultWatchdogGrace = time.Minute

// SchedulerAPI is the part of the EventBridge Scheduler client the watchdog uses.
type SchedulerAPI interface {
	CreateSchedule(ctx context.Context, in *scheduler.CreateScheduleInput, opts ...func(*scheduler.Options)) (*scheduler.CreateScheduleOutput, error)
	DeleteSchedule(ctx context.Context, in *scheduler.DeleteScheduleInput, opts ...func(*scheduler.Options)) (*scheduler.DeleteScheduleOutput, error)
}

// Watchdog makes sure CodeDeploy hears Failed within minutes from a hook invocation that ends without reporting
// (a crash, out of memory, a timeout, the runtime killed), however CodeDeploy invoked the hook.
//
// The hook's on-failure destination (the failure reporter) covers these only when the hook was invoked
// asynchronously: "Destinations … for asynchronous invocation" (AWS Lambda Developer Guide, "Asynchronous
// invocation"), and AWS does not document whether CodeDeploy invokes a lifecycle hook synchronously or
// asynchronously. So, before it runs any check, the hook arms a one-time EventBridge Scheduler schedule
// (ScheduleExpression "at(…)", ActionAfterCompletion DELETE) that invokes the failure reporter a minute after the
// hook's own deadline with a record of the event; the hook deletes the schedule once it has reported. If the hook
// never gets there, the schedule fires and the reporter reports Failed; if the hook did report, CodeDeploy refuses
// the second report (LifecycleEventAlreadyCompletedException) and the first stands. A hook that could not arm its
// watchdog (a denied or throttled call) logs it and runs on: it still reports, and the destination still covers an
// asynchronous invocation.
type Watchdog struct {
	Scheduler SchedulerAPI
	// TargetARN is the failure reporter's ARN; RoleARN the role Scheduler assumes to invoke it.
	TargetARN, RoleARN string
	// Grace is how long after the hook's deadline the schedule fires. Default: DefaultWatchdogGrace.
	Grace time.Duration
}

// ScheduleName is the name of the watchdog schedule of a hook execution: one per deployment and phase, at most
// 64 letters, digits, "-", "_" and "." (CreateSchedule, Name).
func ScheduleName(deploymentID, phase string) string {
	name := WatchdogSchedulePrefix + deploymentID + "-" + strings.TrimSuffix(phase, "-traffic")
	if len(name) > 64 {
		name = name[:64]
	}
	return name
}

// Arm creates the schedule for the hook execution of ev, due Grace after deadline. It returns the schedule's
// name. A schedule of that name already there (the same event delivered twice) counts as armed.
func (w *Watchdog) Arm(ctx context.Context, ev Event, phase, hookARN string, deadline time.Time) (string, error) {
	grace := w.Grace
	if grace <= 0 {
		grace = DefaultWatchdogGrace
	}
	name := ScheduleName(ev.DeploymentID, phase)
	payload, err := json.Marshal(ev)
	if err != nil {
		return "", err
	}
	var rec InvocationRecord
	rec.Version = "1.0"
	rec.Timestamp = deadline.UTC().Format(time.RFC3339)
	rec.RequestContext.Condition = WatchdogCondition
	rec.RequestContext.FunctionARN = hookARN
	rec.RequestContext.ApproximateInvokeCount = 1
	rec.RequestPayload = payload
	input, err := json.Marshal(rec)
	if err != nil {
		return "", err
	}
	due := deadline.Add(grace).UTC().Truncate(time.Second).Add(time.Second)
	_, err = w.Scheduler.CreateSchedule(ctx, &scheduler.CreateScheduleInput{
		Name:                       &name,
		ScheduleExpression:         aws.String("at(" + due.Format("2006-01-02T15:04:05") + ")"),
		ScheduleExpressionTimezone: aws.String("UTC"),
		FlexibleTimeWindow:         &schedtypes.FlexibleTimeWindow{Mode: schedtypes.FlexibleTimeWindowModeOff},
		ActionAfterCompletion:      schedtypes.ActionAfterCompletionDelete,
		Description: aws.String(fmt.Sprintf("bluegreen %s hook watchdog for deployment %s: reports Failed if the hook "+
			"has not reported by then", phase, ev.DeploymentID)),
		Target: &schedtypes.Target{Arn: &w.TargetARN, RoleArn: &w.RoleARN, Input: aws.String(string(input)),
			RetryPolicy: &schedtypes.RetryPolicy{MaximumRetryAttempts: aws.Int32(5), MaximumEventAgeInSeconds: aws.Int32(600)}},
	})
	var exists *schedtypes.ConflictException
	if errors.As(err, &exists) {
		return name, nil
	}
	if err != nil {
		return "", fmt.Errorf("CreateSchedule %s: %w", name, err)
	}
	return name, nil
}

// Disarm deletes the schedule once the hook has reported; a schedule already gone is fine.
func (w *Watchdog) Disarm(ctx context.Context, name string) error {
	_, err := w.Scheduler.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: &name})
	var gone *schedtypes.ResourceNotFoundException
	if err != nil && !errors.As(err, &gone) {
		return fmt.Errorf("DeleteSchedule %s: %w", name, err)
	}
	return nil
}

// armWatchdog arms the hook's watchdog, when it has one and the invocation has a deadline, and returns the
// schedule's name ("" when none was armed).
func (h *Hook) armWatchdog(ctx context.Context, ev Event, hookARN string, log io.Writer) string {
	deadline, ok := ctx.Deadline()
	if h.Watchdog == nil || !ok {
		return ""
	}
	// At most a few seconds: a throttled Scheduler must not eat the checks' time (the SDK retries a throttle).
	armCtx, cancel := context.WithTimeout(ctx, ArmTimeout)
	defer cancel()
	name, err := h.Watchdog.Arm(armCtx, ev, string(h.Config.Phase), hookARN, deadline)
	if err != nil {
		fmt.Fprintf(log, "bluegreen hook: could not arm the watchdog (the checks run on; a crash would then be reported "+
			"only if CodeDeploy invoked the hook asynchronously): %v\n", err)
		return ""
	}
	return name
}

func (h *Hook) disarmWatchdog(ctx context.Context, name string, log io.Writer) {
	if name == "" {
		return
	}
	if err := h.Watchdog.Disarm(ctx, name); err != nil {
		fmt.Fprintf(log, "bluegreen hook: could not delete the watchdog schedule (when it fires, CodeDeploy keeps the "+
			"status already reported): %v\n", err)
	}
}
