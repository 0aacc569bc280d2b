package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/safeship/lambda-bluegreen/internal/alarmcfg"
	"github.com/safeship/lambda-bluegreen/internal/deployment"
	"github.com/safeship/lambda-bluegreen/internal/revert"
)

// defaultRecoverTimeout bounds each wait for the stack: a retried reverse deployment that shifts all at once ends in
// minutes, but a hook may take up to an hour before CodeDeploy fails it (DESIGN.md).
const defaultRecoverTimeout = 30 * time.Minute

// stateMeanings say what a stack state recover does not handle means, and what to do.
var stateMeanings = map[cfntypes.StackStatus]string{
	cfntypes.StackStatusCreateFailed:         "its creation failed",
	cfntypes.StackStatusRollbackFailed:       "its creation failed and so did the rollback: delete the stack (retaining the resources that fail to delete), then deploy it anew",
	cfntypes.StackStatusRollbackComplete:     "its creation failed and was rolled back: it can only be deleted, then deployed anew",
	cfntypes.StackStatusDeleteFailed:         "its deletion failed: delete it again, retaining the resources that fail",
	cfntypes.StackStatusDeleteComplete:       "it was deleted",
	cfntypes.StackStatusUpdateFailed:         "its update failed; CloudFormation rolls it back unless rollback was disabled",
	cfntypes.StackStatusImportRollbackFailed: "the rollback of an import failed: see the stack's events",
}

// recoverOptions are what recover acts on and how it reports.
type recoverOptions struct {
	stack   string
	dryRun  bool
	confirm func(plan string) bool
	out     io.Writer
	wait    waiter
}

// RecoverResult is what recover prints with -json.
type RecoverResult struct {
	Stack      string `json:"stack"`
	Status     string `json:"status,omitempty"`
	Deployable bool   `json:"deployable"`
	// Steps are what was done (or, with -dry-run, what would be), in order.
	Steps []string `json:"steps"`
	// Aliases says what each alias that had failed serves at the end ("function:alias" → what it serves).
	Aliases map[string]string `json:"aliases,omitempty"`
	// NeedsPerson lists failed resources recover does not handle.
	NeedsPerson []string `json:"needsPerson,omitempty"`
	Message     string   `json:"message,omitempty"`
}

// stuckAlias is an alias in UPDATE_FAILED with the names AWS knows it and its deployment group by.
type stuckAlias struct {
	logicalID, function, name string
	// application and group are "" when the alias has no CodeDeploy deployment group; groupLogicalID is the
	// group's logical id.
	application, group, groupLogicalID string
}

func (a stuckAlias) String() string { return a.function + ":" + a.name }

// savedGroup is a deployment group's configuration before recover changed it.
type savedGroup struct {
	application, group, config string
	logicalID                  string // in the stack's template
	alarms                     *cdtypes.AlarmConfiguration
	changed                    bool
}

