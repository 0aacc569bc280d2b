package awsrun

import (
	"context"
	"encoding/json"
	"fmt"
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
	// detected says detection was measured: from the first failing request green served to the first read of the
	// alias serving blue alone.
	detected  bool
	detection time.Duration
	firstErr  string
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
	firstFail   time.Time
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

func (t *traffic) loop(quiet map[string]bool, burst map[string]time.Duration) trafficResult {
	b, ctx, clock := t.b, t.ctx, t.b.cfg.Clock
	var res trafficResult
	interval := time.Duration(float64(time.Second) / b.cfg.Rate)
	pollEvery := int(b.cfg.PollInterval / interval)
	if pollEvery < 1 {
		pollEvery = 1
	}
	maxTicks := int(b.cfg.StepTimeout/interval) + 1
	state := make([]fnState, len(t.fns))
	fail := func(err error) {
		if res.firstErr == "" && ctx.Err() == nil {
			res.firstErr = err.Error()
		}
	}
	for tick := 0; tick < maxTicks && ctx.Err() == nil; tick++ {
		now := clock.Now()
		if err := b.keepBusiness(ctx); err != nil {
			fail(err)
		}
		for i, fn := range t.fns {
			s := &state[i]
			if tick%pollEvery == 0 {
				a, err := b.clients.Lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: &fn.Name, Name: &fn.Alias})
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
				} else if !s.firstFail.IsZero() && !res.detected && v != s.green {
					res.detected, res.detection = true, now.Sub(s.firstFail)
				}
			}
			if quiet[fn.ID] || s.sent >= b.cfg.MaxRequests {
				continue
			}
			var req acceptance.Request
			if after, ok := burst[fn.ID]; ok && s.green != "" && !s.shiftStart.IsZero() && now.Sub(s.shiftStart) >= after {
				req.FailVersion = s.green
			}
			payload, _ := json.Marshal(req)
			out, err := b.clients.Lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: &fn.Name, Qualifier: &fn.Alias, Payload: payload})
			s.sent++
			res.sent++
			if err != nil {
				fail(fmt.Errorf("lambda Invoke %s:%s: %w", fn.Name, fn.Alias, err))
				continue
			}
			if out.FunctionError != nil {
				res.failed++
				if v := aws.ToString(out.ExecutedVersion); v != "" && v == s.green {
					res.greenFailed++
					if s.firstFail.IsZero() {
						s.firstFail = now
					}
				}
			}
		}
		if clock.Sleep(ctx, interval) != nil {
			break
		}
	}
	return res
}
