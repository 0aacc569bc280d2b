// Package acceptance holds the release scenarios the library is proved against, and what runs them: one table of
// scenarios (Scenarios), each a sequence of steps with the outcomes expected of AWS, and a runner (Run) that plays
// them on a Backend and checks every outcome. Two backends exist: the lifecycle model (test/deployment, in every
// go test ./...) and a real AWS account (package acceptance/awsrun, behind bluegreen acceptance). Every check names
// the rules of package awsrules it depends on, so a report (Report) says which of the model's rules a real account
// confirmed, contradicted, or did not exercise.
package acceptance

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The functions of the acceptance app: one function (Api), or a service of two (Fn00, Fn01).
const (
	Api  = "Api"
	Fn00 = "Fn00"
	Fn01 = "Fn01"
)

// Action is what a step does.
type Action string

// The actions of a step.
const (
	// Deploy deploys a release of the acceptance app (cdk deploy).
	Deploy Action = "deploy"
	// RollbackByHand rolls the function's finished release back (bluegreen rollback -function F).
	RollbackByHand Action = "rollback"
	// Unblock lifts the blocks of the function's rolled-back releases (bluegreen unblock -function F -all).
	Unblock Action = "unblock"
)

// Release is what a deploy ships: a commit of the app and the deployment's settings in it.
type Release struct {
	// Commit is the function's code and configuration: a new commit publishes a new version; the same commit
	// again publishes none unless its version was deleted. With Commits set, Commit names the service's commit.
	Commit string `json:"commit"`
	// Commits, when set, makes the app a service of len(Commits) functions (Fn00, Fn01…), each at its commit.
	Commits []string `json:"commits,omitempty"`
	// Strategy is the name of a predefined strategy (as strategy.Predefined() names them). Default:
	// Canary10Percent5Minutes.
	Strategy string `json:"strategy,omitempty"`
	// PreTraffic adds pre-traffic tests that invoke green and expect it to answer ok with its commit within
	// PreTrafficMaxLatency.
	PreTraffic bool `json:"preTraffic,omitempty"`
	// Business adds a rollback alarm of the user's own (on a business metric) beside the green alarms.
	Business bool `json:"business,omitempty"`
	// Bypass deploys with the emergency bypass (all at once, alarms off).
	Bypass bool `json:"bypass,omitempty"`
	// ProvisionedConcurrency is the alias's provisioned concurrency, when above 0.
	ProvisionedConcurrency int `json:"provisionedConcurrency,omitempty"`
	// Fail makes the release a bad one: its versions fail every request in this way. It is part of the versions'
	// configuration (the handler reads it from EnvFail), so a bad release is a real new version, unlike a Fault.
	// Default: the release is healthy.
	Fail FailMode `json:"fail,omitempty"`
}

// FailMode is how a bad release's versions fail (Release.Fail): the acceptance handler fails every request so.
//
// Throttling is not a mode: no configuration of a version can make Lambda throttle it. Reserved concurrency, the
// one setting that makes Lambda refuse requests, belongs to the function, not to a version (PutFunctionConcurrency
// takes no qualifier, and AWS::Lambda::Function's ReservedConcurrentExecutions is the function's), so it would
// throttle blue as much as green.
type FailMode string

// The ways a bad release fails.
const (
	// FailErrors: every request returns an error (a function error Lambda counts in Errors).
	FailErrors FailMode = "errors"
	// FailLatency: every request answers ok after SlowDelay, longer than the green latency alarm's default
	// threshold for the app's FunctionTimeout (80 % of it, alarms.DefaultLatencyBudgetShare) and well within the
	// timeout, so the request succeeds but slowly. It fails pre-traffic tests only through their time limit
	// (PreTrafficMaxLatency).
	FailLatency FailMode = "latency"
	// FailCrash: the handler's process exits during every request. Lambda reports the invocation as a function
	// error, Runtime.ExitError ("Runtime exited with error: exit status 2"), which Errors counts ("unhandled
	// exceptions causing the code to exit", Lambda metrics; "the runtime ... exited with an error code" is a
	// function error, Lambda Developer Guide, Error handling and automatic retries), and starts a new execution
	// environment for the next request.
	FailCrash FailMode = "crash"
)

// FailModes are every FailMode.
var FailModes = []FailMode{FailErrors, FailLatency, FailCrash}

// Valid reports whether m is "" (a healthy release) or one of FailModes.
func (m FailMode) Valid() bool {
	return m == "" || slices.Contains(FailModes, m)
}

// The acceptance app's timings (examples/acceptance), which FailLatency and the backends rely on.
const (
	// FunctionTimeout is the timeout of every function of the app: long enough that SlowDelay stays well within
	// it while exceeding the default latency alarm's threshold (80 % of it, 24 s).
	FunctionTimeout = 30 * time.Second
	// SlowDelay is how long a FailLatency version takes to answer: 3 s above the latency alarm's default threshold
	// for FunctionTimeout (24 s), and 3 s below the timeout, past which the request would be a timeout error.
	SlowDelay = 27 * time.Second
	// PreTrafficMaxLatency is the time limit of the app's pre-traffic test (Release.PreTraffic): a FailLatency
	// version, answering after SlowDelay, fails it.
	PreTrafficMaxLatency = 5 * time.Second
)

