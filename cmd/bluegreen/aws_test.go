package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/safeship/lambda-bluegreen/internal/deployment"
)

// fakeAWS is a loopback server speaking the parts of the Lambda (REST-JSON), CodeDeploy (JSON 1.1), CloudWatch
// (RPC v2 CBOR), CloudFormation and STS (query), SSM (JSON 1.1) and S3 (REST-XML) APIs that the commands use, so the
// tests run the real SDK clients. The CloudFormation, SSM, STS and S3 parts are in cfn_test.go.
type fakeAWS struct {
	srv *httptest.Server
	mu  sync.Mutex

	// The alias api:live: its version, weights and RevisionId (bumped on every change).
	aliasVersion string
	weights      map[string]float64
	revision     int
	aliasError   string // error code GetAlias answers with
	aliasMessage string // and its message ("fake <code>" when empty)
	versions     []string
	tags         map[string]string // the function's tags (ListTags)
	deployments  []fakeDeployment  // the group's deployments, oldest first (ListDeployments answers in this order)
	alarms       map[string]string

	// aliases are the aliases of other functions, by "function/alias"; fnVersions their functions' versions.
	aliases    map[string]*fakeAlias
	fnVersions map[string][]string
	// groups are deployment groups with a configuration of their own, by name (GetDeploymentGroup answers the
	// group grp's alarms, enabled, for any other).
	groups map[string]*fakeGroup

	// stacks are the CloudFormation stacks by name; params the SSM parameters; objects the S3 objects by
	// "bucket/key"; ssmError the error code SSM answers every call with.
	stacks   map[string]*fakeStack
	params   map[string]string
	objects  map[string][]byte
	ssmError string
	// log lists the calls that change something, in order ("UpdateDeploymentGroup grp …", "ContinueUpdateRollback …").
	log []string

	// finishBeforeStop makes StopDeployment find the deployment complete (CodeDeploy finished it just before).
	finishBeforeStop bool

	stopped      []map[string]interface{}
	aliasUpdates []map[string]interface{}
	rejected     int // UpdateAlias calls refused for a stale RevisionId

	// logGroups are other functions (hooks) GetFunctionConfiguration knows, with their custom log group ("" for
	// Lambda's default).
	logGroups map[string]string
	// throttle answers the named CodeDeploy operations with ThrottlingException, as many times as given.
	throttle map[string]int
	// calls counts the CodeDeploy operations called.
	calls map[string]int
	// listed are the createTimeRange of each ListDeployments call, in order.
	listed []listWindow
}

// listWindow is a ListDeployments createTimeRange: ranged is false without one, a zero end is open.
type listWindow struct {
	start, end time.Time
	ranged     bool
}

func epoch(seconds float64, ok bool) time.Time {
	if !ok {
		return time.Time{}
	}
	return time.Unix(int64(seconds), 0).UTC()
}

// fakeDeployment is a deployment of the group, with its AppSpec.
type fakeDeployment struct {
	id, status      string
	created         time.Time
	current, target string
	// hashOnly: GetDeployment's revision carries only the AppSpec's hash, the content comes from
	// GetApplicationRevision (as for some deployments CloudFormation starts); yaml writes the AppSpec in YAML.
	hashOnly, yaml bool

	// For watch: the deployment config (CodeDeployDefault.LambdaCanary10Percent5Minutes when empty), the hook
	// functions by lifecycle event (the AppSpec's Hooks), the lifecycle events GetDeploymentTarget answers (the
	// fake's fixed three when nil), errorInformation and rollbackInfo.
	config                  string
	hooks                   map[string]string
	events                  []fakeEvent
	errorCode, errorMessage string
	rollbackID, rollbackMsg string
	// creator is who created the deployment (CloudFormation when empty); rollbackOf, for a rollback, the deployment
	// it rolls back (rollbackInfo.rollbackTriggeringDeploymentId).
	creator, rollbackOf string
	// fn and group are the function the deployment shifts and its group (api and grp when empty).
	fn, group string
}

