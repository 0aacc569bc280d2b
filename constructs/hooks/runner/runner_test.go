package runner_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/safeship/lambda-bluegreen/constructs/hooks/hookconfig"
	"github.com/safeship/lambda-bluegreen/constructs/hooks/runner"
)

func raw(s string) json.RawMessage { return json.RawMessage(s) }

func pre(tests ...hookconfig.TestCase) hookconfig.Config {
	return hookconfig.Config{Phase: hookconfig.PreTraffic, Tests: tests}
}

func wantStatus(t *testing.T, got []string, want string, log string) {
	t.Helper()
	if len(got) != 1 || got[0] != want {
		t.Fatalf("reported %v, want exactly [%s]\nlog:\n%s", got, want, log)
	}
}

func TestPreTrafficSuccessTestsGreen(t *testing.T) {
	f := newFake(t)
	got, log := run(t, f, pre(hookconfig.TestCase{
		Name: "root", Payload: raw(`{"rawPath":"/"}`), StatusCode: 200,
		Equals:   map[string]json.RawMessage{"body.ok": raw(`true`), "body.message": raw(`"hello"`)},
		Contains: map[string]string{"body": "hello", "": "statusCode"}, MaxLatencyMillis: 5000,
	}), 5*time.Second)
	wantStatus(t, got, "Succeeded", log)
	if len(f.invocations) != 1 || f.invocations[0] != "7" {
		t.Errorf("the hook invoked %v, want green's version 7 (TargetVersion of the AppSpec)", f.invocations)
	}
	if f.payloads[0] != `{"rawPath":"/"}` {
		t.Errorf("payload sent: %s", f.payloads[0])
	}
	for _, want := range []string{"pre-traffic checks of api-fn version 7 (blue: 6, alias live) PASSED", `✓ test "root"`} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

// Every expectation that is not met fails the hook, and the log says which and why.
func TestPreTrafficFailedExpectations(t *testing.T) {
	cases := []struct {
		name  string
		test  hookconfig.TestCase
		reply invokeReply
		want  string
	}{
		{"status code", hookconfig.TestCase{StatusCode: 200}, invokeReply{payload: `{"statusCode":500}`},
			"statusCode 500, want 200"},
		{"missing status code", hookconfig.TestCase{StatusCode: 200}, invokeReply{payload: `{"ok":true}`},
			"statusCode (missing), want 200"},
		{"equality", hookconfig.TestCase{Equals: map[string]json.RawMessage{"body.ok": raw(`true`)}},
			invokeReply{payload: `{"body":"{\"ok\":false}"}`}, "body.ok = false, want true"},
		{"containment", hookconfig.TestCase{Contains: map[string]string{"body": "welcome"}},
			invokeReply{payload: `{"body":"goodbye"}`}, `body = "goodbye", want it to contain "welcome"`},
		{"function error", hookconfig.TestCase{}, invokeReply{fnError: "Unhandled",
			payload: `{"errorMessage":"boom","errorType":"errorString"}`}, "function error (Unhandled)"},
		{"expected error missing", hookconfig.TestCase{ExpectFunctionError: true}, invokeReply{payload: `{}`},
			"expected a function error, got none"},
		{"latency", hookconfig.TestCase{MaxLatencyMillis: 20}, invokeReply{payload: `{}`, delay: 80 * time.Millisecond},
			"limit 20ms"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			reply := tc.reply
			f.invoke = func(string, []byte) invokeReply { return reply }
			tc.test.Name = tc.name
			got, log := run(t, f, pre(tc.test), 5*time.Second)
			wantStatus(t, got, "Failed", log)
			if !strings.Contains(log, tc.want) || !strings.Contains(log, "✗ test") || !strings.Contains(log, "FAILED") {
				t.Errorf("log does not say %q:\n%s", tc.want, log)
			}
		})
	}
}

func TestPreTrafficExpectedErrorPasses(t *testing.T) {
	f := newFake(t)
	f.invoke = func(string, []byte) invokeReply {
		return invokeReply{fnError: "Unhandled", payload: `{"errorMessage":"bad input","errorType":"ValidationError"}`}
	}
	got, log := run(t, f, pre(hookconfig.TestCase{Name: "rejects", ExpectFunctionError: true,
		Contains: map[string]string{"errorMessage": "bad input"}}), 5*time.Second)
	wantStatus(t, got, "Succeeded", log)
}

