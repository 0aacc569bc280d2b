package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/safeship/lambda-bluegreen/internal/appspec"
	"github.com/safeship/lambda-bluegreen/internal/deployment"
)

// latest, as -deployment, names the group's newest deployment.
const latest = "latest"

// errNoDeployment: -deployment latest found no deployment in the group. AWS was read, so it exits 1, not 6.
var errNoDeployment = errors.New("no deployment")

// The defaults of watch's flags.
const (
	// defaultTimeout covers the longest predefined Lambda strategy (Linear10PercentEvery10Minutes: 90 minutes of
	// shifting) with half an hour left for the hooks. A hook may take up to an hour before CodeDeploy fails it
	// (DESIGN.md), so a deployment can outlast it: watch then exits 5 and the deployment goes on.
	defaultTimeout = 2 * time.Hour
	// defaultInterval: four reads a poll (GetDeployment, GetDeploymentTarget, GetAlias, DescribeAlarms), so 10 s
	// is 24 requests a minute, far from any throttling, while every change shows within 10 s: traffic moves in
	// whole minutes (CodeDeploy's intervals are whole minutes, TimeBasedCanary/TimeBasedLinear), Lambda metrics
	// and CodeDeploy's alarm check come about once a minute (DESIGN.md), and a hook can end in seconds. The AWS
	// CLI's own waiter polls GetDeployment every 15 s (aws deploy wait deployment-successful).
	defaultInterval = 10 * time.Second
	minInterval     = time.Second
	// maxTransient is how many polls in a row may fail with a throttling or transient error (after the SDK's own
	// retries) before watch gives up.
	maxTransient = 10
)

// The lifecycle events of a Lambda deployment, in order: CodeDeploy runs the BeforeAllowTraffic hook, shifts
// traffic (AllowTraffic), then runs the AfterAllowTraffic hook ("For AWS Lambda deployments, the available
// lifecycle hooks are BeforeAllowTraffic and AfterAllowTraffic", CodeDeploy API reference,
// PutLifecycleEventHookExecutionStatus; AppSpec "hooks" section for an AWS Lambda deployment).
const (
	eventBefore = appspec.BeforeAllowTraffic
	eventShift  = "AllowTraffic"
	eventAfter  = appspec.AfterAllowTraffic
)

// The statuses a lifecycle event has: Pending, InProgress, Succeeded, Failed, Skipped, Unknown (CodeDeploy API
// reference, LifecycleEvent). A Lambda hook's event is Failed when its function reported Failed or never reported
// within the hour (DESIGN.md).
const eventFailed = "Failed"

// Outcomes of watch: those of a deployment that has ended are deployment.Finish's.
const (
	outcomeSucceeded   = deployment.OutcomeSucceeded
	outcomeFailed      = deployment.OutcomeFailed
	outcomeStopped     = deployment.OutcomeStopped
	outcomeRolledBack  = deployment.OutcomeRolledBack
	outcomeTimedOut    = "timed out"
	outcomeInterrupted = "interrupted"
	outcomeError       = "error"
)

// WatchResult is what watch prints with -json.
type WatchResult struct {
	Deployment string `json:"deployment,omitempty"`
	// Status is CodeDeploy's last status of the deployment; Outcome is succeeded, failed, stopped, rolled back (a
	// rollback deployment that does not name the release it rolled back), timed out, interrupted or error; Reason says why, and what to look at.
	Status  string `json:"status,omitempty"`
	Outcome string `json:"outcome"`
	Reason  string `json:"reason,omitempty"`
	// ErrorCode and ErrorMessage are the deployment's errorInformation.
	ErrorCode    string `json:"errorCode,omitempty"`
	ErrorMessage string `json:"errorMessage,omitempty"`
	// Alarms are the rollback alarms in ALARM at the end.
	Alarms []string `json:"alarms,omitempty"`
	// Hook is the lifecycle hook that failed.
	Hook *HookFailure `json:"hook,omitempty"`
	// RollbackDeployment and RollbackMessage are the deployment's rollbackInfo.
	RollbackDeployment string `json:"rollbackDeployment,omitempty"`
	RollbackMessage    string `json:"rollbackMessage,omitempty"`
	// GreenPercent is green's last share of the alias's traffic; Serving says what the alias serves at the end.
	GreenPercent   float64 `json:"greenPercent"`
	Serving        string  `json:"serving,omitempty"`
	ConsoleURL     string  `json:"consoleUrl,omitempty"`
	ElapsedSeconds float64 `json:"elapsedSeconds"`
	// Message is the error that ended watch (outcome error).
	Message string `json:"message,omitempty"`

	// ending is how the deployment ended, when it did (deployment.Finish): its outcome and exit code.
	ending *deployment.Ending
}

