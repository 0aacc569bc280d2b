package deployment_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/safeship/lambda-bluegreen/internal/deployment"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// fake answers the reader's CodeDeploy and CloudWatch calls from memory, as the SDK clients would, and records
// the ListDeployments windows.
type fake struct {
	deployments map[string]*cdtypes.DeploymentInfo
	events      map[string][]cdtypes.LifecycleEvent // by deployment id
	revisions   map[string]string                   // AppSpec content GetApplicationRevision answers, by hash
	groupAlarms []string
	states      map[string]cwtypes.StateValue // alarms CloudWatch has
	windows     []*cdtypes.TimeRange
}

func (f *fake) GetDeployment(_ context.Context, in *codedeploy.GetDeploymentInput, _ ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentOutput, error) {
	d, ok := f.deployments[*in.DeploymentId]
	if !ok {
		return nil, &cdtypes.DeploymentDoesNotExistException{Message: aws.String("no " + *in.DeploymentId)}
	}
	return &codedeploy.GetDeploymentOutput{DeploymentInfo: d}, nil
}

func (f *fake) GetApplicationRevision(_ context.Context, in *codedeploy.GetApplicationRevisionInput, _ ...func(*codedeploy.Options)) (*codedeploy.GetApplicationRevisionOutput, error) {
	content, ok := f.revisions[aws.ToString(in.Revision.AppSpecContent.Sha256)]
	if !ok {
		return nil, &cdtypes.RevisionDoesNotExistException{Message: aws.String("no revision")}
	}
	return &codedeploy.GetApplicationRevisionOutput{Revision: &cdtypes.RevisionLocation{
		AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String(content)}}}, nil
}

func (f *fake) GetDeploymentGroup(_ context.Context, _ *codedeploy.GetDeploymentGroupInput, _ ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentGroupOutput, error) {
	var alarms []cdtypes.Alarm
	for _, n := range f.groupAlarms {
		alarms = append(alarms, cdtypes.Alarm{Name: aws.String(n)})
	}
	return &codedeploy.GetDeploymentGroupOutput{DeploymentGroupInfo: &cdtypes.DeploymentGroupInfo{
		AlarmConfiguration: &cdtypes.AlarmConfiguration{Enabled: true, Alarms: alarms}}}, nil
}

func (f *fake) ListDeploymentTargets(_ context.Context, in *codedeploy.ListDeploymentTargetsInput, _ ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentTargetsOutput, error) {
	return &codedeploy.ListDeploymentTargetsOutput{TargetIds: []string{"api:live"}}, nil
}

func (f *fake) GetDeploymentTarget(_ context.Context, in *codedeploy.GetDeploymentTargetInput, _ ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentTargetOutput, error) {
	return &codedeploy.GetDeploymentTargetOutput{DeploymentTarget: &cdtypes.DeploymentTarget{
		LambdaTarget: &cdtypes.LambdaTarget{LifecycleEvents: f.events[*in.DeploymentId]}}}, nil
}

