package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/safeship/lambda-bluegreen/internal/deployment"
)

// runRollback is bluegreen rollback: it parses the flags, rolls back (rollback) and reports the result, as text or
// as one JSON object.
func (c cli) runRollback(args []string, stdout, stderr io.Writer) int {
	var yes, printOnly, noBlock *bool
	var stack, bucket *string
	var timeout *time.Duration
	t, cl, code, done := c.parseTarget("rollback", args, stdout, stderr, func(fs *flag.FlagSet) {
		yes = fs.Bool("yes", false, "do not ask for confirmation")
		printOnly = fs.Bool("print", false, "print what would be done (for a finished release: the template's changes), and change nothing")
		stack = fs.String("stack", "", "the function's CloudFormation stack, when the function carries no CloudFormation tags; "+
			"without -function: roll back every protected alias of this stack released by its last operation, in one update")
		bucket = fs.String("template-bucket", "", "the S3 bucket a rollback template over 51,200 bytes is uploaded to "+
			"(default: the bucket the template's functions load their code from, the CDK's bootstrap assets bucket)")
		timeout = fs.Duration("timeout", 15*time.Minute, "the longest wait for the stack update of a finished release (exit code 5 after it; the update goes on)")
		noBlock = fs.Bool("no-block", false, "do not block the release taken out of service (by default a deploy of the same code and configuration is refused until bluegreen unblock)")
	}, func(t target) string {
		switch {
		case *t.function == "" && *stack == "":
			return "-function or -stack is required"
		case *t.function == "" && *t.application != "":
			return "-application and -group go with -function (without it, -stack rolls back every protected alias of the stack and finds their groups in it)"
		case *timeout <= 0:
			return fmt.Sprintf("-timeout must be positive, got %s", *timeout)
		}
		return ""
	})
	if done {
		return code
	}
	progress := stdout
	if *t.asJSON {
		progress = stderr // stdout carries only the JSON result
	}
	var planned string
	confirm := c.confirmer(progress, *yes)
	var out bytes.Buffer
	res, err := rollback(c.context(), cl, rollbackOptions{
		function: *t.function, alias: *t.alias, application: *t.application, group: *t.group,
		stack: *stack, templateBucket: *bucket, printOnly: *printOnly, noBlock: *noBlock,
		confirm: func(change string) bool { planned = change; return confirm(change) },
		out:     &out, progress: progress, now: c.now,
		wait: waiter{timeout: *timeout, now: c.now, sleep: c.sleep, progress: progress},
	})
	result := map[string]interface{}{"rolledBack": err == nil && res.Done, "change": planned, "message": strings.TrimSpace(out.String())}
	if res.Target != "" {
		result["target"] = res.Target
	}
	if res.Command != "" {
		result["command"] = res.Command
	}
	if res.Stack != "" {
		result["stack"] = res.Stack
	}
	if len(res.Pins) > 0 {
		result["aliases"] = res.Pins
	}
	if len(res.Changes) > 0 {
		result["changes"] = res.Changes
	}
	if len(res.Skipped) > 0 {
		result["skipped"] = res.Skipped
	}
	if res.NoChange {
		result["unchanged"] = true
	}
	if res.Blocked != nil {
		result["blocked"] = res.Blocked
	}
	code = exitCode(err)
	if err != nil {
		err = explain(err)
		if out.Len() > 0 && !*t.asJSON {
			fmt.Fprint(stdout, out.String())
		}
		result["message"] = strings.TrimSpace(out.String() + "\n" + err.Error())
	}
	if *t.asJSON {
		json.NewEncoder(stdout).Encode(result)
	} else if err != nil {
		fmt.Fprintln(stderr, "bluegreen rollback:", err)
	} else {
		fmt.Fprint(stdout, out.String())
	}
	return code
}

// Errors rollback returns, by exit code: errNothing 3 (nothing to roll back to), errRollingBack 3 (a rollback is
// already putting the alias back: nothing to do but wait), errDeclined 4 (the operator said no), errUsage 2 (flags
// the alias's state needs are missing). errChanged (exit code 1) means AWS changed while the operator decided:
// nothing was done.
var (
	errNothing     = deployment.ErrNoRelease // "nothing to roll back to", from the reader of deployments too
	errRollingBack = errors.New("already rolling back")
	errDeclined    = errors.New("declined")
	errUsage       = errors.New("-application and -group are required")
	errChanged     = errors.New("changed while waiting for confirmation")
)

