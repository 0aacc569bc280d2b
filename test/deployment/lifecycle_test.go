package deployment

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/hooks"
	"github.com/safeship/lambda-bluegreen/constructs/strategy"
	"github.com/safeship/lambda-bluegreen/test/testkit"
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
	if err := w.deploy(tested("c3")); err == nil || !strings.Contains(err.Error(), "TooManyRequestsException") {
		t.Fatalf("a function throttled for good must fail its pre-traffic hook, got %v", err)
	}
	w.serves("2")

	tight := tested("c4")
	tight.load, tight.reserved = true, 2
	msg := testkit.MustPanic(t, func() { w.deploy(tight) })
	if !strings.Contains(msg, "PreTraffic.Load.Concurrency must be at most the ReservedConcurrentExecutions") {
		t.Errorf("a load check above the reserved concurrency must be refused at synth, got %q", msg)
	}
}

// Provisioned concurrency changed in the same release as the code, and added in the same release as the code. The
// alias's scalable target is updated only once the alias's update, its whole deployment, has ended, so during the
// shift the amount from before the deploy (or none) is what serves green: the pre-traffic hook must pass on it,
// not wait for the declared amount (which would fail every such release at the hook's deadline). Both releases end
// with the alias on green and the new amount in force.
func TestLifecycleProvisionedConcurrencyWithNewCode(t *testing.T) {
	release := func(commit string, pc float64) release {
		r := canary(commit)
		r.pre, r.pc = true, pc
		return r
	}
	// registeredAfterTheShift fails the test unless the new amount was registered once the deployment had ended.
	registeredAfterTheShift := func(t *testing.T, w *world, green string, amount int) {
		t.Helper()
		w.serves(green)
		if w.lambda.provisioned != amount {
			t.Errorf("provisioned concurrency %d on the alias, want %d\n%s", w.lambda.provisioned, amount,
				strings.Join(w.log, "\n"))
		}
		shifted, registered := -1, -1
		for i, l := range w.log {
			if strings.Contains(l, "deployment succeeded: alias on "+green) {
				shifted = i
			}
			if strings.Contains(l, fmt.Sprintf("provisioned concurrency %d on the alias", amount)) {
				registered = i
			}
		}
		if shifted < 0 || registered < shifted {
			t.Errorf("the amount must be registered after the deployment ended (lines %d, %d)\n%s", shifted,
				registered, strings.Join(w.log, "\n"))
		}
	}
	t.Run("a new amount with new code", func(t *testing.T) {
		w := newWorld(t)
		w.mustDeploy(release("c1", 2))
		if w.lambda.provisioned != 2 {
			t.Fatalf("the first deploy must register 2, got %d", w.lambda.provisioned)
		}
		w.mustDeploy(release("c2", 5))
		registeredAfterTheShift(t, w, "2", 5)
		logHas(t, w, "pre-traffic hook: ✓ provisioned concurrency: alias live READY, 2 of 2 requested allocated")
		logHas(t, w, "the deployment declares 5: Application Auto Scaling applies it once this deployment has ended")
	})
	t.Run("provisioned concurrency added with new code", func(t *testing.T) {
		w := newWorld(t)
		w.mustDeploy(release("c1", 0))
		w.mustDeploy(release("c2", 3))
		registeredAfterTheShift(t, w, "2", 3)
		logHas(t, w, "pre-traffic hook: ✓ provisioned concurrency: none in force during the shift")
		// The next release finds the amount in force and passes on it.
		w.mustDeploy(release("c3", 3))
		w.serves("3")
		logHas(t, w, "pre-traffic hook: ✓ provisioned concurrency: alias live READY, 3 of 3 requested allocated")
	})
}

// ---- rollback by hand, and a rolled-back release that stays out ----

