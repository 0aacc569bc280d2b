package deployment

// The lifecycle model as a backend of the acceptance scenarios (package acceptance): each scenario is played on a
// fresh world, each step's release is the model's release of the same meaning (so that the lifecycle tests and the
// scenarios share their synthesized templates), its faults are the model's knobs, and what the step did is
// observed as a real account's backend observes it: notices worded by the notify construct's own formatter, and
// bluegreen watch's exit code by watch's own rule (deployment.Finish). The result is kept in
// internal/acceptance/testdata/model.json, the model's side of every acceptance report.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/safeship/lambda-bluegreen/constructs/notify/formatter"
	"github.com/safeship/lambda-bluegreen/constructs/strategy"
	"github.com/safeship/lambda-bluegreen/internal/acceptance"
	"github.com/safeship/lambda-bluegreen/internal/deployment"
)

var updateModel = flag.Bool("update", false, "rewrite "+acceptance.ModelFile+" with what the model does now")

// TestAcceptanceScenariosOnTheModel plays every acceptance scenario on the model, fails for every check that does
// not pass, and fails while what the model does differs from acceptance.ModelFile (go test -run
// TestAcceptanceScenariosOnTheModel ./test/deployment -update, or ACCEPTANCE_UPDATE=1, rewrites it).
func TestAcceptanceScenariosOnTheModel(t *testing.T) {
	b := &modelBackend{t: t, logs: map[string][]string{}}
	res := acceptance.Run(context.Background(), b, acceptance.Scenarios, acceptance.Options{})
	for _, s := range res.Scenarios {
		if s.Status != acceptance.StatusPassed {
			t.Errorf("scenario %s: %s %s", s.Name, s.Status, s.Reason)
		}
		failed := false
		for i, st := range s.Steps {
			if st.Error != "" {
				t.Errorf("scenario %s, step %d (%s): %s", s.Name, i+1, st.Step, st.Error)
				failed = true
			}
			for _, c := range st.Checks {
				if !c.Pass {
					t.Errorf("scenario %s, step %d (%s): %s: want %s %q, got %q (%s)", s.Name, i+1, st.Step, c.What,
						c.Kind, c.Want, c.Got, c.Why)
					failed = true
				}
			}
		}
		if failed {
			t.Logf("the model's log of scenario %s:\n%s", s.Name, strings.Join(b.logs[s.Name], "\n"))
		}
	}

	got, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	file := filepath.Join("..", "..", filepath.FromSlash(acceptance.ModelFile))
	if *updateModel || os.Getenv("ACCEPTANCE_UPDATE") == "1" {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("what the model does differs from %s: if the change is meant, rewrite it (go test -run "+
			"TestAcceptanceScenariosOnTheModel ./test/deployment -update) and commit it with the change; the "+
			"model now:\n%s", acceptance.ModelFile, firstDifference(string(want), string(got)))
	}
}

// firstDifference shows the lines around where got first differs from want.
func firstDifference(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(g); i++ {
		if i >= len(w) || w[i] != g[i] {
			lo, hi := max(0, i-5), min(len(g), i+5)
			was := ""
			if i < len(w) {
				was = w[i]
			}
			return fmt.Sprintf("line %d: %q, was %q\n%s", i+1, g[i], was, strings.Join(g[lo:hi], "\n"))
		}
	}
	return fmt.Sprintf("the file has %d lines more", len(w)-len(g))
}

// modelBackend plays the acceptance scenarios on a fresh world each (acceptance.Backend).
type modelBackend struct {
	t *testing.T
	w *world
	// logs are the world's log of each scenario played, for the test's failures.
	logs map[string][]string

	// business says whether the business alarm is in ALARM (BusinessAlarm, until ClearBusinessAlarm).
	business bool
	// burst is the step's error burst, nil without one.
	burst *errorBurst
	// fails are the fail modes of bad releases' versions (acceptance.Release.Fail), by function and version;
	// failFrom, during a step that deploys a bad release, the number of each function's last version before the
	// step (the versions above it are the release's), and failing the release's mode.
	fails    map[string]map[string]acceptance.FailMode
	failFrom map[string]int
	failing  acceptance.FailMode
}

// errorBurst is an ErrorBurst: fn's green fails from after into its shift; blue is the version the alias served
// before the step, which the burst does not hit.
type errorBurst struct {
	fn, blue string
	after    time.Duration
}

// Name names the backend in reports.
func (b *modelBackend) Name() string { return "model" }

