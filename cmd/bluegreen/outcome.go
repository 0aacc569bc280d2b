package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/safeship/lambda-bluegreen/internal/deployment"
)

// result is what is known of the deployment so far.
func (w *watcher) result(outcome string) WatchResult {
	r := WatchResult{Deployment: w.id, Outcome: outcome, GreenPercent: max(w.share, 0),
		ElapsedSeconds: w.o.now().Sub(w.started).Seconds(), ConsoleURL: w.consoleURL()}
	if w.info != nil {
		r.Status = string(w.info.Status)
	}
	return r
}

func (w *watcher) timedOut() WatchResult {
	r := w.result(outcomeTimedOut)
	r.Reason = fmt.Sprintf("deployment %s is still %s after %s of watching; it goes on: bluegreen watch -deployment %s "+
		"follows it again, bluegreen rollback stops it", w.id, r.Status, w.o.timeout, w.id)
	return r
}

func (w *watcher) interrupted() WatchResult {
	r := w.result(outcomeInterrupted)
	r.Reason = fmt.Sprintf("stopped watching; deployment %s goes on (bluegreen status, bluegreen watch -deployment %s)", w.id, w.id)
	return r
}

// finish explains how the deployment ended, from what the polls read of it (deployment.Summarize): what ended it is
// deployment.Why's decision (the rollback alarms, a lifecycle hook whose event is Failed, a stop, or CodeDeploy's
// error code), given the alarms in ALARM at the end; the failed hook's log group is looked up, and rollbackInfo says
// which deployment rolls back.
func (w *watcher) finish(ctx context.Context) WatchResult {
	r := w.result("")
	if w.info.CreateTime != nil && w.info.CompleteTime != nil {
		r.ElapsedSeconds = w.info.CompleteTime.Sub(*w.info.CreateTime).Seconds()
	}
	if a, err := w.c.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: &w.o.function, Name: &w.o.alias}); err == nil {
		r.Serving = serving(a)
	}
	for _, n := range w.alarmNames {
		if w.alarms[n] == "ALARM" {
			r.Alarms = append(r.Alarms, n)
		}
	}
	s := deployment.Summarize(w.info, w.appSpec, w.events)
	// The outcome and the exit code are deployment.Finish's: a rollback that does not say which deployment it
	// rolls back has succeeded only in undoing a release.
	end := deployment.Finish(s)
	r.Outcome, r.ending = end.Outcome, &end
	switch end.Outcome {
	case outcomeRolledBack:
		r.Reason = fmt.Sprintf("deployment %s, created by %s, rolled a release back; %s:%s %s", w.id, w.info.Creator,
			w.o.function, w.o.alias, r.Serving)
		return r
	case outcomeSucceeded:
		r.Reason = fmt.Sprintf("%s:%s %s", w.o.function, w.o.alias, r.Serving)
		return r
	}
	r.ErrorCode, r.ErrorMessage = s.ErrorCode, s.ErrorMessage
	r.RollbackDeployment, r.RollbackMessage = s.RolledBackBy, s.RollbackMessage
	cause := deployment.Why(s, func() *deployment.Hook { return s.FailedHook }, func() []string { return r.Alarms })
	fnLogs := "/aws/lambda/" + deployment.FunctionName(w.o.function)
	switch cause.Kind {
	case deployment.CauseAlarm:
		names := cause.Alarms
		if len(names) == 0 {
			names = []string{"(CodeDeploy names none)"}
		}
		r.Alarms = names
		r.Reason = fmt.Sprintf("rollback alarm %s went into ALARM when green had reached %s of traffic; look at the alarm "+
			"(aws cloudwatch describe-alarm-history --alarm-name %s) and at green's logs in %s (version %s)",
			strings.Join(names, ", "), pct(w.peak), names[0], fnLogs, orUnknown(w.green))
	case deployment.CauseHook:
		hook := w.hookFailure(ctx, cause.Hook)
		r.Hook = hook
		stage := "the post-traffic hook"
		after := "after green took all traffic"
		if hook.Event == eventBefore {
			stage, after = "the pre-traffic hook", "before green took any traffic"
		}
		if hook.Function != "" {
			r.Reason = fmt.Sprintf("%s %s failed (%s) %s; its logs are in CloudWatch log group %s", stage, hook.Function,
				hook.Event, after, hook.LogGroup)
		} else {
			r.Reason = fmt.Sprintf("%s failed (%s) %s; the deployment's AppSpec names no hook function: its logs are in "+
				"CloudWatch log group /aws/lambda/<hook function> (bluegreen plan lists the hooks)", stage, hook.Event, after)
		}
		if hook.Message != "" {
			r.Reason += ": " + hook.Message
		}
	case deployment.CauseStop:
		r.Reason = "stopped by a user or a tool (StopDeployment: bluegreen rollback, the console, or aws deploy stop-deployment)"
	default:
		r.Reason = "CodeDeploy reports " + orUnknown(r.ErrorCode)
		if hint := codeHints[cdtypes.ErrorCode(r.ErrorCode)]; hint != "" {
			r.Reason += ": " + hint
		}
	}
	return r
}