// An invocation that outlasts the hook's own deadline fails the hook, which still reports in time.
func TestInvocationTimeoutAndDeadline(t *testing.T) {
	f := newFake(t)
	f.invoke = func(string, []byte) invokeReply { return invokeReply{payload: `{}`, delay: 10 * time.Second} }
	got, log := run(t, f, pre(hookconfig.TestCase{Name: "hangs"}), 1500*time.Millisecond)
	wantStatus(t, got, "Failed", log)
	reportedInTime(t, f)
	if len(f.invocations) != 1 {
		t.Errorf("%d invocations: an invocation that was sent and timed out may have run, it must not be resent",
			len(f.invocations))
	}
	for _, want := range []string{"timed out after", "✗ deadline: the checks did not finish before the hook's deadline"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

// A function that times out itself (Lambda's Sandbox.Timedout) is a function error.
func TestFunctionTimeout(t *testing.T) {
	f := newFake(t)
	f.invoke = func(string, []byte) invokeReply {
		return invokeReply{fnError: "Unhandled", payload: `{"errorType":"Sandbox.Timedout","errorMessage":"Task timed out after 3.00 seconds"}`}
	}
	got, log := run(t, f, pre(hookconfig.TestCase{Name: "slow"}), 5*time.Second)
	wantStatus(t, got, "Failed", log)
	if !strings.Contains(log, "Task timed out") {
		t.Errorf("log does not show the timeout:\n%s", log)
	}
}

func TestMalformedAppSpec(t *testing.T) {
	for name, spec := range map[string]string{
		"not yaml":        "{{{",
		"no lambda":       `{"Resources":[{"x":{"Type":"AWS::ECS::Service"}}]}`,
		"no target":       `{"Resources":[{"x":{"Type":"AWS::Lambda::Function","Properties":{"Name":"f"}}}]}`,
		"empty resources": `version: 0.0`,
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake(t)
			f.appSpec = spec
			got, log := run(t, f, pre(hookconfig.TestCase{Name: "x"}), 5*time.Second)
			wantStatus(t, got, "Failed", log)
			if !strings.Contains(log, "malformed AppSpec") || len(f.invocations) != 0 {
				t.Errorf("want a malformed-AppSpec failure and no invocation; log:\n%s", log)
			}
		})
	}
}

func TestYAMLAppSpec(t *testing.T) {
	f := newFake(t)
	f.appSpec = "version: 0.0\nResources:\n  - api:\n      Type: AWS::Lambda::Function\n      Properties:\n        Name: yaml-fn\n        Alias: live\n        CurrentVersion: \"3\"\n        TargetVersion: \"4\"\n"
	got, log := run(t, f, pre(hookconfig.TestCase{Name: "x"}), 5*time.Second)
	wantStatus(t, got, "Succeeded", log)
	if f.invocations[0] != "4" || !strings.Contains(log, "yaml-fn version 4") {
		t.Errorf("invoked %v; log:\n%s", f.invocations, log)
	}
}

// An AppSpec may list other resources; the hook takes the Lambda function's, wherever it stands.
func TestAppSpecWithAnotherResourceFirst(t *testing.T) {
	f := newFake(t)
	f.appSpec = `{"version":0.0,"Resources":[` +
		`{"svc":{"Type":"AWS::ECS::Service","Properties":{"Name":"not-a-function","TargetVersion":"99"}}},` +
		`{"api":{"Type":"AWS::Lambda::Function","Properties":{"Name":"fn","Alias":"live","CurrentVersion":"6","TargetVersion":"7"}}}]}`
	got, log := run(t, f, pre(hookconfig.TestCase{Name: "x"}), 5*time.Second)
	wantStatus(t, got, "Succeeded", log)
	if len(f.invocations) != 1 || f.invocations[0] != "7" || !strings.Contains(log, "fn version 7") {
		t.Errorf("want green's version 7 of fn invoked, got %v; log:\n%s", f.invocations, log)
	}
}

func TestCodeDeployThrottlingThenSuccess(t *testing.T) {
	f := newFake(t)
	f.throttlePuts = 4 // more than the SDK's own 3 attempts: the hook's loop retries too
	got, log := run(t, f, pre(hookconfig.TestCase{Name: "x"}), 10*time.Second)
	wantStatus(t, got, "Succeeded", log)
	if !strings.Contains(log, "reported Succeeded to CodeDeploy") {
		t.Errorf("log:\n%s", log)
	}
}