// recoverStack brings a stack out of UPDATE_ROLLBACK_FAILED, the state an update's rollback leaves when a
// resource cannot go back ("Unsuccessful return of one or more stacks to a previous working state after a failed
// stack update. When in this state, you can delete the stack or continue rollback", CloudFormation User Guide, stack
// status codes): for these stacks, typically an alias whose reverse CodeDeploy deployment failed (an alarm still in
// ALARM, a hook that failed or never answered). Each step relies on a rule of AWS, quoted where AWS documents it:
//
//  1. It reads the resources in UPDATE_FAILED (ListStackResources) and the newest failure reasons
//     (DescribeStackEvents).
//  2. For each failed alias with a deployment group, it stops the group's deployment still in progress
//     (StopDeployment with autoRollbackEnabled true: a Lambda deployment stopped without rollback can leave the
//     alias split, and "subsequent attempts to deploy the Lambda function fail", CodeDeploy User Guide, Troubleshoot
//     Lambda deployments), waits until the group runs none (a group runs one deployment at a time, "Maximum number
//     of concurrent deployments to a deployment group | 1", CodeDeploy quotas), saves the group's deployment
//     configuration and alarm configuration (GetDeploymentGroup), and sets CodeDeployDefault.LambdaAllAtOnce with
//     alarm monitoring off (UpdateDeploymentGroup; "If any of the specified alarms are activated, the deployment
//     stops", CodeDeploy User Guide, "Monitoring deployments with CloudWatch alarms"; the console calls turning it
//     off "Ignore alarm configuration ... to temporarily deactivate alarm monitoring for a deployment group"), so
//     that the reverse deployment CloudFormation retries is one step and no alarm can stop it. That the retry
//     starts a new deployment with the group's configuration as it is at that moment is not documented:
//     CodeDeployLambdaAliasUpdate names only the application, the group ("This is where the traffic-shifting policy
//     is set") and the hooks.
//  3. It continues the rollback with no resource skipped (ContinueUpdateRollback) and waits for the stack.
//  4. If the stack ends UPDATE_ROLLBACK_FAILED again, it continues with ResourcesToSkip naming the failed aliases
//     only: "You can specify only resources that are in the UPDATE_FAILED state because a rollback failed ...
//     CloudFormation sets the status of the specified resources to UPDATE_COMPLETE and continues to roll back the
//     stack. After the rollback is complete, the state of the skipped resources will be inconsistent with the state
//     of the resources in the stack template. Before performing another stack update, you must update the stack or
//     resources to be consistent with each other" (CloudFormation API reference, ContinueUpdateRollback). It never
//     skips another resource: those are named as needing a person. It then makes each skipped alias agree with the
//     rolled-back template: the version the template gives it (GetTemplate Original: a version resource's physical
//     id "<function ARN>:N" gives N, a literal number is taken as it is) is set with UpdateAlias, weights cleared,
//     guarded by the alias's RevisionId. The alias must agree because CodeDeploy refuses a deployment whose AppSpec
//     CurrentVersion is not what the alias serves, and CloudFormation's next update of the alias starts one from
//     the template's version: not documented as a rule; CodeDeploy's error says "The Lambda function alias version
//     does not match the current version in AppSpec file. (Error code: INVALID_LAMBDA_CONFIGURATION)" (as users
//     report it, aws/serverless-application-model#291). That GetTemplate returns the rolled-back template once the
//     stack is UPDATE_ROLLBACK_COMPLETE is not documented either (an emulator's maintainer measured it,
//     ministackorg/ministack#1601).
//  5. It restores every group changed in step 2 (UpdateDeploymentGroup): once the rollback is complete, to the
//     deployment configuration and alarm switch of the rolled-back template, with the alarms the group has then
//     (the release guard may have left it in abort mode before recover began); otherwise to the configuration
//     saved in step 2. It restores them whatever happened in between, except when a wait timed out with the
//     rollback still running (alarms back on could stop its reverse deployment again); it prints the command that
//     restores a group by hand when it does not.
//  6. It reports the stack's status (UPDATE_ROLLBACK_COMPLETE: deployable) and what each alias serves.
func recoverStack(ctx context.Context, c clients, o recoverOptions) (res RecoverResult, err error) {
	res.Stack = o.stack
	st, err := describeStack(ctx, c, o.stack)
	if err != nil {
		return res, err
	}
	res.Status = string(st.status)
	if st.status != cfntypes.StackStatusUpdateRollbackFailed {
		return res, notStuck(st)
	}
	var rs []cfntypes.StackResourceSummary
	if rs, err = listResources(ctx, c, st.name); err != nil {
		return res, err
	}
	events, err := stackEvents(ctx, c, st.name)
	if err != nil {
		return res, err
	}
	t, err := deployedTemplate(ctx, c, st.name)
	if err != nil {
		return res, err
	}
	aliases, others := stuckResources(t, rs)
	var plan strings.Builder
	step := func(format string, args ...interface{}) {
		line := fmt.Sprintf(format, args...)
		res.Steps = append(res.Steps, line)
		fmt.Fprintln(&plan, line)
	}
	step("1. read the stack (ListStackResources, DescribeStackEvents): %d resource(s) in UPDATE_FAILED", len(aliases)+len(others))
	for _, f := range failures(events) {
		step("   failed: %s", f)
	}
	res.NeedsPerson = append(res.NeedsPerson, others...)
	groups := map[string]*savedGroup{}
	var order []string
	for _, a := range aliases {
		if a.group == "" {
			step("2. alias %s (%s) has no CodeDeploy deployment group: nothing to change before the retry", a, a.logicalID)
			continue
		}
		key := a.application + "/" + a.group
		if groups[key] != nil {
			continue
		}
		g, err := readGroup(ctx, c, a.application, a.group)
		if err != nil {
			return res, err
		}
		g.logicalID = a.groupLogicalID
		groups[key], order = g, append(order, key)
		active, err := c.deployments().Active(ctx, a.application, a.group)
		if err != nil {
			return res, err
		}
		for _, d := range active {
			step("2. stop deployment %s of %s (%s): StopDeployment --auto-rollback-enabled, and wait until the group runs none", aws.ToString(d.DeploymentId), key, d.Status)
		}
		step("2. save %s's configuration (GetDeploymentGroup): %s", key, g.describe())
		step("2. set %s to %s with alarm monitoring off (UpdateDeploymentGroup), for the retried reverse deployment of %s",
			key, revert.AllAtOnce, a)
	}
	step("3. continue the rollback with no resource skipped (ContinueUpdateRollback) and wait for the stack (up to %s)", o.wait.timeout)
	if len(aliases) > 0 {
		step("4. if it ends UPDATE_ROLLBACK_FAILED again: ContinueUpdateRollback --resources-to-skip %s (only the aliases "+
			"then in UPDATE_FAILED), wait, then point each skipped alias at the version of the rolled-back template "+
			"(GetTemplate Original; UpdateAlias with its RevisionId, weights cleared)", strings.Join(aliasIDs(aliases), " "))
	} else {
		step("4. if it ends UPDATE_ROLLBACK_FAILED again: no alias failed, so nothing may be skipped; a person must fix the resources below")
	}
	for _, r := range others {
		step("   needs a person (recover never skips it): %s", r)
	}
	for _, key := range order {
		step("5. restore %s: %s (UpdateDeploymentGroup)", key, groups[key].describe())
	}
	step("6. report the stack's status (DescribeStacks) and what each alias serves (GetAlias)")
	if o.dryRun {
		fmt.Fprintf(o.out, "dry run, nothing is changed: recover of stack %s (UPDATE_ROLLBACK_FAILED) would\n%s", st.name, plan.String())
		return res, nil
	}
	res.Steps = nil
	if !o.confirm(fmt.Sprintf("recover stack %s (UPDATE_ROLLBACK_FAILED):\n%s", st.name, strings.TrimSuffix(plan.String(), "\n"))) {
		return res, errDeclined
	}
	did := func(format string, args ...interface{}) {
		line := fmt.Sprintf(format, args...)
		res.Steps = append(res.Steps, line)
		fmt.Fprintln(o.out, line)
	}
	// Step 5 runs whatever happens, even when the operator interrupts: the groups must not stay all at once
	// without alarms.
	defer func() {
		for _, key := range order {
			g := groups[key]
			if !g.changed {
				continue
			}
			if errors.Is(err, errTimedOut) {
				// The retried rollback goes on: alarms back on could stop its reverse deployment again.
				did("5. NOT restored %s while the rollback goes on: when the stack has left UPDATE_ROLLBACK_IN_PROGRESS, run %s",
					key, g.restoreCommand())
				continue
			}
			if err == nil {
				// The rollback is complete: put back what the rolled-back template says, which CloudFormation
				// may have applied meanwhile, rather than what the group had when recover began.
				g.fromTemplate(context.WithoutCancel(ctx), c, st.name, did)
			}
			if rerr := g.restore(context.WithoutCancel(ctx), c); rerr != nil {
				did("5. FAILED to restore %s: %v; restore it by hand: %s", key, explain(rerr), g.restoreCommand())
				if err == nil {
					err = fmt.Errorf("deployment group %s keeps %s with alarm monitoring off: restore it by hand: %s",
						key, revert.AllAtOnce, g.restoreCommand())
				}
				continue
			}
			did("5. restored %s: %s", key, g.describe())
		}
	}()
	for _, key := range order {
		g := groups[key]
		active, err := c.deployments().Active(ctx, g.application, g.group)
		if err != nil {
			return res, err
		}
		for _, d := range active {
			// With automatic rollback: a Lambda deployment stopped without it can leave the alias split between two
			// versions, and "subsequent attempts to deploy the Lambda function fail" (CodeDeploy User Guide,
			// Troubleshoot Lambda deployments); with it, the alias goes back to the version the deployment
			// shifted from, where CloudFormation's retried reverse deployment expects it.
			id := aws.ToString(d.DeploymentId)
			_, err := c.codedeploy.StopDeployment(ctx, &codedeploy.StopDeploymentInput{DeploymentId: &id, AutoRollbackEnabled: aws.Bool(true)})
			var completed *cdtypes.DeploymentAlreadyCompletedException
			if err != nil && !errors.As(err, &completed) {
				return res, fmt.Errorf("StopDeployment %s: %w", id, err)
			}
			did("2. stopped deployment %s of %s, with rollback", id, key)
		}
		if err := waitIdle(ctx, c, g.application, g.group, o.wait); err != nil {
			return res, err
		}
		did("2. saved %s: %s (if recover is interrupted, restore it with: %s)", key, g.describe(), g.restoreCommand())
		if err := g.allAtOnce(ctx, c); err != nil {
			return res, err
		}
		did("2. set %s to %s with alarm monitoring off", key, revert.AllAtOnce)
	}
	if _, err := c.cloudformation.ContinueUpdateRollback(ctx, &cloudformation.ContinueUpdateRollbackInput{StackName: &st.name}); err != nil {
		return res, fmt.Errorf("ContinueUpdateRollback %s: %w", st.name, err)
	}
	did("3. continued the rollback of %s", st.name)
	end, err := o.wait.wait(ctx, c, st.name)
	if err != nil {
		return res, err
	}
	var skipped []stuckAlias
	if end.status == cfntypes.StackStatusUpdateRollbackFailed {
		if rs, err = listResources(ctx, c, st.name); err != nil {
			return res, err
		}
		aliases, others = stuckResources(t, rs)
		res.NeedsPerson = others
		if len(aliases) == 0 {
			res.Status = string(end.status)
			return res, fmt.Errorf("stack %s is UPDATE_ROLLBACK_FAILED again and no alias failed, so recover skips nothing: "+
				"a person must fix %s (%s)", st.name, strings.Join(others, "; "), newestFailure(ctx, c, end))
		}
		for _, r := range others {
			did("4. needs a person, not skipped: %s", r)
		}
		ids := aliasIDs(aliases)
		if _, err := c.cloudformation.ContinueUpdateRollback(ctx, &cloudformation.ContinueUpdateRollbackInput{StackName: &st.name,
			ResourcesToSkip: ids}); err != nil {
			return res, fmt.Errorf("ContinueUpdateRollback %s skipping %s: %w", st.name, strings.Join(ids, ", "), err)
		}
		did("4. the rollback failed again (%s); continued it skipping %s", newestFailure(ctx, c, end), strings.Join(ids, ", "))
		if end, err = o.wait.wait(ctx, c, st.name); err != nil {
			return res, err
		}
		skipped = aliases
	}
	res.Status = string(end.status)
	if end.status == cfntypes.StackStatusUpdateRollbackComplete && len(skipped) > 0 {
		if err := alignAliases(ctx, c, st.name, skipped, did); err != nil {
			return res, err
		}
	}
	res.Aliases = map[string]string{}
	for _, a := range append(aliases, skipped...) {
		if out, err := c.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: &a.function, Name: &a.name}); err == nil {
			res.Aliases[a.String()] = serving(out)
		}
	}
	res.Deployable = end.status == cfntypes.StackStatusUpdateRollbackComplete
	if !res.Deployable {
		return res, fmt.Errorf("stack %s ended %s: %s", st.name, end.status, newestFailure(ctx, c, end))
	}
	return res, nil
}

