package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
)

// step is a change to AWS at a time after watch started.
type step struct {
	at     time.Duration
	change func(f *fakeAWS)
}

// scripted returns the command wired to the fake with a clock that only moves when watch sleeps: each sleep
// advances it, then applies every step that is due. No test waits in real time.
func (f *fakeAWS) scripted(terminal bool, steps ...step) cli {
	c := f.cli("")
	now := t0.Add(2 * time.Hour)
	start := now
	next := 0
	c.now = func() time.Time { return now }
	c.sleep = func(ctx context.Context, d time.Duration) error {
		now = now.Add(d)
		for next < len(steps) && steps[next].at <= now.Sub(start) {
			f.set(func() { steps[next].change(f) })
			next++
		}
		return ctx.Err()
	}
	c.terminal = func(io.Writer) bool { return terminal }
	return c
}

var watchArgs = []string{"watch", "-function", "api", "-application", "app", "-group", "grp"}

// newRelease is deployment d-REL of version 7 → 8, as CloudFormation starts it: with a pre-traffic hook, created now.
func newRelease(status string, events ...fakeEvent) fakeDeployment {
	return fakeDeployment{id: "d-REL", status: status, created: t0.Add(2 * time.Hour), current: "7", target: "8",
		hooks:  map[string]string{"BeforeAllowTraffic": "CodeDeployHook_api_pre", "AfterAllowTraffic": "CodeDeployHook_api_post"},
		events: events}
}

func events(before, shift, after string) []fakeEvent {
	return []fakeEvent{{name: "BeforeAllowTraffic", status: before}, {name: "AllowTraffic", status: shift},
		{name: "AfterAllowTraffic", status: after}}
}

// newWatchFake is the fake with green's alarms, all OK.
func newWatchFake(t *testing.T) *fakeAWS {
	f := newFake(t)
	f.alarms = map[string]string{"api-ErrorRate-v8": "OK", "api-Latency-v8": "OK"}
	f.logGroups = map[string]string{"CodeDeployHook_api_pre": "", "CodeDeployHook_api_post": ""}
	return f
}

func (f *fakeAWS) update(id string, change func(d *fakeDeployment)) {
	change(f.deployment(id))
}