// Begin makes a fresh world for the scenario.
func (b *modelBackend) Begin(_ context.Context, s acceptance.Scenario) error {
	w := newWorld(b.t)
	w.alarmFires = b.alarmFires
	w.broken = b.preTrafficFails
	b.w, b.business, b.burst = w, false, nil
	b.fails, b.failFrom, b.failing = map[string]map[string]acceptance.FailMode{}, nil, ""
	return nil
}

// End drops the world, keeping its log.
func (b *modelBackend) End(_ context.Context, s acceptance.Scenario) error {
	if b.w != nil {
		b.logs[s.Name] = b.w.log
	}
	b.w = nil
	return nil
}

// Do plays step i: its faults on the model's knobs, its action, and what it did, observed.
func (b *modelBackend) Do(ctx context.Context, s acceptance.Scenario, i int) (acceptance.Observation, error) {
	st := s.Steps[i]
	w := b.w
	start, changes, deployments := w.clock, len(w.changes), len(w.deployments)
	fns := b.functions(st)

	w.hookCrash, w.invocations, b.burst, b.failFrom, b.failing = false, 100, nil, nil, ""
	for _, f := range st.Faults {
		fn := f.Function
		if fn == "" {
			fn = fns[0] // Api, or Fn00 in a service
		}
		switch f.Kind {
		case acceptance.ErrorBurst:
			b.burst = &errorBurst{fn: fn, blue: w.fn(fn).alias.version, after: f.After}
		case acceptance.BusinessAlarm:
			b.business = true
		case acceptance.ClearBusinessAlarm:
			b.business = false
		case acceptance.HookCrash:
			w.hookCrash = true
		case acceptance.Quiet:
			w.invocations = 0
		default:
			return acceptance.Observation{}, fmt.Errorf("the model plays no fault %q", f.Kind)
		}
	}

	var err error
	switch st.Action {
	case acceptance.Deploy:
		r, rerr := modelRelease(st.Release)
		if rerr != nil {
			return acceptance.Observation{}, rerr
		}
		if st.Release.Fail != "" {
			b.failFrom, b.failing = map[string]int{}, st.Release.Fail
			for _, fn := range fns {
				b.failFrom[fn] = w.fn(fn).next
			}
		}
		err = w.deploy(r)
	case acceptance.RollbackByHand:
		err = w.rollbackByHand(st.Function)
	case acceptance.Unblock:
		w.unblock(st.Function)
	default:
		return acceptance.Observation{}, fmt.Errorf("the model plays no action %q", st.Action)
	}
	// A bad release's versions keep failing (it is their configuration), whatever later steps do.
	for fn, from := range b.failFrom {
		for _, v := range w.fn(fn).versions {
			if v.number > from {
				if b.fails[fn] == nil {
					b.fails[fn] = map[string]acceptance.FailMode{}
				}
				b.fails[fn][strconv.Itoa(v.number)] = b.failing
			}
		}
	}

	o := b.observe(ctx, fns, err, w.deployments[deployments:], w.changes[changes:])
	o.SetDuration(acceptance.WhatTook, w.clock-start)
	return o, nil
}

// functions are the functions the step concerns: the stack's and the release's, in order.
func (b *modelBackend) functions(st acceptance.Step) []string {
	seen := map[string]bool{}
	var fns []string
	add := func(ids ...string) {
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				fns = append(fns, id)
			}
		}
	}
	if b.w.stack != nil {
		add(b.w.stack.ids...)
	}
	if st.Action == acceptance.Deploy {
		add(st.Release.Functions()...)
	}
	if st.Function != "" {
		add(st.Function)
	}
	sort.Strings(fns)
	return fns
}

// modelRelease is the model's release of the same meaning as r: the lifecycle tests' canary, tested and business
// releases are Release{Commit}, with PreTraffic, with Business. A bad release (Fail) is its commit's release (the
// model synthesizes no failing handler): the backend makes its versions fail instead (failMode).
func modelRelease(r acceptance.Release) (release, error) {
	s, err := strategy.ByName(r.StrategyName())
	if err != nil {
		return release{}, err
	}
	if len(r.Commits) == 0 {
		return release{commit: r.Commit, strategy: s, pre: r.PreTraffic, business: r.Business, bypass: r.Bypass,
			pc: float64(r.ProvisionedConcurrency)}, nil
	}
	// The model's service (defineService) has pre-traffic tests for each function and no other setting.
	if r.Business || r.Bypass || r.ProvisionedConcurrency > 0 {
		return release{}, errors.New("the model's service takes no business alarm, bypass or provisioned concurrency")
	}
	commits := append([]string(nil), r.Commits...)
	svc := &serviceRelease{n: len(commits), commit: func(i int) string { return commits[i] }}
	if r.Strategy != "" {
		svc.strategy = func(int) strategy.Strategy { return s }
	}
	return release{commit: r.Commit, service: svc}, nil
}