// codeHints say what to do about the errorInformation codes a Lambda deployment of these constructs can end with
// for a reason other than a hook or an alarm.
var codeHints = map[cdtypes.ErrorCode]string{
	// DESIGN.md, "The release lifecycle": CodeDeploy refuses a deployment whose AppSpec CurrentVersion the alias
	// does not serve.
	cdtypes.ErrorCodeInvalidLambdaConfiguration: "the alias did not serve the version the stack's template holds " +
		"(was it changed outside CloudFormation?): point it back at the template's version, then deploy (docs/operating.md, Roll back a release)",
	// "IAM_ROLE_PERMISSIONS: The service role does not have the correct permissions" (API reference,
	// ErrorInformation); the usual cause is a hook the role may not invoke (DESIGN.md).
	cdtypes.ErrorCodeIamRolePermissions: "CodeDeploy's service role lacks a permission, typically to invoke a hook " +
		"function not named CodeDeployHook_*",
	// "TIMEOUT: The deployment has timed out" (API reference, ErrorInformation).
	cdtypes.ErrorCodeTimeout: "the deployment timed out; a hook that never reports fails after an hour",
}

// hookFailure is the hook whose lifecycle event failed, with its log group: Lambda logs to the log group
// /aws/lambda/<function name> unless the function's LoggingConfig names another (Lambda Developer Guide,
// "Configuring CloudWatch log groups"; GetFunctionConfiguration LoggingConfig.LogGroup).
func (w *watcher) hookFailure(ctx context.Context, f *deployment.Hook) *HookFailure {
	h := &HookFailure{Event: f.Event, Function: f.Function, Message: oneLine(f.Message)}
	if h.Function != "" {
		h.LogGroup = "/aws/lambda/" + h.Function
		cfg, err := w.c.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(f.Function)})
		if err == nil && cfg.LoggingConfig != nil && aws.ToString(cfg.LoggingConfig.LogGroup) != "" {
			h.LogGroup = aws.ToString(cfg.LoggingConfig.LogGroup)
		}
	}
	return h
}

// consoleURL is the deployment's page in the CodeDeploy console. AWS documents no URL format; this is the one the
// console itself uses.
func (w *watcher) consoleURL() string {
	if w.id == "" {
		return ""
	}
	region := w.c.codedeploy.Options().Region
	return fmt.Sprintf("https://%s.console.aws.amazon.com/codesuite/codedeploy/deployments/%s?region=%s", region, w.id, region)
}

// report prints the outcome: a headline, then one line for each thing to look at.
func (w *watcher) report(r WatchResult) {
	if r.Deployment == "" {
		return // await has reported
	}
	out := w.o.out
	took := time.Duration(r.ElapsedSeconds * float64(time.Second)).Round(time.Second)
	switch r.Outcome {
	case outcomeSucceeded:
		fmt.Fprintf(out, "SUCCEEDED  deployment %s after %s: %s\n", r.Deployment, took, r.Reason)
		return
	case outcomeTimedOut:
		fmt.Fprintf(out, "TIMED OUT  %s\n", r.Reason)
	case outcomeInterrupted:
		fmt.Fprintf(out, "INTERRUPTED  %s\n", r.Reason)
	default:
		fmt.Fprintf(out, "%s  deployment %s %s after %s: %s\n", strings.ToUpper(r.Outcome), r.Deployment, r.Status, took, r.Reason)
		if r.ErrorCode != "" || r.ErrorMessage != "" {
			fmt.Fprintf(out, "  %-10s %s: %s\n", "codedeploy", orUnknown(r.ErrorCode), oneLine(r.ErrorMessage))
		}
		if r.RollbackDeployment != "" || r.RollbackMessage != "" {
			fmt.Fprintf(out, "  %-10s %s %s\n", "rollback", r.RollbackDeployment, oneLine(r.RollbackMessage))
		}
		if r.Serving != "" {
			fmt.Fprintf(out, "  %-10s %s:%s %s\n", "now", w.o.function, w.o.alias, r.Serving)
		}
	}
	fmt.Fprintf(out, "  %-10s %s\n", "console", r.ConsoleURL)
}
