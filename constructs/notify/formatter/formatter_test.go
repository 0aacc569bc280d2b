package formatter_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/safeship/lambda-bluegreen/constructs/notify/formatter"
)

// appSpec is what CloudFormation gives CodeDeploy for an alias update with both hooks.
const appSpec = `{"version":0.0,"Resources":[{"Api":{"Type":"AWS::Lambda::Function","Properties":` +
	`{"Name":"api-fn","Alias":"live","CurrentVersion":"6","TargetVersion":"7"}}}],` +
	`"Hooks":[{"BeforeAllowTraffic":"api-pre-hook"},{"AfterAllowTraffic":"api-post-hook"}]}`

// fakeAWS answers the formatter's CodeDeploy, CloudWatch and SNS calls from memory and records them.
type fakeAWS struct {
	deployment    *cdtypes.DeploymentInfo
	deploymentErr error
	others        map[string]*cdtypes.DeploymentInfo // other deployments GetDeployment knows, by id
	revision      string                             // what GetApplicationRevision answers
	groupAlarms   []string
	alarms        map[string]string // name → state reason, for alarms in ALARM
	composite     map[string]string
	lifecycle     []cdtypes.LifecycleEvent
	targetsErr    error
	publishErr    error

	calls     []string
	alarmReq  *cloudwatch.DescribeAlarmsInput
	published []*sns.PublishInput
}

func (f *fakeAWS) GetDeployment(_ context.Context, in *codedeploy.GetDeploymentInput, _ ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentOutput, error) {
	f.calls = append(f.calls, "GetDeployment "+*in.DeploymentId)
	if f.deploymentErr != nil {
		return nil, f.deploymentErr
	}
	if *in.DeploymentId != *f.deployment.DeploymentId {
		if other, ok := f.others[*in.DeploymentId]; ok {
			return &codedeploy.GetDeploymentOutput{DeploymentInfo: other}, nil
		}
		return nil, &cdtypes.DeploymentDoesNotExistException{Message: aws.String("no deployment " + *in.DeploymentId)}
	}
	return &codedeploy.GetDeploymentOutput{DeploymentInfo: f.deployment}, nil
}

func (f *fakeAWS) GetApplicationRevision(_ context.Context, in *codedeploy.GetApplicationRevisionInput, _ ...func(*codedeploy.Options)) (*codedeploy.GetApplicationRevisionOutput, error) {
	f.calls = append(f.calls, "GetApplicationRevision "+*in.ApplicationName)
	return &codedeploy.GetApplicationRevisionOutput{Revision: &cdtypes.RevisionLocation{
		//lint:ignore SA1019 the older String form, which CodeDeploy still returns and the formatter still reads
		RevisionType: cdtypes.RevisionLocationTypeString, String_: &cdtypes.RawString{Content: aws.String(f.revision)},
	}}, nil
}

func (f *fakeAWS) GetDeploymentGroup(_ context.Context, in *codedeploy.GetDeploymentGroupInput, _ ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentGroupOutput, error) {
	f.calls = append(f.calls, "GetDeploymentGroup "+*in.ApplicationName+"/"+*in.DeploymentGroupName)
	var alarms []cdtypes.Alarm
	for _, n := range f.groupAlarms {
		alarms = append(alarms, cdtypes.Alarm{Name: aws.String(n)})
	}
	return &codedeploy.GetDeploymentGroupOutput{DeploymentGroupInfo: &cdtypes.DeploymentGroupInfo{
		AlarmConfiguration: &cdtypes.AlarmConfiguration{Enabled: true, Alarms: alarms},
	}}, nil
}

func (f *fakeAWS) ListDeploymentTargets(_ context.Context, in *codedeploy.ListDeploymentTargetsInput, _ ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentTargetsOutput, error) {
	f.calls = append(f.calls, "ListDeploymentTargets "+*in.DeploymentId)
	if f.targetsErr != nil {
		return nil, f.targetsErr
	}
	return &codedeploy.ListDeploymentTargetsOutput{TargetIds: []string{"api-fn"}}, nil
}

