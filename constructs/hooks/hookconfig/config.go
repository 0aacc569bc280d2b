// Package hookconfig is the configuration a traffic hook reads at start: what to test and how. The hooks
// construct writes it as config.json next to the hook's bootstrap; the hook's runner reads it. It has no
// dependencies, so both sides share one definition.
package hookconfig

import "encoding/json"

// FileName is the name of the configuration file in the hook's code folder.
const FileName = "config.json"

// Phase says when CodeDeploy runs the hook.
type Phase string

const (
	// PreTraffic runs before any traffic reaches green (BeforeAllowTraffic).
	PreTraffic Phase = "pre-traffic"
	// PostTraffic runs after green has all the traffic (AfterAllowTraffic).
	PostTraffic Phase = "post-traffic"
)

// Config is everything a hook checks.
type Config struct {
	// Phase is when the hook runs; it selects the checks below.
	Phase Phase `json:"phase"`

	// Tests are invoked against green's version before traffic shifts (pre-traffic).
	Tests []TestCase `json:"tests,omitempty"`
	// Load is a short warm-up and latency check against green's version (pre-traffic).
	Load *LoadCheck `json:"load,omitempty"`
	// MalformedEventProbe sends an event of the wrong shape and expects a handled error, not a crash
	// (pre-traffic).
	MalformedEventProbe bool `json:"malformedEventProbe,omitempty"`
	// StackTraceIsCrash counts an error with a stack trace as a crash in the probe: true for Go handlers
	// (provided.* runtimes), whose returned errors carry none while panics do.
	StackTraceIsCrash bool `json:"stackTraceIsCrash,omitempty"`

	// MinInvocations is how many invocations green must have served through the alias since the deployment
	// started (post-traffic); 0 skips the check.
	MinInvocations float64 `json:"minInvocations,omitempty"`
	// CheckAlarms fails the hook when any alarm of the deployment group is in ALARM (post-traffic).
	CheckAlarms bool `json:"checkAlarms,omitempty"`
	// KeepVersions deletes the function's versions beyond the newest KeepVersions once every other check passed,
	// never a version in use: blue, green, one an alias points at or weights, one with provisioned concurrency or
	// an event source mapping (post-traffic); 0 keeps every version.
	KeepVersions int `json:"keepVersions,omitempty"`

	// ProvisionedConcurrency, when set, makes the pre-traffic hook wait, within its deadline, until the provisioned
	// concurrency in force for green during the shift is READY: a configuration on green's version if it has one,
	// else the configuration of the deployment's alias, at whatever amount it has now. [Min, Max] is the amount the
	// deployment declares, which Application Auto Scaling applies only once the deployment has ended: the hook
	// reports it and does not wait for it; with no configuration in force yet there is nothing to wait for
	// (pre-traffic).
	ProvisionedConcurrency *ProvisionedConcurrency `json:"provisionedConcurrency,omitempty"`

	// Targets are the checks of each further function a shared pre-traffic hook tests, by key. The hook reads the
	// tag TargetTagKey of the function a deployment shifts: a function tagged with a key gets that key's checks,
	// and an untagged one the checks above.
	Targets map[string]Checks `json:"targets,omitempty"`
}

// TargetTagKey is the tag a shared pre-traffic hook puts on each function it tests with checks of its own; its
// value is the function's key in Config.Targets.
const TargetTagKey = "lambda-bluegreen:pre-traffic-tests"

// Checks are the pre-traffic checks of one function of a shared hook.
type Checks struct {
	Tests               []TestCase `json:"tests,omitempty"`
	Load                *LoadCheck `json:"load,omitempty"`
	MalformedEventProbe bool       `json:"malformedEventProbe,omitempty"`
	StackTraceIsCrash   bool       `json:"stackTraceIsCrash,omitempty"`
	// ProvisionedConcurrency is the function's provisioned concurrency check; nil checks none.
	ProvisionedConcurrency *ProvisionedConcurrency `json:"provisionedConcurrency,omitempty"`
}

// ProvisionedConcurrency is the provisioned concurrency a deployment declares for its alias: between Min and Max
// (both the same number when it is fixed).
type ProvisionedConcurrency struct {
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

// For returns c with the pre-traffic checks of the target with key in place of its own, and whether c has
// that target.
func (c Config) For(key string) (Config, bool) {
	t, ok := c.Targets[key]
	if !ok {
		return c, false
	}
	c.Tests, c.Load, c.MalformedEventProbe, c.StackTraceIsCrash = t.Tests, t.Load, t.MalformedEventProbe, t.StackTraceIsCrash
	c.ProvisionedConcurrency = t.ProvisionedConcurrency
	return c, true
}

// TestCase is one invocation of green and what its result must be.
type TestCase struct {
	// Name identifies the test in the hook's log.
	Name string `json:"name"`
	// Payload is the event sent to green; empty sends {}.
	Payload json.RawMessage `json:"payload,omitempty"`
	// ExpectFunctionError requires the function to return an error; by default it must not.
	ExpectFunctionError bool `json:"expectFunctionError,omitempty"`
	// StatusCode, when not 0, is the statusCode an HTTP-style handler must return.
	StatusCode int `json:"statusCode,omitempty"`
	// Equals maps a path in the result (fields separated by dots; a string holding JSON, such as an HTTP body, is
	// entered as JSON; array items by index) to the JSON value it must equal.
	Equals map[string]json.RawMessage `json:"equals,omitempty"`
	// Contains maps a path to a text its value must contain; the path "" is the whole result.
	Contains map[string]string `json:"contains,omitempty"`
	// MaxLatencyMillis, when not 0, is the longest the invocation may take, in milliseconds.
	MaxLatencyMillis int64 `json:"maxLatencyMillis,omitempty"`
}

// LoadCheck invokes green Invocations times, Concurrency at a time, and requires no function error and the
// Percentile latency to stay within BudgetMillis.
type LoadCheck struct {
	Invocations  int             `json:"invocations"`
	Concurrency  int             `json:"concurrency"`
	Percentile   float64         `json:"percentile"`
	BudgetMillis int64           `json:"budgetMillis"`
	Payload      json.RawMessage `json:"payload,omitempty"`
}
