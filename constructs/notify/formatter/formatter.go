// Package formatter is the logic of the notification Lambda that package notify deploys: for each CodeDeploy
// deployment state change EventBridge delivers, it reads the deployment (which function, which versions, and,
// when it failed or stopped, why) and publishes one readable notice to the notification topic: plain text for
// e-mail, an AWS chat custom notification (Slack, Microsoft Teams) for every other protocol.
//
// The event itself names only the application, the deployment group, the deployment id and the new state
// (EventBridge, "CodeDeploy Deployment State-change Notification"). Everything else comes from CodeDeploy's API:
// GetDeployment (status, creator, errorInformation, rollbackInfo, the AppSpec with the function, alias and
// versions), GetApplicationRevision when the deployment carries only the AppSpec's hash, the deployment target's
// lifecycle events (which hook failed) and, for a deployment stopped by an alarm, the group's alarms and their
// state in CloudWatch. What cannot be read is said in the notice instead of holding it back.
package formatter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/safeship/lambda-bluegreen/internal/appspec"
	"github.com/safeship/lambda-bluegreen/internal/deployment"
)

// HandlerPackage is the import path of the notification Lambda's main package, which calls Main.
const HandlerPackage = "github.com/safeship/lambda-bluegreen/constructs/notify/handler"

// TopicEnv is the environment variable that holds the ARN of the topic notices are published to.
const TopicEnv = "NOTIFY_TOPIC_ARN"

// CodeDeployAPI is the part of the CodeDeploy client the formatter uses: the calls that read one deployment, its
// targets and its group (internal/deployment reads them).
type CodeDeployAPI = deployment.CodeDeployAPI

// CloudWatchAPI is the part of the CloudWatch client the formatter uses: DescribeAlarms.
type CloudWatchAPI = deployment.CloudWatchAPI

