package acceptance

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/safeship/lambda-bluegreen/internal/awsrules"
)

// modelJSON is the model's result of every scenario, as TestAcceptanceScenariosOnTheModel (test/deployment) last
// wrote it; that test fails while it differs from what the model does now.
//
//go:embed testdata/model.json
var modelJSON []byte

// ModelFile is where the model's result is kept, from the repository's root.
const ModelFile = "internal/acceptance/testdata/model.json"

// ModelResult is the model's result of every scenario, for a report to set beside a real account's.
func ModelResult() (Result, error) {
	var r Result
	if err := json.Unmarshal(modelJSON, &r); err != nil {
		return Result{}, fmt.Errorf("acceptance: reading %s: %w", ModelFile, err)
	}
	return r, nil
}

// The statuses of a rule in a report.
const (
	RuleConfirmed    = "confirmed"
	RuleContradicted = "contradicted"
	RuleNotExercised = "not exercised"
)

// RuleStatus is what a run says of one rule of the model.
type RuleStatus struct {
	ID     string        `json:"id"`
	Kind   awsrules.Kind `json:"kind"`
	Status string        `json:"status"`
	// Evidence lists, for a contradicted rule, each check that disagreed (scenario, step, what was wanted and what
	// AWS did); for a confirmed rule, the checks that agreed.
	Evidence []string `json:"evidence,omitempty"`
}

// Report is a run's outcome, set beside the model's, with the status of each rule of the model.
type Report struct {
	// Date is when the run started (YYYY-MM-DD), Region and Account where it ran (the account masked but for its
	// last four digits), LibraryVersion the library's version (bluegreen -version).
	Date           string `json:"date,omitempty"`
	Region         string `json:"region,omitempty"`
	Account        string `json:"account,omitempty"`
	LibraryVersion string `json:"libraryVersion,omitempty"`
	Result         Result `json:"result"`
	// Model is the model's result of the same scenarios.
	Model Result       `json:"model"`
	Rules []RuleStatus `json:"rules"`
}

// NewReport builds the report of res beside the model's result, and judges the rules by res's checks: a rule is
// contradicted by any check that depends on it and failed on an observed value, confirmed by checks that depend on
// it and all passed, and otherwise not exercised.
func NewReport(res, model Result) Report {
	r := Report{Result: res, Model: model}
	pass, fail := map[string][]string{}, map[string][]string{}
	for _, s := range res.Scenarios {
		for i, st := range s.Steps {
			for _, c := range st.Checks {
				if c.Why == "not observed" {
					continue
				}
				where := fmt.Sprintf("%s, step %d (%s): %s", s.Name, i+1, st.Step, c.What)
				for _, id := range c.Rules {
					if c.Pass {
						pass[id] = append(pass[id], fmt.Sprintf("%s = %s", where, c.Got))
					} else {
						fail[id] = append(fail[id], fmt.Sprintf("%s: %s", where, c.Why))
					}
				}
			}
		}
	}
	for _, rule := range awsrules.All {
		rs := RuleStatus{ID: rule.ID, Kind: rule.Kind, Status: RuleNotExercised}
		switch {
		case len(fail[rule.ID]) > 0:
			rs.Status, rs.Evidence = RuleContradicted, fail[rule.ID]
		case len(pass[rule.ID]) > 0:
			rs.Status, rs.Evidence = RuleConfirmed, pass[rule.ID]
		}
		r.Rules = append(r.Rules, rs)
	}
	return r
}

// Rule returns the status of the rule with the id.
func (r Report) Rule(id string) (RuleStatus, bool) {
	for _, s := range r.Rules {
		if s.ID == id {
			return s, true
		}
	}
	return RuleStatus{}, false
}

// JSON is the report as indented JSON.
func (r Report) JSON() ([]byte, error) { return json.MarshalIndent(r, "", "  ") }

