package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestStatus(t *testing.T) {
	f := newFake(t)
	f.weights = map[string]float64{"8": 0.1}
	code, out, errOut := runWith(f.cli(""), append([]string{"status"}, group...)...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"api:live", "blue version 7 90 %, green version 8 10 %",
		"deployment d-NEW Succeeded (created 2026-11-25T11:00:00Z)", "BeforeAllowTraffic   Succeeded",
		"AllowTraffic         InProgress", "rollback   to version 7", "ALARM     api-Latency-v7", "OK        api-ErrorRate-v7"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runWith(f.cli(""), append([]string{"status", "-json"}, group...)...)
	var s Status
	if code != exitOK || json.Unmarshal([]byte(out), &s) != nil || s.Version != "7" || s.BlueWeight < 0.89 ||
		s.Weights["8"] != 0.1 || s.Deployment.ID != "d-NEW" || s.Deployment.Events[0].Name != "BeforeAllowTraffic" ||
		s.Alarms["api-Latency-v7"] != "ALARM" || !s.AlarmsEnabled || s.RollbackTarget != "7" {
		t.Errorf("status -json: exit %d, %s", code, out)
	}
}

// When the group's newest deployment is CodeDeploy's rollback of a release, status explains the release it belongs
// to (rollbackInfo.rollbackTriggeringDeploymentId): what a report after a failed deploy needs, in -json too.
func TestStatusNamesTheReleaseARollbackBelongsTo(t *testing.T) {
	f := newFake(t)
	f.deployments = append(f.deployments,
		fakeDeployment{id: "d-REL", status: "Stopped", created: t0.Add(2 * time.Hour), current: "7", target: "8",
			hooks:     map[string]string{"BeforeAllowTraffic": "api-pre-hook"},
			errorCode: "ALARM_ACTIVE", errorMessage: "One or more alarms have been activated … Activated alarms: <api-Latency-v7>",
			rollbackID: "d-RB", rollbackMsg: "Deployment rolled back",
			events: []fakeEvent{{"BeforeAllowTraffic", "Succeeded", ""}, {"AllowTraffic", "Failed", "stopped"}, {"AfterAllowTraffic", "Skipped", ""}}},
		fakeDeployment{id: "d-RB", status: "Succeeded", created: t0.Add(2*time.Hour + time.Minute), current: "6", target: "7",
			creator: "codeDeployRollback", rollbackOf: "d-REL"})
	code, out, errOut := runWith(f.cli(""), append([]string{"status", "-json"}, group...)...)
	var s Status
	if code != exitOK || json.Unmarshal([]byte(out), &s) != nil || s.Deployment == nil {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	d := s.Deployment
	if d.ID != "d-RB" || !d.Rollback || d.RollbackOf != "d-REL" || d.Release == nil || d.Blue != "8" || d.Green != "7" {
		t.Fatalf("the rollback: %+v", d)
	}
	r := d.Release
	if r.ID != "d-REL" || r.Status != "Stopped" || r.ErrorCode != "ALARM_ACTIVE" || r.RolledBackBy != "d-RB" ||
		r.RollbackMessage != "Deployment rolled back" || r.Phase != "AllowTraffic" || r.Blue != "7" || r.Green != "8" ||
		len(r.Alarms) != 1 || r.Alarms[0] != "api-Latency-v7" || r.FailedHook != nil {
		t.Errorf("the release: %+v", r)
	}
	code, out, _ = runWith(f.cli(""), append([]string{"status"}, group...)...)
	for _, want := range []string{"deployment d-RB Succeeded", "rolls back d-REL Stopped", ": version 7 → 8",
		"codedeploy ALARM_ACTIVE: One or more alarms", "rollback d-RB Deployment rolled back"} {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
}

// A rollback whose release cannot be read (gone, or access denied) does not fail status: the rollback is shown,
// and what could not be read is one of its problems.
func TestStatusShowsARollbackWhoseReleaseCannotBeRead(t *testing.T) {
	f := newFake(t)
	f.deployments = append(f.deployments, fakeDeployment{id: "d-RB", status: "Succeeded", created: t0.Add(2 * time.Hour),
		current: "6", target: "7", creator: "codeDeployRollback", rollbackOf: "d-GONE"})
	code, out, errOut := runWith(f.cli(""), append([]string{"status", "-json"}, group...)...)
	var s Status
	if code != exitOK || json.Unmarshal([]byte(out), &s) != nil || s.Deployment == nil {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	if d := s.Deployment; d.ID != "d-RB" || d.RollbackOf != "d-GONE" || d.Release != nil || len(d.Problems) != 1 ||
		!strings.Contains(d.Problems[0], "GetDeployment d-GONE") || len(s.Alarms) == 0 {
		t.Errorf("the rollback: %+v, alarms %v", d, s.Alarms)
	}
	code, out, _ = runWith(f.cli(""), append([]string{"status"}, group...)...)
	if code != exitOK || !strings.Contains(out, "deployment d-RB Succeeded") || !strings.Contains(out, "not read: the release this rollback belongs to: GetDeployment d-GONE") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}
