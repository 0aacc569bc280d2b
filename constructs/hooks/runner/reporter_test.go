package runner_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"

	"github.com/safeship/lambda-bluegreen/constructs/hooks/hookconfig"
	"github.com/safeship/lambda-bluegreen/constructs/hooks/runner"
)

// reporter returns a failure reporter whose CodeDeploy client talks to the fake.
func (f *fakeAWS) reporter() (*runner.FailureReporter, *strings.Builder) {
	log := &strings.Builder{}
	return &runner.FailureReporter{
		CodeDeploy: codedeploy.NewFromConfig(aws.Config{
			Region:      "eu-west-1",
			Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
			Retryer: func() aws.Retryer {
				return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxBackoff = 5 * time.Millisecond })
			},
			BaseEndpoint: aws.String(f.srv.URL),
		}),
		Phase: hookconfig.PostTraffic,
		Log:   log,
	}, log
}

// record is an invocation record as Lambda sends it to an on-failure destination, built on the example of the
// Lambda Developer Guide, for the fake's hook event.
func record(condition string, count int, response string) string {
	r := `{"version":"1.0","timestamp":"2026-12-01T10:00:00.000Z","requestContext":{"requestId":"e4b46cbf-b738-xmpl-8880-a18cdf61200e",` +
		`"functionArn":"arn:aws:lambda:eu-west-1:123456789012:function:hook:$LATEST","condition":"` + condition + `",` +
		`"approximateInvokeCount":` + strconv.Itoa(count) + `},"requestPayload":` + event
	if response != "" {
		r += `,"responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"},"responsePayload":` + response
	}
	return r + "}"
}

// A hook invocation that ended without the hook's report (a crash, out of memory, a timeout) or never ran (its
// event aged out while throttled) reaches CodeDeploy as Failed through the reporter, with the reason in the log.
func TestFailureReporterReportsFailed(t *testing.T) {
	for _, tc := range []struct {
		name, record string
		want         []string
	}{
		{"out of memory", record("RetriesExhausted", 1, `{"errorType":"Runtime.OutOfMemory","errorMessage":"Runtime exited with error: signal: killed"}`),
			[]string{"its invocation failed (RetriesExhausted after 1 attempt), function error Unhandled: Runtime.OutOfMemory Runtime exited with error: signal: killed"}},
		{"timeout", record("RetriesExhausted", 1, `{"errorType":"Sandbox.Timedout","errorMessage":"Task timed out after 300.00 seconds"}`),
			[]string{"Sandbox.Timedout Task timed out after 300.00 seconds"}},
		{"crash at start", record("RetriesExhausted", 1, `{"errorMessage":"RequestId: e4b46cbf Process exited before completing request"}`),
			[]string{"Process exited before completing request"}},
		{"throttled until the event aged out", record("EventAgeExceeded", 3, ""),
			[]string{"its event passed its maximum age before a run succeeded (EventAgeExceeded after 3 attempts): throttled, or failed by Lambda"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			r, log := f.reporter()
			if err := r.Handle(context.Background(), json.RawMessage(tc.record)); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			wantStatus(t, f.reported(), "Failed", log.String())
			for _, want := range append(tc.want, "bluegreen hook: the post-traffic hook (arn:aws:lambda:eu-west-1:123456789012:function:hook:$LATEST) "+
				"did not report for deployment d-TEST, hook execution hook-1: ", "reported Failed to CodeDeploy") {
				if !strings.Contains(log.String(), want) {
					t.Errorf("log lacks %q:\n%s", want, log)
				}
			}
		})
	}
}

// A hook that reported and then failed keeps its own status: CodeDeploy refuses the reporter's, which is no error.
func TestFailureReporterAfterTheHookReported(t *testing.T) {
	f := newFake(t)
	run(t, f, pre(hookconfig.TestCase{Name: "x"}), 5*time.Second)
	r, log := f.reporter()
	if err := r.Handle(context.Background(), json.RawMessage(record("RetriesExhausted", 1, `{"errorType":"Runtime.ExitError"}`))); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if got := f.reported(); len(got) != 1 || got[0] != "Succeeded" {
		t.Errorf("statuses %v, want the hook's [Succeeded] only", got)
	}
	if !strings.Contains(log.String(), "(LifecycleEventAlreadyCompletedException): this Failed is not recorded, the first report stands") {
		t.Errorf("log:\n%s", log)
	}
}

// What is not a record of a hook invocation is logged and dropped; a report that cannot be sent is an error, so
// that Lambda may invoke the reporter again.
func TestFailureReporterDropsWhatItCannotReport(t *testing.T) {
	for name, payload := range map[string]string{
		"a hook event, not a record": event,
		"not JSON":                   "{{",
		"a record without ids":       `{"requestContext":{"condition":"RetriesExhausted"},"requestPayload":{"hello":1}}`,
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake(t)
			r, log := f.reporter()
			if err := r.Handle(context.Background(), json.RawMessage(payload)); err != nil {
				t.Errorf("Handle: %v", err)
			}
			if f.puts != 0 || !strings.Contains(log.String(), "nothing to report") {
				t.Errorf("%d reports; log:\n%s", f.puts, log)
			}
		})
	}
	t.Run("CodeDeploy refuses", func(t *testing.T) {
		f := newFake(t)
		f.putError = "InvalidLifecycleEventHookExecutionIdException"
		r, log := f.reporter()
		if err := r.Handle(context.Background(), json.RawMessage(record("RetriesExhausted", 1, `{}`))); err == nil {
			t.Errorf("a report that could not be sent must fail the reporter's invocation; log:\n%s", log)
		}
	})
}

// Lambda may deliver the hook's event twice: the second run's report is refused by CodeDeploy, and the hook takes
// that as done (no retry, no error), saying so in the log.
func TestRepeatedDeliveryReportsOnce(t *testing.T) {
	f := newFake(t)
	_, first := run(t, f, pre(hookconfig.TestCase{Name: "x"}), 5*time.Second)
	got, second := run(t, f, pre(hookconfig.TestCase{Name: "x"}), 5*time.Second)
	wantStatus(t, got, "Succeeded", first)
	if f.puts != 2 {
		t.Errorf("%d report calls, want 2 (one per run, the second refused and not retried)", f.puts)
	}
	if !strings.Contains(second, "CodeDeploy already holds a status for hook execution hook-1 of deployment d-TEST "+
		"(LifecycleEventAlreadyCompletedException)") || strings.Contains(second, "could not report") {
		t.Errorf("second run's log:\n%s", second)
	}
}