// rollbackOptions are what rollback acts on and how it reports.
type rollbackOptions struct {
	function, alias, application, group string
	// stack names the function's stack when the function carries no CloudFormation tags; without function, it is
	// the stack whose protected aliases all roll back. templateBucket receives a rollback template too large for
	// the request ("" for the code bucket the template names).
	stack, templateBucket string
	// printOnly prints what would be done, and changes nothing; noBlock writes no block.
	printOnly, noBlock bool
	// confirm shows the change and returns whether the operator approved it.
	confirm func(change string) bool
	// out receives what was done; progress the stack's states while the update runs.
	out, progress io.Writer
	// wait waits for the stack update; now is the time blocks are recorded at (time.Now when nil).
	wait waiter
	now  func() time.Time
}

func (o rollbackOptions) grouped() bool { return o.application != "" && o.group != "" }

// rollbackResult is what a rollback did or would do.
type rollbackResult struct {
	Target  string // the version all traffic goes to (one alias)
	Command string // the equivalent AWS CLI command (stop, repoint)
	// Stack is the stack a finished release rolled back through, Pins each alias's move, Changes the template's,
	// Skipped the aliases a whole-stack rollback left alone and why, Blocked the releases blocked.
	Stack    string
	Pins     []pinResult
	Changes  []string
	Skipped  []string
	Blocked  []string
	Done     bool
	NoChange bool // CloudFormation found nothing to update
}

// pinResult is one alias of a finished-release rollback.
type pinResult struct {
	Function string `json:"function"`
	Alias    string `json:"alias"`
	From     string `json:"from"`
	To       string `json:"to"`
}

// rollback sends all of the alias's traffic back to the last good version, after o.confirm approves:
//   - a deployment of the group is in progress: stop it with automatic rollback (CodeDeploy puts the alias back on
//     blue and CloudFormation rolls the stack update back, so template and alias agree), and block green's release;
//     unless it is itself a rollback (CodeDeploy's, or CloudFormation's reverse deployment), already putting the
//     alias back: stopping it would leave the alias where the failed release left it, so rollback refuses
//     (errRollingBack) and says to wait for it;
//   - the alias has weights and no deployment runs: point it at blue alone, only when the group's newest
//     deployment failed or stopped while shifting from blue (blue is then the version in the stack's template);
//   - a finished release: update the stack's deployed template with the alias pinned to the previous release (see
//     pinRelease), and block the release it served.
//
// Without a function, every protected alias of o.stack rolls back (rollbackStack).
func rollback(ctx context.Context, c clients, o rollbackOptions) (rollbackResult, error) {
	if o.function == "" {
		return rollbackStack(ctx, c, o)
	}
	if o.grouped() {
		d, err := c.deployments().NewestActive(ctx, o.application, o.group)
		if err != nil {
			return rollbackResult{}, err
		}
		if d != nil && deployment.IsRollback(d) {
			return rollbackResult{}, alreadyRollingBack(ctx, c, o, d)
		}
		if d != nil {
			return stopDeployment(ctx, c, o, d)
		}
	}
	a, err := c.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: &o.function, Name: &o.alias})
	if err != nil {
		return rollbackResult{}, fmt.Errorf("GetAlias %s:%s: %w", o.function, o.alias, err)
	}
	if weighted(a) {
		if !o.grouped() {
			return rollbackResult{}, fmt.Errorf("%s:%s is mid-shift (it sends traffic to more than one version): give -application "+
				"and -group so that a running deployment is stopped rather than overridden", o.function, o.alias)
		}
		return restoreBlue(ctx, c, o, a)
	}
	if !o.grouped() {
		return rollbackResult{}, fmt.Errorf("%w for a finished release (%s:%s serves one version): the group's successful "+
			"deployments tell which version served before", errUsage, o.function, o.alias)
	}
	return pinRelease(ctx, c, o, a)
}

