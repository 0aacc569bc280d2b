package test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/safeship/lambda-bluegreen/constructs/hooks"
	"github.com/safeship/lambda-bluegreen/constructs/strategy"
)

// Sequences of deploys, replayed through the model of lifecycle_model_test.go with the templates the constructs
// synthesize. Each release is a commit of the service ("c1", "c2"…): a new commit changes the function's
// configuration, so CDK gives its version a new logical id and CloudFormation publishes it.

func canary(commit string) release {
	return release{commit: commit, strategy: strategy.Canary10Percent5Minutes}
}

// logHas fails the test unless the world's log has a line containing want.
func logHas(t *testing.T, w *world, want string) {
	t.Helper()
	for _, l := range w.log {
		if strings.Contains(l, want) {
			return
		}
	}
	t.Errorf("log lacks %q:\n%s", want, strings.Join(w.log, "\n"))
}

func versionsAre(t *testing.T, w *world, want ...string) {
	t.Helper()
	var got []string
	for _, v := range w.lambda.versions {
		got = append(got, strconv.Itoa(v.number))
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("versions %v, want %v\n%s", got, want, strings.Join(w.log, "\n"))
	}
}

func TestLifecycleFirstDeploy(t *testing.T) {
	w := newWorld(t)
	w.mustDeploy(canary("c1"))
	w.serves("1")
	for _, l := range w.log {
		if strings.Contains(l, "deployment") {
			t.Errorf("creating the alias runs no CodeDeploy deployment: %s", l)
		}
	}
}

func TestLifecycleDeployThatChangesNothing(t *testing.T) {
	w := newWorld(t)
	w.mustDeploy(canary("c1"))
	w.mustDeploy(canary("c1"))
	w.serves("1")
	versionsAre(t, w, "1")
}

func TestLifecycleNewCodeCanarySucceeds(t *testing.T) {
	w := newWorld(t)
	w.mustDeploy(canary("c1"))
	w.mustDeploy(canary("c2"))
	w.serves("2")
	logHas(t, w, "alias 1+2@0.1")
	versionsAre(t, w, "1", "2") // blue is kept for the next rollback
}

// An alarm during the canary rolls back; the green of that deploy is deleted with the rollback, so the same commit
// can be deployed again (a pipeline retry), which publishes it anew.
func TestLifecycleAlarmDuringCanaryThenRerun(t *testing.T) {
	w := newWorld(t)
	w.mustDeploy(canary("c1"))
	flaky := true
	w.alarmFires = func(path, green string, since time.Duration) bool {
		return flaky && strings.HasSuffix(path, "/GreenAlarms/ErrorRate") && since >= 4*time.Minute
	}
	if err := w.deploy(canary("c2")); err == nil {
		t.Fatalf("an alarm during the canary must fail the deploy")
	}
	w.serves("1")
	logHas(t, w, "alarm Svc/Api/GreenAlarms/ErrorRate in ALARM")
	logHas(t, w, "rollback deleted version 2 (RetainExceptOnCreate)")
	versionsAre(t, w, "1")

	flaky = false // the same commit, run again
	w.mustDeploy(canary("c2"))
	w.serves("3")
}

// What RetainExceptOnCreate prevents: with Retain, the rolled-back green survives and the same commit can never be
// deployed again.
func TestLifecycleRetainedGreenBlocksTheRerun(t *testing.T) {
	w := newWorld(t)
	w.policyOverride = "Retain"
	w.mustDeploy(canary("c1"))
	w.alarmFires = func(path, _ string, since time.Duration) bool { return since >= 4*time.Minute }
	if err := w.deploy(canary("c2")); err == nil {
		t.Fatalf("the alarm must fail the deploy")
	}
	w.alarmFires = func(string, string, time.Duration) bool { return false }
	if err := w.deploy(canary("c2")); !errors.Is(err, errVersionExists) {
		t.Fatalf("with Retain, re-running the commit must fail with %q, got %v", errVersionExists, err)
	}
}

// A failing pre-traffic test stops the deployment before any traffic moves; a fixed commit then ships.
func TestLifecyclePreTrafficTestFailsThenFixedCommit(t *testing.T) {
	w := newWorld(t)
	r := func(commit string) release { rel := canary(commit); rel.pre = true; return rel }
	w.mustDeploy(r("c1"))
	w.preHookPasses = func(green string) bool { return green != "2" }
	if err := w.deploy(r("c2")); err == nil || !strings.Contains(err.Error(), "BeforeAllowTraffic") {
		t.Fatalf("want the pre-traffic hook to fail the deploy, got %v", err)
	}
	for _, l := range w.log {
		if strings.Contains(l, "alias 1+2") {
			t.Errorf("traffic moved to a green that failed its tests: %s", l)
		}
	}
	w.mustDeploy(r("c3"))
	w.serves("3")
	versionsAre(t, w, "1", "3")
}

// A finished release is rolled back through a deploy that pins the alias to the previous version; the next deploy
// of a fixed commit then ships as usual. Repointing the alias outside CloudFormation instead breaks that deploy.
func TestLifecycleManualRollbackAfterRelease(t *testing.T) {
	t.Run("through a pinned deploy", func(t *testing.T) {
		w := newWorld(t)
		w.mustDeploy(canary("c1"))
		w.mustDeploy(canary("c2"))
		pinned := canary("c2")
		pinned.pin = "1"
		w.mustDeploy(pinned)
		w.serves("1")
		for _, l := range w.log {
			if strings.Contains(l, "alias 2+1@") {
				t.Errorf("a pin moves all traffic back in one step, got a weighted step: %s", l)
			}
		}
		versionsAre(t, w, "1", "2") // nothing deleted: the bad version stays for the record
		w.mustDeploy(canary("c3"))
		w.serves("3")
	})
	t.Run("outside CloudFormation, the next deploy fails", func(t *testing.T) {
		w := newWorld(t)
		w.mustDeploy(canary("c1"))
		w.mustDeploy(canary("c2"))
		w.lambda.alias = aliasState{version: "1"} // UpdateAlias by hand
		if err := w.deploy(canary("c3")); !errors.Is(err, errInvalidLambdaConfiguration) {
			t.Fatalf("want CodeDeploy to refuse the next deployment, got %v", err)
		}
		w.serves("1")
	})
}