// notStuck refuses a stack that is not in UPDATE_ROLLBACK_FAILED, saying what its state means.
func notStuck(st stackInfo) error {
	switch {
	case stableStatuses[st.status]:
		return fmt.Errorf("%w: stack %s is %s, deployable: recover only helps a stack in UPDATE_ROLLBACK_FAILED", errNothing, st.name, st.status)
	case inProgress(st.status):
		return fmt.Errorf("stack %s is %s: a stack operation is running; wait for it to end (bluegreen recover helps if it "+
			"ends UPDATE_ROLLBACK_FAILED)", st.name, st.status)
	case stateMeanings[st.status] != "":
		return fmt.Errorf("stack %s is %s: %s; recover only helps a stack in UPDATE_ROLLBACK_FAILED", st.name, st.status, stateMeanings[st.status])
	}
	return fmt.Errorf("stack %s is %s; recover only helps a stack in UPDATE_ROLLBACK_FAILED", st.name, st.status)
}

// stuckResources splits the resources in UPDATE_FAILED into aliases (with the names of their function and group,
// from the template t and the resources' physical ids) and the others ("Logical (Type)").
func stuckResources(t *revert.Template, rs []cfntypes.StackResourceSummary) (aliases []stuckAlias, others []string) {
	byID := map[string]revert.Alias{}
	for _, a := range t.Aliases() {
		byID[a.LogicalID] = a
	}
	for _, r := range rs {
		if r.ResourceStatus != cfntypes.ResourceStatusUpdateFailed {
			continue
		}
		id, typ := aws.ToString(r.LogicalResourceId), aws.ToString(r.ResourceType)
		if typ != typeAlias {
			others = append(others, fmt.Sprintf("%s (%s): %s", id, typ, orUnknown(oneLine(aws.ToString(r.ResourceStatusReason)))))
			continue
		}
		a := stuckAlias{logicalID: id}
		// An alias's physical id is its ARN, the function's ARN plus ":name".
		arn := aws.ToString(r.PhysicalResourceId)
		if i := strings.LastIndex(arn, ":"); i > 0 {
			a.function, a.name = deployment.FunctionName(arn[:i]), arn[i+1:]
		}
		if ta, ok := byID[id]; ok {
			if fn := physicalID(rs, ta.FunctionLogicalID); fn != "" {
				a.function = fn
			}
			if ta.Name != "" {
				a.name = ta.Name
			}
			if g, ok := t.Group(ta.Group); ok {
				a.group, a.application, a.groupLogicalID = g.Name, g.Application, g.LogicalID
				if a.group == "" {
					a.group = physicalID(rs, g.LogicalID)
				}
				if a.application == "" {
					a.application = physicalID(rs, g.ApplicationLogicalID)
				}
			}
		}
		if a.group == "" || a.application == "" {
			a.group, a.application = "", ""
		}
		aliases = append(aliases, a)
	}
	sort.Slice(aliases, func(i, j int) bool { return aliases[i].logicalID < aliases[j].logicalID })
	return aliases, others
}

