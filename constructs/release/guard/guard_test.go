package guard_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"

	"github.com/safeship/lambda-bluegreen/constructs/release/guard"
	"github.com/safeship/lambda-bluegreen/internal/block"
)

func newGuard(f *fakeAWS) (*guard.Guard, *strings.Builder) {
	log := &strings.Builder{}
	return &guard.Guard{Blocks: f, CloudFormation: f, CodeDeploy: f, Log: log}, log
}

// gateEvent is a request for the stack's gate whose entry for svc-api goes from the release "Previous" (on an
// Update) to release.
func gateEvent(kind cfn.RequestType, release string) cfn.Event {
	entry := func(release string) map[string]interface{} {
		return map[string]interface{}{block.GateReleases: map[string]interface{}{"Svc/Api": map[string]interface{}{
			block.GateFunctionName: "svc-api", block.GateRelease: release,
			guard.GateApplication: "app", guard.GateDeploymentGroup: "api-group",
			guard.GateDeploymentConfig: "CodeDeployDefault.LambdaCanary10Percent5Minutes", guard.GateAlarmsEnabled: "true",
			guard.GateRestore: "true",
		}}}
	}
	ev := cfn.Event{RequestType: kind, LogicalResourceID: "ReleaseGate", StackID: "arn:stack/Svc/1",
		ResourceProperties: entry(release)}
	if kind == cfn.RequestUpdate {
		ev.OldResourceProperties = entry("Previous")
	}
	return ev
}

func blocked(f *fakeAWS, release string) {
	f.blocks["svc-api"] = block.List{Entries: []block.Entry{{Release: release, Version: "7",
		At: time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC), By: "arn:aws:iam::1:user/oncall"}}}
}

// A release a person rolled back is refused, with a reason that says how to release it deliberately; the group
// is not touched.
func TestGateRefusesABlockedRelease(t *testing.T) {
	f := newFake()
	f.groups["api-group"] = &fakeGroup{config: guard.AllAtOnce, enabled: false}
	blocked(f, "ApiFunctionCurrentVersionAAAA")
	g, _ := newGuard(f)
	_, _, err := g.Gate(context.Background(), gateEvent(cfn.RequestUpdate, "ApiFunctionCurrentVersionAAAA"))
	if err == nil {
		t.Fatal("a blocked release must be refused")
	}
	for _, want := range []string{"release ApiFunctionCurrentVersionAAAA of svc-api (version 7", "by arn:aws:iam::1:user/oncall",
		"bluegreen unblock -function svc-api -release ApiFunctionCurrentVersionAAAA"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q lacks %q", err, want)
		}
	}
	if len(f.updates) != 0 {
		t.Errorf("a refused release must not touch the group: %v", f.updates)
	}
}

// Any other release goes through, and the group gets the template's strategy and alarm monitoring back when a
// failed release left it in abort mode.
func TestGateLetsOtherReleasesThroughAndRestoresTheGroup(t *testing.T) {
	f := newFake()
	f.groups["api-group"] = &fakeGroup{config: guard.AllAtOnce, enabled: false, alarms: []string{"a-v7", "b-v7"}}
	blocked(f, "ApiFunctionCurrentVersionAAAA")
	g, _ := newGuard(f)
	if _, _, err := g.Gate(context.Background(), gateEvent(cfn.RequestUpdate, "ApiFunctionCurrentVersionBBBB")); err != nil {
		t.Fatal(err)
	}
	grp := f.groups["api-group"]
	if grp.config != "CodeDeployDefault.LambdaCanary10Percent5Minutes" || !grp.enabled {
		t.Errorf("group left with %s, alarms %v; want the template's canary with alarms on", grp.config, grp.enabled)
	}
	// Already as the template has it: no update.
	f.updates = nil
	if _, _, err := g.Gate(context.Background(), gateEvent(cfn.RequestCreate, "ApiFunctionCurrentVersionCCCC")); err != nil || len(f.updates) != 0 {
		t.Errorf("err %v, updates %v", err, f.updates)
	}
}