func (f *fakeAWS) GetDeploymentTarget(_ context.Context, in *codedeploy.GetDeploymentTargetInput, _ ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentTargetOutput, error) {
	f.calls = append(f.calls, "GetDeploymentTarget "+*in.TargetId)
	return &codedeploy.GetDeploymentTargetOutput{DeploymentTarget: &cdtypes.DeploymentTarget{
		DeploymentTargetType: cdtypes.DeploymentTargetTypeLambdaTarget,
		LambdaTarget:         &cdtypes.LambdaTarget{LifecycleEvents: f.lifecycle},
	}}, nil
}

// DescribeAlarms answers as CloudWatch does: metric alarms only unless AlarmTypes asks for composite alarms too.
func (f *fakeAWS) DescribeAlarms(_ context.Context, in *cloudwatch.DescribeAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	f.calls = append(f.calls, "DescribeAlarms")
	f.alarmReq = in
	out := &cloudwatch.DescribeAlarmsOutput{}
	composite := false
	for _, t := range in.AlarmTypes {
		composite = composite || t == cwtypes.AlarmTypeCompositeAlarm
	}
	for _, name := range in.AlarmNames {
		if reason, ok := f.alarms[name]; ok {
			out.MetricAlarms = append(out.MetricAlarms, cwtypes.MetricAlarm{AlarmName: aws.String(name), StateReason: aws.String(reason), StateValue: cwtypes.StateValueAlarm})
		}
		if reason, ok := f.composite[name]; ok && composite {
			out.CompositeAlarms = append(out.CompositeAlarms, cwtypes.CompositeAlarm{AlarmName: aws.String(name), StateReason: aws.String(reason), StateValue: cwtypes.StateValueAlarm})
		}
	}
	return out, nil
}

func (f *fakeAWS) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	f.calls = append(f.calls, "Publish")
	if f.publishErr != nil {
		return nil, f.publishErr
	}
	f.published = append(f.published, in)
	return &sns.PublishOutput{MessageId: aws.String("m-1")}, nil
}

func (f *fakeAWS) formatter() (*formatter.Formatter, *strings.Builder) {
	log := &strings.Builder{}
	return &formatter.Formatter{CodeDeploy: f, CloudWatch: f, SNS: f, TopicARN: "arn:aws:sns:eu-west-1:123456789012:deployments", Log: log}, log
}

// deployment returns the DeploymentInfo GetDeployment answers for d-1 of app/group, carrying appSpec.
func deployment(status cdtypes.DeploymentStatus) *cdtypes.DeploymentInfo {
	created := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	return &cdtypes.DeploymentInfo{
		DeploymentId: aws.String("d-1"), ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("group"),
		DeploymentConfigName: aws.String("CodeDeployDefault.LambdaCanary10Percent5Minutes"),
		Creator:              cdtypes.DeploymentCreatorCloudFormation, Status: status,
		CreateTime: &created, CompleteTime: aws.Time(created.Add(4*time.Minute + 12*time.Second)),
		Revision: &cdtypes.RevisionLocation{RevisionType: cdtypes.RevisionLocationTypeAppSpecContent,
			AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String(appSpec), Sha256: aws.String("f00d")}},
	}
}

// event is the EventBridge event of d-1 entering state.
func event(state events.CodeDeployDeploymentState) events.CodeDeployEvent {
	return events.CodeDeployEvent{
		AccountID: "123456789012", Region: "eu-west-1", DetailType: events.CodeDeployDeploymentEventDetailType,
		Source: events.CodeDeployEventSource, ID: "ev-1", Time: time.Date(2026, 12, 1, 10, 4, 12, 0, time.UTC),
		Resources: []string{"arn:aws:codedeploy:eu-west-1:123456789012:application:app",
			"arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:app/group"},
		Detail: events.CodeDeployEventDetail{Application: "app", DeploymentGroup: "group", DeploymentID: "d-1",
			State: state, Region: "eu-west-1"},
	}
}

// published is what the one Publish call carried: the subject, the e-mail text and the chat notification.
type published struct {
	subject, email string
	chat           map[string]interface{}
}

