package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/safeship/lambda-bluegreen/constructs/hooks/hookconfig"
)

// FailureReporterEnv is the environment variable that makes the hook's binary a failure reporter instead of a
// hook; its value is the phase of the hook it reports for. Package hooks sets it on each hook's reporter.
const FailureReporterEnv = "BLUEGREEN_FAILURE_REPORTER"

// InvocationRecord is what Lambda sends an asynchronous invocation's on-failure destination. The fields are those
// of the AWS Lambda Developer Guide ("Capturing records of Lambda asynchronous invocations", and "Asynchronous
// invocation" → "Configuring destinations": "For Lambda (LambdaDestination), the invocation record is passed as
// the payload to the function"), whose example record is
//
//	{"version": "1.0", "timestamp": "2019-11-14T18:16:05.568Z",
//	 "requestContext": {"requestId": "e4b46cbf-…", "functionArn": "arn:aws:lambda:us-east-2:123456789012:function:my-function:$LATEST",
//	                    "condition": "RetriesExhausted", "approximateInvokeCount": 3},
//	 "requestPayload": {…the original event…},
//	 "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
//	 "responsePayload": {"errorMessage": "RequestId: e4b46cbf-… Process exited before completing request"}}
//
// The guide shows the condition RetriesExhausted; an event that "exceeds the maximum age" (same guide: "On failure
// – Send a record when the event fails all processing attempts or exceeds the maximum age") carries
// EventAgeExceeded, a value the guide does not list: the reporter reports Failed for any condition.
type InvocationRecord struct {
	Version        string `json:"version"`
	Timestamp      string `json:"timestamp"`
	RequestContext struct {
		RequestID              string `json:"requestId"`
		FunctionARN            string `json:"functionArn"`
		Condition              string `json:"condition"`
		ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	} `json:"requestContext"`
	RequestPayload  json.RawMessage `json:"requestPayload"`
	ResponseContext *struct {
		StatusCode      int    `json:"statusCode"`
		ExecutedVersion string `json:"executedVersion"`
		FunctionError   string `json:"functionError"`
	} `json:"responseContext"`
	ResponsePayload json.RawMessage `json:"responsePayload"`
}

// FailureReporter is the on-failure destination of a hook: Lambda sends it the record of a hook invocation that
// ended without the hook's own handler returning (a crash at start, out of memory, a timeout), or that never ran
// (throttled or failed by Lambda until the event's maximum age passed). Such a hook reported nothing, and
// CodeDeploy would wait for its one-hour hook timeout; the reporter reports Failed at once, with a log line saying
// why. A hook that did report keeps its status: CodeDeploy refuses the second report, which the reporter logs.
type FailureReporter struct {
	CodeDeploy CodeDeployAPI
	// Phase is the phase of the hook the reporter serves, for the log.
	Phase hookconfig.Phase
	// ConfigError, when set, is why the reporter cannot work (its AWS SDK configuration); it is logged and
	// returned.
	ConfigError error
	// Log receives the reporter's lines. Default: io.Discard.
	Log io.Writer
	// ReportAttempts bounds the attempts to report (on top of the SDK's own retries). Default: 5.
	ReportAttempts int
}

// Handle reports Failed for the hook execution the record's original event names. It returns an error only when
// the report could not be sent (so that the invocation shows as failed and Lambda may try again); a payload that
// is no invocation record, or whose original event names no hook execution, is logged and dropped.
func (r *FailureReporter) Handle(ctx context.Context, raw json.RawMessage) error {
	log := r.Log
	if log == nil {
		log = io.Discard
	}
	var rec InvocationRecord
	if err := json.Unmarshal(raw, &rec); err != nil || rec.RequestContext.Condition == "" || len(rec.RequestPayload) == 0 {
		fmt.Fprintf(log, "bluegreen hook failure reporter: not a Lambda invocation record, nothing to report: %s\n",
			truncate(string(raw), 200))
		return nil
	}
	var ev Event
	if err := json.Unmarshal(rec.RequestPayload, &ev); err != nil || ev.DeploymentID == "" || ev.LifecycleEventHookExecutionID == "" {
		fmt.Fprintf(log, "bluegreen hook failure reporter: the failed event names no DeploymentId and "+
			"LifecycleEventHookExecutionId, nothing to report: %s\n", truncate(string(rec.RequestPayload), 200))
		return nil
	}
	fmt.Fprintf(log, "bluegreen hook: the %s hook (%s) did not report for deployment %s, hook execution %s: %s; "+
		"reporting Failed so that CodeDeploy does not wait for its one-hour hook timeout\n",
		r.phase(), rec.RequestContext.FunctionARN, ev.DeploymentID, ev.LifecycleEventHookExecutionID, rec.why())
	if r.ConfigError != nil {
		fmt.Fprintf(log, "bluegreen hook: could not report Failed to CodeDeploy: %v\n", r.ConfigError)
		return r.ConfigError
	}
	return reportStatus(ctx, r.CodeDeploy, ev, cdtypes.LifecycleEventStatusFailed, r.ReportAttempts, log)
}

func (r *FailureReporter) phase() hookconfig.Phase {
	if r.Phase == "" {
		return "traffic"
	}
	return r.Phase
}

// why says in words what the record tells of the failed invocation.
func (rec InvocationRecord) why() string {
	attempts := fmt.Sprintf("%d attempt", rec.RequestContext.ApproximateInvokeCount)
	if rec.RequestContext.ApproximateInvokeCount != 1 {
		attempts += "s"
	}
	var b strings.Builder
	switch rec.RequestContext.Condition {
	case "RetriesExhausted":
		fmt.Fprintf(&b, "its invocation failed (RetriesExhausted after %s)", attempts)
	case WatchdogCondition:
		b.WriteString("its watchdog fired a minute after the hook's deadline and the hook had not reported: it crashed, " +
			"ran out of memory, timed out or was never run")
		return b.String()
	case "EventAgeExceeded":
		fmt.Fprintf(&b, "its event passed its maximum age before a run succeeded (EventAgeExceeded after %s): "+
			"throttled, or failed by Lambda", attempts)
	default:
		fmt.Fprintf(&b, "Lambda gave up on its event (%s after %s)", rec.RequestContext.Condition, attempts)
	}
	if rc := rec.ResponseContext; rc != nil && rc.FunctionError != "" {
		fmt.Fprintf(&b, ", function error %s", rc.FunctionError)
	}
	var resp struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal(rec.ResponsePayload, &resp) == nil && (resp.ErrorType != "" || resp.ErrorMessage != "") {
		fmt.Fprintf(&b, ": %s", strings.TrimPrefix(strings.TrimSpace(resp.ErrorType+" "+truncate(resp.ErrorMessage, 300)), " "))
	}
	return b.String()
}
