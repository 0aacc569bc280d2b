package test

// A small model of the AWS rules a blue/green release depends on, driven by the templates the constructs
// synthesize. It is a test fixture that encodes documented behaviour, not a cloud emulator: each rule carries the
// AWS documentation it encodes, and where AWS documents nothing the comment says so. The lifecycle tests
// (lifecycle_test.go) replay sequences of deploys through it.

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/alarms"
	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/hooks"
	"github.com/safeship/lambda-bluegreen/constructs/hooks/hookconfig"
	"github.com/safeship/lambda-bluegreen/constructs/strategy"
	"github.com/safeship/lambda-bluegreen/internal/plan"
)

// release is what one deploy ships: a commit of the service (its code and configuration), and the deployment's
// settings in that commit.
type release struct {
	commit   string // the function's code and configuration: a new commit publishes a new version
	strategy strategy.Strategy
	pin      string // DeploymentProps.PinnedVersion
	bypass   bool
	business bool // a rollback alarm of the user's own ("Business") beside the green alarms
	pre      bool // pre-traffic tests
	load     bool // with a load check (5 at a time)
	reserved int  // the function's reserved concurrency, when above 0
	post     *hooks.PostTrafficProps
}

// revision is a synthesized template of a release, read as CloudFormation and CodeDeploy see it.
type revision struct {
	versions map[string]string // AWS::Lambda::Version logical id → DeletionPolicy
	// aliasVersion is the alias's FunctionVersion: the logical id of a version of the template, or a version
	// number (a pin).
	aliasVersion string
	deployment   plan.Deployment
	post         *hookconfig.Config
}

// synthRelease synthesizes the release as stack "Svc" with deployment "Api", as cdk synth would.
func synthRelease(t *testing.T, r release) revision {
	t.Helper()
	app := newAppWith(t, map[string]interface{}{"aws:cdk:enable-path-metadata": true})
	stack := awscdk.NewStack(app, jsii.String("Svc"), nil)
	fp := functionProps(t)
	fp.Environment = &map[string]*string{"COMMIT": jsii.String(r.commit)}
	if r.reserved > 0 {
		fp.ReservedConcurrentExecutions = jsii.Number(float64(r.reserved))
	}
	props := &bluegreen.DeploymentProps{FunctionProps: fp, Strategy: r.strategy, PostTraffic: r.post,
		EmergencyBypass: jsii.Bool(r.bypass)}
	if r.pin != "" {
		props.PinnedVersion = jsii.String(r.pin)
	}
	if r.pre {
		props.PreTraffic = &hooks.PreTrafficProps{Tests: []hooks.TestCase{{Name: "root", Payload: map[string]interface{}{}}}}
		if r.load {
			five := 5
			props.PreTraffic.Load = &hooks.LoadCheck{Budget: time.Second, Concurrency: &five}
		}
	}
	d := bluegreen.NewDeployment(stack, "Api", props)
	if r.business {
		d.AddAlarm(awscloudwatch.NewAlarm(stack, jsii.String("Business"), &awscloudwatch.AlarmProps{
			Metric:    awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String("Shop"), MetricName: jsii.String("Orders")}),
			Threshold: jsii.Number(1), EvaluationPeriods: jsii.Number(1),
		}))
	}
	var dir string
	noPanic(t, func() { dir = *app.Synth(nil).Directory() })
	if dir == "" {
		t.FailNow()
	}
	ds, err := plan.Read(dir)
	if err != nil || len(ds) != 1 {
		t.Fatalf("reading the deployment of %s: %v %+v", dir, err, ds)
	}
	b, err := os.ReadFile(filepath.Join(dir, "Svc.template.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tmpl struct {
		Resources map[string]struct {
			Type           string                 `json:"Type"`
			DeletionPolicy string                 `json:"DeletionPolicy"`
			Properties     map[string]interface{} `json:"Properties"`
		} `json:"Resources"`
	}
	if err := json.Unmarshal(b, &tmpl); err != nil {
		t.Fatal(err)
	}
	rev := revision{versions: map[string]string{}, deployment: ds[0]}
	for id, res := range tmpl.Resources {
		switch res.Type {
		case "AWS::Lambda::Version":
			rev.versions[id] = res.DeletionPolicy
		case "AWS::Lambda::Alias":
			switch v := res.Properties["FunctionVersion"].(type) {
			case string:
				rev.aliasVersion = v
			case map[string]interface{}:
				rev.aliasVersion = v["Fn::GetAtt"].([]interface{})[0].(string)
			}
		case "AWS::Lambda::Function":
			if strings.Contains(id, "PostTrafficHookFunction") {
				cfg := hookConfig(t, dir, map[string]interface{}{"Properties": res.Properties})
				rev.post = &cfg
			}
		}
	}
	return rev
}

// ---- Lambda ----

