package awsrun

import (
	"context"
	"encoding/json"
	"fmt"
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
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/safeship/lambda-bluegreen/internal/acceptance"
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

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.advance(d)
	runtime.Gosched()
	return ctx.Err()
}

// stepState is what AWS looks like after a step, by function id where per function.
type stepState struct {
	outcome, stack, errText, notifications string
	alias, versions, provisioned, watch    map[string]string
}

// expectedStates is the table the agreeing fake plays: each step's resulting state, from the model's result when
// it has the scenario, then from the step's checks (what the model expects), the rest carried over from the step
// before.
func expectedStates(s acceptance.Scenario, model acceptance.Result) []stepState {
	m, fromModel := model.Scenario(s.Name)
	fromModel = fromModel && len(m.Steps) == len(s.Steps)
	var out []stepState
	prev := stepState{alias: map[string]string{}, versions: map[string]string{}, provisioned: map[string]string{}}
	fns := []string{acceptance.Api}
	for i, st := range s.Steps {
		if st.Action == acceptance.Deploy {
			fns = st.Release.Functions()
		}
		cur := stepState{outcome: acceptance.OutcomeComplete, stack: "UPDATE_COMPLETE", notifications: "none",
			alias: map[string]string{}, versions: map[string]string{}, provisioned: map[string]string{}, watch: map[string]string{}}
		if i == 0 {
			cur.stack = "CREATE_COMPLETE"
		}
		for _, fn := range fns {
			cur.alias[fn], cur.versions[fn], cur.provisioned[fn], cur.watch[fn] = or(prev.alias[fn], "1"), or(prev.versions[fn], "1"),
				or(prev.provisioned[fn], strconv.Itoa(st.Release.ProvisionedConcurrency)), "none"
		}
		set := func(name, v string) {
			what, fn := acceptance.Split(name)
			switch what {
			case acceptance.WhatOutcome:
				cur.outcome = v
				if v == acceptance.OutcomeRolledBack {
					cur.stack = "UPDATE_ROLLBACK_COMPLETE"
				}
			case acceptance.WhatStack:
				cur.stack = v
			case acceptance.WhatError:
				cur.errText = v
			case acceptance.WhatNotifications:
				cur.notifications = v
			case acceptance.WhatAlias:
				cur.alias[fn] = v
			case acceptance.WhatVersions:
				cur.versions[fn] = v
			case acceptance.WhatProvisioned:
				cur.provisioned[fn] = v
			case acceptance.WhatWatch:
				cur.watch[fn] = v
			}
		}
		if fromModel {
			for k, v := range m.Steps[i].Values {
				set(k, v)
			}
		}
		for _, c := range st.Expect {
			if c.Kind == acceptance.Equal || c.What == acceptance.WhatError {
				set(c.What, c.Want)
			}
		}
		out = append(out, cur)
		prev = cur
	}
	return out
}

func or(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}

type fakeStack struct {
	name, status, reason string
	tags                 map[string]string
	fns                  []string
	scenario             acceptance.Scenario
	states               []stepState
	step                 int // steps applied
	state                stepState
	weights              map[string]map[string]float64
	queue                []string
	hang                 bool // a deletion that never ends
}

type fakeDeployment struct {
	id, group string
	created   time.Time
	exit      int
}

// fakeAWS is an account whose state changes, at each step, to the table's state for it (expectedStates), through
// fake clients, a fake Deployer and fake Commands.
type fakeAWS struct {
	t           *testing.T
	mu          sync.Mutex
	clock       *fakeClock
	account     string
	model       acceptance.Result
	stacks      map[string]*fakeStack
	deployments []fakeDeployment
	// calls logs every call that creates, changes or reads a stack, and every deploy and command.
	calls   []string
	invokes int
	metrics int

	// Faults injected: the Deployer fails at step deployErrAt of scenario failIn; GetAlias fails after step
	// aliasErrAt; cancel is called during step cancelAt.
	failIn                  string
	deployErrAt, aliasErrAt int
	cancelAt                int
	cancel                  context.CancelFunc
	contradict              func(scenario string, step int, s *stepState)
	failSeen, blueSeen      chan struct{}
	waitingBlue             bool
}

func newFakeAWS(t *testing.T) *fakeAWS {
	model, err := acceptance.ModelResult()
	if err != nil {
		t.Fatal(err)
	}
	return &fakeAWS{t: t, clock: &fakeClock{now: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}, account: "123456789012",
		model: model, stacks: map[string]*fakeStack{}, deployErrAt: -1, aliasErrAt: -1, cancelAt: -1,
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
		SQS: fakeSQS{f}, CodeDeploy: fakeCD{f}}
}