func handle(t *testing.T, f *fakeAWS, ev events.CodeDeployEvent) published {
	t.Helper()
	fm, log := f.formatter()
	if err := fm.Handle(context.Background(), ev); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if len(f.published) != 1 {
		t.Fatalf("published %d messages, want 1", len(f.published))
	}
	in := f.published[0]
	if aws.ToString(in.TopicArn) != fm.TopicARN || aws.ToString(in.MessageStructure) != "json" {
		t.Errorf("published to %q with structure %q", aws.ToString(in.TopicArn), aws.ToString(in.MessageStructure))
	}
	var perProtocol map[string]string
	if err := json.Unmarshal([]byte(aws.ToString(in.Message)), &perProtocol); err != nil {
		t.Fatalf("the message is not a JSON object of strings: %v\n%s", err, aws.ToString(in.Message))
	}
	p := published{subject: aws.ToString(in.Subject), email: perProtocol["email"]}
	if err := json.Unmarshal([]byte(perProtocol["default"]), &p.chat); err != nil {
		t.Fatalf("the default message is not JSON: %v\n%s", err, perProtocol["default"])
	}
	if p.chat["version"] != "1.0" || p.chat["source"] != "custom" {
		t.Errorf("the chat notification has version %v and source %v, want 1.0 and custom", p.chat["version"], p.chat["source"])
	}
	if p.email == "" || !strings.Contains(log.String(), p.email) {
		t.Errorf("the e-mail text is empty or not logged:\n%s", log.String())
	}
	for _, r := range p.subject {
		if r < 0x20 || r > 0x7e {
			t.Errorf("the subject %q has a character SNS refuses: %q", p.subject, r)
		}
	}
	if len(p.subject) >= 100 {
		t.Errorf("the subject has %d characters, SNS takes fewer than 100", len(p.subject))
	}
	t.Logf("subject: %s\n%s", p.subject, p.email)
	return p
}

func chatTitle(p published) string {
	content, _ := p.chat["content"].(map[string]interface{})
	return content["title"].(string)
}

func chatDescription(p published) string {
	content, _ := p.chat["content"].(map[string]interface{})
	return content["description"].(string)
}

func contains(t *testing.T, what, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s does not say %q:\n%s", what, w, text)
		}
	}
}

func TestAlarmStopNamesTheAlarmAndTheVersions(t *testing.T) {
	f := &fakeAWS{
		deployment:  deployment(cdtypes.DeploymentStatusStopped),
		groupAlarms: []string{"Svc-ErrorRate", "Svc-Latency", "Svc-Health"},
		alarms:      map[string]string{"Svc-ErrorRate": "Threshold Crossed: 1 out of the last 4 datapoints [12.5] was greater than the threshold (5.0)"},
		composite:   map[string]string{"Svc-Health": "Svc-ErrorRate is in ALARM"},
	}
	f.deployment.ErrorInformation = &cdtypes.ErrorInformation{Code: cdtypes.ErrorCodeAlarmActive, Message: aws.String("One or more alarms have been activated")}
	f.deployment.RollbackInfo = &cdtypes.RollbackInfo{RollbackDeploymentId: aws.String("d-2"), RollbackMessage: aws.String("In progress")}
	p := handle(t, f, event(events.CodeDeployDeploymentStateStop))

	contains(t, "the e-mail", p.email,
		"Deployment STOPPED: api-fn (alias live): version 6 → 7; rolling back to version 6",
		"rollback alarm Svc-ErrorRate is in ALARM: Threshold Crossed: 1 out of the last 4 datapoints",
		"rollback alarm Svc-Health is in ALARM: Svc-ErrorRate is in ALARM",
		"ALARM_ACTIVE: One or more alarms have been activated",
		"Rollback:", "d-2", "In progress",
		"d-1 (application app, group group, CodeDeployDefault.LambdaCanary10Percent5Minutes)",
		"ended after 4m12s",
		"https://eu-west-1.console.aws.amazon.com/codesuite/codedeploy/deployments/d-1?region=eu-west-1")
	if strings.Contains(p.email, "Svc-Latency") {
		t.Errorf("the notice names an alarm that is not in ALARM:\n%s", p.email)
	}
	if want := "Deployment STOPPED: api-fn (alias live): version 6 -> 7"; p.subject != want {
		t.Errorf("subject %q, want %q", p.subject, want)
	}
	contains(t, "the chat title", chatTitle(p), "⏹️", "STOPPED", "api-fn")
	contains(t, "the chat description", chatDescription(p), "*Why:* rollback alarm Svc-ErrorRate is in ALARM")
	// Composite alarms come back only when asked for by type; only alarms in ALARM are asked for.
	req := f.alarmReq
	if req == nil || len(req.AlarmTypes) != 2 || req.StateValue != cwtypes.StateValueAlarm || len(req.AlarmNames) != 3 {
		t.Errorf("DescribeAlarms asked %+v, want the group's 3 alarms, both types, state ALARM", req)
	}
}