// alarmFires plays the step's faults and bad releases on the alarms: the business alarm while the business
// metric breaches; a green's ErrorRate alarm during an error burst (from its start into the shift) or while a
// version that fails with errors or crashes takes traffic (its first minute of traffic is in the next evaluation);
// and a green's Latency alarm once a slow version has taken traffic for the detection time plan gives that alarm.
func (b *modelBackend) alarmFires(path, green string, since time.Duration) bool {
	if path == "Svc/Business" {
		return b.business
	}
	const errorRate, latency = "/GreenAlarms/ErrorRate", "/GreenAlarms/Latency"
	var fn string
	switch {
	case strings.HasSuffix(path, errorRate):
		fn = strings.TrimSuffix(path, errorRate)
	case strings.HasSuffix(path, latency):
		fn = strings.TrimSuffix(path, latency)
	default:
		return false
	}
	fn = fn[strings.LastIndex(fn, "/")+1:]
	mode := b.failMode(fn, green)
	if strings.HasSuffix(path, latency) {
		return mode == acceptance.FailLatency && since >= b.alarmDetection(fn, path)
	}
	if u := b.burst; u != nil && u.fn == fn && green != u.blue && since >= u.after+b.alarmLag(fn) {
		return true
	}
	return (mode == acceptance.FailErrors || mode == acceptance.FailCrash) && since >= time.Minute
}

// alarmLag is how long after green starts failing its error alarms stop the deployment at worst: the detection
// time plan gives the deployment being played (internal/plan: Datapoints × Period + alarms.MetricLag +
// alarms.AlarmCheckDelay). The model's CodeDeploy checks the alarms at whole minutes of the shift
// (rule:codedeploy-alarm-interval), and plan's times are whole minutes, so the model stops the deployment exactly
// then: the model's detection time is plan's prediction, which a real account's is set beside.
func (b *modelBackend) alarmLag(fn string) time.Duration {
	for i := len(b.w.deployments) - 1; i >= 0; i-- {
		if d := b.w.deployments[i]; d.fn == fn && d.rev != nil && d.rev.fns[fn] != nil {
			return d.rev.fns[fn].deployment.Detection
		}
	}
	return 0
}

// alarmDetection is when the alarm at path, once green fails every request, stops fn's deployment: the detection
// time plan gives that alarm in the deployment being played (internal/plan's Alarm.Detection: Datapoints × Period
// + alarms.MetricLag + alarms.AlarmCheckDelay). As with alarmLag, the model's CodeDeploy reads the alarms at whole
// minutes of the shift (rule:codedeploy-alarm-interval) and plan's times are whole minutes, so the model stops the
// deployment exactly then. An alarm plan cannot time never fires.
func (b *modelBackend) alarmDetection(fn, path string) time.Duration {
	for i := len(b.w.deployments) - 1; i >= 0; i-- {
		if d := b.w.deployments[i]; d.fn == fn && d.rev != nil && d.rev.fns[fn] != nil {
			for _, a := range d.rev.fns[fn].deployment.Alarms {
				if a.Path == path && a.Detection > 0 {
					return a.Detection
				}
			}
			b.t.Errorf("plan gives alarm %s of %s no detection time", path, fn)
			break
		}
	}
	return math.MaxInt64
}

// failMode is how fn's version fails: its bad release's mode, or "" for a healthy version.
func (b *modelBackend) failMode(fn, version string) acceptance.FailMode {
	fn = deployment.FunctionName(fn)
	if m, ok := b.fails[fn][version]; ok {
		return m
	}
	from, ok := b.failFrom[fn]
	n, err := strconv.Atoi(version)
	if ok && err == nil && n > from {
		return b.failing
	}
	return ""
}

// preTrafficFails says whether fn's version fails the acceptance app's pre-traffic test: a version that errors or
// crashes fails every invocation; a slow one answers, too late for the test's time limit
// (acceptance.PreTrafficMaxLatency). The model's own test of the release has no time limit, so the model plays the
// app's limit here, and the hook sees the slow version's invocation fail.
func (b *modelBackend) preTrafficFails(fn, version string) bool {
	switch b.failMode(fn, version) {
	case acceptance.FailErrors, acceptance.FailCrash:
		return true
	case acceptance.FailLatency:
		return acceptance.SlowDelay > acceptance.PreTrafficMaxLatency
	}
	return false
}