func (f *fakeAWS) deps() Deps {
	return Deps{Clients: f.clients(), Deployer: fakeDeployer{f}, Commands: fakeCommands{f}}
}

func (f *fakeAWS) config(t *testing.T, scenarios ...string) Config {
	return Config{Account: "123456789012", Region: "eu-west-1", Run: "t1", Scenarios: scenarios, Yes: true,
		ReportDir: t.TempDir(), Clock: f.clock, LibraryVersion: "v0.0.0-test"}
}

// addStack adds a stack the run did not create (or did, in an earlier run).
func (f *fakeAWS) addStack(name string, tags map[string]string) {
	f.stacks[name] = &fakeStack{name: name, status: "UPDATE_COMPLETE", tags: tags}
}

func apiErr(code, msg string) error { return &smithy.GenericAPIError{Code: code, Message: msg} }

func (f *fakeAWS) fnStack(fnName string) (*fakeStack, string) {
	stack, id, _ := strings.Cut(fnName, "/")
	return f.stacks[stack], id
}

// step applies the next step of the stack's scenario (a deploy or a command): the table's state, its notices
// and its deployments.
func (f *fakeAWS) step(ctx context.Context, name, run string) (DeployResult, error) {
	f.mu.Lock()
	st := f.stacks[name]
	if st == nil {
		i, _ := strconv.Atoi(name[strings.LastIndex(name, "-")+1:])
		sc := acceptance.Scenarios[i]
		st = &fakeStack{name: name, tags: map[string]string{acceptance.TagKey: run, "team": "x"}, scenario: sc,
			states: expectedStates(sc, f.model), weights: map[string]map[string]float64{}}
		f.stacks[name] = st
	}
	i := st.step
	sc := st.scenario
	f.mu.Unlock()
	if sc.Name == f.failIn && i == f.cancelAt {
		f.cancel()
		return DeployResult{}, ctx.Err()
	}
	if sc.Name == f.failIn && i == f.deployErrAt {
		return DeployResult{}, fmt.Errorf("cdk: exit status 1: no credentials")
	}
	// An error burst: green takes part of the traffic until the generator's failing request, then CodeDeploy puts
	// the alias back on blue and the generator reads it.
	for _, ft := range sc.Steps[i].Faults {
		if ft.Kind != acceptance.ErrorBurst {
			continue
		}
		fn := or(ft.Function, acceptance.Api)
		f.mu.Lock()
		st.weights[fn] = map[string]float64{"g": 0.1}
		f.mu.Unlock()
		select {
		case <-f.failSeen:
		case <-time.After(5 * time.Second):
			f.t.Errorf("%s step %d: the generator sent green no failing request", sc.Name, i+1)
		}
		f.clock.advance(time.Minute)
		f.mu.Lock()
		delete(st.weights, fn)
		f.waitingBlue = true
		f.mu.Unlock()
		select {
		case <-f.blueSeen:
		case <-time.After(5 * time.Second):
			f.t.Errorf("%s step %d: the generator did not read the alias back on blue", sc.Name, i+1)
		}
	}
	f.clock.advance(10 * time.Second)
	f.mu.Lock()
	defer f.mu.Unlock()
	s := st.states[i]
	if f.contradict != nil {
		f.contradict(sc.Name, i, &s)
	}
	st.step++
	st.state, st.status = s, s.stack
	st.fns = nil
	for fn := range s.alias {
		st.fns = append(st.fns, fn)
	}
	sort.Strings(st.fns)
	for _, fn := range st.fns {
		if w := s.watch[fn]; w != "none" && w != "" {
			exit, _ := strconv.Atoi(w)
			f.deployments = append(f.deployments, fakeDeployment{id: fmt.Sprintf("d-%d", len(f.deployments)+1), group: name + "/" + fn,
				created: f.clock.Now(), exit: exit})
		}
	}
	if s.notifications != "none" {
		for j, o := range strings.Split(s.notifications, ",") {
			env, _ := json.Marshal(map[string]string{"Type": "Notification", "Subject": "Deployment " + o + ": api (alias live): version 1 -> 2",
				"Message": "Deployment " + o + ": api (alias live): version 1 → 2\n", "Timestamp": f.clock.Now().Add(time.Duration(j) * time.Second).Format(time.RFC3339Nano)})
			st.queue = append(st.queue, string(env))
		}
		// SQS does not keep the order: the backend sorts by SNS's Timestamp.
		for a, b := 0, len(st.queue)-1; a < b; a, b = a+1, b-1 {
			st.queue[a], st.queue[b] = st.queue[b], st.queue[a]
		}
	}
	f.clock.advance(2 * time.Minute)
	return DeployResult{OK: s.outcome == acceptance.OutcomeComplete, Error: s.errText}, nil
}

