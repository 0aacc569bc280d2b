package awsrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safeship/lambda-bluegreen/internal/acceptance"
	"github.com/safeship/lambda-bluegreen/internal/block"
)

func stackOf(t *testing.T, scenario string) string {
	i, ok := scenarioIndex(scenario)
	if !ok {
		t.Fatalf("no scenario %s", scenario)
	}
	return acceptance.StackName("t1", i)
}

// Every scenario that can run on AWS passes on an account that behaves as the model expects, and its stack is
// deleted after it.
func TestEveryScenarioPassesOnTheAgreeingFake(t *testing.T) {
	f := newFakeAWS(t)
	c := f.config(t)
	var out bytes.Buffer
	c.Out = &out
	o, err := Run(context.Background(), c, f.deps())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range o.Report.Result.Scenarios {
		sc := acceptance.Scenarios[func() int { i, _ := scenarioIndex(s.Name); return i }()]
		want := acceptance.StatusPassed
		if sc.ModelOnly != "" {
			want = acceptance.StatusSkipped
		}
		if s.Status != want {
			t.Errorf("%s: %s (%s), want %s", s.Name, s.Status, s.Reason, want)
			for i, st := range s.Steps {
				for _, c := range st.Checks {
					if !c.Pass {
						t.Errorf("  step %d %s: %s", i+1, c.What, c.Why)
					}
				}
				if st.Error != "" {
					t.Errorf("  step %d: %s", i+1, st.Error)
				}
			}
		}
		if sc.ModelOnly == "" {
			if got := f.logged("DeleteStack " + stackOf(t, s.Name)); len(got) != 1 {
				t.Errorf("%s: deleted %v", s.Name, got)
			}
		}
	}
	if !o.Passed() {
		t.Error("the run did not pass")
	}
	if r, _ := o.Report.Rule("codedeploy-rollback"); r.Status != acceptance.RuleConfirmed {
		t.Errorf("codedeploy-rollback: %+v", r)
	}
	s, _ := o.Report.Result.Scenario("error-burst-rolls-back-then-rerun")
	if d := s.Steps[1].Values[acceptance.WhatDetection]; d == "" {
		t.Errorf("no detection measured: %v", s.Steps[1].Values)
	}
	if f.invokes == 0 || f.metrics == 0 {
		t.Errorf("%d invocations, %d metrics", f.invokes, f.metrics)
	}
	// A step's time is its stack operation's, as the model's: not the 90 s of synthesis and change set before it.
	s, _ = o.Report.Result.Scenario("canary-succeeds")
	if got := s.Steps[1].Values[acceptance.WhatTook]; got != "5m0s" {
		t.Errorf("canary-succeeds step 2 took %s, want the model's 5m0s", got)
	}
	// A rollback by hand is timed by its stack update (the model's 0 s); an unblock, which updates no stack, by the
	// command (the fake's 3 s).
	s, _ = o.Report.Result.Scenario("rollback-by-hand-while-the-alarm-fires")
	if got := s.Steps[2].Values[acceptance.WhatTook]; got != "0s" {
		t.Errorf("the rollback took %s, want 0s", got)
	}
	if got := s.Steps[5].Values[acceptance.WhatTook]; got != "3s" {
		t.Errorf("the unblock took %s, want 3s", got)
	}
	// The release gate's refusal names the function as AWS does, by its generated name.
	fn := functionName(stackOf(t, s.Name), acceptance.Api)
	if got := s.Steps[3].Values[acceptance.WhatError]; !strings.Contains(got, "bluegreen unblock -function "+fn+" -release ") {
		t.Errorf("the refusal: %q", got)
	}
	// The business alarm is in ALARM when each step after the metric broke starts, across the steps and the waits
	// between them, and OK once it heals.
	for step, want := range map[string]string{"rollback-by-hand-while-the-alarm-fires/2": "ALARM",
		"rollback-by-hand-while-the-alarm-fires/3": "ALARM", "rollback-by-hand-while-the-alarm-fires/4": "OK",
		"emergency-bypass-then-normal-deploy/1": "ALARM", "emergency-bypass-then-normal-deploy/2": "ALARM",
		"emergency-bypass-then-normal-deploy/3": "OK"} {
		if got := f.alarmAtAction[step]; got != want {
			t.Errorf("%s: the business alarm was %s as the step started, want %s", step, got, want)
		}
	}
	if got := f.logged("DescribeStacks "); len(got) == 0 {
		t.Error("no DescribeStacks")
	}
	for _, c := range f.logged("DescribeStacks") {
		if c == "DescribeStacks " {
			t.Error("DescribeStacks without a stack name")
		}
	}
	for _, want := range []string{"hook-crashes", "skipped (model only)", "Upper bound on cost: $", "Lambda requests",
		"us-east-1 list prices on " + PriceDate, "Expected duration: about"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the plan lacks %q:\n%s", want, out.String())
		}
	}
	md, err := os.ReadFile(filepath.Join(c.ReportDir, "report.md"))
	if err != nil || !strings.Contains(string(md), "Account: ********9012") || !strings.Contains(string(md), "Region: eu-west-1") ||
		!strings.Contains(string(md), "Library version: v0.0.0-test") {
		t.Errorf("report.md: %v\n%s", err, md)
	}
	if _, err := os.Stat(filepath.Join(c.ReportDir, "report.json")); err != nil {
		t.Error(err)
	}
}