// ListDeployments answers the group's deployments created in the window (both ends included), in no order.
func (f *fake) ListDeployments(_ context.Context, in *codedeploy.ListDeploymentsInput, _ ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentsOutput, error) {
	f.windows = append(f.windows, in.CreateTimeRange)
	var ids []string
	for id, d := range f.deployments {
		w := in.CreateTimeRange
		if w != nil && ((w.Start != nil && d.CreateTime.Before(*w.Start)) || (w.End != nil && d.CreateTime.After(*w.End))) {
			continue
		}
		if len(in.IncludeOnlyStatuses) > 0 && !hasStatus(in.IncludeOnlyStatuses, d.Status) {
			continue
		}
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return &codedeploy.ListDeploymentsOutput{Deployments: ids}, nil
}

func hasStatus(list []cdtypes.DeploymentStatus, s cdtypes.DeploymentStatus) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (f *fake) BatchGetDeployments(_ context.Context, in *codedeploy.BatchGetDeploymentsInput, _ ...func(*codedeploy.Options)) (*codedeploy.BatchGetDeploymentsOutput, error) {
	out := &codedeploy.BatchGetDeploymentsOutput{}
	for _, id := range in.DeploymentIds {
		out.DeploymentsInfo = append(out.DeploymentsInfo, *f.deployments[id])
	}
	return out, nil
}

// DescribeAlarms answers the named alarms CloudWatch has, only those in StateValue when it is given.
func (f *fake) DescribeAlarms(_ context.Context, in *cloudwatch.DescribeAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	out := &cloudwatch.DescribeAlarmsOutput{}
	for _, n := range in.AlarmNames {
		if s, ok := f.states[n]; ok && (in.StateValue == "" || in.StateValue == s) {
			out.MetricAlarms = append(out.MetricAlarms, cwtypes.MetricAlarm{AlarmName: aws.String(n), StateValue: s, StateReason: aws.String("breached")})
		}
	}
	return out, nil
}

func (f *fake) reader() deployment.Reader {
	return deployment.Reader{CodeDeploy: f, History: f, CloudWatch: f, Now: func() time.Time { return now }}
}

// release is a deployment of function api's alias live from version blue to green, created before now; its AppSpec
// is in the revision, or only its hash when hashOnly (the content then comes from GetApplicationRevision).
func (f *fake) release(id string, status cdtypes.DeploymentStatus, before time.Duration, blue, green string, hashOnly bool) *cdtypes.DeploymentInfo {
	content := fmt.Sprintf(`{"version":0.0,"Resources":[{"Api":{"Type":"AWS::Lambda::Function","Properties":`+
		`{"Name":"api","Alias":"live","CurrentVersion":"%s","TargetVersion":"%s"}}}],"Hooks":[{"BeforeAllowTraffic":"api-pre-hook"}]}`, blue, green)
	spec := &cdtypes.AppSpecContent{Content: aws.String(content)}
	if hashOnly {
		spec = &cdtypes.AppSpecContent{Sha256: aws.String("hash-" + id)}
		if f.revisions == nil {
			f.revisions = map[string]string{}
		}
		f.revisions["hash-"+id] = content
	}
	d := &cdtypes.DeploymentInfo{DeploymentId: aws.String(id), Status: status, CreateTime: aws.Time(now.Add(-before)),
		ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("grp"),
		Revision: &cdtypes.RevisionLocation{RevisionType: cdtypes.RevisionLocationTypeAppSpecContent, AppSpecContent: spec}}
	if f.deployments == nil {
		f.deployments = map[string]*cdtypes.DeploymentInfo{}
	}
	f.deployments[id] = d
	return d
}

func event(name string, status cdtypes.LifecycleEventStatus, message string) cdtypes.LifecycleEvent {
	e := cdtypes.LifecycleEvent{LifecycleEventName: aws.String(name), Status: status}
	if message != "" {
		e.Diagnostics = &cdtypes.Diagnostics{Message: aws.String(message)}
	}
	return e
}

// A rollback is explained with the release it belongs to: that release's failed hook and CodeDeploy's reasons, and
// the rollback's versions from the release's green back to its blue.
func TestExplainFollowsARollbackToItsRelease(t *testing.T) {
	f := &fake{}
	rel := f.release("d-REL", cdtypes.DeploymentStatusFailed, time.Hour, "6", "7", true)
	rel.ErrorInformation = &cdtypes.ErrorInformation{Code: cdtypes.ErrorCodeHookExecutionFailure, Message: aws.String("hook failed")}
	rel.RollbackInfo = &cdtypes.RollbackInfo{RollbackDeploymentId: aws.String("d-RB"), RollbackMessage: aws.String("rolled back")}
	f.events = map[string][]cdtypes.LifecycleEvent{"d-REL": {
		event("BeforeAllowTraffic", cdtypes.LifecycleEventStatusFailed, "smoke test: 500"),
		event("AllowTraffic", cdtypes.LifecycleEventStatusSkipped, ""),
	}}
	rb := f.release("d-RB", cdtypes.DeploymentStatusSucceeded, time.Minute, "5", "6", false) // an earlier release's AppSpec
	rb.Creator = cdtypes.DeploymentCreatorCodeDeployRollback
	rb.RollbackInfo = &cdtypes.RollbackInfo{RollbackTriggeringDeploymentId: aws.String("d-REL")}

	s, err := f.reader().Explain(context.Background(), "app", rb)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Rollback || s.RollbackOf != "d-REL" || s.Function != "api" || s.Blue != "7" || s.Green != "6" || s.Release == nil {
		t.Fatalf("the rollback: %+v", s)
	}
	r := *s.Release
	if r.ID != "d-REL" || r.Status != "Failed" || r.Blue != "6" || r.Green != "7" || r.Phase != "BeforeAllowTraffic" ||
		r.ErrorCode != "HOOK_EXECUTION_FAILURE" || r.RolledBackBy != "d-RB" || r.RollbackMessage != "rolled back" || r.Release != nil {
		t.Errorf("the release: %+v", r)
	}
	if h := r.FailedHook; h == nil || h.Event != "BeforeAllowTraffic" || h.Function != "api-pre-hook" || h.Message != "smoke test: 500" {
		t.Errorf("the failed hook: %+v", r.FailedHook)
	}
	if len(r.Events) != 2 || r.Events[0].Message != "smoke test: 500" || r.Events[1].Status != "Skipped" {
		t.Errorf("the events: %+v", r.Events)
	}

	// A release that is not a rollback has no release of its own. A rollback whose release cannot be read (gone,
	// access denied) is still explained, from its own record and AppSpec, and says what it could not read: status
	// shows the rest rather than failing.
	if s, err := f.reader().Explain(context.Background(), "app", rel); err != nil || s.Release != nil || s.RollbackOf != "" {
		t.Errorf("the release alone: %+v, %v", s, err)
	}
	delete(f.deployments, "d-REL")
	s, err = f.reader().Explain(context.Background(), "app", rb)
	if err != nil || s.ID != "d-RB" || !s.Rollback || s.RollbackOf != "d-REL" || s.Release != nil || s.Blue != "5" || s.Green != "6" ||
		len(s.Problems) != 1 || !strings.Contains(s.Problems[0], "GetDeployment d-REL") {
		t.Errorf("a rollback of a release that cannot be read: %+v, %v", s, err)
	}
}

func TestRollbackLinks(t *testing.T) {
	self := &cdtypes.DeploymentInfo{DeploymentId: aws.String("d-1"), RollbackInfo: &cdtypes.RollbackInfo{
		RollbackDeploymentId: aws.String("d-1"), RollbackTriggeringDeploymentId: aws.String("d-1")}}
	cfn := &cdtypes.DeploymentInfo{DeploymentId: aws.String("d-2"), Creator: cdtypes.DeploymentCreatorCloudFormationRollback}
	for _, tc := range []struct {
		name       string
		info       *cdtypes.DeploymentInfo
		of, by     string
		isRollback bool
	}{
		{"no rollbackInfo", &cdtypes.DeploymentInfo{DeploymentId: aws.String("d-0")}, "", "", false},
		{"its own id is no link", self, "", "", false},
		{"CloudFormation's rollback names none", cfn, "", "", true},
		{"a rollback", &cdtypes.DeploymentInfo{DeploymentId: aws.String("d-3"),
			RollbackInfo: &cdtypes.RollbackInfo{RollbackTriggeringDeploymentId: aws.String("d-2")}}, "d-2", "", true},
		{"a release rolled back", &cdtypes.DeploymentInfo{DeploymentId: aws.String("d-2"),
			RollbackInfo: &cdtypes.RollbackInfo{RollbackDeploymentId: aws.String("d-3")}}, "", "d-3", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if of, by, is := deployment.RollbackOf(tc.info), deployment.RolledBackBy(tc.info), deployment.IsRollback(tc.info); of != tc.of || by != tc.by || is != tc.isRollback {
				t.Errorf("RollbackOf %q, RolledBackBy %q, IsRollback %v; want %q, %q, %v", of, by, is, tc.of, tc.by, tc.isRollback)
			}
		})
	}
}

