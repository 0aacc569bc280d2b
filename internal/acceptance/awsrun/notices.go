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

// notices waits NoticeWait, then reads and removes every notice on the queue, and returns their outcomes in the
// order SNS sent them.
func (b *Backend) notices(ctx context.Context, queue string) ([]string, error) {
	if queue == "" {
		return nil, nil
	}
	if err := b.cfg.Clock.Sleep(ctx, b.cfg.NoticeWait); err != nil {
		return nil, err
	}
	var got []notice
	for round := 0; round < 20; round++ {
		out, err := b.clients.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &queue, MaxNumberOfMessages: 10,
			WaitTimeSeconds: 2})
		if err != nil {
			return nil, fmt.Errorf("ReceiveMessage %s: %w", queue, err)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, m := range out.Messages {
			if n, ok := parseNotice(aws.ToString(m.Body)); ok {
				n.order = len(got)
				got = append(got, n)
			}
			if _, err := b.clients.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &queue, ReceiptHandle: m.ReceiptHandle}); err != nil {
				return nil, fmt.Errorf("DeleteMessage %s: %w", queue, err)
			}
		}
	}
	sort.SliceStable(got, func(i, j int) bool {
		if !got[i].at.Equal(got[j].at) {
			return got[i].at.Before(got[j].at)
		}
		return got[i].order < got[j].order
	})
	out := make([]string, len(got))
	for i, n := range got {
		out[i] = n.outcome
	}
	return out, nil
}

// parseNotice reads a notice of the notify construct from an SQS message: the SNS envelope's Subject ("Deployment
// <outcome>: <target>", formatter.Notice.Subject) and Timestamp, or, delivered raw, the first line of the message
// that starts with "Deployment ".
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