// A finished release is rolled back by hand while the alarm that caused it is still in ALARM: from the deployed
// template (package revert, as bluegreen rollback does: no synth of anyone's checkout), in one step to 100 % on
// the previous version, past the alarm and through hooks that pass a return. The release is blocked: the same
// commit (a pipeline retry) is refused with the way to release it deliberately. The next ordinary deploy has its
// strategy, alarms and hooks again; once the block is lifted the commit ships.
func TestLifecycleRollbackFinishedReleaseWhileTheAlarmFires(t *testing.T) {
	w := newWorld(t)
	r := func(commit string) release { rel := canary(commit); rel.business, rel.pre = true, true; return rel }
	w.mustDeploy(r("c1"))
	w.mustDeploy(r("c2"))
	w.serves("2")

	// The incident: a business metric drops after the release; its alarm fires and stays in ALARM.
	firing := true
	w.alarmFires = func(path, _ string, _ time.Duration) bool { return firing && path == "Svc/Business" }
	before := w.clock
	deployed := string(w.stack.raw)
	if err := w.rollbackByHand("Api"); err != nil {
		t.Fatalf("the rollback by hand failed: %v\n%s", err, strings.Join(w.log, "\n"))
	}
	w.serves("1")
	if took := w.clock - before; took > 3*time.Minute {
		t.Errorf("the rollback took %v, want at most 3 minutes", took)
	}
	var changed []string
	for _, l := range w.log {
		if strings.Contains(l, "alias 2+1@") {
			t.Errorf("the rollback shifted gradually: %s", l)
		}
		if i := strings.Index(l, "rollback template: "); i >= 0 {
			changed = append(changed, l[i+len("rollback template: "):])
		}
	}
	// Only what the rollback needs changed in the deployed template: the alias, its group, its release gate.
	if len(changed) != 4 || !strings.Contains(strings.Join(changed, "\n"), "FunctionVersion") ||
		!strings.Contains(strings.Join(changed, "\n"), "DeploymentConfigName") ||
		!strings.Contains(strings.Join(changed, "\n"), "AlarmConfiguration.Enabled") ||
		!strings.Contains(strings.Join(changed, "\n"), "Release") {
		t.Errorf("the rollback changed %v, want the alias's version, its group's strategy and alarm monitoring, and "+
			"its release gate", changed)
	}
	if deployed == string(w.stack.raw) {
		t.Errorf("the stack still has the release's template")
	}

	// The same commit again (a pipeline retry): refused before any traffic moves (rule:cdk-release-hash).
	err := w.deploy(r("c2"))
	if err == nil || !strings.Contains(err.Error(), "bluegreen unblock -function Api -release ApiFunctionCurrentVersion") {
		t.Fatalf("re-deploying the rolled-back release must be refused with how to release it, got %v", err)
	}
	w.serves("1")

	// The fix ships as an ordinary release: canary, alarms and hooks are back; a firing alarm stops it.
	if err := w.deploy(r("c3")); err == nil || !strings.Contains(err.Error(), "alarm Svc/Business in ALARM") {
		t.Fatalf("the next ordinary deploy must have its alarms back (the business alarm still fires), got %v", err)
	}
	firing = false
	w.mustDeploy(r("c3"))
	w.serves("4") // version 3 was the fix's first try, deleted with its rollback
	logHas(t, w, "alias 1+4@0.1")
	if g := w.groups["Api"]; !g.enabled || g.strategy != strategy.Canary10Percent5Minutes {
		t.Errorf("after the fix the group has %s with alarms on %v, want the canary with alarms", g.strategy, g.enabled)
	}
	if status := w.reported["d-Api-"+strconv.Itoa(len(w.deployments))+"-pre-traffic"]; status != "Succeeded" {
		t.Errorf("the fix's pre-traffic hook did not test it: %q", status)
	}

	// Released deliberately once a person lifts the block.
	w.unblock("Api")
	w.mustDeploy(r("c2"))
	w.serves("5")
}

// In a service, a rolled-back function's release is refused again when a deploy ships another function's change
// from a commit that still holds it.
func TestLifecycleRollbackRefusedWhenAnotherFunctionChanges(t *testing.T) {
	w := newWorld(t)
	svc := func(commits ...string) release {
		return release{commit: strings.Join(commits, "+"), service: &serviceRelease{n: 3,
			commit: func(i int) string { return commits[i] }}}
	}
	w.mustDeploy(svc("a1", "b1", "c1"))
	w.mustDeploy(svc("a2", "b1", "c1"))
	if err := w.rollbackByHand("Fn00"); err != nil {
		t.Fatal(err)
	}
	w.servesFn("Fn00", "1")
	err := w.deploy(svc("a2", "b2", "c1"))
	if err == nil || !strings.Contains(err.Error(), "bluegreen unblock -function Fn00") {
		t.Fatalf("another function's change must not bring Fn00's rolled-back release back, got %v", err)
	}
	w.servesFn("Fn00", "1")
	w.servesFn("Fn01", "1")
	w.consistent()
	w.mustDeploy(svc("a3", "b2", "c1"))
	w.servesFn("Fn00", "3")
	w.servesFn("Fn01", "3") // b2's first try, version 2, went with the refused deploy's rollback
}

// ---- a service release that fails ----

// shopRelease is a service of 20 functions: Fn00–Fn04 ship all at once (their shift finishes at once), the others
// by the default canary; commit c of every function.
func shopRelease(c string) release {
	return release{commit: "shop-" + c, service: &serviceRelease{n: 20,
		commit: func(i int) string { return fmt.Sprintf("%s-%d", c, i) },
		strategy: func(i int) strategy.Strategy {
			if i < 5 {
				return strategy.AllAtOnce
			}
			return strategy.Canary10Percent5Minutes
		}}}
}

