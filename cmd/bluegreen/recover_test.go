package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// stuckFake is stack Svc in UPDATE_ROLLBACK_FAILED: a release of version 8 failed, and the reverse deployment of
// its rollback was stopped by api's alarm, so the alias still serves 8 and is UPDATE_FAILED.
func stuckFake(t *testing.T) *fakeAWS {
	f := newFake(t)
	withGroups(f)
	f.stacks["Svc"] = svcStack(t, svcOptions{status: "UPDATE_ROLLBACK_FAILED", stuck: true})
	f.aliasVersion, f.versions = "8", append(f.versions, "8")
	return f
}

const (
	groupsOff     = "UpdateDeploymentGroup grp CodeDeployDefault.LambdaAllAtOnce alarms=false"
	groupsRestore = "UpdateDeploymentGroup grp CodeDeployDefault.LambdaCanary10Percent5Minutes alarms=true"
)

// The dry run prints each step with its API call, and changes nothing.
func TestRecoverDryRun(t *testing.T) {
	f := stuckFake(t)
	f.deployments = append(f.deployments, fakeDeployment{id: "d-REV", status: "InProgress", created: t0.Add(2*time.Hour + 20*time.Minute), current: "8", target: "7"})
	code, out, errOut := runWith(f.cli(""), "recover", "-stack", "Svc", "-dry-run")
	if code != exitOK || len(f.log) != 0 || strings.Contains(out, "proceed?") {
		t.Fatalf("exit %d, calls %v:\n%s%s", code, f.log, out, errOut)
	}
	for _, want := range []string{
		"dry run, nothing is changed: recover of stack Svc (UPDATE_ROLLBACK_FAILED) would",
		"1. read the stack (ListStackResources, DescribeStackEvents): 1 resource(s) in UPDATE_FAILED",
		"   failed: ApiAliasLive (AWS::Lambda::Alias): Deployment d-REV of CodeDeploy failed: ALARM_ACTIVE",
		"2. stop deployment d-REV of app/grp (InProgress): StopDeployment --auto-rollback-enabled, and wait until the group runs none",
		"2. save app/grp's configuration (GetDeploymentGroup): deployment config CodeDeployDefault.LambdaCanary10Percent5Minutes, alarm monitoring on (alarms: api-ErrorRate-v7",
		"2. set app/grp to CodeDeployDefault.LambdaAllAtOnce with alarm monitoring off (UpdateDeploymentGroup), for the retried reverse deployment of api:live",
		"3. continue the rollback with no resource skipped (ContinueUpdateRollback) and wait for the stack (up to 30m0s)",
		"4. if it ends UPDATE_ROLLBACK_FAILED again: ContinueUpdateRollback --resources-to-skip ApiAliasLive",
		"UpdateAlias with its RevisionId, weights cleared",
		"5. restore app/grp: deployment config CodeDeployDefault.LambdaCanary10Percent5Minutes, alarm monitoring on",
		"6. report the stack's status (DescribeStacks) and what each alias serves (GetAlias)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks %q:\n%s", want, out)
		}
	}
	if f.stacks["Svc"].status != "UPDATE_ROLLBACK_FAILED" || f.deployment("d-REV").status != "InProgress" || f.aliasVersion != "8" {
		t.Errorf("the dry run changed something")
	}
}

