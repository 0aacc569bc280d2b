package acceptance

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Backend plays scenarios: the lifecycle model, or a real AWS account.
type Backend interface {
	// Name names the backend in reports: "model", "aws".
	Name() string
	// Begin prepares a fresh acceptance app for the scenario, with nothing deployed.
	Begin(ctx context.Context, s Scenario) error
	// Do plays step i of the scenario and observes its outcome. An error means the step could not be played or
	// observed (not that the release failed: that is an observation); the scenario then stops.
	Do(ctx context.Context, s Scenario, i int) (Observation, error)
	// End removes everything Begin and the steps created. The runner calls it after every scenario Begin started,
	// whether it passed, failed or was interrupted, with a context of its own.
	End(ctx context.Context, s Scenario) error
}

// Observation is what a backend saw after a step: values by name (Name(What…, function)), and notes on what
// happened, as evidence for the report.
type Observation struct {
	Values map[string]string `json:"values"`
	Notes  []string          `json:"notes,omitempty"`
}

// Set records a value.
func (o *Observation) Set(name, value string) {
	if o.Values == nil {
		o.Values = map[string]string{}
	}
	o.Values[name] = value
}

// SetDuration records a duration, rounded to the second.
func (o *Observation) SetDuration(name string, d time.Duration) {
	o.Set(name, d.Round(time.Second).String())
}

// CheckResult is a check and what was observed.
type CheckResult struct {
	Check
	Got  string `json:"got"`
	Pass bool   `json:"pass"`
	// Why says why it failed.
	Why string `json:"why,omitempty"`
}

// StepResult is what one step did.
type StepResult struct {
	Step   string        `json:"step"`
	Checks []CheckResult `json:"checks"`
	// Values are every observation of the step, also those no check reads (times, for the report).
	Values map[string]string `json:"values,omitempty"`
	Notes  []string          `json:"notes,omitempty"`
	// Error is why the step could not be played or observed.
	Error string `json:"error,omitempty"`
}

// Pass reports whether the step was played and every check passed.
func (r StepResult) Pass() bool {
	if r.Error != "" {
		return false
	}
	for _, c := range r.Checks {
		if !c.Pass {
			return false
		}
	}
	return true
}

// The statuses of a scenario's result.
const (
	StatusPassed      = "passed"
	StatusFailed      = "failed"
	StatusError       = "error"
	StatusSkipped     = "skipped"
	StatusInterrupted = "interrupted"
)

// ScenarioResult is what one scenario did.
type ScenarioResult struct {
	Name   string       `json:"name"`
	Title  string       `json:"title"`
	Status string       `json:"status"`
	Steps  []StepResult `json:"steps,omitempty"`
	// Reason says why it was skipped, why it stopped, or what went wrong cleaning up.
	Reason string `json:"reason,omitempty"`
	// Cleanup is the error of Backend.End, when it failed: something may be left behind.
	Cleanup string `json:"cleanup,omitempty"`
}

// Result is a run of scenarios on one backend.
type Result struct {
	Backend   string           `json:"backend"`
	Scenarios []ScenarioResult `json:"scenarios"`
}

// Passed reports whether every scenario that ran passed (skipped ones aside).
func (r Result) Passed() bool {
	for _, s := range r.Scenarios {
		if s.Status != StatusPassed && s.Status != StatusSkipped {
			return false
		}
	}
	return true
}

// Scenario returns the result of the named scenario, and whether there is one.
func (r Result) Scenario(name string) (ScenarioResult, bool) {
	for _, s := range r.Scenarios {
		if s.Name == name {
			return s, true
		}
	}
	return ScenarioResult{}, false
}

// Options tune a run.
type Options struct {
	// Skip, when it returns a reason, skips the scenario (on AWS: the scenarios that run on the model only).
	Skip func(Scenario) string
	// Progress, when set, is told each step as it starts and ends.
	Progress func(format string, args ...interface{})
	// EndTimeout bounds each Backend.End. Default: 30 minutes.
	EndTimeout time.Duration
}

// Run plays the scenarios on b in order and checks every step. When ctx ends (an interrupt), the step being played
// ends as soon as the backend gives up on it, the scenario is cleaned up (Backend.End, with a context of its own), and the scenarios left are
// reported interrupted.
func Run(ctx context.Context, b Backend, scenarios []Scenario, o Options) Result {
	if o.EndTimeout <= 0 {
		o.EndTimeout = 30 * time.Minute
	}
	say := o.Progress
	if say == nil {
		say = func(string, ...interface{}) {}
	}
	res := Result{Backend: b.Name()}
	for _, s := range scenarios {
		sr := ScenarioResult{Name: s.Name, Title: s.Title}
		switch {
		case ctx.Err() != nil:
			sr.Status, sr.Reason = StatusInterrupted, "not started: interrupted"
		case o.Skip != nil && o.Skip(s) != "":
			sr.Status, sr.Reason = StatusSkipped, o.Skip(s)
		default:
			say("scenario %s: %s", s.Name, s.Title)
			sr = runScenario(ctx, b, s, o, say)
		}
		res.Scenarios = append(res.Scenarios, sr)
	}
	return res
}

// runScenario plays one scenario. sr is named so that the deferred End's failure reaches the result returned.
func runScenario(ctx context.Context, b Backend, s Scenario, o Options, say func(string, ...interface{})) (sr ScenarioResult) {
	sr = ScenarioResult{Name: s.Name, Title: s.Title, Status: StatusPassed}
	defer func() {
		ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.EndTimeout)
		defer cancel()
		if err := b.End(ectx, s); err != nil {
			sr.Cleanup = err.Error()
			if sr.Status == StatusPassed {
				sr.Status, sr.Reason = StatusError, "cleaning up failed"
			}
		}
	}()
	if err := b.Begin(ctx, s); err != nil {
		sr.Status, sr.Reason = StatusError, "could not begin: "+err.Error()
		return sr
	}
	for i, st := range s.Steps {
		if ctx.Err() != nil {
			sr.Status, sr.Reason = StatusInterrupted, fmt.Sprintf("interrupted before step %d", i+1)
			return sr
		}
		say("  step %d: %s", i+1, st)
		obs, err := b.Do(ctx, s, i)
		r := Judge(st, obs)
		if err != nil {
			r.Error = err.Error()
		}
		sr.Steps = append(sr.Steps, r)
		switch {
		case err != nil && (ctx.Err() != nil || errors.Is(err, context.Canceled)):
			sr.Status, sr.Reason = StatusInterrupted, fmt.Sprintf("interrupted during step %d", i+1)
			return sr
		case err != nil:
			sr.Status, sr.Reason = StatusError, fmt.Sprintf("step %d could not be played: %v", i+1, err)
			return sr
		case !r.Pass():
			sr.Status = StatusFailed
			say("  step %d: %d check(s) failed", i+1, failed(r))
		}
	}
	return sr
}

func failed(r StepResult) int {
	n := 0
	for _, c := range r.Checks {
		if !c.Pass {
			n++
		}
	}
	return n
}

// Judge checks a step's observation against what the step expects.
func Judge(st Step, obs Observation) StepResult {
	r := StepResult{Step: st.String(), Values: obs.Values, Notes: obs.Notes}
	for _, c := range st.Expect {
		got, ok := obs.Values[c.What]
		pass, why := c.Pass(got, ok)
		r.Checks = append(r.Checks, CheckResult{Check: c, Got: got, Pass: pass, Why: why})
	}
	return r
}
