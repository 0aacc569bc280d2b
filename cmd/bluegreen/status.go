package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/safeship/lambda-bluegreen/internal/block"
	"github.com/safeship/lambda-bluegreen/internal/deployment"
)

// bluegreen status: the command, its Status document, and its text.

// runStatus is bluegreen status: what the alias serves, the group's newest deployment explained (and the release it
// rolls back, for CodeDeploy's rollback), the version rollback would go to, the alarms and the blocked releases; -json
// prints the Status document.
func (c cli) runStatus(args []string, stdout, stderr io.Writer) int {
	t, cl, code, done := c.parseTarget("status", args, stdout, stderr, nil, nil)
	if done {
		return code
	}
	s, err := readStatus(c.context(), cl, *t.function, *t.alias, *t.application, *t.group)
	if err != nil {
		return failed(stderr, "status", err)
	}
	if *t.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(s)
		return exitOK
	}
	s.text(stdout)
	return exitOK
}

// Status is what status reports.
type Status struct {
	Function string `json:"function"`
	Alias    string `json:"alias"`
	// Version is the version the alias points at: blue while a shift runs, with BlueWeight of the traffic;
	// Weights are the other versions it sends traffic to (green while a shift runs), by version.
	Version    string             `json:"version"`
	BlueWeight float64            `json:"blueWeight"`
	Weights    map[string]float64 `json:"greenWeights,omitempty"`
	// Deployment is the group's newest deployment, explained; when it is CodeDeploy's rollback of a release, its
	// Release is that release (the deployment to report).
	Deployment *deployment.Summary `json:"deployment,omitempty"`
	// AlarmsEnabled is false when the group's alarm monitoring is off (an emergency bypass).
	AlarmsEnabled bool              `json:"alarmsEnabled"`
	Alarms        map[string]string `json:"alarms,omitempty"`
	// RollbackTarget is the version bluegreen rollback would send all traffic to: blue while a deployment runs
	// or the alias has weights, otherwise the newest release of a successful deployment before the one serving.
	// RollbackNote says why there is none (or why it could not be read).
	RollbackTarget string `json:"rollbackTarget,omitempty"`
	RollbackNote   string `json:"rollbackNote,omitempty"`
	// RollbackInProgress is the newest deployment when it is a rollback still running (CodeDeploy's, or
	// CloudFormation's reverse deployment): it already puts the alias back, there is no rollback to offer
	// (RollbackNote says what it does), and bluegreen rollback refuses to stop it.
	RollbackInProgress string `json:"rollbackInProgress,omitempty"`
	// Pinned is the version a rollback pinned the alias to in its stack's deployed template (until the next
	// ordinary deploy), and Stack that stack; empty when the template is an ordinary one or cannot be read.
	Pinned string `json:"pinnedByRollback,omitempty"`
	Stack  string `json:"stack,omitempty"`
	// Blocked are the function's releases that rollback blocked, newest first; BlockedNote says why they could not
	// be read.
	Blocked     []block.Entry `json:"blocked,omitempty"`
	BlockedNote string        `json:"blockedNote,omitempty"`
}

// readStatus reads the status of fn's alias; without app and group, only the alias, its pin and its blocks.
func readStatus(ctx context.Context, c clients, fn, alias, app, group string) (Status, error) {
	s := Status{Function: fn, Alias: alias}
	a, err := c.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: &fn, Name: &alias})
	if err != nil {
		return s, fmt.Errorf("GetAlias %s:%s: %w", fn, alias, err)
	}
	s.Version, s.BlueWeight = aws.ToString(a.FunctionVersion), 1
	if a.RoutingConfig != nil && len(a.RoutingConfig.AdditionalVersionWeights) > 0 {
		s.Weights = a.RoutingConfig.AdditionalVersionWeights
		for _, w := range s.Weights {
			s.BlueWeight -= w
		}
	}
	s.Stack, s.Pinned = rollbackPin(ctx, c, fn, alias, a)
	if l, err := (block.Store{SSM: c.ssm}).Get(ctx, deployment.FunctionName(fn)); err != nil {
		s.BlockedNote = explain(err).Error() // status still shows the rest
	} else {
		s.Blocked = l.Entries
	}
	if app == "" || group == "" {
		return s, nil
	}
	d, err := c.deployments().Newest(ctx, app, group)
	if err != nil {
		return s, err
	}
	if d != nil {
		ds, err := c.deployments().Explain(ctx, app, d)
		if err != nil {
			return s, err
		}
		s.Deployment = &ds
	}
	if d != nil && deployment.IsActive(d.Status) && deployment.IsRollback(d) {
		s.RollbackInProgress = s.Deployment.ID
		s.RollbackNote = rollingBack(*s.Deployment, fn, alias) + ": wait for it to end (bluegreen rollback refuses to stop it)"
	} else if len(s.Weights) > 0 || (d != nil && deployment.IsActive(d.Status)) {
		s.RollbackTarget = s.Version // stopping the deployment, or clearing the weights, leaves blue alone
	} else if r, err := findRelease(ctx, c, fn, alias, app, group, s.Version); err != nil {
		s.RollbackNote = err.Error() // status still shows the rest
	} else {
		s.RollbackTarget = r.Version
	}
	names, enabled, err := c.deployments().GroupAlarms(ctx, app, group)
	if err != nil {
		return s, err
	}
	s.AlarmsEnabled = enabled
	if len(names) > 0 {
		if s.Alarms, err = c.deployments().AlarmStates(ctx, names); err != nil {
			return s, err
		}
	}
	return s, nil
}

