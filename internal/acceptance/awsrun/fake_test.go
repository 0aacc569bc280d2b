package awsrun

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/safeship/lambda-bluegreen/internal/acceptance"
	"github.com/safeship/lambda-bluegreen/internal/block"
)

// fakeClock moves only when someone sleeps: no test waits in real time.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// advanceTo moves the clock to t, if it is earlier.
func (c *fakeClock) advanceTo(t time.Time) {
	c.mu.Lock()
	if c.now.Before(t) {
		c.now = t
	}
	c.mu.Unlock()
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.advance(d)
	runtime.Gosched()
	return ctx.Err()
}

// stepState is what AWS looks like after a step, by function id where per function: the model's observations of
// the step (acceptance.ModelResult), never the table's wanted values.
type stepState struct {
	outcome, stack, errText, notifications string
	// took is the model's time for the step's stack operation.
	took time.Duration
	// noOp: the deploy changes nothing, so CloudFormation runs no operation (the model's stack stays CREATE_*
	// after a later step).
	noOp                                bool
	alias, versions, provisioned, watch map[string]string
	// detected: the model measured a detection time, so green served failing requests before the alias went
	// back to blue.
	detected bool
}

// modelStates are the states the agreeing fake plays for the scenario: the model's observations of each step.
func modelStates(t *testing.T, s acceptance.Scenario, model acceptance.Result) []stepState {
	m, ok := model.Scenario(s.Name)
	if !ok || len(m.Steps) != len(s.Steps) {
		t.Fatalf("the model's result has no run of %s with its %d steps", s.Name, len(s.Steps))
	}
	var out []stepState
	for i := range s.Steps {
		v := m.Steps[i].Values
		cur := stepState{outcome: v[acceptance.WhatOutcome], stack: v[acceptance.WhatStack], errText: v[acceptance.WhatError],
			notifications: v[acceptance.WhatNotifications], alias: map[string]string{}, versions: map[string]string{},
			provisioned: map[string]string{}, watch: map[string]string{}}
		cur.took, _ = time.ParseDuration(v[acceptance.WhatTook])
		cur.noOp = i > 0 && strings.HasPrefix(cur.stack, "CREATE_")
		_, cur.detected = v[acceptance.WhatDetection]
		for k, val := range v {
			switch what, fn := acceptance.Split(k); what {
			case acceptance.WhatAlias:
				cur.alias[fn] = val
			case acceptance.WhatVersions:
				cur.versions[fn] = val
			case acceptance.WhatProvisioned:
				cur.provisioned[fn] = val
			case acceptance.WhatWatch:
				cur.watch[fn] = val
			}
		}
		out = append(out, cur)
	}
	return out
}

// physical is a name as CloudFormation generates it for a resource of the stack: the stack's name, the logical
// id's prefix and a suffix of its own.
func physical(stack, id, kind string) string {
	h := fnv.New32a()
	h.Write([]byte(stack + "/" + id + "/" + kind))
	return fmt.Sprintf("%s-%s%s%06X", stack, id, kind, h.Sum32()&0xFFFFFF)
}

func functionName(stack, id string) string { return physical(stack, id, "Function") }

func queueURL(stack string) string {
	return "https://sqs.eu-west-1.amazonaws.com/123456789012/" + physical(stack, "", "NotificationQueue")
}

type fakeEvent struct {
	status string
	at     time.Time
}

type fakeMessage struct {
	body      string
	visibleAt time.Time
}

type fakePoint struct {
	at    time.Time
	value float64
}

type fakeStack struct {
	name, status, reason string
	tags                 map[string]string
	fns                  []string // the function ids its outputs name
	business             bool     // its release has the business alarm (the output BusinessAlarmName)
	scenario             acceptance.Scenario
	states               []stepState
	step                 int // steps applied
	state                stepState
	weights              map[string]map[string]float64
	queue                []fakeMessage
	events               []fakeEvent // oldest first
	metric               []fakePoint
	hang                 bool // a deletion that never ends
	deleteFails          int  // deletions that end DELETE_FAILED
	// inProgress: the describes left before an operation an interrupt left running reaches next.
	inProgress int
	next       string
}

type fakeDeployment struct {
	id, group string
	created   time.Time
	exit      int
}

type fnRef struct{ stack, id string }

