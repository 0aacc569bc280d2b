package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"

	"github.com/safeship/lambda-bluegreen/internal/revert"
)

// stackPoll is how often a command reads a stack it waits for: the AWS CLI's stack waiters
// (aws cloudformation wait stack-update-complete) poll DescribeStacks every 30 s; a rollback's update takes a
// minute or two, so a few seconds shows its end promptly at 12 requests a minute.
const stackPoll = 5 * time.Second

// Resource types the commands look for in a stack.
const (
	typeFunction = "AWS::Lambda::Function"
	typeVersion  = "AWS::Lambda::Version"
	typeAlias    = "AWS::Lambda::Alias"
)

// stableStatuses are the states of a stack that an update may start from, and that no operation is changing:
// the ends of a create, an update, an update's rollback and an import.
var stableStatuses = map[cfntypes.StackStatus]bool{
	cfntypes.StackStatusCreateComplete: true, cfntypes.StackStatusUpdateComplete: true,
	cfntypes.StackStatusUpdateRollbackComplete: true, cfntypes.StackStatusImportComplete: true,
	cfntypes.StackStatusImportRollbackComplete: true,
}

// stackInfo is a stack as DescribeStacks reads it.
type stackInfo struct {
	name, id string
	status   cfntypes.StackStatus
	reason   string
}

// arnPart returns the i-th ":"-separated field of the stack's ARN
// (arn:partition:cloudformation:region:account:stack/name/id), or "".
func (s stackInfo) arnPart(i int) string {
	parts := strings.SplitN(s.id, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[i]
}

func (s stackInfo) partition() string { return s.arnPart(1) }
func (s stackInfo) region() string    { return s.arnPart(3) }
func (s stackInfo) account() string   { return s.arnPart(4) }

func inProgress(s cfntypes.StackStatus) bool { return strings.HasSuffix(string(s), "_IN_PROGRESS") }

// describeStack reads the stack. CloudFormation answers a stack that does not exist with a ValidationError
// ("Stack with id NAME does not exist").
func describeStack(ctx context.Context, c clients, name string) (stackInfo, error) {
	out, err := c.cloudformation.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: &name})
	if err != nil {
		return stackInfo{}, fmt.Errorf("DescribeStacks %s: %w", name, err)
	}
	if len(out.Stacks) == 0 {
		return stackInfo{}, fmt.Errorf("DescribeStacks %s returned no stack", name)
	}
	st := out.Stacks[0]
	return stackInfo{name: aws.ToString(st.StackName), id: aws.ToString(st.StackId), status: st.StackStatus,
		reason: aws.ToString(st.StackStatusReason)}, nil
}

// checkStable refuses a stack that an update cannot start from, saying what its state means and what to do.
func checkStable(s stackInfo) error {
	switch {
	case stableStatuses[s.status]:
		return nil
	case inProgress(s.status):
		return fmt.Errorf("stack %s is %s: a stack operation is running, and CloudFormation takes no update until it "+
			"ends; run bluegreen rollback again when it has (bluegreen status shows what the alias serves meanwhile)",
			s.name, s.status)
	case s.status == cfntypes.StackStatusUpdateRollbackFailed:
		return fmt.Errorf("stack %s is UPDATE_ROLLBACK_FAILED: the rollback of its last update failed and the stack takes "+
			"no update until the rollback is finished; run bluegreen recover -stack %s first", s.name, s.name)
	default:
		return fmt.Errorf("stack %s is %s, a state no update can start from (%s)", s.name, s.status, orUnknown(s.reason))
	}
}

// listResources reads every resource of the stack. ListStackResources pages through all of them;
// DescribeStackResources returns "only the first 100 resources" (CloudFormation API reference).
func listResources(ctx context.Context, c clients, stack string) ([]cfntypes.StackResourceSummary, error) {
	var out []cfntypes.StackResourceSummary
	pages := cloudformation.NewListStackResourcesPaginator(c.cloudformation, &cloudformation.ListStackResourcesInput{StackName: &stack})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("ListStackResources %s: %w", stack, err)
		}
		out = append(out, page.StackResourceSummaries...)
	}
	return out, nil
}

// physicalID returns the physical id of the resource with logical id id, or "".
func physicalID(rs []cfntypes.StackResourceSummary, id string) string {
	for _, r := range rs {
		if aws.ToString(r.LogicalResourceId) == id {
			return aws.ToString(r.PhysicalResourceId)
		}
	}
	return ""
}

// logicalIDOf returns the logical id of the resource of type typ whose physical id is physical, or "".
func logicalIDOf(rs []cfntypes.StackResourceSummary, typ, physical string) string {
	for _, r := range rs {
		if aws.ToString(r.ResourceType) == typ && aws.ToString(r.PhysicalResourceId) == physical {
			return aws.ToString(r.LogicalResourceId)
		}
	}
	return ""
}

