package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/safeship/lambda-bluegreen/constructs/hooks/hookconfig"
)

// malformedEvent is an event of no known shape: a handler must answer it with a handled error (or any answer),
// not crash.
const malformedEvent = `{"bluegreen-hook":"malformed-event-probe","body":42,"headers":"not-an-object",` +
	`"requestContext":[],"Records":"not-a-list","queryStringParameters":7}`

// invocation is one call of green.
type invocation struct {
	payload  []byte
	fnError  string // "" when the function returned no error
	latency  time.Duration
	response interface{}
	// refused counts the attempts Lambda refused without running the function (throttles…) before this one.
	refused int
}

// Lambda refused the call without running the function: the API answered with an error code, and the AWS Lambda
// API Reference, Invoke, says "The status code in the API response doesn't reflect function errors. Error codes
// are reserved for errors that prevent your function from executing, such as permissions errors, quota errors, or
// issues with your function's code and configuration. For example, Lambda returns TooManyRequestsException if
// running the function would cause you to exceed a concurrency limit at either the account level
// (ConcurrentInvocationLimitExceeded) or function level (ReservedFunctionConcurrentInvocationLimitExceeded)."
// (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html; the Developer Guide's "Working with Lambda
// function metrics" agrees: "Invocations aren't recorded if the invocation request is throttled or otherwise
// results in an invocation error"). Of Lambda's errors, these are the ones that pass by themselves, so that a
// later attempt can succeed (descriptions from the API's error types, as in the Invoke page's Errors section and
// the SDK references generated from the same service model, e.g. botocore's "Lambda / Client / exceptions"):
//   - TooManyRequestsException (429): "The request throughput limit was exceeded"; it carries retryAfterSeconds,
//     "The number of seconds the caller should wait before retrying", which the hook honours.
//   - EC2ThrottledException (502): "Amazon EC2 throttled Lambda during Lambda function initialization using the
//     execution role provided for the function".
//   - ResourceNotReadyException (502): "The function is inactive and its VPC connection is no longer available.
//     Wait for the VPC connection to reestablish and try again."
//   - ENINotReadyException: "Lambda couldn't invoke the Lambda function because the elastic network interface
//     (ENI) configured for its VPC connection isn't ready yet. Wait a few moments and try the request again."
//   - SnapStartNotReadyException (409): "Lambda is initializing your function. You can invoke the function when
//     the function state becomes Active."
//   - CodeArtifactUserPendingException: "The Lambda function couldn't be invoked because its code artifact user is
//     still being provisioned. Wait for the function's State to become Active and try the request again."
//   - ResourceConflictException (409): "The resource already exists, or another operation is in progress."
//
// Never retried, because the function may have run: ServiceException (500, "The Lambda service encountered an
// internal error": AWS does not say whether the function ran), EFSIOException (an error reading or writing the
// file system, which happens while the function runs), any other 5xx, a function error (a 200 response with
// X-Amz-Function-Error), and a request that was sent but not answered (a timeout, a reset connection).
var notRunAndTransient = map[string]bool{
	"TooManyRequestsException":         true,
	"EC2ThrottledException":            true,
	"ResourceNotReadyException":        true,
	"ENINotReadyException":             true,
	"SnapStartNotReadyException":       true,
	"CodeArtifactUserPendingException": true,
	"ResourceConflictException":        true,
}

// notRun reports whether err says that Lambda did not run the function and that asking again may succeed, with
// the wait Lambda asked for (0 when it asked none). A connection that could not even be opened (a dial error)
// never carried the request: AWS documents nothing here, this is how Go's net package reports a failed connect.
func notRun(err error) (code string, retryAfter time.Duration, ok bool) {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code = apiErr.ErrorCode()
		var throttled *lambdatypes.TooManyRequestsException
		if errors.As(err, &throttled) && throttled.RetryAfterSeconds != nil {
			if s, err := strconv.Atoi(strings.TrimSpace(*throttled.RetryAfterSeconds)); err == nil && s > 0 {
				retryAfter = time.Duration(s) * time.Second
			}
		}
		return code, retryAfter, notRunAndTransient[code]
	}
	var netErr *net.OpError
	if errors.As(err, &netErr) && netErr.Op == "dial" {
		return "connection refused before sending", 0, true
	}
	return "", 0, false
}