// The newest deployment is looked for a window at a time, back from now; a group released 30 days ago reads the
// last week, then the 90 days before now, never the whole history.
func TestNewestReadsRecentWindowsFirst(t *testing.T) {
	f := &fake{}
	f.release("d-OLD", cdtypes.DeploymentStatusSucceeded, 200*24*time.Hour, "4", "5", false)
	f.release("d-NEW", cdtypes.DeploymentStatusSucceeded, 30*24*time.Hour, "5", "6", false)
	d, err := f.reader().Newest(context.Background(), "app", "grp")
	if err != nil || d == nil || *d.DeploymentId != "d-NEW" {
		t.Fatalf("Newest = %v, %v", d, err)
	}
	if len(f.windows) != 2 || f.windows[0].End != nil || !f.windows[0].Start.Equal(now.Add(-7*24*time.Hour)) ||
		!f.windows[1].End.Equal(*f.windows[0].Start) || !f.windows[1].Start.Equal(now.Add(-90*24*time.Hour)) {
		t.Errorf("windows read: %+v", f.windows)
	}
	if d, err := f.reader().NewestActive(context.Background(), "app", "grp"); err != nil || d != nil {
		t.Errorf("NewestActive = %v, %v; want none", d, err)
	}
}

// The previous release skips the versions serving, rolled back from, or deleted, and says so when none is left.
func TestPreviousRelease(t *testing.T) {
	f := &fake{}
	f.release("d-1", cdtypes.DeploymentStatusSucceeded, 5*time.Hour, "4", "5", false)
	f.release("d-2", cdtypes.DeploymentStatusSucceeded, 4*time.Hour, "5", "6", true)
	f.release("d-3", cdtypes.DeploymentStatusFailed, 3*time.Hour, "6", "9", false) // never served
	f.release("d-4", cdtypes.DeploymentStatusSucceeded, 2*time.Hour, "6", "7", false)
	f.release("d-5", cdtypes.DeploymentStatusSucceeded, time.Hour, "7", "6", false) // a pinned rollback from 7
	deleted := map[string]bool{"5": true}
	exists := func(_ context.Context, v string) (bool, error) { return !deleted[v], nil }
	r, err := f.reader().PreviousRelease(context.Background(), "arn:aws:lambda:eu-west-1:1:function:api:live", "live", "app", "grp", "6", exists)
	if err != nil || r.Version != "4" || r.Why != "served before successful deployment d-1" ||
		len(r.Skipped) != 1 || !strings.Contains(r.Skipped[0], "version 5") {
		t.Errorf("PreviousRelease = %+v, %v; want 4, after 7 (rolled back from) and 5 (deleted)", r, err)
	}
	deleted["4"] = true
	if _, err := f.reader().PreviousRelease(context.Background(), "api", "live", "app", "grp", "6", exists); !errors.Is(err, deployment.ErrNoRelease) ||
		!strings.Contains(err.Error(), "that still exists") {
		t.Errorf("with every candidate deleted: %v", err)
	}
}