// observe is what the step did: how the stack operation ended, and for each function what its alias serves, its
// versions, its provisioned concurrency and bluegreen watch's exit code; the notices sent; how soon an error burst
// was detected; and a note on each deployment.
func (b *modelBackend) observe(ctx context.Context, fns []string, err error, ds []*cdDeployment, changes []stateChange) acceptance.Observation {
	w := b.w
	var o acceptance.Observation
	switch {
	case err == nil:
		o.Set(acceptance.WhatOutcome, acceptance.OutcomeComplete)
	case errors.Is(err, errRollbackFailed):
		o.Set(acceptance.WhatOutcome, acceptance.OutcomeRollbackFailed)
	default:
		o.Set(acceptance.WhatOutcome, acceptance.OutcomeRolledBack)
	}
	errText := ""
	if err != nil {
		errText = err.Error()
	}
	o.Set(acceptance.WhatError, errText)
	o.Set(acceptance.WhatStack, w.status)

	for _, fn := range fns {
		l := w.fn(fn)
		served := l.alias.String()
		o.Set(acceptance.Name(acceptance.WhatAlias, fn), served)
		var versions []string
		for _, v := range l.versions {
			versions = append(versions, strconv.Itoa(v.number))
		}
		sort.Slice(versions, func(i, j int) bool { return deployment.Older(versions[i], versions[j]) })
		o.Set(acceptance.Name(acceptance.WhatVersions, fn), strings.Join(versions, ","))
		o.Set(acceptance.Name(acceptance.WhatProvisioned, fn), strconv.Itoa(l.provisioned))
		o.Set(acceptance.Name(acceptance.WhatWatch, fn), b.watchExit(fn, ds))
	}

	// The notify construct's formatter words each state change CodeDeploy sent during the step, reading the
	// deployment from the model as it would from CodeDeploy.
	var notices []string
	for _, c := range changes {
		api := &modelAPI{w: w, d: c.d, readOnly: true}
		f := formatter.Formatter{CodeDeploy: api, CloudWatch: api}
		ev := events.CodeDeployEvent{DetailType: events.CodeDeployDeploymentEventDetailType,
			Source: events.CodeDeployEventSource, Region: "eu-west-1", AccountID: "1",
			Detail: events.CodeDeployEventDetail{Application: "app", DeploymentGroup: c.d.fn, DeploymentID: c.d.id,
				State: events.CodeDeployDeploymentState(c.state)}}
		n := f.Notice(ctx, ev)
		notices = append(notices, n.Outcome())
		line := fmt.Sprintf("notice %s", n.Headline())
		if len(n.Reasons) > 0 {
			line += ": " + strings.Join(n.Reasons, "; ")
		}
		if len(n.Problems) > 0 {
			line += " (could not read: " + strings.Join(n.Problems, "; ") + ")"
		}
		o.Notes = append(o.Notes, line)
	}
	if len(notices) == 0 {
		notices = []string{"none"}
	}
	o.Set(acceptance.WhatNotifications, strings.Join(notices, ","))

	// Detection: from the burst's start in green's shift to the alias serving blue alone; for a bad release's
	// version that an alarm stopped, from the shift's start (its first request failed).
	if u := b.burst; u != nil {
		for _, d := range ds {
			if d.fn == u.fn && !d.active() && d.status != "Succeeded" {
				o.SetDuration(acceptance.WhatDetection, max(0, d.endedAt-(d.start+u.after)))
				break
			}
		}
	} else {
		for _, d := range ds {
			if d.alarm != "" && b.failMode(d.fn, d.target) != "" && !d.active() {
				o.SetDuration(acceptance.WhatDetection, d.endedAt-d.start)
				break
			}
		}
	}
	for _, d := range ds {
		o.Notes = append(o.Notes, fmt.Sprintf("%s: %s deployment of %s from %s to %s, %s after %s: %s", d.id,
			d.creator, d.fn, d.current, d.target, d.status, d.endedAt-d.start, d.reason))
	}
	return o
}

// watchExit is bluegreen watch's exit code following fn's deployment of the step (the first that started, as
// watch follows the deployment in progress or the next one), by watch's own rule (deployment.Finish); "none"
// when the step ran no deployment of fn.
func (b *modelBackend) watchExit(fn string, ds []*cdDeployment) string {
	for _, d := range ds {
		if d.fn != fn {
			continue
		}
		if d.active() {
			return "running"
		}
		info := (&modelAPI{w: b.w, d: d}).info(d)
		s := deployment.Summarize(info, *info.Revision.AppSpecContent.Content, nil)
		return strconv.Itoa(deployment.Finish(s).Exit)
	}
	return "none"
}