// invoke calls green's version with payload. The SDK does not retry (RetryMaxAttempts 1): an SDK retry would
// resend a test payload that may have run. The hook itself asks again, with exponential backoff and jitter, only
// when Lambda answered that it did not run the function (notRun), at most InvokeAttempts times and never past the
// check deadline in ctx. The latency is that of the attempt that ran.
func (h *Hook) invoke(ctx context.Context, t Target, payload []byte) (invocation, error) {
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	attempts := h.InvokeAttempts
	if attempts <= 0 {
		attempts = 6
	}
	var refusals []string
	for attempt := 1; ; attempt++ {
		start := h.now()
		out, err := h.Lambda.Invoke(ctx, &lambda.InvokeInput{
			FunctionName: &t.FunctionName, Qualifier: &t.TargetVersion, Payload: payload,
		}, func(o *lambda.Options) { o.RetryMaxAttempts = 1 })
		inv := invocation{latency: h.now().Sub(start), refused: len(refusals)}
		if err == nil {
			inv.payload = out.Payload
			if out.FunctionError != nil {
				inv.fnError = *out.FunctionError
			}
			if len(bytes.TrimSpace(out.Payload)) > 0 {
				_ = json.Unmarshal(out.Payload, &inv.response)
			}
			return inv, nil
		}
		if ctx.Err() != nil {
			return inv, fmt.Errorf("timed out after %v waiting for version %s%s: %w", inv.latency.Round(time.Millisecond),
				t.TargetVersion, refusedNote(refusals), ctx.Err())
		}
		code, retryAfter, retry := notRun(err)
		if !retry {
			return inv, fmt.Errorf("invoking version %s%s: %w", t.TargetVersion, refusedNote(refusals), err)
		}
		refusals = append(refusals, code)
		if attempt >= attempts {
			return inv, fmt.Errorf("invoking version %s: Lambda did not run it in %d attempts (%s): %w",
				t.TargetVersion, attempts, strings.Join(refusals, ", "), err)
		}
		wait := max(h.backoff(attempt), retryAfter)
		if deadline, ok := ctx.Deadline(); ok && h.now().Add(wait).After(deadline) {
			return inv, fmt.Errorf("invoking version %s: Lambda did not run it (%s), and the next attempt (in %v) "+
				"would pass the hook's deadline: %w", t.TargetVersion, strings.Join(refusals, ", "),
				wait.Round(time.Millisecond), err)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return inv, fmt.Errorf("invoking version %s: Lambda did not run it (%s) before the hook's deadline: %w",
				t.TargetVersion, strings.Join(refusals, ", "), err)
		case <-timer.C:
		}
	}
}

// backoff is the wait before attempt+1: InvokeBackoff doubled per attempt, at most 32 times InvokeBackoff, with
// equal jitter (half fixed, half random) so that the load check's workers do not retry in step.
func (h *Hook) backoff(attempt int) time.Duration {
	base := h.InvokeBackoff
	if base <= 0 {
		base = 100 * time.Millisecond
	}
	d := base << min(attempt-1, 5)
	return d/2 + rand.N(d/2+1)
}

func refusedNote(refusals []string) string {
	if len(refusals) == 0 {
		return ""
	}
	return fmt.Sprintf(" (after %d attempts Lambda refused without running it: %s)", len(refusals),
		strings.Join(refusals, ", "))
}

func (h *Hook) preTraffic(ctx context.Context, t Target, r *Result) {
	if pc := h.Config.ProvisionedConcurrency; pc != nil {
		detail, err := h.provisionedConcurrencyReady(ctx, t, *pc)
		r.add("provisioned concurrency", err, detail)
	}
	for i, tc := range h.Config.Tests {
		name := tc.Name
		if name == "" {
			name = "test " + strconv.Itoa(i+1)
		}
		detail, err := h.runTest(ctx, t, tc)
		r.add("test "+strconv.Quote(name), err, detail)
	}
	if l := h.Config.Load; l != nil {
		detail, err := h.loadCheck(ctx, t, *l)
		r.add("load", err, detail)
	}
	if h.Config.MalformedEventProbe {
		detail, err := h.probe(ctx, t)
		r.add("malformed event", err, detail)
	}
}

