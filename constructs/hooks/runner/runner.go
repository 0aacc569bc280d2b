// Package runner is the logic of the traffic hook Lambda: it reads the deployment CodeDeploy is running, finds
// the version under test in its AppSpec, runs the configured checks against that version, and always reports
// Succeeded or Failed to CodeDeploy, on a panic, on API errors and before its own deadline too.
package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"

	"github.com/safeship/lambda-bluegreen/constructs/hooks/hookconfig"
)

// LambdaAPI is the part of the Lambda client the hook uses.
type LambdaAPI interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
	ListVersionsByFunction(ctx context.Context, in *lambda.ListVersionsByFunctionInput, opts ...func(*lambda.Options)) (*lambda.ListVersionsByFunctionOutput, error)
	ListAliases(ctx context.Context, in *lambda.ListAliasesInput, opts ...func(*lambda.Options)) (*lambda.ListAliasesOutput, error)
	DeleteFunction(ctx context.Context, in *lambda.DeleteFunctionInput, opts ...func(*lambda.Options)) (*lambda.DeleteFunctionOutput, error)
	ListEventSourceMappings(ctx context.Context, in *lambda.ListEventSourceMappingsInput, opts ...func(*lambda.Options)) (*lambda.ListEventSourceMappingsOutput, error)
	ListProvisionedConcurrencyConfigs(ctx context.Context, in *lambda.ListProvisionedConcurrencyConfigsInput, opts ...func(*lambda.Options)) (*lambda.ListProvisionedConcurrencyConfigsOutput, error)
	GetFunction(ctx context.Context, in *lambda.GetFunctionInput, opts ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error)
	GetProvisionedConcurrencyConfig(ctx context.Context, in *lambda.GetProvisionedConcurrencyConfigInput, opts ...func(*lambda.Options)) (*lambda.GetProvisionedConcurrencyConfigOutput, error)
}

// CodeDeployAPI is the part of the CodeDeploy client the hook uses.
type CodeDeployAPI interface {
	GetDeployment(ctx context.Context, in *codedeploy.GetDeploymentInput, opts ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentOutput, error)
	GetApplicationRevision(ctx context.Context, in *codedeploy.GetApplicationRevisionInput, opts ...func(*codedeploy.Options)) (*codedeploy.GetApplicationRevisionOutput, error)
	GetDeploymentGroup(ctx context.Context, in *codedeploy.GetDeploymentGroupInput, opts ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentGroupOutput, error)
	PutLifecycleEventHookExecutionStatus(ctx context.Context, in *codedeploy.PutLifecycleEventHookExecutionStatusInput, opts ...func(*codedeploy.Options)) (*codedeploy.PutLifecycleEventHookExecutionStatusOutput, error)
}

// CloudWatchAPI is the part of the CloudWatch client the post-traffic hook uses.
type CloudWatchAPI interface {
	GetMetricStatistics(ctx context.Context, in *cloudwatch.GetMetricStatisticsInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricStatisticsOutput, error)
	DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
}

// Event is what CodeDeploy sends a lifecycle hook.
type Event struct {
	DeploymentID                  string `json:"DeploymentId"`
	LifecycleEventHookExecutionID string `json:"LifecycleEventHookExecutionId"`
}

// Hook runs one configuration of checks. Set the clients and Config; the other fields have defaults.
type Hook struct {
	Lambda     LambdaAPI
	CodeDeploy CodeDeployAPI
	CloudWatch CloudWatchAPI
	Config     hookconfig.Config
	// ConfigError, when set, is why the configuration could not be read: every run then fails with it.
	ConfigError error

	// Log receives the hook's report, written for a person. Default: io.Discard.
	Log io.Writer
	// ReportMargin is kept free before the invocation's deadline to report the result. Default: 10 seconds.
	ReportMargin time.Duration
	// ReportAttempts bounds the attempts to report the result (on top of the SDK's own retries). Default: 5.
	ReportAttempts int
	// InvokeAttempts bounds the attempts of one invocation of green (a test, a load-check call, the probe) when
	// Lambda answers that it did not run the function (throttled, not ready yet); an invocation that may have run
	// is never sent again. Default: 6.
	InvokeAttempts int
	// InvokeBackoff is the first wait before asking again; it doubles with each attempt, up to 32 times, with
	// jitter, and never past the hook's deadline. Default: 100 milliseconds.
	InvokeBackoff time.Duration
	// Now returns the time. Default: time.Now.
	Now func() time.Time
	// Watchdog, when set, reports Failed a minute after the hook's deadline if the hook has not reported by then
	// (see Watchdog). Main sets it from WatchdogTargetEnv and WatchdogRoleEnv. Default: none.
	Watchdog *Watchdog
}