// fakeAWS is an account whose state changes, at each step, to the model's observations of it (modelStates), with
// the names CloudFormation generates, through fake clients, a fake Deployer and fake Commands.
type fakeAWS struct {
	t           *testing.T
	mu          sync.Mutex
	clock       *fakeClock
	account     string
	model       acceptance.Result
	stacks      map[string]*fakeStack
	names       map[string]fnRef // function and deployment group names
	deployments []fakeDeployment
	params      map[string]string // SSM parameters
	// calls logs every call that creates, changes or reads a stack, and every deploy and command.
	calls   []string
	invokes int
	metrics int
	// alarmAtAction is the business alarm's state as each step's deploy or command starts, by "scenario/step".
	alarmAtAction map[string]string

	// Faults injected, in scenario failIn: the Deployer fails at step deployErrAt; GetAlias fails after step
	// aliasErrAt; cancel is called during step cancelAt (leaving the stack UPDATE_IN_PROGRESS for three more
	// describes with cancelMidUpdate); ReceiveMessage fails after step receiveErrAt; watch fails after step
	// watchErrAt; DescribeStacks fails before the first deploy with beginErr.
	failIn                            string
	deployErrAt, aliasErrAt, cancelAt int
	receiveErrAt, watchErrAt          int
	cancelMidUpdate, beginErr         bool
	cancel                            context.CancelFunc
	contradict                        func(scenario string, step int, s *stepState)
	// noticeDelay is how long after a stack operation its notices reach the queue; lateNotice holds the last notice
	// of step lateAt of failIn back 3 more minutes.
	noticeDelay        time.Duration
	lateAt             int
	hang               bool // every stack's deletion never ends
	alarmStuck         bool // the business alarm stays OK whatever the metric
	deleteFails        int  // every stack's first deletions that fail
	failSeen, blueSeen chan struct{}
	// waitingBlue is the function whose alias CodeDeploy has put back on blue, until the generator reads it;
	// weightsRead says the generator has read green's weights on the alias (it knows green) in this step.
	waitingBlue string
	weightsRead bool
	// failMode is how green's release fails while it takes traffic in the step being played ("" for none).
	failMode acceptance.FailMode
}

func newFakeAWS(t *testing.T) *fakeAWS {
	model, err := acceptance.ModelResult()
	if err != nil {
		t.Fatal(err)
	}
	return &fakeAWS{t: t, clock: &fakeClock{now: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}, account: "123456789012",
		model: model, stacks: map[string]*fakeStack{}, names: map[string]fnRef{}, params: map[string]string{},
		alarmAtAction: map[string]string{}, deployErrAt: -1, aliasErrAt: -1, cancelAt: -1, receiveErrAt: -1,
		watchErrAt: -1, lateAt: -1, noticeDelay: 40 * time.Second,
		failSeen: make(chan struct{}, 1), blueSeen: make(chan struct{}, 1)}
}

func (f *fakeAWS) log(format string, args ...interface{}) {
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *fakeAWS) logged(prefix string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeAWS) clients() Clients {
	return Clients{STS: fakeSTS{f}, CloudFormation: fakeCFN{f}, Lambda: fakeLambda{f}, CloudWatch: fakeCW{f},
		SQS: fakeSQS{f}, CodeDeploy: fakeCD{f}, SSM: fakeSSM{f}}
}

func (f *fakeAWS) deps() Deps {
	return Deps{Clients: f.clients(), Deployer: fakeDeployer{f}, Commands: fakeCommands{f}}
}

func (f *fakeAWS) config(t *testing.T, scenarios ...string) Config {
	return Config{Account: "123456789012", Region: "eu-west-1", Run: "t1", Scenarios: scenarios, Yes: true,
		ReportDir: t.TempDir(), Clock: f.clock, LibraryVersion: "v0.0.0-test"}
}

// addStack adds a stack the run did not create (or did, in an earlier run), with the named functions.
func (f *fakeAWS) addStack(name string, tags map[string]string, fns ...string) *fakeStack {
	st := &fakeStack{name: name, status: "UPDATE_COMPLETE", tags: tags, fns: fns}
	f.stacks[name] = st
	for _, id := range fns {
		f.names[functionName(name, id)] = fnRef{name, id}
	}
	return st
}

func apiErr(code, msg string) error { return &smithy.GenericAPIError{Code: code, Message: msg} }

func (f *fakeAWS) fnStack(fnName string) (*fakeStack, string) {
	r := f.names[fnName]
	return f.stacks[r.stack], r.id
}