// lambdaModel is one function: its published versions, its alias and the event source mappings that use a
// version.
type lambdaModel struct {
	versions []lambdaVersion // in publishing order
	next     int
	alias    aliasState
	mappings map[string]bool // versions an event source mapping invokes
}

type lambdaVersion struct {
	number int
	config string // the function's code and configuration when it was published
}

// aliasState is where the alias sends traffic: version, and weights of additional versions (0 to 1).
type aliasState struct {
	version string
	weights map[string]float64
}

func (a aliasState) String() string {
	if len(a.weights) == 0 {
		return a.version
	}
	var extra []string
	for v, w := range a.weights {
		extra = append(extra, fmt.Sprintf("%s@%g", v, w))
	}
	sort.Strings(extra)
	return a.version + "+" + strings.Join(extra, ",")
}

//lint:ignore ST1005 Lambda's own error text, which the model returns as AWS words it
var errVersionExists = errors.New("A version for this Lambda function exists with the same code and configuration")

// publish publishes the function's code and configuration config as a new version.
//
// Rule (Lambda API reference, PublishVersion): "Lambda doesn't publish a version if the function's configuration
// and code haven't changed since the last version." CloudFormation's AWS::Lambda::Version then fails (DESIGN.md:
// "A version for this Lambda function exists"). The model compares with the newest version that still exists;
// AWS does not document what "the last version" is once it has been deleted.
func (l *lambdaModel) publish(config string) (string, error) {
	if n := len(l.versions); n > 0 && l.versions[n-1].config == config {
		return "", errVersionExists
	}
	l.next++
	l.versions = append(l.versions, lambdaVersion{number: l.next, config: config})
	return strconv.Itoa(l.next), nil
}

func (l *lambdaModel) exists(version string) bool {
	for _, v := range l.versions {
		if strconv.Itoa(v.number) == version {
			return true
		}
	}
	return false
}

