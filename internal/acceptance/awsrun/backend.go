package awsrun

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"

	"github.com/safeship/lambda-bluegreen/internal/acceptance"
)

// Backend plays scenarios on a real account (acceptance.Backend). Each scenario runs in a stack of its own
// (acceptance.StackName with the run's id and the scenario's index in acceptance.Scenarios), which End deletes.
// A Backend plays one scenario at a time.
type Backend struct {
	cfg      Config
	clients  Clients
	deployer Deployer
	commands Commands

	// The scenario being played: its stack, its last release, and whether the business metric is broken.
	stack   string
	release acceptance.Release
	broken  bool
	// began: Begin found no stack of the scenario's name, so whatever stands there later is the scenario's to
	// delete; End touches nothing without it.
	began bool
	// functions are the names of the functions the scenario's stack had (their release blocks go in End);
	// deployments the CodeDeploy deployments earlier steps listed; lastOpEnd the end of the last stack operation a
	// step was timed by.
	functions   map[string]bool
	deployments map[string]bool
	lastOpEnd   time.Time
	// metricMu guards lastMetric (and broken while the traffic generator runs): when the business metric was last
	// published.
	metricMu   sync.Mutex
	lastMetric time.Time
}

// NewBackend is a backend for the configuration (its defaults applied) on the clients, deploying with d and
// running bluegreen's commands with cmds.
func NewBackend(c Config, cl Clients, d Deployer, cmds Commands) *Backend {
	return &Backend{cfg: c.withDefaults(), clients: cl, deployer: d, commands: cmds}
}

// Name is "aws".
func (b *Backend) Name() string { return "aws" }

// stackOf is the scenario's stack.
func (b *Backend) stackOf(s acceptance.Scenario) (string, error) {
	i, ok := scenarioIndex(s.Name)
	if !ok {
		return "", fmt.Errorf("scenario %q is not in acceptance.Scenarios", s.Name)
	}
	return acceptance.StackName(b.cfg.Run, i), nil
}

// Begin checks that the scenario's stack does not exist yet: a scenario starts from nothing deployed.
func (b *Backend) Begin(ctx context.Context, s acceptance.Scenario) error {
	stack, err := b.stackOf(s)
	if err != nil {
		return err
	}
	b.stack, b.release, b.broken, b.began = stack, acceptance.Release{}, false, false
	b.functions, b.deployments, b.lastOpEnd, b.lastMetric = map[string]bool{}, map[string]bool{}, time.Time{}, time.Time{}
	st, err := b.describe(ctx, stack)
	if err != nil {
		return err
	}
	if st != nil {
		return fmt.Errorf("stack %s exists already (%s), left by an earlier run with the same id: it is not touched; "+
			"bluegreen acceptance -cleanup -run %s deletes it", stack, st.StackStatus, b.cfg.Run)
	}
	b.began = true
	return nil
}