// Credentials of another account are refused before anything is created or even read in CloudFormation.
func TestAnotherAccountIsRefused(t *testing.T) {
	f := newFakeAWS(t)
	f.account = "999999999999"
	_, err := Run(context.Background(), f.config(t), f.deps())
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "********9999") {
		t.Fatalf("error %v", err)
	}
	if len(f.calls) != 0 {
		t.Errorf("calls before the refusal: %v", f.calls)
	}
	if _, err := Cleanup(context.Background(), f.config(t), f.clients(), true); !errors.Is(err, ErrRefused) || len(f.calls) != 0 {
		t.Errorf("cleanup: %v, %v", err, f.calls)
	}
}

func TestUnconfirmedIsRefused(t *testing.T) {
	for _, answer := range []string{"", "yes\n", "123456789013\n"} {
		f := newFakeAWS(t)
		c := f.config(t, "canary-succeeds")
		c.Yes, c.In = false, strings.NewReader(answer)
		if _, err := Run(context.Background(), c, f.deps()); !errors.Is(err, ErrRefused) || len(f.logged("Deploy")) != 0 {
			t.Errorf("answer %q: %v, %v", answer, err, f.calls)
		}
	}
	f := newFakeAWS(t)
	c := f.config(t, "canary-succeeds")
	c.Yes, c.In = false, strings.NewReader("123456789012\n")
	if o, err := Run(context.Background(), c, f.deps()); err != nil || !o.Passed() {
		t.Errorf("typing the account: %v", err)
	}
}

func TestConfigValidation(t *testing.T) {
	for _, c := range []Config{{Account: "12345", Region: "eu-west-1"}, {Account: "123456789012", Region: "Europe"},
		{Account: "123456789012", Region: "eu-west-1", Run: "Bad_Id"},
		{Account: "123456789012", Region: "eu-west-1", Scenarios: []string{"no-such"}}} {
		if err := c.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v", c, err)
		}
	}
	if err := (Config{Account: "123456789012", Region: "eu-west-1"}).Validate(); err != nil {
		t.Error(err)
	}
	if c := (Config{}).withDefaults(); acceptance.ValidRunID(c.Run) != "" {
		t.Errorf("generated run id %q", c.Run)
	}
}