func TestAPIErrorReadingTheDeployment(t *testing.T) {
	f := newFake(t)
	f.getDeploymentError = "DeploymentDoesNotExistException"
	got, log := run(t, f, pre(hookconfig.TestCase{Name: "x"}), 5*time.Second)
	wantStatus(t, got, "Failed", log)
	if !strings.Contains(log, "GetDeployment d-TEST") || !strings.Contains(log, "DeploymentDoesNotExistException") {
		t.Errorf("log:\n%s", log)
	}
}

// panicOnFirstInvoke wraps the real Lambda client and panics in the hook's process on the first invocation, as a
// bug in a check would.
type panicOnFirstInvoke struct {
	runner.LambdaAPI
	calls int
}

func (p *panicOnFirstInvoke) Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	p.calls++
	if p.calls == 1 {
		var m map[string]string
		//lint:ignore SA5000 deliberate: a runtime panic (not a panic call), as a bug in a check would raise
		m["boom"] = "nil map write"
	}
	return p.LambdaAPI.Invoke(ctx, in, opts...)
}

// A panic while checking a test case fails that test and the hook, the other tests still run, and the status is
// still reported.
func TestPanicInATestCase(t *testing.T) {
	f := newFake(t)
	h, log := f.hook(pre(hookconfig.TestCase{Name: "first"}, hookconfig.TestCase{Name: "second"}))
	h.Lambda = &panicOnFirstInvoke{LambdaAPI: h.Lambda}
	if err := h.Handle(context.Background(), json.RawMessage(event)); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, f.reported(), "Failed", log.String())
	if !strings.Contains(log.String(), `✓ test "second"`) || !strings.Contains(log.String(), `✗ test "first": panic while checking`) {
		t.Errorf("the panic must fail only its test:\n%s", log)
	}
}

// A panic outside the test cases (here while reading the deployment) still reports Failed.
type panicCodeDeploy struct{ runner.CodeDeployAPI }

func (panicCodeDeploy) GetDeployment(context.Context, *codedeploy.GetDeploymentInput, ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentOutput, error) {
	panic("unexpected")
}

func TestPanicInTheHook(t *testing.T) {
	f := newFake(t)
	h, log := f.hook(pre(hookconfig.TestCase{Name: "x"}))
	h.CodeDeploy = panicCodeDeploy{h.CodeDeploy}
	if err := h.Handle(context.Background(), json.RawMessage(event)); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, f.reported(), "Failed", log.String())
	if !strings.Contains(log.String(), "✗ hook: panic: unexpected") {
		t.Errorf("log:\n%s", log)
	}
}

func TestMalformedEvent(t *testing.T) {
	f := newFake(t)
	h, log := f.hook(pre(hookconfig.TestCase{Name: "x"}))
	if err := h.Handle(context.Background(), json.RawMessage(`{"nothing":"here"}`)); err == nil {
		t.Errorf("an event without ids must return an error (there is nothing to report to)")
	}
	if !strings.Contains(log.String(), "malformed event") || len(f.reported()) != 0 {
		t.Errorf("log:\n%s\nreported: %v", log, f.reported())
	}
	if err := h.Handle(context.Background(), json.RawMessage(`not json`)); err == nil {
		t.Errorf("a non-JSON event must return an error")
	}
}

func TestConfigErrorFails(t *testing.T) {
	f := newFake(t)
	h, log := f.hook(hookconfig.Config{})
	h.ConfigError = errTest("config.json: unexpected end of JSON input")
	if err := h.Handle(context.Background(), json.RawMessage(event)); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, f.reported(), "Failed", log.String())
}

type errTest string

func (e errTest) Error() string { return string(e) }

func TestNoChecksIsAFailure(t *testing.T) {
	f := newFake(t)
	got, log := run(t, f, hookconfig.Config{Phase: hookconfig.PreTraffic}, 5*time.Second)
	wantStatus(t, got, "Failed", log)
	if !strings.Contains(log, "no check ran") {
		t.Errorf("log:\n%s", log)
	}
}