// Functions are the release's functions: Api, or Fn00… for a service.
func (r Release) Functions() []string {
	if len(r.Commits) == 0 {
		return []string{Api}
	}
	fns := make([]string, len(r.Commits))
	for i := range r.Commits {
		fns[i] = fmt.Sprintf("Fn%02d", i)
	}
	return fns
}

// StrategyName is Strategy, or the default canary.
func (r Release) StrategyName() string {
	if r.Strategy == "" {
		return "Canary10Percent5Minutes"
	}
	return r.Strategy
}

// FaultKind is a way things go wrong during a step, from outside the release's code and configuration.
type FaultKind string

// The faults a step can inject.
const (
	// ErrorBurst: green answers errors from After into the shift until the deploy ends (a dependency that fails
	// for a while); the same commit later ships.
	ErrorBurst FaultKind = "error-burst"
	// BusinessAlarm: the business metric breaches, so the business alarm is in ALARM from the step on, until a
	// later step's fault is ClearBusinessAlarm.
	BusinessAlarm FaultKind = "business-alarm"
	// ClearBusinessAlarm: the business metric recovers before the step.
	ClearBusinessAlarm FaultKind = "clear-business-alarm"
	// HookCrash: the pre-traffic hook's function dies without reporting (out of memory).
	HookCrash FaultKind = "hook-crash"
	// Quiet: nobody calls the function during the step.
	Quiet FaultKind = "quiet"
)

// Fault is what goes wrong during a step.
type Fault struct {
	Kind FaultKind `json:"kind"`
	// Function is the function it hits. Default: Api, or Fn00 in a service.
	Function string `json:"function,omitempty"`
	// After is when, into the traffic shift, it starts (ErrorBurst). Default: as the shift starts.
	After time.Duration `json:"after,omitempty"`
}

// Step is one step of a scenario and what is expected of it.
type Step struct {
	Action Action `json:"action"`
	// Release is what a Deploy ships.
	Release Release `json:"release,omitempty"`
	// Function is what RollbackByHand and Unblock act on.
	Function string `json:"function,omitempty"`
	// Faults are what goes wrong during the step.
	Faults []Fault `json:"faults,omitempty"`
	// Expect are the outcomes checked after the step.
	Expect []Check `json:"expect"`
}

// String says what the step does, in a few words.
func (s Step) String() string {
	var b strings.Builder
	switch s.Action {
	case Deploy:
		r := s.Release
		fmt.Fprintf(&b, "deploy %s", r.Commit)
		var with []string
		if r.Strategy != "" {
			with = append(with, r.Strategy)
		}
		for _, f := range []struct {
			on   bool
			name string
		}{{r.PreTraffic, "pre-traffic tests"}, {r.Business, "business alarm"}, {r.Bypass, "emergency bypass"},
			{r.Fail != "", "failing with " + string(r.Fail)}} {
			if f.on {
				with = append(with, f.name)
			}
		}
		if r.ProvisionedConcurrency > 0 {
			with = append(with, fmt.Sprintf("provisioned concurrency %d", r.ProvisionedConcurrency))
		}
		if len(with) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(with, ", "))
		}
	default:
		fmt.Fprintf(&b, "%s %s", s.Action, s.Function)
	}
	for _, f := range s.Faults {
		fmt.Fprintf(&b, "; %s", f.Kind)
		if f.Function != "" {
			fmt.Fprintf(&b, " in %s", f.Function)
		}
		if f.After > 0 {
			fmt.Fprintf(&b, " after %s", f.After)
		}
	}
	return b.String()
}

// Scenario is a sequence of steps played against a fresh acceptance app (nothing deployed before its first step).
type Scenario struct {
	// Name is the scenario's id: lower case words joined by hyphens.
	Name string `json:"name"`
	// Title says what it shows, in a sentence.
	Title string `json:"title"`
	Steps []Step `json:"steps"`
	// ModelOnly, when set, says why the scenario cannot be played on a real account; it runs on the model only.
	ModelOnly string `json:"modelOnly,omitempty"`
}

// CheckKind is how a check compares what was observed with what is wanted.
type CheckKind string

// The kinds of check.
const (
	// Equal: the observed value is Want.
	Equal CheckKind = "equal"
	// Contains: the observed value contains Want.
	Contains CheckKind = "contains"
	// AtMost: the observed duration is at most Want (a time.Duration string).
	AtMost CheckKind = "at most"
)

// Check is one expected outcome of a step: an observation (What), the value wanted, and the model's rules the
// expectation rests on.
type Check struct {
	// What names the observation: one of the What… constants, with the function it concerns.
	What string    `json:"what"`
	Kind CheckKind `json:"kind"`
	Want string    `json:"want"`
	// Rules are the ids of the awsrules the expectation depends on: a real account that disagrees contradicts them.
	Rules []string `json:"rules,omitempty"`
}

