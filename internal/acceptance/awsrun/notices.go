package awsrun

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// notice is one notification read from the queue.
type notice struct {
	outcome string
	at      time.Time
	order   int
}

// notices reads and removes the notices on the queue until it has been empty for NoticeQuiet (within NoticeWait
// in all, publishing the business metric when due meanwhile), and returns the outcomes of those SNS published
// within the step's window (from, to, widened by ClockSkew) in the order SNS sent them, and a note for each other
// one: a notice of an earlier step that arrived late, which no check of this step counts. A notice without an SNS
// timestamp (delivered raw) is counted.
func (b *Backend) notices(ctx context.Context, queue string, from, to time.Time) (outcomes, late []string, err error) {
	if queue == "" {
		return nil, nil, nil
	}
	clock := b.cfg.Clock
	began := clock.Now()
	quietSince := began
	var got []notice
	for {
		if err := b.keepBusiness(ctx); err != nil {
			return nil, nil, err
		}
		out, err := b.clients.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &queue, MaxNumberOfMessages: 10,
			WaitTimeSeconds: 2})
		if err != nil {
			return nil, nil, fmt.Errorf("ReceiveMessage %s: %w", queue, err)
		}
		for _, m := range out.Messages {
			if n, ok := parseNotice(aws.ToString(m.Body)); ok {
				n.order = len(got)
				got = append(got, n)
			}
			if _, err := b.clients.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &queue, ReceiptHandle: m.ReceiptHandle}); err != nil {
				return nil, nil, fmt.Errorf("DeleteMessage %s: %w", queue, err)
			}
		}
		now := clock.Now()
		if len(out.Messages) > 0 {
			quietSince = now
		}
		if now.Sub(quietSince) >= b.cfg.NoticeQuiet {
			break
		}
		if !now.Before(began.Add(b.cfg.NoticeWait)) {
			late = append(late, fmt.Sprintf("notices: the queue was not quiet for %s within %s: notices may arrive in "+
				"the next step", b.cfg.NoticeQuiet, b.cfg.NoticeWait))
			break
		}
		if len(out.Messages) == 0 {
			if err := clock.Sleep(ctx, b.cfg.PollInterval); err != nil {
				return nil, nil, fmt.Errorf("waiting for the notices: %w", err)
			}
		}
	}
	sort.SliceStable(got, func(i, j int) bool {
		if !got[i].at.Equal(got[j].at) {
			return got[i].at.Before(got[j].at)
		}
		return got[i].order < got[j].order
	})
	lo, hi := from.Add(-ClockSkew), to.Add(ClockSkew)
	for _, n := range got {
		if !n.at.IsZero() && (n.at.Before(lo) || n.at.After(hi)) {
			late = append(late, fmt.Sprintf("notice %q sent at %s, outside the step (%s to %s): not counted",
				n.outcome, n.at.UTC().Format(time.RFC3339), from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339)))
			continue
		}
		outcomes = append(outcomes, n.outcome)
	}
	return outcomes, late, nil
}

// parseNotice reads a notice of the notify construct from an SQS message: the SNS envelope's Subject ("Deployment
// <outcome>: <target>", formatter.Notice.Subject) and Timestamp, or, delivered raw, the first line of the message
// that starts with "Deployment ". With raw message delivery off (the acceptance app's subscription), SNS sends the
// queue a JSON document with Type, MessageId, TopicArn, Subject, Message and Timestamp (SNS Developer Guide, Fanout
// to Amazon SQS queues; Amazon SNS raw message delivery).
func parseNotice(body string) (notice, bool) {
	var env struct {
		Subject, Message, Timestamp string
	}
	text := body
	var n notice
	if json.Unmarshal([]byte(body), &env) == nil && (env.Subject != "" || env.Message != "") {
		n.at, _ = time.Parse(time.RFC3339Nano, env.Timestamp)
		text = env.Subject + "\n" + env.Message
	}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		rest, ok := strings.CutPrefix(line, "Deployment ")
		if !ok {
			continue
		}
		if outcome, _, ok := strings.Cut(rest, ":"); ok && outcome != "" {
			n.outcome = outcome
			return n, true
		}
	}
	return n, false
}
