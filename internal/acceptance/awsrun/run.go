package awsrun

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/safeship/lambda-bluegreen/internal/acceptance"
)

// Deps are what a run acts through: the AWS clients, the Deployer of the acceptance app, and bluegreen's commands.
type Deps struct {
	Clients  Clients
	Deployer Deployer
	Commands Commands
}

// Outcome is what a run did.
type Outcome struct {
	// Run is the run's id (generated when the configuration had none).
	Run    string
	Plan   Plan
	Report acceptance.Report
	// Paths are the report's files.
	Paths []string
}

// Passed reports whether every scenario played passed and no rule of the model was contradicted.
func (o Outcome) Passed() bool {
	if !o.Report.Result.Passed() {
		return false
	}
	for _, r := range o.Report.Rules {
		if r.Status == acceptance.RuleContradicted {
			return false
		}
	}
	return true
}

// Run validates the configuration, refuses credentials of another account (ErrRefused, before anything is created),
// prints the plan, asks for confirmation (Yes, or the account id typed on In), plays the scenarios within
// RunTimeout (the ModelOnly ones skipped), deletes each scenario's stack after it (also after a failure or when ctx
// ends: an interrupt), and writes the report (report.md and report.json) into ReportDir. The error is ErrInvalid,
// ErrRefused or ErrUnreadable before the scenarios, or the report's write; a scenario that failed is in the
// Outcome.
func Run(ctx context.Context, c Config, d Deps) (Outcome, error) {
	if err := c.Validate(); err != nil {
		return Outcome{}, err
	}
	c = c.withDefaults()
	o := Outcome{Run: c.Run}
	if err := checkAccount(ctx, c, d.Clients); err != nil {
		return o, err
	}
	model, err := acceptance.ModelResult()
	if err != nil {
		return o, err
	}
	o.Plan = NewPlan(c, model)
	o.Plan.Write(c.Out, c)
	if !c.Yes {
		fmt.Fprintf(c.Out, "Type the account id %s to create these stacks in it (anything else cancels): ", c.Account)
		sc := bufio.NewScanner(c.In)
		if !sc.Scan() || strings.TrimSpace(sc.Text()) != c.Account {
			fmt.Fprintln(c.Out)
			return o, fmt.Errorf("%w: not confirmed (type the account id, or give -yes)", ErrRefused)
		}
	}
	started := c.Clock.Now()
	rctx, cancel := context.WithTimeout(ctx, c.RunTimeout)
	defer cancel()
	b := NewBackend(c, d.Clients, d.Deployer, d.Commands)
	res := acceptance.Run(rctx, b, c.selected(), acceptance.Options{
		Skip:       func(s acceptance.Scenario) string { return s.ModelOnly },
		Progress:   func(format string, args ...interface{}) { fmt.Fprintf(c.Out, format+"\n", args...) },
		EndTimeout: c.EndTimeout,
	})
	o.Report = acceptance.NewReport(res, model)
	o.Report.Date = started.UTC().Format("2006-01-02")
	o.Report.Region = c.Region
	o.Report.Account = MaskAccount(c.Account)
	o.Report.LibraryVersion = c.LibraryVersion
	o.Paths, err = WriteReport(c.ReportDir, o.Report)
	return o, err
}

// checkAccount refuses credentials of another account than c.Account.
func checkAccount(ctx context.Context, c Config, cl Clients) error {
	id, err := cl.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return fmt.Errorf("%w: GetCallerIdentity: %w", ErrUnreadable, err)
	}
	if got := aws.ToString(id.Account); got != c.Account {
		return fmt.Errorf("%w: the credentials are of account %s, not %s: nothing was created", ErrRefused,
			MaskAccount(got), MaskAccount(c.Account))
	}
	return nil
}

// WriteReport writes the report as report.md and report.json into dir (made if missing), and returns their paths.
func WriteReport(dir string, r acceptance.Report) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("writing the report: %w", err)
	}
	js, err := r.JSON()
	if err != nil {
		return nil, fmt.Errorf("writing the report: %w", err)
	}
	md, jsonPath := filepath.Join(dir, "report.md"), filepath.Join(dir, "report.json")
	if err := os.WriteFile(md, []byte(r.Markdown()), 0o644); err != nil {
		return nil, fmt.Errorf("writing the report: %w", err)
	}
	if err := os.WriteFile(jsonPath, append(js, '\n'), 0o644); err != nil {
		return []string{md}, fmt.Errorf("writing the report: %w", err)
	}
	return []string{md, jsonPath}, nil
}

// Cleanup deletes what runs left behind: the stacks acceptance.OwnStack accepts for c.Run, or for every run with
// allRuns (other people's runs in the account too; a stack without the tag, or whose name lacks the prefix, is
// never touched), and the release blocks of their functions. It checks the account first, as Run does, and returns
// the stacks it deleted.
//
// The candidates come from ListStacks, filtered by name prefix, then each is read by name (DescribeStacks with a
// StackName) for its tags: DescribeStacks without a StackName "requires ListStacks and DescribeStacks permissions"
// on every stack (CloudFormation API Reference, DescribeStacks), which the documented policy does not grant.
func Cleanup(ctx context.Context, c Config, cl Clients, allRuns bool) ([]string, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.Run == "" && !allRuns {
		return nil, fmt.Errorf("%w: cleanup needs the run's id, or every run", ErrInvalid)
	}
	c = c.withDefaults()
	run, prefix := c.Run, acceptance.StackPrefix+"-"+c.Run+"-"
	if allRuns {
		run, prefix = "", acceptance.StackPrefix+"-"
	}
	if err := checkAccount(ctx, c, cl); err != nil {
		return nil, err
	}
	names, err := listStacks(ctx, cl.CloudFormation, prefix)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	b := NewBackend(c, cl, nil, nil)
	var deleted []string
	var errs []error
	for _, name := range names {
		st, err := b.describe(ctx, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if st == nil || !acceptance.OwnStack(name, tagsOf(st), run) {
			continue
		}
		if err := b.teardown(ctx, name, run, nil); err != nil {
			errs = append(errs, err)
			continue
		}
		deleted = append(deleted, name)
		fmt.Fprintf(c.Out, "deleted %s\n", name)
	}
	// Joined, not flattened: an interrupt (context.Canceled) stays visible to the caller's exit code.
	return deleted, errors.Join(errs...)
}

// listStacks are the names of the stacks that start with prefix, in every status but DELETE_COMPLETE (ListStacks
// without a filter also returns the stacks deleted in the last 90 days: CloudFormation API Reference, ListStacks).
func listStacks(ctx context.Context, cfn CloudFormationAPI, prefix string) ([]string, error) {
	var filter []cfntypes.StackStatus
	for _, s := range cfntypes.StackStatus("").Values() {
		if s != cfntypes.StackStatusDeleteComplete {
			filter = append(filter, s)
		}
	}
	var names []string
	var token *string
	for page := 0; page < 100; page++ {
		out, err := cfn.ListStacks(ctx, &cloudformation.ListStacksInput{StackStatusFilter: filter, NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("ListStacks: %w", err)
		}
		for _, s := range out.StackSummaries {
			if n := aws.ToString(s.StackName); strings.HasPrefix(n, prefix) {
				names = append(names, n)
			}
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	sort.Strings(names)
	return names, nil
}