// deployedTemplate reads the stack's template as it was submitted: TemplateStage Original ("To get the
// user-submitted template, specify Original ... If the template doesn't include transforms, Original and Processed
// return the same template", CloudFormation API reference, GetTemplate), which is what an update must send. After a
// failed update (UPDATE_ROLLBACK_COMPLETE) it is the template the stack went back to: not documented, measured on a
// real account by an emulator's maintainer (ministackorg/ministack#1601).
func deployedTemplate(ctx context.Context, c clients, stack string) (*revert.Template, error) {
	out, err := c.cloudformation.GetTemplate(ctx, &cloudformation.GetTemplateInput{StackName: &stack,
		TemplateStage: cfntypes.TemplateStageOriginal})
	if err != nil {
		return nil, fmt.Errorf("GetTemplate %s: %w", stack, err)
	}
	t, err := revert.Parse([]byte(aws.ToString(out.TemplateBody)))
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", stack, err)
	}
	return t, nil
}

// stackEvents reads the stack's events of its last operation, newest first: DescribeStackEvents returns them "in
// reverse chronological order" (CloudFormation API reference), and the operation starts with the stack's own event
// in an *_IN_PROGRESS state that is no rollback's or cleanup's (UPDATE_IN_PROGRESS, CREATE_IN_PROGRESS…). At most
// maxEventPages pages are read.
func stackEvents(ctx context.Context, c clients, stack string) ([]cfntypes.StackEvent, error) {
	const maxEventPages = 5
	var out []cfntypes.StackEvent
	pages := cloudformation.NewDescribeStackEventsPaginator(c.cloudformation, &cloudformation.DescribeStackEventsInput{StackName: &stack})
	for n := 0; pages.HasMorePages() && n < maxEventPages; n++ {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("DescribeStackEvents %s: %w", stack, err)
		}
		for _, e := range page.StackEvents {
			out = append(out, e)
			if operationStart(e, stack) {
				return out, nil
			}
		}
	}
	return out, nil
}

// operationStart reports whether e is the stack's own event that starts an update, create or import.
func operationStart(e cfntypes.StackEvent, stack string) bool {
	s := string(e.ResourceStatus)
	return aws.ToString(e.ResourceType) == "AWS::CloudFormation::Stack" &&
		(aws.ToString(e.LogicalResourceId) == stack || aws.ToString(e.StackName) == stack) &&
		(s == "UPDATE_IN_PROGRESS" || s == "CREATE_IN_PROGRESS" || s == "IMPORT_IN_PROGRESS")
}

// failures are the resources' failure reasons among events, newest first, one a resource: "Logical (Type):
// reason". Cancellations caused by another resource's failure ("Resource update cancelled") say nothing of their
// own and are left out.
func failures(events []cfntypes.StackEvent) []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range events {
		id := aws.ToString(e.LogicalResourceId)
		reason := aws.ToString(e.ResourceStatusReason)
		if !strings.HasSuffix(string(e.ResourceStatus), "_FAILED") || reason == "" || seen[id] ||
			aws.ToString(e.ResourceType) == "AWS::CloudFormation::Stack" || strings.Contains(reason, "cancelled") {
			continue
		}
		seen[id] = true
		out = append(out, fmt.Sprintf("%s (%s): %s", id, aws.ToString(e.ResourceType), oneLine(reason)))
	}
	return out
}

// newestFailure is the newest failure reason of the stack's last operation, or what the stack's status says.
func newestFailure(ctx context.Context, c clients, s stackInfo) string {
	events, err := stackEvents(ctx, c, s.name)
	if err != nil {
		return fmt.Sprintf("the events could not be read: %v", err)
	}
	if f := failures(events); len(f) > 0 {
		return f[0]
	}
	return orUnknown(s.reason)
}

// waiter waits for stacks with the command's clock, reporting each new state.
type waiter struct {
	timeout  time.Duration
	now      func() time.Time
	sleep    func(ctx context.Context, d time.Duration) error
	progress io.Writer
}

// errTimedOut: a stack operation outlasted -timeout. It goes on; the command exits 5.
var errTimedOut = errors.New("timed out")

// clocks returns the waiter's clock and sleep, the real ones when unset.
func (w waiter) clocks() (func() time.Time, func(context.Context, time.Duration) error) {
	now, sleep := w.now, w.sleep
	if now == nil {
		now = time.Now
	}
	if sleep == nil {
		sleep = sleepContext
	}
	return now, sleep
}

// wait reads the stack every stackPoll until no operation is running on it, and returns its state then.
func (w waiter) wait(ctx context.Context, c clients, stack string) (stackInfo, error) {
	now, sleep := w.clocks()
	deadline := now().Add(w.timeout)
	var last cfntypes.StackStatus
	for {
		s, err := describeStack(ctx, c, stack)
		if err != nil {
			return s, err
		}
		if s.status != last && w.progress != nil {
			fmt.Fprintf(w.progress, "  stack %s %s\n", stack, s.status)
			last = s.status
		}
		if !inProgress(s.status) {
			return s, nil
		}
		if !now().Before(deadline) {
			return s, fmt.Errorf("%w: stack %s is still %s after %s; the operation goes on (aws cloudformation "+
				"describe-stacks --stack-name %s)", errTimedOut, stack, s.status, w.timeout, stack)
		}
		if err := sleep(ctx, min(stackPoll, deadline.Sub(now()))); err != nil {
			return s, err
		}
	}
}

// isNoUpdates reports CloudFormation's answer to an update that changes nothing: a ValidationError "No updates
// are to be performed."
func isNoUpdates(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == "ValidationError" && strings.Contains(api.ErrorMessage(), "No updates are to be performed")
}