// alarmState is the business alarm's state now: one-minute periods, 1 of 1 data points, evaluated 30 s after the
// period, missing data not breaching. Called with f.mu held.
func (f *fakeAWS) alarmState(st *fakeStack) string {
	now := f.clock.Now()
	state := "OK"
	for _, p := range st.metric {
		if p.at.After(now.Add(-90*time.Second)) && !p.at.After(now.Add(-30*time.Second)) {
			if p.value < acceptance.BusinessThreshold {
				return "ALARM"
			}
		}
	}
	return state
}

// cdkFailure is how the CDK CLI reports a failed deploy.
func cdkFailure(stack, why string) string {
	return fmt.Sprintf("❌  %s failed: ToolkitError: The stack named %s failed to deploy: UPDATE_ROLLBACK_COMPLETE: %s",
		stack, stack, why)
}

// step applies the next step of the stack's scenario (a deploy, or a command: a rollback updates the stack, an
// unblock does not): the model's state, its stack events, its notices and its deployments.
func (f *fakeAWS) step(ctx context.Context, name, run string, action acceptance.Action) (DeployResult, error) {
	f.mu.Lock()
	st := f.stacks[name]
	if st == nil {
		i, _ := strconv.Atoi(name[strings.LastIndex(name, "-")+1:])
		sc := acceptance.Scenarios[i]
		st = &fakeStack{name: name, tags: map[string]string{acceptance.TagKey: run, "team": "x"}, scenario: sc,
			states: modelStates(f.t, sc, f.model), weights: map[string]map[string]float64{}, hang: f.hang,
			deleteFails: f.deleteFails}
		f.stacks[name] = st
	}
	i := st.step
	sc := st.scenario
	f.alarmAtAction[fmt.Sprintf("%s/%d", sc.Name, i)] = f.alarmState(st)
	s := st.states[i]
	if f.contradict != nil {
		f.contradict(sc.Name, i, &s)
	}
	f.mu.Unlock()
	if sc.Name == f.failIn && i == f.deployErrAt {
		return DeployResult{}, fmt.Errorf("cdk: exit status 1: no credentials")
	}
	if action == acceptance.Deploy {
		// Synthesis, the asset upload and the change set come first; a new stack waits in REVIEW_IN_PROGRESS.
		f.clock.advance(90 * time.Second)
		if i == 0 {
			f.mu.Lock()
			st.status = "REVIEW_IN_PROGRESS"
			st.events = append(st.events, fakeEvent{"REVIEW_IN_PROGRESS", f.clock.Now().Add(-20 * time.Second)})
			f.mu.Unlock()
		}
	}
	if s.noOp || action == acceptance.Unblock {
		f.clock.advance(3 * time.Second)
		f.mu.Lock()
		st.step++
		st.state = s
		f.mu.Unlock()
		return DeployResult{OK: true}, nil
	}
	if sc.Name == f.failIn && i == f.cancelAt && !f.cancelMidUpdate {
		f.cancel() // before the operation starts: cdk ends with the change set not executed
		return DeployResult{}, ctx.Err()
	}
	f.mu.Lock()
	opStart := f.clock.Now()
	inProgress := "UPDATE_IN_PROGRESS"
	if i == 0 {
		inProgress = "CREATE_IN_PROGRESS"
	}
	st.status = inProgress
	st.events = append(st.events, fakeEvent{inProgress, opStart})
	f.mu.Unlock()
	if sc.Name == f.failIn && i == f.cancelAt {
		// The operation goes on after the interrupt: three more describes show it in progress.
		f.mu.Lock()
		st.inProgress, st.next = 3, s.stack
		f.mu.Unlock()
		f.cancel()
		return DeployResult{}, ctx.Err()
	}
	// An error burst, or a bad release whose green the model saw fail: green takes part of the traffic until the
	// generator's failing request (one that asks green to fail, or any request green serves while its release
	// fails: an error, or an answer after acceptance.SlowDelay), then CodeDeploy puts the alias back on blue and the
	// generator reads it.
	var failing []string
	for _, ft := range sc.Steps[i].Faults {
		if ft.Kind == acceptance.ErrorBurst {
			failing = append(failing, or(ft.Function, acceptance.Api))
		}
	}
	if r := sc.Steps[i].Release; action == acceptance.Deploy && r.Fail != "" && s.detected {
		failing = append(failing, r.Functions()[0])
		f.mu.Lock()
		f.failMode = r.Fail
		f.mu.Unlock()
	}
	for _, fn := range failing {
		f.mu.Lock()
		// A signal left by an earlier step's failing requests (several can fail before the alias moves) is stale.
		select {
		case <-f.failSeen:
		default:
		}
		st.weights[fn] = map[string]float64{"g": 0.1}
		f.weightsRead = false
		f.mu.Unlock()
		select {
		case <-f.failSeen:
		case <-time.After(5 * time.Second):
			f.t.Errorf("%s step %d: the generator sent green no failing request", sc.Name, i+1)
		}
		f.clock.advance(time.Minute)
		f.mu.Lock()
		delete(st.weights, fn)
		f.waitingBlue = fn
		f.mu.Unlock()
		select {
		case <-f.blueSeen:
		case <-time.After(5 * time.Second):
			f.t.Errorf("%s step %d: the generator did not read the alias back on blue", sc.Name, i+1)
		}
	}
	f.mu.Lock()
	f.failMode = ""
	f.mu.Unlock()
	end := opStart.Add(s.took)
	f.clock.advanceTo(end)
	f.mu.Lock()
	defer f.mu.Unlock()
	errText := s.errText
	if strings.HasPrefix(errText, "release gate: ") {
		// The release gate refuses with block.Refusal for the function's name, as the stack names it.
		errText = ""
		for _, id := range st.fns {
			fn := functionName(name, id)
			if v, ok := f.params[block.ParameterName(fn)]; ok {
				l, _ := block.Parse(v)
				errText = cdkFailure(name, "Received response status [FAILED] from custom resource. Message returned: "+
					block.Refusal(fn, l.Entries[0]))
			}
		}
		if errText == "" {
			f.t.Errorf("%s step %d: the model's release gate refused a release no rollback blocked", sc.Name, i+1)
		}
	} else if errText != "" {
		errText = cdkFailure(name, errText)
	}
	if strings.Contains(s.stack, "ROLLBACK") {
		st.events = append(st.events, fakeEvent{strings.Replace(s.stack, "_COMPLETE", "_IN_PROGRESS", 1), end.Add(-time.Second)})
	}
	st.events = append(st.events, fakeEvent{s.stack, end})
	st.step++
	st.state, st.status = s, s.stack
	if action == acceptance.Deploy {
		st.business = sc.Steps[i].Release.Business
		st.fns = sc.Steps[i].Release.Functions()
		for _, id := range st.fns {
			f.names[functionName(name, id)] = fnRef{name, id}
			f.names[physical(name, id, "DeploymentGroup")] = fnRef{name, id}
		}
	}
	for _, fn := range st.fns {
		if w := s.watch[fn]; w != "none" && w != "" {
			exit, _ := strconv.Atoi(w)
			f.deployments = append(f.deployments, fakeDeployment{id: fmt.Sprintf("d-%d", len(f.deployments)+1),
				group: physical(name, fn, "DeploymentGroup"), created: opStart.Add(5 * time.Second), exit: exit})
		}
	}
	if s.notifications != "none" {
		outcomes := strings.Split(s.notifications, ",")
		for j, o := range outcomes {
			env, _ := json.Marshal(map[string]string{"Type": "Notification", "Subject": "Deployment " + o + ": api (alias live): version 1 -> 2",
				"Message": "Deployment " + o + ": api (alias live): version 1 → 2\n", "Timestamp": opStart.Add(time.Duration(j+10) * time.Second).Format(time.RFC3339Nano)})
			visible := f.clock.Now().Add(f.noticeDelay)
			if sc.Name == f.failIn && i == f.lateAt && j == len(outcomes)-1 {
				visible = visible.Add(3 * time.Minute) // after the step's quiet minute, before the next step reads
			}
			// SQS does not keep the order: the backend sorts by SNS's Timestamp.
			st.queue = append([]fakeMessage{{string(env), visible}}, st.queue...)
		}
	}
	f.clock.advance(5 * time.Second) // the CDK CLI's polling
	return DeployResult{OK: s.outcome == acceptance.OutcomeComplete, Error: errText}, nil
}