// Twenty functions ship together and one fails its canary. Under every answer to what AWS does not document (the
// order of a stack rollback, cancelled alias updates, when CodeDeploy reads the alarms), every other shift stops
// at once, the five that had finished go back in one step that no alarm can stop (green alarms of every function
// fire during the rollback too), the stack ends UPDATE_ROLLBACK_COMPLETE within minutes with every alias on its
// template's version, and the next release ships.
func TestLifecycleServiceReleaseOneCanaryFails(t *testing.T) {
	for _, v := range allVariants() {
		t.Run(v.String(), func(t *testing.T) {
			w := newWorld(t)
			w.v = v
			w.mustDeploy(shopRelease("c1"))
			failedAt := time.Duration(0)
			w.alarmFires = func(path, green string, since time.Duration) bool {
				if strings.Contains(path, "/Fn07/GreenAlarms/ErrorRate") && green == "2" && since >= 2*time.Minute {
					return true
				}
				// Once the release failed, every release's green suffers (a shared dependency).
				return failedAt > 0 && green == "2"
			}
			start := w.clock
			err := w.deploy(shopRelease("c2"))
			if err == nil || !strings.Contains(err.Error(), "Fn07/GreenAlarms/ErrorRate") {
				t.Fatalf("Fn07's failing canary must fail the release, got %v\n%s", err, strings.Join(w.log, "\n"))
			}
			w.settle()
			if w.status != "UPDATE_ROLLBACK_COMPLETE" {
				t.Fatalf("stack %s, want UPDATE_ROLLBACK_COMPLETE\n%s", w.status, strings.Join(w.log, "\n"))
			}
			// The bound: the failure (2 minutes into the canary), the canary steps the model plays a minute at a
			// time, and the rollback's one-step reverse deployments.
			if took := w.clock - start; took > 4*time.Minute {
				t.Errorf("the failed release and its rollback took %v, want at most 4 minutes", took)
			}
			w.consistent()
			for i := 5; i < 20; i++ {
				fn := fmt.Sprintf("Fn%02d", i)
				for _, l := range w.log {
					if strings.Contains(l, fn+": alias 2") || strings.Contains(l, fn+": deployment succeeded") {
						t.Errorf("%s's canary went on after Fn07 failed: %s", fn, l)
					}
				}
			}
			failedAt = w.clock
			w.alarmFires = func(string, string, time.Duration) bool { return false }
			w.mustDeploy(shopRelease("c3"))
			w.consistent()
			w.servesFn("Fn07", "3")
		})
	}
}

// Without the release guard (the stack as this library left it before), the same failure can leave an alias that
// disagrees with its template when a cancelled alias update lets its deployment run on: CodeDeploy then refuses
// the next release (INVALID_LAMBDA_CONFIGURATION), as users of the same AWS features report. This shows what the
// guard prevents.
func TestLifecycleServiceReleaseWithoutTheGuard(t *testing.T) {
	w := newWorld(t)
	w.v = variants{cancelKeepsDeployment: true}
	w.mustDeploy(shopRelease("c1"))
	w.alarmFires = func(path, green string, since time.Duration) bool {
		return strings.Contains(path, "/Fn07/GreenAlarms/ErrorRate") && green == "2" && since >= 2*time.Minute
	}
	w.noGuard = true
	if err := w.deploy(shopRelease("c2")); err == nil {
		t.Fatal("the release must fail")
	}
	w.settle()
	stuck := 0
	for _, id := range w.stack.ids {
		if a := w.fn(id).alias; a.version != w.templateVersion(w.stack, id) {
			stuck++
		}
	}
	if stuck == 0 {
		t.Fatalf("without the guard, cancelled canaries that run on must leave aliases off their template's version")
	}
	w.alarmFires = func(string, string, time.Duration) bool { return false }
	if err := w.deploy(shopRelease("c3")); !errors.Is(err, errInvalidLambdaConfiguration) {
		t.Errorf("the next release must be refused by CodeDeploy, got %v", err)
	}
}

// When the failure's event reaches the guard late (after CloudFormation started its reverse deployments) and
// CodeDeploy read the alarms when they started, a firing alarm can stop a reverse deployment: the stack is left
// UPDATE_ROLLBACK_FAILED. What bluegreen recover does then (abort mode on the failed aliases' groups, continue the
// rollback: rule:cfn-continue-rollback) brings it to UPDATE_ROLLBACK_COMPLETE with every alias on its template's
// version.
func TestLifecycleServiceRollbackFailsThenRecover(t *testing.T) {
	w := newWorld(t)
	w.v = variants{eventLate: true, alarmsAtStart: true}
	w.mustDeploy(shopRelease("c1"))
	w.alarmFires = func(path, green string, since time.Duration) bool {
		// Fn07's green fails 2 minutes into its canary; then every release's green suffers (a shared dependency).
		return (strings.Contains(path, "/Fn07/GreenAlarms/ErrorRate") && green == "2" && since >= 2*time.Minute) ||
			(green == "2" && w.clock >= 2*time.Minute)
	}
	err := w.deploy(shopRelease("c2"))
	if !errors.Is(err, errRollbackFailed) {
		t.Fatalf("want UPDATE_ROLLBACK_FAILED, got %v\n%s", err, strings.Join(w.log, "\n"))
	}
	w.recoverStack()
	if w.status != "UPDATE_ROLLBACK_COMPLETE" {
		t.Fatalf("after recover the stack is %s\n%s", w.status, strings.Join(w.log, "\n"))
	}
	w.settle()
	w.consistent()
	w.alarmFires = func(string, string, time.Duration) bool { return false }
	w.mustDeploy(shopRelease("c3"))
	w.consistent()
}

