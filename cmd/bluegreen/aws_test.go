package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/smithy-go/encoding/cbor"
)

// fakeAWS is a loopback server speaking the parts of the Lambda (REST-JSON), CodeDeploy (JSON 1.1) and
// CloudWatch (RPC v2 CBOR) APIs that status and rollback use, so the tests run the real SDK clients.
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

	// deployed is the file a stub deploy writes its arguments to; once it exists, the alias serves pinnedTo,
	// as CloudFormation and CodeDeploy would make it after a deploy with the pin.
	deployed, pinnedTo string

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
			`{"Name":"api","Alias":"live","CurrentVersion":"%s","TargetVersion":"%s"}}}],"Hooks":[%s]}`, d.current, d.target, hooks)
	}
	if d.yaml {
		return fmt.Sprintf("version: 0.0\nResources:\n  - api:\n      Type: AWS::Lambda::Function\n      Properties:\n"+
			"        Name: api\n        Alias: live\n        CurrentVersion: %s\n        TargetVersion: %s\n", d.current, d.target)
	}
	return fmt.Sprintf(`{"version":0.0,"Resources":[{"Api":{"Type":"AWS::Lambda::Function","Properties":`+
		`{"Name":"api","Alias":"live","CurrentVersion":"%s","TargetVersion":"%s"}}}]}`, d.current, d.target)
}

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// newFake is a function whose alias serves version 7, released by d-NEW (6 → 7) after d-OLD (5 → 6), both
// succeeded; CloudFormation tagged it as Fn of stack Svc (testdata/assembly: deployment Svc/Api).
func newFake(t *testing.T) *fakeAWS {
	f := &fakeAWS{aliasVersion: "7", revision: 1, versions: []string{"$LATEST", "5", "6", "7"},
		tags: map[string]string{"aws:cloudformation:stack-name": "Svc", "aws:cloudformation:logical-id": "Fn", "team": "x"},
		deployments: []fakeDeployment{
			{id: "d-OLD", status: "Succeeded", created: t0, current: "5", target: "6"},
			{id: "d-NEW", status: "Succeeded", created: t0.Add(time.Hour), current: "6", target: "7"},
		},
		alarms: map[string]string{"api-ErrorRate-v7": "OK", "api-Latency-v7": "ALARM"}}
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
		"applicationName": "app", "deploymentGroupName": "grp", "deploymentConfigName": config, "creator": "CloudFormation",
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
	case strings.HasPrefix(r.URL.Path, "/2015-03-31/functions/api/aliases/live"):
		if f.aliasError != "" {
			restErrorMessage(w, http.StatusForbidden, f.aliasError, f.aliasMessage)
			return
		}
		if f.deployed != "" {
			if _, err := os.Stat(f.deployed); err == nil && f.aliasVersion != f.pinnedTo {
				f.aliasVersion, f.weights = f.pinnedTo, nil
				f.revision++
			}
		}
		if r.Method == http.MethodPut {
			var in map[string]interface{}
			json.Unmarshal(body, &in)
			if id, ok := in["RevisionId"].(string); ok && id != fmt.Sprintf("rev-%d", f.revision) {
				f.rejected++
				restError(w, http.StatusPreconditionFailed, "PreconditionFailedException")
				return
			}
			f.aliasUpdates = append(f.aliasUpdates, in)
			f.aliasVersion, f.weights = in["FunctionVersion"].(string), nil
			f.revision++
		}
		alias := map[string]interface{}{"Name": "live", "FunctionVersion": f.aliasVersion, "AliasArn": aliasARN,
			"RevisionId": fmt.Sprintf("rev-%d", f.revision)}
		if len(f.weights) > 0 {
			alias["RoutingConfig"] = map[string]interface{}{"AdditionalVersionWeights": f.weights}
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
			ids := []string{}
			for _, d := range f.deployments {
				if !filtered || want[d.status] {
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
			if d == nil || !isActive(cdtypes.DeploymentStatus(d.status)) {
				jsonError(w, "DeploymentAlreadyCompletedException")
				return
			}
			f.stopped = append(f.stopped, in)
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
			var alarms []map[string]string
			for n := range f.alarms {
				alarms = append(alarms, map[string]string{"name": n})
			}
			writeJSON(w, map[string]interface{}{"deploymentGroupInfo": map[string]interface{}{
				"alarmConfiguration": map[string]interface{}{"enabled": true, "alarms": alarms}}})
		default:
			jsonError(w, "UnknownOperationException")
		}
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
	return cli{stdin: stdin, connect: func(context.Context, string, string) (clients, error) {
		return newClients(aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String(f.srv.URL),
			Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
			Retryer:     func() aws.Retryer { return retry.AddWithMaxAttempts(retry.NewStandard(), 1) }}), nil
	}}
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

func TestStatus(t *testing.T) {
	f := newFake(t)
	f.weights = map[string]float64{"8": 0.1}
	code, out, errOut := runWith(f.cli(""), append([]string{"status"}, group...)...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"api:live", "blue version 7 90 %, green version 8 10 %",
		"deployment d-NEW Succeeded (created 2026-11-25T11:00:00Z)", "BeforeAllowTraffic   Succeeded",
		"AllowTraffic         InProgress", "rollback   to version 7", "ALARM     api-Latency-v7", "OK        api-ErrorRate-v7"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runWith(f.cli(""), append([]string{"status", "-json"}, group...)...)
	var s Status
	if code != exitOK || json.Unmarshal([]byte(out), &s) != nil || s.Version != "7" || s.BlueWeight < 0.89 ||
		s.Weights["8"] != 0.1 || s.Deployment.ID != "d-NEW" || s.Deployment.Events[0].Name != "BeforeAllowTraffic" ||
		s.Alarms["api-Latency-v7"] != "ALARM" || !s.AlarmsEnabled || s.RollbackTarget != "7" {
		t.Errorf("status -json: exit %d, %s", code, out)
	}
}

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
	for _, args := range [][]string{{"status"}, {"rollback", "-function", "api", "-application", "app"},
		{"rollback", "-function", "api", "-cdk", " "}} {
		if code, _, _ := runWith(f.cli(""), args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}
