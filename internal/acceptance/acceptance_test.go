package acceptance

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/safeship/lambda-bluegreen/internal/awsrules"
)

// The table is well formed: unique names, known observations, rules that exist, bounds that parse, and every
// scenario the acceptance issue lists.
func TestScenariosTable(t *testing.T) {
	name := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	seen := map[string]bool{}
	known := map[string]bool{}
	for _, w := range Observations {
		known[w] = true
	}
	faults := map[FaultKind]bool{ErrorBurst: true, BusinessAlarm: true, ClearBusinessAlarm: true, HookCrash: true, Quiet: true}
	for _, s := range Scenarios {
		if !name.MatchString(s.Name) || seen[s.Name] {
			t.Errorf("scenario name %q must be unique lower-case words joined by hyphens", s.Name)
		}
		seen[s.Name] = true
		if s.Title == "" || len(s.Steps) == 0 {
			t.Errorf("%s: a scenario needs a title and steps", s.Name)
		}
		for i, st := range s.Steps {
			where := s.Name + " step " + st.String()
			switch st.Action {
			case Deploy:
				if st.Release.Commit == "" {
					t.Errorf("%s: a deploy needs a commit", where)
				}
				if !st.Release.Fail.Valid() {
					t.Errorf("%s: unknown fail mode %q", where, st.Release.Fail)
				}
			case RollbackByHand, Unblock:
				if st.Function == "" {
					t.Errorf("%s: %s needs a function", where, st.Action)
				}
			default:
				t.Errorf("%s: unknown action %q", where, st.Action)
			}
			if len(st.Expect) == 0 {
				t.Errorf("%s (%d): a step must check something", where, i+1)
			}
			for _, f := range st.Faults {
				if !faults[f.Kind] {
					t.Errorf("%s: unknown fault %q", where, f.Kind)
				}
			}
			for _, c := range st.Expect {
				what, fn := Split(c.What)
				perFunction := what == WhatAlias || what == WhatVersions || what == WhatProvisioned || what == WhatWatch
				if !known[what] {
					t.Errorf("%s: unknown observation %q", where, c.What)
				}
				if perFunction && fn == "" {
					t.Errorf("%s: %q needs a function", where, c.What)
				}
				if c.Kind == AtMost {
					if _, err := time.ParseDuration(c.Want); err != nil {
						t.Errorf("%s: bound %q: %v", where, c.Want, err)
					}
				} else if c.Kind != Equal && c.Kind != Contains {
					t.Errorf("%s: unknown check kind %q", where, c.Kind)
				}
				for _, id := range c.Rules {
					if _, ok := awsrules.ByID(id); !ok {
						t.Errorf("%s: check %q names rule %q, which internal/awsrules does not have", where, c.What, id)
					}
				}
			}
		}
	}
	// The scenarios the acceptance issue asks for.
	for _, want := range []string{"first-deploy", "canary-succeeds", "error-burst-rolls-back-then-rerun",
		"pre-traffic-test-fails", "hook-crashes", "rollback-by-hand-while-the-alarm-fires",
		"emergency-bypass-then-normal-deploy", "quiet-function", "provisioned-concurrency-with-new-code",
		"service-one-function-fails", "slow-release-rolls-back"} {
		if !seen[want] {
			t.Errorf("the table lacks scenario %q", want)
		}
	}
}

// Every scenario checks notifications and watch's exit code where a deployment ran, and at least one scenario
// checks each kind of observation.
func TestScenariosCheckEveryObservation(t *testing.T) {
	kinds := map[string]bool{}
	for _, s := range Scenarios {
		for _, st := range s.Steps {
			for _, c := range st.Expect {
				what, _ := Split(c.What)
				kinds[what] = true
			}
		}
	}
	for _, w := range Observations {
		if !kinds[w] {
			t.Errorf("no scenario checks %q", w)
		}
	}
}

// A release's fail mode reads from JSON as the app's context gives it, and only the known modes are valid.
func TestFailModes(t *testing.T) {
	for _, m := range FailModes {
		var r Release
		if err := json.Unmarshal([]byte(`{"commit":"c2","fail":"`+string(m)+`"}`), &r); err != nil || r.Fail != m {
			t.Errorf("%q: got %+v, %v", m, r, err)
		}
		if !m.Valid() {
			t.Errorf("%q must be valid", m)
		}
	}
	for _, m := range []FailMode{"", FailErrors} {
		if !m.Valid() {
			t.Errorf("%q must be valid", m)
		}
	}
	if FailMode("throttles").Valid() {
		t.Error(`"throttles" must not be valid: no version's configuration can make Lambda throttle it`)
	}
	if b, _ := json.Marshal(Release{Commit: "c1"}); string(b) != `{"commit":"c1"}` {
		t.Errorf("a healthy release's JSON has no fail: %s", b)
	}
	if SlowDelay <= PreTrafficMaxLatency || SlowDelay >= FunctionTimeout {
		t.Errorf("SlowDelay %v must exceed the pre-traffic limit %v and stay within the timeout %v", SlowDelay,
			PreTrafficMaxLatency, FunctionTimeout)
	}
}