func TestAlarms(t *testing.T) {
	f := &fake{groupAlarms: []string{"b-Latency", "a-Errors", "c-Deleted"},
		states: map[string]cwtypes.StateValue{"a-Errors": cwtypes.StateValueAlarm, "b-Latency": cwtypes.StateValueOk}}
	r := f.reader()
	names, enabled, err := r.GroupAlarms(context.Background(), "app", "grp")
	if err != nil || !enabled || strings.Join(names, ",") != "a-Errors,b-Latency,c-Deleted" {
		t.Fatalf("GroupAlarms = %v, %v, %v", names, enabled, err)
	}
	states, err := r.AlarmStates(context.Background(), names)
	if err != nil || states["a-Errors"] != "ALARM" || states["b-Latency"] != "OK" || states["c-Deleted"] != "MISSING" {
		t.Errorf("AlarmStates = %v, %v", states, err)
	}
	firing, err := r.Firing(context.Background(), names)
	if err != nil || len(firing) != 1 || firing[0] != (deployment.Alarm{Name: "a-Errors", Reason: "breached"}) {
		t.Errorf("Firing = %v, %v", firing, err)
	}
	override := &cdtypes.DeploymentInfo{OverrideAlarmConfiguration: &cdtypes.AlarmConfiguration{Enabled: true,
		Alarms: []cdtypes.Alarm{{Name: aws.String("override")}}}}
	if got, err := r.DeploymentAlarms(context.Background(), "app", "grp", override); err != nil || strings.Join(got, ",") != "override" {
		t.Errorf("an enabled override wins over the group's alarms: %v, %v", got, err)
	}
	msg := "One or more alarms have been activated according to the Amazon CloudWatch metrics you selected, and the " +
		"affected deployments have been stopped. Activated alarms: <api-Errors> <api-Latency>"
	if got := deployment.ActivatedAlarms(msg); strings.Join(got, ",") != "api-Errors,api-Latency" {
		t.Errorf("ActivatedAlarms = %v", got)
	}
}