// A canary that progresses and succeeds: watch waits for the deployment the deploy starts, shows the pre-traffic
// hook, green at 10 % then 100 % with the timeline, and exits 0.
func TestWatchCanarySucceeds(t *testing.T) {
	f := newWatchFake(t)
	c := f.scripted(false,
		step{10 * time.Second, func(f *fakeAWS) {
			f.deployments = append(f.deployments, newRelease("Created"))
		}},
		step{20 * time.Second, func(f *fakeAWS) {
			f.update("d-REL", func(d *fakeDeployment) {
				d.status = "InProgress"
				d.events = events("InProgress", "Pending", "Pending")
			})
		}},
		step{40 * time.Second, func(f *fakeAWS) {
			f.update("d-REL", func(d *fakeDeployment) { d.events = events("Succeeded", "InProgress", "Pending") })
			f.weights = map[string]float64{"8": 0.1}
		}},
		step{5*time.Minute + 40*time.Second, func(f *fakeAWS) {
			f.update("d-REL", func(d *fakeDeployment) { d.events = events("Succeeded", "Succeeded", "InProgress") })
			f.aliasVersion, f.weights = "8", nil
		}},
		step{6 * time.Minute, func(f *fakeAWS) {
			f.update("d-REL", func(d *fakeDeployment) {
				d.status = "Succeeded"
				d.events = events("Succeeded", "Succeeded", "Succeeded")
			})
		}},
	)
	code, out, errOut := runWith(c, watchArgs...)
	if code != exitOK {
		t.Fatalf("exit %d, want 0:\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"waiting for the next deployment of app/grp",
		"deployment d-REL started",
		"following deployment d-REL of app/grp: api:live from version 7 to 8, created by CloudFormation",
		"strategy Canary10Percent5Minutes: 0s → 10 %, 5m0s → 100 %",
		"hook     BeforeAllowTraffic (CodeDeployHook_api_pre) InProgress",
		"hook     BeforeAllowTraffic (CodeDeployHook_api_pre) Succeeded",
		"shift    AllowTraffic InProgress",
		"traffic  green (version 8) 10 %  [" + strings.Repeat(".", 30) + "]  0s of 5m0s, next 100 % at 5m0s",
		"traffic  green (version 8) 100 %  [##############################]",
		"SUCCEEDED  deployment d-REL after",
		"api:live serves version 8 alone",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`alarm +OK +api-ErrorRate-v8`).MatchString(out) {
		t.Errorf("no alarm state:\n%s", out)
	}
	// The bar moves with the timeline: a minute into the canary, one fifth of it has passed.
	if !regexp.MustCompile(`progress green 10 %  \[######\.{24}\]  1m\d+s of 5m0s`).MatchString(out) {
		t.Errorf("no progress line a minute into the canary:\n%s", out)
	}
}

// A failing pre-traffic test: exit 1, naming the hook function and its log group.
func TestWatchPreTrafficHookFails(t *testing.T) {
	f := newWatchFake(t)
	f.deployments = append(f.deployments, newRelease("InProgress", events("InProgress", "Pending", "Pending")...))
	c := f.scripted(false, step{30 * time.Second, func(f *fakeAWS) {
		f.update("d-REL", failPreTraffic)
	}})
	code, out, errOut := runWith(c, append(watchArgs, "-deployment", "d-REL")...)
	if code != exitFail {
		t.Fatalf("exit %d, want 1:\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"hook     BeforeAllowTraffic (CodeDeployHook_api_pre) Failed: smoke test: GET /health returned 500",
		"FAILED  deployment d-REL Failed after",
		"the pre-traffic hook CodeDeployHook_api_pre failed (BeforeAllowTraffic) before green took any traffic; " +
			"its logs are in CloudWatch log group /aws/lambda/CodeDeployHook_api_pre: smoke test: GET /health returned 500",
		"codedeploy HOOK_EXECUTION_FAILURE: lifecycle event BeforeAllowTraffic failed",
		"now        api:live serves version 7 alone",
		"console    https://eu-west-1.console.aws.amazon.com/codesuite/codedeploy/deployments/d-REL?region=eu-west-1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// A hook that logs to its own log group is looked up there.
	g := newWatchFake(t)
	g.logGroups["CodeDeployHook_api_pre"] = "/hooks/api"
	g.deployments = append(g.deployments, newRelease("Failed", fakeEvent{name: "BeforeAllowTraffic", status: "Failed"}))
	code, out, _ = runWith(g.scripted(false), append(watchArgs, "-deployment", "d-REL", "-json")...)
	var res WatchResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != exitFail || res.Hook == nil ||
		res.Hook.Function != "CodeDeployHook_api_pre" || res.Hook.LogGroup != "/hooks/api" || res.Outcome != "failed" {
		t.Errorf("custom log group: exit %d, %+v, %v\n%s", code, res.Hook, err, out)
	}
	// An AppSpec without Hooks (AWS does not document the one CloudFormation writes): the event is named, and where
	// a hook's logs are.
	h := newWatchFake(t)
	rel := newRelease("Failed", fakeEvent{name: "AfterAllowTraffic", status: "Failed"})
	rel.hooks = nil
	h.deployments = append(h.deployments, rel)
	code, out, _ = runWith(h.scripted(false), append(watchArgs, "-deployment", "d-REL")...)
	if want := "the post-traffic hook failed (AfterAllowTraffic) after green took all traffic; the deployment's AppSpec " +
		"names no hook function: its logs are in CloudWatch log group /aws/lambda/<hook function>"; code != exitFail || !strings.Contains(out, want) {
		t.Errorf("no hooks in the AppSpec: exit %d, want %q:\n%s", code, want, out)
	}
}

// An alarm during the canary: CodeDeploy stops the deployment (ALARM_ACTIVE) and rolls back; exit 1 naming the
// alarm, the rollback deployment and what the alias serves now.
func TestWatchAlarmRollsBack(t *testing.T) {
	f := newWatchFake(t)
	f.deployments = append(f.deployments, newRelease("InProgress", events("Succeeded", "InProgress", "Pending")...))
	f.weights = map[string]float64{"8": 0.1}
	c := f.scripted(false,
		step{2 * time.Minute, func(f *fakeAWS) { f.alarms["api-ErrorRate-v8"] = "ALARM" }},
		step{2*time.Minute + 30*time.Second, func(f *fakeAWS) {
			f.update("d-REL", func(d *fakeDeployment) {
				d.status = "Stopped"
				d.events = events("Succeeded", "Failed", "Skipped")
				d.errorCode = "ALARM_ACTIVE"
				d.errorMessage = "One or more alarms have been activated according to the Amazon CloudWatch metrics you selected, " +
					"and the affected deployments have been stopped. Activated alarms: <api-ErrorRate-v8>"
				d.rollbackID, d.rollbackMsg = "d-RB", "Deployment d-RB is triggered to roll back deployment d-REL."
			})
			f.weights = nil
		}},
	)
	code, out, errOut := runWith(c, watchArgs...)
	if code != exitFail {
		t.Fatalf("exit %d, want 1:\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"deployment d-REL of app/grp is InProgress: following it",
		"STOPPED  deployment d-REL Stopped after",
		"rollback alarm api-ErrorRate-v8 went into ALARM when green had reached 10 % of traffic",
		"aws cloudwatch describe-alarm-history --alarm-name api-ErrorRate-v8",
		"green's logs in /aws/lambda/api (version 8)",
		"rollback   d-RB Deployment d-RB is triggered to roll back deployment d-REL.",
		"now        api:live serves version 7 alone",
		"traffic  green (version 8) 0 %  [###############...............]  2m30s of 5m0s, stopped",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`alarm +ALARM +api-ErrorRate-v8`).MatchString(out) || strings.Contains(out, "api-Latency-v8 went") ||
		strings.Contains(out, "hook CodeDeployHook") {
		t.Errorf("names an alarm that stayed OK, or blames a hook:\n%s", out)
	}
}

// A stop by a user (bluegreen rollback in another terminal): exit 1, said so.
func TestWatchStoppedByAUser(t *testing.T) {
	f := newWatchFake(t)
	f.deployments = append(f.deployments, newRelease("InProgress", events("Succeeded", "InProgress", "Pending")...))
	f.weights = map[string]float64{"8": 0.1}
	c := f.scripted(false, step{time.Minute, func(f *fakeAWS) {
		f.update("d-REL", func(d *fakeDeployment) {
			d.status, d.events = "Stopped", events("Succeeded", "Failed", "Skipped")
			d.errorCode, d.errorMessage = "MANUAL_STOP", "The deployment was stopped by the user"
		})
		f.weights = nil
	}})
	code, out, errOut := runWith(c, append(watchArgs, "-json")...)
	var res WatchResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != exitFail || res.Outcome != "stopped" ||
		res.ErrorCode != "MANUAL_STOP" || len(res.Alarms) != 0 || res.Hook != nil ||
		!strings.HasPrefix(res.Reason, "stopped by a user or a tool (StopDeployment") {
		t.Fatalf("exit %d, %+v, %v\n%s%s", code, res, err, out, errOut)
	}
	// -json keeps standard output for the result: the progress goes to standard error.
	if !strings.Contains(errOut, "STOPPED  deployment d-REL Stopped") || !strings.Contains(errOut, "status   InProgress") {
		t.Errorf("progress not on standard error:\n%s", errOut)
	}
}

// Not on a terminal (CI, a pipe): plain lines only, each with the time; on a terminal, a bar redrawn in place.
func TestWatchOutputPlainOrTerminal(t *testing.T) {
	script := func(f *fakeAWS) []step {
		f.deployments = append(f.deployments, newRelease("InProgress", events("Succeeded", "InProgress", "Pending")...))
		f.weights = map[string]float64{"8": 0.1}
		return []step{{90 * time.Second, func(f *fakeAWS) {
			f.update("d-REL", func(d *fakeDeployment) {
				d.status, d.events = "Succeeded", events("Succeeded", "Succeeded", "Succeeded")
			})
			f.aliasVersion, f.weights = "8", nil
		}}}
	}
	f := newWatchFake(t)
	code, out, _ := runWith(f.scripted(false, script(f)...), watchArgs...)
	if code != exitOK || strings.ContainsAny(out, "\r\x1b█") {
		t.Fatalf("exit %d; plain output has terminal control characters or blocks:\n%q", code, out)
	}
	timed := regexp.MustCompile(`^(\d\d:\d\d:\d\d  |SUCCEEDED  |  console )`)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !timed.MatchString(line) {
			t.Errorf("line without the time: %q", line)
		}
	}
	g := newWatchFake(t)
	code, out, _ = runWith(g.scripted(true, script(g)...), watchArgs...)
	if code != exitOK || !strings.Contains(out, "\r\x1b[K") || !strings.Contains(out, "█") || !strings.Contains(out, "green 10 %  [███") {
		t.Errorf("exit %d; no redrawn bar on a terminal:\n%q", code, out)
	}
}

// Nothing ends before the timeout: exit 5, the deployment goes on. Throttled reads are retried at the next poll.
func TestWatchTimesOutAndSurvivesThrottling(t *testing.T) {
	f := newWatchFake(t)
	f.deployments = append(f.deployments, newRelease("InProgress", events("InProgress", "Pending", "Pending")...))
	f.throttle = map[string]int{"GetDeployment": 2}
	code, out, errOut := runWith(f.scripted(false), append(watchArgs, "-timeout", "3m", "-interval", "30s")...)
	if code != exitTimeout {
		t.Fatalf("exit %d, want %d:\n%s%s", code, exitTimeout, out, errOut)
	}
	for _, want := range []string{"reading the deployment failed (1 in a row, trying again in 30s)", "ThrottlingException",
		"TIMED OUT  deployment d-REL is still InProgress after 3m0s of watching; it goes on: bluegreen watch -deployment d-REL"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if n := f.calls["GetDeployment"]; n < 6 || n > 9 { // one poll every 30 s for 3 minutes
		t.Errorf("GetDeployment called %d times in 3 minutes at 30 s", n)
	}
	// With no deployment at all, the wait times out the same way.
	g := newWatchFake(t)
	code, out, _ = runWith(g.scripted(false), append(watchArgs, "-timeout", "1m")...)
	if code != exitTimeout || !strings.Contains(out, "TIMED OUT  no deployment of app/grp started within 1m0s") {
		t.Errorf("no deployment: exit %d:\n%s", code, out)
	}
}

func TestWatchUsage(t *testing.T) {
	f := newWatchFake(t)
	for _, args := range [][]string{
		{"watch", "-function", "api"},
		{"watch", "-function", "api", "-application", "app", "-group", "grp", "-interval", "10ms"},
		{"watch", "-function", "api", "-application", "app", "-group", "grp", "-deployment", "REL"},
		{"watch", "-function", "api", "-application", "app", "-group", "grp", "stray"},
	} {
		if code, _, errOut := runWith(f.cli(""), args...); code != exitUsage || !strings.Contains(errOut, "bluegreen watch") {
			t.Errorf("%v: exit %d, want %d: %s", args, code, exitUsage, errOut)
		}
	}
}

// The timeline comes from the deployment config; a predefined config is also known by its name alone.
func TestShiftTimeline(t *testing.T) {
	cases := []struct {
		s     shift
		name  string
		steps string
		total time.Duration
	}{
		{predefinedShift("CodeDeployDefault.LambdaCanary10Percent30Minutes"), "Canary10Percent30Minutes", "0s 10, 30m0s 100", 30 * time.Minute},
		{predefinedShift("CodeDeployDefault.LambdaLinear10PercentEvery1Minute"), "Linear10PercentEvery1Minute",
			"0s 10, 1m0s 20, 2m0s 30, 3m0s 40, 4m0s 50, 5m0s 60, 6m0s 70, 7m0s 80, 8m0s 90, 9m0s 100", 9 * time.Minute},
		{predefinedShift("CodeDeployDefault.LambdaAllAtOnce"), "AllAtOnce", "0s 100", 0},
		{shift{kind: "TimeBasedLinear", percent: 30, interval: 2 * time.Minute}, "Linear30PercentEvery2Minutes",
			"0s 30, 2m0s 60, 4m0s 90, 6m0s 100", 6 * time.Minute},
	}
	for _, tc := range cases {
		var steps []string
		for _, s := range tc.s.steps() {
			steps = append(steps, fmt.Sprintf("%s %g", s.at, s.percent))
		}
		if !tc.s.valid() || tc.s.String() != tc.name || strings.Join(steps, ", ") != tc.steps || tc.s.total() != tc.total {
			t.Errorf("%+v: %s, %s, %s; want %s, %s, %s", tc.s, tc.s, strings.Join(steps, ", "), tc.s.total(), tc.name, tc.steps, tc.total)
		}
	}
	if s := predefinedShift("my-config"); s.valid() {
		t.Errorf("a custom config's name gave a timeline: %+v", s)
	}
}

// Ctrl-C: watch says the deployment goes on and exits 130.
func TestWatchInterrupted(t *testing.T) {
	f := newWatchFake(t)
	f.deployments = append(f.deployments, newRelease("InProgress", events("Succeeded", "InProgress", "Pending")...))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := f.scripted(false, step{20 * time.Second, func(*fakeAWS) { cancel() }})
	c.ctx = ctx
	code, out, _ := runWith(c, watchArgs...)
	if code != exitInterrupted || !strings.Contains(out, "INTERRUPTED  stopped watching; deployment d-REL goes on") {
		t.Errorf("exit %d, want %d:\n%s", code, exitInterrupted, out)
	}
}

// -deployment latest (a verify step after the deploy): the group's newest deployment, reported at once when it has
// ended, with its exit code.
func TestWatchLatest(t *testing.T) {
	f := newWatchFake(t)
	rel := newRelease("Stopped", events("Succeeded", "Failed", "Skipped")...)
	rel.errorCode = "ALARM_ACTIVE"
	rel.errorMessage = "One or more alarms have been activated. Activated alarms: <api-ErrorRate-v8>"
	f.deployments = append(f.deployments, rel)
	code, out, errOut := runWith(f.scripted(false), append(watchArgs, "-deployment", "latest")...)
	if code != exitFail || !strings.Contains(out, "following deployment d-REL") ||
		!strings.Contains(out, "STOPPED  deployment d-REL Stopped") || !strings.Contains(out, "rollback alarm api-ErrorRate-v8 went into ALARM") {
		t.Errorf("exit %d:\n%s%s", code, out, errOut)
	}
	g := newWatchFake(t) // d-NEW, the newest, succeeded
	if code, out, _ := runWith(g.scripted(false), append(watchArgs, "-deployment", "latest")...); code != exitOK ||
		!strings.Contains(out, "SUCCEEDED  deployment d-NEW") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

// After an alarm, CodeDeploy's rollback is the newest deployment, and it succeeds: -deployment latest reports the
// release it rolled back (exit 1, naming the alarm), not the rollback's success; a rollback that names no release
// still ends in exit 1.
func TestWatchLatestAfterARollback(t *testing.T) {
	f := newWatchFake(t)
	rel := newRelease("Stopped", events("Succeeded", "Failed", "Skipped")...)
	rel.errorCode = "ALARM_ACTIVE"
	rel.errorMessage = "One or more alarms have been activated. Activated alarms: <api-ErrorRate-v8>"
	rel.rollbackID = "d-RB"
	rb := newRelease("Succeeded", events("Skipped", "Succeeded", "Skipped")...)
	rb.id, rb.created, rb.current, rb.target = "d-RB", rel.created.Add(5*time.Minute), "8", "7"
	rb.creator, rb.rollbackOf = "codeDeployRollback", "d-REL"
	f.deployments = append(f.deployments, rel, rb)
	code, out, errOut := runWith(f.scripted(false), append(watchArgs, "-deployment", "latest")...)
	if code != exitFail || !strings.Contains(out, "deployment d-RB rolls back deployment d-REL") ||
		!strings.Contains(out, "STOPPED  deployment d-REL Stopped") || !strings.Contains(out, "api-ErrorRate-v8") {
		t.Errorf("exit %d:\n%s%s", code, out, errOut)
	}

	g := newWatchFake(t)
	anon := rb
	anon.rollbackOf = ""
	g.deployments = append(g.deployments, anon)
	code, out, errOut = runWith(g.scripted(false), append(watchArgs, "-deployment", "d-RB")...)
	if code != exitFail || !strings.Contains(out, "ROLLED BACK  deployment d-RB") {
		t.Errorf("exit %d:\n%s%s", code, out, errOut)
	}
}

// A read that fails right after the deployment ended (here the lifecycle events, throttled past the SDK's retries)
// does not end watch with the events of an earlier poll: the next poll reads them, and the failed hook is named.
func TestWatchEndsOnlyAfterAWholePoll(t *testing.T) {
	f := newWatchFake(t)
	f.deployments = append(f.deployments, newRelease("InProgress", events("InProgress", "Pending", "Pending")...))
	c := f.scripted(false, step{30 * time.Second, func(f *fakeAWS) {
		f.update("d-REL", failPreTraffic)
		f.throttle = map[string]int{"GetDeploymentTarget": 3} // every attempt of the next poll's read
	}})
	code, out, errOut := runWith(c, append(watchArgs, "-deployment", "d-REL")...)
	if code != exitFail || !strings.Contains(out, "reading the deployment failed (1 in a row") ||
		!strings.Contains(out, "the pre-traffic hook CodeDeployHook_api_pre failed (BeforeAllowTraffic)") {
		t.Errorf("exit %d:\n%s%s", code, out, errOut)
	}
}

// failPreTraffic ends d as CodeDeploy ends a deployment whose pre-traffic hook reported Failed.
func failPreTraffic(d *fakeDeployment) {
	d.status = "Failed"
	d.events = []fakeEvent{{name: "BeforeAllowTraffic", status: "Failed", message: "smoke test: GET /health returned 500"},
		{name: "AllowTraffic", status: "Skipped"}, {name: "AfterAllowTraffic", status: "Skipped"}}
	d.errorCode, d.errorMessage = "HOOK_EXECUTION_FAILURE", "lifecycle event BeforeAllowTraffic failed"
}

// AWS that cannot be read (access denied, a deployment that does not exist, throttling past the retries) exits 6,
// which says nothing of the release, unlike the 1 of a release that failed; -deployment latest in a group with no
// deployment read AWS fine and keeps exit 1.
func TestWatchCouldNotReadAWS(t *testing.T) {
	denied := newWatchFake(t)
	denied.deployments = append(denied.deployments, newRelease("InProgress", events("InProgress", "Pending", "Pending")...))
	denied.aliasError = "AccessDeniedException"
	throttled := newWatchFake(t)
	throttled.deployments = append(throttled.deployments, newRelease("InProgress", events("InProgress", "Pending", "Pending")...))
	throttled.throttle = map[string]int{"GetDeployment": 1000}
	cases := []struct {
		name string
		f    *fakeAWS
		args []string
		want string
	}{
		{"access denied", denied, []string{"-deployment", "d-REL"}, "access denied: the IAM policy does not allow lambda:GetAlias"},
		{"no such deployment", newWatchFake(t), []string{"-deployment", "d-NOPE"}, "DeploymentDoesNotExistException"},
		{"throttled past the retries", throttled, []string{"-deployment", "d-REL"}, "ThrottlingException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runWith(tc.f.scripted(false), append(append(watchArgs, tc.args...), "-json")...)
			var res WatchResult
			if code != exitAWS || !strings.Contains(errOut, "bluegreen watch: could not read AWS, the deployment's outcome is unknown: ") ||
				!strings.Contains(errOut, tc.want) || json.Unmarshal([]byte(out), &res) != nil || res.Outcome != outcomeError {
				t.Errorf("exit %d, want %d:\n%s%s", code, exitAWS, out, errOut)
			}
		})
	}
	empty := newWatchFake(t)
	empty.deployments = nil
	if code, _, errOut := runWith(empty.scripted(false), append(watchArgs, "-deployment", "latest")...); code != exitFail ||
		!strings.Contains(errOut, "has no deployment yet") {
		t.Errorf("latest in an empty group: exit %d, want %d: %s", code, exitFail, errOut)
	}
}

// The deployment's target is listed once: a poll whose GetDeploymentTarget fails (throttled past the retries) keeps
// the id ListDeploymentTargets gave, and the next polls read the target without listing again.
func TestWatchListsTheTargetOnce(t *testing.T) {
	f := newWatchFake(t)
	f.deployments = append(f.deployments, newRelease("InProgress", events("InProgress", "Pending", "Pending")...))
	f.throttle = map[string]int{"GetDeploymentTarget": 3}
	code, out, errOut := runWith(f.scripted(false), append(watchArgs, "-deployment", "d-REL", "-timeout", "2m", "-interval", "30s")...)
	if code != exitTimeout || !strings.Contains(out, "reading the deployment failed (1 in a row") {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	if n, m := f.calls["ListDeploymentTargets"], f.calls["GetDeploymentTarget"]; n != 1 || m < 4 {
		t.Errorf("ListDeploymentTargets called %d times, GetDeploymentTarget %d times: the target's id is listed once", n, m)
	}
}

// rollbackInfo.rollbackDeploymentId naming the deployment itself is no rollback of it (deployment.RolledBackBy):
// watch names none.
func TestWatchTakesASelfLinkForNoRollback(t *testing.T) {
	f := newWatchFake(t)
	rel := newRelease("InProgress", events("InProgress", "Pending", "Pending")...)
	failPreTraffic(&rel)
	rel.rollbackID, rel.rollbackMsg = "d-REL", "no rollback"
	f.deployments = append(f.deployments, rel)
	code, out, errOut := runWith(f.scripted(false), append(watchArgs, "-deployment", "d-REL", "-json")...)
	var res WatchResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != exitFail || res.RollbackDeployment != "" ||
		res.RollbackMessage != "no rollback" || strings.Contains(errOut, "rollback   d-REL") {
		t.Errorf("exit %d, %+v, %v\n%s", code, res, err, errOut)
	}
}

// What ended the deployment is deployment.Why's decision, the notification's too: a stop by a user (MANUAL_STOP)
// during the pre-traffic hook is a stop, even when the hook's event shows Failed.
func TestWatchStopDuringAHookIsAStop(t *testing.T) {
	f := newWatchFake(t)
	rel := newRelease("Stopped", fakeEvent{name: "BeforeAllowTraffic", status: "Failed"}, fakeEvent{name: "AllowTraffic", status: "Skipped"})
	rel.errorCode, rel.errorMessage = "MANUAL_STOP", "The deployment was stopped by the user"
	f.deployments = append(f.deployments, rel)
	code, out, errOut := runWith(f.scripted(false), append(watchArgs, "-deployment", "d-REL", "-json")...)
	var res WatchResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != exitFail || res.Hook != nil ||
		!strings.HasPrefix(res.Reason, "stopped by a user or a tool") {
		t.Errorf("exit %d, %+v, %v\n%s", code, res, err, errOut)
	}
}