func TestHookFailureNamesTheHook(t *testing.T) {
	f := &fakeAWS{
		deployment: deployment(cdtypes.DeploymentStatusFailed),
		lifecycle: []cdtypes.LifecycleEvent{
			{LifecycleEventName: aws.String("BeforeAllowTraffic"), Status: cdtypes.LifecycleEventStatusFailed,
				Diagnostics: &cdtypes.Diagnostics{ErrorCode: cdtypes.LifecycleErrorCodeScriptFailed,
					Message: aws.String("The deployment failed because a specified lifecycle event hook returned Failed")}},
			{LifecycleEventName: aws.String("AllowTraffic"), Status: cdtypes.LifecycleEventStatusSkipped},
			{LifecycleEventName: aws.String("AfterAllowTraffic"), Status: cdtypes.LifecycleEventStatusSkipped},
		},
	}
	f.deployment.ErrorInformation = &cdtypes.ErrorInformation{Code: cdtypes.ErrorCodeHookExecutionFailure, Message: aws.String("lifecycle hook failed")}
	f.deployment.RollbackInfo = &cdtypes.RollbackInfo{RollbackDeploymentId: aws.String("d-2")}
	p := handle(t, f, event(events.CodeDeployDeploymentStateFailure))

	contains(t, "the e-mail", p.email,
		"Deployment FAILED: api-fn (alias live): version 6 → 7; rolling back to version 6",
		"pre-traffic hook api-pre-hook (BeforeAllowTraffic) reported Failed: The deployment failed because a specified lifecycle event hook returned Failed; the hook's log group has its report",
		"HOOK_EXECUTION_FAILURE: lifecycle hook failed")
	if strings.Contains(p.email, "api-post-hook") {
		t.Errorf("the notice names the post-traffic hook, which was skipped:\n%s", p.email)
	}
	for _, c := range f.calls {
		if c == "DescribeAlarms" || strings.HasPrefix(c, "GetDeploymentGroup") {
			t.Errorf("a hook failure read the alarms: %v", f.calls)
		}
	}
}

func TestStopOnRequest(t *testing.T) {
	f := &fakeAWS{deployment: deployment(cdtypes.DeploymentStatusStopped)}
	f.deployment.ErrorInformation = &cdtypes.ErrorInformation{Code: cdtypes.ErrorCodeManualStop, Message: aws.String("The deployment was stopped by the user")}
	p := handle(t, f, event(events.CodeDeployDeploymentStateStop))
	contains(t, "the e-mail", p.email, "Deployment STOPPED: api-fn (alias live): version 6 → 7",
		"Why:", "stopped on request (StopDeployment")
	if len(f.calls) != 2 { // GetDeployment, Publish
		t.Errorf("a stop on request made calls %v, want GetDeployment and Publish only", f.calls)
	}
}