func TestCheckPass(t *testing.T) {
	for _, c := range []struct {
		check   Check
		got     string
		present bool
		pass    bool
	}{
		{is("alias Api", "1"), "1", true, true},
		{is("alias Api", "1"), "2", true, false},
		{is("alias Api", "1"), "", false, false},
		{errorSays("unblock"), "run bluegreen unblock -function Api", true, true},
		{errorSays("unblock"), "alarm in ALARM", true, false},
		{within(5 * time.Minute), "4m30s", true, true},
		{within(5 * time.Minute), "5m1s", true, false},
		{within(5 * time.Minute), "soon", true, false},
	} {
		if pass, why := c.check.Pass(c.got, c.present); pass != c.pass || (!pass && why == "") {
			t.Errorf("%+v on %q: pass %v (%s), want %v", c.check, c.got, pass, why, c.pass)
		}
	}
}

// fakeBackend plays steps from a script, and records what the runner asked of it.
type fakeBackend struct {
	calls []string
	// do answers step i of a scenario.
	do func(ctx context.Context, s Scenario, i int) (Observation, error)
	// endCtxErr is the error of the context End got, each time.
	endCtxErr []error
	// endErr is what End returns.
	endErr error
}

func (f *fakeBackend) Name() string { return "fake" }

func (f *fakeBackend) Begin(_ context.Context, s Scenario) error {
	f.calls = append(f.calls, "begin "+s.Name)
	return nil
}

func (f *fakeBackend) Do(ctx context.Context, s Scenario, i int) (Observation, error) {
	f.calls = append(f.calls, "do "+s.Name)
	return f.do(ctx, s, i)
}

func (f *fakeBackend) End(ctx context.Context, s Scenario) error {
	f.calls = append(f.calls, "end "+s.Name)
	f.endCtxErr = append(f.endCtxErr, ctx.Err())
	return f.endErr
}

var twoSteps = []Scenario{
	{Name: "one", Steps: []Step{{Action: Deploy, Release: canary("c1"), Expect: []Check{alias(Api, "1", "lambda-publish")}},
		{Action: Deploy, Release: canary("c2"), Expect: []Check{alias(Api, "2", "codedeploy-rollback")}}}},
	{Name: "two", Steps: []Step{{Action: Deploy, Release: canary("c1"), Expect: []Check{alias(Api, "1")}}}},
}

// served answers each step with the alias on the step's number.
func served(_ context.Context, _ Scenario, i int) (Observation, error) {
	var o Observation
	o.Set("alias Api", []string{"1", "2"}[i])
	return o, nil
}

func TestRunPassesAndCleansUp(t *testing.T) {
	f := &fakeBackend{do: served}
	res := Run(context.Background(), f, twoSteps, Options{})
	if !res.Passed() {
		t.Fatalf("want every scenario passed: %+v", res)
	}
	if got := strings.Join(f.calls, ","); got != "begin one,do one,do one,end one,begin two,do two,end two" {
		t.Errorf("calls %s", got)
	}
}

// A failed check and a step that cannot be played both end the scenario's run with End; a failed check lets
// the scenario go on, an error stops it.
func TestRunCleansUpAfterAFailureAndAnError(t *testing.T) {
	f := &fakeBackend{do: func(_ context.Context, s Scenario, i int) (Observation, error) {
		if s.Name == "two" {
			return Observation{}, errors.New("throttled")
		}
		var o Observation
		o.Set("alias Api", "1") // step 2 wants 2
		return o, nil
	}}
	res := Run(context.Background(), f, twoSteps, Options{})
	one, _ := res.Scenario("one")
	two, _ := res.Scenario("two")
	if one.Status != StatusFailed || len(one.Steps) != 2 || one.Steps[1].Checks[0].Pass {
		t.Errorf("scenario one: %+v", one)
	}
	if two.Status != StatusError || !strings.Contains(two.Reason, "throttled") {
		t.Errorf("scenario two: %+v", two)
	}
	if got := strings.Join(f.calls, ","); got != "begin one,do one,do one,end one,begin two,do two,end two" {
		t.Errorf("calls %s", got)
	}
}

// An interrupt during a step cleans that scenario up with a live context and leaves the others unstarted.
func TestRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	f := &fakeBackend{do: func(ctx context.Context, s Scenario, i int) (Observation, error) {
		cancel()
		return Observation{}, ctx.Err()
	}}
	res := Run(ctx, f, twoSteps, Options{})
	one, _ := res.Scenario("one")
	two, _ := res.Scenario("two")
	if one.Status != StatusInterrupted || two.Status != StatusInterrupted {
		t.Errorf("want both interrupted: %+v", res)
	}
	if got := strings.Join(f.calls, ","); got != "begin one,do one,end one" {
		t.Errorf("calls %s", got)
	}
	if len(f.endCtxErr) != 1 || f.endCtxErr[0] != nil {
		t.Errorf("End must get a context that is not cancelled, got %v", f.endCtxErr)
	}
}

