package awsrun

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/safeship/lambda-bluegreen/internal/acceptance"
)

// traffic is the step's traffic generator: requests to each function's alias at the configured rate, at most
// MaxRequests to each (by default as many as the step's bound allows at the rate, so that synthesis and the asset
// upload before the stack operation cannot use the cap up), the business metric when due (keepBusiness), and reads
// of the alias every PollInterval to see the shift and measure detection.
type traffic struct {
	b    *Backend
	ctx  context.Context
	fns  []Function
	stop func() trafficResult
}

// trafficResult is what the generator saw.
type trafficResult struct {
	sent, failed, greenFailed int
	// detected says detection was measured: from the start of the first failing request green served to the first
	// read of the alias serving blue alone after the shift had started.
	detected  bool
	detection time.Duration
	firstErr  string
	// businessErr is why the business metric could not be published while it must breach: the alarm, which treats
	// missing data as not breaching, may then have gone back to OK, so the step does not play its fault.
	businessErr error
}

func (r trafficResult) notes() []string {
	n := []string{fmt.Sprintf("traffic: %d requests, %d failed, %d failed in green", r.sent, r.failed, r.greenFailed)}
	if r.firstErr != "" {
		n = append(n, "traffic: first error calling AWS: "+r.firstErr)
	}
	return n
}

// fnState is what the generator knows of one function's alias.
type fnState struct {
	blue, green string
	shiftStart  time.Time
	sent        int
	// firstFail is when the first request green failed started; backOnBlue when the alias was first read serving
	// blue alone after the shift had started (a rollback).
	firstFail, backOnBlue time.Time
}

// failure is a request that failed: the function's index, the version that served it and when it started.
type failure struct {
	fn      int
	version string
	start   time.Time
}

