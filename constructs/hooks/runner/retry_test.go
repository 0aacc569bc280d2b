package runner_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/safeship/lambda-bluegreen/constructs/hooks/hookconfig"
	"github.com/safeship/lambda-bluegreen/constructs/hooks/runner"
)

// refuseFirst answers the first n invocations with refusal, the others with ok.
func refuseFirst(n int, refusal, ok invokeReply) func(string, []byte) invokeReply {
	var mu sync.Mutex
	calls := 0
	return func(string, []byte) invokeReply {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls <= n {
			return refusal
		}
		return ok
	}
}

var answer = invokeReply{payload: `{"statusCode":200,"body":"{\"message\":\"hello\",\"ok\":true}"}`}

// A throttled test invocation never ran: the hook sends it again, and the test passes.
func TestThrottledTestIsSentAgain(t *testing.T) {
	f := newFake(t)
	f.invoke = refuseFirst(2, throttle, answer)
	got, log := run(t, f, pre(hookconfig.TestCase{Name: "root", StatusCode: 200}), 5*time.Second)
	wantStatus(t, got, "Succeeded", log)
	if len(f.invocations) != 3 {
		t.Errorf("%d invocations, want 3 (2 throttled, then the one that ran)", len(f.invocations))
	}
	if !strings.Contains(log, "sent 3 times: Lambda refused it 2 times without running it") {
		t.Errorf("the log does not tell the test was throttled first:\n%s", log)
	}
}

// Only what Lambda says it did not run is sent again; anything that may have run is sent once.
func TestOnlyWhatDidNotRunIsSentAgain(t *testing.T) {
	apiError := func(status int, code string) invokeReply {
		return invokeReply{status: status, errorType: code, payload: `{"Type":"Service","message":"fake"}`}
	}
	cases := []struct {
		name    string
		refusal invokeReply
		again   bool
	}{
		{"throttled (429)", throttle, true},
		{"EC2 throttled Lambda (502)", apiError(502, "EC2ThrottledException"), true},
		{"VPC connection not ready (502)", apiError(502, "ResourceNotReadyException"), true},
		{"ENI not ready", apiError(502, "ENINotReadyException"), true},
		{"SnapStart not ready (409)", apiError(409, "SnapStartNotReadyException"), true},
		{"another operation in progress (409)", apiError(409, "ResourceConflictException"), true},
		{"service error (500): may have run", apiError(500, "ServiceException"), false},
		{"file system I/O error (410): ran", apiError(410, "EFSIOException"), false},
		{"bad request (400): will not pass", apiError(400, "InvalidRequestContentException"), false},
		{"function error: ran", invokeReply{fnError: "Unhandled", payload: `{"errorMessage":"boom"}`}, false},
		{"connection closed after sending: may have run", invokeReply{hangUp: true}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.invoke = refuseFirst(1, tc.refusal, answer)
			got, log := run(t, f, pre(hookconfig.TestCase{Name: "x"}), 5*time.Second)
			want, calls := "Failed", 1
			if tc.again {
				want, calls = "Succeeded", 2
			}
			wantStatus(t, got, want, log)
			if len(f.invocations) != calls {
				t.Errorf("%d invocations, want %d\nlog:\n%s", len(f.invocations), calls, log)
			}
		})
	}
}

// A function that stays throttled fails the test after InvokeAttempts, well before the deadline.
func TestThrottledForeverIsBounded(t *testing.T) {
	f := newFake(t)
	f.invoke = func(string, []byte) invokeReply { return throttle }
	h, log := f.hook(pre(hookconfig.TestCase{Name: "x"}))
	h.InvokeAttempts = 4
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.Handle(ctx, json.RawMessage(event)); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, f.reported(), "Failed", log.String())
	if len(f.invocations) != 4 || !strings.Contains(log.String(), "Lambda did not run it in 4 attempts") {
		t.Errorf("%d invocations, want 4; log:\n%s", len(f.invocations), log)
	}
}