// A gate never refuses what a rollback needs: a pinned version, a Delete, or anything while the stack rolls back
// (a FAILED answer then would leave the stack in UPDATE_ROLLBACK_FAILED).
func TestGateNeverBlocksARollback(t *testing.T) {
	f := newFake()
	f.groups["api-group"] = &fakeGroup{config: guard.AllAtOnce}
	blocked(f, "ApiFunctionCurrentVersionAAAA")
	g, _ := newGuard(f)
	if _, _, err := g.Gate(context.Background(), gateEvent(cfn.RequestUpdate, block.PinnedPrefix+"6")); err != nil {
		t.Errorf("a pinned rollback was refused: %v", err)
	}
	if len(f.updates) != 0 {
		t.Errorf("a pinned rollback must keep the group as the rollback template has it (all at once): %v", f.updates)
	}
	if _, _, err := g.Gate(context.Background(), gateEvent(cfn.RequestDelete, "ApiFunctionCurrentVersionAAAA")); err != nil {
		t.Errorf("a Delete was refused: %v", err)
	}
	f.stackStatus = "UPDATE_ROLLBACK_IN_PROGRESS"
	if _, _, err := g.Gate(context.Background(), gateEvent(cfn.RequestUpdate, "ApiFunctionCurrentVersionAAAA")); err != nil {
		t.Errorf("the gate refused during a stack rollback: %v", err)
	}
}

// A gate that cannot read the blocks refuses (it cannot tell), saying what to grant.
func TestGateCannotReadTheBlocks(t *testing.T) {
	f := newFake()
	f.blocksErr = errors.New("AccessDeniedException")
	g, _ := newGuard(f)
	_, _, err := g.Gate(context.Background(), gateEvent(cfn.RequestUpdate, "ApiFunctionCurrentVersionAAAA"))
	if err == nil || !strings.Contains(err.Error(), "grant ssm:GetParameter on /lambda-bluegreen/blocked/svc-api") {
		t.Errorf("got %v", err)
	}
}

// Through Handle, CloudFormation receives the refusal as a FAILED response with the reason the deploy shows.
func TestGateAnswersCloudFormation(t *testing.T) {
	var got map[string]interface{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &got)
	}))
	defer srv.Close()
	f := newFake()
	blocked(f, "ApiFunctionCurrentVersionAAAA")
	g, _ := newGuard(f)
	ev := gateEvent(cfn.RequestUpdate, "ApiFunctionCurrentVersionAAAA")
	ev.ResponseURL, ev.RequestID, ev.PhysicalResourceID = srv.URL, "req-1", "ReleaseGate"
	raw, _ := json.Marshal(ev)
	if err := g.Handle(context.Background(), raw); err != nil {
		t.Fatal(err)
	}
	if got["Status"] != "FAILED" || !strings.Contains(got["Reason"].(string), "bluegreen unblock") ||
		got["PhysicalResourceId"] != "ReleaseGate" {
		t.Errorf("CloudFormation got %v", got)
	}
}

func deploymentEvent(id, state string) json.RawMessage {
	return json.RawMessage(`{"source":"aws.codedeploy","detail-type":"` + guard.DeploymentStateChange + `",` +
		`"detail":{"application":"app","deploymentGroup":"g1","deploymentId":"` + id + `","state":"` + state + `"}}`)
}