func TestRunSkips(t *testing.T) {
	f := &fakeBackend{do: served}
	res := Run(context.Background(), f, twoSteps, Options{Skip: func(s Scenario) string {
		if s.Name == "two" {
			return "model only"
		}
		return ""
	}})
	two, _ := res.Scenario("two")
	if two.Status != StatusSkipped || two.Reason != "model only" || !res.Passed() {
		t.Errorf("got %+v", res)
	}
}

// A check that fails on an observed value contradicts its rules, with the evidence; one that passes confirms
// them; one that observed nothing says nothing.
func TestReportJudgesTheRules(t *testing.T) {
	f := &fakeBackend{do: func(_ context.Context, s Scenario, i int) (Observation, error) {
		var o Observation
		if s.Name == "one" && i == 1 {
			o.Set("alias Api", "1") // the rollback did not happen as the model says
			return o, nil
		}
		if s.Name == "one" {
			o.Set("alias Api", "1")
		}
		return o, nil // scenario two observes nothing
	}}
	res := Run(context.Background(), f, twoSteps, Options{})
	model := Run(context.Background(), &fakeBackend{do: served}, twoSteps, Options{})
	r := NewReport(res, model)
	if s, _ := r.Rule("lambda-publish"); s.Status != RuleConfirmed {
		t.Errorf("lambda-publish: %+v", s)
	}
	s, _ := r.Rule("codedeploy-rollback")
	if s.Status != RuleContradicted || len(s.Evidence) != 1 || !strings.Contains(s.Evidence[0], `want "2", got "1"`) {
		t.Errorf("codedeploy-rollback: %+v", s)
	}
	if s, _ := r.Rule("scheduler-at"); s.Status != RuleNotExercised {
		t.Errorf("scheduler-at: %+v", s)
	}
	if len(r.Rules) != len(awsrules.All) {
		t.Errorf("the report judges %d rules, the table has %d", len(r.Rules), len(awsrules.All))
	}
	md := r.Markdown()
	for _, want := range []string{"| `codedeploy-rollback` | documented | contradicted | one, step 2",
		"1 confirmed, 1 contradicted", "| alias Api | 2 | 2 | 1 | ✗ want \"2\", got \"1\" |"} {
		if !strings.Contains(md, want) {
			t.Errorf("the Markdown lacks %q:\n%s", want, md)
		}
	}
}

// The model's result, kept in testdata/model.json, reads.
func TestModelResultReads(t *testing.T) {
	r, err := ModelResult()
	if err != nil {
		t.Fatal(err)
	}
	if r.Backend != "model" {
		t.Errorf("backend %q", r.Backend)
	}
}

func TestStackNamesAndOwnership(t *testing.T) {
	if msg := ValidRunID("a1b2"); msg != "" {
		t.Error(msg)
	}
	for _, bad := range []string{"", "UPPER", "with-hyphen", "thirteenchars"} {
		if ValidRunID(bad) == "" {
			t.Errorf("run id %q must be refused", bad)
		}
	}
	name := StackName("a1b2", 3)
	if name != "BlueGreenAcceptance-a1b2-03" || len(name) > 128 {
		t.Errorf("StackName = %q", name)
	}
	tagged := map[string]string{TagKey: "a1b2"}
	for _, c := range []struct {
		name string
		tags map[string]string
		run  string
		own  bool
	}{
		{name, tagged, "a1b2", true},
		{name, tagged, "", true},
		{name, tagged, "zz", false},
		{name, nil, "a1b2", false},
		{"Production-a1b2-03", tagged, "a1b2", false},
		{"BlueGreenAcceptance-zz-01", tagged, "a1b2", false},
	} {
		if got := OwnStack(c.name, c.tags, c.run); got != c.own {
			t.Errorf("OwnStack(%q, %v, %q) = %v, want %v", c.name, c.tags, c.run, got, c.own)
		}
	}
}

// A cleanup that fails is in the result: something may be left behind, and a passing scenario becomes an error.
func TestRunReportsAFailedCleanup(t *testing.T) {
	f := &fakeBackend{do: served, endErr: errors.New("stack still DELETE_IN_PROGRESS after 30m0s")}
	res := Run(context.Background(), f, twoSteps[:1], Options{})
	one, _ := res.Scenario("one")
	if one.Status != StatusError || !strings.Contains(one.Cleanup, "DELETE_IN_PROGRESS") || res.Passed() {
		t.Errorf("a failed cleanup must be reported: %+v", one)
	}
}