func (d fakeDeployment) fnName() string    { return or(d.fn, "api") }
func (d fakeDeployment) groupName() string { return or(d.group, "grp") }

func or(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}

// fakeAlias is an alias of a function other than api.
type fakeAlias struct {
	version  string
	weights  map[string]float64
	revision int
}

// fakeGroup is a deployment group's configuration.
type fakeGroup struct {
	config        string
	alarmsEnabled bool
	alarms        []string
}

// fakeEvent is a lifecycle event of a deployment's Lambda target.
type fakeEvent struct{ name, status, message string }

func (d fakeDeployment) appSpec() string {
	hooks := ""
	for _, event := range []string{"BeforeAllowTraffic", "AfterAllowTraffic"} {
		if fn := d.hooks[event]; fn != "" {
			if hooks != "" {
				hooks += ","
			}
			hooks += fmt.Sprintf(`{"%s":"%s"}`, event, fn)
		}
	}
	if hooks != "" {
		return fmt.Sprintf(`{"version":0.0,"Resources":[{"Api":{"Type":"AWS::Lambda::Function","Properties":`+
			`{"Name":"%s","Alias":"live","CurrentVersion":"%s","TargetVersion":"%s"}}}],"Hooks":[%s]}`, d.fnName(), d.current, d.target, hooks)
	}
	if d.yaml {
		return fmt.Sprintf("version: 0.0\nResources:\n  - api:\n      Type: AWS::Lambda::Function\n      Properties:\n"+
			"        Name: %s\n        Alias: live\n        CurrentVersion: %s\n        TargetVersion: %s\n", d.fnName(), d.current, d.target)
	}
	return fmt.Sprintf(`{"version":0.0,"Resources":[{"Api":{"Type":"AWS::Lambda::Function","Properties":`+
		`{"Name":"%s","Alias":"live","CurrentVersion":"%s","TargetVersion":"%s"}}}]}`, d.fnName(), d.current, d.target)
}

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// newFake is a function whose alias serves version 7, released by d-NEW (6 → 7) after d-OLD (5 → 6), both
// succeeded; CloudFormation tagged it as Api of stack Svc, whose last update released it (svcStack).
func newFake(t *testing.T) *fakeAWS {
	f := &fakeAWS{aliasVersion: "7", revision: 1, versions: []string{"$LATEST", "5", "6", "7"},
		tags: map[string]string{"aws:cloudformation:stack-name": "Svc", "aws:cloudformation:logical-id": "Api", "team": "x"},
		deployments: []fakeDeployment{
			{id: "d-OLD", status: "Succeeded", created: t0, current: "5", target: "6"},
			{id: "d-NEW", status: "Succeeded", created: t0.Add(time.Hour), current: "6", target: "7"},
		},
		alarms: map[string]string{"api-ErrorRate-v7": "OK", "api-Latency-v7": "ALARM"}}
	f.stacks = map[string]*fakeStack{"Svc": svcStack(t, svcOptions{})}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// set changes the fake under its lock (for changes made while the command runs).
func (f *fakeAWS) set(change func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change()
}

func (f *fakeAWS) deployment(id string) *fakeDeployment {
	for i := range f.deployments {
		if f.deployments[i].id == id {
			return &f.deployments[i]
		}
	}
	return nil
}

func (f *fakeAWS) info(d fakeDeployment) map[string]interface{} {
	content := map[string]interface{}{"content": d.appSpec(), "sha256": "f00d"}
	if d.hashOnly {
		content = map[string]interface{}{"sha256": "f00d-" + d.id}
	}
	config := d.config
	if config == "" {
		config = "CodeDeployDefault.LambdaCanary10Percent5Minutes"
	}
	info := map[string]interface{}{"deploymentId": d.id, "status": d.status, "createTime": float64(d.created.Unix()),
		"applicationName": "app", "deploymentGroupName": d.groupName(), "deploymentConfigName": config, "creator": "CloudFormation",
		"revision": map[string]interface{}{"revisionType": "AppSpecContent", "appSpecContent": content}}
	if d.creator != "" {
		info["creator"] = d.creator
	}
	if d.errorCode != "" || d.errorMessage != "" {
		info["errorInformation"] = map[string]string{"code": d.errorCode, "message": d.errorMessage}
	}
	if d.rollbackID != "" || d.rollbackMsg != "" || d.rollbackOf != "" {
		info["rollbackInfo"] = map[string]string{"rollbackDeploymentId": d.rollbackID, "rollbackMessage": d.rollbackMsg,
			"rollbackTriggeringDeploymentId": d.rollbackOf}
	}
	return info
}

const aliasARN = "arn:aws:lambda:eu-west-1:123456789012:function:api:live"

func (f *fakeAWS) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case strings.HasPrefix(r.URL.Path, "/2015-03-31/functions/") && strings.Contains(r.URL.Path, "/aliases/"):
		if f.aliasError != "" {
			restErrorMessage(w, http.StatusForbidden, f.aliasError, f.aliasMessage)
			return
		}
		fn, name, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/2015-03-31/functions/"), "/aliases/")
		fn = deployment.FunctionName(fn)
		version, weights, revision := &f.aliasVersion, &f.weights, &f.revision
		if fn+"/"+name != "api/live" {
			a := f.aliases[fn+"/"+name]
			if a == nil {
				restError(w, http.StatusNotFound, "ResourceNotFoundException")
				return
			}
			version, weights, revision = &a.version, &a.weights, &a.revision
		}
		if r.Method == http.MethodPut {
			var in map[string]interface{}
			json.Unmarshal(body, &in)
			if id, ok := in["RevisionId"].(string); ok && id != fmt.Sprintf("rev-%d", *revision) {
				f.rejected++
				restError(w, http.StatusPreconditionFailed, "PreconditionFailedException")
				return
			}
			in["FunctionName"], in["Name"] = fn, name
			f.aliasUpdates = append(f.aliasUpdates, in)
			f.log = append(f.log, fmt.Sprintf("UpdateAlias %s:%s %v", fn, name, in["FunctionVersion"]))
			*version, *weights = in["FunctionVersion"].(string), nil
			*revision++
		}
		alias := map[string]interface{}{"Name": name, "FunctionVersion": *version,
			"AliasArn":   "arn:aws:lambda:eu-west-1:123456789012:function:" + fn + ":" + name,
			"RevisionId": fmt.Sprintf("rev-%d", *revision)}
		if len(*weights) > 0 {
			alias["RoutingConfig"] = map[string]interface{}{"AdditionalVersionWeights": *weights}
		}
		writeJSON(w, alias)
	case r.URL.Path == "/2015-03-31/functions/api/configuration":
		v := r.URL.Query().Get("Qualifier")
		for _, have := range f.versions {
			if have == v {
				writeJSON(w, map[string]interface{}{"FunctionName": "api", "Version": v,
					"FunctionArn": "arn:aws:lambda:eu-west-1:123456789012:function:api:" + v})
				return
			}
		}
		restError(w, http.StatusNotFound, "ResourceNotFoundException")
	case strings.HasPrefix(r.URL.Path, "/2015-03-31/functions/") && strings.HasSuffix(r.URL.Path, "/configuration"):
		name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/2015-03-31/functions/"), "/configuration")
		if v := r.URL.Query().Get("Qualifier"); v != "" && f.fnVersions[name] != nil {
			for _, have := range f.fnVersions[name] {
				if have == v {
					writeJSON(w, map[string]interface{}{"FunctionName": name, "Version": v,
						"FunctionArn": "arn:aws:lambda:eu-west-1:123456789012:function:" + name + ":" + v})
					return
				}
			}
			restError(w, http.StatusNotFound, "ResourceNotFoundException")
			return
		}
		group, ok := f.logGroups[name]
		if !ok {
			restError(w, http.StatusNotFound, "ResourceNotFoundException")
			return
		}
		config := map[string]interface{}{"FunctionName": name, "Version": "$LATEST"}
		if group != "" {
			config["LoggingConfig"] = map[string]string{"LogGroup": group}
		}
		writeJSON(w, config)
	case strings.HasPrefix(r.URL.Path, "/2017-03-31/tags/"):
		if arn := strings.TrimPrefix(r.URL.Path, "/2017-03-31/tags/"); arn != strings.TrimSuffix(aliasARN, ":live") {
			restError(w, http.StatusBadRequest, "InvalidParameterValueException") // Lambda tags functions only
			return
		}
		writeJSON(w, map[string]interface{}{"Tags": f.tags})
	case strings.HasPrefix(r.Header.Get("X-Amz-Target"), "CodeDeploy_20141006."):
		var in map[string]interface{}
		json.Unmarshal(body, &in)
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "CodeDeploy_20141006.")
		if f.calls == nil {
			f.calls = map[string]int{}
		}
		f.calls[op]++
		if f.throttle[op] > 0 {
			f.throttle[op]--
			jsonError(w, "ThrottlingException")
			return
		}
		switch op {
		case "ListDeployments":
			want := map[string]bool{}
			statuses, filtered := in["includeOnlyStatuses"].([]interface{})
			for _, s := range statuses {
				want[s.(string)] = true
			}
			// createTimeRange: start and end in epoch seconds, each optional, both ends included.
			window, _ := in["createTimeRange"].(map[string]interface{})
			start, hasStart := window["start"].(float64)
			end, hasEnd := window["end"].(float64)
			f.listed = append(f.listed, listWindow{start: epoch(start, hasStart), end: epoch(end, hasEnd), ranged: window != nil})
			ids := []string{}
			for _, d := range f.deployments {
				created := float64(d.created.Unix())
				if (!filtered || want[d.status]) && d.groupName() == in["deploymentGroupName"] &&
					(!hasStart || created >= start) && (!hasEnd || created <= end) {
					ids = append(ids, d.id)
				}
			}
			writeJSON(w, map[string]interface{}{"deployments": ids})
		case "BatchGetDeployments":
			var infos []map[string]interface{}
			for _, raw := range in["deploymentIds"].([]interface{}) {
				if d := f.deployment(raw.(string)); d != nil {
					infos = append(infos, f.info(*d))
				}
			}
			writeJSON(w, map[string]interface{}{"deploymentsInfo": infos})
		case "GetDeployment":
			d := f.deployment(in["deploymentId"].(string))
			if d == nil {
				jsonError(w, "DeploymentDoesNotExistException")
				return
			}
			writeJSON(w, map[string]interface{}{"deploymentInfo": f.info(*d)})
		case "GetApplicationRevision":
			rev, _ := in["revision"].(map[string]interface{})
			content, _ := rev["appSpecContent"].(map[string]interface{})
			for _, d := range f.deployments {
				if in["applicationName"] == "app" && content["sha256"] == "f00d-"+d.id {
					writeJSON(w, map[string]interface{}{"applicationName": "app", "revision": map[string]interface{}{
						"revisionType": "String", "string": map[string]interface{}{"content": d.appSpec(), "sha256": "f00d-" + d.id}}})
					return
				}
			}
			jsonError(w, "RevisionDoesNotExistException")
		case "StopDeployment":
			d := f.deployment(in["deploymentId"].(string))
			if d != nil && f.finishBeforeStop {
				d.status = "Succeeded"
			}
			if d == nil || !deployment.IsActive(cdtypes.DeploymentStatus(d.status)) {
				jsonError(w, "DeploymentAlreadyCompletedException")
				return
			}
			f.stopped = append(f.stopped, in)
			f.log = append(f.log, fmt.Sprintf("StopDeployment %s autoRollback=%v", d.id, in["autoRollbackEnabled"]))
			d.status = "Stopped"
			writeJSON(w, map[string]interface{}{"status": "Pending"})
		case "ListDeploymentTargets":
			writeJSON(w, map[string]interface{}{"targetIds": []string{"api:live"}})
		case "GetDeploymentTarget":
			events := []map[string]interface{}{
				{"lifecycleEventName": "BeforeAllowTraffic", "status": "Succeeded"},
				{"lifecycleEventName": "AllowTraffic", "status": "InProgress"},
				{"lifecycleEventName": "AfterAllowTraffic", "status": "Pending"}}
			if d := f.deployment(fmt.Sprint(in["deploymentId"])); d != nil && d.events != nil {
				events = nil
				for _, e := range d.events {
					event := map[string]interface{}{"lifecycleEventName": e.name, "status": e.status}
					if e.message != "" {
						event["diagnostics"] = map[string]string{"errorCode": "ScriptFailed", "message": e.message}
					}
					events = append(events, event)
				}
			}
			writeJSON(w, map[string]interface{}{"deploymentTarget": map[string]interface{}{"deploymentTargetType": "LambdaTarget",
				"lambdaTarget": map[string]interface{}{"lifecycleEvents": events}}})
		case "GetDeploymentConfig":
			routing, ok := map[string]map[string]interface{}{
				"CodeDeployDefault.LambdaCanary10Percent5Minutes": {"type": "TimeBasedCanary",
					"timeBasedCanary": map[string]int{"canaryPercentage": 10, "canaryInterval": 5}},
				"CodeDeployDefault.LambdaAllAtOnce": {"type": "AllAtOnce"},
				"Linear25PercentEvery1Minute": {"type": "TimeBasedLinear",
					"timeBasedLinear": map[string]int{"linearPercentage": 25, "linearInterval": 1}},
			}[fmt.Sprint(in["deploymentConfigName"])]
			if !ok {
				jsonError(w, "DeploymentConfigDoesNotExistException")
				return
			}
			writeJSON(w, map[string]interface{}{"deploymentConfigInfo": map[string]interface{}{
				"deploymentConfigName": in["deploymentConfigName"], "computePlatform": "Lambda", "trafficRoutingConfig": routing}})
		case "GetDeploymentGroup":
			if g := f.groups[fmt.Sprint(in["deploymentGroupName"])]; g != nil {
				alarms := []map[string]string{}
				for _, n := range g.alarms {
					alarms = append(alarms, map[string]string{"name": n})
				}
				writeJSON(w, map[string]interface{}{"deploymentGroupInfo": map[string]interface{}{
					"applicationName": in["applicationName"], "deploymentGroupName": in["deploymentGroupName"],
					"deploymentConfigName": g.config, "computePlatform": "Lambda",
					"alarmConfiguration": map[string]interface{}{"enabled": g.alarmsEnabled, "alarms": alarms}}})
				return
			}
			var alarms []map[string]string
			for n := range f.alarms {
				alarms = append(alarms, map[string]string{"name": n})
			}
			writeJSON(w, map[string]interface{}{"deploymentGroupInfo": map[string]interface{}{
				"alarmConfiguration": map[string]interface{}{"enabled": true, "alarms": alarms}}})
		case "UpdateDeploymentGroup":
			g := f.groups[fmt.Sprint(in["currentDeploymentGroupName"])]
			ac, _ := in["alarmConfiguration"].(map[string]interface{})
			enabled, explicit := ac["enabled"].(bool)
			if g == nil || ac == nil || !explicit {
				jsonError(w, "InvalidInputException") // the fake wants what recover sends: a known group, enabled given
				return
			}
			g.config, g.alarmsEnabled = fmt.Sprint(in["deploymentConfigName"]), enabled
			g.alarms = nil
			for _, a := range ac["alarms"].([]interface{}) {
				g.alarms = append(g.alarms, fmt.Sprint(a.(map[string]interface{})["name"]))
			}
			f.log = append(f.log, fmt.Sprintf("UpdateDeploymentGroup %s %s alarms=%v", in["currentDeploymentGroupName"], g.config, enabled))
			writeJSON(w, map[string]interface{}{})
		default:
			jsonError(w, "UnknownOperationException")
		}
	case r.Method == http.MethodPost && r.URL.Path == "/" && strings.Contains(r.Header.Get("Content-Type"), "x-www-form-urlencoded"):
		f.serveQuery(w, body)
	case strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AmazonSSM."):
		f.serveSSM(w, strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AmazonSSM."), body)
	case r.Method == http.MethodPut && strings.Count(r.URL.Path, "/") >= 2:
		f.serveS3(w, r, body)
	case strings.HasSuffix(r.URL.Path, "/operation/DescribeAlarms"):
		var list cbor.List
		for n, s := range f.alarms {
			list = append(list, cbor.Map{"AlarmName": cbor.String(n), "StateValue": cbor.String(s)})
		}
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		w.Header().Set("Content-Type", "application/cbor")
		w.Write(cbor.Encode(cbor.Map{"MetricAlarms": list}))
	default:
		http.Error(w, "unknown request "+r.Method+" "+r.URL.Path, http.StatusNotFound)
	}
}