// Do plays step i: it sets the step's faults (waiting for the business alarm to follow the business metric),
// starts the traffic generator, deploys (or runs the command), stops the generator and observes what AWS did.
//
// The step's time (acceptance.WhatTook) is its stack operation's, from the stack's first *_IN_PROGRESS event to
// its final status (stackOperation): not synthesis, the asset upload or the change set's creation, which the
// model's times leave out. A rollback by hand is timed by the stack update it makes; a command that makes none (an
// unblock) by its own run; a deploy that started no operation (nothing changed) took 0 s, as on the model.
func (b *Backend) Do(ctx context.Context, s acceptance.Scenario, i int) (acceptance.Observation, error) {
	var obs acceptance.Observation
	st := s.Steps[i]
	ctx, cancel := context.WithTimeout(ctx, b.cfg.StepTimeout)
	defer cancel()
	clock := b.cfg.Clock
	before, err := b.describe(ctx, b.stack)
	if err != nil {
		return obs, err
	}
	fns := functionsOf(before)
	b.remember(fns)
	if st.Action == acceptance.Deploy {
		b.release = st.Release
	}
	for _, f := range st.Faults {
		switch f.Kind {
		case acceptance.BusinessAlarm, acceptance.ClearBusinessAlarm:
			broken := f.Kind == acceptance.BusinessAlarm
			waited, err := b.waitForAlarm(ctx, before, broken)
			if err != nil {
				return obs, err
			}
			obs.Notes = append(obs.Notes, fmt.Sprintf("business metric %s; the business alarm was %s after %s",
				map[bool]string{true: "broken", false: "healthy"}[broken],
				map[bool]string{true: "ALARM", false: "OK"}[broken], waited.Round(time.Second)))
		case acceptance.HookCrash:
			return obs, fmt.Errorf("fault %s cannot be injected on AWS", f.Kind)
		}
	}
	if err := b.keepBusiness(ctx); err != nil {
		return obs, err
	}

	// The step starts once its faults are set: the wait for the business alarm is not the step's time.
	start := clock.Now()
	gen := b.startTraffic(ctx, st, fns)
	var res DeployResult
	switch st.Action {
	case acceptance.Deploy:
		res, err = b.deployer.Deploy(ctx, Deployment{Stack: b.stack, Run: b.cfg.Run, Release: st.Release})
	case acceptance.RollbackByHand, acceptance.Unblock:
		fn, ok := find(fns, st.Function)
		if !ok {
			err = fmt.Errorf("the stack %s has no function %s", b.stack, st.Function)
			break
		}
		var cr CommandResult
		if st.Action == acceptance.RollbackByHand {
			cr, err = b.commands.Rollback(ctx, fn)
		} else {
			cr, err = b.commands.Unblock(ctx, fn)
		}
		res = DeployResult{OK: cr.Exit == 0}
		if !res.OK {
			res.Error = fmt.Sprintf("exit %d: %s", cr.Exit, strings.TrimSpace(cr.Output))
		}
	default:
		err = fmt.Errorf("unknown action %q", st.Action)
	}
	end := clock.Now()
	tr := gen.stop()
	if err != nil {
		return obs, fmt.Errorf("%s: %w", st.Action, err)
	}
	if tr.businessErr != nil {
		return obs, fmt.Errorf("the business metric could not be published while it must breach, so the business "+
			"alarm (missing data not breaching) may have gone back to OK during the step: %w", tr.businessErr)
	}
	if err := b.timeStep(ctx, st, start, end, &obs); err != nil {
		return obs, err
	}
	obs.Notes = append(obs.Notes, tr.notes()...)
	if tr.detected {
		obs.SetDuration(acceptance.WhatDetection, tr.detection)
	}

	after, err := b.describe(ctx, b.stack)
	if err != nil {
		return obs, err
	}
	if after == nil {
		return obs, fmt.Errorf("stack %s does not exist after the step", b.stack)
	}
	b.remember(functionsOf(after))
	status := string(after.StackStatus)
	obs.Set(acceptance.WhatStack, status)
	obs.Set(acceptance.WhatOutcome, outcomeOf(res.OK, status))
	errText := ""
	if !res.OK {
		errText = res.Error
		if errText == "" {
			errText = aws.ToString(after.StackStatusReason)
		}
	}
	obs.Set(acceptance.WhatError, errText)

	listed := map[string]bool{}
	for _, fn := range functionsOf(after) {
		if err := b.observeFunction(ctx, fn, start, listed, &obs); err != nil {
			return obs, err
		}
	}
	for id := range listed {
		b.deployments[id] = true
	}
	outcomes, late, err := b.notices(ctx, output(after, acceptance.OutputQueueURL), start, end)
	if err != nil {
		return obs, err
	}
	obs.Notes = append(obs.Notes, late...)
	if len(outcomes) == 0 {
		obs.Set(acceptance.WhatNotifications, "none")
	} else {
		obs.Set(acceptance.WhatNotifications, strings.Join(outcomes, ","))
	}
	return obs, nil
}