func TestLoadCheck(t *testing.T) {
	t.Run("within budget", func(t *testing.T) {
		f := newFake(t)
		cfg := hookconfig.Config{Phase: hookconfig.PreTraffic,
			Load: &hookconfig.LoadCheck{Invocations: 12, Concurrency: 4, Percentile: 95, BudgetMillis: 2000}}
		got, log := run(t, f, cfg, 5*time.Second)
		wantStatus(t, got, "Succeeded", log)
		if len(f.invocations) != 12 || !strings.Contains(log, "12 invocations, 4 at a time: p95") {
			t.Errorf("%d invocations; log:\n%s", len(f.invocations), log)
		}
	})
	t.Run("over budget", func(t *testing.T) {
		f := newFake(t)
		f.invoke = func(string, []byte) invokeReply { return invokeReply{payload: `{}`, delay: 60 * time.Millisecond} }
		cfg := hookconfig.Config{Phase: hookconfig.PreTraffic,
			Load: &hookconfig.LoadCheck{Invocations: 4, Concurrency: 2, Percentile: 99, BudgetMillis: 10}}
		got, log := run(t, f, cfg, 5*time.Second)
		wantStatus(t, got, "Failed", log)
		if !strings.Contains(log, "over budget") {
			t.Errorf("log:\n%s", log)
		}
	})
	t.Run("errors", func(t *testing.T) {
		f := newFake(t)
		f.invoke = func(string, []byte) invokeReply { return invokeReply{fnError: "Unhandled", payload: `{}`} }
		cfg := hookconfig.Config{Phase: hookconfig.PreTraffic,
			Load: &hookconfig.LoadCheck{Invocations: 3, Concurrency: 3, Percentile: 50, BudgetMillis: 1000}}
		got, log := run(t, f, cfg, 5*time.Second)
		wantStatus(t, got, "Failed", log)
		if !strings.Contains(log, "3 failed") {
			t.Errorf("log:\n%s", log)
		}
	})
}

func TestMalformedEventProbe(t *testing.T) {
	cases := map[string]struct {
		reply invokeReply
		want  string
	}{
		"handled error":                         {invokeReply{fnError: "Unhandled", payload: `{"errorType":"UnmarshalTypeError","errorMessage":"json: cannot unmarshal"}`}, "Succeeded"},
		"plain answer":                          {invokeReply{payload: `{"statusCode":400}`}, "Succeeded"},
		"process exit":                          {invokeReply{fnError: "Unhandled", payload: `{"errorType":"Runtime.ExitError","errorMessage":"exit status 2"}`}, "Failed"},
		"go panic":                              {invokeReply{fnError: "Unhandled", payload: `{"errorType":"runtime.Error","errorMessage":"nil map","stackTrace":[{"path":"main.go","line":3}]}`}, "Failed"},
		"timeout":                               {invokeReply{fnError: "Unhandled", payload: `{"errorType":"Sandbox.Timedout","errorMessage":"Task timed out"}`}, "Failed"},
		"python exception with its stack trace": {invokeReply{fnError: "Unhandled", payload: `{"errorType":"ValueError","errorMessage":"bad input","stackTrace":["  File \"app.py\", line 3"]}`}, "Succeeded"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFake(t)
			reply := tc.reply
			f.invoke = func(string, []byte) invokeReply { return reply }
			cfg := hookconfig.Config{Phase: hookconfig.PreTraffic, MalformedEventProbe: true,
				StackTraceIsCrash: !strings.HasPrefix(name, "python")} // Go handlers: a stack trace means a panic
			got, log := run(t, f, cfg, 5*time.Second)
			wantStatus(t, got, tc.want, log)
			if !strings.Contains(f.payloads[0], "malformed-event-probe") {
				t.Errorf("the probe sent %s", f.payloads[0])
			}
		})
	}
}

func post(cfg hookconfig.Config) hookconfig.Config {
	cfg.Phase = hookconfig.PostTraffic
	return cfg
}

func TestPostTrafficServedTraffic(t *testing.T) {
	for _, tc := range []struct {
		sum  float64
		want string
	}{{25, "Succeeded"}, {3, "Failed"}} {
		f := newFake(t)
		f.invocationsSum = tc.sum
		got, log := run(t, f, post(hookconfig.Config{MinInvocations: 10}), 5*time.Second)
		wantStatus(t, got, tc.want, log)
		want := map[string]string{"FunctionName": "api-fn", "Resource": "api-fn:live", "ExecutedVersion": "7"}
		if !reflect.DeepEqual(f.metricDims, want) {
			t.Errorf("metric dimensions %v, want %v", f.metricDims, want)
		}
	}
}