func TestSuccess(t *testing.T) {
	f := &fakeAWS{deployment: deployment(cdtypes.DeploymentStatusSucceeded)}
	p := handle(t, f, event(events.CodeDeployDeploymentStateSuccess))
	contains(t, "the e-mail", p.email, "bluegreen: Deployment succeeded: api-fn (alias live): version 6 → 7\n", "Started by:", "CloudFormation")
	if strings.Contains(p.email, "Why:") || strings.Contains(p.email, "Not known:") {
		t.Errorf("a success gives reasons or problems:\n%s", p.email)
	}
	contains(t, "the chat title", chatTitle(p), "✅ Deployment succeeded")
	meta := p.chat["metadata"].(map[string]interface{})
	if meta["threadId"] != "d-1" || meta["eventType"] != "SUCCESS" {
		t.Errorf("chat metadata %v", meta)
	}
	ctx := meta["additionalContext"].(map[string]interface{})
	if ctx["fromVersion"] != "6" || ctx["toVersion"] != "7" || ctx["function"] != "api-fn" {
		t.Errorf("chat context %v", ctx)
	}
}

// A rollback is a deployment of its own: it says so, names the versions of the deployment it rolls back (from that
// one's green back to its blue: the rollback's own AppSpec is an earlier release's), and its chat notice joins the
// thread of the deployment it rolls back.
func TestRollbackJoinsTheFailedDeployment(t *testing.T) {
	f := &fakeAWS{deployment: deployment(cdtypes.DeploymentStatusSucceeded)}
	failed := deployment(cdtypes.DeploymentStatusStopped) // d-1's AppSpec: 6 → 7
	failed.DeploymentId = aws.String("d-0")
	f.others = map[string]*cdtypes.DeploymentInfo{"d-0": failed}
	f.deployment.Creator = cdtypes.DeploymentCreatorCodeDeployRollback
	f.deployment.RollbackInfo = &cdtypes.RollbackInfo{RollbackTriggeringDeploymentId: aws.String("d-0")}
	f.deployment.Revision.AppSpecContent.Content = aws.String(strings.NewReplacer(`"CurrentVersion":"6","TargetVersion":"7"`,
		`"CurrentVersion":"5","TargetVersion":"6"`).Replace(appSpec)) // the previously deployed revision
	p := handle(t, f, event(events.CodeDeployDeploymentStateSuccess))
	contains(t, "the e-mail", p.email, "Deployment rolled back: api-fn (alias live): version 7 → 6; the alias serves version 6 again",
		"Rolls back:", "d-0")
	if strings.Contains(p.email, "Not known:") {
		t.Errorf("problems reported:\n%s", p.email)
	}
	if meta := p.chat["metadata"].(map[string]interface{}); meta["threadId"] != "d-0" {
		t.Errorf("the rollback's thread is %v, want d-0", meta["threadId"])
	}
	contains(t, "the chat title", chatTitle(p), "↩️")

	// The rolled-back deployment cannot be read: the rollback's own AppSpec is all there is, and the notice says so.
	g := &fakeAWS{deployment: f.deployment}
	p = handle(t, g, event(events.CodeDeployDeploymentStateSuccess))
	contains(t, "the e-mail", p.email, "Deployment rolled back", "Not known:", "could not read the rolled-back deployment d-0")
}

// A deployment CloudFormation started may carry only its AppSpec's hash: the content comes from
// GetApplicationRevision.
func TestAppSpecFromTheRevision(t *testing.T) {
	f := &fakeAWS{deployment: deployment(cdtypes.DeploymentStatusInProgress), revision: appSpec}
	f.deployment.Revision.AppSpecContent.Content = nil
	p := handle(t, f, event(events.CodeDeployDeploymentStateStart))
	contains(t, "the e-mail", p.email, "Deployment started: api-fn (alias live): version 6 → 7")
	contains(t, "the calls", strings.Join(f.calls, ","), "GetApplicationRevision app")
}

// What cannot be read is said, and the notice still goes out.
func TestUnreadableDeploymentStillNotifies(t *testing.T) {
	f := &fakeAWS{deploymentErr: errors.New("AccessDeniedException: not allowed")}
	p := handle(t, f, event(events.CodeDeployDeploymentStateFailure))
	contains(t, "the e-mail", p.email, "Deployment FAILED: deployment group group",
		"Not known:", "could not read the deployment (GetDeployment): AccessDeniedException: not allowed",
		"deployments/d-1?region=eu-west-1")
}