// A failure in any step (the deploy cannot run, AWS cannot be read while observing) stops the scenario, deletes
// its stack, and touches nothing else.
func TestAFailureInAnyStepDeletesTheStack(t *testing.T) {
	for _, sc := range acceptance.Scenarios {
		if sc.ModelOnly != "" {
			continue
		}
		for step := range sc.Steps {
			for _, kind := range []string{"deploy", "observe"} {
				name := sc.Name
				t.Run(fmt.Sprintf("%s/%s step %d", name, kind, step+1), func(t *testing.T) {
					f := newFakeAWS(t)
					f.addStack("Other", map[string]string{"team": "x"})
					f.addStack(acceptance.StackName("t0", 2), map[string]string{acceptance.TagKey: "t0"})
					f.failIn = name
					if kind == "deploy" {
						f.deployErrAt = step
					} else {
						f.aliasErrAt = step
					}
					o, err := Run(context.Background(), f.config(t, name), f.deps())
					if err != nil {
						t.Fatal(err)
					}
					s, _ := o.Report.Result.Scenario(name)
					if s.Status != acceptance.StatusError || len(s.Steps) != step+1 || s.Cleanup != "" {
						t.Errorf("%s (%s), %d steps, cleanup %q", s.Status, s.Reason, len(s.Steps), s.Cleanup)
					}
					if got := f.logged("DeleteStack"); len(got) != 1 || got[0] != "DeleteStack "+stackOf(t, name) {
						t.Errorf("deleted %v", got)
					}
					if st := f.stacks[stackOf(t, name)]; st != nil && st.status != "DELETE_COMPLETE" {
						t.Errorf("the stack is %s", st.status)
					}
					if f.stacks["Other"].status != "UPDATE_COMPLETE" || f.stacks[acceptance.StackName("t0", 2)].status != "UPDATE_COMPLETE" {
						t.Error("another stack was touched")
					}
				})
			}
		}
	}
}

// An interrupt during a step deletes the scenario's stack and reports the scenarios left interrupted.
func TestAnInterruptDeletesTheStack(t *testing.T) {
	f := newFakeAWS(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.failIn, f.cancelAt, f.cancel = "canary-succeeds", 1, cancel
	o, err := Run(ctx, f.config(t, "first-deploy", "canary-succeeds", "quiet-function"), f.deps())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"first-deploy": acceptance.StatusPassed, "canary-succeeds": acceptance.StatusInterrupted,
		"quiet-function": acceptance.StatusInterrupted}
	for _, s := range o.Report.Result.Scenarios {
		if s.Status != want[s.Name] {
			t.Errorf("%s: %s (%s)", s.Name, s.Status, s.Reason)
		}
	}
	if got := f.logged("DeleteStack"); len(got) != 2 || got[1] != "DeleteStack "+stackOf(t, "canary-succeeds") {
		t.Errorf("deleted %v", got)
	}
	if got := f.logged("Deploy"); len(got) != 4 { // first-deploy's two, canary-succeeds' two (the second interrupted)
		t.Errorf("deploys %v", got)
	}
}