// alreadyRollingBack is errRollingBack for d, a rollback in progress, saying what it puts back and how to wait.
func alreadyRollingBack(ctx context.Context, c clients, o rollbackOptions, d *cdtypes.DeploymentInfo) error {
	s := c.deployments().Describe(ctx, o.application, d)
	id := aws.ToString(d.DeploymentId)
	why := ""
	if s.RollbackOf != "" {
		why = fmt.Sprintf(" (it also reports why %s was rolled back)", s.RollbackOf)
	}
	return fmt.Errorf("%w: %s; stopping it would leave the alias where the release left it, so nothing was changed. "+
		"Wait for it to end: aws deploy wait deployment-successful --deployment-id %s, or bluegreen watch -deployment %s%s; "+
		"then bluegreen status shows what serves", errRollingBack, rollingBack(s, o.function, o.alias), id, id, why)
}

// rollingBack says what s, a rollback still running, does: who started it, the release it rolls back, and the
// version it puts fn:alias back on.
func rollingBack(s deployment.Summary, fn, alias string) string {
	who := "CodeDeploy's rollback"
	if s.Creator == string(cdtypes.DeploymentCreatorCloudFormationRollback) {
		who = "CloudFormation's rollback of the stack"
	}
	if s.RollbackOf != "" {
		who += " of deployment " + s.RollbackOf
	}
	to := ""
	if s.Green != "" {
		to = " on version " + s.Green
	}
	return fmt.Sprintf("deployment %s (%s) is %s: it is already putting %s:%s back%s", s.ID, s.Status, who, fn, alias, to)
}

// stopDeployment stops d with automatic rollback. The deployment may end while the operator decides: it is read
// again after the prompt, and CodeDeploy answers StopDeployment on an ended deployment with
// DeploymentAlreadyCompletedException ("The deployment is already complete", CodeDeploy API reference,
// StopDeployment). Either way nothing is stopped, and rollback says so and fails.
func stopDeployment(ctx context.Context, c clients, o rollbackOptions, d *cdtypes.DeploymentInfo) (rollbackResult, error) {
	id := aws.ToString(d.DeploymentId)
	res := rollbackResult{Command: shellLine([]string{"aws", "deploy", "stop-deployment", "--deployment-id", id, "--auto-rollback-enabled"})}
	if o.printOnly {
		fmt.Fprintln(o.out, res.Command)
		return res, nil
	}
	plan := greenBlock(ctx, c, o, d)
	if !o.confirm(fmt.Sprintf("stop deployment %s (%s) and roll %s:%s back to blue\nblock: %s", id, d.Status, o.function,
		o.alias, plan.promise(o.noBlock))) {
		return res, errDeclined
	}
	now, err := c.deployments().Get(ctx, id)
	if err != nil {
		return res, err
	}
	if !deployment.IsActive(now.Status) {
		return res, endedBeforeStop(now)
	}
	out, err := c.codedeploy.StopDeployment(ctx, &codedeploy.StopDeploymentInput{DeploymentId: &id, AutoRollbackEnabled: aws.Bool(true)})
	var completed *cdtypes.DeploymentAlreadyCompletedException
	if errors.As(err, &completed) {
		if now, err = c.deployments().Get(ctx, id); err != nil {
			return res, err
		}
		return res, endedBeforeStop(now)
	}
	if err != nil {
		return res, fmt.Errorf("StopDeployment %s: %w", id, err)
	}
	res.Done = true
	fmt.Fprintf(o.out, "stopped %s (stop %s); CodeDeploy is putting %s:%s back on blue\n", id, out.Status, o.function, o.alias)
	if !o.noBlock {
		res.Blocked, err = writeBlocks(ctx, c, []blockPlan{plan}, o.clock(), o.out)
	}
	return res, err
}