func writeJSON(w http.ResponseWriter, v interface{}) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// restError answers a Lambda (REST-JSON) call with an error the SDK maps to its type by X-Amzn-ErrorType.
func restError(w http.ResponseWriter, status int, code string) {
	restErrorMessage(w, status, code, "")
}

func restErrorMessage(w http.ResponseWriter, status int, code, message string) {
	if message == "" {
		message = "fake " + code
	}
	w.Header().Set("X-Amzn-ErrorType", code)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"message": message})
	w.Write(b)
}

// jsonError answers a CodeDeploy (JSON 1.1) call with an error.
func jsonError(w http.ResponseWriter, code string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": "fake " + code})
}

// cli returns the command wired to the fake, answering prompts with answers.
func (f *fakeAWS) cli(answers string) cli {
	return f.cliReading(strings.NewReader(answers))
}

func (f *fakeAWS) cliReading(stdin io.Reader) cli {
	// A clock that moves only when the command sleeps (waiting for a stack): no test waits in real time.
	now := t0.Add(3 * time.Hour)
	return cli{stdin: stdin, connect: func(context.Context, string, string) (clients, error) {
		cfg := aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String(f.srv.URL), HTTPClient: ownBody{&http.Client{}},
			Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
			Retryer:     func() aws.Retryer { return retry.AddWithMaxAttempts(retry.NewStandard(), 1) }}
		c := newClients(cfg)
		c.now = func() time.Time { return now }                                     // the deployments' windows count back from the test's clock
		c.s3 = s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }) // the bucket in the path, not the host
		return c, nil
	}, now: func() time.Time { return now }, sleep: func(ctx context.Context, d time.Duration) error {
		now = now.Add(d)
		return ctx.Err()
	}}
}