// Cleanup deletes only the stacks with both the tag and the prefix: of the run, or of every run.
func TestCleanupDeletesOnlyTheRunsStacks(t *testing.T) {
	for _, allRuns := range []bool{false, true} {
		f := newFakeAWS(t)
		tag := func(run string) map[string]string { return map[string]string{acceptance.TagKey: run} }
		f.addStack(acceptance.StackName("t1", 0), tag("t1"), acceptance.Api)
		f.params[block.ParameterName(functionName(acceptance.StackName("t1", 0), acceptance.Api))] = `{"blocked":[]}`
		f.params[block.ParameterName("MyApp-t1-00-ApiFunction1")] = `{"blocked":[]}`
		// Interrupted between cdk's change set and its execution: deleted at once, not waited for.
		f.addStack(acceptance.StackName("t1", 3), tag("t1")).status = "REVIEW_IN_PROGRESS"
		f.addStack(acceptance.StackName("t2", 0), tag("t2"))
		f.addStack(acceptance.StackName("t1", 4), map[string]string{"team": "x"}) // the prefix, no tag
		f.addStack("MyApp-t1-00", tag("t1"))                                      // the tag, another prefix
		f.addStack("Other", nil)
		var out bytes.Buffer
		c := f.config(t)
		c.Out = &out
		began := f.clock.Now()
		deleted, err := Cleanup(context.Background(), c, f.clients(), allRuns)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{acceptance.StackName("t1", 0), acceptance.StackName("t1", 3)}
		if allRuns {
			want = append(want, acceptance.StackName("t2", 0))
		}
		if fmt.Sprint(deleted) != fmt.Sprint(want) || fmt.Sprint(f.logged("DeleteStack")) != fmt.Sprint(prefixed("DeleteStack ", want)) {
			t.Errorf("all runs %v: deleted %v, calls %v", allRuns, deleted, f.logged("DeleteStack"))
		}
		for _, n := range []string{acceptance.StackName("t1", 4), "MyApp-t1-00", "Other"} {
			if f.stacks[n].status != "UPDATE_COMPLETE" {
				t.Errorf("%s was touched", n)
			}
		}
		if !strings.Contains(out.String(), "deleted "+want[0]) {
			t.Errorf("output: %s", out.String())
		}
		if len(f.params) != 1 || f.params[block.ParameterName("MyApp-t1-00-ApiFunction1")] == "" {
			t.Errorf("parameters left: %v", f.params)
		}
		if waited := f.clock.Now().Sub(began); waited > time.Minute {
			t.Errorf("waited %s for a stack in REVIEW_IN_PROGRESS", waited)
		}
	}
}

func prefixed(p string, list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = p + s
	}
	return out
}

// A stack that never finishes deleting ends the wait with an error at EndTimeout, on the run's clock, in Cleanup
// and in a scenario's End, whose error the scenario's result carries (ScenarioResult.Cleanup).
func TestTheDeletionWaitIsBounded(t *testing.T) {
	f := newFakeAWS(t)
	f.addStack(acceptance.StackName("t1", 0), map[string]string{acceptance.TagKey: "t1"})
	f.stacks[acceptance.StackName("t1", 0)].hang = true
	c := f.config(t)
	c.EndTimeout = 10 * time.Minute
	start, began := time.Now(), f.clock.Now()
	_, err := Cleanup(context.Background(), c, f.clients(), false)
	if err == nil || !strings.Contains(err.Error(), "still DELETE_IN_PROGRESS after 10m0s") {
		t.Fatalf("error %v", err)
	}
	if waited := f.clock.Now().Sub(began); waited < 10*time.Minute || waited > 11*time.Minute {
		t.Errorf("waited %s on the clock", waited)
	}
	if real := time.Since(start); real > 2*time.Second {
		t.Errorf("took %s in real time", real)
	}
	f = newFakeAWS(t)
	f.hang = true
	c = f.config(t, "first-deploy")
	c.EndTimeout = 10 * time.Minute
	o, err := Run(context.Background(), c, f.deps())
	if err != nil {
		t.Fatal(err)
	}
	s, _ := o.Report.Result.Scenario("first-deploy")
	if s.Status != acceptance.StatusError || !strings.Contains(s.Cleanup, "still DELETE_IN_PROGRESS after 10m0s") {
		t.Errorf("%s (%s), cleanup %q", s.Status, s.Reason, s.Cleanup)
	}
}

// teardownCase runs one scenario on a fake set up by setup, and checks the scenario's status and that its stack
// was deleted (once, after any operation in progress) and nothing else.
func teardownCase(t *testing.T, scenario, status string, setup func(f *fakeAWS, ctx context.Context, cancel context.CancelFunc)) (*fakeAWS, acceptance.ScenarioResult) {
	t.Helper()
	f := newFakeAWS(t)
	f.addStack("Other", map[string]string{"team": "x"})
	f.failIn = scenario
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	setup(f, ctx, cancel)
	o, err := Run(ctx, f.config(t, scenario), f.deps())
	if err != nil {
		t.Fatal(err)
	}
	s, _ := o.Report.Result.Scenario(scenario)
	if s.Status != status || s.Cleanup != "" {
		t.Errorf("%s (%s), cleanup %q; want %s", s.Status, s.Reason, s.Cleanup, status)
	}
	if st := f.stacks[stackOf(t, scenario)]; st != nil && st.status != "DELETE_COMPLETE" {
		t.Errorf("the stack is %s", st.status)
	}
	if f.stacks["Other"].status != "UPDATE_COMPLETE" {
		t.Error("another stack was touched")
	}
	return f, s
}