// greenBlock names the release deployment d shifts to (green: its AppSpec's TargetVersion), to block it once the
// deployment is stopped: the version resource of the function's stack that published green. While the stack update
// that started d runs, the stack lists that resource with green's ARN as its physical id. A release that cannot be
// named is not blocked, with a warning: the stop matters more.
func greenBlock(ctx context.Context, c clients, o rollbackOptions, d *cdtypes.DeploymentInfo) blockPlan {
	b := blockPlan{function: deployment.FunctionName(o.function)}
	if o.noBlock {
		return b
	}
	f, err := c.deployments().Function(ctx, o.application, *d)
	if err != nil {
		b.note = err.Error()
		return b
	}
	a, err := c.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: &o.function, Name: &o.alias})
	if err != nil {
		b.note = fmt.Sprintf("GetAlias %s:%s: %v", o.function, o.alias, err)
		return b
	}
	loc, err := locateFunction(ctx, c, o.function, o.alias, o.stack, a)
	if err != nil {
		b.note = err.Error()
		b.entry.Version = f.TargetVersion
		return b
	}
	return releaseBlock(ctx, c, o.function, loc.stack, loc.functionARN, f.TargetVersion, "", loc.resources)
}

func endedBeforeStop(d *cdtypes.DeploymentInfo) error {
	id := aws.ToString(d.DeploymentId)
	if d.Status == cdtypes.DeploymentStatusSucceeded {
		return fmt.Errorf("%w: deployment %s succeeded before it could be stopped, nothing was changed: its version now "+
			"serves all traffic; run bluegreen rollback again to roll the finished release back", errChanged, id)
	}
	return fmt.Errorf("%w: deployment %s ended (%s) before it could be stopped, nothing was changed: "+
		"run bluegreen status to see what serves now", errChanged, id, d.Status)
}

// restoreBlue points a weighted alias at blue (its FunctionVersion) alone, when no deployment is in progress.
//
// It is safe only when the stack's template holds blue, or the next deploy fails: CloudFormation starts CodeDeploy
// with an AppSpec whose CurrentVersion is the template's version, and CodeDeploy refuses the deployment when the
// alias serves another (INVALID_LAMBDA_CONFIGURATION, DESIGN.md "The release lifecycle"). The group's newest
// deployment tells: if it failed or stopped while shifting from blue (its AppSpec's CurrentVersion), the stack
// update that started it rolled back to the template that holds blue. When the newest deployment is CodeDeploy's
// rollback of a release (deployment.RollbackOf), that release is the one that tells. AWS does not document what
// CloudFormation's rollback does to weights a stopped deployment left; in any other case the weights were set
// outside CloudFormation and CodeDeploy, and rollback refuses.
func restoreBlue(ctx context.Context, c clients, o rollbackOptions, a *lambda.GetAliasOutput) (rollbackResult, error) {
	blue := aws.ToString(a.FunctionVersion)
	res := rollbackResult{Target: blue}
	latest, err := c.deployments().Newest(ctx, o.application, o.group)
	if err != nil {
		return res, err
	}
	refuse := func(why string) error {
		return fmt.Errorf("%s:%s sends traffic to more than one version and no deployment of %s/%s is in progress, but %s: "+
			"the weights were not left by a deployment, and pointing the alias at %s could disagree with the stack's template, "+
			"which makes CodeDeploy refuse the next deploy. Find the alias's version in the template (aws cloudformation "+
			"get-template), point the alias at it alone (aws lambda update-alias), then deploy as usual",
			o.function, o.alias, o.application, o.group, why, blue)
	}
	if latest == nil {
		return res, refuse("the group has no deployment")
	}
	via := ""
	if of := deployment.RollbackOf(latest); of != "" {
		via = fmt.Sprintf(" (rolled back by %s %s)", aws.ToString(latest.DeploymentId), latest.Status)
		if latest, err = c.deployments().Get(ctx, of); err != nil {
			return res, err
		}
	}
	id := aws.ToString(latest.DeploymentId)
	if latest.Status != cdtypes.DeploymentStatusFailed && latest.Status != cdtypes.DeploymentStatusStopped {
		return res, refuse(fmt.Sprintf("its newest deployment %s %s", id, latest.Status))
	}
	f, err := c.deployments().Function(ctx, o.application, *latest)
	if err != nil {
		return res, err
	}
	if f.CurrentVersion != blue {
		return res, refuse(fmt.Sprintf("its newest deployment %s shifted from version %s, not from %s", id, f.CurrentVersion, blue))
	}
	res.Command = shellLine([]string{"aws", "lambda", "update-alias", "--function-name", o.function, "--name", o.alias,
		"--function-version", blue, "--routing-config", "AdditionalVersionWeights={}", "--revision-id", aws.ToString(a.RevisionId)})
	if o.printOnly {
		fmt.Fprintln(o.out, res.Command)
		return res, nil
	}
	if !o.confirm(fmt.Sprintf("send all traffic of %s:%s back to blue version %s, the version its stack holds since deployment %s %s%s "+
		"(no deployment is in progress)", o.function, o.alias, blue, id, latest.Status, via)) {
		return res, errDeclined
	}
	// A deployment may have started during the prompt, possibly before it moved the alias (BeforeAllowTraffic).
	if d, err := c.deployments().NewestActive(ctx, o.application, o.group); err != nil {
		return res, err
	} else if d != nil && deployment.IsRollback(d) {
		return res, alreadyRollingBack(ctx, c, o, d)
	} else if d != nil {
		return res, fmt.Errorf("%w: deployment %s (%s) started, nothing was changed: run bluegreen rollback again to stop it",
			errChanged, aws.ToString(d.DeploymentId), d.Status)
	}
	if err := pointAlias(ctx, c, a, o.function, o.alias, blue); err != nil {
		return res, err
	}
	res.Done = true
	fmt.Fprintf(o.out, "%s:%s now serves version %s alone\n", o.function, o.alias, blue)
	return res, nil
}