// Result is the outcome of a hook run.
type Result struct {
	// Target is the deployment's function and versions, when they could be read.
	Target Target
	// Checks lists every check, in order.
	Checks []Check
}

// Check is one check and its outcome.
type Check struct {
	Name   string
	Passed bool
	// Detail says what was measured or what went wrong.
	Detail string
	// Warning marks a check whose failure does not fail the hook (version pruning).
	Warning bool
	// Notes are further lines of the report under the check (the versions pruning kept, and why).
	Notes []string
}

// Succeeded reports whether the hook did its work: at least one check ran, and none failed but warnings. A
// warning (version pruning) never fails the hook, yet it is work done: a post-traffic hook that only prunes (no
// traffic gate, no alarm check, as under all-at-once) succeeds, also when a deletion failed. Only a hook that ran
// no check at all (it could not read its configuration or the deployment, which adds a failed check anyway, or it
// was given nothing to do) fails for want of checks.
func (r Result) Succeeded() bool {
	for _, c := range r.Checks {
		if !c.Passed && !c.Warning {
			return false
		}
	}
	return len(r.Checks) > 0
}

func (r *Result) add(name string, err error, detail string) {
	c := Check{Name: name, Passed: err == nil, Detail: detail}
	if err != nil {
		c.Detail = err.Error()
	}
	r.Checks = append(r.Checks, c)
}

// Handle is the Lambda handler: it runs the checks for the deployment in raw and reports the status to
// CodeDeploy. It returns an error only when the event names no deployment to report to, so that the invocation
// shows as failed; otherwise the status reported to CodeDeploy carries the outcome, and returning nil tells Lambda
// the invocation succeeded, so that its on-failure destination (the failure reporter) is not invoked.
func (h *Hook) Handle(ctx context.Context, raw json.RawMessage) error {
	log := h.Log
	if log == nil {
		log = io.Discard
	}
	var ev Event
	if err := json.Unmarshal(raw, &ev); err != nil || ev.DeploymentID == "" || ev.LifecycleEventHookExecutionID == "" {
		if err == nil {
			err = errors.New("DeploymentId and LifecycleEventHookExecutionId are required")
		}
		fmt.Fprintf(log, "bluegreen hook: malformed event %s: %v\n", truncate(string(raw), 200), err)
		if ev.DeploymentID != "" && ev.LifecycleEventHookExecutionID != "" {
			h.report(ctx, ev, false, log)
			return nil
		}
		return fmt.Errorf("bluegreen hook: malformed event: %w", err)
	}

	var hookARN string
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		hookARN = lc.InvokedFunctionArn
	}
	watchdog := h.armWatchdog(ctx, ev, hookARN, log)
	checkCtx, cancel := h.checkContext(ctx)
	defer cancel()
	result := h.runSafely(checkCtx, ev)
	if checkCtx.Err() != nil && ctx.Err() == nil {
		result.add("deadline", fmt.Errorf("the checks did not finish before the hook's deadline (%v kept to report)",
			h.margin()), "")
	}
	fmt.Fprint(log, result.Report(h.Config.Phase, ev.DeploymentID))
	h.report(ctx, ev, result.Succeeded(), log)
	h.disarmWatchdog(ctx, watchdog, log)
	return nil
}

// checkContext returns ctx shortened by the report margin, so the result can still be reported.
func (h *Hook) checkContext(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, deadline.Add(-h.marginFor(deadline.Sub(h.now()))))
}

