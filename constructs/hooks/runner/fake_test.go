package runner_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/safeship/lambda-bluegreen/constructs/hooks/hookconfig"
	"github.com/safeship/lambda-bluegreen/constructs/hooks/runner"
)

// invokeReply is what the fake Lambda answers to one invocation.
type invokeReply struct {
	payload string
	fnError string        // X-Amz-Function-Error, "" for none
	delay   time.Duration // before answering
	status  int           // HTTP status, 200 when 0
	// errorType, when set, makes the answer a Lambda API error of that code (X-Amzn-ErrorType), as Lambda sends
	// when it does not run the function: TooManyRequestsException with status 429, ServiceException with 500…
	errorType string
	// retryAfter is the Retry-After header of a throttle (TooManyRequestsException.retryAfterSeconds).
	retryAfter string
	// hangUp closes the connection once the request is read, without an answer: the request reached Lambda,
	// and the function may have run.
	hangUp bool
}

// throttle is the answer Lambda gives a call beyond the function's reserved concurrency.
var throttle = invokeReply{status: http.StatusTooManyRequests, errorType: "TooManyRequestsException",
	payload: `{"Type":"User","message":"Rate Exceeded.","Reason":"ReservedFunctionConcurrentInvocationLimitExceeded"}`}

// fakeAWS is a local HTTP server (on loopback) that speaks the parts of the Lambda (REST-JSON), CodeDeploy
// (JSON 1.1) and CloudWatch (RPC v2 CBOR) APIs the hook uses, so the tests run the real SDK clients.
type fakeAWS struct {
	t   *testing.T
	srv *httptest.Server

	mu sync.Mutex
	// invoke answers an invocation of version qualifier with payload.
	invoke func(qualifier string, payload []byte) invokeReply
	// appSpec is the deployment's AppSpec content.
	appSpec string
	// created is the deployment's creation time.
	created time.Time
	// throttlePuts is how many PutLifecycleEventHookExecutionStatus calls are throttled before one succeeds.
	throttlePuts int
	// getDeploymentError, when set, is the error code GetDeployment answers with.
	getDeploymentError string
	// revisionHashOnly makes GetDeployment return the revision without its content, as a pointer for
	// GetApplicationRevision.
	revisionHashOnly bool
	// putError, when set, is the (client) error code every status report gets.
	putError string
	// alarms are the deployment group's metric alarms and their states, compositeAlarms its composite alarms,
	// and deletedAlarms names of the group that CloudWatch no longer has; alarmsDisabled turns monitoring off.
	alarms          map[string]string
	compositeAlarms map[string]string
	deletedAlarms   []string
	alarmsDisabled  bool
	// alarmsPageSize, when set, caps a DescribeAlarms page below MaxRecords, as a paginated API may.
	alarmsPageSize int
	// describeAlarmsCalls records each DescribeAlarms request: its AlarmTypes and how many names it asked for.
	describeAlarmsCalls []describeAlarmsCall
	// invocationsSum is what GetMetricStatistics reports for green.
	invocationsSum float64
	// versions and aliases of the function; deleted collects DeleteFunction qualifiers.
	versions []string
	aliases  map[string]string
	weighted map[string]string // alias → additional version
	deleted  []string
	// deleteError, when set, is the (client) error code every DeleteFunction gets.
	deleteError string
	// mappings maps a qualifier (a version or an alias) to the UUIDs of the event source mappings that invoke it;
	// mappingsError, when set, is the error code ListEventSourceMappings answers for the versions it names.
	mappings      map[string][]string
	mappingsError map[string]string
	// provisioned lists the qualifiers (versions or aliases) with a provisioned concurrency configuration;
	// provisionedError, when set, is the error code ListProvisionedConcurrencyConfigs answers.
	provisioned      []string
	provisionedError string
	// mappingQueries records the FunctionName of each ListEventSourceMappings call.
	mappingQueries []string
	// pcConfigs maps a qualifier (a version or an alias) to what GetProvisionedConcurrencyConfig answers for it,
	// one answer per call, the last one repeating; a qualifier with none has no configuration
	// (ProvisionedConcurrencyConfigNotFoundException, 404).
	pcConfigs map[string][]pcConfig
	// pcQueries records the Qualifier of each GetProvisionedConcurrencyConfig call.
	pcQueries []string
	// tags are each function's tags, as GetFunction returns them.
	tags map[string]map[string]string

	// recorded
	completed   map[string]bool // hook executions with a status
	statuses    []string
	reportedAt  []time.Time // when each status arrived
	deadline    time.Time   // the deadline of the last run's invocation
	puts        int
	invocations []string // qualifiers
	payloads    []string
	metricDims  map[string]string
}