// startTraffic starts the generator for step st on fns; stop ends it and returns what it saw.
func (b *Backend) startTraffic(ctx context.Context, st acceptance.Step, fns []Function) *traffic {
	quiet, burst := map[string]bool{}, map[string]time.Duration{}
	for _, f := range st.Faults {
		id := f.Function
		if id == "" {
			id = acceptance.Api
			if len(b.release.Commits) > 0 {
				id = acceptance.Fn00
			}
		}
		switch f.Kind {
		case acceptance.Quiet:
			quiet[id] = true
		case acceptance.ErrorBurst:
			burst[id] = f.After
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan trafficResult, 1)
	t := &traffic{b: b, ctx: ctx, fns: fns}
	go func() { done <- t.loop(quiet, burst) }()
	var res *trafficResult
	t.stop = func() trafficResult {
		if res == nil {
			cancel()
			r := <-done
			res = &r
		}
		return *res
	}
	return t
}

// slowRequest is how long a request may take before it counts as failing: the acceptance handler answers in
// milliseconds, except a FailLatency release's, which answers after acceptance.SlowDelay (past the green latency
// alarm's threshold).
const slowRequest = acceptance.SlowDelay * 9 / 10

// loop sends the requests, each in its own goroutine so that a slow green (FailLatency) does not hold the others
// back: at most maxInFlight at once per function, enough for the rate over a whole FunctionTimeout. A request
// fails when Lambda reports a function error or it takes longer than slowRequest; green's first failing request
// starts the detection time, measured from the request's start.
func (t *traffic) loop(quiet map[string]bool, burst map[string]time.Duration) trafficResult {
	b, ctx, clock := t.b, t.ctx, t.b.cfg.Clock
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		res      trafficResult
		inFlight = make([]int, len(t.fns))
		state    = make([]fnState, len(t.fns))
		failures []failure
	)
	interval := time.Duration(float64(time.Second) / b.cfg.Rate)
	pollEvery := int(b.cfg.PollInterval / interval)
	if pollEvery < 1 {
		pollEvery = 1
	}
	maxInFlight := int(b.cfg.Rate*acceptance.FunctionTimeout.Seconds()) + 1
	maxTicks := int(b.cfg.StepTimeout/interval) + 1
	fail := func(err error) { // with mu held
		if res.firstErr == "" && ctx.Err() == nil {
			res.firstErr = err.Error()
		}
	}
	invoke := func(i int, fn Function, payload []byte) {
		defer wg.Done()
		start := clock.Now() // here, not at the tick: the tick's other calls must not count as the request's time
		out, err := b.clients.Lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: &fn.Name, Qualifier: &fn.Alias, Payload: payload})
		took := clock.Now().Sub(start)
		mu.Lock()
		defer mu.Unlock()
		inFlight[i]--
		if err != nil {
			fail(fmt.Errorf("lambda Invoke %s:%s: %w", fn.Name, fn.Alias, err))
			return
		}
		// FunctionError: "If present, indicates that an error occurred during function execution"; ExecutedVersion:
		// "When you invoke a function with an alias, this indicates which version the alias resolved to" (Lambda API
		// Reference, Invoke).
		if out.FunctionError == nil && took < slowRequest {
			return
		}
		res.failed++
		// Which version is green is known once a read of the alias has seen the weights, which may come after
		// this request: failures are attributed to green at the end.
		failures = append(failures, failure{fn: i, version: aws.ToString(out.ExecutedVersion), start: start})
	}
	for tick := 0; tick < maxTicks && ctx.Err() == nil; tick++ {
		now := clock.Now()
		if err := b.keepBusiness(ctx); err != nil {
			if b.broken && ctx.Err() == nil {
				res.businessErr = err
				break
			}
			mu.Lock()
			fail(err)
			mu.Unlock()
		}
		for i, fn := range t.fns {
			if tick%pollEvery == 0 {
				a, err := b.clients.Lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: &fn.Name, Name: &fn.Alias})
				mu.Lock()
				s := &state[i]
				if err != nil {
					fail(fmt.Errorf("GetAlias %s: %w", fn.Name, err))
				} else if v := aws.ToString(a.FunctionVersion); a.RoutingConfig != nil && len(a.RoutingConfig.AdditionalVersionWeights) > 0 {
					for g := range a.RoutingConfig.AdditionalVersionWeights {
						s.green = g
					}
					s.blue = v
					if s.shiftStart.IsZero() {
						s.shiftStart = now
					}
				} else if !s.shiftStart.IsZero() && s.backOnBlue.IsZero() && v != s.green {
					s.backOnBlue = now
				}
				mu.Unlock()
			}
			mu.Lock()
			s := &state[i]
			if quiet[fn.ID] || s.sent >= b.cfg.MaxRequests || inFlight[i] >= maxInFlight {
				mu.Unlock()
				continue
			}
			var req acceptance.Request
			if after, ok := burst[fn.ID]; ok && s.green != "" && !s.shiftStart.IsZero() && now.Sub(s.shiftStart) >= after {
				req.FailVersion = s.green
			}
			s.sent++
			res.sent++
			inFlight[i]++
			mu.Unlock()
			payload, _ := json.Marshal(req)
			wg.Add(1)
			go invoke(i, fn, payload)
		}
		if clock.Sleep(ctx, interval) != nil {
			break
		}
	}
	wg.Wait()
	for _, f := range failures {
		if s := &state[f.fn]; f.version != "" && f.version == s.green {
			res.greenFailed++
			if s.firstFail.IsZero() || f.start.Before(s.firstFail) {
				s.firstFail = f.start
			}
		}
	}
	// Detection is measured once every request has ended: a failing request is known only when it returns (a slow
	// one after acceptance.SlowDelay), which can be after the alias was read back on blue.
	for _, s := range state {
		if !s.firstFail.IsZero() && !s.backOnBlue.IsZero() && s.backOnBlue.After(s.firstFail) {
			res.detected, res.detection = true, s.backOnBlue.Sub(s.firstFail)
			break
		}
	}
	return res
}
