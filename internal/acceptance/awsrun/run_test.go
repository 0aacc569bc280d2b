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
		f.addStack(acceptance.StackName("t1", 0), tag("t1"))
		f.addStack(acceptance.StackName("t1", 3), tag("t1"))
		f.addStack(acceptance.StackName("t2", 0), tag("t2"))
		f.addStack(acceptance.StackName("t1", 4), map[string]string{"team": "x"}) // the prefix, no tag
		f.addStack("MyApp-t1-00", tag("t1"))                                      // the tag, another prefix
		f.addStack("Other", nil)
		var out bytes.Buffer
		c := f.config(t)
		c.Out = &out
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
	}
}

func prefixed(p string, list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = p + s
	}
	return out
}

// A stack that never finishes deleting ends the wait with an error at EndTimeout, on the run's clock.
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
	// The same in a scenario's End. (acceptance.Run's runScenario sets ScenarioResult.Cleanup in a deferred function
	// on a copy it has already returned, so the run's result does not show it yet: End is asserted directly.)
	f = newFakeAWS(t)
	f.addStack(acceptance.StackName("t1", 0), map[string]string{acceptance.TagKey: "t1"})
	f.stacks[acceptance.StackName("t1", 0)].hang = true
	c = f.config(t)
	c.EndTimeout = 10 * time.Minute
	err = NewBackend(c, f.clients(), nil, nil).End(context.Background(), acceptance.Scenarios[0])
	if err == nil || !strings.Contains(err.Error(), "still DELETE_IN_PROGRESS") {
		t.Errorf("End: %v", err)
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
	if s := p.Scenarios[0]; !s.FromModel || s.Duration != 3*time.Minute+2*DeployOverhead+DeleteTime {
		t.Errorf("from the model: %+v", s)
	}
}