func newFake(t *testing.T) *fakeAWS {
	f := &fakeAWS{
		t:       t,
		appSpec: `{"version":0.0,"Resources":[{"Api":{"Type":"AWS::Lambda::Function","Properties":{"Name":"api-fn","Alias":"live","CurrentVersion":"6","TargetVersion":"7"}}}]}`,
		created: time.Now().Add(-10 * time.Minute),
		invoke: func(string, []byte) invokeReply {
			return invokeReply{payload: `{"statusCode":200,"body":"{\"message\":\"hello\",\"ok\":true}"}`}
		},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAWS) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	switch {
	case strings.HasPrefix(r.URL.Path, "/2015-03-31/functions/"):
		f.serveLambda(w, r, body)
	case strings.HasPrefix(r.URL.Path, "/2015-03-31/event-source-mappings"):
		f.serveEventSourceMappings(w, r)
	case strings.HasPrefix(r.URL.Path, "/2019-09-30/functions/") && strings.HasSuffix(r.URL.Path, "/provisioned-concurrency"):
		f.serveProvisionedConcurrency(w, r)
	case strings.HasPrefix(r.Header.Get("X-Amz-Target"), "CodeDeploy_20141006."):
		f.serveCodeDeploy(w, strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "CodeDeploy_20141006."), body)
	case strings.Contains(r.URL.Path, "/operation/"):
		f.serveCloudWatch(w, r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:], body)
	default:
		http.Error(w, "unknown request "+r.URL.String(), http.StatusNotFound)
	}
}