// An operator stops a deployment mid-shift (bluegreen rollback); CloudFormation rolls back, and the commit can be
// deployed again.
func TestLifecycleManualRollbackMidShift(t *testing.T) {
	w := newWorld(t)
	w.mustDeploy(canary("c1"))
	w.stopAt = 2 * time.Minute
	if err := w.deploy(canary("c2")); err == nil {
		t.Fatalf("a stopped deployment must fail the deploy")
	}
	w.serves("1")
	logHas(t, w, "stopped by an operator")
	w.stopAt = 0
	w.mustDeploy(canary("c2"))
	w.serves("3")
}

// The emergency bypass ships all at once past a firing alarm; the next normal deploy has its alarms back.
func TestLifecycleEmergencyBypassThenNormalDeploy(t *testing.T) {
	w := newWorld(t)
	business := func(commit string, bypass bool) release {
		r := canary(commit)
		r.business, r.bypass = true, bypass
		return r
	}
	w.mustDeploy(business("c1", false))
	firing := true
	w.alarmFires = func(path, _ string, _ time.Duration) bool { return firing && path == "Svc/Business" }
	w.mustDeploy(business("c2", true))
	w.serves("2")
	logHas(t, w, "alias 2") // all at once: no weighted step
	if err := w.deploy(business("c3", false)); err == nil {
		t.Fatalf("after the bypass, a firing alarm must stop the next deploy again")
	}
	w.serves("2")
	firing = false
	w.mustDeploy(business("c3", false))
	w.serves("4")
}

// An alarm removed from the code no longer stops deployments.
func TestLifecycleAlarmRemovedBetweenDeploys(t *testing.T) {
	w := newWorld(t)
	with := canary("c1")
	with.business = true
	w.mustDeploy(with)
	w.alarmFires = func(path, _ string, _ time.Duration) bool { return path == "Svc/Business" }
	with.commit = "c2"
	if err := w.deploy(with); err == nil {
		t.Fatalf("the firing business alarm must stop the deploy")
	}
	w.mustDeploy(canary("c2"))
	w.serves("3")
}

// A function nobody calls ships through a whole canary: the post-traffic hook's traffic gate is opt-in.
func TestLifecycleQuietFunction(t *testing.T) {
	w := newWorld(t)
	w.invocations = 0
	post := func(commit string, gate *float64) release {
		r := canary(commit)
		r.post = &hooks.PostTrafficProps{MinInvocations: gate}
		return r
	}
	w.mustDeploy(post("c1", nil))
	w.mustDeploy(post("c2", nil))
	w.serves("2")
	w.mustDeploy(post("c3", nil))
	w.serves("3")
	one := 1.0
	if err := w.deploy(post("c4", &one)); err == nil || !strings.Contains(err.Error(), "0 invocations") {
		t.Fatalf("a gate set on a quiet function rolls back (that is why it is opt-in), got %v", err)
	}
	w.serves("3")
}

// Pruning keeps a version that an event source mapping still invokes: Lambda would delete it and the mapping
// would fail.
func TestLifecyclePruningKeepsVersionsInUse(t *testing.T) {
	w := newWorld(t)
	keep := 1
	pruning := func(commit string) release {
		r := canary(commit)
		r.post = &hooks.PostTrafficProps{KeepVersions: &keep}
		return r
	}
	w.mustDeploy(pruning("c1"))
	w.lambda.mappings["1"] = true // a queue's mapping invokes version 1
	w.mustDeploy(pruning("c2"))
	w.mustDeploy(pruning("c3"))
	w.mustDeploy(pruning("c4"))
	w.serves("4")
	versionsAre(t, w, "1", "3", "4") // 1: the mapping's; 3: blue; 4: green
}

// A function throttled during the pre-traffic tests ships: what Lambda refused without running it is sent again.
// A load check the function's reserved concurrency cannot hold is refused at synth, before any deploy.
func TestLifecycleThrottledFunctionDuringPreTraffic(t *testing.T) {
	w := newWorld(t)
	tested := func(commit string) release { r := canary(commit); r.pre = true; return r }
	w.mustDeploy(tested("c1"))
	w.throttled = 3
	w.mustDeploy(tested("c2"))
	w.serves("2")
	w.throttled = 50 // throttled for good: the hook gives up within its deadline and reports Failed
	if err := w.deploy(tested("c3")); err == nil || !strings.Contains(err.Error(), "throttled") {
		t.Fatalf("a function throttled for good must fail its pre-traffic hook, got %v", err)
	}
	w.serves("2")

	tight := tested("c4")
	tight.load, tight.reserved = true, 2
	msg := mustPanic(t, func() { w.deploy(tight) })
	if !strings.Contains(msg, "PreTraffic.Load.Concurrency must be at most the ReservedConcurrentExecutions") {
		t.Errorf("a load check above the reserved concurrency must be refused at synth, got %q", msg)
	}
}
