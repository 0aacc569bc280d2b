package awsrun

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// ClockSkew is what a step's window allows between this machine's clock and the times AWS records (stack events,
// deployments' creation, SNS timestamps).
const ClockSkew = 10 * time.Second

// operation is a stack operation as the stack's own events show it.
type operation struct {
	// found: an operation started in the window; start is its first *_IN_PROGRESS event.
	found bool
	start time.Time
	// ended: it reached a final status (a status not ending in _IN_PROGRESS), at end.
	ended bool
	end   time.Time
}

// took is the operation's time.
func (o operation) took() time.Duration { return o.end.Sub(o.start) }

// stackOperation finds the operation of the stack that started after since: from the stack's own first
// *_IN_PROGRESS event to its last event with a final status. REVIEW_IN_PROGRESS is not a start: it is cdk creating
// the change set of a new stack, before the change set executes. A step's time is its operation's, so it leaves out
// synthesis, the asset upload and the change set's creation, which the model's times have none of.
//
// DescribeStackEvents "returns all stack related events for a specified stack in reverse chronological order"
// (CloudFormation API Reference, DescribeStackEvents): the pages are read until an event older than since.
func (b *Backend) stackOperation(ctx context.Context, stack string, since time.Time) (operation, error) {
	var own []cfntypes.StackEvent // the stack's own events since since, newest first
	var token *string
	for page := 0; page < 50; page++ {
		out, err := b.clients.CloudFormation.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{
			StackName: aws.String(stack), NextToken: token})
		if err != nil {
			return operation{}, fmt.Errorf("DescribeStackEvents %s: %w", stack, err)
		}
		older := false
		for _, e := range out.StackEvents {
			if aws.ToTime(e.Timestamp).Before(since) {
				older = true
				break
			}
			if aws.ToString(e.ResourceType) == "AWS::CloudFormation::Stack" && aws.ToString(e.LogicalResourceId) == stack {
				own = append(own, e)
			}
		}
		if token = out.NextToken; older || token == nil {
			break
		}
	}
	var op operation
	for i := len(own) - 1; i >= 0; i-- {
		status, at := string(own[i].ResourceStatus), aws.ToTime(own[i].Timestamp)
		inProgress := strings.HasSuffix(status, "_IN_PROGRESS")
		switch {
		case !op.found && inProgress && status != string(cfntypes.StackStatusReviewInProgress):
			op.found, op.start = true, at
		case op.found && !inProgress:
			op.ended, op.end = true, at
		}
	}
	return op, nil
}
