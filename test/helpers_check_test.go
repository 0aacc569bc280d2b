package test

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/test/testkit"
)

// recorder is a testing.TB that records failures instead of reporting them, and stops its goroutine on Fatal as
// testing.T does, so that a helper's failure can be checked.
type recorder struct {
	testing.TB
	mu       sync.Mutex
	failures []string
	fatal    bool
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...interface{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...interface{}) {
	r.Errorf(format, args...)
	r.mu.Lock()
	r.fatal = true
	r.mu.Unlock()
	runtime.Goexit()
}

// runRecorded runs f with a recorder in its own goroutine, as testing runs a test, and returns the recorder.
func runRecorded(t *testing.T, f func(tb testing.TB)) *recorder {
	rec := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(rec)
	}()
	<-done
	return rec
}

// When synth's own validation fails, the template helper fails that one test with the validation messages
// instead of returning nil (which crashed the whole test package at the first use).
func TestTemplateHelperReportsFailedValidation(t *testing.T) {
	reached := false
	rec := runRecorded(t, func(tb testing.TB) {
		stack := awscdk.NewStack(testkit.NewApp(t), jsii.String("Broken"), nil)
		awscdk.NewCfnResource(stack, jsii.String("BadQueue"), &awscdk.CfnResourceProps{
			Type:       jsii.String("AWS::SQS::Queue"),
			Properties: &map[string]interface{}{"DelaySeconds": "not a number"},
		})
		tmpl := testkit.Template(tb, stack)
		reached = true // a test would go on to use tmpl here: with a nil template, that crashes the test binary
		if tmpl != nil {
			tmpl.ToJSON()
		}
	})
	if !rec.fatal || reached {
		t.Fatalf("the helper must stop the test when synth fails (fatal %v, went on %v, failures %q)", rec.fatal, reached, rec.failures)
	}
	if len(rec.failures) != 1 || !strings.Contains(rec.failures[0], "synthesizing Broken failed") ||
		!strings.Contains(rec.failures[0], "DelaySeconds") {
		t.Errorf("the failure must carry the validation messages, got %q", rec.failures)
	}
}