// pointAlias points the alias at version alone, only if the alias is still as it was read when the operator
// approved: UpdateAlias RevisionId, "Only update the alias if the revision ID matches the ID that's specified. Use
// this option to avoid modifying an alias that has changed since you last read it" (Lambda API reference); Lambda
// answers a mismatch with PreconditionFailedException.
func pointAlias(ctx context.Context, c clients, a *lambda.GetAliasOutput, fn, alias, version string) error {
	if a.RevisionId == nil {
		return fmt.Errorf("GetAlias %s:%s returned no RevisionId: refusing to update the alias without one", fn, alias)
	}
	_, err := c.lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: &fn, Name: &alias, FunctionVersion: &version,
		RevisionId:    a.RevisionId,
		RoutingConfig: &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{}}})
	var stale *lambdatypes.PreconditionFailedException
	if errors.As(err, &stale) {
		return fmt.Errorf("%w: %s:%s changed since it was read, nothing was changed: run bluegreen status, then rollback again",
			errChanged, fn, alias)
	}
	if err != nil {
		return fmt.Errorf("UpdateAlias %s:%s: %w", fn, alias, err)
	}
	return nil
}

// pinRelease rolls a finished release back in one update of the function's stack: the deployed template with the
// alias pinned to the previous release, its group shifting all at once with no alarm read (see package revert), so
// the stack ships exactly what is deployed and its template holds the version the alias serves. Pointing the alias
// outside CloudFormation instead would make CodeDeploy refuse the next deploy (see restoreBlue).
func pinRelease(ctx context.Context, c clients, o rollbackOptions, a *lambda.GetAliasOutput) (rollbackResult, error) {
	serving := aws.ToString(a.FunctionVersion)
	r, err := findRelease(ctx, c, o.function, o.alias, o.application, o.group, serving)
	if err != nil {
		return rollbackResult{}, err
	}
	res := rollbackResult{Target: r.Version}
	loc, err := locateFunction(ctx, c, o.function, o.alias, o.stack, a)
	if err != nil {
		return res, err
	}
	st, err := describeStack(ctx, c, loc.stack)
	if err != nil {
		return res, err
	}
	if err := checkStable(st); err != nil {
		return res, err
	}
	t, err := deployedTemplate(ctx, c, st.name)
	if err != nil {
		return res, err
	}
	al, err := t.FindAlias(loc.logicalID, o.alias)
	if err != nil {
		return res, fmt.Errorf("stack %s: %w", st.name, err)
	}
	p := stackPin{function: o.function, alias: o.alias, application: o.application, group: o.group, aliasID: al.LogicalID,
		serving: serving, revision: aws.ToString(a.RevisionId), target: r.Version, why: r.Why}
	p.block = releaseBlock(ctx, c, o.function, st.name, loc.functionARN, serving, al.Release, loc.resources)
	return revertStack(ctx, c, o, st, t, []stackPin{p}, nil)
}
