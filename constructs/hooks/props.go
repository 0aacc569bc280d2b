package hooks

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/safeship/lambda-bluegreen/constructs/hooks/hookconfig"
)

// Int returns a pointer to v, for the whole-number fields of this package: TestCase.StatusCode,
// LoadCheck.Invocations and Concurrency, PostTrafficProps.KeepVersions (hooks.Int(200)). They are ints because
// only the hook reads them, never CDK; every number that CDK reads is a *float64, set with jsii.Number, and jsii
// has no helper for *int.
func Int(v int) *int { return &v }

// TestCase is one invocation of green before it takes traffic, and what its result must be.
type TestCase struct {
	// Name identifies the test in the hook's log. Required, unique within the hook.
	Name string

	// Payload is the event sent to green, marshalled to JSON (a string is sent as a JSON string; use
	// json.RawMessage for JSON text).
	//
	// Default: {}.
	Payload interface{}

	// ExpectFunctionError requires the function to return an error (a test of bad input).
	//
	// Default: false: any function error fails the test.
	ExpectFunctionError bool

	// StatusCode is the statusCode an HTTP-style handler (function URL, API Gateway) must return.
	//
	// Default: not checked.
	StatusCode *int

	// Equals maps a path in the result to the value it must equal (compared as JSON). Paths separate fields with
	// dots and index arrays by number; a string that holds JSON, such as an HTTP body, is entered as JSON:
	// "body.user.id".
	//
	// Default: no equality checks.
	Equals map[string]interface{}

	// Contains maps a path to a text its value must contain; the path "" is the whole result.
	//
	// Default: no containment checks.
	Contains map[string]string

	// MaxLatency is the longest the invocation may take, seen from the hook. Zero means no limit.
	//
	// Default: no limit.
	MaxLatency time.Duration
}

// LoadCheck is a short warm-up and latency check: Invocations calls of green, Concurrency at a time, with no
// function error and the Percentile latency within Budget.
type LoadCheck struct {
	// Invocations is how many calls to make, 1 to 1000.
	//
	// Default: 20.
	Invocations *int

	// Concurrency is how many calls run at once, 1 to 100 and at most Invocations.
	//
	// Default: 5.
	Concurrency *int

	// Percentile of the latencies that must stay within Budget, greater than 0 and at most 100.
	//
	// Default: 95.
	Percentile *float64

	// Budget is the latency the percentile must stay within. Required.
	Budget time.Duration

	// Payload is the event of every call.
	//
	// Default: {}.
	Payload interface{}
}

// PreTrafficProps declare what the pre-traffic hook tests against green before any traffic shifts. At least one
// check must remain: a test case, the load check, or the malformed-event probe.
type PreTrafficProps struct {
	// Tests are invoked against green's version, in order.
	//
	// Default: none.
	Tests []TestCase

	// Load is a warm-up and latency check.
	//
	// Default: none.
	Load *LoadCheck

	// SkipMalformedEventProbe turns off the probe that sends green an event of the wrong shape and requires a
	// handled error (or any answer) rather than a crash.
	//
	// Default: false (the probe runs).
	SkipMalformedEventProbe bool
}

// DefaultMinInvocations is the traffic gate of PostTrafficProps.MinInvocations when it is unset: 0, off. A release
// never fails only because nobody called the function: a quiet function may see no request during the traffic
// shift, and the pre-traffic hook's own calls do not count (they invoke green's version, not the alias).
const DefaultMinInvocations = 0.0

// PostTrafficProps declare what the post-traffic hook checks once green has all the traffic. At least one check
// must remain: the alarm check, the traffic gate (MinInvocations above 0), or pruning (KeepVersions).
type PostTrafficProps struct {
	// MinInvocations is the traffic gate, opt-in: how many invocations green must have served through the alias
	// since the deployment started (the AWS/Lambda Invocations metric with the dimensions FunctionName, Resource
	// "<function>:<alias>" and ExecutedVersion green). 0 turns the gate off.
	//
	// Set it only for a function with steady traffic, and give the strategy time for that traffic to show:
	// Lambda sends Invocations only for minutes with invocations, a datapoint can be published minutes after the
	// invocation it counts, and the pre-traffic hook's test calls invoke green's version directly, so they never
	// count (they carry no ExecutedVersion of the alias). See RequiredInvocations.
	//
	// Default: 0 (DefaultMinInvocations): no traffic is required.
	MinInvocations *float64

	// SkipAlarmCheck turns off the check that no alarm of the deployment group is in ALARM.
	//
	// Default: false (the check runs).
	SkipAlarmCheck bool

	// KeepVersions deletes the function's versions beyond the newest KeepVersions (at least 1), to stay clear of
	// Lambda's 75 GB code-storage quota, once every other check of the hook passed (after a failed check nothing
	// is deleted). A version still in use is never deleted: blue (also the version a rollback returns to),
	// green, a version an alias points at or routes a weight to, one with provisioned concurrency, one an event
	// source mapping invokes, and one whose use cannot be read; the hook logs each kept version with the reason.
	// A failed deletion is logged and does not fail the deployment.
	//
	// Default: no version is deleted.
	KeepVersions *int
}