func aliasIDs(as []stuckAlias) []string {
	var ids []string
	for _, a := range as {
		ids = append(ids, a.logicalID)
	}
	return ids
}

// alignAliases points each skipped alias at the version the rolled-back template gives it.
func alignAliases(ctx context.Context, c clients, stack string, skipped []stuckAlias, did func(string, ...interface{})) error {
	t, err := deployedTemplate(ctx, c, stack)
	if err != nil {
		return err
	}
	rs, err := listResources(ctx, c, stack)
	if err != nil {
		return err
	}
	byID := map[string]revert.Alias{}
	for _, a := range t.Aliases() {
		byID[a.LogicalID] = a
	}
	for _, s := range skipped {
		ta, ok := byID[s.logicalID]
		if !ok {
			return fmt.Errorf("the rolled-back template of stack %s has no alias %s: point %s at the version the stack "+
				"expects by hand before the next deploy", stack, s.logicalID, s)
		}
		version := ta.Served
		if version == "" {
			arn := physicalID(rs, ta.Release)
			if i := strings.LastIndex(arn, ":"); i > 0 {
				version = arn[i+1:]
			}
		}
		if version == "" || strings.Trim(version, "0123456789") != "" {
			return fmt.Errorf("the rolled-back template of stack %s gives alias %s no version number (its version resource %s "+
				"has physical id %q): point %s at it by hand before the next deploy", stack, s.logicalID, ta.Release,
				physicalID(rs, ta.Release), s)
		}
		a, err := c.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: &s.function, Name: &s.name})
		if err != nil {
			return fmt.Errorf("GetAlias %s: %w", s, err)
		}
		if aws.ToString(a.FunctionVersion) == version && !weighted(a) {
			did("4. %s already serves version %s alone, as the template says", s, version)
			continue
		}
		before := serving(a)
		if err := pointAlias(ctx, c, a, s.function, s.name, version); err != nil {
			return err
		}
		did("4. pointed %s at version %s alone, as the rolled-back template says (it %s)", s, version, before)
	}
	return nil
}

