package awsrun

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/safeship/lambda-bluegreen/internal/acceptance"
	"github.com/safeship/lambda-bluegreen/internal/block"
)

// End removes what the scenario created, and only that: when Begin refused to start (a stack of the same name
// existed already, as with a reused run id) or never ran, End touches nothing. Otherwise it deletes the scenario's
// stack, if it exists and is the run's (acceptance.OwnStack), waiting within EndTimeout, and the release blocks
// bluegreen rollback left outside the stack for its functions (block.ParameterName).
func (b *Backend) End(ctx context.Context, s acceptance.Scenario) error {
	stack, err := b.stackOf(s)
	if err != nil {
		return err
	}
	if !b.began || stack != b.stack {
		return nil
	}
	b.began = false
	var known []string
	for name := range b.functions {
		known = append(known, name)
	}
	return b.teardown(ctx, stack, b.cfg.Run, known)
}

// teardown deletes the stack when OwnStack accepts it for run (waiting until it is gone), then the release blocks
// of its functions: those its outputs name and known ones (the functions a scenario saw). Every error is returned,
// joined.
func (b *Backend) teardown(ctx context.Context, name, run string, known []string) error {
	st, err := b.describe(ctx, name)
	if err != nil {
		return err
	}
	if st != nil && !acceptance.OwnStack(name, tagsOf(st), run) {
		return fmt.Errorf("stack %s is not the run's (no tag %s=%s or another name): not deleted", name, acceptance.TagKey, run)
	}
	fns := append([]string(nil), known...)
	for _, f := range functionsOf(st) {
		fns = append(fns, f.Name)
	}
	var errs []error
	// The blocks first, with a bound of their own: deleting the stack may use up ctx's time.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), blockTimeout)
	defer cancel()
	if err := b.deleteBlocks(bctx, name, fns); err != nil {
		errs = append(errs, err)
	}
	if st != nil {
		if err := b.deleteStack(ctx, name, run); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// blockTimeout bounds the deletion of a stack's release blocks.
const blockTimeout = 2 * time.Minute

// deleteBlocks deletes the release blocks of the stack's functions (one SSM parameter each, block.ParameterName),
// which bluegreen rollback writes outside the stack, so that deleting the stack leaves them behind. A parameter is
// deleted only when every block in it names this stack (block.Entry.Stack, which bluegreen rollback records): the
// function's name alone does not say which stack owns it, since CloudFormation shortens the names it generates. A
// parameter that does not exist is not an error.
func (b *Backend) deleteBlocks(ctx context.Context, stack string, fns []string) error {
	sort.Strings(fns)
	var errs []error
	seen := map[string]bool{}
	for _, fn := range fns {
		if seen[fn] || fn == "" {
			continue
		}
		seen[fn] = true
		name := block.ParameterName(fn)
		var missing *ssmtypes.ParameterNotFound
		out, err := b.clients.SSM.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
		if errors.As(err, &missing) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("GetParameter %s (a release block bluegreen rollback left): %w", name, err))
			continue
		}
		l, err := block.Parse(aws.ToString(out.Parameter.Value))
		if err != nil || !ownBlocks(l, stack) {
			continue // not readable as blocks, or another stack's: not ours to delete
		}
		if _, err := b.clients.SSM.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String(name)}); err != nil && !errors.As(err, &missing) {
			errs = append(errs, fmt.Errorf("DeleteParameter %s (a release block bluegreen rollback left): %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// ownBlocks reports whether every block of l names the stack.
func ownBlocks(l block.List, stack string) bool {
	for _, e := range l.Entries {
		if e.Stack != stack {
			return false
		}
	}
	return true
}

// deleteStack deletes the stack when OwnStack accepts it for run, and waits (bounded by EndTimeout on the run's
// clock, and by ctx) until it is gone. A stack in an operation is waited for before it is deleted, except one in
// REVIEW_IN_PROGRESS: that is a new stack whose change set cdk created but never executed (an interrupt between the
// two), and CloudFormation leaves it so until the change set is executed or deleted, so it is deleted at once
// (AWS documents the status only as a stack being created from a change set; that such a stack has no resources
// and carries the tags cdk gave the change set is an assumption, from aws-cdk's fix #7731, listed in
// docs/acceptance.md). A deletion that fails (DELETE_FAILED) is retried once.
func (b *Backend) deleteStack(ctx context.Context, name, run string) error {
	clock := b.cfg.Clock
	deadline := clock.Now().Add(b.cfg.EndTimeout)
	deletes := 0
	for {
		st, err := b.describe(ctx, name)
		if err != nil {
			return err
		}
		if st == nil {
			return nil
		}
		if !acceptance.OwnStack(name, tagsOf(st), run) {
			return fmt.Errorf("stack %s is not the run's (no tag %s=%s or another name): not deleted", name, acceptance.TagKey, run)
		}
		status := string(st.StackStatus)
		switch {
		case status == string(cfntypes.StackStatusDeleteComplete):
			return nil
		case status == string(cfntypes.StackStatusReviewInProgress) && deletes == 0:
			if err := b.deleteOnce(ctx, name); err != nil {
				return err
			}
			deletes++
		case strings.HasSuffix(status, "_IN_PROGRESS"):
			// wait: the operation (the deletion, or an update an interrupt left running) goes on
		case status == string(cfntypes.StackStatusDeleteFailed) && deletes >= 2:
			return fmt.Errorf("stack %s: deletion failed twice: %s", name, aws.ToString(st.StackStatusReason))
		case deletes == 0 || status == string(cfntypes.StackStatusDeleteFailed):
			if err := b.deleteOnce(ctx, name); err != nil {
				return err
			}
			deletes++
		}
		if !clock.Now().Before(deadline) {
			return fmt.Errorf("stack %s is still %s after %s: delete it by hand (bluegreen acceptance -cleanup)",
				name, status, b.cfg.EndTimeout)
		}
		if err := clock.Sleep(ctx, b.cfg.PollInterval); err != nil {
			return fmt.Errorf("waiting for stack %s to be deleted (%s): %w", name, status, err)
		}
	}
}

func (b *Backend) deleteOnce(ctx context.Context, name string) error {
	if _, err := b.clients.CloudFormation.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(name)}); err != nil {
		return fmt.Errorf("DeleteStack %s: %w", name, err)
	}
	return nil
}
