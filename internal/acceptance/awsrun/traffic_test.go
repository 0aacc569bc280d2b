package awsrun

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/safeship/lambda-bluegreen/internal/acceptance"
)

// shiftingLambda is an alias shifting from version 1 to 2: weights on 2 from weightsAfter on, back on 1 alone
// once rolledBack is set. Green (2) fails every request it serves, and only the requests the alias routes to it
// (every third); one request blocks until its context ends, as a request in flight when the step ends does.
type shiftingLambda struct {
	LambdaAPI
	mu           sync.Mutex
	began        time.Time
	weightsAfter time.Duration
	rolledBack   bool
	n            int
	blocked      int
}

func (l *shiftingLambda) GetAlias(context.Context, *lambda.GetAliasInput, ...func(*lambda.Options)) (*lambda.GetAliasOutput, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := &lambda.GetAliasOutput{FunctionVersion: aws.String("1")}
	if !l.rolledBack && time.Since(l.began) >= l.weightsAfter {
		out.RoutingConfig = &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.1}}
	}
	return out, nil
}

func (l *shiftingLambda) Invoke(ctx context.Context, _ *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	l.mu.Lock()
	l.n++
	n, rolledBack := l.n, l.rolledBack
	block := n == 2
	if block {
		l.blocked++
	}
	l.mu.Unlock()
	if block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if !rolledBack && n%3 == 0 {
		return &lambda.InvokeOutput{ExecutedVersion: aws.String("2"), FunctionError: aws.String("Unhandled")}, nil
	}
	return &lambda.InvokeOutput{ExecutedVersion: aws.String("1")}, nil
}

// The generator sends requests concurrently, ends every request in flight when it stops, counts only green's
// failures as green's (also those that returned before a read of the alias showed which version is green), and
// measures detection from green's first failing request to the alias back on blue.
func TestTrafficCountsGreenAndStopsInFlight(t *testing.T) {
	for _, weightsAfter := range []time.Duration{0, 60 * time.Millisecond} {
		l := &shiftingLambda{began: time.Now(), weightsAfter: weightsAfter}
		c := Config{Account: "123456789012", Region: "eu-west-1", Run: "t1", Rate: 200, PollInterval: 10 * time.Millisecond,
			StepTimeout: time.Minute}
		b := NewBackend(c, Clients{Lambda: l}, nil, nil)
		fns := []Function{{ID: acceptance.Api, Name: "fn", Alias: acceptance.AliasName}}
		gen := b.startTraffic(context.Background(), acceptance.Step{Action: acceptance.Deploy}, fns)
		time.Sleep(150 * time.Millisecond)
		l.mu.Lock()
		l.rolledBack = true
		l.mu.Unlock()
		time.Sleep(60 * time.Millisecond)
		stopped := time.Now()
		res := gen.stop()
		if took := time.Since(stopped); took > 2*time.Second {
			t.Errorf("stop took %s: a request in flight must end with the step", took)
		}
		if l.blocked != 1 || res.sent < 10 {
			t.Fatalf("sent %d, blocked %d", res.sent, l.blocked)
		}
		if res.greenFailed == 0 || res.failed != res.greenFailed {
			t.Errorf("weights after %s: %d failed, %d of them green's; want every failure green's", weightsAfter,
				res.failed, res.greenFailed)
		}
		if !res.detected || res.detection <= 0 || res.detection > time.Second {
			t.Errorf("weights after %s: detected %v, detection %s", weightsAfter, res.detected, res.detection)
		}
		if res.firstErr != "" {
			t.Errorf("the request cut short by the stop is not an error of AWS: %s", res.firstErr)
		}
	}
}
