package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// stubCDK writes a stand-in for ./cdkw that records its arguments, prints to both streams and exits with exit.
// When applies, the fake then shows the alias on f.pinnedTo, as the deploy would leave it.
func stubCDK(t *testing.T, f *fakeAWS, exit int, applies bool) (script, argsFile string) {
	t.Helper()
	dir := t.TempDir()
	script, argsFile = filepath.Join(dir, "cdk"), filepath.Join(dir, "args")
	body := fmt.Sprintf("#!/bin/sh\nprintf '%%s\\n' \"$@\" > '%s'\necho 'stub cdk: deploying'\necho 'stub cdk: progress' >&2\nexit %d\n", argsFile, exit)
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	if applies {
		f.deployed = argsFile
	}
	return script, argsFile
}

func deployArgs(t *testing.T, argsFile string) []string {
	t.Helper()
	b, err := os.ReadFile(argsFile)
	if err != nil {
		return nil
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// pinArgs is the command line for a finished release, with the stub deploy and the test assembly.
func pinArgs(script string, extra ...string) []string {
	return append(append([]string{"rollback", "-assembly", "testdata/assembly", "-cdk", script}, group...), extra...)
}

// Releases CodeDeploy rolled back keep their versions (7 before the current release, 9 after it); release 8
// succeeded in between. Rolling 8 back must go to 6, which served the last successful release before it: not to
// 7, the newest version older than 8, nor to 9, the newest deployment's target; neither ever served a release.
// The AppSpecs come from the deployments, from GetApplicationRevision and in YAML.
func TestFinishedReleaseRollsBackToTheLastSuccessfulRelease(t *testing.T) {
	f := newFake(t)
	f.aliasVersion, f.versions, f.pinnedTo = "8", []string{"$LATEST", "5", "6", "7", "8", "9"}, "6"
	f.deployments = []fakeDeployment{
		{id: "d-1", status: "Succeeded", created: t0, current: "5", target: "6", yaml: true},
		{id: "d-4", status: "Failed", created: t0.Add(3 * time.Hour), current: "8", target: "9"},
		{id: "d-3", status: "Succeeded", created: t0.Add(2 * time.Hour), current: "6", target: "8", hashOnly: true},
		{id: "d-2", status: "Stopped", created: t0.Add(time.Hour), current: "6", target: "7"},
	}
	code, out, errOut := runWith(f.cli(""), append([]string{"status"}, group...)...)
	if code != exitOK || !strings.Contains(out, "rollback   to version 6") {
		t.Errorf("status: exit %d, want the rollback target 6:\n%s%s", code, out, errOut)
	}
	script, argsFile := stubCDK(t, f, 0, true)
	code, out, errOut = runWith(f.cli("y\n"), pinArgs(script)...)
	want := []string{"deploy", "--exclusively", "Svc", "-c", "lambda-bluegreen:pin=Svc/Api=6"}
	if got := deployArgs(t, argsFile); code != exitOK || strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("exit %d, deploy ran with %q, want %q\n%s%s", code, got, want, out, errOut)
	}
	if strings.Contains(out, "version 7") || strings.Contains(out, "version 9") || len(f.aliasUpdates) != 0 {
		t.Errorf("the rollback mentions a failed release's version or repointed the alias (%v):\n%s", f.aliasUpdates, out)
	}
}

// The pin deploy: the command is shown before the prompt, runs after it with its output streamed, and the
// command checks that the alias serves the pinned version afterwards.
func TestFinishedReleaseDeploysWithThePin(t *testing.T) {
	f := newFake(t)
	f.pinnedTo = "6"
	script, argsFile := stubCDK(t, f, 0, true)
	code, out, errOut := runWith(f.cli("y\n"), pinArgs(script)...)
	if code != exitOK {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"will roll api:live back from version 7 to version 6 (served before successful deployment d-NEW)",
		"by deploying stack Svc with Svc/Api pinned to it", script + " deploy --exclusively Svc -c lambda-bluegreen:pin=Svc/Api=6",
		"proceed? [y/N]", "stub cdk: deploying", "api:live now serves version 6; stack Svc holds it until a deploy without the pin"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "stub cdk: progress") || len(deployArgs(t, argsFile)) != 5 {
		t.Errorf("the deploy's standard error was not streamed, or it did not run:\n%s", errOut)
	}
	// The deploy ran once, after the prompt: declining runs nothing.
	g := newFake(t)
	script, argsFile = stubCDK(t, g, 0, true)
	if code, _, _ := runWith(g.cli("n\n"), pinArgs(script)...); code != exitDecline || deployArgs(t, argsFile) != nil {
		t.Errorf("declined: exit %d, deploy ran with %v", code, deployArgs(t, argsFile))
	}
}

// -print prints the exact command and changes nothing; -json keeps standard output for the result.
func TestFinishedReleasePrintAndJSON(t *testing.T) {
	f := newFake(t)
	script, argsFile := stubCDK(t, f, 0, true)
	code, out, errOut := runWith(f.cli(""), pinArgs(script, "-print")...)
	if code != exitOK || strings.TrimSpace(out) != script+" deploy --exclusively Svc -c lambda-bluegreen:pin=Svc/Api=6" ||
		deployArgs(t, argsFile) != nil || strings.Contains(out+errOut, "proceed?") {
		t.Errorf("-print: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	f.pinnedTo = "6"
	code, out, errOut = runWith(f.cli("y\n"), pinArgs(script, "-json")...)
	var result map[string]interface{}
	if code != exitOK || json.Unmarshal([]byte(out), &result) != nil || result["rolledBack"] != true || result["target"] != "6" ||
		!strings.Contains(result["command"].(string), "lambda-bluegreen:pin=Svc/Api=6") ||
		!strings.Contains(errOut, "proceed?") || !strings.Contains(errOut, "stub cdk: deploying") {
		t.Errorf("-json: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestFinishedReleaseDeployFails(t *testing.T) {
	f := newFake(t)
	script, _ := stubCDK(t, f, 3, false)
	code, out, errOut := runWith(f.cli("y\n"), pinArgs(script, "-json")...)
	if code != exitFail || !strings.Contains(out, `"rolledBack":false`) || !strings.Contains(out, "exit status 3") ||
		!strings.Contains(out, "should still serve version 7") {
		t.Errorf("exit %d: %s%s", code, out, errOut)
	}
	// A deploy that succeeds but leaves the alias (an app that ignores the pin) is no rollback either.
	script, _ = stubCDK(t, f, 0, false)
	code, _, errOut = runWith(f.cli("y\n"), pinArgs(script)...)
	if code != exitFail || !strings.Contains(errOut, "serves version 7, not 6") || !strings.Contains(errOut, "PinsFromContext") {
		t.Errorf("pin ignored: exit %d: %s", code, errOut)
	}
}

// After a pinned rollback from 7 to 6, rolling back again goes to 5, not forward to the abandoned 7.
func TestSecondRollbackGoesFurtherBack(t *testing.T) {
	f := newFake(t)
	f.aliasVersion = "6"
	f.deployments = append(f.deployments, fakeDeployment{id: "d-PIN", status: "Succeeded", created: t0.Add(2 * time.Hour), current: "7", target: "6"})
	script, _ := stubCDK(t, f, 0, false)
	code, out, errOut := runWith(f.cli(""), pinArgs(script, "-print")...)
	if code != exitOK || !strings.HasSuffix(strings.TrimSpace(out), "lambda-bluegreen:pin=Svc/Api=5") {
		t.Errorf("exit %d: %s%s", code, out, errOut)
	}
}

func TestFinishedReleaseNothingToRollBackTo(t *testing.T) {
	f := newFake(t)
	f.versions = []string{"$LATEST", "7"} // 5 and 6 were pruned
	script, _ := stubCDK(t, f, 0, false)
	code, _, errOut := runWith(f.cli("y\n"), pinArgs(script)...)
	if code != exitNothing || !strings.Contains(errOut, "no successful deployment of app/grp shows a version of api:live other than 7") ||
		!strings.Contains(errOut, "version 6 (served before successful deployment d-NEW) was deleted; version 5 (served before successful deployment d-OLD) was deleted") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

// A finished release needs the group: its successful deployments name the previous release.
func TestFinishedReleaseNeedsTheGroup(t *testing.T) {
	f := newFake(t)
	code, _, errOut := runWith(f.cli("y\n"), "rollback", "-function", "api", "-yes")
	if code != exitUsage || !strings.Contains(errOut, "-application and -group are required for a finished release (api:live serves one version)") || len(f.aliasUpdates) != 0 {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

// The deployment is found from the function's CloudFormation tags; without them, -deployment names it.
func TestFinishedReleaseLocatesTheDeployment(t *testing.T) {
	f := newFake(t)
	f.tags = map[string]string{"team": "x"}
	script, _ := stubCDK(t, f, 0, false)
	code, _, errOut := runWith(f.cli(""), pinArgs(script, "-print")...)
	if code != exitFail || !strings.Contains(errOut, "carries no aws:cloudformation:stack-name") || !strings.Contains(errOut, "-deployment") {
		t.Errorf("no tags: exit %d: %s", code, errOut)
	}
	code, out, errOut := runWith(f.cli(""), pinArgs(script, "-print", "-deployment", "Svc/Api")...)
	if code != exitOK || !strings.HasSuffix(strings.TrimSpace(out), "-c lambda-bluegreen:pin=Svc/Api=6") {
		t.Errorf("-deployment: exit %d: %s%s", code, out, errOut)
	}
	// Tags naming a function the assembly does not hold: a stale or foreign cdk.out.
	f.tags = map[string]string{"aws:cloudformation:stack-name": "Svc", "aws:cloudformation:logical-id": "Gone"}
	code, _, errOut = runWith(f.cli(""), pinArgs(script, "-print")...)
	if code != exitFail || !strings.Contains(errOut, "no deployment of alias live of function Gone (stack Svc)") {
		t.Errorf("stale assembly: exit %d: %s", code, errOut)
	}
}

func TestRollbackStopsAnInProgressDeployment(t *testing.T) {
	f := newFake(t)
	f.deployment("d-NEW").status = "InProgress"
	code, out, errOut := runWith(f.cli("y\n"), append([]string{"rollback"}, group...)...)
	if code != exitOK || len(f.stopped) != 1 || f.stopped[0]["deploymentId"] != "d-NEW" || f.stopped[0]["autoRollbackEnabled"] != true {
		t.Fatalf("exit %d, stopped %v\n%s%s", code, f.stopped, out, errOut)
	}
	if !strings.Contains(out, "will stop deployment d-NEW (InProgress)") || !strings.Contains(out, "stopped d-NEW (stop Pending)") ||
		len(f.aliasUpdates) != 0 {
		t.Errorf("output %s, alias updates %v", out, f.aliasUpdates)
	}
}

// A deployment that ends while the operator reads the prompt is not reported as stopped.
func TestRollbackOfADeploymentThatEndsDuringThePrompt(t *testing.T) {
	for _, end := range []string{"Succeeded", "Failed"} {
		t.Run(end, func(t *testing.T) {
			f := newFake(t)
			f.deployment("d-NEW").status = "InProgress"
			c := f.cliReading(duringPrompt(f, "y\n", func() { f.deployment("d-NEW").status = end }))
			code, out, errOut := runWith(c, append([]string{"rollback", "-json"}, group...)...)
			var result map[string]interface{}
			json.Unmarshal([]byte(out), &result)
			if code != exitFail || result["rolledBack"] != false || len(f.stopped) != 0 ||
				!strings.Contains(fmt.Sprint(result["message"]), "before it could be stopped, nothing was changed") {
				t.Errorf("exit %d, stopped %v: %s%s", code, f.stopped, out, errOut)
			}
			if end == "Succeeded" && !strings.Contains(out, "run bluegreen rollback again to roll the finished release back") {
				t.Errorf("no advice for a deployment that succeeded: %s", out)
			}
		})
	}
}

// CodeDeploy may finish the deployment between our last read and StopDeployment: it answers
// DeploymentAlreadyCompletedException, which is reported the same way.
func TestRollbackWhenStopDeploymentFindsItComplete(t *testing.T) {
	f := newFake(t)
	f.deployment("d-NEW").status = "InProgress"
	c := f.cliReading(&finishOnStop{f: f})
	code, _, errOut := runWith(c, append([]string{"rollback"}, group...)...)
	if code != exitFail || !strings.Contains(errOut, "deployment d-NEW succeeded before it could be stopped") || len(f.stopped) != 0 {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

// finishOnStop answers yes and makes the fake's deployment end after GetDeployment reads it in progress, just
// before StopDeployment.
type finishOnStop struct {
	f    *fakeAWS
	done bool
}

func (r *finishOnStop) Read(b []byte) (int, error) {
	if r.done {
		return 0, fmt.Errorf("EOF")
	}
	r.done = true
	r.f.set(func() { r.f.finishBeforeStop = true })
	return copy(b, "y\n"), nil
}

// A weighted alias left by a stopped deployment goes back to blue, with the RevisionId read before the prompt.
func TestRollbackOfAWeightedAlias(t *testing.T) {
	f := newFake(t)
	f.weights = map[string]float64{"8": 0.1}
	f.deployments = append(f.deployments, fakeDeployment{id: "d-STOP", status: "Stopped", created: t0.Add(2 * time.Hour), current: "7", target: "8"})
	code, _, errOut := runWith(f.cli("y\n"), "rollback", "-function", "api", "-yes")
	if code != exitFail || !strings.Contains(errOut, "mid-shift") || len(f.aliasUpdates) != 0 {
		t.Fatalf("without the group: exit %d: %s", code, errOut)
	}
	code, out, errOut := runWith(f.cli("y\n"), append([]string{"rollback"}, group...)...)
	if code != exitOK || len(f.aliasUpdates) != 1 || f.aliasUpdates[0]["FunctionVersion"] != "7" || f.aliasUpdates[0]["RevisionId"] != "rev-1" {
		t.Fatalf("exit %d, updates %v: %s%s", code, f.aliasUpdates, out, errOut)
	}
	weights := f.aliasUpdates[0]["RoutingConfig"].(map[string]interface{})["AdditionalVersionWeights"]
	if len(weights.(map[string]interface{})) != 0 || !strings.Contains(out, "since deployment d-STOP Stopped") {
		t.Errorf("weights not cleared (%v), or no reason shown:\n%s", weights, out)
	}
}

// Weights no deployment explains were set outside CloudFormation: clearing them could leave the alias on a version
// the template does not hold, so rollback refuses and says what to do.
func TestRollbackRefusesWeightsNoDeploymentLeft(t *testing.T) {
	f := newFake(t)
	f.weights = map[string]float64{"8": 0.1} // d-NEW succeeded: CodeDeploy left no weights
	code, _, errOut := runWith(f.cli("y\n"), append([]string{"rollback"}, group...)...)
	if code != exitFail || len(f.aliasUpdates) != 0 || !strings.Contains(errOut, "newest deployment d-NEW Succeeded") ||
		!strings.Contains(errOut, "aws cloudformation get-template") {
		t.Errorf("exit %d, updates %v: %s", code, f.aliasUpdates, errOut)
	}
}

// A deployment that starts during the prompt, before it moves the alias (BeforeAllowTraffic), stops the repoint.
func TestRollbackRepointRefusedWhenADeploymentStartsDuringThePrompt(t *testing.T) {
	f := newFake(t)
	f.weights = map[string]float64{"8": 0.1}
	f.deployments = append(f.deployments, fakeDeployment{id: "d-STOP", status: "Stopped", created: t0.Add(2 * time.Hour), current: "7", target: "8"})
	c := f.cliReading(duringPrompt(f, "y\n", func() {
		f.deployments = append(f.deployments, fakeDeployment{id: "d-NEXT", status: "Created", created: t0.Add(3 * time.Hour), current: "7", target: "9"})
	}))
	code, _, errOut := runWith(c, append([]string{"rollback"}, group...)...)
	if code != exitFail || len(f.aliasUpdates) != 0 || !strings.Contains(errOut, "deployment d-NEXT (Created) started, nothing was changed") {
		t.Errorf("exit %d, updates %v: %s", code, f.aliasUpdates, errOut)
	}
}

// An alias that changes during the prompt is not overwritten: UpdateAlias carries the RevisionId the operator saw.
func TestRollbackRepointRefusedWhenTheAliasChangesDuringThePrompt(t *testing.T) {
	f := newFake(t)
	f.weights = map[string]float64{"8": 0.1}
	f.deployments = append(f.deployments, fakeDeployment{id: "d-STOP", status: "Stopped", created: t0.Add(2 * time.Hour), current: "7", target: "8"})
	c := f.cliReading(duringPrompt(f, "y\n", func() { f.weights = map[string]float64{"8": 0.5}; f.revision++ }))
	code, _, errOut := runWith(c, append([]string{"rollback"}, group...)...)
	if code != exitFail || f.rejected != 1 || len(f.aliasUpdates) != 0 || !strings.Contains(errOut, "api:live changed since it was read, nothing was changed") {
		t.Errorf("exit %d, rejected %d, updates %v: %s", code, f.rejected, f.aliasUpdates, errOut)
	}
}

// The pin deploy is not run when a deployment starts, or the alias moves, during the prompt.
func TestPinRollbackRefusedWhenSomethingChangesDuringThePrompt(t *testing.T) {
	for name, tc := range map[string]struct {
		change func(f *fakeAWS)
		want   string
	}{
		"deployment started": {func(f *fakeAWS) {
			f.deployments = append(f.deployments, fakeDeployment{id: "d-NEXT", status: "Queued", created: t0.Add(3 * time.Hour), current: "7", target: "8"})
		}, "deployment d-NEXT (Queued) started, nothing was deployed"},
		"alias moved": {func(f *fakeAWS) { f.aliasVersion = "8"; f.revision++ }, "api:live changed since it was read, nothing was deployed"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake(t)
			script, argsFile := stubCDK(t, f, 0, true)
			c := f.cliReading(duringPrompt(f, "y\n", func() { tc.change(f) }))
			code, _, errOut := runWith(c, pinArgs(script)...)
			if code != exitFail || deployArgs(t, argsFile) != nil || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, deploy ran with %v: %s", code, deployArgs(t, argsFile), errOut)
			}
		})
	}
}

func TestRollbackDeclined(t *testing.T) {
	f := newFake(t)
	f.deployment("d-NEW").status = "InProgress"
	code, out, errOut := runWith(f.cli("n\n"), append([]string{"rollback"}, group...)...)
	if code != exitDecline || !strings.Contains(errOut, "declined") || len(f.stopped) != 0 || !strings.Contains(out, "proceed? [y/N]") {
		t.Errorf("exit %d: %s%s", code, out, errOut)
	}
	// No answer at all (a script without -yes) declines too.
	code, _, _ = runWith(f.cli(""), append([]string{"rollback"}, group...)...)
	if code != exitDecline || len(f.stopped) != 0 {
		t.Errorf("no answer: exit %d", code)
	}
}