// readGroup reads a deployment group's configuration.
func readGroup(ctx context.Context, c clients, app, group string) (*savedGroup, error) {
	out, err := c.codedeploy.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: &app, DeploymentGroupName: &group})
	if err != nil {
		return nil, fmt.Errorf("GetDeploymentGroup %s/%s: %w", app, group, err)
	}
	g := &savedGroup{application: app, group: group, alarms: &cdtypes.AlarmConfiguration{}}
	if info := out.DeploymentGroupInfo; info != nil {
		g.config = aws.ToString(info.DeploymentConfigName)
		if info.AlarmConfiguration != nil {
			g.alarms = info.AlarmConfiguration
		}
	}
	return g, nil
}

func (g *savedGroup) describe() string {
	var names []string
	for _, a := range g.alarms.Alarms {
		names = append(names, aws.ToString(a.Name))
	}
	alarms := "none"
	if len(names) > 0 {
		alarms = strings.Join(names, ", ")
	}
	return fmt.Sprintf("deployment config %s, alarm monitoring %s (alarms: %s; ignorePollAlarmFailure %v)", orUnknown(g.config),
		onOff(g.alarms.Enabled), alarms, g.alarms.IgnorePollAlarmFailure)
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// allAtOnce sets the group to shift all at once with alarm monitoring off, keeping its alarms.
func (g *savedGroup) allAtOnce(ctx context.Context, c clients) error {
	off := *g.alarms
	off.Enabled = false
	if err := updateGroup(ctx, c, g.application, g.group, revert.AllAtOnce, &off); err != nil {
		return err
	}
	g.changed = true
	return nil
}

// fromTemplate makes the configuration to restore the stack's deployed template's (after the rollback: the
// previous template): its deployment config and alarm switch, with the alarms the group has now (CloudFormation
// keeps that list). The group's settings before recover remain the fallback when the template cannot be read.
func (g *savedGroup) fromTemplate(ctx context.Context, c clients, stack string, did func(string, ...interface{})) {
	t, err := deployedTemplate(ctx, c, stack)
	if err != nil || g.logicalID == "" {
		did("5. could not read the deployed template (%v): %s gets back what it had before recover", err, g.group)
		return
	}
	tg, ok := t.Group(g.logicalID)
	if !ok {
		return
	}
	config := tg.Config
	if config == "" && tg.ConfigLogicalID != "" {
		if rs, err := listResources(ctx, c, stack); err == nil {
			config = physicalID(rs, tg.ConfigLogicalID)
		}
	}
	live, err := readGroup(ctx, c, g.application, g.group)
	if err != nil || config == "" {
		return
	}
	g.config, g.alarms = config, live.alarms
	g.alarms.Enabled = tg.AlarmsEnabled
}

func (g *savedGroup) restore(ctx context.Context, c clients) error {
	return updateGroup(ctx, c, g.application, g.group, g.config, g.alarms)
}

func (g *savedGroup) restoreCommand() string {
	var names []string
	for _, a := range g.alarms.Alarms {
		names = append(names, "{name="+aws.ToString(a.Name)+"}")
	}
	return shellLine([]string{"aws", "deploy", "update-deployment-group", "--application-name", g.application,
		"--current-deployment-group-name", g.group, "--deployment-config-name", g.config, "--alarm-configuration",
		fmt.Sprintf("enabled=%v,ignorePollAlarmFailure=%v,alarms=[%s]", g.alarms.Enabled, g.alarms.IgnorePollAlarmFailure,
			strings.Join(names, ","))})
}

// updateGroup sets a group's deployment config and alarm configuration, with "enabled" written explicitly
// (package alarmcfg).
func updateGroup(ctx context.Context, c clients, app, group, config string, alarms *cdtypes.AlarmConfiguration) error {
	in := &codedeploy.UpdateDeploymentGroupInput{ApplicationName: &app, CurrentDeploymentGroupName: &group, AlarmConfiguration: alarms}
	if config != "" {
		in.DeploymentConfigName = &config
	}
	_, err := c.codedeploy.UpdateDeploymentGroup(ctx, in, alarmcfg.ExplicitEnabled(alarms.Enabled))
	if err != nil {
		return fmt.Errorf("UpdateDeploymentGroup %s/%s: %w", app, group, err)
	}
	return nil
}

func (c cli) runRecover(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("recover", stderr)
	stack := fs.String("stack", "", "the stack in UPDATE_ROLLBACK_FAILED (required)")
	dryRun := fs.Bool("dry-run", false, "print each step with the API call it would make, and change nothing")
	yes := fs.Bool("yes", false, "do not ask for confirmation")
	timeout := fs.Duration("timeout", defaultRecoverTimeout, "the longest wait for each continued rollback (exit code 5 after it; the rollback goes on)")
	profile := fs.String("profile", "", "the AWS profile (default: AWS_PROFILE, else the standard credential chain)")
	region := fs.String("region", "", "the AWS region (default: AWS_REGION, else the profile's)")
	asJSON := fs.Bool("json", false, "print JSON on standard output, and progress on standard error")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if *stack == "" || *timeout <= 0 {
		fmt.Fprintln(stderr, "bluegreen recover: -stack is required, and -timeout must be positive (bluegreen recover -h lists the flags)")
		return exitUsage
	}
	cl, err := c.connect(c.context(), *profile, *region)
	if err != nil {
		return failed(stderr, "recover", err)
	}
	progress := stdout
	if *asJSON {
		progress = stderr
	}
	res, err := recoverStack(c.context(), cl, recoverOptions{stack: *stack, dryRun: *dryRun, confirm: c.confirmer(progress, *yes),
		out: progress, wait: waiter{timeout: *timeout, now: c.now, sleep: c.sleep, progress: progress}})
	code := exitCode(err)
	if err != nil {
		err = explain(err)
		res.Message = err.Error()
	}
	if *asJSON {
		if res.Steps == nil {
			res.Steps = []string{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(res)
	}
	if !*dryRun && !*asJSON && res.Aliases != nil {
		state := "deployable"
		if !res.Deployable {
			state = "not deployable"
		}
		fmt.Fprintf(stdout, "stack %s is %s: %s\n", res.Stack, res.Status, state)
		names := make([]string, 0, len(res.Aliases))
		for n := range res.Aliases {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(stdout, "  %s %s\n", n, res.Aliases[n])
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "bluegreen recover:", err)
	}
	return code
}

// waitIdle waits, within the wait's timeout, until the group runs no deployment (CodeDeploy's rollback of one it
// stopped included): a group runs one deployment at a time ("Maximum number of concurrent deployments to a
// deployment group: 1", CodeDeploy quotas), and CloudFormation's retried reverse deployment would find it busy.
func waitIdle(ctx context.Context, c clients, app, group string, w waiter) error {
	now, sleep := w.clocks()
	deadline := now().Add(w.timeout)
	for {
		active, err := c.deployments().Active(ctx, app, group)
		if err != nil || len(active) == 0 {
			return err
		}
		if !now().Before(deadline) {
			return fmt.Errorf("%w: deployment %s of %s/%s still runs after %v", errTimedOut, aws.ToString(active[0].DeploymentId),
				app, group, w.timeout)
		}
		if err := sleep(ctx, stackPoll); err != nil {
			return err
		}
	}
}