// ---- hooks that die ----

// A hook that dies without reporting (out of memory) reaches CodeDeploy as Failed within minutes, whether
// CodeDeploy invoked it asynchronously (its on-failure destination) or synchronously (its watchdog schedule), and
// not after CodeDeploy's hour (rule:codedeploy-hook-invocation).
func TestLifecycleHookThatCrashes(t *testing.T) {
	for _, sync := range []bool{false, true} {
		t.Run(fmt.Sprintf("invoked synchronously %v", sync), func(t *testing.T) {
			w := newWorld(t)
			w.v.hookSync = sync
			r := func(commit string) release { rel := canary(commit); rel.pre = true; return rel }
			w.mustDeploy(r("c1"))
			w.hookCrash = true
			start := w.clock
			if err := w.deploy(r("c2")); err == nil {
				t.Fatal("a crashed hook must fail the deployment")
			}
			w.serves("1")
			// The hook's timeout (5 minutes), a minute for the watchdog, a minute for the schedule.
			if took := w.clock - start; took > 7*time.Minute {
				t.Errorf("CodeDeploy heard of the crash after %v, want at most 7 minutes\n%s", took, strings.Join(w.log, "\n"))
			}
		})
	}
}

// ---- alarm state ----

// A green alarm left in ALARM by a release that rolled back does not stop the next release before its green has
// served anything: each version's green alarms are new alarms (their names carry the version), which start
// without a state, while an alarm that is only updated keeps its state (rule:cloudwatch-alarm-state) — as the
// user's own business alarm does, by design: CodeDeploy stops a release while it is in ALARM.
func TestLifecycleAlarmStateAfterARollback(t *testing.T) {
	w := newWorld(t)
	w.mustDeploy(canary("c1"))
	w.alarmFires = func(path, green string, since time.Duration) bool {
		return strings.HasSuffix(path, "/GreenAlarms/ErrorRate") && green == "2" && since >= 3*time.Minute
	}
	if err := w.deploy(canary("c2")); err == nil {
		t.Fatal("the broken green must roll back")
	}
	// The fix: green's alarms judge green alone; the broken release's alarm state stays with it.
	w.alarmFires = func(string, string, time.Duration) bool { return false }
	w.mustDeploy(canary("c3"))
	w.serves("3")
}

// ---- a short canary with the traffic gate ----

// A traffic gate that can only fail (a 2-minute canary: Lambda publishes green's invocations up to 2 minutes
// late) is refused at synth, for a Deployment and for a function of a service, before any deploy.
func TestLifecycleShortCanaryWithTheGate(t *testing.T) {
	w := newWorld(t)
	gated := canary("c1")
	gated.strategy = strategy.Canary(10, 2*time.Minute)
	gated.post = &hooks.PostTrafficProps{MinInvocations: jsii.Number(1)}
	msg := testkit.MustPanic(t, func() { _ = w.deploy(gated) })
	if !strings.Contains(msg, "PostTraffic.MinInvocations 1 cannot be met under Canary10Percent2Minutes") {
		t.Errorf("got %q", msg)
	}
	if len(w.fn("Api").versions) != 0 {
		t.Errorf("a refused synth deployed something")
	}
}

// ---- deleting the stack ----

// Deleting the stack deletes the function and every version, whatever the versions' deletion policy
// (rule:lambda-delete-function): the template keeps versions RetainExceptOnCreate, which keeps them across updates,
// and the docs must not promise more (docs/deployment.md says deleting the stack deletes every version).
func TestLifecycleDeletingTheStackDeletesEveryVersion(t *testing.T) {
	w := newWorld(t)
	w.mustDeploy(canary("c1"))
	w.mustDeploy(canary("c2"))
	for id, policy := range w.stack.fns["Api"].versions {
		if policy != "RetainExceptOnCreate" {
			t.Errorf("version %s has DeletionPolicy %s, want RetainExceptOnCreate", id, policy)
		}
	}
	w.deleteStack()
	if n := len(w.fn("Api").versions); n != 0 {
		t.Errorf("%d versions left after the stack was deleted", n)
	}
}