// Lambda's Retry-After is honoured, but never past the hook's deadline: the hook gives up at once and reports.
func TestRetryAfter(t *testing.T) {
	t.Run("within the deadline", func(t *testing.T) {
		f := newFake(t)
		wait := throttle
		wait.retryAfter = "1"
		f.invoke = refuseFirst(1, wait, answer)
		start := time.Now()
		got, log := run(t, f, pre(hookconfig.TestCase{Name: "x"}), 5*time.Second)
		wantStatus(t, got, "Succeeded", log)
		if elapsed := time.Since(start); elapsed < time.Second {
			t.Errorf("sent again after %v, before the second Lambda asked to wait", elapsed)
		}
	})
	t.Run("past the deadline", func(t *testing.T) {
		f := newFake(t)
		wait := throttle
		wait.retryAfter = "60"
		f.invoke = func(string, []byte) invokeReply { return wait }
		start := time.Now()
		got, log := run(t, f, pre(hookconfig.TestCase{Name: "x"}), 3*time.Second)
		wantStatus(t, got, "Failed", log)
		// At once: well before the checks' deadline (2.8 s here), which a hook that slept on would reach. The
		// message below, given only when the planned wait passes the deadline, is the exact proof; the bound is
		// loose so that a loaded machine does not fail it.
		if elapsed := time.Since(start); elapsed > 2*time.Second || len(f.invocations) != 1 {
			t.Errorf("gave up after %v and %d invocations, want at once and 1", elapsed, len(f.invocations))
		}
		if !strings.Contains(log, "would pass the hook's deadline") {
			t.Errorf("log:\n%s", log)
		}
	})
}

// Throttled load-check calls and a throttled probe are sent again too.
func TestThrottledLoadCheckAndProbe(t *testing.T) {
	f := newFake(t)
	f.invoke = refuseFirst(3, throttle, invokeReply{payload: `{}`})
	cfg := hookconfig.Config{Phase: hookconfig.PreTraffic, MalformedEventProbe: true,
		Load: &hookconfig.LoadCheck{Invocations: 8, Concurrency: 4, Percentile: 95, BudgetMillis: 2000}}
	got, log := run(t, f, cfg, 5*time.Second)
	wantStatus(t, got, "Succeeded", log)
	if len(f.invocations) != 8+1+3 {
		t.Errorf("%d invocations, want 12 (8 load, 1 probe, 3 throttled)", len(f.invocations))
	}
	if !strings.Contains(log, "3 sent again after Lambda refused them") {
		t.Errorf("log:\n%s", log)
	}

	f2 := newFake(t)
	f2.invoke = refuseFirst(1, throttle, invokeReply{fnError: "Unhandled", payload: `{"errorType":"UnmarshalTypeError"}`})
	got, log = run(t, f2, hookconfig.Config{Phase: hookconfig.PreTraffic, MalformedEventProbe: true}, 5*time.Second)
	wantStatus(t, got, "Succeeded", log)
}

// dialFailsFirst sends the first invocation to an address where nothing listens (the connection is refused, so
// the request never leaves), the others to the fake.
type dialFailsFirst struct {
	runner.LambdaAPI
	dead  *lambda.Client
	calls int
}

func (d *dialFailsFirst) Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	d.calls++
	if d.calls == 1 {
		return d.dead.Invoke(ctx, in, opts...)
	}
	return d.LambdaAPI.Invoke(ctx, in, opts...)
}

func TestRefusedConnectionIsRetried(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dead := lambda.NewFromConfig(aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String("http://" + addr),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""), HTTPClient: http.DefaultClient})
	f := newFake(t)
	h, log := f.hook(pre(hookconfig.TestCase{Name: "x"}))
	h.Lambda = &dialFailsFirst{LambdaAPI: h.Lambda, dead: dead}
	if err := h.Handle(context.Background(), json.RawMessage(event)); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, f.reported(), "Succeeded", log.String())
	if len(f.invocations) != 1 {
		t.Errorf("%d invocations reached Lambda, want 1", len(f.invocations))
	}
}