// Teardown after each way a scenario can end: its stack is deleted, and only it.
func TestTeardown(t *testing.T) {
	t.Run("a failed stack operation", func(t *testing.T) {
		f, s := teardownCase(t, "canary-succeeds", acceptance.StatusFailed, func(f *fakeAWS, _ context.Context, _ context.CancelFunc) {
			f.contradict = func(scenario string, step int, s *stepState) {
				if step == 1 {
					s.outcome, s.stack, s.errText = acceptance.OutcomeRolledBack, "UPDATE_ROLLBACK_COMPLETE", "alarm in ALARM"
				}
			}
		})
		if got := s.Steps[1].Values[acceptance.WhatOutcome]; got != acceptance.OutcomeRolledBack {
			t.Errorf("outcome %q", got)
		}
		if got := f.logged("DeleteStack"); len(got) != 1 {
			t.Errorf("deleted %v", got)
		}
	})
	t.Run("interrupted while UPDATE_IN_PROGRESS", func(t *testing.T) {
		f, _ := teardownCase(t, "canary-succeeds", acceptance.StatusInterrupted, func(f *fakeAWS, _ context.Context, cancel context.CancelFunc) {
			f.cancelAt, f.cancel, f.cancelMidUpdate = 1, cancel, true
		})
		// The fake fails the test on a DeleteStack during the update; the stack was described in progress first.
		if got := f.logged("DeleteStack"); len(got) != 1 {
			t.Errorf("deleted %v", got)
		}
	})
	t.Run("DELETE_FAILED, then a retry", func(t *testing.T) {
		f, _ := teardownCase(t, "first-deploy", acceptance.StatusPassed, func(f *fakeAWS, _ context.Context, _ context.CancelFunc) {
			f.deleteFails = 1
		})
		if got := f.logged("DeleteStack"); len(got) != 2 {
			t.Errorf("deleted %v, want a retry", got)
		}
	})
	t.Run("a failure in Begin", func(t *testing.T) {
		f, s := teardownCase(t, "first-deploy", acceptance.StatusError, func(f *fakeAWS, _ context.Context, _ context.CancelFunc) {
			f.beginErr = true
		})
		if !strings.Contains(s.Reason, "could not begin") || len(f.logged("DeleteStack")) != 0 || len(f.logged("Deploy")) != 0 {
			t.Errorf("%s; calls %v", s.Reason, f.calls)
		}
	})
	t.Run("a failure reading the notices", func(t *testing.T) {
		f, s := teardownCase(t, "canary-succeeds", acceptance.StatusError, func(f *fakeAWS, _ context.Context, _ context.CancelFunc) {
			f.receiveErrAt = 1
		})
		if !strings.Contains(s.Reason, "kms:Decrypt") || len(f.logged("DeleteStack")) != 1 {
			t.Errorf("%s; deleted %v", s.Reason, f.logged("DeleteStack"))
		}
	})
	t.Run("a failure in watch", func(t *testing.T) {
		f, s := teardownCase(t, "canary-succeeds", acceptance.StatusError, func(f *fakeAWS, _ context.Context, _ context.CancelFunc) {
			f.watchErrAt = 1
		})
		if !strings.Contains(s.Reason, "watch could not start") || len(f.logged("DeleteStack")) != 1 {
			t.Errorf("%s; deleted %v", s.Reason, f.logged("DeleteStack"))
		}
	})
	t.Run("the business alarm never fires", func(t *testing.T) {
		f, s := teardownCase(t, "emergency-bypass-then-normal-deploy", acceptance.StatusError, func(f *fakeAWS, _ context.Context, _ context.CancelFunc) {
			f.alarmStuck = true
		})
		if !strings.Contains(s.Reason, "is still OK after 10m0s, not ALARM") || len(f.logged("DeleteStack")) != 1 {
			t.Errorf("%s; deleted %v", s.Reason, f.logged("DeleteStack"))
		}
	})
}