func TestUnreadableLifecycleEventsStillNameTheHooks(t *testing.T) {
	f := &fakeAWS{deployment: deployment(cdtypes.DeploymentStatusFailed), targetsErr: errors.New("AccessDeniedException")}
	f.deployment.ErrorInformation = &cdtypes.ErrorInformation{Code: cdtypes.ErrorCodeHookExecutionFailure}
	p := handle(t, f, event(events.CodeDeployDeploymentStateFailure))
	contains(t, "the e-mail", p.email,
		"a lifecycle hook reported Failed (HOOK_EXECUTION_FAILURE); the deployment's hooks: api-post-hook (AfterAllowTraffic), api-pre-hook (BeforeAllowTraffic)",
		"could not read the deployment's lifecycle events: ListDeploymentTargets: AccessDeniedException")
}

func TestAlarmStopWhenNoAlarmIsFiringAnyMore(t *testing.T) {
	f := &fakeAWS{deployment: deployment(cdtypes.DeploymentStatusStopped), groupAlarms: []string{"Svc-ErrorRate"}}
	f.deployment.ErrorInformation = &cdtypes.ErrorInformation{Code: cdtypes.ErrorCodeAlarmActive}
	p := handle(t, f, event(events.CodeDeployDeploymentStateStop))
	contains(t, "the e-mail", p.email, "a rollback alarm fired (ALARM_ACTIVE), but none of the group's alarms is in ALARM now (Svc-ErrorRate)",
		"CodeDeploy:      ALARM_ACTIVE\n")
}

// A notice that cannot be published fails the invocation, so that Lambda retries it and, at last, hands the event
// to the function's on-failure destination.
func TestPublishFailureFailsTheInvocation(t *testing.T) {
	f := &fakeAWS{deployment: deployment(cdtypes.DeploymentStatusSucceeded), publishErr: errors.New("KMSAccessDeniedException")}
	fm, _ := f.formatter()
	err := fm.Handle(context.Background(), event(events.CodeDeployDeploymentStateSuccess))
	if err == nil || !strings.Contains(err.Error(), "KMSAccessDeniedException") {
		t.Errorf("Handle = %v, want the publish error", err)
	}
}

func TestNotADeploymentEvent(t *testing.T) {
	f := &fakeAWS{}
	fm, _ := f.formatter()
	ev := event(events.CodeDeployDeploymentStateStart)
	ev.DetailType = events.CodeDeployInstanceEventDetailType
	if err := fm.Handle(context.Background(), ev); err == nil || len(f.calls) != 0 {
		t.Errorf("an instance event: Handle = %v after calls %v, want an error and no call", err, f.calls)
	}
}

func TestSubjectIsASCIIAndShort(t *testing.T) {
	n := formatter.Notice{State: "FAILURE", Function: strings.Repeat("a-very-long-function-name-", 6) + "é",
		Alias: "live", FromVersion: "6", ToVersion: "7"}
	s := n.Subject()
	if len(s) > 99 || !strings.HasSuffix(s, "...") || !strings.HasPrefix(s, "Deployment FAILED: a-very-long") {
		t.Errorf("subject %q (%d characters)", s, len(s))
	}
}