// HookFailure is a lifecycle hook that failed, and where its logs are.
type HookFailure struct {
	Event    string `json:"event"`
	Function string `json:"function,omitempty"`
	LogGroup string `json:"logGroup,omitempty"`
	Message  string `json:"message,omitempty"`
}

// exitCode maps the result to the command's exit code: deployment.Finish's for a deployment that ended; runWatch
// decides that of an error (outcome error).
func (r WatchResult) exitCode() int {
	if r.ending != nil && r.Outcome == r.ending.Outcome {
		return r.ending.Exit
	}
	switch r.Outcome {
	case outcomeSucceeded:
		return exitOK
	case outcomeTimedOut:
		return exitTimeout
	case outcomeInterrupted:
		return exitInterrupted
	default:
		return exitFail
	}
}

func (c cli) runWatch(args []string, stdout, stderr io.Writer) int {
	var deployment *string
	var timeout, interval *time.Duration
	t, cl, code, done := c.parseTarget("watch", args, stdout, stderr, func(fs *flag.FlagSet) {
		deployment = fs.String("deployment", "", "the deployment to follow (d-XXXXXXXXX), or latest: the group's newest, reported at once if it has ended "+
			"(a verify step after the deploy); default: the group's deployment in progress, or else the next one to start")
		timeout = fs.Duration("timeout", defaultTimeout, "stop watching after this long, with exit code 5 (the deployment goes on)")
		interval = fs.Duration("interval", defaultInterval, "time between two reads of the deployment (at least 1s)")
	}, func(t target) string {
		switch {
		case *t.function == "":
			return requireFunction(t)
		case *t.application == "":
			return "-application and -group are required: they name the CodeDeploy deployment group to follow"
		case *interval < minInterval:
			return fmt.Sprintf("-interval must be at least %s, got %s", minInterval, *interval)
		case *timeout <= 0:
			return fmt.Sprintf("-timeout must be positive, got %s", *timeout)
		case *deployment != "" && *deployment != latest && !strings.HasPrefix(*deployment, "d-"):
			return fmt.Sprintf("-deployment takes a CodeDeploy deployment id (d-XXXXXXXXX) or latest, got %q", *deployment)
		}
		return ""
	})
	if done {
		if code == exitFail { // parseTarget fails only when it cannot connect (no region, an unknown profile…)
			return exitAWS
		}
		return code
	}
	progress := stdout
	if *t.asJSON {
		progress = stderr // stdout carries only the JSON result
	}
	o := watchOptions{function: *t.function, alias: *t.alias, application: *t.application, group: *t.group,
		deployment: *deployment, timeout: *timeout, interval: *interval,
		now: c.now, sleep: c.sleep, out: progress, terminal: c.isTerminal(progress)}
	ctx := c.context()
	if c.signals {
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt)
		defer stop()
	}
	res, err := watch(ctx, cl, o)
	code = res.exitCode()
	if err != nil {
		// Every error of watch but errNoDeployment is AWS that could not be read: exit 6, not the 1 of a failed
		// release, so that a script can tell "the release failed" from "the outcome is unknown, look again".
		code = exitAWS
		if errors.Is(err, errNoDeployment) {
			code = exitFail
		} else {
			err = fmt.Errorf("could not read AWS, the deployment's outcome is unknown: %w", explain(err))
		}
		res.Outcome, res.Message = outcomeError, err.Error()
	}
	if *t.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(res)
	}
	if err != nil {
		fmt.Fprintf(stderr, "bluegreen watch: %v\n", err)
	}
	return code
}

