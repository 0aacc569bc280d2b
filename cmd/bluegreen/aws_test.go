package main

import (
	"bytes"
	"context"
	"encoding/json"
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
	"github.com/aws/smithy-go/encoding/cbor"
)

// fakeAWS is a loopback server speaking the parts of the Lambda (REST-JSON), CodeDeploy (JSON 1.1) and
// CloudWatch (RPC v2 CBOR) APIs that status and rollback use, so the tests run the real SDK clients.
type fakeAWS struct {
	srv *httptest.Server
	mu  sync.Mutex

	aliasVersion string
	weights      map[string]float64
	versions     []string
	active       bool   // an in-progress deployment exists
	aliasError   string // error code GetAlias answers with
	alarms       map[string]string

	stopped      []map[string]interface{}
	aliasUpdates []map[string]interface{}
}

func newFake(t *testing.T) *fakeAWS {
	f := &fakeAWS{aliasVersion: "7", versions: []string{"$LATEST", "5", "6", "7"},
		alarms: map[string]string{"api-ErrorRate-v7": "OK", "api-Latency-v7": "ALARM"}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAWS) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case strings.HasPrefix(r.URL.Path, "/2015-03-31/functions/api/aliases/live"):
		if f.aliasError != "" {
			w.Header().Set("X-Amzn-ErrorType", f.aliasError)
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"message":"denied"}`)
			return
		}
		if r.Method == http.MethodPut {
			var in map[string]interface{}
			json.Unmarshal(body, &in)
			f.aliasUpdates = append(f.aliasUpdates, in)
			f.aliasVersion = in["FunctionVersion"].(string)
		}
		alias := map[string]interface{}{"Name": "live", "FunctionVersion": f.aliasVersion}
		if len(f.weights) > 0 {
			alias["RoutingConfig"] = map[string]interface{}{"AdditionalVersionWeights": f.weights}
		}
		writeJSON(w, alias)
	case r.URL.Path == "/2015-03-31/functions/api/versions":
		var vs []map[string]string
		for _, v := range f.versions {
			vs = append(vs, map[string]string{"Version": v})
		}
		writeJSON(w, map[string]interface{}{"Versions": vs})
	case strings.HasPrefix(r.Header.Get("X-Amz-Target"), "CodeDeploy_20141006."):
		var in map[string]interface{}
		json.Unmarshal(body, &in)
		switch strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "CodeDeploy_20141006.") {
		case "ListDeployments":
			ids := []string{"d-NEW", "d-OLD"} // newest first is not guaranteed: the command compares times
			if _, filtered := in["includeOnlyStatuses"]; filtered {
				ids = nil
				if f.active {
					ids = []string{"d-NEW"}
				}
			}
			writeJSON(w, map[string]interface{}{"deployments": ids})
		case "BatchGetDeployments":
			var infos []map[string]interface{}
			for _, raw := range in["deploymentIds"].([]interface{}) {
				id := raw.(string)
				created, status := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC), "Succeeded"
				if id == "d-NEW" {
					created = created.Add(time.Hour)
					if f.active {
						status = "InProgress"
					}
				}
				infos = append(infos, map[string]interface{}{"deploymentId": id, "status": status, "createTime": float64(created.Unix())})
			}
			writeJSON(w, map[string]interface{}{"deploymentsInfo": infos})
		case "StopDeployment":
			f.stopped = append(f.stopped, in)
			writeJSON(w, map[string]interface{}{"status": "Pending"})
		case "ListDeploymentTargets":
			writeJSON(w, map[string]interface{}{"targetIds": []string{"api:live"}})
		case "GetDeploymentTarget":
			writeJSON(w, map[string]interface{}{"deploymentTarget": map[string]interface{}{"deploymentTargetType": "LambdaTarget",
				"lambdaTarget": map[string]interface{}{"lifecycleEvents": []map[string]string{
					{"lifecycleEventName": "BeforeAllowTraffic", "status": "Succeeded"},
					{"lifecycleEventName": "AllowTraffic", "status": "InProgress"},
					{"lifecycleEventName": "AfterAllowTraffic", "status": "Pending"}}}}})
		case "GetDeploymentGroup":
			var alarms []map[string]string
			for n := range f.alarms {
				alarms = append(alarms, map[string]string{"name": n})
			}
			writeJSON(w, map[string]interface{}{"deploymentGroupInfo": map[string]interface{}{
				"alarmConfiguration": map[string]interface{}{"enabled": true, "alarms": alarms}}})
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

// cli returns the command wired to the fake, answering prompts with answers.
func (f *fakeAWS) cli(answers string) cli {
	return cli{stdin: strings.NewReader(answers), connect: func(context.Context, string, string) (clients, error) {
		return newClients(aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String(f.srv.URL),
			Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
			Retryer:     func() aws.Retryer { return retry.AddWithMaxAttempts(retry.NewStandard(), 1) }}), nil
	}}
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
		"AllowTraffic         InProgress", "ALARM     api-Latency-v7", "OK        api-ErrorRate-v7"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runWith(f.cli(""), append([]string{"status", "-json"}, group...)...)
	var s Status
	if code != exitOK || json.Unmarshal([]byte(out), &s) != nil || s.Version != "7" || s.BlueWeight < 0.89 ||
		s.Weights["8"] != 0.1 || s.Deployment.ID != "d-NEW" || s.Deployment.Events[0].Name != "BeforeAllowTraffic" ||
		s.Alarms["api-Latency-v7"] != "ALARM" || !s.AlarmsEnabled {
		t.Errorf("status -json: exit %d, %s", code, out)
	}
}

// Mid-shift with no deployment running, rollback puts all traffic back on blue (FunctionVersion), not on an
// older version; without the group it refuses, since a deployment may be running.
func TestRollbackOfAWeightedAlias(t *testing.T) {
	f := newFake(t)
	f.weights = map[string]float64{"8": 0.1}
	code, _, errOut := runWith(f.cli("y\n"), "rollback", "-function", "api", "-yes")
	if code != exitFail || !strings.Contains(errOut, "mid-shift") || len(f.aliasUpdates) != 0 {
		t.Fatalf("without the group: exit %d: %s", code, errOut)
	}
	code, out, errOut := runWith(f.cli("y\n"), append([]string{"rollback"}, group...)...)
	if code != exitOK || len(f.aliasUpdates) != 1 || f.aliasUpdates[0]["FunctionVersion"] != "7" {
		t.Fatalf("exit %d, updates %v: %s%s", code, f.aliasUpdates, out, errOut)
	}
	weights := f.aliasUpdates[0]["RoutingConfig"].(map[string]interface{})["AdditionalVersionWeights"]
	if len(weights.(map[string]interface{})) != 0 {
		t.Errorf("weights not cleared: %v", weights)
	}
}

func TestRollbackJSONIsOnlyJSON(t *testing.T) {
	f := newFake(t)
	code, out, errOut := runWith(f.cli("y\n"), append([]string{"rollback", "-json"}, group...)...)
	var result map[string]interface{}
	if code != exitOK || json.Unmarshal([]byte(out), &result) != nil || result["rolledBack"] != true ||
		!strings.Contains(result["change"].(string), "back to version 6") || !strings.Contains(errOut, "proceed?") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestRollbackStopsAnInProgressDeployment(t *testing.T) {
	f := newFake(t)
	f.active = true
	code, out, errOut := runWith(f.cli("y\n"), append([]string{"rollback"}, group...)...)
	if code != exitOK || len(f.stopped) != 1 || f.stopped[0]["deploymentId"] != "d-NEW" || f.stopped[0]["autoRollbackEnabled"] != true {
		t.Fatalf("exit %d, stopped %v\n%s%s", code, f.stopped, out, errOut)
	}
	if !strings.Contains(out, "will stop deployment d-NEW (InProgress)") || len(f.aliasUpdates) != 0 {
		t.Errorf("output %s, alias updates %v", out, f.aliasUpdates)
	}
}

func TestRollbackRepointsTheAlias(t *testing.T) {
	f := newFake(t)
	code, out, errOut := runWith(f.cli("yes\n"), append([]string{"rollback"}, group...)...)
	if code != exitOK || len(f.aliasUpdates) != 1 || f.aliasUpdates[0]["FunctionVersion"] != "6" {
		t.Fatalf("exit %d, updates %v\n%s%s", code, f.aliasUpdates, out, errOut)
	}
	if !strings.Contains(out, "point api:live from version 7 back to version 6") || !strings.Contains(out, "now serves version 6 alone") {
		t.Errorf("output:\n%s", out)
	}
}

func TestRollbackNothingToRollBackTo(t *testing.T) {
	f := newFake(t)
	f.versions = []string{"$LATEST", "7"}
	code, _, errOut := runWith(f.cli("y\n"), "rollback", "-function", "api", "-yes")
	if code != exitNothing || !strings.Contains(errOut, "api has no version older than 7") || len(f.aliasUpdates) != 0 {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

func TestRollbackDeclined(t *testing.T) {
	f := newFake(t)
	code, out, errOut := runWith(f.cli("n\n"), append([]string{"rollback"}, group...)...)
	if code != exitDecline || !strings.Contains(errOut, "declined") || len(f.aliasUpdates) != 0 || !strings.Contains(out, "proceed? [y/N]") {
		t.Errorf("exit %d: %s%s", code, out, errOut)
	}
	// No answer at all (a script without -yes) declines too.
	code, _, _ = runWith(f.cli(""), append([]string{"rollback"}, group...)...)
	if code != exitDecline || len(f.aliasUpdates) != 0 {
		t.Errorf("no answer: exit %d", code)
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
	for _, args := range [][]string{{"status"}, {"rollback", "-function", "api", "-application", "app"}} {
		if code, _, _ := runWith(f.cli(""), args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}
