package runner_test

import (
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/safeship/lambda-bluegreen/constructs/hooks/hookconfig"
)

// withVersions sets blue and green in the fake's AppSpec.
func withVersions(f *fakeAWS, blue, green string) {
	f.appSpec = strings.Replace(strings.Replace(f.appSpec, `"CurrentVersion":"6"`, `"CurrentVersion":"`+blue+`"`, 1),
		`"TargetVersion":"7"`, `"TargetVersion":"`+green+`"`, 1)
}

// Pruning keeps every version still in use beyond the newest N, decided with the Lambda APIs, and logs one line
// per kept version with the reason. Lambda (and the fake) would delete a version that an event source mapping
// invokes or that has provisioned concurrency: only the hook's own checks keep them.
func TestPruneKeepsVersionsInUse(t *testing.T) {
	f := newFake(t)
	withVersions(f, "3", "10")
	f.versions = []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}
	f.aliases = map[string]string{"live": "10", "old": "4"}
	f.weighted = map[string]string{"old": "5"}
	f.provisioned = []string{"6", "old"}
	f.mappings = map[string][]string{"7": {"esm-7"}}
	f.mappingsError = map[string]string{"8": "AccessDeniedException"}
	got, log := run(t, f, post(hookconfig.Config{KeepVersions: 2}), 5*time.Second)
	wantStatus(t, got, "Succeeded", log)
	sort.Strings(f.deleted)
	if want := []string{"1", "2"}; !reflect.DeepEqual(f.deleted, want) {
		t.Errorf("deleted %v, want %v", f.deleted, want)
	}
	for _, want := range []string{
		"! prune old versions: kept the newest 2 and 6 in use beyond them; deleted 2: 2, 1; could not tell whether 8 is in use",
		"kept 8: its event source mappings could not be listed (ListEventSourceMappings: ",
		"kept 7: event source mapping esm-7 (arn:aws:sqs:eu-west-1:123456789012:queue-esm-7) invokes it",
		"kept 6: it has a provisioned concurrency configuration",
		"kept 5: alias old routes 10% of its traffic to it",
		"kept 4: alias old points at it",
		"kept 3: blue (the AppSpec's CurrentVersion), also the version a rollback returns the alias to",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "kept 10") || strings.Contains(log, "kept 9") {
		t.Errorf("the newest versions need no line:\n%s", log)
	}
	// Mappings are asked per version, by the version's ARN (the documented "Version or Alias ARN" form).
	for _, q := range f.mappingQueries {
		if !strings.HasPrefix(q, "arn:aws:lambda:eu-west-1:123456789012:function:api-fn:") {
			t.Errorf("ListEventSourceMappings asked for %q, want a version ARN", q)
		}
	}
}

// After a failed check CodeDeploy rolls back: the hook deletes nothing, and says why.
func TestPruneSkippedAfterAFailedCheck(t *testing.T) {
	f := newFake(t)
	f.versions = []string{"1", "2", "3", "4", "5", "6", "7"}
	f.aliases = map[string]string{"live": "7"}
	f.alarms = map[string]string{"errors-v7": "ALARM"}
	got, log := run(t, f, post(hookconfig.Config{CheckAlarms: true, KeepVersions: 2}), 5*time.Second)
	wantStatus(t, got, "Failed", log)
	if len(f.deleted) != 0 {
		t.Errorf("deleted %v after a failed check", f.deleted)
	}
	if !strings.Contains(log, "! prune old versions: skipped: rollback alarms failed") {
		t.Errorf("log:\n%s", log)
	}
}

// Without the list of provisioned concurrency configurations, nothing is deleted.
func TestPruneDeletesNothingWhenUseIsUnknown(t *testing.T) {
	f := newFake(t)
	f.versions = []string{"1", "2", "3", "4", "5", "6", "7"}
	f.aliases = map[string]string{"live": "7"}
	f.provisionedError = "AccessDeniedException"
	got, log := run(t, f, post(hookconfig.Config{KeepVersions: 2}), 5*time.Second)
	wantStatus(t, got, "Succeeded", log)
	if len(f.deleted) != 0 {
		t.Errorf("deleted %v without knowing which versions have provisioned concurrency", f.deleted)
	}
	if !strings.Contains(log, "! prune old versions: ListProvisionedConcurrencyConfigs: ") ||
		!strings.Contains(log, "(no version deleted)") {
		t.Errorf("log:\n%s", log)
	}
}