// margin is the time kept free to report: ReportMargin (default 10 seconds), but never more than a quarter of the
// time the invocation has, so that a short timeout still leaves the checks most of it.
func (h *Hook) margin() time.Duration { return h.marginFor(0) }

func (h *Hook) marginFor(remaining time.Duration) time.Duration {
	m := h.ReportMargin
	if m <= 0 {
		m = 10 * time.Second
	}
	if remaining > 0 && m > remaining/4 {
		m = remaining / 4
	}
	return m
}

// runSafely runs the checks and turns a panic into a failed check.
func (h *Hook) runSafely(ctx context.Context, ev Event) (result Result) {
	defer func() {
		if r := recover(); r != nil {
			result.add("hook", fmt.Errorf("panic: %v\n%s", r, debug.Stack()), "")
		}
	}()
	if h.ConfigError != nil {
		result.add("read the hook's configuration", h.ConfigError, "")
		return result
	}
	target, err := h.target(ctx, ev.DeploymentID)
	if err != nil {
		result.add("read the deployment", err, "")
		return result
	}
	result.Target = target
	if Return(target) {
		result.add("a return to an earlier release", nil, fmt.Sprintf("version %s is older than version %s, which "+
			"the alias serves: a rollback (CloudFormation rolling a stack update back, or bluegreen rollback) to a "+
			"version that served before; no test, alarm check or pruning runs, so nothing can hold it up",
			target.TargetVersion, target.CurrentVersion))
		return result
	}
	if len(h.Config.Targets) > 0 && h.Config.Phase == hookconfig.PreTraffic {
		// A shared hook: the function's tag names its own checks.
		own, err := h.checksFor(ctx, target)
		if err != nil {
			result.add("choose the function's checks", err, "")
			return result
		}
		h = own
	}
	if h.Config.Phase == hookconfig.PostTraffic {
		h.postTraffic(ctx, target, &result)
	} else {
		h.preTraffic(ctx, target, &result)
	}
	return result
}

// report sends the status to CodeDeploy (see reportStatus).
func (h *Hook) report(ctx context.Context, ev Event, succeeded bool, log io.Writer) {
	status := cdtypes.LifecycleEventStatusFailed
	if succeeded {
		status = cdtypes.LifecycleEventStatusSucceeded
	}
	_ = reportStatus(ctx, h.CodeDeploy, ev, status, h.ReportAttempts, log)
}

// reportStatus sends status for the hook execution of ev to CodeDeploy, retrying on errors (throttling among
// them) until it succeeds, the attempts (default 5) run out, or ctx ends; it logs the outcome and returns the
// last error, or nil once CodeDeploy holds a status for the execution.
//
// CodeDeploy keeps the first status of a hook execution and refuses any later one with
// LifecycleEventAlreadyCompletedException, "An attempt to return the status of an already completed lifecycle
// event occurred" (CodeDeploy API Reference, PutLifecycleEventHookExecutionStatus, Errors). A second report
// happens by design: Lambda may deliver the hook's event more than once (AWS Lambda Developer Guide, "Asynchronous
// invocation": "Even if your function doesn't return an error, it's possible for it to receive the same event from
// Lambda multiple times because the queue itself is eventually consistent"), and the failure reporter reports
// Failed for a hook invocation that failed after it had reported. So that refusal means the work is done: it is
// logged, not retried, and not an error.
func reportStatus(ctx context.Context, cd CodeDeployAPI, ev Event, status cdtypes.LifecycleEventStatus, attempts int,
	log io.Writer) error {
	if attempts <= 0 {
		attempts = 5
	}
	wait := 200 * time.Millisecond
	var err error
	for i := 0; i < attempts; i++ {
		_, err = cd.PutLifecycleEventHookExecutionStatus(ctx, &codedeploy.PutLifecycleEventHookExecutionStatusInput{
			DeploymentId:                  &ev.DeploymentID,
			LifecycleEventHookExecutionId: &ev.LifecycleEventHookExecutionID,
			Status:                        status,
		})
		if err == nil {
			fmt.Fprintf(log, "bluegreen hook: reported %s to CodeDeploy\n", status)
			return nil
		}
		if alreadyCompleted(err) {
			fmt.Fprintf(log, "bluegreen hook: CodeDeploy already holds a status for hook execution %s of deployment %s "+
				"(LifecycleEventAlreadyCompletedException): this %s is not recorded, the first report stands (a repeated "+
				"delivery of the hook's event, or a report by the hook and by its failure reporter)\n",
				ev.LifecycleEventHookExecutionID, ev.DeploymentID, status)
			return nil
		}
		if !retryable(err) || i == attempts-1 {
			break
		}
		select {
		case <-ctx.Done():
			i = attempts
		case <-time.After(wait):
			wait *= 2
		}
	}
	fmt.Fprintf(log, "bluegreen hook: could not report %s to CodeDeploy: %v\n", status, err)
	return err
}

