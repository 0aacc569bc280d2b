package deployment

// A model of the AWS rules a blue/green release depends on, driven by the templates the constructs synthesize and
// by the library's own run-time code: the hooks (package runner: tests, retries, the alarm check, pruning, the
// failure reporter and its watchdog), the release guard (package guard: the release gate and the coordinator) and
// the rollback of a deployed template (package revert). It is a test fixture that encodes documented behaviour,
// not a cloud emulator: each rule it applies is named in a comment ("rule:<id>") and listed, documented or
// assumed, in package awsrules. Where AWS documents nothing and the answer matters, the model replays every
// plausible answer (variants). The lifecycle tests (lifecycle_test.go) replay sequences of deploys through it.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/hooks"
	"github.com/safeship/lambda-bluegreen/constructs/hooks/hookconfig"
	"github.com/safeship/lambda-bluegreen/constructs/hooks/runner"
	"github.com/safeship/lambda-bluegreen/constructs/release/guard"
	"github.com/safeship/lambda-bluegreen/constructs/service"
	"github.com/safeship/lambda-bluegreen/constructs/strategy"
	"github.com/safeship/lambda-bluegreen/internal/block"
	"github.com/safeship/lambda-bluegreen/internal/plan"
	"github.com/safeship/lambda-bluegreen/internal/revert"
	"github.com/safeship/lambda-bluegreen/test/testkit"
)

// release is what one deploy ships: a commit of the service (its code and configuration), and the deployment's
// settings in that commit. With service set, the stack holds a service of functions instead of one Deployment.
type release struct {
	commit   string // the function's code and configuration: a new commit publishes a new version
	strategy strategy.Strategy
	pin      string // DeploymentProps.PinnedVersion
	bypass   bool
	business bool // a rollback alarm of the user's own ("Business") beside the green alarms
	pre      bool // pre-traffic tests
	load     bool // with a load check (5 at a time)
	reserved int  // the function's reserved concurrency, when above 0
	// pc is DeploymentProps.ProvisionedConcurrency, when above 0.
	pc      float64
	post    *hooks.PostTrafficProps
	service *serviceRelease
}

// serviceRelease is a service of n functions "Fn00"…: each function's commit and strategy (the default canary
// when nil), with pre-traffic tests for each and one post-traffic hook.
type serviceRelease struct {
	n        int
	commit   func(i int) string
	strategy func(i int) strategy.Strategy
}

func (r release) key() string {
	b, _ := json.Marshal([]interface{}{r.commit, r.strategy.String(), r.pin, r.bypass, r.business, r.pre, r.load,
		r.reserved, r.post, r.pc})
	if s := r.service; s != nil {
		for i := 0; i < s.n; i++ {
			st := ""
			if s.strategy != nil {
				st = s.strategy(i).String()
			}
			b = append(b, []byte(","+s.commit(i)+"/"+st)...)
		}
	}
	return string(b)
}

// revision is a synthesized (or rewritten) template of a release, read as CloudFormation and CodeDeploy see it.
type revision struct {
	raw []byte // the template, as CloudFormation gets it
	dir string // the cloud assembly it was synthesized into (the hooks' configurations)
	fns map[string]*fnRev
	ids []string // the deployments' ids, sorted
	// gate is the properties of the stack's release gate, nil without one.
	gate map[string]interface{}
}

// fnRev is one protected function of a revision.
type fnRev struct {
	id       string            // the Deployment's construct id, which the model also uses as the function's name
	versions map[string]string // AWS::Lambda::Version logical id → DeletionPolicy
	config   string            // the function's code and configuration (its CloudFormation properties)
	// aliasVersion is the alias's FunctionVersion: the logical id of a version of the template, or a version
	// number (a pin).
	aliasVersion string
	deployment   plan.Deployment
	pre, post    *hookSetup
	gate         map[string]interface{} // its entry in the stack's release gate, nil without one
	group        string                 // JSON of the group's properties: CloudFormation updates it when they change
	// versioned are the alarms whose names carry green's version (a new alarm each release).
	versioned map[string]bool
	// scaling is the range of the Application Auto Scaling scalable target of the alias's provisioned concurrency,
	// nil without one.
	scaling *capacityRange
}

// capacityRange is a scalable target's MinCapacity and MaxCapacity.
type capacityRange struct{ min, max float64 }

// hookSetup is a hook of the template: its checks, its timeout and whether it has a watchdog.
type hookSetup struct {
	cfg      hookconfig.Config
	timeout  time.Duration
	watchdog bool
}

var (
	revisionsMu sync.Mutex
	revisions   = map[string]*revision{}
	// strategies are the strategies of the deployment configurations the templates name, by name.
	strategies = map[string]strategy.Strategy{guard.AllAtOnce: strategy.AllAtOnce}
)

// synthRelease synthesizes the release as stack "Svc" (deployment "Api", or service "Shop"), as cdk synth would;
// the same release is synthesized once per test run.
func synthRelease(t *testing.T, r release) *revision {
	t.Helper()
	revisionsMu.Lock()
	defer revisionsMu.Unlock()
	if rev, ok := revisions[r.key()]; ok {
		return rev
	}
	// The revision is kept for the whole test binary (-count=3 included), and so is its cloud assembly, which
	// tests read again: it is written into a folder of testkit.MkdirShared, not into the first test's temporary
	// folder.
	ctx := testkit.ExampleContext(t, map[string]interface{}{"aws:cdk:enable-path-metadata": true})
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(testkit.MkdirShared(t, "release"))})
	stack := awscdk.NewStack(app, jsii.String("Svc"), nil)
	if r.service != nil {
		defineService(t, stack, r)
	} else {
		defineDeployment(t, stack, r)
	}
	var dir string
	testkit.NoPanic(t, func() { dir = *app.Synth(nil).Directory() })
	if dir == "" {
		t.FailNow()
	}
	raw, err := os.ReadFile(filepath.Join(dir, "Svc.template.json"))
	if err != nil {
		t.Fatal(err)
	}
	rev := readRevision(t, dir, raw)
	revisions[r.key()] = rev
	return rev
}

func defineDeployment(t *testing.T, stack awscdk.Stack, r release) {
	fp := testkit.FunctionProps(t)
	fp.Environment = &map[string]*string{"COMMIT": jsii.String(r.commit)}
	if r.reserved > 0 {
		fp.ReservedConcurrentExecutions = jsii.Number(float64(r.reserved))
	}
	props := &bluegreen.DeploymentProps{FunctionProps: fp, Strategy: r.strategy, PostTraffic: r.post,
		EmergencyBypass: jsii.Bool(r.bypass)}
	if r.pc > 0 {
		props.ProvisionedConcurrency = jsii.Number(r.pc)
	}
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
}

func defineService(t *testing.T, stack awscdk.Stack, r release) {
	s := r.service
	var fs []service.Function
	for i := 0; i < s.n; i++ {
		fp := testkit.FunctionProps(t)
		fp.Environment = &map[string]*string{"COMMIT": jsii.String(s.commit(i))}
		f := service.Function{ID: fmt.Sprintf("Fn%02d", i), FunctionProps: fp,
			PreTraffic: &hooks.PreTrafficProps{Tests: []hooks.TestCase{{Name: "root", Payload: map[string]interface{}{}}}}}
		if s.strategy != nil {
			f.Strategy = s.strategy(i)
		}
		fs = append(fs, f)
	}
	keep := 5
	service.New(stack, "Shop", &service.Props{Functions: fs, PostTraffic: &hooks.PostTrafficProps{KeepVersions: &keep}})
}