func or(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}

type fakeDeployer struct{ f *fakeAWS }

func (d fakeDeployer) Deploy(ctx context.Context, dep Deployment) (DeployResult, error) {
	d.f.mu.Lock()
	d.f.log("Deploy %s", dep.Stack)
	d.f.mu.Unlock()
	return d.f.step(ctx, dep.Stack, dep.Run, acceptance.Deploy)
}

type fakeCommands struct{ f *fakeAWS }

func (c fakeCommands) run(ctx context.Context, action acceptance.Action, fn Function) (CommandResult, error) {
	f := c.f
	f.mu.Lock()
	f.log("%s %s", action, fn.Name)
	st, _ := f.fnStack(fn.Name)
	switch action {
	case acceptance.RollbackByHand:
		// bluegreen rollback blocks the release it rolls back (SSM, outside the stack), then updates the stack.
		l := block.List{Function: fn.Name}.With(block.Entry{Release: "ApiFunctionCurrentVersion478B78C8f6c07c4a0c32d5bf0acf818e8a1804ba",
			Version: st.state.alias[acceptance.Api], Stack: st.name, At: f.clock.Now(), By: "arn:aws:sts::123456789012:assumed-role/Admin/oncall"})
		v, _ := l.Marshal()
		f.params[block.ParameterName(fn.Name)] = v
	case acceptance.Unblock:
		delete(f.params, block.ParameterName(fn.Name))
	}
	f.mu.Unlock()
	r, err := f.step(ctx, fn.Stack, "t1", action)
	if err != nil {
		return CommandResult{}, err
	}
	if !r.OK {
		return CommandResult{Exit: 1, Output: r.Error}, nil
	}
	return CommandResult{}, nil
}