// When the retried rollback succeeds once the group shifts all at once without alarms, nothing is skipped, and
// the group gets its configuration back.
func TestRecoverContinuesTheRollback(t *testing.T) {
	f := stuckFake(t)
	code, out, errOut := runWith(f.cli("y\n"), "recover", "-stack", "Svc")
	want := []string{groupsOff, "ContinueUpdateRollback skip=[]", groupsRestore}
	if code != exitOK || strings.Join(f.log, "\n") != strings.Join(want, "\n") {
		t.Fatalf("exit %d, calls:\n%s\nwant:\n%s\n%s%s", code, strings.Join(f.log, "\n"), strings.Join(want, "\n"), out, errOut)
	}
	if g := f.groups["grp"]; strings.Join(g.alarms, ",") != "api-ErrorRate-v7" || !g.alarmsEnabled {
		t.Errorf("group not restored: %+v", g)
	}
	for _, want := range []string{"proceed? [y/N]", "2. saved app/grp: deployment config CodeDeployDefault.LambdaCanary10Percent5Minutes",
		"3. continued the rollback of Svc", "stack Svc UPDATE_ROLLBACK_COMPLETE", "5. restored app/grp",
		"stack Svc is UPDATE_ROLLBACK_COMPLETE: deployable\n  api:live serves version 7 alone"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// When the retried rollback fails again, only the failed alias is skipped; the stack then completes its rollback,
// the alias is pointed at the version of the rolled-back template, and the group is restored.
func TestRecoverSkipsTheFailedAlias(t *testing.T) {
	f := stuckFake(t)
	f.stacks["Svc"].continueFails = 1
	f.weights = map[string]float64{"7": 0.2}
	code, out, errOut := runWith(f.cli(""), "recover", "-stack", "Svc", "-yes", "-json")
	want := []string{groupsOff, "ContinueUpdateRollback skip=[]", "ContinueUpdateRollback skip=[ApiAliasLive]", "UpdateAlias api:live 7", groupsRestore}
	if code != exitOK || strings.Join(f.log, "\n") != strings.Join(want, "\n") {
		t.Fatalf("exit %d, calls:\n%s\nwant:\n%s\n%s%s", code, strings.Join(f.log, "\n"), strings.Join(want, "\n"), out, errOut)
	}
	if f.aliasVersion != "7" || len(f.weights) != 0 || f.aliasUpdates[0]["RevisionId"] != "rev-1" || f.stacks["Svc"].status != "UPDATE_ROLLBACK_COMPLETE" {
		t.Errorf("alias on %s %v, update %v, stack %s", f.aliasVersion, f.weights, f.aliasUpdates, f.stacks["Svc"].status)
	}
	var res RecoverResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || !res.Deployable || res.Status != "UPDATE_ROLLBACK_COMPLETE" ||
		res.Aliases["api:live"] != "serves version 7 alone" {
		t.Errorf("result %s (%v)", out, err)
	}
	if !strings.Contains(errOut, "continued it skipping ApiAliasLive") ||
		!strings.Contains(errOut, "4. pointed api:live at version 7 alone, as the rolled-back template says (it still sends traffic to more than one version: version 8 80 %, version 7 20 %)") {
		t.Errorf("progress:\n%s", errOut)
	}
}

// A failed resource that is not an alias is never skipped: recover names it for a person, exits 1, and still
// restores the group.
func TestRecoverLeavesOtherResourcesToAPerson(t *testing.T) {
	f := stuckFake(t)
	s := f.stacks["Svc"]
	s.resource("ApiGate").status, s.resource("ApiGate").reason = "UPDATE_FAILED", "Custom resource did not answer"
	s.stuck = map[string]bool{"ApiGate": true}
	code, out, errOut := runWith(f.cli(""), "recover", "-stack", "Svc", "-yes")
	want := []string{groupsOff, "ContinueUpdateRollback skip=[]", "ContinueUpdateRollback skip=[ApiAliasLive]", groupsRestore}
	if code != exitFail || strings.Join(f.log, "\n") != strings.Join(want, "\n") {
		t.Fatalf("exit %d, calls:\n%s\nwant:\n%s\n%s%s", code, strings.Join(f.log, "\n"), strings.Join(want, "\n"), out, errOut)
	}
	if !strings.Contains(out, "needs a person (recover never skips it): ApiGate (Custom::LambdaBlueGreenReleaseGate): Custom resource did not answer") ||
		!strings.Contains(out, "4. needs a person, not skipped: ApiGate") || !strings.Contains(out, "not deployable") ||
		!strings.Contains(errOut, "stack Svc ended UPDATE_ROLLBACK_FAILED") {
		t.Errorf("output:\n%s%s", out, errOut)
	}
}

// A continued rollback that outlasts -timeout ends with exit code 5, and the group is left all at once without
// alarms, so that no alarm stops the reverse deployment still running; the command to restore it is printed.
func TestRecoverTimesOut(t *testing.T) {
	f := stuckFake(t)
	f.stacks["Svc"].hang = true
	code, out, errOut := runWith(f.cli(""), "recover", "-stack", "Svc", "-yes", "-timeout", "2m")
	want := []string{groupsOff, "ContinueUpdateRollback skip=[]"}
	if code != exitTimeout || strings.Join(f.log, "\n") != strings.Join(want, "\n") ||
		!strings.Contains(out, "5. NOT restored app/grp while the rollback goes on: when the stack has left UPDATE_ROLLBACK_IN_PROGRESS, run "+
			"aws deploy update-deployment-group --application-name app --current-deployment-group-name grp --deployment-config-name "+
			"CodeDeployDefault.LambdaCanary10Percent5Minutes --alarm-configuration 'enabled=true,ignorePollAlarmFailure=false,alarms=[{name=api-ErrorRate-v7}]'") ||
		!strings.Contains(errOut, "stack Svc is still UPDATE_ROLLBACK_IN_PROGRESS after 2m0s") {
		t.Errorf("exit %d, calls %v:\n%s%s", code, f.log, out, errOut)
	}
}

// Other states are refused, saying what they mean: a deployable stack has nothing to recover (exit 3).
func TestRecoverRefusesOtherStates(t *testing.T) {
	for status, tc := range map[string]struct {
		code int
		want string
	}{
		"UPDATE_COMPLETE":             {exitNothing, "stack Svc is UPDATE_COMPLETE, deployable: recover only helps a stack in UPDATE_ROLLBACK_FAILED"},
		"UPDATE_ROLLBACK_IN_PROGRESS": {exitFail, "a stack operation is running; wait for it to end"},
		"ROLLBACK_COMPLETE":           {exitFail, "its creation failed and was rolled back: it can only be deleted"},
	} {
		f := newFake(t)
		f.stacks["Svc"].status = status
		code, out, errOut := runWith(f.cli("y\n"), "recover", "-stack", "Svc")
		if code != tc.code || len(f.log) != 0 || !strings.Contains(errOut, tc.want) || strings.Contains(out, "proceed?") {
			t.Errorf("%s: exit %d, calls %v:\n%s%s", status, code, f.log, out, errOut)
		}
	}
	f := stuckFake(t)
	if code, _, _ := runWith(f.cli("n\n"), "recover", "-stack", "Svc"); code != exitDecline || len(f.log) != 0 {
		t.Errorf("declined: exit %d, calls %v", code, f.log)
	}
}

// A group the release guard had left in abort mode (all at once, alarms off) when the rollback got stuck gets the
// rolled-back template's configuration back, not the one it had when recover began.
func TestRecoverRestoresWhatTheTemplateSays(t *testing.T) {
	f := stuckFake(t)
	f.groups["grp"].config, f.groups["grp"].alarmsEnabled = "CodeDeployDefault.LambdaAllAtOnce", false
	code, out, errOut := runWith(f.cli("y\n"), "recover", "-stack", "Svc")
	if code != exitOK {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	if g := f.groups["grp"]; g.config != "CodeDeployDefault.LambdaCanary10Percent5Minutes" || !g.alarmsEnabled ||
		strings.Join(g.alarms, ",") != "api-ErrorRate-v7" {
		t.Errorf("group left with %+v, want the template's canary with its alarms on", *g)
	}
}

// What still deploys on a failed alias is stopped with automatic rollback (a Lambda deployment stopped without it
// can leave the alias split), and recover waits until the group runs nothing before it continues the rollback.
func TestRecoverStopsWithRollback(t *testing.T) {
	f := stuckFake(t)
	f.deployments = append(f.deployments, fakeDeployment{id: "d-REV", status: "InProgress", created: t0.Add(2*time.Hour + 20*time.Minute), current: "8", target: "7"})
	code, out, errOut := runWith(f.cli("y\n"), "recover", "-stack", "Svc")
	if code != exitOK || len(f.stopped) != 1 || f.stopped[0]["deploymentId"] != "d-REV" || f.stopped[0]["autoRollbackEnabled"] != true {
		t.Errorf("exit %d, stopped %v:\n%s%s", code, f.stopped, out, errOut)
	}
}