// deleteVersion deletes a version.
//
// Rule (Lambda developer guide, "Deleting versions"/DeleteFunction; DESIGN.md): Lambda refuses to delete a version
// an alias points at; it does not refuse one that an event source mapping uses (the mapping stays and fails).
func (l *lambdaModel) deleteVersion(version string) error {
	if l.alias.version == version || l.alias.weights[version] > 0 {
		return fmt.Errorf("version %s is used by an alias", version)
	}
	for i, v := range l.versions {
		if strconv.Itoa(v.number) == version {
			l.versions = append(l.versions[:i], l.versions[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("version %s does not exist", version)
}

// ---- CodeDeploy ----

// world is the account: the function, the stack as last deployed, and what the scenario says about traffic,
// alarms and hooks.
type world struct {
	t      *testing.T
	lambda lambdaModel
	// stack is the template of the last successful stack operation (nil before the first deploy), and the
	// physical version number of each AWS::Lambda::Version logical id in it.
	stack    *revision
	physical map[string]string
	clock    time.Duration
	log      []string

	// alarmFires says whether the alarm at path is in ALARM at time since into the shift to green (version).
	alarmFires func(path, green string, since time.Duration) bool
	// preHookPasses says whether the pre-traffic tests of version green pass when they run.
	preHookPasses func(green string) bool
	// throttled is how many times Lambda refuses each invocation of green with 429 before running it.
	throttled int
	// invocations is how many requests a minute reach the alias.
	invocations float64
	// stopAt, when positive, has an operator stop the deployment (with rollback) that long into the shift.
	stopAt time.Duration
	// policyOverride, when set, replaces the DeletionPolicy of the template's versions: to show what another
	// policy would do.
	policyOverride string
}

func newWorld(t *testing.T) *world {
	return &world{t: t, lambda: lambdaModel{mappings: map[string]bool{}}, physical: map[string]string{},
		alarmFires:    func(string, string, time.Duration) bool { return false },
		preHookPasses: func(string) bool { return true },
		invocations:   100,
	}
}

func (w *world) logf(format string, args ...interface{}) {
	w.log = append(w.log, fmt.Sprintf("[%v] ", w.clock)+fmt.Sprintf(format, args...))
}

// hookInvokeAttempts is the runner's default bound on the attempts of one invocation Lambda did not run
// (runner.Hook.InvokeAttempts).
const hookInvokeAttempts = 6

var errInvalidLambdaConfiguration = errors.New("INVALID_LAMBDA_CONFIGURATION: the alias does not serve the AppSpec's CurrentVersion")

// codeDeploy runs a Lambda deployment of the group in rev from current to target.
//
// Rules:
//   - CloudFormation starts it with an AppSpec whose CurrentVersion is the alias's version in the previous
//     template, and CodeDeploy refuses the deployment when the alias serves another version
//     (INVALID_LAMBDA_CONFIGURATION; DESIGN.md, the release lifecycle rules).
//   - "BeforeAllowTraffic … runs tasks before traffic is shifted to the deployed Lambda function version";
//     "AfterAllowTraffic … after all traffic is shifted" (CodeDeploy user guide, AppSpec hooks for Lambda). A hook
//     that fails fails the deployment; one that never reports fails it after an hour.
//   - Traffic moves by the deployment configuration's steps (CodeDeploy, "Deployment configurations on an AWS
//     Lambda compute platform").
//   - "If any of the specified alarms are activated, the deployment stops" (CodeDeploy, "Monitoring deployments
//     with CloudWatch alarms"); CodeDeploy reads alarm states periodically, at an interval AWS does not document
//     (the model checks once a minute). With alarm monitoring off (IgnoreAlarmConfiguration) alarms are not read.
//   - On a failed or stopped deployment with automatic rollback, CodeDeploy puts the alias back on the current
//     version (CodeDeploy, "Redeploy and roll back a deployment").
func (w *world) codeDeploy(rev revision, current, target string) error {
	if w.lambda.alias.version != current || len(w.lambda.alias.weights) > 0 {
		return fmt.Errorf("%w (alias %s, AppSpec CurrentVersion %s)", errInvalidLambdaConfiguration, w.lambda.alias, current)
	}
	d := rev.deployment
	rollback := func(reason string) error {
		w.lambda.alias = aliasState{version: current}
		w.logf("CodeDeploy rolled the alias back to %s: %s", current, reason)
		return errors.New("deployment failed: " + reason)
	}
	if d.PreHook != "" {
		// Rule (Lambda API reference, Invoke): "Error codes are reserved for errors that prevent your function from
		// executing"; a 429 (TooManyRequestsException) did not run the function. The hook sends such an
		// invocation again, at most hookInvokeAttempts times within its deadline (runner.Hook.InvokeAttempts), and
		// never one that may have run.
		if w.throttled >= hookInvokeAttempts {
			return rollback(fmt.Sprintf("BeforeAllowTraffic hook failed: throttled %d times", w.throttled))
		}
		if !w.preHookPasses(target) {
			return rollback("BeforeAllowTraffic hook failed")
		}
	}
	steps := d.StrategyValue().Steps()
	start := w.clock
	served := 0.0
	for i, s := range steps {
		if s.Percent >= 100 {
			w.lambda.alias = aliasState{version: target}
		} else {
			w.lambda.alias = aliasState{version: current, weights: map[string]float64{target: s.Percent / 100}}
		}
		w.logf("alias %s", w.lambda.alias)
		if i+1 == len(steps) {
			break
		}
		for w.clock-start < steps[i+1].At {
			w.clock += time.Minute
			served += w.invocations * s.Percent / 100
			since := w.clock - start
			if w.stopAt > 0 && since >= w.stopAt {
				return rollback("stopped by an operator")
			}
			if d.AlarmsEnabled {
				for _, a := range d.Alarms {
					if w.alarmFires(a.Path, target, since) {
						return rollback("alarm " + a.Path + " in ALARM")
					}
				}
			}
		}
	}
	if d.PostHook != "" && rev.post != nil {
		if err := w.postHook(rev, current, target, start, served); err != nil {
			return rollback("AfterAllowTraffic hook failed: " + err.Error())
		}
	}
	w.logf("deployment succeeded: alias on %s", target)
	return nil
}

// postHook applies the post-traffic hook's configured checks.
//
// Rule (Lambda developer guide, "Types of metrics"; DESIGN.md): AWS/Lambda publishes Invocations only for minutes
// with invocations, and up to alarms.MetricLag late, so the hook counts green's requests up to that lag before
// its run. The alarm check reads the group's alarms; pruning keeps the newest versions and those in use.
func (w *world) postHook(rev revision, current, target string, start time.Duration, served float64) error {
	cfg := rev.post
	published := 0.0
	if elapsed := w.clock - start; elapsed > alarms.MetricLag {
		published = served * float64(elapsed-alarms.MetricLag) / float64(elapsed)
	}
	if cfg.MinInvocations > 0 && published < cfg.MinInvocations {
		return fmt.Errorf("green served %g invocations that CloudWatch shows, %g required", published, cfg.MinInvocations)
	}
	if cfg.CheckAlarms && rev.deployment.AlarmsEnabled {
		for _, a := range rev.deployment.Alarms {
			if w.alarmFires(a.Path, target, w.clock-start) {
				return fmt.Errorf("alarm %s in ALARM", a.Path)
			}
		}
	}
	if cfg.KeepVersions > 0 {
		w.prune(cfg.KeepVersions, current, target)
	}
	return nil
}

// prune deletes versions beyond the newest keep, never blue, green, the alias's, or one an event source mapping
// uses (the hook asks Lambda for the mappings: Lambda itself would not refuse, and the mapping would fail).
func (w *world) prune(keep int, current, target string) {
	var kept []string
	for i := len(w.lambda.versions) - 1 - keep; i >= 0; i-- {
		v := strconv.Itoa(w.lambda.versions[i].number)
		if v == current || v == target || w.lambda.mappings[v] {
			kept = append(kept, v)
			continue
		}
		if err := w.lambda.deleteVersion(v); err != nil {
			kept = append(kept, v)
		}
	}
	w.logf("pruned to the newest %d, kept %v", keep, kept)
}

// ---- CloudFormation ----

// deploy updates the stack to the release, as cdk deploy does, and returns the stack operation's error (the
// stack then rolled back).
//
// Rules (CloudFormation user guide):
//   - A resource added to the template is created; a resource removed from it is deleted, unless its
//     DeletionPolicy is Retain or RetainExceptOnCreate ("This capability also applies to stack update operations
//     that lead to resources being deleted from stacks", DeletionPolicy attribute).
//   - When an update fails, CloudFormation rolls the stack back to the previous template: resources the update
//     created are deleted, except with DeletionPolicy Retain; RetainExceptOnCreate "behaves like Retain for stack
//     operations, except for the stack operation that initially created the resource. If the stack operation that
//     created the resource is rolled back, CloudFormation deletes the resource."
//   - An alias with UpdatePolicy CodeDeployLambdaAliasUpdate is not repointed by CloudFormation: a change of its
//     version starts a CodeDeploy deployment, and the update fails when the deployment fails (CloudFormation,
//     UpdatePolicy attribute, CodeDeployLambdaAliasUpdate).
func (w *world) deploy(r release) error {
	w.t.Helper()
	rev := synthRelease(w.t, r)
	if w.policyOverride != "" {
		for id := range rev.versions {
			rev.versions[id] = w.policyOverride
		}
	}
	w.logf("deploy %s", r.commit)
	physical := map[string]string{}
	var created []string
	fail := func(err error) error {
		for _, id := range created {
			if rev.versions[id] == "Retain" {
				w.logf("rollback keeps version %s (Retain)", physical[id])
				continue
			}
			if delErr := w.lambda.deleteVersion(physical[id]); delErr != nil {
				w.t.Fatalf("rollback could not delete version %s: %v", physical[id], delErr)
			}
			w.logf("rollback deleted version %s (%s)", physical[id], rev.versions[id])
		}
		w.logf("UPDATE_ROLLBACK_COMPLETE: %v", err)
		return err
	}
	for id := range rev.versions {
		if v, ok := w.physical[id]; ok && w.stack != nil {
			if _, inStack := w.stack.versions[id]; inStack {
				physical[id] = v
				continue
			}
		}
		v, err := w.lambda.publish(r.commit)
		if err != nil {
			return fail(fmt.Errorf("AWS::Lambda::Version %s: %w", id, err))
		}
		physical[id], created = v, append(created, id)
		w.logf("published version %s", v)
	}
	target := rev.aliasVersion
	if v, ok := physical[target]; ok {
		target = v
	} else if !w.lambda.exists(target) {
		return fail(fmt.Errorf("alias: version %s does not exist", target))
	}
	if w.stack == nil {
		w.lambda.alias = aliasState{version: target} // the alias is created, not updated: no deployment
	} else if current := w.aliasTemplateVersion(); current != target {
		if err := w.codeDeploy(rev, current, target); err != nil {
			return fail(err)
		}
	}
	if w.stack != nil {
		for id := range w.stack.versions {
			if _, kept := rev.versions[id]; !kept && w.stack.versions[id] == "Delete" {
				_ = w.lambda.deleteVersion(w.physical[id])
			}
		}
	}
	w.stack, w.physical = &rev, physical
	w.logf("UPDATE_COMPLETE: alias %s", w.lambda.alias)
	return nil
}

// aliasTemplateVersion is the alias's version in the deployed template: what CloudFormation puts in the AppSpec
// as CurrentVersion.
func (w *world) aliasTemplateVersion() string {
	if v, ok := w.physical[w.stack.aliasVersion]; ok {
		return v
	}
	return w.stack.aliasVersion
}

// mustDeploy deploys r and fails the test when the stack operation fails.
func (w *world) mustDeploy(r release) {
	w.t.Helper()
	if err := w.deploy(r); err != nil {
		w.t.Fatalf("deploy %s failed: %v\n%s", r.commit, err, strings.Join(w.log, "\n"))
	}
}

// serves fails the test unless the alias serves exactly version, with no weights.
func (w *world) serves(version string) {
	w.t.Helper()
	if w.lambda.alias.version != version || len(w.lambda.alias.weights) > 0 {
		w.t.Fatalf("alias serves %s, want %s alone\n%s", w.lambda.alias, version, strings.Join(w.log, "\n"))
	}
}
