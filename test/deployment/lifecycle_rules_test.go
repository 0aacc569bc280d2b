package deployment

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/safeship/lambda-bluegreen/internal/awsrules"
)

// The rules the lifecycle model (lifecycle_model_test.go) encodes are the table of package awsrules: each is
// documented (the AWS page and sentence) or an assumption (why it is believed, and what would show it wrong). The
// model names the rule it applies in a comment ("rule <id>"); docs/aws-rules.md carries the table, and
// TestLifecycleRulesTable holds the three together.

// ruleRef is how the model names a rule it applies: "rule:<id>".
var ruleRef = regexp.MustCompile(`rule:([a-z0-9-]+[a-z0-9])`)

// ruleIDs is the set of the table's ids.
func ruleIDs() map[string]bool {
	ids := map[string]bool{}
	for _, r := range awsrules.All {
		ids[r.ID] = true
	}
	return ids
}

// Every rule the model names is in the table, every rule of the table is named by the model, and
// docs/aws-rules.md carries the table as it is here.
func TestLifecycleRulesTable(t *testing.T) {
	ids := ruleIDs()
	if len(ids) != len(awsrules.All) {
		t.Errorf("a rule id is used twice")
	}
	var named = map[string]bool{}
	for _, f := range []string{"lifecycle_model_test.go", "lifecycle_test.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ruleRef.FindAllStringSubmatch(string(b), -1) {
			named[m[1]] = true
			if !ids[m[1]] {
				t.Errorf("%s names rule %q, which the table does not have", f, m[1])
			}
		}
	}
	for _, r := range awsrules.All {
		if !named[r.ID] {
			t.Errorf("rule %q is in the table but the model never applies it", r.ID)
		}
		if r.Kind != awsrules.Documented && r.Kind != awsrules.Assumed {
			t.Errorf("rule %q has kind %q", r.ID, r.Kind)
		}
	}
	table := awsrules.Table()
	t.Logf("the rules of the lifecycle model:\n%s", table)
	if !strings.Contains(string(readDoc(t, "docs/aws-rules.md")), table) {
		t.Errorf("docs/aws-rules.md must carry the rules table exactly as the "+
			"model has it; write it from `go test ./test/deployment -run TestLifecycleRulesTable -v`:\n%s", table)
	}
}