// The observations a backend reports after a step. Names with a function take it after a space ("alias Api").
const (
	// WhatOutcome is how the step's stack operation ended: one of the Outcome… values.
	WhatOutcome = "outcome"
	// WhatStack is the stack's status after the step (CloudFormation's StackStatus).
	WhatStack = "stack"
	// WhatAlias is what the function's alias serves after the step: a version number, with no weights.
	WhatAlias = "alias"
	// WhatVersions are the function's published versions after the step, comma-separated in ascending order.
	WhatVersions = "versions"
	// WhatProvisioned is the provisioned concurrency on the function's alias after the step.
	WhatProvisioned = "provisioned"
	// WhatNotifications are the outcomes of the notifications sent during the step (the notify construct's
	// Notice.Outcome), comma-separated in the order sent; "none" for none.
	WhatNotifications = "notifications"
	// WatchExit is the exit code of bluegreen watch following the function's deployment of the step ("none" when the
	// step ran no deployment of it).
	WhatWatch = "watch exit"
	// WhatTook is how long the step took, from its start to its stack operation's end.
	WhatTook = "took"
	// WhatDetection is how long from the first failing request green served to the alias serving blue alone.
	WhatDetection = "detection"
	// WhatError is the stack operation's error ("" when it succeeded).
	WhatError = "error"
)

// The outcomes of a step's stack operation (WhatOutcome).
const (
	// OutcomeComplete: the stack operation succeeded.
	OutcomeComplete = "complete"
	// OutcomeRolledBack: the operation failed and the stack rolled back.
	OutcomeRolledBack = "rolled back"
	// OutcomeRollbackFailed: the operation failed and so did its rollback.
	OutcomeRollbackFailed = "rollback failed"
)

// Name is the observation's name for a function: "alias Api".
func Name(what, fn string) string {
	if fn == "" {
		return what
	}
	return what + " " + fn
}

// Observations are every kind of observation a backend reports (the What… constants).
var Observations = []string{WhatOutcome, WhatStack, WhatAlias, WhatVersions, WhatProvisioned, WhatNotifications,
	WhatWatch, WhatTook, WhatDetection, WhatError}

// Split is Name's inverse: the observation and its function ("" for none).
func Split(name string) (what, fn string) {
	for _, w := range Observations {
		if name == w {
			return w, ""
		}
		if strings.HasPrefix(name, w+" ") {
			return w, strings.TrimPrefix(name, w+" ")
		}
	}
	return name, ""
}

// The helpers below write the table's checks.

func is(what, want string, rules ...string) Check {
	return Check{What: what, Kind: Equal, Want: want, Rules: rules}
}

// outcome checks how the stack operation ended.
func outcome(want string, rules ...string) Check { return is(WhatOutcome, want, rules...) }

// stack checks the stack's status.
func stack(want string, rules ...string) Check { return is(WhatStack, want, rules...) }

// alias checks what fn's alias serves.
func alias(fn, version string, rules ...string) Check {
	return is(Name(WhatAlias, fn), version, rules...)
}

// versions checks fn's published versions.
func versions(fn, list string, rules ...string) Check {
	return is(Name(WhatVersions, fn), list, rules...)
}

// notified checks the outcomes notified during the step.
func notified(list string, rules ...string) Check { return is(WhatNotifications, list, rules...) }

// watchExit checks bluegreen watch's exit code for fn's deployment of the step.
func watchExit(fn, code string, rules ...string) Check {
	return is(Name(WhatWatch, fn), code, rules...)
}

// within checks that the step took at most d.
func within(d time.Duration, rules ...string) Check {
	return Check{What: WhatTook, Kind: AtMost, Want: d.String(), Rules: rules}
}

// detectedWithin checks that green's failure was detected and the alias back on blue within d.
func detectedWithin(d time.Duration, rules ...string) Check {
	return Check{What: WhatDetection, Kind: AtMost, Want: d.String(), Rules: rules}
}

// errorSays checks that the stack operation's error contains want.
func errorSays(want string, rules ...string) Check {
	return Check{What: WhatError, Kind: Contains, Want: want, Rules: rules}
}

// provisioned checks the provisioned concurrency on fn's alias.
func provisioned(fn, n string, rules ...string) Check {
	return is(Name(WhatProvisioned, fn), n, rules...)
}

// Pass reports whether got satisfies the check, and says why not.
func (c Check) Pass(got string, present bool) (bool, string) {
	if !present {
		return false, "not observed"
	}
	switch c.Kind {
	case Equal:
		if got == c.Want {
			return true, ""
		}
		return false, fmt.Sprintf("want %q, got %q", c.Want, got)
	case Contains:
		if strings.Contains(got, c.Want) {
			return true, ""
		}
		return false, fmt.Sprintf("want it to contain %q, got %q", c.Want, got)
	case AtMost:
		want, err := time.ParseDuration(c.Want)
		if err != nil {
			return false, fmt.Sprintf("the check's bound %q is not a duration", c.Want)
		}
		d, err := time.ParseDuration(got)
		if err != nil {
			return false, fmt.Sprintf("observed %q, not a duration", got)
		}
		if d <= want {
			return true, ""
		}
		return false, fmt.Sprintf("took %s, want at most %s", d, want)
	}
	return false, fmt.Sprintf("unknown check kind %q", c.Kind)
}