type fakeDeployer struct{ f *fakeAWS }

func (d fakeDeployer) Deploy(ctx context.Context, dep Deployment) (DeployResult, error) {
	d.f.mu.Lock()
	d.f.log("Deploy %s", dep.Stack)
	d.f.mu.Unlock()
	return d.f.step(ctx, dep.Stack, dep.Run)
}

type fakeCommands struct{ f *fakeAWS }

func (c fakeCommands) run(ctx context.Context, what string, fn Function) (CommandResult, error) {
	c.f.mu.Lock()
	c.f.log("%s %s", what, fn.Name)
	c.f.mu.Unlock()
	r, err := c.f.step(ctx, fn.Stack, "t1")
	if err != nil {
		return CommandResult{}, err
	}
	if !r.OK {
		return CommandResult{Exit: 1, Output: r.Error}, nil
	}
	return CommandResult{}, nil
}

func (c fakeCommands) Rollback(ctx context.Context, fn Function) (CommandResult, error) {
	return c.run(ctx, "rollback", fn)
}

func (c fakeCommands) Unblock(ctx context.Context, fn Function) (CommandResult, error) {
	return c.run(ctx, "unblock", fn)
}

func (c fakeCommands) Watch(_ context.Context, _ Function, id string) (CommandResult, error) {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	for _, d := range c.f.deployments {
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
	if st.scenario.Name != "" {
		o(acceptance.OutputQueueURL, "https://sqs/"+st.name)
		o(acceptance.OutputApplication, st.name+"-app")
		for _, fn := range st.fns {
			o(acceptance.OutputFunctionName+fn, st.name+"/"+fn)
			o(acceptance.OutputDeploymentGroup+fn, st.name+"/"+fn)
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
	if name != "" {
		st := f.stacks[name]
		if st == nil || st.status == "DELETE_COMPLETE" {
			return nil, apiErr("ValidationError", "Stack with id "+name+" does not exist")
		}
		out := &cloudformation.DescribeStacksOutput{Stacks: []cfntypes.Stack{c.stack(st)}}
		if st.status == "DELETE_IN_PROGRESS" && !st.hang {
			st.status = "DELETE_COMPLETE"
		}
		return out, nil
	}
	// Every stack, two a page.
	var names []string
	for n, st := range f.stacks {
		if st.status != "DELETE_COMPLETE" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	from, _ := strconv.Atoi(aws.ToString(in.NextToken))
	out := &cloudformation.DescribeStacksOutput{}
	for i := from; i < len(names) && i < from+2; i++ {
		out.Stacks = append(out.Stacks, c.stack(f.stacks[names[i]]))
	}
	if from+2 < len(names) {
		out.NextToken = aws.String(strconv.Itoa(from + 2))
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
		return nil, apiErr("ResourceNotFoundException", "no function")
	}
	if st.scenario.Name == f.failIn && st.step-1 == f.aliasErrAt {
		return nil, apiErr("AccessDeniedException", "fake: not authorized to perform lambda:GetAlias")
	}
	out := &lambda.GetAliasOutput{FunctionVersion: aws.String(st.state.alias[fn])}
	if w := st.weights[fn]; len(w) > 0 {
		out.RoutingConfig = &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: w}
	} else if f.waitingBlue {
		f.waitingBlue = false
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

func (c fakeCW) PutMetricData(context.Context, *cloudwatch.PutMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error) {
	c.f.mu.Lock()
	c.f.metrics++
	c.f.mu.Unlock()
	return &cloudwatch.PutMetricDataOutput{}, nil
}

type fakeSQS struct{ f *fakeAWS }

func (q fakeSQS) ReceiveMessage(_ context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	f := q.f
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.stacks[strings.TrimPrefix(aws.ToString(in.QueueUrl), "https://sqs/")]
	out := &sqs.ReceiveMessageOutput{}
	for len(st.queue) > 0 && len(out.Messages) < int(in.MaxNumberOfMessages) {
		out.Messages = append(out.Messages, sqstypes.Message{Body: aws.String(st.queue[0]), ReceiptHandle: aws.String("r")})
		st.queue = st.queue[1:]
	}
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