// runTest runs one test case; a panic while checking it fails the test, not the hook.
func (h *Hook) runTest(ctx context.Context, t Target, tc hookconfig.TestCase) (detail string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic while checking: %v", p)
		}
	}()
	inv, err := h.invoke(ctx, t, tc.Payload)
	if err != nil {
		return "", err
	}
	var problems []string
	if tc.ExpectFunctionError && inv.fnError == "" {
		problems = append(problems, "expected a function error, got none")
	}
	if !tc.ExpectFunctionError && inv.fnError != "" {
		problems = append(problems, "function error ("+inv.fnError+"): "+truncate(string(inv.payload), 300))
	}
	if tc.StatusCode != 0 {
		got, ok := lookup(inv.response, "statusCode")
		if f, isNum := got.(float64); !ok || !isNum || int(f) != tc.StatusCode {
			problems = append(problems, fmt.Sprintf("statusCode %v, want %d", show(got, ok), tc.StatusCode))
		}
	}
	for _, path := range sortedKeys(tc.Equals) {
		var want interface{}
		if err := json.Unmarshal(tc.Equals[path], &want); err != nil {
			problems = append(problems, fmt.Sprintf("%s: expected value is not JSON: %v", path, err))
			continue
		}
		got, ok := lookup(inv.response, path)
		if !ok || !reflect.DeepEqual(got, want) {
			problems = append(problems, fmt.Sprintf("%s = %s, want %s", path, show(got, ok), string(tc.Equals[path])))
		}
	}
	for _, path := range sortedKeys(tc.Contains) {
		var text string
		got, ok := lookup(inv.response, path)
		switch {
		case path == "":
			text, ok = string(inv.payload), true
		case ok:
			if s, isString := got.(string); isString {
				text = s
			} else {
				b, _ := json.Marshal(got)
				text = string(b)
			}
		}
		if !ok || !strings.Contains(text, tc.Contains[path]) {
			problems = append(problems, fmt.Sprintf("%s = %s, want it to contain %q", pathName(path), show(got, ok),
				tc.Contains[path]))
		}
	}
	if max := time.Duration(tc.MaxLatencyMillis) * time.Millisecond; max > 0 && inv.latency > max {
		problems = append(problems, fmt.Sprintf("took %v, limit %v", inv.latency.Round(time.Millisecond), max))
	}
	detail = fmt.Sprintf("%v", inv.latency.Round(time.Millisecond)) + retriedNote(inv.refused)
	if len(problems) > 0 {
		return "", fmt.Errorf("%s (after %s)", strings.Join(problems, "; "), detail)
	}
	return detail, nil
}