// The real SNS client sends what the fakes above record: a Publish with the subject and one message per protocol
// (a local HTTP server on loopback answers as SNS does, in its Query protocol).
func TestPublishesWithTheRealSNSClient(t *testing.T) {
	var form url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		form = r.PostForm
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult>`+
			`<MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></PublishResponse>`)
	}))
	defer srv.Close()
	f := &fakeAWS{deployment: deployment(cdtypes.DeploymentStatusSucceeded)}
	fm, _ := f.formatter()
	fm.SNS = sns.NewFromConfig(aws.Config{
		Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
	})
	if err := fm.Handle(context.Background(), event(events.CodeDeployDeploymentStateSuccess)); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if form.Get("Action") != "Publish" || form.Get("TopicArn") != fm.TopicARN || form.Get("MessageStructure") != "json" ||
		form.Get("Subject") != "Deployment succeeded: api-fn (alias live): version 6 -> 7" {
		t.Errorf("SNS received %v", form)
	}
	var perProtocol map[string]string
	if err := json.Unmarshal([]byte(form.Get("Message")), &perProtocol); err != nil || perProtocol["default"] == "" ||
		!strings.HasPrefix(perProtocol["email"], "bluegreen: Deployment succeeded") {
		t.Errorf("message %q: %v", form.Get("Message"), err)
	}
}

// A failure without an error code is still explained by the lifecycle event that failed.
func TestFailureWithoutErrorCode(t *testing.T) {
	f := &fakeAWS{deployment: deployment(cdtypes.DeploymentStatusFailed), lifecycle: []cdtypes.LifecycleEvent{
		{LifecycleEventName: aws.String("BeforeAllowTraffic"), Status: cdtypes.LifecycleEventStatusSucceeded},
		{LifecycleEventName: aws.String("AfterAllowTraffic"), Status: cdtypes.LifecycleEventStatusFailed},
	}}
	p := handle(t, f, event(events.CodeDeployDeploymentStateFailure))
	contains(t, "the e-mail", p.email, "Why:             post-traffic hook api-post-hook (AfterAllowTraffic) reported Failed; the hook's log group has its report")
}

// The notice names the alarms deployment.Why counts as the cause, as bluegreen watch does: those in ALARM, and those
// CodeDeploy's ALARM_ACTIVE message names that are not in ALARM any more; and a stop without a code while an alarm
// is in ALARM is taken for the alarm's.
func TestAlarmsAsWatchCountsThem(t *testing.T) {
	f := &fakeAWS{deployment: deployment(cdtypes.DeploymentStatusStopped), groupAlarms: []string{"Svc-ErrorRate", "Svc-Latency"}}
	f.deployment.ErrorInformation = &cdtypes.ErrorInformation{Code: cdtypes.ErrorCodeAlarmActive,
		Message: aws.String("One or more alarms have been activated. Activated alarms: <Svc-Latency>")}
	p := handle(t, f, event(events.CodeDeployDeploymentStateStop))
	contains(t, "the e-mail", p.email, "rollback alarm Svc-Latency went into ALARM (CodeDeploy names it), and is not in ALARM now")

	g := &fakeAWS{deployment: deployment(cdtypes.DeploymentStatusStopped), groupAlarms: []string{"Svc-ErrorRate"},
		alarms: map[string]string{"Svc-ErrorRate": "Threshold Crossed"}}
	p = handle(t, g, event(events.CodeDeployDeploymentStateStop))
	contains(t, "the e-mail", p.email, "rollback alarm Svc-ErrorRate is in ALARM: Threshold Crossed")
	if strings.Contains(p.email, "stopped on request") {
		t.Errorf("a stop while an alarm fires is taken for a stop on request:\n%s", p.email)
	}
}

// A hook the AppSpec gives as an ARN is named by its function's name, as status and watch name it.
func TestHookNamedByItsFunctionName(t *testing.T) {
	f := &fakeAWS{deployment: deployment(cdtypes.DeploymentStatusFailed), lifecycle: []cdtypes.LifecycleEvent{
		{LifecycleEventName: aws.String("BeforeAllowTraffic"), Status: cdtypes.LifecycleEventStatusFailed}}}
	f.deployment.Revision.AppSpecContent.Content = aws.String(strings.Replace(appSpec, `"api-pre-hook"`,
		`"arn:aws:lambda:eu-west-1:123456789012:function:api-pre-hook"`, 1))
	f.deployment.ErrorInformation = &cdtypes.ErrorInformation{Code: cdtypes.ErrorCodeHookExecutionFailure}
	p := handle(t, f, event(events.CodeDeployDeploymentStateFailure))
	contains(t, "the e-mail", p.email, "pre-traffic hook api-pre-hook (BeforeAllowTraffic) reported Failed")
}
