package runner_test

import (
	"strings"
	"testing"
	"time"

	"github.com/safeship/lambda-bluegreen/constructs/hooks/hookconfig"
)

// A shared pre-traffic hook runs the checks of the function the deployment shifts, chosen by its tag.
func TestSharedHookRunsTheTargetsOwnTests(t *testing.T) {
	shared := pre(hookconfig.TestCase{Name: "first function's test"})
	shared.Targets = map[string]hookconfig.Checks{
		"orders": {Tests: []hookconfig.TestCase{{Name: "orders: list", Payload: raw(`{"path":"/orders"}`)}}},
		"users":  {Tests: []hookconfig.TestCase{{Name: "users: me"}}},
	}
	cases := []struct {
		name   string
		tags   map[string]string
		status string
		want   []string
		reject []string
	}{
		{"tagged orders", map[string]string{hookconfig.TargetTagKey: "orders"}, "Succeeded",
			[]string{`test "orders: list"`}, []string{"first function's test", "users: me"}},
		{"untagged: the hook's own checks", map[string]string{"team": "shop"}, "Succeeded",
			[]string{`test "first function's test"`}, []string{"orders: list"}},
		{"tagged by another hook", map[string]string{hookconfig.TargetTagKey: "billing"}, "Failed",
			[]string{"tagged lambda-bluegreen:pre-traffic-tests=billing, which this hook does not know (its keys: orders, users)"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.tags = map[string]map[string]string{"api-fn": tc.tags}
			got, log := run(t, f, shared, 5*time.Second)
			wantStatus(t, got, tc.status, log)
			for _, w := range tc.want {
				if !strings.Contains(log, w) {
					t.Errorf("log lacks %q:\n%s", w, log)
				}
			}
			for _, r := range tc.reject {
				if strings.Contains(log, r) {
					t.Errorf("log runs another function's check %q:\n%s", r, log)
				}
			}
			if tc.status == "Succeeded" && (len(f.payloads) == 0 || (tc.tags[hookconfig.TargetTagKey] == "orders") != strings.Contains(f.payloads[0], "/orders")) {
				t.Errorf("first payload %v", f.payloads)
			}
		})
	}
}