func TestPostTrafficAlarms(t *testing.T) {
	f := newFake(t)
	f.alarms = map[string]string{"errors-v7": "OK", "latency-v7": "ALARM"}
	got, log := run(t, f, post(hookconfig.Config{CheckAlarms: true}), 5*time.Second)
	wantStatus(t, got, "Failed", log)
	if !strings.Contains(log, "in ALARM: latency-v7") {
		t.Errorf("log:\n%s", log)
	}
	f2 := newFake(t)
	f2.alarms = map[string]string{"errors-v7": "OK"}
	got, log = run(t, f2, post(hookconfig.Config{CheckAlarms: true}), 5*time.Second)
	wantStatus(t, got, "Succeeded", log)
}

// Pruning keeps the newest versions and never deletes blue (6), green (7) or an aliased version.
func TestPostTrafficPrunesOldVersions(t *testing.T) {
	f := newFake(t)
	f.appSpec = strings.Replace(strings.Replace(f.appSpec, `"CurrentVersion":"6"`, `"CurrentVersion":"2"`, 1), `"TargetVersion":"7"`, `"TargetVersion":"9"`, 1)
	f.versions = []string{"1", "2", "3", "4", "5", "6", "7", "8", "9"}
	f.aliases = map[string]string{"live": "9", "old": "4"}
	f.weighted = map[string]string{"old": "3"}
	f.alarms = map[string]string{}
	got, log := run(t, f, post(hookconfig.Config{CheckAlarms: true, KeepVersions: 2}), 5*time.Second)
	wantStatus(t, got, "Succeeded", log)
	sort.Strings(f.deleted)
	if want := []string{"1", "5", "6", "7"}; !reflect.DeepEqual(f.deleted, want) {
		t.Errorf("deleted %v, want %v (keep 9, 8 as newest; 2 blue; 4 and 3 aliased)", f.deleted, want)
	}
}

// CloudFormation's deployments may carry only the AppSpec's hash: the hook then reads the revision.
func TestAppSpecFromTheApplicationRevision(t *testing.T) {
	f := newFake(t)
	f.revisionHashOnly = true
	got, log := run(t, f, pre(hookconfig.TestCase{Name: "x"}), 5*time.Second)
	wantStatus(t, got, "Succeeded", log)
	if len(f.invocations) != 1 || f.invocations[0] != "7" {
		t.Errorf("invoked %v, want version 7 read from GetApplicationRevision", f.invocations)
	}
}

func TestYAMLAppSpecWithUnquotedVersions(t *testing.T) {
	f := newFake(t)
	f.appSpec = "Resources:\n  - api:\n      Type: AWS::Lambda::Function\n      Properties: {Name: f, Alias: live, CurrentVersion: 11, TargetVersion: 12}\n"
	got, log := run(t, f, pre(hookconfig.TestCase{Name: "x"}), 5*time.Second)
	wantStatus(t, got, "Succeeded", log)
	if f.invocations[0] != "12" {
		t.Errorf("invoked %v, want 12", f.invocations)
	}
}

// A panic in a load-check worker (not the hook's goroutine) becomes a failed check, and the status is reported.
type panicEveryInvoke struct{ runner.LambdaAPI }

func (panicEveryInvoke) Invoke(context.Context, *lambda.InvokeInput, ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	panic("worker")
}

func TestPanicInTheLoadCheck(t *testing.T) {
	f := newFake(t)
	h, log := f.hook(hookconfig.Config{Phase: hookconfig.PreTraffic,
		Load: &hookconfig.LoadCheck{Invocations: 4, Concurrency: 2, Percentile: 50, BudgetMillis: 1000}})
	h.Lambda = panicEveryInvoke{h.Lambda}
	if err := h.Handle(context.Background(), json.RawMessage(event)); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, f.reported(), "Failed", log.String())
	if !strings.Contains(log.String(), "4 failed, first: panic: worker") {
		t.Errorf("log:\n%s", log)
	}
}

