package runner_test

import (
	"context"
	"encoding/json"
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

// The pre-traffic hook waits for the provisioned concurrency in force for green during the shift: READY passes at
// whatever amount the alias has now (a declared amount is applied only after the shift), none in force passes (the
// first deploy that adds it), FAILED fails at once, and "not READY in time" fails at the deadline with the reason.
// It reads green's version first, then the alias.
func TestProvisionedConcurrencyReadiness(t *testing.T) {
	ready := func(n int) pcConfig { return pcConfig{status: "READY", requested: n, allocated: n} }
	inProgress := func(n, of int) pcConfig { return pcConfig{status: "IN_PROGRESS", requested: of, allocated: n} }
	failed := pcConfig{status: "FAILED", requested: 5, allocated: 1, reason: "FUNCTION_ERROR_INIT_FAILURE"}
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
		{"alias FAILED", 5, 5, map[string][]pcConfig{"live": {inProgress(1, 5), failed}},
			3 * time.Second, "Failed", []string{
				"✗ provisioned concurrency: alias live: allocation FAILED: FUNCTION_ERROR_INIT_FAILURE (1 of 5 requested allocated, 1 available) (after ",
			}, "7 live 7 live"},
		{"green's version FAILED", 5, 5, map[string][]pcConfig{"7": {failed}, "live": {ready(5)}},
			3 * time.Second, "Failed", []string{"✗ provisioned concurrency: version 7: allocation FAILED: FUNCTION_ERROR_INIT_FAILURE"},
			"7"},
		{"never READY in time", 5, 5, map[string][]pcConfig{"live": {inProgress(2, 5)}},
			1500 * time.Millisecond, "Failed", []string{
				"✗ provisioned concurrency: not READY before the hook's deadline (waited ",
				"alias live is IN_PROGRESS, 2 of 5 requested allocated, 2 available; give the hook a longer Timeout",
			}, ""},
		// The first deploy that adds provisioned concurrency with new code: the scalable target is created after
		// the alias's update, so none is in force during this shift.
		{"none in force yet", 5, 5, nil, 3 * time.Second, "Succeeded", []string{
			"✓ provisioned concurrency: none in force during the shift: neither version 7 nor alias live has a " +
				"configuration, so green starts on on-demand concurrency; the deployment declares 5: Application " +
				"Auto Scaling applies it once this deployment has ended",
		}, "7 live"},
		// A release that changes the amount with new code: the alias keeps its amount until the shift has ended.
		{"READY at the amount before this deploy", 5, 5, map[string][]pcConfig{"live": {ready(2)}},
			3 * time.Second, "Succeeded", []string{
				"✓ provisioned concurrency: alias live READY, 2 of 2 requested allocated",
				"; the deployment declares 5: Application Auto Scaling applies it once this deployment has ended",
			}, "7 live"},
		{"still allocating the amount before this deploy", 5, 5, map[string][]pcConfig{"live": {inProgress(1, 2), ready(2)}},
			3 * time.Second, "Succeeded", []string{"alias live READY, 2 of 2 requested allocated", "(2 reads)",
				"the deployment declares 5"}, "7 live 7 live"},
		{"scaled within the declared range", 2, 10, map[string][]pcConfig{"live": {ready(7)}},
			3 * time.Second, "Succeeded", []string{"✓ provisioned concurrency: alias live READY, 7 of 7 requested allocated"},
			"7 live"},
		{"out of the declared range", 2, 10, map[string][]pcConfig{"live": {ready(12)}},
			3 * time.Second, "Succeeded", []string{"alias live READY, 12 of 12 requested allocated",
				"the deployment declares from 2 to 10: Application Auto Scaling applies it"}, "7 live"},
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
			got, log := run(t, f, withProvisionedConcurrency(tc.min, tc.max), tc.budget)
			wantStatus(t, got, tc.status, log)
			reportedInTime(t, f)
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

// Every way the deadline can end the wait gives the same report, with the last state read and the advice to give
// the hook a longer Timeout: the next poll would pass the deadline, the deadline passes during the wait between two
// polls (a timer that fires late under CPU load lands here), or it passes during a read. Each path is forced
// rather than left to the scheduler.
func TestProvisionedConcurrencyDeadlinePaths(t *testing.T) {
	inProgress := pcConfig{status: "IN_PROGRESS", requested: 5, allocated: 2}
	cases := []struct {
		name    string
		configs []pcConfig
		// skew sets the hook's clock this far back, so that it plans a 5-second wait the deadline cuts short.
		skew time.Duration
		want string
	}{
		{"the next poll would pass the deadline", []pcConfig{inProgress}, 0,
			"alias live is IN_PROGRESS, 2 of 5 requested allocated, 2 available; give the hook a longer Timeout"},
		{"the deadline passes during the wait", []pcConfig{inProgress}, time.Hour,
			", 1 reads): alias live is IN_PROGRESS, 2 of 5 requested allocated, 2 available; give the hook a longer Timeout"},
		{"the deadline passes during the first read", []pcConfig{{status: "READY", requested: 5, allocated: 5, delay: time.Minute}}, 0,
			", 0 reads): no reading before it (GetProvisionedConcurrencyConfig api-fn:live: "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.pcConfigs = map[string][]pcConfig{"live": tc.configs}
			h, log := f.hook(withProvisionedConcurrency(5, 5))
			if tc.skew > 0 {
				h.Now = func() time.Time { return time.Now().Add(-tc.skew) }
			}
			ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
			defer cancel()
			if err := h.Handle(ctx, json.RawMessage(event)); err != nil {
				t.Fatal(err)
			}
			wantStatus(t, f.reported(), "Failed", log.String())
			got := log.String()
			const report = "✗ provisioned concurrency: not READY before the hook's deadline (waited "
			i := strings.Index(got, report)
			if i < 0 {
				t.Fatalf("log lacks %q:\n%s", report, got)
			}
			line, _, _ := strings.Cut(got[i:], "\n")
			if !strings.HasSuffix(line, "; give the hook a longer Timeout if the allocation needs it") {
				t.Errorf("the deadline report lacks the advice:\n%s", got)
			}
			if !strings.Contains(line, tc.want) {
				t.Errorf("log lacks %q:\n%s", tc.want, got)
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