// rollbackPin returns the function's stack and, when its deployed template is a rollback's (revert.MetadataKey),
// the version it pins the alias to. It is best effort: status shows the rest when the stack cannot be read.
func rollbackPin(ctx context.Context, c clients, fn, alias string, a *lambda.GetAliasOutput) (string, string) {
	loc, err := locateFunction(ctx, c, fn, alias, "", a)
	if err != nil {
		return "", ""
	}
	t, err := deployedTemplate(ctx, c, loc.stack)
	if err != nil {
		return loc.stack, ""
	}
	al, err := t.FindAlias(loc.logicalID, alias)
	if err != nil {
		return loc.stack, ""
	}
	for _, p := range t.Pins() {
		if p.AliasLogicalID == al.LogicalID {
			return loc.stack, p.Version
		}
	}
	return loc.stack, ""
}

// text writes the status for a person.
func (s Status) text(w io.Writer) {
	fmt.Fprintf(w, "%s:%s\n", s.Function, s.Alias)
	if len(s.Weights) == 0 {
		fmt.Fprintf(w, "  serving    version %s (100 %%)\n", s.Version)
	} else {
		var parts []string
		for v, weight := range s.Weights {
			parts = append(parts, fmt.Sprintf("green version %s %.0f %%", v, weight*100))
		}
		sort.Strings(parts)
		fmt.Fprintf(w, "  serving    blue version %s %.0f %%, %s\n", s.Version, s.BlueWeight*100, strings.Join(parts, ", "))
	}
	if d := s.Deployment; d != nil {
		deploymentText(w, "deployment", *d)
		if d.Release != nil {
			deploymentText(w, "rolls back", *d.Release)
		}
	}
	switch {
	case s.RollbackInProgress != "":
		fmt.Fprintf(w, "  rollback   in progress: %s\n", s.RollbackNote)
	case s.RollbackTarget != "":
		fmt.Fprintf(w, "  rollback   to version %s (bluegreen rollback)\n", s.RollbackTarget)
	case s.RollbackNote != "":
		fmt.Fprintf(w, "  rollback   none: %s\n", s.RollbackNote)
	}
	if s.Pinned != "" {
		fmt.Fprintf(w, "  pinned     to version %s by a rollback of stack %s, until its next ordinary deploy (which restores the strategy and alarms)\n",
			s.Pinned, s.Stack)
	}
	for i, e := range s.Blocked {
		label := ""
		if i == 0 {
			label = "blocked"
		}
		fmt.Fprintf(w, "  %-10s %s\n", label, blockLine(e))
	}
	if s.BlockedNote != "" {
		fmt.Fprintf(w, "  blocked    unreadable: %s\n", s.BlockedNote)
	}
	if len(s.Alarms) > 0 {
		names := make([]string, 0, len(s.Alarms))
		for n := range s.Alarms {
			names = append(names, n)
		}
		sort.Strings(names)
		if s.AlarmsEnabled {
			fmt.Fprintln(w, "  alarms")
		} else {
			fmt.Fprintln(w, "  alarms     (monitoring off: an emergency bypass; CodeDeploy ignores them)")
		}
		for _, n := range names {
			fmt.Fprintf(w, "             %-9s %s\n", s.Alarms[n], n)
		}
	}
}

// deploymentText writes a deployment of status under label: its status, versions and lifecycle events, and why it
// failed or was stopped.
func deploymentText(w io.Writer, label string, d deployment.Summary) {
	versions := ""
	if d.Blue != "" && d.Green != "" {
		versions = fmt.Sprintf(": version %s → %s", d.Blue, d.Green)
	}
	fmt.Fprintf(w, "  %-10s %s %s (created %s)%s\n", label, d.ID, d.Status, d.Created.UTC().Format(time.RFC3339), versions)
	for _, e := range d.Events {
		fmt.Fprintf(w, "             %-20s %s\n", e.Name, e.Status)
	}
	if h := d.FailedHook; h != nil {
		fmt.Fprintf(w, "             hook %s (%s) failed: %s\n", orUnknown(h.Function), h.Event, oneLine(h.Message))
	}
	if d.ErrorCode != "" || d.ErrorMessage != "" {
		fmt.Fprintf(w, "             codedeploy %s: %s\n", orUnknown(d.ErrorCode), oneLine(d.ErrorMessage))
	}
	if d.RolledBackBy != "" || d.RollbackMessage != "" {
		fmt.Fprintf(w, "             rollback %s %s\n", d.RolledBackBy, oneLine(d.RollbackMessage))
	}
	for _, p := range d.Problems {
		fmt.Fprintf(w, "             not read: %s\n", oneLine(p))
	}
}