func (c fakeCommands) Rollback(ctx context.Context, fn Function) (CommandResult, error) {
	return c.run(ctx, acceptance.RollbackByHand, fn)
}

func (c fakeCommands) Unblock(ctx context.Context, fn Function) (CommandResult, error) {
	return c.run(ctx, acceptance.Unblock, fn)
}

func (c fakeCommands) Watch(_ context.Context, fn Function, id string) (CommandResult, error) {
	f := c.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if st, _ := f.fnStack(fn.Name); st != nil && st.scenario.Name == f.failIn && st.step-1 == f.watchErrAt {
		return CommandResult{}, fmt.Errorf("fake: watch could not start")
	}
	for _, d := range f.deployments {
		if d.id == id {
			return CommandResult{Exit: d.exit}, nil
		}
	}
	return CommandResult{Exit: 6}, nil
}

type fakeSTS struct{ f *fakeAWS }

func (s fakeSTS) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return &sts.GetCallerIdentityOutput{Account: aws.String(s.f.account)}, nil
}

type fakeCFN struct{ f *fakeAWS }

func (c fakeCFN) stack(st *fakeStack) cfntypes.Stack {
	out := cfntypes.Stack{StackName: aws.String(st.name), StackStatus: cfntypes.StackStatus(st.status), StackStatusReason: aws.String(st.reason)}
	for k, v := range st.tags {
		out.Tags = append(out.Tags, cfntypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	o := func(k, v string) {
		out.Outputs = append(out.Outputs, cfntypes.Output{OutputKey: aws.String(k), OutputValue: aws.String(v)})
	}
	if len(st.fns) > 0 {
		o(acceptance.OutputQueueURL, queueURL(st.name))
		o(acceptance.OutputApplication, physical(st.name, "", "Application"))
		for _, fn := range st.fns {
			o(acceptance.OutputFunctionName+fn, functionName(st.name, fn))
			o(acceptance.OutputDeploymentGroup+fn, physical(st.name, fn, "DeploymentGroup"))
		}
		if st.business {
			o(acceptance.OutputBusinessAlarm, physical(st.name, "", "BusinessAlarm"))
		}
	}
	return out
}

func (c fakeCFN) DescribeStacks(_ context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	f := c.f
	f.mu.Lock()
	defer f.mu.Unlock()
	name := aws.ToString(in.StackName)
	f.log("DescribeStacks %s", name)
	if name == "" {
		// The documented policy grants DescribeStacks on the run's stacks only: a call without a StackName needs it on
		// every stack.
		return nil, apiErr("AccessDenied", "User is not authorized to perform: cloudformation:DescribeStacks on resource: arn:aws:cloudformation:eu-west-1:123456789012:stack/*/*")
	}
	if f.beginErr {
		return nil, apiErr("AccessDenied", "User is not authorized to perform: cloudformation:DescribeStacks")
	}
	st := f.stacks[name]
	if st == nil || st.status == "DELETE_COMPLETE" {
		return nil, apiErr("ValidationError", "Stack with id "+name+" does not exist")
	}
	out := &cloudformation.DescribeStacksOutput{Stacks: []cfntypes.Stack{c.stack(st)}}
	switch {
	case st.inProgress > 0:
		if st.inProgress--; st.inProgress == 0 {
			st.status = st.next
			st.events = append(st.events, fakeEvent{st.next, f.clock.Now()})
		}
	case st.status == "DELETE_IN_PROGRESS" && st.hang:
	case st.status == "DELETE_IN_PROGRESS" && st.deleteFails > 0:
		st.deleteFails--
		st.status, st.reason = "DELETE_FAILED", "The following resource(s) failed to delete: [NotificationKey]."
	case st.status == "DELETE_IN_PROGRESS":
		st.status = "DELETE_COMPLETE"
	}
	return out, nil
}

func (c fakeCFN) ListStacks(_ context.Context, in *cloudformation.ListStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.ListStacksOutput, error) {
	f := c.f
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log("ListStacks")
	want := map[string]bool{}
	for _, s := range in.StackStatusFilter {
		want[string(s)] = true
	}
	if len(want) == 0 || want["DELETE_COMPLETE"] || !want["REVIEW_IN_PROGRESS"] || !want["DELETE_FAILED"] {
		f.t.Errorf("ListStacks filter %v: want every status but DELETE_COMPLETE", in.StackStatusFilter)
	}
	var names []string
	for n, st := range f.stacks {
		if want[st.status] {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	from, _ := strconv.Atoi(aws.ToString(in.NextToken))
	out := &cloudformation.ListStacksOutput{}
	for i := from; i < len(names) && i < from+2; i++ {
		st := f.stacks[names[i]]
		out.StackSummaries = append(out.StackSummaries, cfntypes.StackSummary{StackName: aws.String(st.name),
			StackStatus: cfntypes.StackStatus(st.status)})
	}
	if from+2 < len(names) {
		out.NextToken = aws.String(strconv.Itoa(from + 2))
	}
	return out, nil
}

func (c fakeCFN) DescribeStackEvents(_ context.Context, in *cloudformation.DescribeStackEventsInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStackEventsOutput, error) {
	f := c.f
	f.mu.Lock()
	defer f.mu.Unlock()
	name := aws.ToString(in.StackName)
	st := f.stacks[name]
	if st == nil {
		return nil, apiErr("ValidationError", "Stack with id "+name+" does not exist")
	}
	// Newest first, three a page, each stack event among its resources' events.
	var all []cfntypes.StackEvent
	for i := len(st.events) - 1; i >= 0; i-- {
		e := st.events[i]
		all = append(all, cfntypes.StackEvent{LogicalResourceId: aws.String(name), ResourceType: aws.String("AWS::CloudFormation::Stack"),
			ResourceStatus: cfntypes.ResourceStatus(e.status), Timestamp: aws.Time(e.at), StackName: aws.String(name)},
			cfntypes.StackEvent{LogicalResourceId: aws.String("ApiAliasLive"), ResourceType: aws.String("AWS::Lambda::Alias"),
				ResourceStatus: cfntypes.ResourceStatusUpdateInProgress, Timestamp: aws.Time(e.at), StackName: aws.String(name)})
	}
	from, _ := strconv.Atoi(aws.ToString(in.NextToken))
	out := &cloudformation.DescribeStackEventsOutput{}
	for i := from; i < len(all) && i < from+3; i++ {
		out.StackEvents = append(out.StackEvents, all[i])
	}
	if from+3 < len(all) {
		out.NextToken = aws.String(strconv.Itoa(from + 3))
	}
	return out, nil
}

func (c fakeCFN) DeleteStack(_ context.Context, in *cloudformation.DeleteStackInput, _ ...func(*cloudformation.Options)) (*cloudformation.DeleteStackOutput, error) {
	f := c.f
	f.mu.Lock()
	defer f.mu.Unlock()
	name := aws.ToString(in.StackName)
	f.log("DeleteStack %s", name)
	if st := f.stacks[name]; st != nil {
		if strings.HasSuffix(st.status, "_IN_PROGRESS") && st.status != "REVIEW_IN_PROGRESS" {
			f.t.Errorf("DeleteStack %s while %s: the backend must wait for the operation", name, st.status)
		}
		st.status = "DELETE_IN_PROGRESS"
	}
	return &cloudformation.DeleteStackOutput{}, nil
}

type fakeLambda struct{ f *fakeAWS }

func (l fakeLambda) GetAlias(_ context.Context, in *lambda.GetAliasInput, _ ...func(*lambda.Options)) (*lambda.GetAliasOutput, error) {
	f := l.f
	f.mu.Lock()
	defer f.mu.Unlock()
	st, fn := f.fnStack(aws.ToString(in.FunctionName))
	if st == nil {
		return nil, apiErr("ResourceNotFoundException", "Function not found: "+aws.ToString(in.FunctionName))
	}
	if st.scenario.Name == f.failIn && st.step-1 == f.aliasErrAt {
		return nil, apiErr("AccessDeniedException", "fake: not authorized to perform lambda:GetAlias")
	}
	out := &lambda.GetAliasOutput{FunctionVersion: aws.String(st.state.alias[fn])}
	if w := st.weights[fn]; len(w) > 0 {
		out.RoutingConfig = &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: w}
		f.weightsRead = true
	} else if f.waitingBlue == fn {
		f.waitingBlue = ""
		f.blueSeen <- struct{}{}
	}
	return out, nil
}

func (l fakeLambda) ListVersionsByFunction(_ context.Context, in *lambda.ListVersionsByFunctionInput, _ ...func(*lambda.Options)) (*lambda.ListVersionsByFunctionOutput, error) {
	f := l.f
	f.mu.Lock()
	defer f.mu.Unlock()
	st, fn := f.fnStack(aws.ToString(in.FunctionName))
	out := &lambda.ListVersionsByFunctionOutput{Versions: []lambdatypes.FunctionConfiguration{{Version: aws.String("$LATEST")}}}
	// Lambda lists them in its own order: the backend sorts them.
	vs := strings.Split(st.state.versions[fn], ",")
	for i := len(vs) - 1; i >= 0; i-- {
		out.Versions = append(out.Versions, lambdatypes.FunctionConfiguration{Version: aws.String(vs[i])})
	}
	return out, nil
}

func (l fakeLambda) Invoke(_ context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	f := l.f
	f.mu.Lock()
	defer f.mu.Unlock()
	f.invokes++
	st, fn := f.fnStack(aws.ToString(in.FunctionName))
	var req acceptance.Request
	_ = json.Unmarshal(in.Payload, &req)
	if w := st.weights[fn]; req.FailVersion != "" && w[req.FailVersion] > 0 {
		select {
		case f.failSeen <- struct{}{}:
		default:
		}
		return &lambda.InvokeOutput{ExecutedVersion: aws.String(req.FailVersion), FunctionError: aws.String("Unhandled")}, nil
	}
	if w := st.weights[fn]; f.failMode != "" && w["g"] > 0 && f.weightsRead {
		// A bad release's green serves this request (the fake routes them all to it) and fails its way.
		select {
		case f.failSeen <- struct{}{}:
		default:
		}
		if f.failMode == acceptance.FailLatency {
			f.clock.advance(acceptance.SlowDelay)
			return &lambda.InvokeOutput{ExecutedVersion: aws.String("g")}, nil
		}
		return &lambda.InvokeOutput{ExecutedVersion: aws.String("g"), FunctionError: aws.String("Unhandled")}, nil
	}
	return &lambda.InvokeOutput{ExecutedVersion: aws.String(st.state.alias[fn])}, nil
}

func (l fakeLambda) GetProvisionedConcurrencyConfig(_ context.Context, in *lambda.GetProvisionedConcurrencyConfigInput, _ ...func(*lambda.Options)) (*lambda.GetProvisionedConcurrencyConfigOutput, error) {
	f := l.f
	f.mu.Lock()
	defer f.mu.Unlock()
	st, fn := f.fnStack(aws.ToString(in.FunctionName))
	n, _ := strconv.Atoi(st.state.provisioned[fn])
	if n == 0 {
		return nil, apiErr("ProvisionedConcurrencyConfigNotFoundException", "No Provisioned Concurrency Config found")
	}
	return &lambda.GetProvisionedConcurrencyConfigOutput{RequestedProvisionedConcurrentExecutions: aws.Int32(int32(n))}, nil
}

type fakeCW struct{ f *fakeAWS }

func (c fakeCW) PutMetricData(_ context.Context, in *cloudwatch.PutMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error) {
	f := c.f
	f.mu.Lock()
	defer f.mu.Unlock()
	f.metrics++
	for _, d := range in.MetricData {
		for _, dim := range d.Dimensions {
			if st := f.stacks[aws.ToString(dim.Value)]; st != nil {
				st.metric = append(st.metric, fakePoint{aws.ToTime(d.Timestamp), aws.ToFloat64(d.Value)})
			}
		}
	}
	return &cloudwatch.PutMetricDataOutput{}, nil
}

func (c fakeCW) DescribeAlarms(_ context.Context, in *cloudwatch.DescribeAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	f := c.f
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &cloudwatch.DescribeAlarmsOutput{}
	for _, name := range in.AlarmNames {
		for _, st := range f.stacks {
			if st.business && physical(st.name, "", "BusinessAlarm") == name {
				state := f.alarmState(st)
				if f.alarmStuck {
					state = "OK"
				}
				out.MetricAlarms = append(out.MetricAlarms, cwtypes.MetricAlarm{AlarmName: aws.String(name),
					StateValue: cwtypes.StateValue(state)})
			}
		}
	}
	return out, nil
}

type fakeSQS struct{ f *fakeAWS }

func (q fakeSQS) ReceiveMessage(_ context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	f := q.f
	f.mu.Lock()
	defer f.mu.Unlock()
	var st *fakeStack
	for _, s := range f.stacks {
		if queueURL(s.name) == aws.ToString(in.QueueUrl) {
			st = s
		}
	}
	if st == nil {
		return nil, apiErr("AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist")
	}
	if st.scenario.Name == f.failIn && st.step-1 == f.receiveErrAt {
		return nil, apiErr("KMS.AccessDeniedException", "fake: not authorized to perform kms:Decrypt")
	}
	out := &sqs.ReceiveMessageOutput{}
	now := f.clock.Now()
	var left []fakeMessage
	for _, m := range st.queue {
		if !m.visibleAt.After(now) && len(out.Messages) < int(in.MaxNumberOfMessages) {
			out.Messages = append(out.Messages, sqstypes.Message{Body: aws.String(m.body), ReceiptHandle: aws.String("r")})
			continue
		}
		left = append(left, m)
	}
	st.queue = left
	return out, nil
}

func (q fakeSQS) DeleteMessage(context.Context, *sqs.DeleteMessageInput, ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error) {
	return &sqs.DeleteMessageOutput{}, nil
}

type fakeCD struct{ f *fakeAWS }

func (c fakeCD) ListDeployments(_ context.Context, in *codedeploy.ListDeploymentsInput, _ ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentsOutput, error) {
	f := c.f
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &codedeploy.ListDeploymentsOutput{}
	for _, d := range f.deployments {
		r := in.CreateTimeRange
		if d.group == aws.ToString(in.DeploymentGroupName) && (r == nil || !d.created.Before(*r.Start) && !d.created.After(*r.End)) {
			out.Deployments = append(out.Deployments, d.id)
		}
	}
	return out, nil
}

func (c fakeCD) GetDeployment(_ context.Context, in *codedeploy.GetDeploymentInput, _ ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentOutput, error) {
	f := c.f
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, d := range f.deployments {
		if d.id == aws.ToString(in.DeploymentId) {
			return &codedeploy.GetDeploymentOutput{DeploymentInfo: &cdtypes.DeploymentInfo{DeploymentId: aws.String(d.id), CreateTime: aws.Time(d.created)}}, nil
		}
	}
	return nil, apiErr("DeploymentDoesNotExistException", "no deployment")
}

type fakeSSM struct{ f *fakeAWS }

func (s fakeSSM) GetParameter(_ context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	f := s.f
	f.mu.Lock()
	defer f.mu.Unlock()
	name := aws.ToString(in.Name)
	v, ok := f.params[name]
	if !ok {
		return nil, &ssmtypes.ParameterNotFound{Message: aws.String("fake: no parameter " + name)}
	}
	return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Name: aws.String(name), Value: aws.String(v)}}, nil
}

func (s fakeSSM) DeleteParameter(_ context.Context, in *ssm.DeleteParameterInput, _ ...func(*ssm.Options)) (*ssm.DeleteParameterOutput, error) {
	f := s.f
	f.mu.Lock()
	defer f.mu.Unlock()
	name := aws.ToString(in.Name)
	f.log("DeleteParameter %s", name)
	if _, ok := f.params[name]; !ok {
		return nil, &ssmtypes.ParameterNotFound{Message: aws.String("fake: no parameter " + name)}
	}
	delete(f.params, name)
	return &ssm.DeleteParameterOutput{}, nil
}