// isTerminal reports whether w is an interactive terminal: a character device (os.File.Stat, ModeCharDevice),
// and not TERM=dumb.
func (c cli) isTerminal(w io.Writer) bool {
	if c.terminal != nil {
		return c.terminal(w)
	}
	f, ok := w.(*os.File)
	if !ok || os.Getenv("TERM") == "dumb" {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// watchOptions are what watch follows and how it reports.
type watchOptions struct {
	function, alias, application, group string
	// deployment is the deployment to follow; "" follows the group's deployment in progress, or the next one.
	deployment        string
	timeout, interval time.Duration
	now               func() time.Time
	sleep             func(ctx context.Context, d time.Duration) error
	// out receives the progress; terminal redraws a progress bar on it instead of printing plain lines only.
	out      io.Writer
	terminal bool
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// watch follows one deployment of the group until it ends, the timeout passes or ctx ends, and returns how it
// ended. It returns an error only when AWS cannot be read (access denied, no credentials, a deployment that does
// not exist); throttling and transient errors are retried by the SDK and then at the next poll.
func watch(ctx context.Context, c clients, o watchOptions) (WatchResult, error) {
	if o.now == nil {
		o.now = time.Now
	}
	if o.sleep == nil {
		o.sleep = sleepContext
	}
	w := &watcher{c: c, o: o, share: -1, started: o.now()}
	w.deadline = w.started.Add(o.timeout)
	res, err := w.run(ctx)
	w.clearBar()
	if err == nil {
		w.report(res)
	}
	return res, err
}

type watcher struct {
	c                 clients
	o                 watchOptions
	started, deadline time.Time

	id   string
	info *cdtypes.DeploymentInfo
	// strat is the deployment's traffic shift (zero when unknown).
	strat shift
	// appSpec is the deployment's AppSpec content ("" when it could not be read), hooks its hook functions by
	// lifecycle event (Hooks); blue and green the versions shifted from and to (CurrentVersion, TargetVersion).
	appSpec     string
	hooks       map[string]string
	blue, green string
	targetID    string
	events      []cdtypes.LifecycleEvent
	shiftStart  time.Time
	share       float64 // green's share of traffic in percent; -1 before the first read
	peak        float64 // the most traffic green had
	lastStatus  cdtypes.DeploymentStatus
	alarmNames  []string
	alarmsOn    bool
	alarms      map[string]string
	lastLine    time.Time
	barDrawn    bool
	transient   int
}

// run finds the deployment, then polls it until it ends.
func (w *watcher) run(ctx context.Context) (WatchResult, error) {
	id := w.o.deployment
	if id == latest {
		d, err := w.c.deployments().Newest(ctx, w.o.application, w.o.group)
		if err != nil {
			return WatchResult{}, err
		}
		if d == nil {
			return WatchResult{}, fmt.Errorf("%w: the group %s/%s has no deployment yet", errNoDeployment, w.o.application, w.o.group)
		}
		id = aws.ToString(d.DeploymentId)
	}
	if id == "" {
		var res WatchResult
		var err error
		if id, res, err = w.await(ctx); err != nil || id == "" {
			return res, err
		}
	}
	w.id = id
	for {
		err := w.begin(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return w.interrupted(), nil
		}
		if !w.retryable(err) {
			return w.result(""), err
		}
		w.transient++
		w.say("reading the deployment failed (%d in a row, trying again in %s): %s", w.transient, w.o.interval, oneLine(err.Error()))
		if !w.o.now().Before(w.deadline) {
			return w.timedOut(), nil
		}
		if w.o.sleep(ctx, min(w.o.interval, w.deadline.Sub(w.o.now()))) != nil {
			return w.interrupted(), nil
		}
	}
	w.transient = 0
	for {
		err := w.poll(ctx)
		switch {
		case ctx.Err() != nil:
			return w.interrupted(), nil
		case err != nil && w.retryable(err):
			w.transient++
			w.say("reading the deployment failed (%d in a row, trying again in %s): %s", w.transient, w.o.interval, oneLine(err.Error()))
		case err != nil:
			return w.result(""), err
		default:
			w.transient = 0
		}
		// Finish only after a whole poll: a read that failed after the final status was stored would leave the
		// lifecycle events (which hook failed) or the alarms of an earlier poll; the next poll reads them again.
		if err == nil && w.info != nil && !deployment.IsActive(w.info.Status) {
			return w.finish(ctx), nil
		}
		w.heartbeat()
		w.drawBar()
		if !w.o.now().Before(w.deadline) {
			return w.timedOut(), nil
		}
		if w.o.sleep(ctx, min(w.o.interval, w.deadline.Sub(w.o.now()))) != nil {
			return w.interrupted(), nil
		}
	}
}

// retryable reports whether a failed poll is worth repeating: a throttling or transient error the SDK's
// retryer gave up on (its own lists: retry.DefaultThrottles, retry.DefaultRetryables), fewer than maxTransient
// times in a row. A credential failure never is.
func (w *watcher) retryable(err error) bool {
	var creds *credentialsError
	if errors.As(err, &creds) || w.transient+1 >= maxTransient {
		return false
	}
	return retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary ||
		retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary
}

// await returns the deployment to follow: the group's deployment in progress, or else the next one created.
// With none before the deadline, it returns "" and the result to report.
func (w *watcher) await(ctx context.Context) (string, WatchResult, error) {
	app, group := w.o.application, w.o.group
	// Deployments created since a little before now (ListDeployments createTimeRange; the hour absorbs clock
	// skew), less those already there, are new. They are listed before the active one is looked for, so that a
	// deployment created between the two reads is either active or new, never taken for an old one.
	since := w.started.Add(-time.Hour)
	known, err := w.c.deployments().CreatedSince(ctx, app, group, since)
	if err != nil {
		return "", WatchResult{}, err
	}
	active, err := w.c.deployments().NewestActive(ctx, app, group)
	if err != nil {
		return "", WatchResult{}, err
	}
	if active != nil {
		w.say("deployment %s of %s/%s is %s: following it", aws.ToString(active.DeploymentId), app, group, active.Status)
		return aws.ToString(active.DeploymentId), WatchResult{}, nil
	}
	seen := map[string]bool{}
	for _, id := range known {
		seen[id] = true
	}
	w.say("waiting for the next deployment of %s/%s: it starts when a deploy changes %s (./cdkw deploy); up to %s",
		app, group, w.o.function, w.o.timeout)
	for {
		if !w.o.now().Before(w.deadline) {
			res := WatchResult{Outcome: outcomeTimedOut, GreenPercent: 0, ElapsedSeconds: w.o.now().Sub(w.started).Seconds(),
				Reason: fmt.Sprintf("no deployment of %s/%s started within %s", app, group, w.o.timeout)}
			w.clearBar()
			fmt.Fprintf(w.o.out, "TIMED OUT  %s\n", res.Reason)
			return "", res, nil
		}
		if w.o.sleep(ctx, min(w.o.interval, w.deadline.Sub(w.o.now()))) != nil {
			res := WatchResult{Outcome: outcomeInterrupted, ElapsedSeconds: w.o.now().Sub(w.started).Seconds(),
				Reason: "interrupted while waiting for a deployment"}
			w.clearBar()
			fmt.Fprintf(w.o.out, "INTERRUPTED  %s\n", res.Reason)
			return "", res, nil
		}
		ids, err := w.c.deployments().CreatedSince(ctx, app, group, since)
		if err != nil {
			if w.retryable(err) {
				w.transient++
				continue
			}
			return "", WatchResult{}, err
		}
		w.transient = 0
		for _, id := range ids {
			if !seen[id] {
				w.say("deployment %s started", id)
				return id, WatchResult{}, nil
			}
		}
	}
}

// begin reads what does not change during the deployment: its traffic shift, its AppSpec (versions and hooks)
// and the group's rollback alarms, and says what is being followed.
func (w *watcher) begin(ctx context.Context) error {
	info, err := w.c.deployments().Get(ctx, w.id)
	if err != nil {
		return err
	}
	// A rollback is a deployment of its own: "CodeDeploy rolls back deployments by redeploying a previously
	// deployed revision of an application as a new deployment … with new deployment IDs" (user guide, "Redeploy and
	// roll back a deployment"), and it may be the newest or the only active one when watch looks. Its success is
	// not the release's: follow the deployment it rolls back (RollbackInfo.rollbackTriggeringDeploymentId, "the
	// deployment that was underway and triggered a rollback deployment because it failed or was stopped").
	if of := deployment.RollbackOf(info); of != "" {
		w.say("deployment %s rolls back deployment %s: following %s, the release it rolled back", w.id, of, of)
		w.id = of
		if info, err = w.c.deployments().Get(ctx, w.id); err != nil {
			return err
		}
	}
	w.info = info
	app := w.o.application
	if info.ApplicationName != nil {
		app = *info.ApplicationName
	}
	if content, err := w.c.deployments().AppSpec(ctx, app, *info); err == nil {
		w.appSpec, w.hooks = content, appspec.Hooks(content)
		if f, err := appspec.Parse(content); err == nil {
			w.blue, w.green = f.CurrentVersion, f.TargetVersion
		}
	}
	from := ""
	if w.blue != "" && w.green != "" {
		from = fmt.Sprintf(" from version %s to %s", w.blue, w.green)
	}
	by := ""
	if info.Creator != "" {
		by = " by " + string(info.Creator)
	}
	w.say("following deployment %s of %s/%s: %s:%s%s, created%s at %s", w.id, app, aws.ToString(info.DeploymentGroupName),
		w.o.function, w.o.alias, from, by, clock(info.CreateTime))
	w.readStrategy(ctx)
	names, enabled, err := w.c.deployments().GroupAlarms(ctx, app, aws.ToString(info.DeploymentGroupName))
	if err != nil {
		return err
	}
	w.alarmNames, w.alarmsOn = names, enabled
	switch {
	case len(names) == 0:
		w.say("alarms   none: no rollback alarm watches this group")
	case !enabled:
		w.say("alarms   %d, monitoring off (an emergency bypass): CodeDeploy ignores them", len(names))
	}
	return nil
}

// readStrategy reads the deployment's traffic shift from its deployment config (GetDeploymentConfig:
// trafficRoutingConfig, TimeBasedCanary canaryPercentage and canaryInterval in minutes, TimeBasedLinear
// linearPercentage and linearInterval in minutes, or AllAtOnce; CodeDeploy API reference, TrafficRoutingConfig).
// Without it (no permission, say), a predefined config is known by its name; otherwise the bar shows green's share
// only.
func (w *watcher) readStrategy(ctx context.Context) {
	name := aws.ToString(w.info.DeploymentConfigName)
	out, err := w.c.codedeploy.GetDeploymentConfig(ctx, &codedeploy.GetDeploymentConfigInput{DeploymentConfigName: &name})
	if err == nil && out.DeploymentConfigInfo != nil && out.DeploymentConfigInfo.TrafficRoutingConfig != nil {
		r := out.DeploymentConfigInfo.TrafficRoutingConfig
		switch {
		case r.Type == cdtypes.TrafficRoutingTypeTimeBasedCanary && r.TimeBasedCanary != nil:
			w.strat = shift{kind: r.Type, percent: int(r.TimeBasedCanary.CanaryPercentage),
				interval: time.Duration(r.TimeBasedCanary.CanaryInterval) * time.Minute}
		case r.Type == cdtypes.TrafficRoutingTypeTimeBasedLinear && r.TimeBasedLinear != nil:
			w.strat = shift{kind: r.Type, percent: int(r.TimeBasedLinear.LinearPercentage),
				interval: time.Duration(r.TimeBasedLinear.LinearInterval) * time.Minute}
		case r.Type == cdtypes.TrafficRoutingTypeAllAtOnce:
			w.strat = shift{kind: r.Type, percent: 100}
		}
	} else {
		w.strat = predefinedShift(name)
	}
	if !w.strat.valid() {
		w.strat = shift{}
		why := "unknown traffic routing"
		if err != nil {
			why = oneLine(explain(err).Error())
		}
		w.say("strategy %s: timeline unknown (%s); the bar shows green's share", name, why)
		return
	}
	var steps []string
	for _, s := range w.strat.steps() {
		steps = append(steps, fmt.Sprintf("%s → %s", s.at, pct(s.percent)))
	}
	label := strings.TrimPrefix(name, "CodeDeployDefault.Lambda")
	if label == name && name != w.strat.String() { // a custom config: name its shape too
		label = fmt.Sprintf("%s (%s)", name, w.strat)
	}
	w.say("strategy %s: %s; green has all traffic %s after the pre-traffic hook", label, strings.Join(steps, ", "), w.strat.total())
}

// poll reads the deployment, its lifecycle events, the alias's weights and the alarms, and prints what changed.
func (w *watcher) poll(ctx context.Context) error {
	info, err := w.c.deployments().Get(ctx, w.id)
	if err != nil {
		return err
	}
	if info.Status != w.lastStatus {
		w.say("status   %s", info.Status)
		w.lastStatus = info.Status
	}
	w.info = info
	if info.Status != cdtypes.DeploymentStatusCreated && info.Status != cdtypes.DeploymentStatusQueued {
		if err := w.readEvents(ctx); err != nil {
			return err
		}
	}
	if err := w.readTraffic(ctx); err != nil {
		return err
	}
	return w.readAlarms(ctx)
}

// readEvents reads the Lambda target's lifecycle events (ListDeploymentTargets, GetDeploymentTarget: a Lambda
// deployment has one target, the alias) and prints each change of status.
func (w *watcher) readEvents(ctx context.Context) error {
	id, lt, err := w.c.deployments().LambdaTarget(ctx, w.id, w.targetID)
	if id != "" {
		w.targetID = id // listed once: kept when GetDeploymentTarget fails (throttled) or names no Lambda target
	}
	if err != nil || lt == nil {
		return err
	}
	if fi := lt.LambdaFunctionInfo; fi != nil {
		if w.blue == "" {
			w.blue = aws.ToString(fi.CurrentVersion)
		}
		if w.green == "" {
			w.green = aws.ToString(fi.TargetVersion)
		}
	}
	previous := map[string]cdtypes.LifecycleEventStatus{}
	for _, e := range w.events {
		previous[aws.ToString(e.LifecycleEventName)] = e.Status
	}
	for _, e := range lt.LifecycleEvents {
		name := aws.ToString(e.LifecycleEventName)
		if name == eventShift && w.shiftStart.IsZero() &&
			(e.Status == cdtypes.LifecycleEventStatusInProgress || e.Status == cdtypes.LifecycleEventStatusSucceeded) {
			w.shiftStart = w.o.now()
			if e.StartTime != nil {
				w.shiftStart = *e.StartTime
			}
		}
		old, seen := previous[name]
		if e.Status == old || (!seen && e.Status == cdtypes.LifecycleEventStatusPending) {
			continue
		}
		line := fmt.Sprintf("%-8s %s %s", "hook", name, e.Status)
		if name == eventShift {
			line = fmt.Sprintf("%-8s %s %s", "shift", name, e.Status)
		} else if fn := w.hooks[name]; fn != "" {
			line = fmt.Sprintf("%-8s %s (%s) %s", "hook", name, fn, e.Status)
		}
		if d := e.Diagnostics; d != nil && e.Status == eventFailed && aws.ToString(d.Message) != "" {
			line += ": " + oneLine(aws.ToString(d.Message))
		}
		w.say("%s", line)
	}
	w.events = lt.LifecycleEvents
	return nil
}

// readTraffic reads green's share of the alias's traffic (GetAlias: RoutingConfig.AdditionalVersionWeights is the
// share of the versions other than FunctionVersion, Lambda API reference, AliasRoutingConfiguration) and prints it
// when it changes.
func (w *watcher) readTraffic(ctx context.Context) error {
	fn, alias := w.o.function, w.o.alias
	a, err := w.c.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: &fn, Name: &alias})
	if err != nil {
		return fmt.Errorf("GetAlias %s:%s: %w", fn, alias, err)
	}
	share := 0.0
	var weights map[string]float64
	if a.RoutingConfig != nil {
		weights = a.RoutingConfig.AdditionalVersionWeights
	}
	switch {
	case w.green != "" && aws.ToString(a.FunctionVersion) == w.green && len(weights) == 0:
		share = 100
	case w.green != "":
		share = weights[w.green] * 100
	default:
		for _, v := range weights {
			share += v * 100
		}
	}
	share = math.Round(share*10) / 10
	if share == w.share {
		return nil
	}
	w.share = share
	w.peak = max(w.peak, share)
	version := ""
	if w.green != "" {
		version = " (version " + w.green + ")"
	}
	w.say("traffic  green%s %s  %s", version, pct(share), w.progress(false))
	return nil
}

// readAlarms reads the state of every rollback alarm of the group and prints each change.
func (w *watcher) readAlarms(ctx context.Context) error {
	if len(w.alarmNames) == 0 {
		return nil
	}
	states, err := w.c.deployments().AlarmStates(ctx, w.alarmNames)
	if err != nil {
		return err
	}
	for _, n := range w.alarmNames {
		if old, ok := w.alarms[n]; !ok || old != states[n] {
			w.say("alarm    %-17s %s", states[n], n)
		}
	}
	w.alarms = states
	return nil
}
