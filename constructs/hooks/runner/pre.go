package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

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
}

func (h *Hook) invoke(ctx context.Context, t Target, payload []byte) (invocation, error) {
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	start := h.now()
	// One attempt: a retried test payload would run twice and its latency would include the retries.
	out, err := h.Lambda.Invoke(ctx, &lambda.InvokeInput{
		FunctionName: &t.FunctionName, Qualifier: &t.TargetVersion, Payload: payload,
	}, func(o *lambda.Options) { o.RetryMaxAttempts = 1 })
	inv := invocation{latency: h.now().Sub(start)}
	if err != nil {
		if ctx.Err() != nil {
			return inv, fmt.Errorf("timed out after %v waiting for version %s: %w", inv.latency.Round(time.Millisecond),
				t.TargetVersion, ctx.Err())
		}
		return inv, fmt.Errorf("invoking version %s: %w", t.TargetVersion, err)
	}
	inv.payload = out.Payload
	if out.FunctionError != nil {
		inv.fnError = *out.FunctionError
	}
	if len(bytes.TrimSpace(out.Payload)) > 0 {
		_ = json.Unmarshal(out.Payload, &inv.response)
	}
	return inv, nil
}

func (h *Hook) preTraffic(ctx context.Context, t Target, r *Result) {
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
	detail = fmt.Sprintf("%v", inv.latency.Round(time.Millisecond))
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
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				h.loadOne(ctx, t, l.Payload, &latencies[i], &errs[i])
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	failed := 0
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
	if failed > 0 {
		return "", fmt.Errorf("%s; %d failed, first: %s", detail, failed, first)
	}
	if budget := time.Duration(l.BudgetMillis) * time.Millisecond; budget > 0 && p > budget {
		return "", fmt.Errorf("%s: over budget", detail)
	}
	return detail, nil
}

// loadOne makes one call of the load check; a panic (this goroutine is not the hook's) becomes its error.
func (h *Hook) loadOne(ctx context.Context, t Target, payload []byte, latency *time.Duration, errText *string) {
	defer func() {
		if p := recover(); p != nil {
			*errText = fmt.Sprintf("panic: %v", p)
		}
	}()
	inv, err := h.invoke(ctx, t, payload)
	*latency = inv.latency
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
		return "answered without an error", nil
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
	return "handled error " + strconv.Quote(typ), nil
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