// timeStep records the step's time (see Do), and notes what it covers.
func (b *Backend) timeStep(ctx context.Context, st acceptance.Step, start, end time.Time, obs *acceptance.Observation) error {
	since := start.Add(-ClockSkew)
	if !b.lastOpEnd.IsZero() && !since.After(b.lastOpEnd) {
		since = b.lastOpEnd.Add(time.Millisecond) // the events of an earlier step's operation are not this step's
	}
	op, err := b.stackOperation(ctx, b.stack, since)
	if err != nil {
		return err
	}
	switch {
	case op.found && op.ended:
		obs.SetDuration(acceptance.WhatTook, op.took())
		b.lastOpEnd = op.end
		obs.Notes = append(obs.Notes, fmt.Sprintf("took: the stack operation, %s to %s (the step ran %s, synthesis and "+
			"change set included)", op.start.UTC().Format(time.RFC3339), op.end.UTC().Format(time.RFC3339),
			end.Sub(start).Round(time.Second)))
	case op.found:
		obs.SetDuration(acceptance.WhatTook, end.Sub(op.start))
		obs.Notes = append(obs.Notes, "took: the stack operation had no final status when the step ended: timed to the step's end")
	case st.Action == acceptance.Deploy:
		obs.SetDuration(acceptance.WhatTook, 0)
		obs.Notes = append(obs.Notes, "took: the deploy started no stack operation (nothing changed, or it failed before): 0s, as on the model")
	default:
		obs.SetDuration(acceptance.WhatTook, end.Sub(start))
		obs.Notes = append(obs.Notes, fmt.Sprintf("took: %s made no stack update: the command's own time", st.Action))
	}
	return nil
}

// remember records the functions' names, whose release blocks End deletes.
func (b *Backend) remember(fns []Function) {
	for _, f := range fns {
		b.functions[f.Name] = true
	}
}

// outcomeOf is how a stack operation ended, from whether the deploy succeeded and the stack's status.
func outcomeOf(ok bool, status string) string {
	switch {
	case ok:
		return acceptance.OutcomeComplete
	case strings.HasSuffix(status, "ROLLBACK_COMPLETE"):
		return acceptance.OutcomeRolledBack
	case strings.HasSuffix(status, "ROLLBACK_FAILED"):
		return acceptance.OutcomeRollbackFailed
	}
	return "failed (stack " + status + ")"
}

// observeFunction records the function's alias, versions, provisioned concurrency, and watch's exit code for its
// first deployment since start; listed gets the ids of the deployments it listed.
func (b *Backend) observeFunction(ctx context.Context, fn Function, start time.Time, listed map[string]bool, obs *acceptance.Observation) error {
	a, err := b.clients.Lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: &fn.Name, Name: &fn.Alias})
	if err != nil {
		return fmt.Errorf("GetAlias %s:%s: %w", fn.Name, fn.Alias, err)
	}
	alias := aws.ToString(a.FunctionVersion)
	if a.RoutingConfig != nil {
		for v, w := range a.RoutingConfig.AdditionalVersionWeights {
			alias += fmt.Sprintf(" (version %s at %g%%)", v, w*100)
		}
	}
	obs.Set(acceptance.Name(acceptance.WhatAlias, fn.ID), alias)

	var versions []int
	var marker *string
	for page := 0; page < 50; page++ {
		out, err := b.clients.Lambda.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: &fn.Name, Marker: marker})
		if err != nil {
			return fmt.Errorf("ListVersionsByFunction %s: %w", fn.Name, err)
		}
		for _, v := range out.Versions {
			if n, err := strconv.Atoi(aws.ToString(v.Version)); err == nil {
				versions = append(versions, n)
			}
		}
		if marker = out.NextMarker; marker == nil {
			break
		}
	}
	sort.Ints(versions)
	list := make([]string, len(versions))
	for i, v := range versions {
		list[i] = strconv.Itoa(v)
	}
	obs.Set(acceptance.Name(acceptance.WhatVersions, fn.ID), strings.Join(list, ","))

	pc, err := b.clients.Lambda.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: &fn.Name, Qualifier: &fn.Alias})
	switch {
	case apiCode(err) == "ProvisionedConcurrencyConfigNotFoundException":
		obs.Set(acceptance.Name(acceptance.WhatProvisioned, fn.ID), "0")
	case err != nil:
		return fmt.Errorf("GetProvisionedConcurrencyConfig %s:%s: %w", fn.Name, fn.Alias, err)
	default:
		obs.Set(acceptance.Name(acceptance.WhatProvisioned, fn.ID), strconv.Itoa(int(aws.ToInt32(pc.RequestedProvisionedConcurrentExecutions))))
	}

	id, err := b.firstDeployment(ctx, fn, start, listed)
	if err != nil {
		return err
	}
	if id == "" {
		obs.Set(acceptance.Name(acceptance.WhatWatch, fn.ID), "none")
		return nil
	}
	r, err := b.commands.Watch(ctx, fn, id)
	if err != nil {
		return fmt.Errorf("watch %s: %w", id, err)
	}
	obs.Set(acceptance.Name(acceptance.WhatWatch, fn.ID), strconv.Itoa(r.Exit))
	obs.Notes = append(obs.Notes, fmt.Sprintf("watch of %s's deployment %s: exit %d", fn.ID, id, r.Exit))
	return nil
}