// loadCheck invokes green l.Invocations times, l.Concurrency at a time.
func (h *Hook) loadCheck(ctx context.Context, t Target, l hookconfig.LoadCheck) (string, error) {
	n, c := max(l.Invocations, 1), max(l.Concurrency, 1)
	latencies := make([]time.Duration, n)
	errs := make([]string, n)
	refused := make([]int, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				h.loadOne(ctx, t, l.Payload, &latencies[i], &errs[i], &refused[i])
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	failed, resent := 0, 0
	for _, r := range refused {
		resent += min(r, 1)
	}
	first := ""
	for _, e := range errs {
		if e != "" {
			if failed == 0 {
				first = e
			}
			failed++
		}
	}
	p := percentile(latencies, l.Percentile)
	detail := fmt.Sprintf("%d invocations, %d at a time: p%g %v (budget %v)", n, c, l.Percentile,
		p.Round(time.Millisecond), time.Duration(l.BudgetMillis)*time.Millisecond)
	if resent > 0 {
		detail += fmt.Sprintf("; %d sent again after Lambda refused them without running them", resent)
	}
	if failed > 0 {
		return "", fmt.Errorf("%s; %d failed, first: %s", detail, failed, first)
	}
	if budget := time.Duration(l.BudgetMillis) * time.Millisecond; budget > 0 && p > budget {
		return "", fmt.Errorf("%s: over budget", detail)
	}
	return detail, nil
}

// loadOne makes one call of the load check; a panic (this goroutine is not the hook's) becomes its error.
func (h *Hook) loadOne(ctx context.Context, t Target, payload []byte, latency *time.Duration, errText *string, refused *int) {
	defer func() {
		if p := recover(); p != nil {
			*errText = fmt.Sprintf("panic: %v", p)
		}
	}()
	inv, err := h.invoke(ctx, t, payload)
	*latency, *refused = inv.latency, inv.refused
	switch {
	case err != nil:
		*errText = err.Error()
	case inv.fnError != "":
		*errText = "function error (" + inv.fnError + ")"
	}
}

// probe sends the malformed event: a handled error or an answer passes; a crash (a Runtime.* or Sandbox.* error
// such as an exit or a timeout, or, for Go handlers, a panic's stack trace) fails.
func (h *Hook) probe(ctx context.Context, t Target) (string, error) {
	inv, err := h.invoke(ctx, t, []byte(malformedEvent))
	if err != nil {
		return "", err
	}
	if inv.fnError == "" {
		return "answered without an error" + retriedNote(inv.refused), nil
	}
	errorType, _ := lookup(inv.response, "errorType")
	trace, _ := lookup(inv.response, "stackTrace")
	typ, _ := errorType.(string)
	crashed := strings.HasPrefix(typ, "Runtime.") || strings.HasPrefix(typ, "Sandbox.")
	// A Go handler's returned error carries no stack trace; a panic does. Other runtimes attach one to every
	// exception, so there a stack trace proves nothing.
	if h.Config.StackTraceIsCrash && !isEmpty(trace) {
		crashed = true
	}
	if crashed {
		return "", fmt.Errorf("crashed instead of returning an error: %s", truncate(string(inv.payload), 300))
	}
	return "handled error " + strconv.Quote(typ) + retriedNote(inv.refused), nil
}

// retriedNote tells in a check's detail that Lambda refused its invocation n times, without running the
// function, before it ran.
func retriedNote(n int) string {
	if n == 0 {
		return ""
	}
	times := fmt.Sprintf("%d times", n)
	if n == 1 {
		times = "once"
	}
	return fmt.Sprintf(" (sent %d times: Lambda refused it %s without running it)", n+1, times)
}

// lookup walks path (fields separated by dots, array items by index) through v; a string holding JSON is
// entered as JSON. The empty path is v itself.
func lookup(v interface{}, path string) (interface{}, bool) {
	if path == "" {
		return v, v != nil
	}
	cur := v
	for _, part := range strings.Split(path, ".") {
		if s, ok := cur.(string); ok {
			var inner interface{}
			if json.Unmarshal([]byte(s), &inner) != nil {
				return nil, false
			}
			cur = inner
		}
		switch node := cur.(type) {
		case map[string]interface{}:
			next, ok := node[part]
			if !ok {
				return nil, false
			}
			cur = next
		case []interface{}:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(node) {
				return nil, false
			}
			cur = node[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

func show(v interface{}, ok bool) string {
	if !ok {
		return "(missing)"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return truncate(string(b), 200)
}

func pathName(path string) string {
	if path == "" {
		return "result"
	}
	return path
}

func isEmpty(v interface{}) bool {
	switch x := v.(type) {
	case nil:
		return true
	case []interface{}:
		return len(x) == 0
	case string:
		return x == ""
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// percentile returns the nearest-rank percentile p (0–100] of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sorted := append([]time.Duration(nil), ds...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// pcState is one reading of the provisioned concurrency in force for green during the shift.
type pcState struct {
	where  string // "version 7" or "alias live"; "" when neither has a configuration
	alias  bool
	out    *lambda.GetProvisionedConcurrencyConfigOutput
	target Target
}

// provisionedConcurrencyReady waits, within ctx's deadline, until the provisioned concurrency in force for green
// during the shift is READY, and reports how it found it: the configuration of green's version if it has one, else
// the alias's, at whatever amount it requests; with neither, none is in force and there is nothing to wait for. It
// fails at once on a FAILED allocation, and at the deadline on one still IN_PROGRESS.
//
// The amount in force, not the amount the deployment declares (want), because the declared amount is applied only
// after the shift. bluegreen holds the alias's provisioned concurrency with an Application Auto Scaling scalable
// target that depends on the alias, and CloudFormation updates a resource after those it depends on (AWS
// CloudFormation User Guide, "DependsOn attribute",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-dependson.html: "Resource B is
// updated before resource A"), while the alias's update is the CodeDeploy deployment this hook belongs to (AWS
// CloudFormation User Guide, "UpdatePolicy attribute": "CloudFormation performs an CodeDeploy deployment when the
// version changes on the alias"). AWS documents neither when that alias update completes nor when CloudFormation
// would apply an alias's own ProvisionedConcurrencyConfig relative to the deployment it starts: the lifecycle model
// lists it as an assumption (rule cfn-scalable-target-after-shift; users see the alias update last until the
// deployment ends). A hook that waited for the declared amount would wait out its deadline and fail every release
// that changes the amount together with the code, and the first one that adds provisioned concurrency.
//
// What serves green during the shift is documented. AWS Lambda Developer Guide, "Configuring provisioned
// concurrency" (https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html): "Each version of a
// function can only have one provisioned concurrency configuration. This can be directly on the version itself, or
// on an alias that points to the version.", "If you change the version that an alias points to, Lambda deallocates
// the provisioned concurrency from the old version and allocates it to the new version", and "you can't manage
// provisioned concurrency settings on the alias while the routing configuration is in place" (so nothing changes
// the amount while CodeDeploy's weights are on the alias). AWS Lambda API Reference,
// ProvisionedConcurrencyConfigListItem
// (https://docs.aws.amazon.com/lambda/latest/api/API_ProvisionedConcurrencyConfigListItem.html),
// AllocatedProvisionedConcurrentExecutions: "When a weighted alias is used during linear and canary deployments,
// this value fluctuates depending on the amount of concurrency that is provisioned for the function versions."
// So during the shift green is served by the configuration the alias has now, at the amount it has now, and that
// configuration must be READY, not IN_PROGRESS (still allocating: wait) or FAILED (fail: Status "Valid Values:
// IN_PROGRESS | READY | FAILED"; StatusReason: "For failed allocations, the reason that provisioned concurrency could
// not be allocated"). AWS does not document whether green's first share waits for its part of the allocation.
//
// It polls every 5 seconds (a twentieth of the time left when that is shorter). Every way the deadline can end the
// wait (the next poll would pass it, it passes during the wait, or during a read) fails with the last state read
// and the advice to give the hook a longer Timeout.
func (h *Hook) provisionedConcurrencyReady(ctx context.Context, t Target,
	want hookconfig.ProvisionedConcurrency) (string, error) {
	start := h.now()
	var last *pcState
	reads := 0
	notReady := func(cut error) error {
		state := "no reading before it"
		switch {
		case last != nil:
			state = last.describe()
		case cut != nil:
			state = fmt.Sprintf("no reading before it (%v)", cut)
		}
		return fmt.Errorf("not READY before the hook's deadline (waited %v, %d reads): %s; give the hook a longer "+
			"Timeout if the allocation needs it", h.now().Sub(start).Round(time.Millisecond), reads, state)
	}
	for {
		st, err := readProvisionedConcurrency(ctx, h.Lambda, t)
		if err != nil && ctx.Err() != nil {
			// The deadline came during a read: report the last state read, not the cancelled call.
			return "", notReady(err)
		}
		if err != nil {
			return "", fmt.Errorf("%w (after %v)", err, h.now().Sub(start).Round(time.Millisecond))
		}
		reads++
		last = &st
		waited := h.now().Sub(start).Round(time.Millisecond)
		switch {
		case st.out == nil:
			return st.noneInForce(want), nil
		case st.out.Status == lambdatypes.ProvisionedConcurrencyStatusEnumFailed:
			return "", fmt.Errorf("%s: allocation FAILED: %s (%s) (after %v)", st.where, deref(st.out.StatusReason),
				st.amounts(), waited)
		case st.out.Status == lambdatypes.ProvisionedConcurrencyStatusEnumReady:
			return fmt.Sprintf("%s READY, %s, after %v (%d reads)%s", st.where, st.amounts(), waited, reads,
				st.note(want)), nil
		}
		wait := 5 * time.Second
		if deadline, ok := ctx.Deadline(); ok {
			wait = min(wait, max(deadline.Sub(h.now())/20, 10*time.Millisecond))
			if h.now().Add(wait).After(deadline) {
				return "", notReady(nil)
			}
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return "", notReady(nil)
		case <-timer.C:
		}
	}
}

// readProvisionedConcurrency reads the configuration of green's version, else of the alias.
func readProvisionedConcurrency(ctx context.Context, api LambdaAPI, t Target) (pcState, error) {
	st := pcState{target: t}
	for _, q := range []struct {
		qualifier, where string
		alias            bool
	}{{t.TargetVersion, "version " + t.TargetVersion, false}, {t.Alias, "alias " + t.Alias, true}} {
		if q.qualifier == "" {
			continue
		}
		out, err := api.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{
			FunctionName: &t.FunctionName, Qualifier: &q.qualifier,
		})
		if pcNotFound(err) {
			continue
		}
		if err != nil {
			return st, fmt.Errorf("GetProvisionedConcurrencyConfig %s:%s: %w", t.FunctionName, q.qualifier, err)
		}
		st.where, st.alias, st.out = q.where, q.alias, out
		return st, nil
	}
	return st, nil
}

// pcNotFound reports whether err says the qualifier has no provisioned concurrency configuration ("The specified
// configuration does not exist", API Reference, GetProvisionedConcurrencyConfig, Errors).
func pcNotFound(err error) bool {
	var nf *lambdatypes.ProvisionedConcurrencyConfigNotFoundException
	var apiErr smithy.APIError
	return errors.As(err, &nf) ||
		(errors.As(err, &apiErr) && apiErr.ErrorCode() == "ProvisionedConcurrencyConfigNotFoundException")
}

func (s pcState) requested() float64 {
	if s.out == nil || s.out.RequestedProvisionedConcurrentExecutions == nil {
		return 0
	}
	return float64(*s.out.RequestedProvisionedConcurrentExecutions)
}

func (s pcState) amounts() string {
	n := func(p *int32) int32 {
		if p == nil {
			return 0
		}
		return *p
	}
	return fmt.Sprintf("%d of %d requested allocated, %d available", n(s.out.AllocatedProvisionedConcurrentExecutions),
		n(s.out.RequestedProvisionedConcurrentExecutions), n(s.out.AvailableProvisionedConcurrentExecutions))
}

// declared is the amount the deployment declares, for a person: "5", or "from 2 to 10".
func declared(want hookconfig.ProvisionedConcurrency) string {
	if want.Max != want.Min {
		return fmt.Sprintf("from %g to %g", want.Min, want.Max)
	}
	return fmt.Sprintf("%g", want.Min)
}

// afterShift says when the declared amount applies.
const afterShift = "Application Auto Scaling applies it once this deployment has ended"

// note explains, once the alias's configuration is READY, how green gets its part of it, and when an amount the
// deployment declares but the alias does not have yet applies.
func (s pcState) note(want hookconfig.ProvisionedConcurrency) string {
	if !s.alias {
		return ""
	}
	n := fmt.Sprintf("; version %s has no configuration of its own: Lambda allocates the alias's to it as the "+
		"shift gives it weight", s.target.TargetVersion)
	if r := s.requested(); r < want.Min || r > want.Max {
		n += fmt.Sprintf("; the deployment declares %s: %s", declared(want), afterShift)
	}
	return n
}

// noneInForce is the report when neither green's version nor the alias has a configuration: green is served by
// on-demand concurrency during the shift, as blue was.
func (s pcState) noneInForce(want hookconfig.ProvisionedConcurrency) string {
	return fmt.Sprintf("none in force during the shift: neither version %s nor alias %s has a configuration, so "+
		"green starts on on-demand concurrency; the deployment declares %s: %s", s.target.TargetVersion,
		s.target.Alias, declared(want), afterShift)
}

// describe says what the last reading found, for a wait that ended at the deadline.
func (s pcState) describe() string {
	return fmt.Sprintf("%s is %s, %s", s.where, s.out.Status, s.amounts())
}