// A scenario whose stack exists already (a run id used again) is refused, and End deletes nothing: neither the
// stack nor its release blocks.
func TestBeginRefusedLeavesTheStack(t *testing.T) {
	f := newFakeAWS(t)
	name := stackOf(t, "canary-succeeds")
	f.addStack(name, map[string]string{acceptance.TagKey: "t1"}, acceptance.Api)
	f.params[block.ParameterName(functionName(name, acceptance.Api))] = `{"blocked":[]}`
	o, err := Run(context.Background(), f.config(t, "canary-succeeds"), f.deps())
	if err != nil {
		t.Fatal(err)
	}
	s, _ := o.Report.Result.Scenario("canary-succeeds")
	if s.Status != acceptance.StatusError || !strings.Contains(s.Reason, "exists already") {
		t.Errorf("%s (%s)", s.Status, s.Reason)
	}
	if got := append(f.logged("DeleteStack"), f.logged("DeleteParameter")...); len(got) != 0 || f.stacks[name].status != "UPDATE_COMPLETE" {
		t.Errorf("touched: %v", got)
	}
}

// A scenario interrupted between bluegreen rollback and unblock leaves a release block outside the stack: End
// deletes it with the stack.
func TestEndDeletesTheReleaseBlocks(t *testing.T) {
	f := newFakeAWS(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.failIn, f.cancelAt, f.cancel = "rollback-by-hand-while-the-alarm-fires", 3, cancel
	name := stackOf(t, f.failIn)
	param := block.ParameterName(functionName(name, acceptance.Api))
	if _, err := Run(ctx, f.config(t, f.failIn), f.deps()); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.params[param]; ok || fmt.Sprint(f.logged("DeleteParameter")) != fmt.Sprint([]string{"DeleteParameter " + param}) {
		t.Errorf("parameters %v; calls %v", f.params, f.logged("DeleteParameter"))
	}
}

// A notice of a step that reaches the queue after the step's wait is not counted in the next step: it is noted as
// late there.
func TestLateNoticesAreNotCounted(t *testing.T) {
	f := newFakeAWS(t)
	f.failIn, f.lateAt = "error-burst-rolls-back-then-rerun", 1
	o, err := Run(context.Background(), f.config(t, f.failIn), f.deps())
	if err != nil {
		t.Fatal(err)
	}
	s, _ := o.Report.Result.Scenario(f.failIn)
	if got := s.Steps[1].Values[acceptance.WhatNotifications]; got != "started" {
		t.Errorf("step 2: %q", got)
	}
	if got := s.Steps[2].Values[acceptance.WhatNotifications]; got != "started,succeeded" {
		t.Errorf("step 3: %q", got)
	}
	if notes := strings.Join(s.Steps[2].Notes, "\n"); !strings.Contains(notes, `notice "STOPPED" sent at`) ||
		!strings.Contains(notes, "not counted") {
		t.Errorf("step 3's notes: %s", notes)
	}
}

// The deployment watch follows is the step's first, not one an earlier step created within the skew before it.
func TestFirstDeploymentLeavesOutEarlierSteps(t *testing.T) {
	f := newFakeAWS(t)
	stack := stackOf(t, "canary-succeeds")
	group := physical(stack, acceptance.Api, "DeploymentGroup")
	start := f.clock.Now()
	f.deployments = []fakeDeployment{{id: "d-old", group: group, created: start.Add(-5 * time.Second)},
		{id: "d-new", group: group, created: start.Add(20 * time.Second)}}
	f.clock.advance(time.Minute)
	b := NewBackend(f.config(t), f.clients(), nil, nil)
	b.deployments = map[string]bool{"d-old": true}
	fn := Function{ID: acceptance.Api, Name: functionName(stack, acceptance.Api), Application: "app", Group: group}
	listed := map[string]bool{}
	if id, err := b.firstDeployment(context.Background(), fn, start, listed); err != nil || id != "d-new" || !listed["d-new"] {
		t.Errorf("%q, %v, listed %v", id, err, listed)
	}
	// An earlier step's deployment a minute before the step is outside the skew even when not seen.
	f.deployments[0].created = start.Add(-time.Minute)
	b.deployments = map[string]bool{}
	if id, _ := b.firstDeployment(context.Background(), fn, start, map[string]bool{}); id != "d-new" {
		t.Errorf("%q", id)
	}
}

// An account that contradicts the model, a stack rollback that keeps the version it created, makes the report mark
// the rule contradicted with the evidence.
func TestAContradictingAccountContradictsTheRule(t *testing.T) {
	f := newFakeAWS(t)
	f.contradict = func(scenario string, step int, s *stepState) {
		if scenario == "error-burst-rolls-back-then-rerun" && step == 1 {
			s.versions[acceptance.Api] = "1,2"
		}
	}
	o, err := Run(context.Background(), f.config(t, "error-burst-rolls-back-then-rerun"), f.deps())
	if err != nil {
		t.Fatal(err)
	}
	if o.Passed() {
		t.Error("the run passed")
	}
	r, _ := o.Report.Rule("cfn-retain-except-on-create")
	if r.Status != acceptance.RuleContradicted || len(r.Evidence) != 1 ||
		!strings.Contains(r.Evidence[0], `versions Api: want "1", got "1,2"`) {
		t.Errorf("%+v", r)
	}
	if r, _ := o.Report.Rule("codedeploy-rollback"); r.Status != acceptance.RuleConfirmed {
		t.Errorf("codedeploy-rollback: %+v", r)
	}
	md := o.Report.Markdown()
	for _, want := range []string{"| `cfn-retain-except-on-create` |", "contradicted", `want "1", got "1,2"`} {
		if !strings.Contains(md, want) {
			t.Errorf("the Markdown lacks %q", want)
		}
	}
}

func TestParseNotice(t *testing.T) {
	for body, want := range map[string]string{
		`{"Type":"Notification","Subject":"Deployment rollback started: api (alias live): version 2 -> 1","Message":"x"}`: "rollback started",
		"Deployment STOPPED: api (alias live): version 1 → 2; rolling back to version 1\nWhy: alarm":                      "STOPPED",
		`{"Type":"Notification","Message":"Deployment succeeded: api (alias live)"}`:                                      "succeeded",
	} {
		if n, ok := parseNotice(body); !ok || n.outcome != want {
			t.Errorf("%s: %q %v, want %q", body, n.outcome, ok, want)
		}
	}
	if _, ok := parseNotice(`{"Type":"SubscriptionConfirmation"}`); ok {
		t.Error("a message without a notice was read as one")
	}
}

func TestPlan(t *testing.T) {
	c := Config{Account: "123456789012", Region: "eu-west-1", Run: "t1"}
	p := NewPlan(c, acceptance.Result{})
	played := 0
	for _, s := range p.Scenarios {
		if s.Skipped == "" {
			played++
			if s.Duration <= DeleteTime || s.FromModel {
				t.Errorf("%s: %+v", s.Name, s)
			}
		}
	}
	if played != len(acceptance.Scenarios)-1 || p.MaxCostUSD <= 0 || p.MaxCostUSD > 100 || p.Requests <= 0 {
		t.Errorf("plan: %d played, $%.2f, %d requests", played, p.MaxCostUSD, p.Requests)
	}
	model := acceptance.Result{Scenarios: []acceptance.ScenarioResult{{Name: "first-deploy", Steps: []acceptance.StepResult{
		{Values: map[string]string{acceptance.WhatTook: "2m0s"}}, {Values: map[string]string{acceptance.WhatTook: "1m0s"}}}}}}
	c.Scenarios = []string{"first-deploy"}
	p = NewPlan(c, model)
	if s := p.Scenarios[0]; !s.FromModel || s.Duration != 3*time.Minute+2*DeployOverhead+2*ObserveTime+DeleteTime {
		t.Errorf("from the model: %+v", s)
	}
	// The model's commands take 0 s: the plan counts RollbackTime and UnblockTime instead, and AlarmTime for each
	// fault on the business alarm.
	full, err := acceptance.ModelResult()
	if err != nil {
		t.Fatal(err)
	}
	c.Scenarios = []string{"rollback-by-hand-while-the-alarm-fires"}
	p = NewPlan(c, full)
	m, _ := full.Scenario(c.Scenarios[0])
	want := DeleteTime + RollbackTime + UnblockTime + 2*AlarmTime
	for i, st := range m.Steps {
		d, _ := time.ParseDuration(st.Values[acceptance.WhatTook])
		want += d + ObserveTime
		if acceptance.Scenarios[func() int { i, _ := scenarioIndex(c.Scenarios[0]); return i }()].Steps[i].Action == acceptance.Deploy {
			want += DeployOverhead
		}
	}
	if got := p.Scenarios[0].Duration; got != want {
		t.Errorf("rollback-by-hand: %s, want %s", got, want)
	}
	// The generator's cap covers the step's bound at the rate, and the cost bound counts it.
	if d := (Config{}).withDefaults(); d.MaxRequests != int(d.StepTimeout.Seconds()*d.Rate) || p.Requests != p.Scenarios[0].Functions*d.MaxRequests {
		t.Errorf("cap %d, requests %d", d.MaxRequests, p.Requests)
	}
}

// The cost bound bills every request at least the acceptance app's timeout, which covers a slow release.
func TestCostBoundCoversSlowRequests(t *testing.T) {
	if AssumedBilledSeconds < acceptance.FunctionTimeout.Seconds() {
		t.Errorf("the bound bills %gs a request, less than the app's timeout %v", AssumedBilledSeconds, acceptance.FunctionTimeout)
	}
}

// A release block is deleted only when its blocks name the scenario's stack: a parameter under one of the stack's
// function names that another stack's rollback wrote is left alone.
func TestBlocksOfAnotherStackAreKept(t *testing.T) {
	f := newFakeAWS(t)
	name := acceptance.StackName("t1", 0)
	f.addStack(name, map[string]string{acceptance.TagKey: "t1"}, acceptance.Api)
	entry := func(stack string) string {
		v, _ := block.List{Function: functionName(name, acceptance.Api)}.With(block.Entry{Release: "ApiV1", Version: "1",
			Stack: stack, At: f.clock.Now()}).Marshal()
		return v
	}
	param := block.ParameterName(functionName(name, acceptance.Api))
	for _, c := range []struct {
		stack string
		kept  bool
	}{{name, false}, {"SomeoneElse", true}} {
		f.params[param] = entry(c.stack)
		b := NewBackend(f.config(t), f.clients(), nil, nil)
		if err := b.deleteBlocks(context.Background(), name, []string{functionName(name, acceptance.Api)}); err != nil {
			t.Fatal(err)
		}
		if _, ok := f.params[param]; ok != c.kept {
			t.Errorf("a block of stack %s: kept %v, want %v", c.stack, ok, c.kept)
		}
	}
}

// An interrupt during -cleanup reaches the caller as context.Canceled (the command exits 130), not flattened into
// text.
func TestCleanupInterruptedIsCanceled(t *testing.T) {
	f := newFakeAWS(t)
	f.addStack(acceptance.StackName("t1", 0), map[string]string{acceptance.TagKey: "t1"}).status = "UPDATE_IN_PROGRESS"
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Cleanup(ctx, f.config(t), f.clients(), false)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("want context.Canceled in %v", err)
	}
}