// One release of the service fails: every other running release of the application is stopped with rollback at
// once, a deployment going back (CloudFormation's reverse deployment, CodeDeploy's rollback) is left alone, and
// every group is put in abort mode so the stack rollback's reverse deployments are one step that no alarm stops.
// rollbackInfo that names the deployment itself links it to no other (deployment.IsRollback): that release is
// stopped like any other.
func TestCoordinatorEndsTheWholeRelease(t *testing.T) {
	f := newFake()
	canary := "CodeDeployDefault.LambdaCanary10Percent5Minutes"
	for _, g := range []string{"g1", "g2", "g3", "g4", "g5"} {
		f.groups[g] = &fakeGroup{config: canary, enabled: true, alarms: []string{g + "-ErrorRate-v2"}}
	}
	f.deployments["d-FAILED"] = &fakeDeployment{group: "g1", status: "Stopped", current: "1", target: "2", creator: "CloudFormation"}
	f.deployments["d-SIBLING"] = &fakeDeployment{group: "g2", status: "InProgress", current: "4", target: "5", creator: "CloudFormation"}
	f.deployments["d-REVERSE"] = &fakeDeployment{group: "g3", status: "InProgress", current: "8", target: "7", creator: "CloudFormationRollback"}
	f.deployments["d-ROLLBACK"] = &fakeDeployment{group: "g4", status: "InProgress", current: "2", target: "3", creator: "codeDeployRollback", rollbackOf: "d-X"}
	f.deployments["d-SELF"] = &fakeDeployment{group: "g5", status: "InProgress", current: "4", target: "5", creator: "CloudFormation", rollbackOf: "d-SELF"}
	g, log := newGuard(f)
	if err := g.Handle(context.Background(), deploymentEvent("d-FAILED", guard.StateStop)); err != nil {
		t.Fatal(err)
	}
	stopped := append([]string(nil), f.stopped...)
	sort.Strings(stopped)
	if strings.Join(stopped, ",") != "d-SELF,d-SIBLING" {
		t.Errorf("stopped %v, want the sibling releases d-SELF and d-SIBLING\n%s", f.stopped, log)
	}
	for name, grp := range f.groups {
		if grp.config != guard.AllAtOnce || grp.enabled || len(grp.alarms) != 1 {
			t.Errorf("group %s: %s, alarms on %v, %v; want abort mode with its alarms kept", name, grp.config, grp.enabled, grp.alarms)
		}
	}
}

