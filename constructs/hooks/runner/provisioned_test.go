package runner_test

import (
	"strings"
	"testing"
	"time"

	"github.com/safeship/lambda-bluegreen/constructs/hooks/hookconfig"
)

// withProvisionedConcurrency is a pre-traffic configuration with one test and the provisioned concurrency check.
func withProvisionedConcurrency(min, max float64) hookconfig.Config {
	cfg := pre(hookconfig.TestCase{Name: "hello", StatusCode: 200})
	cfg.ProvisionedConcurrency = &hookconfig.ProvisionedConcurrency{Min: min, Max: max}
	return cfg
}

// The pre-traffic hook waits for the provisioned concurrency that is to serve green: READY passes, FAILED and
// "not READY in time" fail with the reason, and an amount the deployment does not declare (Application Auto
// Scaling has not applied it) fails at the deadline. It reads green's version first, then the alias.
func TestProvisionedConcurrencyReadiness(t *testing.T) {
	ready := func(n int) pcConfig { return pcConfig{status: "READY", requested: n, allocated: n} }
	inProgress := func(n, of int) pcConfig { return pcConfig{status: "IN_PROGRESS", requested: of, allocated: n} }
	cases := []struct {
		name     string
		min, max float64
		configs  map[string][]pcConfig
		budget   time.Duration
		status   string
		log      []string
		queries  string // the qualifiers read, in order, joined by spaces; "" skips the check
	}{
		{"alias becomes READY", 5, 5, map[string][]pcConfig{"live": {inProgress(0, 5), inProgress(3, 5), ready(5)}},
			3 * time.Second, "Succeeded", []string{
				"✓ provisioned concurrency: alias live READY, 5 of 5 requested allocated, 5 available, after ",
				"(3 reads); version 7 has no configuration of its own: Lambda allocates the alias's to it as the shift gives it weight",
			}, "7 live 7 live 7 live"},
		{"alias FAILED", 5, 5, map[string][]pcConfig{"live": {inProgress(1, 5),
			{status: "FAILED", requested: 5, allocated: 1, reason: "FUNCTION_ERROR_INIT_FAILURE"}}},
			3 * time.Second, "Failed", []string{
				"✗ provisioned concurrency: alias live: allocation FAILED: FUNCTION_ERROR_INIT_FAILURE (1 of 5 requested allocated, 1 available) (after ",
			}, "7 live 7 live"},
		{"never READY in time", 5, 5, map[string][]pcConfig{"live": {inProgress(2, 5)}},
			1500 * time.Millisecond, "Failed", []string{
				"✗ provisioned concurrency: not READY before the hook's deadline (waited ",
				"alias live is IN_PROGRESS, 2 of 5 requested allocated, 2 available; give the hook a longer Timeout",
			}, ""},
		{"no configuration at all", 5, 5, nil, 1500 * time.Millisecond, "Failed", []string{
			"neither version 7 nor alias live has a provisioned concurrency configuration, and the deployment " +
				"declares 5: Application Auto Scaling has not applied it",
		}, ""},
		{"READY at an amount not declared", 5, 5, map[string][]pcConfig{"live": {ready(2)}},
			1500 * time.Millisecond, "Failed", []string{
				"alias live is READY with 2 requested, but the deployment declares 5: Application Auto Scaling has not applied it",
			}, ""},
		{"scaled within the declared range", 2, 10, map[string][]pcConfig{"live": {ready(7)}},
			3 * time.Second, "Succeeded", []string{"✓ provisioned concurrency: alias live READY, 7 of 7 requested allocated"},
			"7 live"},
		{"out of the declared range", 2, 10, map[string][]pcConfig{"live": {ready(12)}},
			1500 * time.Millisecond, "Failed", []string{"READY with 12 requested, but the deployment declares from 2 to 10"}, ""},
		{"green's own configuration", 5, 5, map[string][]pcConfig{"7": {inProgress(1, 3), ready(3)}, "live": {ready(5)}},
			3 * time.Second, "Succeeded", []string{"✓ provisioned concurrency: version 7 READY, 3 of 3 requested allocated"},
			"7 7"},
		{"not allowed to read", 5, 5, map[string][]pcConfig{"7": {{errorCode: "AccessDeniedException"}}},
			3 * time.Second, "Failed", []string{"✗ provisioned concurrency: GetProvisionedConcurrencyConfig api-fn:7: ",
				"AccessDeniedException"}, "7"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.pcConfigs = tc.configs
			if f.pcConfigs == nil {
				f.pcConfigs = map[string][]pcConfig{}
			}
			start := time.Now()
			got, log := run(t, f, withProvisionedConcurrency(tc.min, tc.max), tc.budget)
			wantStatus(t, got, tc.status, log)
			if took := time.Since(start); took > tc.budget {
				t.Errorf("reported after %v, past the budget of %v", took, tc.budget)
			}
			for _, want := range tc.log {
				if !strings.Contains(log, want) {
					t.Errorf("log lacks %q:\n%s", want, log)
				}
			}
			if tc.queries != "" {
				if q := strings.Join(f.pcQueries, " "); q != tc.queries {
					t.Errorf("read qualifiers %q, want %q", q, tc.queries)
				}
			}
			// The check comes first, and the tests still run after it.
			if i, j := strings.Index(log, "provisioned concurrency"), strings.Index(log, `test "hello"`); i < 0 || j < i {
				t.Errorf("want the provisioned concurrency check before the tests:\n%s", log)
			}
		})
	}
}

// Without ProvisionedConcurrency in its configuration, the hook reads no provisioned concurrency.
func TestNoProvisionedConcurrencyCheckByDefault(t *testing.T) {
	f := newFake(t)
	got, log := run(t, f, pre(hookconfig.TestCase{Name: "hello", StatusCode: 200}), 3*time.Second)
	wantStatus(t, got, "Succeeded", log)
	if len(f.pcQueries) != 0 || strings.Contains(log, "provisioned concurrency") {
		t.Errorf("read provisioned concurrency %v without being asked:\n%s", f.pcQueries, log)
	}
}

// A shared hook's target has its own provisioned concurrency check, or none: the base function's is not applied
// to it.
func TestProvisionedConcurrencyPerTarget(t *testing.T) {
	cfg := hookconfig.Config{ProvisionedConcurrency: &hookconfig.ProvisionedConcurrency{Min: 5, Max: 5},
		Targets: map[string]hookconfig.Checks{"a": {}, "b": {ProvisionedConcurrency: &hookconfig.ProvisionedConcurrency{Min: 1, Max: 2}}}}
	if a, _ := cfg.For("a"); a.ProvisionedConcurrency != nil {
		t.Errorf("target a has no check, got %+v", *a.ProvisionedConcurrency)
	}
	if b, _ := cfg.For("b"); b.ProvisionedConcurrency == nil || b.ProvisionedConcurrency.Max != 2 {
		t.Errorf("target b keeps its own check, got %+v", b.ProvisionedConcurrency)
	}
}