// firstDeployment is the id of the first deployment of the function's group created since start ("" for none),
// less ClockSkew, leaving out the deployments an earlier step of the scenario listed (an earlier step's deployment
// can be created within the skew before this step starts). The ids it lists go into listed.
func (b *Backend) firstDeployment(ctx context.Context, fn Function, start time.Time, listed map[string]bool) (string, error) {
	if fn.Application == "" || fn.Group == "" {
		return "", nil
	}
	from := start.Add(-ClockSkew)
	window := &cdtypes.TimeRange{Start: aws.Time(from), End: aws.Time(b.cfg.Clock.Now().Add(ClockSkew))}
	var ids []string
	var token *string
	for page := 0; page < 20; page++ {
		out, err := b.clients.CodeDeploy.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{ApplicationName: &fn.Application,
			DeploymentGroupName: &fn.Group, CreateTimeRange: window, NextToken: token})
		if err != nil {
			return "", fmt.Errorf("ListDeployments %s/%s: %w", fn.Application, fn.Group, err)
		}
		ids = append(ids, out.Deployments...)
		if token = out.NextToken; token == nil {
			break
		}
	}
	first, firstAt := "", time.Time{}
	for _, id := range ids {
		if b.deployments[id] {
			continue
		}
		listed[id] = true
		out, err := b.clients.CodeDeploy.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
		if err != nil {
			return "", fmt.Errorf("GetDeployment %s: %w", id, err)
		}
		if out.DeploymentInfo == nil {
			continue
		}
		at := aws.ToTime(out.DeploymentInfo.CreateTime)
		if at.Before(from) {
			continue
		}
		if first == "" || at.Before(firstAt) {
			first, firstAt = id, at
		}
	}
	return first, nil
}

// describe is the named stack, or nil when it does not exist: "If the stack doesn't exist, a ValidationError is
// returned", and a deleted stack is found by its unique id only ("Deleted stacks: You must specify the unique stack
// ID"), so by name it does not exist either (CloudFormation API Reference, DescribeStacks).
func (b *Backend) describe(ctx context.Context, name string) (*cfntypes.Stack, error) {
	out, err := b.clients.CloudFormation.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil {
		if apiCode(err) == "ValidationError" && strings.Contains(err.Error(), "does not exist") {
			return nil, nil
		}
		return nil, fmt.Errorf("DescribeStacks %s: %w", name, err)
	}
	if len(out.Stacks) == 0 {
		return nil, nil
	}
	return &out.Stacks[0], nil
}

// apiCode is the API error's code, or "".
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func tagsOf(st *cfntypes.Stack) map[string]string {
	tags := map[string]string{}
	for _, t := range st.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return tags
}

// output is the stack output's value ("" when the stack or the output is missing).
func output(st *cfntypes.Stack, key string) string {
	if st == nil {
		return ""
	}
	for _, o := range st.Outputs {
		if aws.ToString(o.OutputKey) == key {
			return aws.ToString(o.OutputValue)
		}
	}
	return ""
}

// functionsOf are the functions the stack's outputs name, ordered by id.
func functionsOf(st *cfntypes.Stack) []Function {
	if st == nil {
		return nil
	}
	var fns []Function
	for _, o := range st.Outputs {
		key := aws.ToString(o.OutputKey)
		id, ok := strings.CutPrefix(key, acceptance.OutputFunctionName)
		if !ok || id == "" {
			continue
		}
		fns = append(fns, Function{ID: id, Name: aws.ToString(o.OutputValue), Alias: acceptance.AliasName,
			Application: output(st, acceptance.OutputApplication), Group: output(st, acceptance.OutputDeploymentGroup+id),
			Stack: aws.ToString(st.StackName)})
	}
	sort.Slice(fns, func(i, j int) bool { return fns[i].ID < fns[j].ID })
	return fns
}

func find(fns []Function, id string) (Function, bool) {
	if id == "" {
		id = acceptance.Api
	}
	for _, f := range fns {
		if f.ID == id {
			return f, true
		}
	}
	return Function{}, false
}