// ownBody hands the transport a copy of each request's body. smithy-go's client handler closes the request body as
// soon as Do returns (transport/http/client.go, "HTTP RoundTripper *should* close the request body"); on loopback,
// about one CloudFormation call in a hundred then failed with "use of closed network connection": the transport's
// write loop closed the connection on a write error while the response was read (a stack trace of the close showed
// it). With a copy of the body no call failed in 40 runs of the tests. Whether a real network shows it is not known.
type ownBody struct{ c *http.Client }

func (o ownBody) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	return o.c.Do(r)
}

// duringPrompt answers the prompt with answer, after running change: what happens in AWS while the operator reads.
func duringPrompt(f *fakeAWS, answer string, change func()) io.Reader {
	return &promptReader{r: strings.NewReader(answer), before: func() { f.set(change) }}
}

type promptReader struct {
	r      io.Reader
	once   sync.Once
	before func()
}

func (p *promptReader) Read(b []byte) (int, error) {
	p.once.Do(p.before)
	return p.r.Read(b)
}

func runWith(c cli, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := c.run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

var group = []string{"-function", "api", "-application", "app", "-group", "grp"}

func TestAPIErrors(t *testing.T) {
	f := newFake(t)
	f.aliasError = "AccessDeniedException"
	for _, args := range [][]string{{"status", "-function", "api"}, {"rollback", "-function", "api", "-yes"}} {
		code, _, errOut := runWith(f.cli(""), args...)
		if code != exitFail || !strings.Contains(errOut, "GetAlias api:live") || !strings.Contains(errOut, "AccessDenied") {
			t.Errorf("%v: exit %d: %s", args, code, errOut)
		}
	}
	code, out, _ := runWith(f.cli(""), "rollback", "-function", "api", "-yes", "-json")
	if code != exitFail || !strings.Contains(out, `"rolledBack":false`) {
		t.Errorf("rollback -json on an API error: exit %d, %s", code, out)
	}
}

func TestAWSUsageErrors(t *testing.T) {
	f := newFake(t)
	for _, args := range [][]string{{"status"}, {"rollback", "-function", "api", "-application", "app"}, {"rollback"},
		{"rollback", "-stack", "Svc", "-application", "app", "-group", "grp"}, {"rollback", "-function", "api", "-timeout", "0s"},
		{"unblock", "-function", "api"}, {"unblock", "-function", "api", "-all", "-release", "R"}, {"unblock", "-release", "R"},
		{"recover"}, {"recover", "-stack", "Svc", "-timeout", "-1s"}, {"rollback", "-function", "api", "-cdk", "./cdkw"}} {
		if code, _, _ := runWith(f.cli(""), args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}

// The group's deployments are read back from now in windows (ListDeployments createTimeRange), never the whole
// history at once: a group released recently reads only the last week, the active deployments only the last week
// (none older can run), and a rarely released function's previous release is still found in the older windows.
func TestDeploymentsAreReadRecentFirst(t *testing.T) {
	now := t0.Add(3 * time.Hour) // the fake's clock
	f := newFake(t)
	if code, out, errOut := runWith(f.cli(""), append([]string{"status"}, group...)...); code != exitOK ||
		!strings.Contains(out, "deployment d-NEW Succeeded") || !strings.Contains(out, "rollback   to version 6") {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	w := newWatchFake(t)
	w.deployments = append(w.deployments, newRelease("InProgress", events("Succeeded", "Succeeded", "InProgress")...))
	if code, out, errOut := runWith(w.scripted(false), append(watchArgs, "-timeout", "1m")...); code != exitTimeout ||
		!strings.Contains(out, "deployment d-REL of app/grp is InProgress: following it") {
		t.Fatalf("watch: exit %d:\n%s%s", code, out, errOut)
	}
	for _, l := range append(f.listed, w.listed...) {
		if !l.ranged || l.start.IsZero() || l.start.Before(now.Add(-7*24*time.Hour)) || !l.end.IsZero() {
			t.Errorf("ListDeployments read more than the last week: %+v (now %s)", l, now)
		}
	}

	old := newFake(t)
	old.deployments = []fakeDeployment{
		{id: "d-OLD", status: "Succeeded", created: now.Add(-200 * 24 * time.Hour), current: "5", target: "6"},
		{id: "d-NEW", status: "Succeeded", created: now.Add(-30 * 24 * time.Hour), current: "6", target: "7"},
	}
	old.versions = []string{"$LATEST", "5", "7"} // 6 was deleted: the release before it, 200 days ago, is the target
	code, out, errOut := runWith(old.cli(""), append([]string{"status"}, group...)...)
	if code != exitOK || !strings.Contains(out, "deployment d-NEW Succeeded") || !strings.Contains(out, "rollback   to version 5") {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	var opened bool // the last window, open towards the past, ends 90 days back
	for _, l := range old.listed {
		if !l.ranged || (l.start.IsZero() && l.end.IsZero()) {
			t.Errorf("ListDeployments without a window: %+v", l)
		}
		opened = opened || (l.start.IsZero() && l.end.Equal(now.Add(-90*24*time.Hour)))
	}
	if !opened {
		t.Errorf("the release 200 days back was found without the window before 90 days: %+v", old.listed)
	}
}