// A report CodeDeploy refuses for good (an unknown hook execution) is not retried.
func TestNonRetryableReportStops(t *testing.T) {
	f := newFake(t)
	f.putError = "InvalidLifecycleEventHookExecutionIdException"
	_, log := run(t, f, pre(hookconfig.TestCase{Name: "x"}), 5*time.Second)
	if f.puts != 1 || !strings.Contains(log, "could not report Succeeded") {
		t.Errorf("%d report attempts, want 1; log:\n%s", f.puts, log)
	}
}

// With alarm monitoring off (an emergency bypass), the post-traffic alarm check does not block.
func TestPostTrafficAlarmsOff(t *testing.T) {
	f := newFake(t)
	f.alarms = map[string]string{"errors-v7": "ALARM"}
	f.alarmsDisabled = true
	got, log := run(t, f, post(hookconfig.Config{CheckAlarms: true}), 5*time.Second)
	wantStatus(t, got, "Succeeded", log)
	if !strings.Contains(log, "alarm monitoring is off") {
		t.Errorf("log:\n%s", log)
	}
}

// A short invocation keeps only a quarter of its time to report, so the checks still get most of it.
func TestShortDeadlineKeepsTimeForChecks(t *testing.T) {
	f := newFake(t)
	f.invoke = func(string, []byte) invokeReply { return invokeReply{payload: `{}`, delay: 300 * time.Millisecond} }
	h, log := f.hook(pre(hookconfig.TestCase{Name: "x"}))
	h.ReportMargin = 10 * time.Second // more than the whole budget below
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := h.Handle(ctx, json.RawMessage(event)); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, f.reported(), "Succeeded", log.String())
}

// A post-traffic hook whose only work is pruning (no traffic gate, no alarm check: all-at-once, or the alarm
// check skipped) succeeds, also when a deletion fails: pruning warns, it never fails the deployment.
func TestPostTrafficOnlyPrunes(t *testing.T) {
	for _, deleteError := range []string{"", "ResourceConflictException"} {
		t.Run("delete error "+deleteError, func(t *testing.T) {
			f := newFake(t)
			f.versions = []string{"1", "2", "3", "4", "5", "6", "7"}
			f.aliases = map[string]string{"live": "7"}
			f.deleteError = deleteError
			got, log := run(t, f, post(hookconfig.Config{KeepVersions: 2}), 5*time.Second)
			wantStatus(t, got, "Succeeded", log)
			mark := "✓ prune old versions"
			if deleteError != "" {
				mark = "! prune old versions"
			}
			if !strings.Contains(log, mark) || !strings.Contains(log, "PASSED") {
				t.Errorf("log lacks %q:\n%s", mark, log)
			}
		})
	}
}