// alreadyCompleted reports whether CodeDeploy refused a status because the hook execution already has one.
func alreadyCompleted(err error) bool {
	var done *cdtypes.LifecycleEventAlreadyCompletedException
	var apiErr smithy.APIError
	return errors.As(err, &done) || (errors.As(err, &apiErr) && apiErr.ErrorCode() == "LifecycleEventAlreadyCompletedException")
}

// retryable reports whether a failed report may succeed when sent again: throttling, server faults and network
// errors may; a client error such as a denied permission never will.
func retryable(err error) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return true
	}
	return apiErr.ErrorFault() != smithy.FaultClient || strings.Contains(apiErr.ErrorCode(), "Throttl") ||
		apiErr.ErrorCode() == "TooManyRequestsException"
}

// Report renders the result for a person.
func (r Result) Report(phase hookconfig.Phase, deploymentID string) string {
	var b strings.Builder
	verdict := "FAILED"
	if r.Succeeded() {
		verdict = "PASSED"
	}
	target := "unknown version"
	if r.Target.FunctionName != "" {
		target = fmt.Sprintf("%s version %s (blue: %s, alias %s)", r.Target.FunctionName, r.Target.TargetVersion,
			r.Target.CurrentVersion, r.Target.Alias)
	}
	fmt.Fprintf(&b, "bluegreen hook: %s checks of %s %s (deployment %s)\n", phase, target, verdict, deploymentID)
	if len(r.Checks) == 0 {
		b.WriteString("  ✗ no check ran\n")
	}
	for _, c := range r.Checks {
		mark := "✓"
		switch {
		case !c.Passed && c.Warning:
			mark = "!"
		case !c.Passed:
			mark = "✗"
		}
		fmt.Fprintf(&b, "  %s %s", mark, c.Name)
		if c.Detail != "" {
			fmt.Fprintf(&b, ": %s", c.Detail)
		}
		b.WriteString("\n")
		for _, n := range c.Notes {
			fmt.Fprintf(&b, "      %s\n", n)
		}
	}
	return b.String()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func (h *Hook) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// checksFor returns a copy of h that runs the checks of the function t shifts: those of the key in its tag
// hookconfig.TargetTagKey, or h's own when it has none. GetFunction returns the function's tags ("Tags: The
// function's tags", Lambda API reference, GetFunction).
func (h *Hook) checksFor(ctx context.Context, t Target) (*Hook, error) {
	out, err := h.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: &t.FunctionName})
	if err != nil {
		return nil, fmt.Errorf("GetFunction %s (to read its tag %s): %w", t.FunctionName, hookconfig.TargetTagKey, err)
	}
	key, tagged := out.Tags[hookconfig.TargetTagKey]
	if !tagged {
		return h, nil
	}
	cfg, ok := h.Config.For(key)
	if !ok {
		return nil, fmt.Errorf("%s is tagged %s=%s, which this hook does not know (its keys: %s): was it tagged by "+
			"another hook?", t.FunctionName, hookconfig.TargetTagKey, key, strings.Join(sortedKeys(h.Config.Targets), ", "))
	}
	own := *h
	own.Config = cfg
	return &own, nil
}
