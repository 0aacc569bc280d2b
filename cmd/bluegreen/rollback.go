package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// Errors rollback returns, by exit code: errNothing 3 (nothing to roll back to), errDeclined 4 (the operator said
// no), errUsage 2 (flags the alias's state needs are missing). errChanged (exit code 1) means AWS changed while
// the operator decided: nothing was done.
var (
	errNothing  = errors.New("nothing to roll back to")
	errDeclined = errors.New("declined")
	errUsage    = errors.New("-application and -group are required")
	errChanged  = errors.New("changed while waiting for confirmation")
)

// rollbackOptions are what rollback acts on and how it reports.
type rollbackOptions struct {
	function, alias, application, group string
	// assembly is the cloud assembly synthesized from the deployed commit; deployment optionally names the
	// deployment's construct path in it; cdk is the CDK CLI command (program and leading arguments).
	assembly, deployment string
	cdk                  []string
	// printOnly prints the command that would roll back, and changes nothing.
	printOnly bool
	// confirm shows the change and returns whether the operator approved it.
	confirm func(change string) bool
	// out receives what was done; deployOut and deployErr stream the deploy's own output; deployIn is its input
	// (the operator's terminal, so the CDK CLI can ask for approval of security changes), or nil.
	out, deployOut, deployErr io.Writer
	deployIn                  io.Reader
}

func (o rollbackOptions) grouped() bool { return o.application != "" && o.group != "" }

// rollbackResult is what a rollback did or would do.
type rollbackResult struct {
	Target  string // the version all traffic goes to
	Command string // the equivalent (or, for a finished release, the actual) command
	Done    bool
}