// A failed return (a rollback that could not finish) ends no release, and a success is no failure.
func TestCoordinatorIgnoresReturnsAndSuccesses(t *testing.T) {
	f := newFake()
	f.groups["g1"] = &fakeGroup{config: "c", enabled: true}
	f.groups["g2"] = &fakeGroup{config: "c", enabled: true}
	f.deployments["d-BACK"] = &fakeDeployment{group: "g1", status: "Failed", current: "5", target: "4", creator: "CloudFormation"}
	f.deployments["d-OTHER"] = &fakeDeployment{group: "g2", status: "InProgress", current: "1", target: "2", creator: "CloudFormation"}
	g, _ := newGuard(f)
	for _, ev := range []json.RawMessage{deploymentEvent("d-BACK", guard.StateFailure), deploymentEvent("d-OTHER", "SUCCESS")} {
		if err := g.Handle(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.stopped) != 0 || len(f.updates) != 0 {
		t.Errorf("stopped %v, updated %v: want nothing", f.stopped, f.updates)
	}
}

// A reverse deployment of a stack rollback gets abort mode as it starts (CloudFormation may have put the group's
// previous strategy and alarms back first); any other deployment starting is left alone.
func TestCoordinatorPutsAReverseDeploymentInAbortModeAsItStarts(t *testing.T) {
	f := newFake()
	f.groups["g1"] = &fakeGroup{config: "canary", enabled: true}
	f.groups["g2"] = &fakeGroup{config: "canary", enabled: true}
	f.deployments["d-REVERSE"] = &fakeDeployment{group: "g1", status: "InProgress", current: "8", target: "7", creator: "CloudFormationRollback"}
	f.deployments["d-RELEASE"] = &fakeDeployment{group: "g2", status: "InProgress", current: "1", target: "2", creator: "CloudFormation"}
	g, _ := newGuard(f)
	for _, id := range []string{"d-REVERSE", "d-RELEASE"} {
		ev := strings.Replace(string(deploymentEvent(id, guard.StateStart)), `"deploymentGroup":"g1"`,
			`"deploymentGroup":"`+f.deployments[id].group+`"`, 1)
		if err := g.Handle(context.Background(), json.RawMessage(ev)); err != nil {
			t.Fatal(err)
		}
	}
	if g1, g2 := f.groups["g1"], f.groups["g2"]; g1.config != guard.AllAtOnce || g1.enabled || g2.config != "canary" || !g2.enabled {
		t.Errorf("g1 %+v (a reverse deployment: abort mode), g2 %+v (a release: untouched)", *g1, *g2)
	}
}

// An entry whose release does not change in the update is not checked: its alias does not move, even when its
// release is blocked (a rollback template that kept it, say); a function added later is checked.
func TestGateChecksOnlyTheReleasesThatChange(t *testing.T) {
	f := newFake()
	f.groups["api-group"] = &fakeGroup{config: "CodeDeployDefault.LambdaCanary10Percent5Minutes", enabled: true}
	blocked(f, "ApiFunctionCurrentVersionAAAA")
	g, _ := newGuard(f)
	ev := gateEvent(cfn.RequestUpdate, "ApiFunctionCurrentVersionAAAA")
	ev.OldResourceProperties = ev.ResourceProperties
	if _, _, err := g.Gate(context.Background(), ev); err != nil {
		t.Errorf("an unchanged entry was checked: %v", err)
	}
	ev.OldResourceProperties = map[string]interface{}{block.GateReleases: map[string]interface{}{}}
	if _, _, err := g.Gate(context.Background(), ev); err == nil {
		t.Errorf("a function added with a blocked release must be refused")
	}
}

// A release that starts after the stack's release was ended (its group is in abort mode) is stopped as it starts;
// the STOP events of the deployments the guard stopped find their groups in abort mode and cost no new sweep.
func TestCoordinatorStopsALateReleaseAndIgnoresItsOwnStops(t *testing.T) {
	f := newFake()
	f.groups["g1"] = &fakeGroup{config: guard.AllAtOnce}
	f.groups["g2"] = &fakeGroup{config: guard.AllAtOnce}
	f.deployments["d-LATE"] = &fakeDeployment{group: "g1", status: "InProgress", current: "1", target: "2", creator: "CloudFormation"}
	f.deployments["d-STOPPED"] = &fakeDeployment{group: "g2", status: "Stopped", current: "4", target: "5", creator: "CloudFormation"}
	g, log := newGuard(f)
	if err := g.Handle(context.Background(), deploymentEvent("d-LATE", guard.StateStart)); err != nil {
		t.Fatal(err)
	}
	if strings.Join(f.stopped, ",") != "d-LATE" {
		t.Errorf("stopped %v, want the late release\n%s", f.stopped, log)
	}
	ev := strings.Replace(string(deploymentEvent("d-STOPPED", guard.StateStop)), `"deploymentGroup":"g1"`, `"deploymentGroup":"g2"`, 1)
	if err := g.Handle(context.Background(), json.RawMessage(ev)); err != nil {
		t.Fatal(err)
	}
	if len(f.updates) != 0 || !strings.Contains(log.String(), "in abort mode already: nothing more to do") {
		t.Errorf("a stop the guard caused started a sweep: updates %v\n%s", f.updates, log)
	}
}

// However many releases are refused, the reason fits CloudFormation's 4,096-byte response with the rest counted.
func TestGateRefusalFitsTheResponse(t *testing.T) {
	f := newFake()
	g, _ := newGuard(f)
	entries := map[string]interface{}{}
	for i := 0; i < 40; i++ {
		fn := fmt.Sprintf("svc-%s-%02d", strings.Repeat("x", 50), i)
		release := fmt.Sprintf("ShopFn%02dFunctionCurrentVersion%s", i, strings.Repeat("f", 40))
		f.blocks[fn] = block.List{Entries: []block.Entry{{Release: release, Version: "7", At: time.Now(),
			By: "arn:aws:sts::123456789012:assumed-role/" + strings.Repeat("r", 64) + "/oncall"}}}
		entries[fmt.Sprintf("Svc/Shop/Fn%02d", i)] = map[string]interface{}{block.GateFunctionName: fn, block.GateRelease: release}
	}
	_, _, err := g.Gate(context.Background(), cfn.Event{RequestType: cfn.RequestCreate, StackID: "arn:stack/Svc/1",
		ResourceProperties: map[string]interface{}{block.GateReleases: entries}})
	if err == nil || len(err.Error()) > guard.MaxReason || !strings.Contains(err.Error(), "more (the release guard's log lists them)") {
		t.Errorf("reason of %d bytes: %.300v", len(fmt.Sprint(err)), err)
	}
}