// SNSAPI is the part of the SNS client the formatter uses.
type SNSAPI interface {
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Formatter turns CodeDeploy deployment events into notices and publishes them. Set the clients and TopicARN.
type Formatter struct {
	CodeDeploy CodeDeployAPI
	CloudWatch CloudWatchAPI
	SNS        SNSAPI
	// TopicARN is the topic every notice is published to.
	TopicARN string
	// Log receives each notice's text. Default: io.Discard.
	Log io.Writer
}

// Handle is the Lambda handler. It publishes one notice for the event and returns an error only when it could not
// publish it (or the event is not a deployment state change): Lambda then retries the event and, after its last
// attempt, sends the invocation record (the original event, requestPayload) to the function's on-failure
// destination, the same topic, so that the deployment still reaches the team, unformatted.
func (f *Formatter) Handle(ctx context.Context, ev events.CodeDeployEvent) error {
	if ev.DetailType != events.CodeDeployDeploymentEventDetailType || ev.Detail.DeploymentID == "" {
		return fmt.Errorf("notify: not a CodeDeploy deployment state change (detail-type %q, deployment %q)",
			ev.DetailType, ev.Detail.DeploymentID)
	}
	n := f.Notice(ctx, ev)
	message, err := n.Message()
	if err != nil {
		return err
	}
	log := f.Log
	if log == nil {
		log = io.Discard
	}
	fmt.Fprint(log, n.Text())
	// SNS, Publish, MessageStructure: "Set MessageStructure to json if you want to send a different message for
	// each protocol. … If you set MessageStructure to json, the value of the Message parameter must: be a
	// syntactically valid JSON object; and contain at least a top-level JSON key of "default" with a value that is
	// a string." E-mail gets the text; everything else (the chat integration subscribes over HTTPS) the default.
	_, err = f.SNS.Publish(ctx, &sns.PublishInput{
		TopicArn:         &f.TopicARN,
		Subject:          ptr(n.Subject()),
		Message:          &message,
		MessageStructure: ptr("json"),
	})
	if err != nil {
		return fmt.Errorf("notify: publishing the notice of deployment %s to %s: %w", n.DeploymentID, f.TopicARN, err)
	}
	return nil
}

// Notice is what a team is told about one deployment state change.
type Notice struct {
	// State is the event's state: START, SUCCESS, FAILURE, STOP or READY.
	State string
	// EventID is the EventBridge event's id.
	EventID string
	// Time is when the state changed.
	Time time.Time

	Region, Account                         string
	DeploymentID, Application, Group        string
	Config, Creator, Status                 string
	Created, Completed                      time.Time
	Function, Alias, FromVersion, ToVersion string

	// Rollback is true for a deployment that rolls another back (deployment.IsRollback); RollbackOf is then the id
	// of the deployment that failed or stopped (rollbackInfo.rollbackTriggeringDeploymentId), when it says: a
	// rollback CloudFormation started (CloudFormationRollback) may not.
	Rollback   bool
	RollbackOf string
	// RolledBackBy is, for a deployment that failed or stopped, the deployment that rolls it back
	// (rollbackInfo.rollbackDeploymentId), and RollbackMessage what CodeDeploy says about it.
	RolledBackBy, RollbackMessage string

	// ErrorCode and ErrorMessage are CodeDeploy's errorInformation.
	ErrorCode, ErrorMessage string
	// Reasons say, one line each, why the deployment failed or stopped: the hook that failed, the alarms in
	// ALARM, a stop on request.
	Reasons []string
	// Problems list what could not be read, so the reader knows the notice is partial.
	Problems []string
}

// Notice reads the deployment of ev and explains its new state. It always returns a notice: an API error becomes
// one of its Problems.
func (f *Formatter) Notice(ctx context.Context, ev events.CodeDeployEvent) Notice {
	n := Notice{
		State: string(ev.Detail.State), EventID: ev.ID, Time: ev.Time, Region: ev.Region, Account: ev.AccountID,
		DeploymentID: ev.Detail.DeploymentID, Application: ev.Detail.Application, Group: ev.Detail.DeploymentGroup,
	}
	if n.Region == "" {
		n.Region = ev.Detail.Region
	}
	r := f.reader()
	info, err := r.Get(ctx, n.DeploymentID)
	if err != nil {
		n.Problems = append(n.Problems, fmt.Sprintf("could not read the deployment (GetDeployment): %v", cause(err, "no deployment returned")))
		return n
	}
	n.Config, n.Creator, n.Status = deref(info.DeploymentConfigName), string(info.Creator), string(info.Status)
	if info.CreateTime != nil {
		n.Created = *info.CreateTime
	}
	if info.CompleteTime != nil {
		n.Completed = *info.CompleteTime
	}
	// internal/deployment explains the deployment: its errorInformation, the rollbackInfo that links a release and
	// its rollback (each a deployment of its own), the function, alias and versions of its AppSpec.
	content, err := r.AppSpec(ctx, "", *info)
	if err != nil {
		n.Problems = append(n.Problems, appSpecProblem(err))
	}
	s := deployment.Summarize(info, content, nil)
	n.Problems = append(n.Problems, s.Problems...)
	// A rollback redeploys "a previously deployed revision" (CodeDeploy user guide, "Redeploy and roll back a
	// deployment"): its own AppSpec is that earlier release's. FollowRollback takes the versions from the deployment
	// it rolls back instead: from that one's green back to its blue.
	if err := r.FollowRollback(ctx, "", &s, false); err != nil {
		n.Problems = append(n.Problems, fmt.Sprintf("could not read the rolled-back deployment %s (GetDeployment): %v",
			s.RollbackOf, cause(err, "no deployment info")))
	} else if s.Release != nil {
		n.Problems = append(n.Problems, s.Release.Problems...)
	}
	n.Rollback, n.RollbackOf, n.RolledBackBy, n.RollbackMessage = s.Rollback, s.RollbackOf, s.RolledBackBy, s.RollbackMessage
	n.ErrorCode, n.ErrorMessage = s.ErrorCode, s.ErrorMessage
	n.Function, n.Alias, n.FromVersion, n.ToVersion = s.Function, s.Alias, s.Blue, s.Green

	if n.State != string(events.CodeDeployDeploymentStateFailure) && n.State != string(events.CodeDeployDeploymentStateStop) {
		return n
	}
	n.Reasons = f.reasons(ctx, r, &n, info, s, appspec.Hooks(content))
	return n
}

// reasons explains a deployment that failed or stopped, with what deployment.Why decides ended it. CodeDeploy's API
// Reference documents the error codes (ErrorInformation: ALARM_ACTIVE, HOOK_EXECUTION_FAILURE, MANUAL_STOP among
// them) but not the text of their messages, so the formatter names the alarm and the hook itself, from the
// deployment's alarms and the target's lifecycle events (read only when Why needs them), and quotes CodeDeploy's
// message beside them. hooks are the AppSpec's hook functions, by event.
func (f *Formatter) reasons(ctx context.Context, r deployment.Reader, n *Notice, info *cdtypes.DeploymentInfo,
	s deployment.Summary, hooks map[string]string) []string {
	a := alarmReader{r: r, n: n, info: info}
	why := deployment.Why(s, func() *deployment.Hook {
		if err := r.ReadEvents(ctx, &s); err != nil {
			n.Problems = append(n.Problems, "could not read the deployment's lifecycle events: "+err.Error())
		}
		return s.FailedHook
	}, func() []string { return a.firing(ctx) })
	switch why.Kind {
	case deployment.CauseAlarm:
		return a.reasons(why.Alarms)
	case deployment.CauseHook:
		h := why.Hook
		line := h.Event + " failed"
		if h.Function != "" {
			line = fmt.Sprintf("%s hook %s (%s) reported Failed", phaseOf(h.Event), h.Function, h.Event)
		}
		if h.Message != "" {
			line += ": " + h.Message
		}
		if h.Function != "" {
			line += "; the hook's log group has its report"
		}
		return []string{truncate(line, 400)}
	case deployment.CauseStop:
		if n.ErrorCode == string(cdtypes.ErrorCodeManualStop) {
			return []string{"stopped on request (StopDeployment, from the console, the CLI or `bluegreen rollback`)"}
		}
		return []string{"stopped on request (StopDeployment)"}
	}
	// A failed lifecycle event explains other failures too (a traffic shift that failed).
	var out []string
	for _, e := range s.Events {
		if e.Status == string(cdtypes.LifecycleEventStatusFailed) {
			line := e.Name + " failed"
			if e.Message != "" {
				line += ": " + e.Message
			}
			out = append(out, truncate(line, 400))
		}
	}
	if len(out) == 0 && cdtypes.ErrorCode(n.ErrorCode) == cdtypes.ErrorCodeHookExecutionFailure {
		var names []string
		for event, fn := range hooks {
			names = append(names, fmt.Sprintf("%s (%s)", fn, event))
		}
		line := "a lifecycle hook reported Failed (HOOK_EXECUTION_FAILURE)"
		if len(names) > 0 {
			line += "; the deployment's hooks: " + strings.Join(sorted(names), ", ")
		}
		out = append(out, line)
	}
	return out
}

// alarmReader reads the deployment's rollback alarms in ALARM, with CloudWatch's reasons, once, and says what it
// could not read. The deployment's own alarm override (overrideAlarmConfiguration) wins over the group's alarms
// when it is enabled.
type alarmReader struct {
	r    deployment.Reader
	n    *Notice
	info *cdtypes.DeploymentInfo
	// names are the deployment's alarms, why the state reason of each one in ALARM; unread says why they could not
	// be read.
	names  []string
	why    map[string]string
	unread string
}

// firing returns the names of the deployment's alarms in ALARM, metric alarms first.
func (a *alarmReader) firing(ctx context.Context) []string {
	names, err := a.r.DeploymentAlarms(ctx, a.n.Application, a.n.Group, a.info)
	if err != nil {
		a.n.Problems = append(a.n.Problems, fmt.Sprintf("could not read the group's alarms (GetDeploymentGroup): %v", err))
		a.unread = "a rollback alarm fired (ALARM_ACTIVE)"
		return nil
	}
	a.names = names
	if len(names) == 0 {
		return nil
	}
	firing, err := a.r.Firing(ctx, names)
	if err != nil {
		a.n.Problems = append(a.n.Problems, fmt.Sprintf("could not read the alarms' state (DescribeAlarms): %v", err))
		a.unread = "a rollback alarm fired (ALARM_ACTIVE); the group's alarms: " + strings.Join(names, ", ")
		return nil
	}
	a.why = map[string]string{}
	var out []string
	for _, f := range firing {
		a.why[f.Name] = f.Reason
		out = append(out, f.Name)
	}
	return out
}

// reasons names the alarms that count as the cause (deployment.Why): each one in ALARM with CloudWatch's reason,
// each one CodeDeploy names that is not in ALARM any more as such.
func (a *alarmReader) reasons(cause []string) []string {
	var out []string
	for _, name := range cause {
		reason, firing := a.why[name]
		line := "rollback alarm " + name + " is in ALARM"
		switch {
		case !firing:
			line = "rollback alarm " + name + " went into ALARM (CodeDeploy names it), and is not in ALARM now: read its history"
		case reason != "":
			line += ": " + reason
		}
		out = append(out, truncate(line, 400))
	}
	switch {
	case len(out) > 0:
		return out
	case a.unread != "":
		return []string{a.unread}
	case len(a.names) == 0:
		return []string{"a rollback alarm fired (ALARM_ACTIVE); the group lists no alarm any more"}
	}
	return []string{"a rollback alarm fired (ALARM_ACTIVE), but none of the group's alarms is in ALARM now (" +
		strings.Join(a.names, ", ") + "): read their history"}
}

// reader reads deployments through the formatter's clients.
func (f *Formatter) reader() deployment.Reader {
	return deployment.Reader{CodeDeploy: f.CodeDeploy, CloudWatch: f.CloudWatch}
}

// appSpecProblem says that the AppSpec could not be read, and why.
func appSpecProblem(err error) string {
	return fmt.Sprintf("could not read the AppSpec (GetApplicationRevision): %v", cause(err, err.Error()))
}

// cause is the AWS error a reader's error wraps (the reader names the call; the notice names it its own way), or
// fallback when it wraps none (an answer without a deployment).
func cause(err error, fallback string) string {
	if inner := errors.Unwrap(err); inner != nil {
		return inner.Error()
	}
	return fallback
}

// phaseOf names the phase of a Lambda lifecycle event (CodeDeploy user guide, "AppSpec 'hooks' section for an AWS
// Lambda deployment": BeforeAllowTraffic runs before traffic shifts to the new version, AfterAllowTraffic after).
func phaseOf(event string) string {
	switch event {
	case "BeforeAllowTraffic":
		return "pre-traffic"
	case "AfterAllowTraffic":
		return "post-traffic"
	}
	return event
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func ptr[T any](v T) *T { return &v }