func (p *PreTrafficProps) config() (hookconfig.Config, error) {
	c := hookconfig.Config{Phase: hookconfig.PreTraffic, MalformedEventProbe: !p.SkipMalformedEventProbe}
	var errs []error
	names := map[string]bool{}
	for i, tc := range p.Tests {
		field := fmt.Sprintf("Tests[%d]", i)
		if tc.Name == "" {
			errs = append(errs, fmt.Errorf("%s.Name must be set, got \"\"", field))
		} else if names[tc.Name] {
			errs = append(errs, fmt.Errorf("%s.Name must be unique, got %q twice", field, tc.Name))
		}
		names[tc.Name] = true
		payload, err := marshal(tc.Payload)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s.Payload must marshal to JSON: %w", field, err))
		}
		out := hookconfig.TestCase{Name: tc.Name, Payload: payload, ExpectFunctionError: tc.ExpectFunctionError,
			Contains: tc.Contains, MaxLatencyMillis: tc.MaxLatency.Milliseconds()}
		if tc.StatusCode != nil {
			if *tc.StatusCode < 100 || *tc.StatusCode > 599 {
				errs = append(errs, fmt.Errorf("%s.StatusCode must be from 100 to 599, got %d", field, *tc.StatusCode))
			}
			out.StatusCode = *tc.StatusCode
		}
		if tc.MaxLatency < 0 {
			errs = append(errs, fmt.Errorf("%s.MaxLatency must be positive (or zero for no limit), got %v", field, tc.MaxLatency))
		}
		for path, v := range tc.Equals {
			b, err := json.Marshal(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s.Equals[%q] must marshal to JSON: %w", field, path, err))
				continue
			}
			if out.Equals == nil {
				out.Equals = map[string]json.RawMessage{}
			}
			out.Equals[path] = b
		}
		c.Tests = append(c.Tests, out)
	}
	if l := p.Load; l != nil {
		lc := hookconfig.LoadCheck{Invocations: intOr(l.Invocations, 20), Concurrency: intOr(l.Concurrency, 5),
			Percentile: 95, BudgetMillis: l.Budget.Milliseconds()}
		if l.Percentile != nil {
			lc.Percentile = *l.Percentile
		}
		if lc.Invocations < 1 || lc.Invocations > 1000 {
			errs = append(errs, fmt.Errorf("Load.Invocations must be from 1 to 1000, got %d", lc.Invocations))
		}
		if lc.Concurrency < 1 || lc.Concurrency > 100 || lc.Concurrency > lc.Invocations {
			errs = append(errs, fmt.Errorf("Load.Concurrency must be from 1 to 100 and at most Invocations (%d), got %d",
				lc.Invocations, lc.Concurrency))
		}
		if !(lc.Percentile > 0 && lc.Percentile <= 100) {
			errs = append(errs, fmt.Errorf("Load.Percentile must be greater than 0 and at most 100, got %v", lc.Percentile))
		}
		if l.Budget <= 0 {
			errs = append(errs, fmt.Errorf("Load.Budget must be positive, got %v", l.Budget))
		}
		payload, err := marshal(l.Payload)
		if err != nil {
			errs = append(errs, fmt.Errorf("Load.Payload must marshal to JSON: %w", err))
		}
		lc.Payload = payload
		c.Load = &lc
	}
	if len(c.Tests) == 0 && c.Load == nil && !c.MalformedEventProbe {
		errs = append(errs, errors.New("at least one check must remain: add Tests or Load, or keep the malformed-event probe"))
	}
	return c, errors.Join(errs...)
}

// RequiredInvocations returns the traffic gate these props set: MinInvocations, or DefaultMinInvocations when it
// is unset (or p is nil); 0 means the post-traffic hook requires no traffic.
func (p *PostTrafficProps) RequiredInvocations() float64 {
	if p == nil || p.MinInvocations == nil {
		return DefaultMinInvocations
	}
	return *p.MinInvocations
}

func (p *PostTrafficProps) config() (hookconfig.Config, error) {
	c := hookconfig.Config{Phase: hookconfig.PostTraffic, MinInvocations: DefaultMinInvocations,
		CheckAlarms: !p.SkipAlarmCheck}
	var errs []error
	if p.MinInvocations != nil {
		if *p.MinInvocations < 0 {
			errs = append(errs, fmt.Errorf("MinInvocations must be at least 0, got %v", *p.MinInvocations))
		}
		c.MinInvocations = *p.MinInvocations
	}
	if p.KeepVersions != nil {
		if *p.KeepVersions < 1 {
			errs = append(errs, fmt.Errorf("KeepVersions must be at least 1, got %d", *p.KeepVersions))
		}
		c.KeepVersions = *p.KeepVersions
	}
	if c.MinInvocations == 0 && !c.CheckAlarms && c.KeepVersions == 0 {
		errs = append(errs, errors.New("at least one check must remain, got none: keep the alarm check (SkipAlarmCheck "+
			"false), set MinInvocations above 0 (the traffic gate is off by default) or set KeepVersions"))
	}
	return c, errors.Join(errs...)
}

// Validate reports every problem with p, joined, or nil.
func (p *PreTrafficProps) Validate() error {
	_, err := p.config()
	return err
}

// Validate reports every problem with p, joined, or nil.
func (p *PostTrafficProps) Validate() error {
	_, err := p.config()
	return err
}

func marshal(v interface{}) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	if raw, ok := v.(json.RawMessage); ok {
		if !json.Valid(raw) {
			return nil, errors.New("json.RawMessage is not valid JSON")
		}
		return raw, nil
	}
	return json.Marshal(v)
}

func intOr(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}