// rollback sends all of the alias's traffic back to the last good version, after o.confirm approves:
//   - a deployment of the group is in progress: stop it with automatic rollback (CodeDeploy puts the alias back on
//     blue and CloudFormation rolls the stack update back, so template and alias agree);
//   - the alias has weights and no deployment runs: point it at blue alone, only when the group's newest
//     deployment failed or stopped while shifting from blue (blue is then the version in the stack's template);
//   - a finished release: deploy the stack with the alias pinned to the previous release (see pinRelease).
func rollback(ctx context.Context, c clients, o rollbackOptions) (rollbackResult, error) {
	if o.grouped() {
		d, err := newestDeployment(ctx, c, o.application, o.group, activeStatuses)
		if err != nil {
			return rollbackResult{}, err
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

func weighted(a *lambda.GetAliasOutput) bool {
	return a.RoutingConfig != nil && len(a.RoutingConfig.AdditionalVersionWeights) > 0
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
	if !o.confirm(fmt.Sprintf("stop deployment %s (%s) and roll %s:%s back to blue", id, d.Status, o.function, o.alias)) {
		return res, errDeclined
	}
	now, err := getDeployment(ctx, c, id)
	if err != nil {
		return res, err
	}
	if !isActive(now.Status) {
		return res, endedBeforeStop(now)
	}
	out, err := c.codedeploy.StopDeployment(ctx, &codedeploy.StopDeploymentInput{DeploymentId: &id, AutoRollbackEnabled: aws.Bool(true)})
	var completed *cdtypes.DeploymentAlreadyCompletedException
	if errors.As(err, &completed) {
		if now, err = getDeployment(ctx, c, id); err != nil {
			return res, err
		}
		return res, endedBeforeStop(now)
	}
	if err != nil {
		return res, fmt.Errorf("StopDeployment %s: %w", id, err)
	}
	res.Done = true
	fmt.Fprintf(o.out, "stopped %s (stop %s); CodeDeploy is putting %s:%s back on blue\n", id, out.Status, o.function, o.alias)
	return res, nil
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
// update that started it rolled back to the template that holds blue. AWS does not document what CloudFormation's
// rollback does to weights a stopped deployment left; in any other case the weights were set outside
// CloudFormation and CodeDeploy, and rollback refuses.
func restoreBlue(ctx context.Context, c clients, o rollbackOptions, a *lambda.GetAliasOutput) (rollbackResult, error) {
	blue := aws.ToString(a.FunctionVersion)
	res := rollbackResult{Target: blue}
	latest, err := newestDeployment(ctx, c, o.application, o.group, nil)
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
	id := aws.ToString(latest.DeploymentId)
	if latest.Status != cdtypes.DeploymentStatusFailed && latest.Status != cdtypes.DeploymentStatusStopped {
		return res, refuse(fmt.Sprintf("its newest deployment %s %s", id, latest.Status))
	}
	f, err := readAppSpec(ctx, c, o.application, *latest)
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
	if !o.confirm(fmt.Sprintf("send all traffic of %s:%s back to blue version %s, the version its stack holds since deployment %s %s "+
		"(no deployment is in progress)", o.function, o.alias, blue, id, latest.Status)) {
		return res, errDeclined
	}
	// A deployment may have started during the prompt, possibly before it moved the alias (BeforeAllowTraffic).
	if d, err := newestDeployment(ctx, c, o.application, o.group, activeStatuses); err != nil {
		return res, err
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

// pinRelease rolls a finished release back through CloudFormation: it deploys the function's stack with the alias
// pinned to the previous release (bluegreen.DeploymentProps.PinnedVersion, set from the context key
// bluegreen.PinContextKey), so CloudFormation updates the alias, CodeDeploy shifts traffic to the pinned version
// with the deployment's strategy, hooks and alarms, and the template holds the version the alias serves. Pointing
// the alias outside CloudFormation instead would make CodeDeploy refuse the next deploy (see restoreBlue).
func pinRelease(ctx context.Context, c clients, o rollbackOptions, a *lambda.GetAliasOutput) (rollbackResult, error) {
	serving := aws.ToString(a.FunctionVersion)
	r, err := findRelease(ctx, c, o.function, o.alias, o.application, o.group, serving)
	if err != nil {
		return rollbackResult{}, err
	}
	d, err := locateDeployment(ctx, c, o, a)
	if err != nil {
		return rollbackResult{Target: r.Version}, err
	}
	cmd := pinCommand(o.cdk, d, r.Version)
	res := rollbackResult{Target: r.Version, Command: shellLine(cmd)}
	if o.printOnly {
		fmt.Fprintln(o.out, res.Command)
		return res, nil
	}
	if !o.confirm(fmt.Sprintf("roll %s:%s back from version %s to version %s (%s) by deploying stack %s with %s pinned "+
		"to it; run it from the commit that is deployed:\n  %s",
		o.function, o.alias, serving, r.Version, r.Why, d.Stack, d.Path, res.Command)) {
		return res, errDeclined
	}
	// Something may have changed during the prompt: a deployment started, or the alias moved.
	if active, err := newestDeployment(ctx, c, o.application, o.group, activeStatuses); err != nil {
		return res, err
	} else if active != nil {
		return res, fmt.Errorf("%w: deployment %s (%s) started, nothing was deployed: run bluegreen rollback again",
			errChanged, aws.ToString(active.DeploymentId), active.Status)
	}
	now, err := c.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: &o.function, Name: &o.alias})
	if err != nil {
		return res, fmt.Errorf("GetAlias %s:%s: %w", o.function, o.alias, err)
	}
	if aws.ToString(now.RevisionId) != aws.ToString(a.RevisionId) || aws.ToString(now.FunctionVersion) != serving || weighted(now) {
		return res, fmt.Errorf("%w: %s:%s changed since it was read, nothing was deployed: run bluegreen rollback again",
			errChanged, o.function, o.alias)
	}
	run := exec.CommandContext(ctx, cmd[0], cmd[1:]...)
	run.Stdin, run.Stdout, run.Stderr = o.deployIn, o.deployOut, o.deployErr
	if err := run.Run(); err != nil {
		return res, fmt.Errorf("%s: %w; a failed stack update rolls back, so %s:%s should still serve version %s (bluegreen status)",
			res.Command, err, o.function, o.alias, serving)
	}
	after, err := c.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: &o.function, Name: &o.alias})
	if err != nil {
		return res, fmt.Errorf("GetAlias %s:%s after the deploy: %w", o.function, o.alias, err)
	}
	if aws.ToString(after.FunctionVersion) != r.Version || weighted(after) {
		return res, fmt.Errorf("the deploy succeeded but %s:%s serves version %s, not %s: does the app pass "+
			"bluegreen.PinsFromContext to DeploymentProps.PinnedVersion?", o.function, o.alias, aws.ToString(after.FunctionVersion), r.Version)
	}
	res.Done = true
	fmt.Fprintf(o.out, "%s:%s now serves version %s; stack %s holds it until a deploy without the pin\n",
		o.function, o.alias, r.Version, d.Stack)
	return res, nil
}