func TestResultSucceeded(t *testing.T) {
	pass := runner.Check{Name: "a", Passed: true}
	fail := runner.Check{Name: "b"}
	warned := runner.Check{Name: "prune", Warning: true}
	warnedOK := runner.Check{Name: "prune", Warning: true, Passed: true}
	for _, tc := range []struct {
		name   string
		checks []runner.Check
		want   bool
	}{
		{"no check ran", nil, false},
		{"all passed", []runner.Check{pass, pass}, true},
		{"one failed", []runner.Check{pass, fail}, false},
		{"only a passed warning check", []runner.Check{warnedOK}, true},
		{"only a failed warning check", []runner.Check{warned}, true},
		{"failed check and a warning", []runner.Check{fail, warnedOK}, false},
	} {
		if got := (runner.Result{Checks: tc.checks}).Succeeded(); got != tc.want {
			t.Errorf("%s: Succeeded() = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// A composite rollback alarm in ALARM fails the check: the hook asks DescribeAlarms for both kinds of alarm, and
// the fake, like CloudWatch, returns composite alarms only when asked.
func TestPostTrafficCompositeAlarm(t *testing.T) {
	f := newFake(t)
	f.alarms = map[string]string{"errors-v7": "OK"}
	f.compositeAlarms = map[string]string{"service-health": "ALARM"}
	got, log := run(t, f, post(hookconfig.Config{CheckAlarms: true}), 5*time.Second)
	wantStatus(t, got, "Failed", log)
	if !strings.Contains(log, "in ALARM: service-health (composite)") {
		t.Errorf("log:\n%s", log)
	}
	for _, c := range f.describeAlarmsCalls {
		if !reflect.DeepEqual(c.types, []string{"MetricAlarm", "CompositeAlarm"}) {
			t.Errorf("DescribeAlarms asked for AlarmTypes %v, want [MetricAlarm CompositeAlarm]", c.types)
		}
	}
	f2 := newFake(t)
	f2.alarms = map[string]string{"errors-v7": "OK"}
	f2.compositeAlarms = map[string]string{"service-health": "OK"}
	got, log = run(t, f2, post(hookconfig.Config{CheckAlarms: true}), 5*time.Second)
	wantStatus(t, got, "Succeeded", log)
}

// A rollback alarm of the group that CloudWatch no longer has fails the check, by name: CodeDeploy cannot watch
// it either.
func TestPostTrafficDeletedAlarm(t *testing.T) {
	f := newFake(t)
	f.alarms = map[string]string{"errors-v7": "OK"}
	f.deletedAlarms = []string{"latency-v6"}
	got, log := run(t, f, post(hookconfig.Config{CheckAlarms: true}), 5*time.Second)
	wantStatus(t, got, "Failed", log)
	if !strings.Contains(log, "not found in CloudWatch (deleted, or not readable by the hook): latency-v6") {
		t.Errorf("log:\n%s", log)
	}
}

// Many alarms: at most 100 names per DescribeAlarms, and every page of the answer is read.
func TestPostTrafficManyAlarms(t *testing.T) {
	for _, last := range []string{"OK", "ALARM"} {
		f := newFake(t)
		f.alarmsPageSize = 30
		f.alarms = map[string]string{}
		for i := 0; i < 150; i++ {
			f.alarms[fmt.Sprintf("alarm-%03d", i)] = "OK"
		}
		f.alarms["alarm-149"] = last
		want := map[string]string{"OK": "Succeeded", "ALARM": "Failed"}[last]
		got, log := run(t, f, post(hookconfig.Config{CheckAlarms: true}), 5*time.Second)
		wantStatus(t, got, want, log)
		if last == "ALARM" && !strings.Contains(log, "in ALARM: alarm-149") {
			t.Errorf("log:\n%s", log)
		}
		for _, c := range f.describeAlarmsCalls {
			if c.names > 100 {
				t.Errorf("DescribeAlarms asked for %d names, at most 100 allowed", c.names)
			}
		}
	}
}

// A deployment back to an older version (CloudFormation's reverse deployment in a stack rollback, or bluegreen
// rollback) passes both hooks at once: a failing test, a firing alarm or pruning must never keep traffic on the
// version being left.
func TestReturnToAnEarlierReleasePasses(t *testing.T) {
	for _, cfg := range []hookconfig.Config{
		pre(hookconfig.TestCase{Name: "root", Payload: raw(`{}`), StatusCode: 200}),
		{Phase: hookconfig.PostTraffic, CheckAlarms: true, MinInvocations: 1000, KeepVersions: 1},
	} {
		t.Run(string(cfg.Phase), func(t *testing.T) {
			f := newFake(t)
			f.appSpec = strings.Replace(strings.Replace(f.appSpec, `"CurrentVersion":"6"`, `"CurrentVersion":"7"`, 1),
				`"TargetVersion":"7"`, `"TargetVersion":"6"`, 1)
			f.alarms = map[string]string{"api-ErrorRate-v7": "ALARM"}
			f.invoke = func(string, []byte) invokeReply { return invokeReply{payload: `{"statusCode":500}`} }
			got, log := run(t, f, cfg, 5*time.Second)
			wantStatus(t, got, "Succeeded", log)
			if len(f.invocations) != 0 {
				t.Errorf("a return invoked %v: it must test nothing", f.invocations)
			}
			if !strings.Contains(log, "a return to an earlier release: version 6 is older than version 7") {
				t.Errorf("the log must say why nothing ran:\n%s", log)
			}
		})
	}
	if runner.Return(runner.Target{CurrentVersion: "9", TargetVersion: "10"}) ||
		runner.Return(runner.Target{CurrentVersion: "$LATEST", TargetVersion: "1"}) ||
		!runner.Return(runner.Target{CurrentVersion: "10", TargetVersion: "9"}) {
		t.Error("Return must compare version numbers, and only numbers")
	}
}