// readRevision reads a template (synthesized into dir, or rewritten from one that was) as the model needs it.
func readRevision(t *testing.T, dir string, raw []byte) *revision {
	t.Helper()
	var tmpl struct {
		Resources map[string]struct {
			Type           string                 `json:"Type"`
			DeletionPolicy string                 `json:"DeletionPolicy"`
			Properties     map[string]interface{} `json:"Properties"`
			Metadata       map[string]interface{} `json:"Metadata"`
		} `json:"Resources"`
	}
	if err := json.Unmarshal(raw, &tmpl); err != nil {
		t.Fatal(err)
	}
	ds, err := plan.Read(assemblyWith(t, dir, raw))
	if err != nil {
		t.Fatalf("reading the deployments of %s: %v", dir, err)
	}
	rev := &revision{raw: raw, dir: dir, fns: map[string]*fnRev{}}
	paths := map[string]string{} // construct path of a resource → logical id
	for id, res := range tmpl.Resources {
		p, _ := res.Metadata["aws:cdk:path"].(string)
		paths[strings.TrimSuffix(p, "/Resource")] = id
	}
	for _, d := range ds {
		f := &fnRev{id: d.Path[strings.LastIndex(d.Path, "/")+1:], versions: map[string]string{}, deployment: d,
			versioned: map[string]bool{}}
		for id, res := range tmpl.Resources {
			p, _ := res.Metadata["aws:cdk:path"].(string)
			if !strings.HasPrefix(p, d.Path+"/") {
				continue
			}
			switch res.Type {
			case "AWS::Lambda::Version":
				f.versions[id] = res.DeletionPolicy
			case "AWS::Lambda::Function":
				if p == d.Function+"/Resource" {
					b, _ := json.Marshal(res.Properties)
					f.config = string(b)
				}
			case "AWS::Lambda::Alias":
				switch v := res.Properties["FunctionVersion"].(type) {
				case string:
					f.aliasVersion = v
				case map[string]interface{}:
					f.aliasVersion = v["Fn::GetAtt"].([]interface{})[0].(string)
				}
			case "AWS::CodeDeploy::DeploymentGroup":
				b, _ := json.Marshal([]interface{}{res.Properties["DeploymentConfigName"], res.Properties["AlarmConfiguration"]})
				f.group = string(b)
			case "AWS::ApplicationAutoScaling::ScalableTarget":
				lo, _ := res.Properties["MinCapacity"].(float64)
				hi, _ := res.Properties["MaxCapacity"].(float64)
				f.scaling = &capacityRange{min: lo, max: hi}
			case "AWS::CloudWatch::Alarm":
				name, _ := json.Marshal(res.Properties["AlarmName"])
				f.versioned[strings.TrimSuffix(p, "/Resource")] = strings.Contains(string(name), "CurrentVersion") ||
					strings.Contains(string(name), "-v")
			}
		}
		for _, h := range []struct {
			path string
			into **hookSetup
		}{{d.PreHook, &f.pre}, {d.PostHook, &f.post}} {
			if h.path == "" {
				continue
			}
			res := tmpl.Resources[paths[h.path]]
			hc := &hookSetup{cfg: hookConfigOf(t, dir, res.Properties), timeout: 5 * time.Minute}
			if s, ok := res.Properties["Timeout"].(float64); ok {
				hc.timeout = time.Duration(s) * time.Second
			}
			env, _ := res.Properties["Environment"].(map[string]interface{})
			vars, _ := env["Variables"].(map[string]interface{})
			_, hc.watchdog = vars[runner.WatchdogTargetEnv]
			*h.into = hc
		}
		rev.fns[f.id] = f
		rev.ids = append(rev.ids, f.id)
		name := d.Config
		if name == "" {
			name = d.Strategy
		}
		strategies[name] = d.StrategyValue()
	}
	sort.Strings(rev.ids)
	for _, res := range tmpl.Resources {
		if res.Type != block.GateResourceType {
			continue
		}
		rev.gate = res.Properties
		entries, _ := res.Properties[block.GateReleases].(map[string]interface{})
		for path, e := range entries {
			if f := rev.fns[path[strings.LastIndex(path, "/")+1:]]; f != nil {
				f.gate, _ = e.(map[string]interface{})
			}
		}
	}
	return rev
}

func hookConfigOf(t *testing.T, dir string, properties map[string]interface{}) hookconfig.Config {
	return testkit.HookConfig(t, dir, map[string]interface{}{"Properties": properties})
}

