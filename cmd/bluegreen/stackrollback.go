package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/safeship/lambda-bluegreen/internal/deployment"
	"github.com/safeship/lambda-bluegreen/internal/revert"
)

// protected is a protected alias of a stack with the names AWS knows it by.
type protected struct {
	revert.Alias
	function, application, group string
}

// protectedAliases lists the aliases of the deployed template t that shift through a CodeDeploy deployment group,
// with their function's name (the function's physical id) and their group's and application's names (the template's
// literal names, else the resources' physical ids: Ref of a deployment group or an application returns its name).
// An alias whose names cannot be read is returned in problems.
func protectedAliases(t *revert.Template, rs []cfntypes.StackResourceSummary) (out []protected, problems []string) {
	for _, a := range t.Aliases() {
		if a.Group == "" {
			continue
		}
		p := protected{Alias: a, function: physicalID(rs, a.FunctionLogicalID)}
		if g, ok := t.Group(a.Group); ok {
			p.group, p.application = g.Name, g.Application
			if p.group == "" {
				p.group = physicalID(rs, g.LogicalID)
			}
			if p.application == "" && g.ApplicationLogicalID != "" {
				p.application = physicalID(rs, g.ApplicationLogicalID)
			}
		}
		if p.function == "" || p.group == "" || p.application == "" {
			problems = append(problems, fmt.Sprintf("alias %s: its function, deployment group or application has no name in the stack", a.LogicalID))
			continue
		}
		out = append(out, p)
	}
	return out, problems
}

// rollbackStack rolls every protected alias of o.stack back to its previous release in one update of the stack:
// each alias whose group's newest deployment is a release that succeeded in the stack's last operation. The others
// are left alone, each with a line saying why: a deployment in progress (stop it with rollback -function), a newest
// deployment that failed or stopped (CodeDeploy already put the alias back), a release older than the stack's last
// update (that update did not change the alias: a whole-stack rollback undoes the last deploy, not older ones), no
// earlier release.
func rollbackStack(ctx context.Context, c clients, o rollbackOptions) (rollbackResult, error) {
	st, err := describeStack(ctx, c, o.stack)
	if err != nil {
		return rollbackResult{}, err
	}
	if err := checkStable(st); err != nil {
		return rollbackResult{}, err
	}
	t, err := deployedTemplate(ctx, c, st.name)
	if err != nil {
		return rollbackResult{}, err
	}
	rs, err := listResources(ctx, c, st.name)
	if err != nil {
		return rollbackResult{}, err
	}
	events, err := stackEvents(ctx, c, st.name)
	if err != nil {
		return rollbackResult{}, err
	}
	n := len(events)
	if n == 0 || !operationStart(events[n-1], st.name) {
		// Without the start of the last operation, every alias whose newest deployment succeeded would look
		// released by it, months-old releases too.
		return rollbackResult{Stack: st.name}, fmt.Errorf("the start of stack %s's last operation is not among its "+
			"newest events, so which aliases it released is unknown: roll each back with bluegreen rollback -function", st.name)
	}
	since := &events[n-1]
	aliases, skipped := protectedAliases(t, rs)
	var pins []stackPin
	for _, p := range aliases {
		pin, why, err := stackAliasPin(ctx, c, st, rs, p, since)
		if err != nil {
			return rollbackResult{Stack: st.name}, err
		}
		if why != "" {
			skipped = append(skipped, fmt.Sprintf("%s:%s (%s): %s", p.function, p.Name, p.LogicalID, why))
			continue
		}
		pins = append(pins, pin)
	}
	if len(pins) == 0 {
		if len(aliases) == 0 && len(skipped) == 0 {
			return rollbackResult{Stack: st.name}, fmt.Errorf("%w: stack %s has no alias with a CodeDeploy deployment group", errNothing, st.name)
		}
		return rollbackResult{Stack: st.name, Skipped: skipped}, fmt.Errorf("%w in stack %s:\n  %s", errNothing, st.name, strings.Join(skipped, "\n  "))
	}
	return revertStack(ctx, c, o, st, t, pins, skipped)
}