func (f *fakeAWS) serveLambda(w http.ResponseWriter, r *http.Request, body []byte) {
	path := strings.TrimPrefix(r.URL.Path, "/2015-03-31/functions/")
	parts := strings.Split(path, "/")
	q := r.URL.Query().Get("Qualifier")
	switch {
	case r.Method == http.MethodPost && len(parts) == 2 && parts[1] == "invocations":
		f.mu.Lock()
		f.invocations = append(f.invocations, q)
		f.payloads = append(f.payloads, string(body))
		invoke := f.invoke
		f.mu.Unlock()
		reply := invoke(q, body)
		if reply.hangUp {
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
			return
		}
		if reply.delay > 0 {
			select {
			case <-time.After(reply.delay):
			case <-r.Context().Done():
				return
			}
		}
		if reply.errorType != "" {
			// A Lambda API error: the function did not run (REST-JSON error, code in X-Amzn-ErrorType).
			w.Header().Set("X-Amzn-ErrorType", reply.errorType)
			if reply.retryAfter != "" {
				w.Header().Set("Retry-After", reply.retryAfter)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(reply.status)
			io.WriteString(w, reply.payload)
			return
		}
		if reply.fnError != "" {
			w.Header().Set("X-Amz-Function-Error", reply.fnError)
		}
		w.Header().Set("X-Amz-Executed-Version", q)
		status := reply.status
		if status == 0 {
			status = http.StatusOK
		}
		w.WriteHeader(status)
		io.WriteString(w, reply.payload)
	case r.Method == http.MethodGet && len(parts) == 1:
		f.mu.Lock()
		tags := f.tags[parts[0]]
		f.mu.Unlock()
		writeJSON(w, map[string]interface{}{
			"Configuration": map[string]string{"FunctionName": parts[0], "FunctionArn": functionARN(parts[0])},
			"Tags":          tags,
		})
	case r.Method == http.MethodGet && len(parts) == 2 && parts[1] == "versions":
		var vs []map[string]string
		for _, v := range append([]string{"$LATEST"}, f.versions...) {
			vs = append(vs, map[string]string{"Version": v, "FunctionName": parts[0], "FunctionArn": functionARN(parts[0]) + ":" + v})
		}
		writeJSON(w, map[string]interface{}{"Versions": vs})
	case r.Method == http.MethodGet && len(parts) == 2 && parts[1] == "aliases":
		var as []map[string]interface{}
		for name, v := range f.aliases {
			a := map[string]interface{}{"Name": name, "FunctionVersion": v}
			if extra, ok := f.weighted[name]; ok {
				a["RoutingConfig"] = map[string]interface{}{"AdditionalVersionWeights": map[string]float64{extra: 0.1}}
			}
			as = append(as, a)
		}
		writeJSON(w, map[string]interface{}{"Aliases": as})
	case r.Method == http.MethodDelete && len(parts) == 1:
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.deleteError != "" {
			w.Header().Set("X-Amzn-ErrorType", f.deleteError)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"message":"refused"}`)
			return
		}
		f.deleted = append(f.deleted, q)
		w.WriteHeader(http.StatusNoContent)
	default:
		http.Error(w, "unknown Lambda request", http.StatusNotFound)
	}
}

// functionARN is the ARN of the fake's function of that name.
func functionARN(name string) string { return "arn:aws:lambda:eu-west-1:123456789012:function:" + name }

// serveEventSourceMappings answers ListEventSourceMappings (GET /2015-03-31/event-source-mappings/): the mappings
// whose function ARN is exactly FunctionName, as the fake reads the API Reference's "Version or Alias ARN" name
// format. A version's own ARN is the only form the hook sends.
func (f *fakeAWS) serveEventSourceMappings(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := r.URL.Query().Get("FunctionName")
	f.mappingQueries = append(f.mappingQueries, name)
	q := name[strings.LastIndex(name, ":")+1:]
	if code := f.mappingsError[q]; code != "" {
		restError(w, http.StatusForbidden, code)
		return
	}
	out := []map[string]string{}
	for _, uuid := range f.mappings[q] {
		out = append(out, map[string]string{"UUID": uuid, "FunctionArn": name,
			"EventSourceArn": "arn:aws:sqs:eu-west-1:123456789012:queue-" + uuid})
	}
	writeJSON(w, map[string]interface{}{"EventSourceMappings": out})
}

// pcConfig is one answer of GetProvisionedConcurrencyConfig: a configuration, or the API error errorCode.
type pcConfig struct {
	status               string // IN_PROGRESS, READY or FAILED
	requested, allocated int
	reason               string
	errorCode            string
	// delay holds the answer that long, or until the caller gives up.
	delay time.Duration
}

// serveProvisionedConcurrency answers ListProvisionedConcurrencyConfigs (GET
// /2019-09-30/functions/{name}/provisioned-concurrency?List=ALL) and GetProvisionedConcurrencyConfig (the same
// path with ?Qualifier=).
func (f *fakeAWS) serveProvisionedConcurrency(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if q := r.URL.Query().Get("Qualifier"); q != "" {
		f.pcQueries = append(f.pcQueries, q)
		answers := f.pcConfigs[q]
		if len(answers) == 0 {
			restError(w, http.StatusNotFound, "ProvisionedConcurrencyConfigNotFoundException")
			return
		}
		a := answers[0]
		if len(answers) > 1 {
			f.pcConfigs[q] = answers[1:]
		}
		if a.delay > 0 {
			// Wait without holding the lock: the hook still reports meanwhile.
			f.mu.Unlock()
			select {
			case <-time.After(a.delay):
			case <-r.Context().Done():
			}
			f.mu.Lock()
		}
		if a.errorCode != "" {
			restError(w, http.StatusForbidden, a.errorCode)
			return
		}
		out := map[string]interface{}{"Status": a.status, "RequestedProvisionedConcurrentExecutions": a.requested,
			"AllocatedProvisionedConcurrentExecutions": a.allocated, "AvailableProvisionedConcurrentExecutions": a.allocated,
			"LastModified": "2026-12-01T10:00:00+0000"}
		if a.reason != "" {
			out["StatusReason"] = a.reason
		}
		writeJSON(w, out)
		return
	}
	if f.provisionedError != "" {
		restError(w, http.StatusBadRequest, f.provisionedError)
		return
	}
	name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/2019-09-30/functions/"), "/provisioned-concurrency")
	out := []map[string]interface{}{}
	for _, q := range f.provisioned {
		out = append(out, map[string]interface{}{"FunctionArn": functionARN(name) + ":" + q,
			"RequestedProvisionedConcurrentExecutions": 5, "Status": "READY"})
	}
	writeJSON(w, map[string]interface{}{"ProvisionedConcurrencyConfigs": out})
}

// restError answers with a Lambda (REST-JSON) API error of that code.
func restError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("X-Amzn-ErrorType", code)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, `{"message":"fake `+code+`"}`)
}

func (f *fakeAWS) serveCodeDeploy(w http.ResponseWriter, op string, body []byte) {
	var in map[string]interface{}
	_ = json.Unmarshal(body, &in)
	f.mu.Lock()
	defer f.mu.Unlock()
	switch op {
	case "GetDeployment":
		if f.getDeploymentError != "" {
			jsonError(w, f.getDeploymentError, "fake failure")
			return
		}
		content := map[string]interface{}{"content": f.appSpec, "sha256": "f00d"}
		if f.revisionHashOnly {
			content = map[string]interface{}{"sha256": "f00d"}
		}
		writeJSON(w, map[string]interface{}{"deploymentInfo": map[string]interface{}{
			"deploymentId": in["deploymentId"], "applicationName": "app", "deploymentGroupName": "group",
			"createTime": float64(f.created.Unix()),
			"revision":   map[string]interface{}{"revisionType": "AppSpecContent", "appSpecContent": content},
		}})
	case "GetApplicationRevision":
		rev, _ := in["revision"].(map[string]interface{})
		if in["applicationName"] != "app" || rev == nil || rev["revisionType"] != "AppSpecContent" {
			jsonError(w, "RevisionDoesNotExistException", "unknown revision")
			return
		}
		writeJSON(w, map[string]interface{}{"applicationName": "app", "revision": map[string]interface{}{
			"revisionType": "String", "string": map[string]interface{}{"content": f.appSpec, "sha256": "f00d"},
		}})
	case "GetDeploymentGroup":
		var alarms []map[string]string
		for _, name := range f.groupAlarmNames() {
			alarms = append(alarms, map[string]string{"name": name})
		}
		writeJSON(w, map[string]interface{}{"deploymentGroupInfo": map[string]interface{}{
			"alarmConfiguration": map[string]interface{}{"enabled": !f.alarmsDisabled, "alarms": alarms},
		}})
	case "PutLifecycleEventHookExecutionStatus":
		f.puts++
		if f.putError != "" {
			jsonError(w, f.putError, "refused")
			return
		}
		if f.throttlePuts > 0 {
			f.throttlePuts--
			jsonError(w, "ThrottlingException", "Rate exceeded")
			return
		}
		// CodeDeploy keeps the first status of a hook execution and refuses any later one.
		id, _ := in["lifecycleEventHookExecutionId"].(string)
		if f.completed[id] {
			jsonError(w, "LifecycleEventAlreadyCompletedException", "An attempt to return the status of an already completed lifecycle event occurred.")
			return
		}
		if f.completed == nil {
			f.completed = map[string]bool{}
		}
		f.completed[id] = true
		f.statuses = append(f.statuses, in["status"].(string))
		f.reportedAt = append(f.reportedAt, time.Now())
		writeJSON(w, map[string]interface{}{"lifecycleEventHookExecutionId": in["lifecycleEventHookExecutionId"]})
	default:
		jsonError(w, "UnknownOperationException", op)
	}
}

func (f *fakeAWS) serveCloudWatch(w http.ResponseWriter, op string, body []byte) {
	in, _ := cbor.Decode(body)
	f.mu.Lock()
	defer f.mu.Unlock()
	var out cbor.Map
	switch op {
	case "GetMetricStatistics":
		f.metricDims = map[string]string{}
		if m, ok := in.(cbor.Map); ok {
			for _, d := range m["Dimensions"].(cbor.List) {
				dm := d.(cbor.Map)
				f.metricDims[string(dm["Name"].(cbor.String))] = string(dm["Value"].(cbor.String))
			}
		}
		out = cbor.Map{"Datapoints": cbor.List{cbor.Map{"Sum": cbor.Float64(f.invocationsSum)}}}
	case "DescribeAlarms":
		out = f.describeAlarms(in)
	default:
		http.Error(w, "unknown CloudWatch operation", http.StatusNotFound)
		return
	}
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	w.Write(cbor.Encode(out))
}

type describeAlarmsCall struct {
	types []string
	names int
}

// groupAlarmNames lists every alarm of the deployment group, sorted: metric, composite and deleted ones.
func (f *fakeAWS) groupAlarmNames() []string {
	var names []string
	for n := range f.alarms {
		names = append(names, n)
	}
	for n := range f.compositeAlarms {
		names = append(names, n)
	}
	names = append(names, f.deletedAlarms...)
	sort.Strings(names)
	return names
}

// describeAlarms answers as CloudWatch does: the alarms of AlarmNames that exist; composite alarms only when
// AlarmTypes asks for them, metric alarms when AlarmTypes is absent or asks for them (API Reference,
// DescribeAlarms: "If you omit this parameter, only metric alarms are returned, even if composite alarms exist
// in the account"); at most MaxRecords (50 when absent, the fake's choice: AWS documents no default) per page,
// with a NextToken for the rest.
func (f *fakeAWS) describeAlarms(in cbor.Value) cbor.Map {
	req, _ := in.(cbor.Map)
	var names, types []string
	if l, ok := req["AlarmNames"].(cbor.List); ok {
		for _, v := range l {
			names = append(names, string(v.(cbor.String)))
		}
	}
	if l, ok := req["AlarmTypes"].(cbor.List); ok {
		for _, v := range l {
			types = append(types, string(v.(cbor.String)))
		}
	}
	f.describeAlarmsCalls = append(f.describeAlarmsCalls, describeAlarmsCall{types: types, names: len(names)})
	wantMetric := len(types) == 0 || slices.Contains(types, "MetricAlarm")
	wantComposite := slices.Contains(types, "CompositeAlarm")
	type alarm struct{ name, state, kind string }
	var matched []alarm
	sort.Strings(names)
	for _, n := range names {
		if state, ok := f.alarms[n]; ok && wantMetric {
			matched = append(matched, alarm{n, state, "MetricAlarms"})
		}
		if state, ok := f.compositeAlarms[n]; ok && wantComposite {
			matched = append(matched, alarm{n, state, "CompositeAlarms"})
		}
	}
	pageSize := 50
	if m, ok := req["MaxRecords"].(cbor.Uint); ok && m > 0 {
		pageSize = int(m)
	}
	if f.alarmsPageSize > 0 {
		pageSize = min(pageSize, f.alarmsPageSize)
	}
	start := 0
	if tok, ok := req["NextToken"].(cbor.String); ok {
		start, _ = strconv.Atoi(string(tok))
	}
	out := cbor.Map{"MetricAlarms": cbor.List{}, "CompositeAlarms": cbor.List{}}
	end := min(start+pageSize, len(matched))
	for _, a := range matched[start:end] {
		out[a.kind] = append(out[a.kind].(cbor.List), cbor.Map{"AlarmName": cbor.String(a.name), "StateValue": cbor.String(a.state)})
	}
	if end < len(matched) {
		out["NextToken"] = cbor.String(strconv.Itoa(end))
	}
	return out
}

func writeJSON(w http.ResponseWriter, v interface{}) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func jsonError(w http.ResponseWriter, code, message string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": message})
}

// hook returns a hook with real SDK clients pointed at the fake, fast retries, and a log the test can read.
func (f *fakeAWS) hook(cfg hookconfig.Config) (*runner.Hook, *strings.Builder) {
	base := aws.Config{
		Region:      "eu-west-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxBackoff = 5 * time.Millisecond })
		},
		BaseEndpoint: aws.String(f.srv.URL),
	}
	log := &strings.Builder{}
	return &runner.Hook{
		Lambda:        lambda.NewFromConfig(base),
		CodeDeploy:    codedeploy.NewFromConfig(base),
		CloudWatch:    cloudwatch.NewFromConfig(base),
		Config:        cfg,
		Log:           log,
		ReportMargin:  200 * time.Millisecond,
		InvokeBackoff: time.Millisecond,
	}, log
}

func (f *fakeAWS) reported() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.statuses...)
}

// reportedInTime fails the test unless a status reached CodeDeploy, every one before the deadline of the last run:
// what a hook that reports in time guarantees, measured where it matters rather than around the whole run (whose
// setup a loaded machine may slow down).
func reportedInTime(t *testing.T, f *fakeAWS) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reportedAt) == 0 {
		t.Errorf("no status reached CodeDeploy")
	}
	for _, at := range f.reportedAt {
		if at.After(f.deadline) {
			t.Errorf("a status reached CodeDeploy %v after the hook's deadline", at.Sub(f.deadline))
		}
	}
}

const event = `{"DeploymentId":"d-TEST","LifecycleEventHookExecutionId":"hook-1"}`

// run handles the event with a context of the given budget and returns the statuses reported and the log.
func run(t *testing.T, f *fakeAWS, cfg hookconfig.Config, budget time.Duration) ([]string, string) {
	t.Helper()
	h, log := f.hook(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	f.mu.Lock()
	f.deadline, _ = ctx.Deadline()
	f.mu.Unlock()
	if err := h.Handle(ctx, json.RawMessage(event)); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	return f.reported(), log.String()
}