// assemblyWith returns dir itself when raw is its template, or a copy of its manifest with raw as the template
// (a template rewritten by revert).
func assemblyWith(t *testing.T, dir string, raw []byte) string {
	t.Helper()
	if b, err := os.ReadFile(filepath.Join(dir, "Svc.template.json")); err == nil && string(b) == string(raw) {
		return dir
	}
	out := t.TempDir()
	for _, f := range []string{"manifest.json", "tree.json"} {
		if b, err := os.ReadFile(filepath.Join(dir, f)); err == nil {
			if err := os.WriteFile(filepath.Join(out, f), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(out, "Svc.template.json"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// ---- Lambda ----

// lambdaModel is one function: its published versions, its alias and the event source mappings that use a
// version.
type lambdaModel struct {
	versions []lambdaVersion // in publishing order
	next     int
	alias    aliasState
	mappings map[string]bool // versions an event source mapping invokes
	// provisioned is the provisioned concurrency configured on the alias (requested executions), 0 for none. Lambda
	// allocates it to the version the alias points at, and during a weighted shift to the versions it routes to;
	// no version has a configuration of its own (rule:lambda-pc-alias).
	provisioned int
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

// publish publishes the function's code and configuration config as a new version (rule:lambda-publish). The
// model compares with the newest version that still exists; AWS does not document what "the last version" is
// once it has been deleted. Numbers only grow (rule:lambda-version-numbers).
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

// deleteVersion deletes a version, refused for one an alias points at (rule:lambda-delete-in-use).
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

// ---- the account ----

// variants are the answers the model plays where AWS documents nothing.
type variants struct {
	// groupFirst: a stack rollback rolls a deployment group back before its alias (rule:cfn-rollback-order).
	groupFirst bool
	// cancelKeepsDeployment: cancelling an alias update leaves its deployment running (rule:cfn-cancelled-alias).
	cancelKeepsDeployment bool
	// alarmsAtStart: CodeDeploy reads a group's alarm configuration once, when the deployment starts
	// (rule:codedeploy-alarm-config-read); otherwise at each check.
	alarmsAtStart bool
	// hookSync: CodeDeploy invokes hooks synchronously (rule:codedeploy-hook-invocation).
	hookSync bool
	// eventLate: the failure event reaches the release guard only after CloudFormation started its reverse
	// deployments (rule:event-before-reverse, which the model otherwise holds).
	eventLate bool
}

func (v variants) String() string {
	return fmt.Sprintf("rollback group first %v, cancelled alias keeps deploying %v, alarms read at start %v",
		v.groupFirst, v.cancelKeepsDeployment, v.alarmsAtStart)
}

// allVariants are every combination of the undocumented answers a stack rollback depends on.
func allVariants() []variants {
	var out []variants
	for _, g := range []bool{false, true} {
		for _, c := range []bool{false, true} {
			for _, a := range []bool{false, true} {
				out = append(out, variants{groupFirst: g, cancelKeepsDeployment: c, alarmsAtStart: a})
			}
		}
	}
	return out
}

// groupState is a deployment group as CodeDeploy holds it.
type groupState struct {
	config   string
	strategy strategy.Strategy
	enabled  bool
	alarms   []modelAlarm
}

// modelAlarm is an alarm the model evaluates: its construct path and the version it watches ("" for an alarm that
// watches no version: the user's own).
type modelAlarm struct{ path, version string }

func (a modelAlarm) name() string {
	if a.version == "" {
		return a.path
	}
	return a.path + "-v" + a.version
}

// world is the account: the functions, the stack as last deployed, CodeDeploy's groups and deployments, the
// blocked releases, and what the scenario says about traffic, alarms and hooks.
type world struct {
	t      *testing.T
	fns    map[string]*lambdaModel // by deployment id
	lambda *lambdaModel            // fns["Api"], for one-function scenarios
	// stack is the template of the last successful stack operation (nil before the first deploy), and the
	// physical version number of each AWS::Lambda::Version logical id in it.
	stack    *revision
	physical map[string]string
	status   string
	clock    time.Duration
	log      []string
	v        variants

	groups      map[string]*groupState
	deployments []*cdDeployment
	blocks      map[string]block.List
	// alarmState is the state each alarm (by name) was last evaluated in: an updated alarm keeps it, a new one
	// (a new name) starts without one (rule:cloudwatch-alarm-state).
	alarmState map[string]bool
	served     []servedMinute
	released   map[string][]string // versions that served all traffic after a release, per function, in order
	reported   map[string]string   // hook execution id → status CodeDeploy holds

	// alarmFires says whether the alarm at path is in ALARM at time since into the shift to green (version).
	alarmFires func(path, green string, since time.Duration) bool
	// preHookPasses says whether the pre-traffic tests of version green pass when they run.
	preHookPasses func(green string) bool
	// throttled is how many times Lambda refuses each invocation of green with 429 before running it;
	// throttledSoFar counts them per version.
	throttled      int
	throttledSoFar map[string]int
	// hookCrash makes every hook invocation die (out of memory) once it has armed its watchdog.
	hookCrash bool
	// invocations is how many requests a minute reach each alias.
	invocations float64
	// stopAt, when positive, has an operator stop the deployment (with rollback) that long into the shift.
	stopAt time.Duration
	// policyOverride, when set, replaces the DeletionPolicy of the template's versions: to show what another
	// policy would do.
	policyOverride string
	// noGuard plays the stack without its release guard (no gate, no coordinator): to show what the guard does.
	noGuard bool
	// stuck is a stack rollback that failed (UPDATE_ROLLBACK_FAILED), for recoverStack.
	stuck   *stuckRollback
	endings int
	// broken, when set, says whether every request to fn's version errors (a bad release): its pre-traffic tests
	// fail, as when preHookPasses says so.
	broken func(fn, version string) bool
	// changes are the state changes of every deployment, in the order CodeDeploy sent them to EventBridge.
	changes []stateChange
}

// stateChange is a deployment's state change as CodeDeploy sends it to EventBridge: START as it starts, SUCCESS,
// FAILURE or STOP as it ends (rule:codedeploy-events, rule:codedeploy-event-states).
type stateChange struct {
	d     *cdDeployment
	state string
}

// stuckRollback is what a failed stack rollback left to do: the operation, and the alias updates whose reverse
// deployment failed.
type stuckRollback struct {
	op     *operation
	cause  error
	failed []*cdDeployment
}

type servedMinute struct {
	fn, version string
	at          time.Duration
	n           float64
}

func newWorld(t *testing.T) *world {
	w := &world{t: t, fns: map[string]*lambdaModel{}, physical: map[string]string{},
		groups: map[string]*groupState{}, blocks: map[string]block.List{}, alarmState: map[string]bool{},
		released: map[string][]string{}, reported: map[string]string{}, throttledSoFar: map[string]int{},
		alarmFires:    func(string, string, time.Duration) bool { return false },
		preHookPasses: func(string) bool { return true },
		invocations:   100,
	}
	w.lambda = w.fn("Api")
	return w
}

func (w *world) fn(id string) *lambdaModel {
	if l, ok := w.fns[id]; ok {
		return l
	}
	l := &lambdaModel{mappings: map[string]bool{}}
	w.fns[id] = l
	return l
}

func (w *world) logf(format string, args ...interface{}) {
	w.log = append(w.log, fmt.Sprintf("[%v] ", w.clock)+fmt.Sprintf(format, args...))
}

// ---- CodeDeploy ----

// cdDeployment is a CodeDeploy deployment of one alias.
type cdDeployment struct {
	id, fn          string
	current, target string
	creator         cdtypes.DeploymentCreator
	status          string // InProgress, Succeeded, Stopped, Failed
	reason          string
	start           time.Duration
	steps           []strategy.Step
	snapshot        groupState // the group as the deployment started (rule:codedeploy-alarm-config-read)
	pre, post       *hookSetup
	served          float64
	preDone         bool
	// cancelled: CloudFormation cancelled the alias update that started it; it counts for the stack no more.
	cancelled bool
	ended     int // the order in which deployments ended (1, 2…), 0 while running
	endedAt   time.Duration
	// alarm is the name of the alarm that stopped it, when one did.
	alarm string
	rev   *revision
}

func (d *cdDeployment) active() bool { return d.status == "InProgress" }

func (d *cdDeployment) forward() bool {
	c, _ := strconv.Atoi(d.current)
	g, _ := strconv.Atoi(d.target)
	return g > c
}

var errInvalidLambdaConfiguration = errors.New("INVALID_LAMBDA_CONFIGURATION: the alias does not serve the AppSpec's CurrentVersion")

// startDeployment starts a CodeDeploy deployment of fn's alias from current to target with the group as it is now.
// CloudFormation takes the AppSpec's CurrentVersion from the previous template, and CodeDeploy refuses the
// deployment when the alias serves another version (rule:codedeploy-appspec-current); a group runs one deployment
// at a time.
func (w *world) startDeployment(rev *revision, fn, current, target string, creator cdtypes.DeploymentCreator) (*cdDeployment, error) {
	l := w.fn(fn)
	if l.alias.version != current || len(l.alias.weights) > 0 {
		return nil, fmt.Errorf("%w (alias %s, AppSpec CurrentVersion %s)", errInvalidLambdaConfiguration, l.alias, current)
	}
	g := w.groups[fn]
	d := &cdDeployment{id: fmt.Sprintf("d-%s-%d", fn, len(w.deployments)+1), fn: fn, current: current, target: target,
		creator: creator, status: "InProgress", start: w.clock, steps: g.strategy.Steps(), snapshot: *g,
		pre: rev.fns[fn].pre, post: rev.fns[fn].post, rev: rev}
	d.snapshot.alarms = append([]modelAlarm(nil), g.alarms...)
	w.deployments = append(w.deployments, d)
	w.changes = append(w.changes, stateChange{d: d, state: guard.StateStart}) // rule:codedeploy-event-states
	w.logf("%s: %s deployment %s of %s from %s to %s with %s, alarms on %v", fn, creator, d.id, fn, current, target,
		g.strategy, g.enabled)
	return d, nil
}

// end ends a deployment. A failed or stopped one puts the alias back on the version it shifted from
// (rule:codedeploy-rollback); its state change goes to EventBridge (rule:codedeploy-events), and the release
// guard, when the stack has one, coordinates the release.
func (w *world) end(d *cdDeployment, status, reason string) {
	w.endings++
	d.status, d.reason, d.ended, d.endedAt = status, reason, w.endings, w.clock
	w.changes = append(w.changes, stateChange{d: d, state: endState[status]}) // rule:codedeploy-event-states
	l := w.fn(d.fn)
	if status == "Succeeded" {
		l.alias = aliasState{version: d.target}
		w.logf("deployment succeeded: alias on %s", d.target)
		return
	}
	l.alias = aliasState{version: d.current}
	if d.fn == "Api" {
		w.logf("CodeDeploy rolled the alias back to %s: %s", d.current, reason)
	} else {
		w.logf("%s: CodeDeploy rolled the alias back to %s: %s", d.fn, d.current, reason)
	}
	if !w.v.eventLate {
		w.event(d, map[string]string{"Stopped": guard.StateStop, "Failed": guard.StateFailure}[status])
	}
}

// endState is the EventBridge state of a deployment that ended with a status.
var endState = map[string]string{"Succeeded": "SUCCESS", "Failed": guard.StateFailure, "Stopped": guard.StateStop}

// event delivers a deployment state change to the stack's release guard (package guard), if the stack has one.
func (w *world) event(d *cdDeployment, state string) {
	if w.stack == nil || !w.hasGuard() {
		return
	}
	ev := guard.DeploymentEvent{Source: "aws.codedeploy", DetailType: guard.DeploymentStateChange}
	ev.Detail.Application, ev.Detail.DeploymentGroup, ev.Detail.DeploymentID, ev.Detail.State = "app", d.fn, d.id, state
	if err := w.guard().Coordinate(context.Background(), ev); err != nil {
		w.t.Fatalf("the release guard failed: %v", err)
	}
}

func (w *world) hasGuard() bool {
	return !w.noGuard && w.stack.gate != nil
}

// step advances every running deployment by a minute: traffic, alarms, hooks. CodeDeploy checks alarms about
// once a minute (rule:codedeploy-alarm-interval); an alarm in ALARM stops the deployment (rule:codedeploy-alarms),
// unless alarm monitoring is off, as the group is now or as it was when the deployment started
// (rule:codedeploy-alarm-config-read).
func (w *world) step(ds []*cdDeployment) {
	for _, d := range ds {
		if !d.active() {
			continue
		}
		g := w.groups[d.fn]
		if w.v.alarmsAtStart {
			g = &d.snapshot
		}
		if !d.preDone {
			d.preDone = true
			// An alarm already in ALARM stops the deployment before anything moves: one kept from before by an
			// alarm that was updated rather than replaced (rule:cloudwatch-alarm-state) too.
			if g.enabled {
				if firing := d.alarmsFire(w, g, 0); firing != "" {
					w.end(d, "Stopped", "alarm "+firing+" in ALARM")
					continue
				}
			}
			// BeforeAllowTraffic runs before any traffic moves (rule:codedeploy-hooks).
			if d.pre != nil {
				if ok, why, took := w.runHook(d, d.pre); !ok {
					w.clock += took
					w.end(d, "Failed", "BeforeAllowTraffic hook failed: "+why)
					continue
				}
			}
			w.shift(d, 0)
			continue
		}
		since := w.clock - d.start
		if w.stopAt > 0 && since >= w.stopAt && d.creator == cdtypes.DeploymentCreatorCloudFormation {
			w.end(d, "Stopped", "stopped by an operator")
			continue
		}
		if g.enabled {
			if firing := d.alarmsFire(w, g, since); firing != "" {
				w.end(d, "Stopped", "alarm "+firing+" in ALARM")
				continue
			}
		}
		w.shift(d, since)
	}
}

// alarmsFire returns the first of g's alarms in ALARM, or "".
func (d *cdDeployment) alarmsFire(w *world, g *groupState, since time.Duration) string {
	for _, a := range g.alarms {
		if w.alarmIn(a, since) {
			d.alarm = a.name()
			return a.path
		}
	}
	return ""
}

// alarmIn evaluates an alarm: in ALARM when the scenario fires it, or when it kept an ALARM state from before and
// has not evaluated a minute of this deployment yet: an alarm keeps its state until it evaluates new data, and an
// alarm of a new name starts without one (rule:cloudwatch-alarm-state).
func (w *world) alarmIn(a modelAlarm, since time.Duration) bool {
	fires := w.alarmFires(a.path, a.version, since)
	if since < time.Minute {
		return fires || w.alarmState[a.name()]
	}
	w.alarmState[a.name()] = fires
	return fires
}

// shift moves d's traffic to the step of its strategy at since, counting what green serves; at the end of the
// shift it runs the post-traffic hook and ends the deployment.
func (w *world) shift(d *cdDeployment, since time.Duration) {
	l := w.fn(d.fn)
	percent := 0.0
	last := d.steps[len(d.steps)-1]
	for _, s := range d.steps {
		if since >= s.At {
			percent = s.Percent
		}
	}
	if percent >= 100 {
		l.alias = aliasState{version: d.target}
	} else {
		l.alias = aliasState{version: d.current, weights: map[string]float64{d.target: percent / 100}}
	}
	if d.fn == "Api" {
		w.logf("alias %s", l.alias)
	} else {
		w.logf("%s: alias %s", d.fn, l.alias)
	}
	if since > 0 {
		n := w.invocations * percent / 100
		d.served += n
		if n > 0 {
			w.served = append(w.served, servedMinute{fn: d.fn, version: d.target, at: w.clock, n: n})
		}
	}
	if since < last.At {
		return
	}
	// AfterAllowTraffic runs once all traffic is on green (rule:codedeploy-hooks).
	if d.post != nil {
		if ok, why, took := w.runHook(d, d.post); !ok {
			w.clock += took
			w.end(d, "Failed", "AfterAllowTraffic hook failed: "+why)
			return
		}
	}
	w.end(d, "Succeeded", "")
	if d.forward() {
		w.released[d.fn] = append(w.released[d.fn], d.target)
	}
}

// runHook runs the library's hook (package runner) for d against the model's APIs, and returns whether it
// reported Succeeded, why not, and how long CodeDeploy waited for the report. A hook that dies after arming its
// watchdog is reported Failed by its failure reporter: at once when Lambda invoked it asynchronously (its
// on-failure destination, rule:lambda-async), a minute after its deadline when its watchdog schedule fires
// (rule:scheduler-at), and otherwise after CodeDeploy's hour (rule:codedeploy-hooks).
func (w *world) runHook(d *cdDeployment, hc *hookSetup) (bool, string, time.Duration) {
	api := &modelAPI{w: w, d: d}
	execution := fmt.Sprintf("%s-%s", d.id, hc.cfg.Phase)
	ev := runner.Event{DeploymentID: d.id, LifecycleEventHookExecutionID: execution}
	raw, _ := json.Marshal(ev)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{InvokedFunctionArn: "arn:aws:lambda:eu-west-1:1:function:hook"})
	var report strings.Builder
	h := &runner.Hook{Lambda: api, CodeDeploy: api, CloudWatch: api, Config: hc.cfg, ReportMargin: 100 * time.Millisecond,
		InvokeBackoff: time.Millisecond, Now: func() time.Time { return modelEpoch.Add(w.clock) }, Log: &report}
	if hc.watchdog {
		h.Watchdog = &runner.Watchdog{Scheduler: api, TargetARN: "arn:reporter", RoleARN: "arn:role"}
	}
	var took time.Duration
	if w.hookCrash {
		// The hook dies (killed out of memory) at its first call after it armed its watchdog: Handle runs as in
		// Lambda, and its goroutine ends there, with no report.
		api.crash = true
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = h.Handle(ctx, raw)
		}()
		<-done
		api.crash = false
		deadline, _ := ctx.Deadline()
		rep := &runner.FailureReporter{CodeDeploy: api, Phase: hc.cfg.Phase}
		switch {
		case !w.v.hookSync:
			// Lambda sends the failed asynchronous invocation to the on-failure destination (rule:lambda-async).
			rec := fmt.Sprintf(`{"version":"1.0","requestContext":{"condition":"RetriesExhausted","approximateInvokeCount":1},`+
				`"requestPayload":%s,"responsePayload":{"errorType":"Runtime.OutOfMemory"}}`, raw)
			if err := rep.Handle(context.Background(), json.RawMessage(rec)); err != nil {
				w.t.Fatal(err)
			}
			took = time.Minute
		case len(api.armed) > 0:
			// The schedule fires within a minute of its time (rule:scheduler-at): its time is the hook's deadline
			// (its timeout, in the model's clock) plus the grace the hook gave it.
			s := api.armed[len(api.armed)-1]
			due, _ := time.ParseInLocation("2006-01-02T15:04:05", strings.TrimSuffix(strings.TrimPrefix(*s.ScheduleExpression, "at("), ")"), time.UTC)
			took = hc.timeout + due.Sub(deadline).Round(time.Minute) + time.Minute
			if err := rep.Handle(context.Background(), json.RawMessage(*s.Target.Input)); err != nil {
				w.t.Fatal(err)
			}
		default:
			took = runnerHookLimit
		}
	} else if err := h.Handle(ctx, raw); err != nil {
		w.t.Fatalf("hook: %v", err)
	}
	for _, l := range strings.Split(report.String(), "\n") {
		if strings.Contains(l, " provisioned concurrency: ") {
			w.logf("%s: %s hook: %s", d.fn, hc.cfg.Phase, strings.TrimSpace(l))
		}
	}
	status, ok := w.reported[execution]
	if !ok {
		w.logf("%s: the %s hook never reported: CodeDeploy fails it after %v", d.fn, hc.cfg.Phase, runnerHookLimit)
		return false, "the hook did not report within the hour", runnerHookLimit
	}
	if status != "Succeeded" {
		w.logf("%s: the %s hook reported %s after %v", d.fn, hc.cfg.Phase, status, took)
		var failed []string
		for _, l := range strings.Split(report.String(), "\n") {
			if strings.Contains(l, "✗") {
				failed = append(failed, strings.TrimSpace(l))
			}
		}
		if len(failed) == 0 {
			failed = []string{"reported " + status + " after " + took.String()}
		}
		return false, strings.Join(failed, "; "), took
	}
	return true, "", took
}

// runnerHookLimit is CodeDeploy's hour for a hook to report (rule:codedeploy-hooks).
const runnerHookLimit = hooks.HookReportLimit

var modelEpoch = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// ---- CloudFormation ----

// deploy updates the stack to the release, as cdk deploy does, and returns the stack operation's error (the
// stack then rolled back, or failed to).
func (w *world) deploy(r release) error {
	w.t.Helper()
	rev := synthRelease(w.t, r)
	if w.policyOverride != "" {
		cp := *rev
		cp.fns = map[string]*fnRev{}
		for id, f := range rev.fns {
			fc := *f
			fc.versions = map[string]string{}
			for v := range f.versions {
				fc.versions[v] = w.policyOverride
			}
			cp.fns[id] = &fc
		}
		rev = &cp
	}
	w.logf("deploy %s", r.commit)
	return w.apply(rev)
}

// errRollbackFailed is a stack operation that failed and whose rollback failed too: UPDATE_ROLLBACK_FAILED.
var errRollbackFailed = errors.New("UPDATE_ROLLBACK_FAILED")

// apply runs a stack operation to rev: create or update, and roll back when it fails.
//
// CloudFormation updates only what differs from the deployed template (rule:cfn-update-only-changed), a resource
// after those it depends on (rule:cfn-dependency-order): versions, then groups, then release gates, then aliases.
// An alias created runs no deployment; a new version on an existing alias starts one (rule:cfn-alias-codedeploy),
// and the aliases of a stack shift side by side. The first alias update that fails fails the operation; the
// others are cancelled (rule:cfn-cancelled-alias), and the stack rolls back (rule:cfn-rollback).
func (w *world) apply(rev *revision) error {
	w.t.Helper()
	old := w.stack
	if old != nil && string(old.raw) == string(rev.raw) && w.stuck == nil {
		// Nothing differs: CloudFormation performs no update and the stack keeps its status
		// (rule:cfn-update-only-changed).
		w.logf("no updates are to be performed: stack %s", w.status)
		return nil
	}
	w.status = "UPDATE_IN_PROGRESS"
	if old == nil {
		w.status = "CREATE_IN_PROGRESS"
	}
	physical := map[string]string{}
	var created []string // version logical ids this operation created
	op := &operation{rev: rev, old: old, physical: physical}
	for _, id := range rev.ids {
		f := rev.fns[id]
		for vid := range f.versions {
			if v, ok := w.physical[vid]; ok && old != nil && old.fns[id] != nil && hasKey(old.fns[id].versions, vid) {
				physical[vid] = v
				continue
			}
			v, err := w.fn(id).publish(f.config)
			if err != nil {
				return w.rollback(op, created, fmt.Errorf("AWS::Lambda::Version %s: %w", vid, err))
			}
			physical[vid], created = v, append(created, vid)
			w.logf("published version %s", v)
		}
	}
	op.created = created
	for _, id := range rev.ids {
		if old == nil || old.fns[id] == nil || w.groupKey(old, id, w.physical) != w.groupKey(rev, id, physical) {
			w.groups[id] = w.groupOf(rev, id, physical)
		}
	}
	if err := w.gate(rev, old); err != nil {
		return w.rollback(op, created, err)
	}
	var running []*cdDeployment
	for _, id := range rev.ids {
		f := rev.fns[id]
		target := f.aliasVersion
		if v, ok := physical[target]; ok {
			target = v
		} else if !w.fn(id).exists(target) {
			return w.rollback(op, created, fmt.Errorf("alias: version %s does not exist", target))
		}
		if old == nil || old.fns[id] == nil {
			w.fn(id).alias = aliasState{version: target} // created, not updated: no deployment
			w.released[id] = append(w.released[id], target)
			w.logf("%s: alias created on version %s (no hook runs, no CodeDeploy shift)", id, target)
			continue
		}
		if current := w.templateVersion(old, id); current != target {
			d, err := w.startDeployment(rev, id, current, target, cdtypes.DeploymentCreatorCloudFormation)
			if err != nil {
				return w.rollback(op, created, err)
			}
			running = append(running, d)
			op.aliases = append(op.aliases, d)
		}
	}
	if failed := w.run(running); failed != nil {
		// CloudFormation cancels the other alias updates of the operation (rule:cfn-cancelled-alias).
		for _, d := range running {
			if d.active() {
				d.cancelled = true
				if !w.v.cancelKeepsDeployment {
					w.end(d, "Stopped", "its alias update was cancelled")
				}
			}
		}
		if w.v.eventLate {
			defer w.event(failed, guard.StateStop)
		}
		return w.rollback(op, created, errors.New("deployment failed: "+failed.reason))
	}
	if err := w.registerScaling(rev, old); err != nil {
		return w.rollback(op, created, err)
	}
	// Cleanup: versions no longer in the template are deleted unless retained.
	if old != nil {
		for id, of := range old.fns {
			for vid, policy := range of.versions {
				if rev.fns[id] == nil || !hasKey(rev.fns[id].versions, vid) {
					if policy == "Delete" {
						_ = w.fn(id).deleteVersion(w.physical[vid])
					}
				}
			}
		}
	}
	w.stack, w.physical, w.status = rev, physical, "UPDATE_COMPLETE"
	if old == nil {
		w.status = "CREATE_COMPLETE"
	}
	w.logf("%s: alias %s", w.status, w.lambda.alias)
	return nil
}

// registerScaling updates the scalable targets of the aliases' provisioned concurrency whose range rev changes. A
// target depends on its alias, so CloudFormation updates it after the alias (rule:cfn-dependency-order), once the
// alias's update, which is its whole CodeDeploy deployment with both hooks, has ended
// (rule:cfn-scalable-target-after-shift): the model updates them once every alias update of the operation has
// ended (CloudFormation may start one as soon as its own alias is done; a stack rollback would put it back, and
// the scenarios end the same). Registering puts the alias's provisioned concurrency inside the range
// (rule:aas-register-capacity), which Lambda refuses while the alias has weights (rule:lambda-pc-alias). The model
// takes the allocation to be READY by the next deploy. A target removed from the template leaves the amount as it
// is (DeregisterScalableTarget deletes the target's policies, not the capacity).
func (w *world) registerScaling(rev, old *revision) error {
	for _, id := range rev.ids {
		s := rev.fns[id].scaling
		if s == nil || (old != nil && old.fns[id] != nil && old.fns[id].scaling != nil && *old.fns[id].scaling == *s) {
			continue
		}
		l := w.fn(id)
		if len(l.alias.weights) > 0 {
			// Lambda's own error text, as users report it (hashicorp/terraform#24957).
			return fmt.Errorf("%s: scalable target: Alias with weights can not be used with Provisioned Concurrency (alias %s)", id, l.alias)
		}
		l.provisioned = int(min(max(float64(l.provisioned), s.min), s.max))
		w.logf("%s: Application Auto Scaling registered %g–%g: provisioned concurrency %d on the alias (version %s)",
			id, s.min, s.max, l.provisioned, l.alias.version)
	}
	return nil
}

// operation is a stack operation in progress: what the rollback must undo.
type operation struct {
	rev, old *revision
	physical map[string]string
	created  []string
	aliases  []*cdDeployment // the alias updates it started
}

// run runs deployments side by side, a minute at a time, until one fails or is stopped (returned) or none is
// running (nil). Deployments of a cancelled update that CodeDeploy keeps running go on in settle.
func (w *world) run(ds []*cdDeployment) *cdDeployment {
	for minutes := 0; minutes < 24*60; minutes++ {
		w.step(ds)
		anyActive := false
		var first *cdDeployment // the failure that came first: the cause, not the deployments stopped because of it
		for _, d := range ds {
			if !d.active() && d.status != "Succeeded" && !d.cancelled && (first == nil || d.ended < first.ended) {
				first = d
			}
			anyActive = anyActive || d.active()
		}
		if first != nil || !anyActive {
			return first
		}
		w.clock += time.Minute
	}
	w.t.Fatalf("deployments never ended")
	return nil
}

// settle lets deployments that CodeDeploy keeps running after their alias update was cancelled run to their end.
func (w *world) settle() {
	var left []*cdDeployment
	for _, d := range w.deployments {
		if d.active() {
			left = append(left, d)
		}
	}
	for len(left) > 0 {
		w.clock += time.Minute
		w.step(left)
		var still []*cdDeployment
		for _, d := range left {
			if d.active() {
				still = append(still, d)
			}
		}
		left = still
	}
}

// rollback rolls the operation back to the previous template (rule:cfn-rollback): release gates are asked again
// (the guard never refuses while the stack rolls back), every alias whose update finished goes back through a new
// deployment (rule:cfn-reverse-deployment) while one whose update failed or was cancelled needs none
// (rule:cfn-no-reverse-for-unfinished), groups go back to the previous template before or after the aliases
// (rule:cfn-rollback-order), and the versions the operation created are deleted
// (rule:cfn-retain-except-on-create). A reverse deployment that fails leaves UPDATE_ROLLBACK_FAILED.
func (w *world) rollback(op *operation, created []string, cause error) error {
	op.created = created
	w.status = "UPDATE_ROLLBACK_IN_PROGRESS"
	if op.old == nil {
		w.status = "ROLLBACK_COMPLETE"
		return cause
	}
	// The gate is called again with its previous properties, the stack showing a ROLLBACK status
	// (rule:cfn-custom-resource-in-rollback): it must let everything through.
	if err := w.gate(op.old, op.rev); err != nil {
		w.t.Fatalf("the release gate refused during a rollback: %v", err)
	}
	if w.v.groupFirst {
		w.restoreGroups(op)
	}
	var reverse, from []*cdDeployment
	for _, d := range op.aliases {
		if d.status != "Succeeded" || d.cancelled {
			continue
		}
		r, err := w.startDeployment(op.old, d.fn, d.target, d.current, cdtypes.DeploymentCreatorCloudFormationRollback)
		if err != nil {
			w.status = "UPDATE_ROLLBACK_FAILED"
			w.logf("UPDATE_ROLLBACK_FAILED: %s: %v", d.fn, err)
			w.stuck = &stuckRollback{op: op, cause: cause, failed: []*cdDeployment{d}}
			return fmt.Errorf("%w: %v (after %v)", errRollbackFailed, err, cause)
		}
		w.event(r, guard.StateStart) // rule:codedeploy-event-states
		reverse, from = append(reverse, r), append(from, d)
	}
	w.run(reverse)
	var failed []*cdDeployment
	for i, r := range reverse {
		if r.status != "Succeeded" {
			failed = append(failed, from[i])
			w.logf("%s: the reverse deployment failed: %s", r.fn, r.reason)
		}
	}
	if len(failed) > 0 {
		w.status = "UPDATE_ROLLBACK_FAILED"
		w.logf("UPDATE_ROLLBACK_FAILED: %d aliases could not go back", len(failed))
		w.stuck = &stuckRollback{op: op, cause: cause, failed: failed}
		return fmt.Errorf("%w: %s: %s (after %v)", errRollbackFailed, failed[0].fn, reverse[0].reason, cause)
	}
	if !w.v.groupFirst {
		w.restoreGroups(op)
	}
	return w.finishRollback(op, cause)
}

// restoreGroups rolls back the groups the operation changed to the previous template.
func (w *world) restoreGroups(op *operation) {
	for _, id := range op.old.ids {
		if op.rev.fns[id] == nil || w.groupKey(op.rev, id, op.physical) != w.groupKey(op.old, id, w.physical) {
			w.groups[id] = w.groupOf(op.old, id, w.physical)
		}
	}
}

// finishRollback deletes the versions the operation created (rule:cfn-retain-except-on-create) and ends the
// rollback.
func (w *world) finishRollback(op *operation, cause error) error {
	for _, vid := range op.created {
		id := op.versionFn(vid)
		if op.rev.fns[id].versions[vid] == "Retain" {
			w.logf("rollback keeps version %s (Retain)", op.physical[vid])
			continue
		}
		if err := w.fn(id).deleteVersion(op.physical[vid]); err != nil {
			// Lambda refuses (rule:lambda-delete-in-use): the version is left behind, in use by an alias the
			// stack no longer knows of.
			w.logf("%s: rollback could not delete version %s: %v", id, op.physical[vid], err)
			continue
		}
		w.logf("rollback deleted version %s (%s)", op.physical[vid], op.rev.fns[id].versions[vid])
	}
	w.status = "UPDATE_ROLLBACK_COMPLETE"
	w.logf("UPDATE_ROLLBACK_COMPLETE: %v", cause)
	return cause
}

// recoverStack does what bluegreen recover does for a stack in UPDATE_ROLLBACK_FAILED: it puts the groups of the
// aliases whose reverse deployment failed in abort mode, continues the rollback (CloudFormation starts those
// reverse deployments again, rule:cfn-continue-rollback), and when one fails again skips it and points the alias at
// its template's version itself; then it puts each group's strategy and alarm switch back as the rolled-back
// template has them.
func (w *world) recoverStack() {
	s := w.stuck
	if s == nil || w.status != "UPDATE_ROLLBACK_FAILED" {
		w.t.Fatalf("nothing to recover: stack %s", w.status)
	}
	saved := map[string]groupState{}
	for _, d := range s.failed {
		g := w.groups[d.fn]
		saved[d.fn] = *g
		g.config, g.strategy, g.enabled = guard.AllAtOnce, strategy.AllAtOnce, false
	}
	w.status = "UPDATE_ROLLBACK_IN_PROGRESS"
	w.logf("recover: ContinueUpdateRollback")
	var again []*cdDeployment
	for _, d := range s.failed {
		r, err := w.startDeployment(s.op.old, d.fn, d.target, d.current, cdtypes.DeploymentCreatorCloudFormationRollback)
		if err != nil {
			w.t.Fatalf("recover: %v", err)
		}
		again = append(again, r)
	}
	w.run(again)
	for _, r := range again {
		if r.status != "Succeeded" {
			w.logf("recover: %s skipped, its alias pointed at version %s", r.fn, r.target)
			w.fn(r.fn).alias = aliasState{version: r.target}
		}
	}
	w.restoreGroups(s.op)
	_ = w.finishRollback(s.op, s.cause)
	for fn := range saved {
		t := w.groupOf(s.op.old, fn, w.physical)
		g := w.groups[fn]
		g.config, g.strategy, g.enabled = t.config, t.strategy, t.enabled
	}
	w.stuck = nil
}

// deleteStack deletes the stack: the function goes with every version and alias (rule:lambda-delete-function).
func (w *world) deleteStack() {
	for _, id := range w.stack.ids {
		w.fns[id] = &lambdaModel{mappings: map[string]bool{}}
	}
	w.lambda = w.fn("Api")
	w.stack, w.physical, w.status = nil, map[string]string{}, "DELETE_COMPLETE"
}

func (op *operation) versionFn(vid string) string {
	for id, f := range op.rev.fns {
		if _, ok := f.versions[vid]; ok {
			return id
		}
	}
	return ""
}

// groupKey is what CloudFormation compares to decide whether fn's group changes: its properties, as they resolve
// (a green alarm replaced for a new version gives the group a new alarm name: CloudFormation updates the resources
// that refer to one it replaced) (rule:cfn-update-only-changed).
func (w *world) groupKey(rev *revision, fn string, physical map[string]string) string {
	var names []string
	for _, a := range w.groupOf(rev, fn, physical).alarms {
		names = append(names, a.name())
	}
	return rev.fns[fn].group + strings.Join(names, ",")
}

// groupOf is the deployment group of fn as rev's template defines it.
func (w *world) groupOf(rev *revision, fn string, physical map[string]string) *groupState {
	d := rev.fns[fn].deployment
	g := &groupState{config: d.Config, strategy: d.StrategyValue(), enabled: d.AlarmsEnabled}
	if g.config == "" {
		g.config = d.Strategy
	}
	green := rev.fns[fn].aliasVersion
	if v, ok := physical[green]; ok {
		green = v
	}
	for _, a := range d.Alarms {
		ma := modelAlarm{path: a.Path}
		if rev.fns[fn].versioned[a.Path] {
			ma.version = green
		}
		g.alarms = append(g.alarms, ma)
	}
	return g
}

// gate runs the stack's release gate (package guard) when its properties changed (rule:cfn-custom-resource), with
// the names CloudFormation resolves (the model names functions and groups by their deployment's id), and returns
// the refusal.
func (w *world) gate(rev, old *revision) error {
	if rev.gate == nil || w.noGuard {
		return nil
	}
	kind := cfn.RequestCreate
	var before map[string]interface{}
	if old != nil && old.gate != nil {
		if testkit.JSONString(old.gate) == testkit.JSONString(rev.gate) {
			return nil
		}
		kind, before = cfn.RequestUpdate, w.resolveGate(old)
	}
	_, _, err := w.guard().Gate(context.Background(), cfn.Event{RequestType: kind, LogicalResourceID: "ReleaseGate",
		StackID: "arn:stack/Svc", ResourceProperties: w.resolveGate(rev), OldResourceProperties: before})
	if err != nil {
		w.logf("release gate refused: %v", err)
		return fmt.Errorf("release gate: %w", err)
	}
	return nil
}

// resolveGate is the gate's properties of rev as CloudFormation passes them to the guard.
func (w *world) resolveGate(rev *revision) map[string]interface{} {
	entries := map[string]interface{}{}
	for _, id := range rev.ids {
		f := rev.fns[id]
		if f.gate == nil {
			continue
		}
		e := map[string]interface{}{}
		for k, v := range f.gate {
			e[k] = v
		}
		e[block.GateFunctionName], e[guard.GateDeploymentGroup], e[guard.GateApplication] = id, id, "app"
		e[guard.GateDeploymentConfig] = w.groupOf(rev, id, nil).config
		entries[f.deployment.Path] = e
	}
	return map[string]interface{}{block.GateReleases: entries}
}

func (w *world) guard() *guard.Guard {
	api := &modelAPI{w: w}
	return &guard.Guard{Blocks: api, CloudFormation: api, CodeDeploy: api}
}

// templateVersion is the alias's version in the deployed template: what CloudFormation puts in the AppSpec as
// CurrentVersion.
func (w *world) templateVersion(rev *revision, fn string) string {
	v := rev.fns[fn].aliasVersion
	if p, ok := w.physical[v]; ok {
		return p
	}
	return v
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
	w.servesFn("Api", version)
}

func (w *world) servesFn(fn, version string) {
	w.t.Helper()
	a := w.fn(fn).alias
	if a.version != version || len(a.weights) > 0 {
		w.t.Fatalf("%s's alias serves %s, want %s alone\n%s", fn, a, version, strings.Join(w.log, "\n"))
	}
}

// consistent fails the test unless every alias serves its template's version alone: what CodeDeploy needs to
// start the next deployment (rule:codedeploy-appspec-current).
func (w *world) consistent() {
	w.t.Helper()
	for _, id := range w.stack.ids {
		w.servesFn(id, w.templateVersion(w.stack, id))
	}
}

// ---- an operator ----

// rollbackByHand rolls the finished release of each function back to the version it served before, as
// bluegreen rollback does: the deployed template rewritten by package revert (no synth), one stack update, and
// each release taken out of service blocked.
func (w *world) rollbackByHand(fns ...string) error {
	w.t.Helper()
	// The deployed template: the last successful operation's, also after a rollback
	// (rule:cfn-gettemplate-after-rollback).
	tmpl, err := revert.Parse(w.stack.raw)
	if err != nil {
		w.t.Fatal(err)
	}
	var pins []revert.Pin
	var blocked []block.Entry
	for _, fn := range fns {
		a, err := tmpl.FindAlias(w.stackFunctionID(fn), "live")
		if err != nil {
			w.t.Fatal(err)
		}
		rel := w.released[fn]
		if len(rel) < 2 {
			w.t.Fatalf("%s has no earlier release to go back to (%v)", fn, rel)
		}
		pins = append(pins, revert.Pin{AliasLogicalID: a.LogicalID, Version: rel[len(rel)-2]})
		blocked = append(blocked, block.Entry{Release: a.Release, Version: rel[len(rel)-1], At: modelEpoch.Add(w.clock),
			By: "oncall"})
	}
	changes, err := tmpl.Rollback(pins)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, c := range changes {
		w.logf("rollback template: %s", c)
	}
	rev := readRevision(w.t, w.stack.dir, tmpl.Bytes())
	w.logf("rollback by hand of %v", fns)
	if err := w.apply(rev); err != nil {
		return err
	}
	for i, fn := range fns {
		w.blocks[fn] = w.blocks[fn].With(blocked[i])
		w.released[fn] = append(w.released[fn], pins[i].Version)
	}
	return nil
}

// stackFunctionID is the logical id of fn's function in the deployed template.
func (w *world) stackFunctionID(fn string) string {
	var doc struct {
		Resources map[string]struct {
			Metadata map[string]interface{} `json:"Metadata"`
		} `json:"Resources"`
	}
	_ = json.Unmarshal(w.stack.raw, &doc)
	want := w.stack.fns[fn].deployment.Function + "/Resource"
	for id, r := range doc.Resources {
		if r.Metadata["aws:cdk:path"] == want {
			return id
		}
	}
	w.t.Fatalf("no function of %s in the template", fn)
	return ""
}

// unblock lifts every block of fn, as bluegreen unblock -all does.
func (w *world) unblock(fn string) { delete(w.blocks, fn) }

// ---- the model's AWS APIs, for the library's run-time code ----

// modelAPI answers the library's hooks and release guard from the world. d is the deployment a hook serves.
type modelAPI struct {
	w *world
	d *cdDeployment
	// crash ends the calling goroutine at its next read of a deployment, as a hook killed out of memory; armed
	// are the watchdog schedules created.
	crash bool
	armed []*scheduler.CreateScheduleInput
	// readOnly reads alarms without evaluating them (for a reader that is no part of the deployment: a notice).
	readOnly bool
}

func (m *modelAPI) deployment(id string) *cdDeployment {
	for _, d := range m.w.deployments {
		if d.id == id {
			return d
		}
	}
	return nil
}

func (m *modelAPI) info(d *cdDeployment) *cdtypes.DeploymentInfo {
	status := map[string]cdtypes.DeploymentStatus{"InProgress": "InProgress", "Succeeded": "Succeeded",
		"Stopped": "Stopped", "Failed": "Failed"}[d.status]
	info := &cdtypes.DeploymentInfo{DeploymentId: aws.String(d.id), ApplicationName: aws.String("app"),
		DeploymentGroupName: aws.String(d.fn), Status: status, Creator: d.creator,
		CreateTime: aws.Time(modelEpoch.Add(d.start)),
		Revision: &cdtypes.RevisionLocation{RevisionType: cdtypes.RevisionLocationTypeAppSpecContent,
			AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String(fmt.Sprintf(`{"version":0.0,"Resources":[{"fn":`+
				`{"Type":"AWS::Lambda::Function","Properties":{"Name":"%s","Alias":"live","CurrentVersion":"%s",`+
				`"TargetVersion":"%s"}}}]}`, d.fn, d.current, d.target))}}}
	// errorInformation: ALARM_ACTIVE names the alarms in a message AWS does not document (users report this one),
	// HOOK_EXECUTION_FAILURE a hook that reported Failed (CodeDeploy API reference, ErrorInformation).
	switch {
	case d.status == "Stopped" && d.alarm != "":
		info.ErrorInformation = &cdtypes.ErrorInformation{Code: cdtypes.ErrorCodeAlarmActive,
			Message: aws.String("One or more alarms have been activated according to the Amazon CloudWatch metrics " +
				"you selected, and the affected deployments have been stopped. Activated alarms: <" + d.alarm + ">")}
	case d.status == "Failed" && strings.Contains(d.reason, "hook failed"):
		info.ErrorInformation = &cdtypes.ErrorInformation{Code: cdtypes.ErrorCodeHookExecutionFailure,
			Message: aws.String("lifecycle event hook failed")}
	}
	return info
}

func (m *modelAPI) GetDeployment(_ context.Context, in *codedeploy.GetDeploymentInput, _ ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentOutput, error) {
	if m.crash {
		runtime.Goexit()
	}
	d := m.deployment(*in.DeploymentId)
	if d == nil {
		return nil, fmt.Errorf("no deployment %s", *in.DeploymentId)
	}
	return &codedeploy.GetDeploymentOutput{DeploymentInfo: m.info(d)}, nil
}

// ListDeploymentTargets names the deployment's one target: the alias it shifts.
func (m *modelAPI) ListDeploymentTargets(_ context.Context, in *codedeploy.ListDeploymentTargetsInput, _ ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentTargetsOutput, error) {
	d := m.deployment(*in.DeploymentId)
	if d == nil {
		return nil, fmt.Errorf("no deployment %s", *in.DeploymentId)
	}
	return &codedeploy.ListDeploymentTargetsOutput{TargetIds: []string{d.fn + ":live"}}, nil
}

// GetDeploymentTarget answers the alias's lifecycle events as the deployment ran them (rule:codedeploy-hooks): the
// hook that failed is Failed, with the model's reason as CodeDeploy's diagnostics, and the events after it Skipped.
func (m *modelAPI) GetDeploymentTarget(_ context.Context, in *codedeploy.GetDeploymentTargetInput, _ ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentTargetOutput, error) {
	d := m.deployment(*in.DeploymentId)
	if d == nil {
		return nil, fmt.Errorf("no deployment %s", *in.DeploymentId)
	}
	var events []cdtypes.LifecycleEvent
	failed := false
	for _, e := range []string{"BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"} {
		status := cdtypes.LifecycleEventStatusSucceeded
		switch {
		case failed:
			status = cdtypes.LifecycleEventStatusSkipped
		case d.active():
			status = cdtypes.LifecycleEventStatusInProgress
		case d.status == "Failed" && strings.HasPrefix(d.reason, e+" "), d.status == "Stopped" && e == "AllowTraffic":
			status, failed = cdtypes.LifecycleEventStatusFailed, true
		}
		ev := cdtypes.LifecycleEvent{LifecycleEventName: aws.String(e), Status: status}
		if status == cdtypes.LifecycleEventStatusFailed {
			ev.Diagnostics = &cdtypes.Diagnostics{Message: aws.String(d.reason)}
		}
		events = append(events, ev)
		if d.active() {
			break
		}
	}
	return &codedeploy.GetDeploymentTargetOutput{DeploymentTarget: &cdtypes.DeploymentTarget{
		DeploymentTargetType: cdtypes.DeploymentTargetTypeLambdaTarget,
		LambdaTarget:         &cdtypes.LambdaTarget{TargetId: aws.String(d.fn + ":live"), LifecycleEvents: events}}}, nil
}

func (m *modelAPI) GetApplicationRevision(context.Context, *codedeploy.GetApplicationRevisionInput, ...func(*codedeploy.Options)) (*codedeploy.GetApplicationRevisionOutput, error) {
	return nil, errors.New("the model's deployments carry their AppSpec")
}

func (m *modelAPI) GetDeploymentGroup(_ context.Context, in *codedeploy.GetDeploymentGroupInput, _ ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentGroupOutput, error) {
	g := m.w.groups[*in.DeploymentGroupName]
	if g == nil {
		return nil, fmt.Errorf("no group %s", *in.DeploymentGroupName)
	}
	var alarms []cdtypes.Alarm
	for _, a := range g.alarms {
		alarms = append(alarms, cdtypes.Alarm{Name: aws.String(a.name())})
	}
	return &codedeploy.GetDeploymentGroupOutput{DeploymentGroupInfo: &cdtypes.DeploymentGroupInfo{
		DeploymentGroupName: in.DeploymentGroupName, DeploymentConfigName: aws.String(g.config),
		AlarmConfiguration: &cdtypes.AlarmConfiguration{Enabled: g.enabled, Alarms: alarms}}}, nil
}

func (m *modelAPI) UpdateDeploymentGroup(_ context.Context, in *codedeploy.UpdateDeploymentGroupInput, _ ...func(*codedeploy.Options)) (*codedeploy.UpdateDeploymentGroupOutput, error) {
	g := m.w.groups[*in.CurrentDeploymentGroupName]
	if in.DeploymentConfigName != nil {
		s, ok := strategies[*in.DeploymentConfigName]
		if !ok {
			return nil, fmt.Errorf("no deployment configuration %s", *in.DeploymentConfigName)
		}
		g.config, g.strategy = *in.DeploymentConfigName, s
	}
	if in.AlarmConfiguration != nil {
		g.enabled = in.AlarmConfiguration.Enabled
	}
	m.w.logf("%s: group now %s, alarms on %v", *in.CurrentDeploymentGroupName, g.config, g.enabled)
	return &codedeploy.UpdateDeploymentGroupOutput{}, nil
}

func (m *modelAPI) ListDeploymentGroups(context.Context, *codedeploy.ListDeploymentGroupsInput, ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentGroupsOutput, error) {
	var names []string
	for n := range m.w.groups {
		names = append(names, n)
	}
	sort.Strings(names)
	return &codedeploy.ListDeploymentGroupsOutput{DeploymentGroups: names}, nil
}

func (m *modelAPI) ListDeployments(_ context.Context, in *codedeploy.ListDeploymentsInput, _ ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentsOutput, error) {
	var ids []string
	for _, d := range m.w.deployments {
		if d.fn == *in.DeploymentGroupName && d.active() {
			ids = append(ids, d.id)
		}
	}
	return &codedeploy.ListDeploymentsOutput{Deployments: ids}, nil
}

func (m *modelAPI) StopDeployment(_ context.Context, in *codedeploy.StopDeploymentInput, _ ...func(*codedeploy.Options)) (*codedeploy.StopDeploymentOutput, error) {
	d := m.deployment(*in.DeploymentId)
	if !d.active() {
		return nil, &cdtypes.DeploymentAlreadyCompletedException{Message: aws.String("The deployment is already complete")}
	}
	m.w.endings++
	d.status, d.reason, d.ended, d.endedAt = "Stopped", "stopped by the release guard", m.w.endings, m.w.clock
	m.w.changes = append(m.w.changes, stateChange{d: d, state: guard.StateStop}) // rule:codedeploy-event-states
	m.w.fn(d.fn).alias = aliasState{version: d.current}
	m.w.logf("%s: the release guard stopped %s: alias back on %s", d.fn, d.id, d.current)
	return &codedeploy.StopDeploymentOutput{Status: cdtypes.StopStatusSucceeded}, nil
}

func (m *modelAPI) PutLifecycleEventHookExecutionStatus(_ context.Context, in *codedeploy.PutLifecycleEventHookExecutionStatusInput, _ ...func(*codedeploy.Options)) (*codedeploy.PutLifecycleEventHookExecutionStatusOutput, error) {
	if _, done := m.w.reported[*in.LifecycleEventHookExecutionId]; done {
		return nil, &cdtypes.LifecycleEventAlreadyCompletedException{Message: aws.String("already completed")}
	}
	m.w.reported[*in.LifecycleEventHookExecutionId] = string(in.Status)
	return &codedeploy.PutLifecycleEventHookExecutionStatusOutput{}, nil
}

func (m *modelAPI) Invoke(_ context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	key := *in.FunctionName + ":" + *in.Qualifier
	if m.w.throttled > 0 && m.w.throttledSoFar[key] < m.w.throttled {
		m.w.throttledSoFar[key]++
		return nil, &lambdatypes.TooManyRequestsException{Message: aws.String("Rate Exceeded (throttled)"),
			Reason: "ReservedFunctionConcurrentInvocationLimitExceeded"}
	}
	if !m.w.preHookPasses(*in.Qualifier) || (m.w.broken != nil && m.w.broken(*in.FunctionName, *in.Qualifier)) {
		return &lambda.InvokeOutput{StatusCode: 200, FunctionError: aws.String("Unhandled"),
			Payload: []byte(`{"errorMessage":"boom"}`)}, nil
	}
	return &lambda.InvokeOutput{StatusCode: 200, Payload: []byte(`{"statusCode":200}`)}, nil
}

func (m *modelAPI) ListVersionsByFunction(_ context.Context, in *lambda.ListVersionsByFunctionInput, _ ...func(*lambda.Options)) (*lambda.ListVersionsByFunctionOutput, error) {
	out := &lambda.ListVersionsByFunctionOutput{Versions: []lambdatypes.FunctionConfiguration{
		{Version: aws.String("$LATEST"), FunctionArn: aws.String("arn:aws:lambda:eu-west-1:1:function:" + *in.FunctionName + ":$LATEST")}}}
	for _, v := range m.w.fn(*in.FunctionName).versions {
		n := strconv.Itoa(v.number)
		out.Versions = append(out.Versions, lambdatypes.FunctionConfiguration{Version: aws.String(n),
			FunctionArn: aws.String("arn:aws:lambda:eu-west-1:1:function:" + *in.FunctionName + ":" + n)})
	}
	return out, nil
}

func (m *modelAPI) ListAliases(_ context.Context, in *lambda.ListAliasesInput, _ ...func(*lambda.Options)) (*lambda.ListAliasesOutput, error) {
	a := m.w.fn(*in.FunctionName).alias
	out := lambdatypes.AliasConfiguration{Name: aws.String("live"), FunctionVersion: aws.String(a.version)}
	if len(a.weights) > 0 {
		out.RoutingConfig = &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: a.weights}
	}
	return &lambda.ListAliasesOutput{Aliases: []lambdatypes.AliasConfiguration{out}}, nil
}

func (m *modelAPI) DeleteFunction(_ context.Context, in *lambda.DeleteFunctionInput, _ ...func(*lambda.Options)) (*lambda.DeleteFunctionOutput, error) {
	if err := m.w.fn(*in.FunctionName).deleteVersion(*in.Qualifier); err != nil {
		return nil, &lambdatypes.ResourceConflictException{Message: aws.String(err.Error())}
	}
	m.w.logf("%s: the post-traffic hook pruned version %s", *in.FunctionName, *in.Qualifier)
	return &lambda.DeleteFunctionOutput{}, nil
}

func (m *modelAPI) ListEventSourceMappings(_ context.Context, in *lambda.ListEventSourceMappingsInput, _ ...func(*lambda.Options)) (*lambda.ListEventSourceMappingsOutput, error) {
	arn := *in.FunctionName
	fn := strings.Split(arn, ":")[6]
	if m.w.fn(fn).mappings[arn[strings.LastIndex(arn, ":")+1:]] {
		return &lambda.ListEventSourceMappingsOutput{EventSourceMappings: []lambdatypes.EventSourceMappingConfiguration{
			{UUID: aws.String("queue-mapping"), EventSourceArn: aws.String("arn:aws:sqs:eu-west-1:1:queue")}}}, nil
	}
	return &lambda.ListEventSourceMappingsOutput{}, nil
}

func (m *modelAPI) ListProvisionedConcurrencyConfigs(context.Context, *lambda.ListProvisionedConcurrencyConfigsInput, ...func(*lambda.Options)) (*lambda.ListProvisionedConcurrencyConfigsOutput, error) {
	return &lambda.ListProvisionedConcurrencyConfigsOutput{}, nil
}

func (m *modelAPI) GetFunction(_ context.Context, in *lambda.GetFunctionInput, _ ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	// The shared pre-traffic hook tags each function of its Targets with its key (the function's id).
	if m.d != nil && m.d.pre != nil {
		if _, ok := m.d.pre.cfg.Targets[*in.FunctionName]; ok {
			return &lambda.GetFunctionOutput{Tags: map[string]string{hookconfig.TargetTagKey: *in.FunctionName}}, nil
		}
	}
	return &lambda.GetFunctionOutput{}, nil
}

// GetProvisionedConcurrencyConfig answers for the alias, which alone has a configuration (rule:lambda-pc-alias):
// READY at the amount it has, however the shift routes it.
func (m *modelAPI) GetProvisionedConcurrencyConfig(_ context.Context, in *lambda.GetProvisionedConcurrencyConfigInput, _ ...func(*lambda.Options)) (*lambda.GetProvisionedConcurrencyConfigOutput, error) {
	l := m.w.fn(*in.FunctionName)
	if *in.Qualifier != "live" || l.provisioned == 0 {
		return nil, &lambdatypes.ProvisionedConcurrencyConfigNotFoundException{Message: aws.String("No Provisioned Concurrency Config found for this function")}
	}
	n := aws.Int32(int32(l.provisioned))
	return &lambda.GetProvisionedConcurrencyConfigOutput{Status: lambdatypes.ProvisionedConcurrencyStatusEnumReady,
		RequestedProvisionedConcurrentExecutions: n, AllocatedProvisionedConcurrentExecutions: n,
		AvailableProvisionedConcurrentExecutions: n}, nil
}

// GetMetricStatistics sums the invocations green served through the alias that CloudWatch shows: minutes with
// invocations, up to the metric lag late (rule:lambda-metrics).
func (m *modelAPI) GetMetricStatistics(_ context.Context, in *cloudwatch.GetMetricStatisticsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricStatisticsOutput, error) {
	dims := map[string]string{}
	for _, d := range in.Dimensions {
		dims[*d.Name] = *d.Value
	}
	sum := 0.0
	for _, s := range m.w.served {
		at := modelEpoch.Add(s.at)
		if s.fn == dims["FunctionName"] && s.version == dims["ExecutedVersion"] && !at.Before(*in.StartTime) &&
			!at.After(in.EndTime.Add(-2*time.Minute)) {
			sum += s.n
		}
	}
	if sum == 0 {
		return &cloudwatch.GetMetricStatisticsOutput{}, nil
	}
	return &cloudwatch.GetMetricStatisticsOutput{Datapoints: []cwtypes.Datapoint{{Sum: aws.Float64(sum)}}}, nil
}

func (m *modelAPI) DescribeAlarms(_ context.Context, in *cloudwatch.DescribeAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	out := &cloudwatch.DescribeAlarmsOutput{}
	g := m.w.groups[m.d.fn]
	for _, name := range in.AlarmNames {
		state := cwtypes.StateValueOk
		for _, a := range g.alarms {
			if a.name() != name {
				continue
			}
			// A reader after the fact (a notice) sees the state the alarm was left in; a hook evaluates it.
			if (m.readOnly && (m.w.alarmState[name] || m.w.alarmFires(a.path, a.version, m.w.clock-m.d.start))) ||
				(!m.readOnly && m.w.alarmIn(a, m.w.clock-m.d.start)) {
				state = cwtypes.StateValueAlarm
			}
		}
		if in.StateValue != "" && in.StateValue != state {
			continue // only the alarms in the state asked for
		}
		out.MetricAlarms = append(out.MetricAlarms, cwtypes.MetricAlarm{AlarmName: aws.String(name), StateValue: state})
	}
	return out, nil
}

func (m *modelAPI) CreateSchedule(_ context.Context, in *scheduler.CreateScheduleInput, _ ...func(*scheduler.Options)) (*scheduler.CreateScheduleOutput, error) {
	m.armed = append(m.armed, in)
	return &scheduler.CreateScheduleOutput{}, nil
}

func (m *modelAPI) DeleteSchedule(context.Context, *scheduler.DeleteScheduleInput, ...func(*scheduler.Options)) (*scheduler.DeleteScheduleOutput, error) {
	return &scheduler.DeleteScheduleOutput{}, nil
}

// Get reads a function's blocked releases (the guard's block.Store).
func (m *modelAPI) Get(_ context.Context, fn string) (block.List, error) {
	l := m.w.blocks[fn]
	l.Function = fn
	return l, nil
}

func (m *modelAPI) DescribeStacks(context.Context, *cloudformation.DescribeStacksInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	return &cloudformation.DescribeStacksOutput{Stacks: []cftypes.Stack{{StackName: aws.String("Svc"),
		StackStatus: cftypes.StackStatus(m.w.status)}}}, nil
}

func hasKey(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}