// stackAliasPin is the pin of one protected alias, or why it is left alone.
func stackAliasPin(ctx context.Context, c clients, st stackInfo, rs []cfntypes.StackResourceSummary, p protected,
	since *cfntypes.StackEvent) (stackPin, string, error) {
	d, err := c.deployments().Newest(ctx, p.application, p.group)
	if err != nil {
		return stackPin{}, "", err
	}
	switch {
	case d == nil:
		return stackPin{}, fmt.Sprintf("group %s/%s has no deployment", p.application, p.group), nil
	case deployment.IsActive(d.Status) && deployment.IsRollback(d):
		return stackPin{}, rollingBack(c.deployments().Describe(ctx, p.application, d), p.function, p.Name) + ": wait for it to end", nil
	case deployment.IsActive(d.Status):
		return stackPin{}, fmt.Sprintf("deployment %s is %s: stop it with bluegreen rollback -function %s -alias %s -application %s -group %s",
			aws.ToString(d.DeploymentId), d.Status, p.function, p.Name, p.application, p.group), nil
	case d.Status != cdtypes.DeploymentStatusSucceeded:
		return stackPin{}, fmt.Sprintf("its newest deployment %s %s: CodeDeploy put the alias back, no release to roll back",
			aws.ToString(d.DeploymentId), d.Status), nil
	case since.Timestamp != nil && d.CreateTime != nil && d.CreateTime.Before(*since.Timestamp):
		return stackPin{}, fmt.Sprintf("its newest release, deployment %s, is older than the stack's last operation (%s): that deploy did "+
			"not change it (bluegreen rollback -function %s rolls it back alone)", aws.ToString(d.DeploymentId),
			since.Timestamp.UTC().Format("2006-01-02T15:04:05Z"), p.function), nil
	}
	// A deployment that went back is no release: after a stack rollback, the newest successful deployment of each
	// alias it touched is CloudFormation's reverse deployment (or CodeDeploy's own rollback).
	if deployment.IsRollback(d) {
		return stackPin{}, fmt.Sprintf("its newest deployment %s went back to an earlier version (%s): nothing was released "+
			"to roll back", aws.ToString(d.DeploymentId), d.Creator), nil
	}
	if f, err := c.deployments().Function(ctx, p.application, *d); err != nil {
		return stackPin{}, "", err
	} else if deployment.Older(f.TargetVersion, f.CurrentVersion) {
		return stackPin{}, fmt.Sprintf("its newest deployment %s went back from version %s to %s: nothing was released "+
			"to roll back", aws.ToString(d.DeploymentId), f.CurrentVersion, f.TargetVersion), nil
	}
	a, err := c.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: &p.function, Name: &p.Name})
	if err != nil {
		return stackPin{}, "", fmt.Errorf("GetAlias %s:%s: %w", p.function, p.Name, err)
	}
	if weighted(a) {
		return stackPin{}, fmt.Sprintf("it %s with no deployment in progress: bluegreen rollback -function %s decides", serving(a), p.function), nil
	}
	serving := aws.ToString(a.FunctionVersion)
	r, err := findRelease(ctx, c, p.function, p.Name, p.application, p.group, serving)
	if errors.Is(err, errNothing) {
		return stackPin{}, err.Error(), nil
	}
	if err != nil {
		return stackPin{}, "", err
	}
	pin := stackPin{function: p.function, alias: p.Name, application: p.application, group: p.group, aliasID: p.LogicalID,
		serving: serving, revision: aws.ToString(a.RevisionId), target: r.Version, why: r.Why}
	pin.block = releaseBlock(ctx, c, p.function, st.name, functionARN(a, p.Name), serving, p.Release, rs)
	return pin, "", nil
}