// Markdown is the report as a Markdown page: a summary, each scenario's checks beside the model's, and the rules.
func (r Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Acceptance report: %s\n\n", r.Result.Backend)
	meta := [][2]string{{"Date", r.Date}, {"Region", r.Region}, {"Account", r.Account},
		{"Library version", r.LibraryVersion}, {"Backend", r.Result.Backend}}
	for _, m := range meta {
		if m[1] != "" {
			fmt.Fprintf(&b, "- %s: %s\n", m[0], m[1])
		}
	}
	counts := map[string]int{}
	for _, rs := range r.Rules {
		counts[rs.Status]++
	}
	fmt.Fprintf(&b, "- Rules of the model: %d confirmed, %d contradicted, %d not exercised\n\n",
		counts[RuleConfirmed], counts[RuleContradicted], counts[RuleNotExercised])

	b.WriteString("## Scenarios\n\n| Scenario | Status | Took (model) | Took (" + r.Result.Backend + ") | Detection (model) | Detection (" +
		r.Result.Backend + ") |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, s := range r.Result.Scenarios {
		m, _ := r.Model.Scenario(s.Name)
		status := s.Status
		if s.Reason != "" {
			status += ": " + s.Reason
		}
		fmt.Fprintf(&b, "| [%s](#%s) | %s | %s | %s | %s | %s |\n", s.Name, s.Name, cell(status),
			perStep(m, WhatTook), perStep(s, WhatTook), perStep(m, WhatDetection), perStep(s, WhatDetection))
	}
	for _, s := range r.Result.Scenarios {
		fmt.Fprintf(&b, "\n### %s\n\n%s.\n\n", s.Name, s.Title)
		if s.Cleanup != "" {
			fmt.Fprintf(&b, "Cleaning up failed: %s\n\n", cell(s.Cleanup))
		}
		if len(s.Steps) == 0 {
			fmt.Fprintf(&b, "%s: %s\n", s.Status, s.Reason)
			continue
		}
		m, _ := r.Model.Scenario(s.Name)
		fmt.Fprintf(&b, "| Step | Check | Want | Model | %s | |\n| --- | --- | --- | --- | --- | --- |\n", r.Result.Backend)
		for i, st := range s.Steps {
			var ms *StepResult
			if i < len(m.Steps) {
				ms = &m.Steps[i]
			}
			if st.Error != "" {
				fmt.Fprintf(&b, "| %d. %s | | | | %s | error |\n", i+1, cell(st.Step), cell(st.Error))
			}
			for j, c := range st.Checks {
				step := ""
				if j == 0 {
					step = fmt.Sprintf("%d. %s", i+1, st.Step)
				}
				model := ""
				if ms != nil {
					model = ms.Values[c.What]
				}
				mark := "✓"
				if !c.Pass {
					mark = "✗ " + c.Why
				}
				want := c.Want
				if c.Kind != Equal {
					want = string(c.Kind) + " " + want
				}
				fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", cell(step), c.What, cell(want), cell(model),
					cell(c.Got), cell(mark))
			}
			for _, n := range st.Notes {
				fmt.Fprintf(&b, "| | note | | | %s | |\n", cell(n))
			}
		}
	}
	b.WriteString("\n## Rules of the model\n\nEach rule of [the model's table](../aws-rules.md), judged by the checks " +
		"that depend on it.\n\n| Rule | Kind | Status | Evidence |\n| --- | --- | --- | --- |\n")
	rules := append([]RuleStatus(nil), r.Rules...)
	order := map[string]int{RuleContradicted: 0, RuleConfirmed: 1, RuleNotExercised: 2}
	sort.SliceStable(rules, func(i, j int) bool { return order[rules[i].Status] < order[rules[j].Status] })
	for _, rs := range rules {
		ev := rs.Evidence
		if len(ev) > 3 {
			ev = append(ev[:3:3], fmt.Sprintf("and %d more", len(rs.Evidence)-3))
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", rs.ID, rs.Kind, rs.Status, cell(strings.Join(ev, "; ")))
	}
	return b.String()
}

// perStep lists a duration observation of each step that has it, joined by " + " ("" when none has it).
func perStep(s ScenarioResult, what string) string {
	var sum []string
	for _, st := range s.Steps {
		if v, ok := st.Values[what]; ok {
			sum = append(sum, v)
		}
	}
	if len(sum) == 0 {
		return ""
	}
	return strings.Join(sum, " + ")
}

// cell makes s safe in a Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", "\\|")
	return strings.ReplaceAll(s, "\n", " ")
}