func TestFunctionName(t *testing.T) {
	for in, want := range map[string]string{
		"api": "api", "arn:aws:lambda:eu-west-1:123456789012:function:api": "api",
		"arn:aws:lambda:eu-west-1:123456789012:function:api:live": "api", "123456789012:function:api:7": "api",
	} {
		if got := deployment.FunctionName(in); got != want {
			t.Errorf("FunctionName(%q) = %q, want %q", in, got, want)
		}
	}
}

// Why is the one rule watch and the notification explain a deployment's end with; it reads the failed hook and the
// alarms in ALARM only when the decision needs them.
func TestWhy(t *testing.T) {
	pre := &deployment.Hook{Event: "BeforeAllowTraffic", Function: "api-pre-hook"}
	for _, tc := range []struct {
		name, status, code string
		activated          []string
		hook               *deployment.Hook
		firing             []string
		kind               string
		alarms             string
		readsHook, readsAl bool
	}{
		{"ALARM_ACTIVE: the alarms in ALARM, then those CodeDeploy names", "Stopped", "ALARM_ACTIVE", []string{"b", "a"}, pre,
			[]string{"a"}, deployment.CauseAlarm, "a,b", false, true},
		{"ALARM_ACTIVE with none named or firing", "Stopped", "ALARM_ACTIVE", nil, nil, nil, deployment.CauseAlarm, "", false, true},
		{"MANUAL_STOP wins over a hook event that failed", "Stopped", "MANUAL_STOP", nil, pre, []string{"a"}, deployment.CauseStop, "", false, false},
		{"a failed hook", "Failed", "HOOK_EXECUTION_FAILURE", nil, pre, []string{"a"}, deployment.CauseHook, "", true, false},
		{"a stop without a code while an alarm fires", "Stopped", "", nil, nil, []string{"a"}, deployment.CauseAlarm, "a", true, true},
		{"a stop without a code", "Stopped", "", nil, nil, nil, deployment.CauseStop, "", true, true},
		{"another code", "Failed", "TIMEOUT", nil, nil, []string{"a"}, deployment.CauseError, "", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hookRead, alarmsRead int
			s := deployment.Summary{Status: tc.status, ErrorCode: tc.code, Alarms: tc.activated}
			c := deployment.Why(s, func() *deployment.Hook { hookRead++; return tc.hook },
				func() []string { alarmsRead++; return tc.firing })
			if c.Kind != tc.kind || strings.Join(c.Alarms, ",") != tc.alarms || (c.Kind == deployment.CauseHook) != (c.Hook != nil) {
				t.Errorf("Why = %+v, want %s %q", c, tc.kind, tc.alarms)
			}
			if hookRead > 1 || alarmsRead > 1 || (hookRead == 1) != tc.readsHook || (alarmsRead == 1) != tc.readsAl {
				t.Errorf("read the hook %d times, the alarms %d times", hookRead, alarmsRead)
			}
		})
	}
}

// The hook that failed is named by its function's name, however the AppSpec gives it (a name or an ARN).
func TestFailedHookNamesTheFunction(t *testing.T) {
	events := []cdtypes.LifecycleEvent{event("BeforeAllowTraffic", cdtypes.LifecycleEventStatusSucceeded, ""),
		event("AfterAllowTraffic", cdtypes.LifecycleEventStatusFailed, "smoke: 500")}
	h := deployment.FailedHook(events, map[string]string{"AfterAllowTraffic": "arn:aws:lambda:eu-west-1:123456789012:function:api-post-hook"})
	if h == nil || h.Event != "AfterAllowTraffic" || h.Function != "api-post-hook" || h.Message != "smoke: 500" {
		t.Errorf("FailedHook = %+v", h)
	}
}
