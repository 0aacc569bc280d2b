package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/safeship/lambda-bluegreen/internal/deployment"
	"github.com/safeship/lambda-bluegreen/internal/revert"
)

// fakeStack is a CloudFormation stack of the fake.
type fakeStack struct {
	name, id, status, reason string
	// template is the deployed template (GetTemplate).
	template  string
	resources []*fakeResource
	// events are the stack's events, newest first.
	events []fakeStackEvent
	// next is the status DescribeStacks reports after it has reported the current one (an operation in progress
	// ends at the next read).
	next string
	// updates are the UpdateStack requests the fake accepted; updateFails makes the next one fail with this
	// reason (CloudFormation then rolls it back: UPDATE_ROLLBACK_COMPLETE).
	updates     []fakeUpdate
	updateFails string
	// continues are the ResourcesToSkip of each ContinueUpdateRollback; continueFails is how many continues with no
	// resource skipped fail again whatever the groups; stuck are resources whose rollback keeps failing.
	continues     [][]string
	continueFails int
	stuck         map[string]bool
	// clock is the fake's time for new events and deployments; hang keeps an operation in progress for ever.
	clock time.Time
	hang  bool
}

// fakeUpdate is an UpdateStack request: the template it carried (from TemplateBody, or from the S3 object
// TemplateURL names) and its form.
type fakeUpdate struct {
	body   string
	viaURL string
	form   url.Values
}

type fakeResource struct{ id, typ, physical, status, reason string }

type fakeStackEvent struct {
	at                          time.Time
	id, typ, status, reason, ph string
}

const (
	stackARN = "arn:aws:cloudformation:eu-west-1:123456789012:stack/Svc/1f2e3d4c-0000-1111-2222-333344445555"
	fnARN    = "arn:aws:lambda:eu-west-1:123456789012:function:"
)

// svcOptions vary the stack Svc.
type svcOptions struct {
	// big adds a resource that makes the rollback template larger than a request may carry; literalBucket names the
	// code bucket literally, noBucket names none.
	big, literalBucket, noBucket bool
	// status is the stack's status (UPDATE_COMPLETE when empty); stuck puts the api alias in UPDATE_FAILED, as a
	// failed rollback of a release of version 8 leaves it (UPDATE_ROLLBACK_FAILED).
	status string
	stuck  bool
}

// svcTemplate is stack Svc's template as the CDK synthesizes it: functions api (version 7) and worker (version 3),
// each with a live alias shifted by a deployment group of application app (grp, worker-grp), api's alarm and
// release gate, and a parameter.
func svcTemplate(o svcOptions) string {
	bucket := interface{}(map[string]interface{}{"Fn::Sub": "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}"})
	if o.literalBucket {
		bucket = "my-assets"
	}
	code := map[string]interface{}{"S3Bucket": bucket, "S3Key": "0a1b2c.zip"}
	if o.noBucket {
		code = map[string]interface{}{"ZipFile": "exports.handler = async () => 1;"}
	}
	ref := func(id string) map[string]interface{} { return map[string]interface{}{"Ref": id} }
	att := func(id, a string) map[string]interface{} {
		return map[string]interface{}{"Fn::GetAtt": []string{id, a}}
	}
	fn := func(role string) map[string]interface{} {
		return map[string]interface{}{"Type": "AWS::Lambda::Function", "DependsOn": []string{role},
			"Properties": map[string]interface{}{"Code": code, "Handler": "bootstrap", "Runtime": "provided.al2023",
				"Architectures": []string{"arm64"}, "MemorySize": 256, "Timeout": 10.5, "Role": att(role, "Arn"),
				"Environment": map[string]interface{}{"Variables": map[string]string{"HTML": "<b>&amp;</b>"}}}}
	}
	alias := func(fn, version, group string) map[string]interface{} {
		return map[string]interface{}{"Type": "AWS::Lambda::Alias",
			"Properties": map[string]interface{}{"FunctionName": ref(fn), "FunctionVersion": att(version, "Version"), "Name": "live"},
			"UpdatePolicy": map[string]interface{}{"CodeDeployLambdaAliasUpdate": map[string]interface{}{
				"ApplicationName": ref("App"), "DeploymentGroupName": ref(group),
				"BeforeAllowTrafficHook": ref(fn + "Pre")}},
			"DependsOn": []string{group}}
	}
	group := func(alarm interface{}) map[string]interface{} {
		p := map[string]interface{}{
			"ApplicationName":           ref("App"),
			"DeploymentConfigName":      "CodeDeployDefault.LambdaCanary10Percent5Minutes",
			"AutoRollbackConfiguration": map[string]interface{}{"Enabled": true, "Events": []string{"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"}},
			"ServiceRoleArn":            att("DeployRole", "Arn"),
			"DeploymentStyle":           map[string]string{"DeploymentOption": "WITH_TRAFFIC_CONTROL", "DeploymentType": "BLUE_GREEN"},
		}
		if alarm != nil {
			p["AlarmConfiguration"] = map[string]interface{}{"Alarms": []interface{}{map[string]interface{}{"Name": alarm}}, "Enabled": true}
		}
		return map[string]interface{}{"Type": "AWS::CodeDeploy::DeploymentGroup", "Properties": p}
	}
	resources := map[string]interface{}{
		"ApiServiceRole":           map[string]interface{}{"Type": "AWS::IAM::Role", "Properties": map[string]interface{}{"AssumeRolePolicyDocument": map[string]interface{}{"Version": "2012-10-17"}}},
		"WorkerServiceRole":        map[string]interface{}{"Type": "AWS::IAM::Role", "Properties": map[string]interface{}{"AssumeRolePolicyDocument": map[string]interface{}{"Version": "2012-10-17"}}},
		"DeployRole":               map[string]interface{}{"Type": "AWS::IAM::Role", "Properties": map[string]interface{}{"AssumeRolePolicyDocument": map[string]interface{}{"Version": "2012-10-17"}}},
		"Api":                      fn("ApiServiceRole"),
		"Worker":                   fn("WorkerServiceRole"),
		"ApiCurrentVersion7F2A":    map[string]interface{}{"Type": "AWS::Lambda::Version", "Properties": map[string]interface{}{"FunctionName": ref("Api")}, "UpdateReplacePolicy": "Retain", "DeletionPolicy": "Retain"},
		"WorkerCurrentVersionB3C1": map[string]interface{}{"Type": "AWS::Lambda::Version", "Properties": map[string]interface{}{"FunctionName": ref("Worker")}, "UpdateReplacePolicy": "Retain", "DeletionPolicy": "Retain"},
		"ApiAliasLive":             alias("Api", "ApiCurrentVersion7F2A", "ApiGroup"),
		"WorkerAliasLive":          alias("Worker", "WorkerCurrentVersionB3C1", "WorkerGroup"),
		"App":                      map[string]interface{}{"Type": "AWS::CodeDeploy::Application", "Properties": map[string]interface{}{"ComputePlatform": "Lambda"}},
		"ApiGroup":                 group(ref("ApiErrors")),
		"WorkerGroup":              group(nil),
		"ApiErrors": map[string]interface{}{"Type": "AWS::CloudWatch::Alarm", "Properties": map[string]interface{}{
			"EvaluationPeriods": 2, "Threshold": 0.01, "ComparisonOperator": "GreaterThanThreshold"}},
		"ApiGate": map[string]interface{}{"Type": "Custom::LambdaBlueGreenReleaseGate", "Properties": map[string]interface{}{
			"ServiceToken": att("GateProvider", "Arn"), "Releases": map[string]interface{}{
				"Svc/Api":    map[string]interface{}{"FunctionName": ref("Api"), "Release": "ApiCurrentVersion7F2A"},
				"Svc/Worker": map[string]interface{}{"FunctionName": ref("Worker"), "Release": "WorkerCurrentVersionB3C1"}}}},
		"ApiPre":    fn("ApiServiceRole"),
		"WorkerPre": fn("WorkerServiceRole"),
	}
	if o.big {
		resources["Big"] = map[string]interface{}{"Type": "AWS::SSM::Parameter", "Properties": map[string]interface{}{
			"Type": "String", "Value": strings.Repeat("0123456789", 6000)}}
	}
	doc := map[string]interface{}{"Resources": resources,
		"Parameters": map[string]interface{}{"BootstrapVersion": map[string]interface{}{
			"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/cdk-bootstrap/hnb659fds/version"}},
		"Rules": map[string]interface{}{"CheckBootstrapVersion": map[string]interface{}{"Assertions": []interface{}{}}}}
	b, _ := json.MarshalIndent(doc, "", " ")
	return string(b)
}

// svcStack is stack Svc: its last update, which started just before d-NEW, released api version 7.
func svcStack(t *testing.T, o svcOptions) *fakeStack {
	s := &fakeStack{name: "Svc", id: stackARN, status: or(o.status, "UPDATE_COMPLETE"), template: svcTemplate(o),
		clock: t0.Add(3 * time.Hour)}
	phys := map[string]string{"Api": "api", "Worker": "worker", "ApiPre": "CodeDeployHook_api_pre", "WorkerPre": "CodeDeployHook_worker_pre",
		"ApiCurrentVersion7F2A": fnARN + "api:7", "WorkerCurrentVersionB3C1": fnARN + "worker:3",
		"ApiAliasLive": fnARN + "api:live", "WorkerAliasLive": fnARN + "worker:live", "App": "app", "ApiGroup": "grp",
		"WorkerGroup": "worker-grp", "ApiErrors": "api-ErrorRate-v7", "ApiGate": "gate-1", "Big": "big",
		"ApiServiceRole": "Svc-ApiServiceRole-1", "WorkerServiceRole": "Svc-WorkerServiceRole-1", "DeployRole": "Svc-DeployRole-1"}
	if _, err := revert.Parse([]byte(s.template)); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Resources map[string]struct{ Type string }
	}
	json.Unmarshal([]byte(s.template), &doc)
	for id, r := range doc.Resources {
		s.resources = append(s.resources, &fakeResource{id: id, typ: r.Type, physical: phys[id], status: "UPDATE_COMPLETE"})
	}
	sort.Slice(s.resources, func(i, j int) bool { return s.resources[i].id < s.resources[j].id })
	stackEvent := func(at time.Time, status, reason string) fakeStackEvent {
		return fakeStackEvent{at: at, id: "Svc", typ: "AWS::CloudFormation::Stack", status: status, reason: reason, ph: stackARN}
	}
	s.events = []fakeStackEvent{
		stackEvent(t0.Add(time.Hour+10*time.Minute), "UPDATE_COMPLETE", ""),
		{at: t0.Add(time.Hour + 9*time.Minute), id: "ApiAliasLive", typ: "AWS::Lambda::Alias", status: "UPDATE_COMPLETE", ph: fnARN + "api:live"},
		stackEvent(t0.Add(time.Hour-time.Minute), "UPDATE_IN_PROGRESS", "User Initiated"),
		stackEvent(t0.Add(-2*time.Hour), "CREATE_COMPLETE", ""),
		stackEvent(t0.Add(-3*time.Hour), "CREATE_IN_PROGRESS", "User Initiated"),
	}
	if o.stuck {
		s.resource("ApiAliasLive").status = "UPDATE_FAILED"
		s.resource("ApiAliasLive").reason = "Deployment d-REV of CodeDeploy failed: ALARM_ACTIVE"
		s.events = append([]fakeStackEvent{
			stackEvent(t0.Add(2*time.Hour+30*time.Minute), "UPDATE_ROLLBACK_FAILED", "The following resource(s) failed to update: [ApiAliasLive]."),
			{at: t0.Add(2*time.Hour + 29*time.Minute), id: "ApiAliasLive", typ: "AWS::Lambda::Alias", status: "UPDATE_FAILED",
				reason: "Deployment d-REV of CodeDeploy failed: ALARM_ACTIVE", ph: fnARN + "api:live"},
			{at: t0.Add(2*time.Hour + 10*time.Minute), id: "ApiGate", typ: "Custom::LambdaBlueGreenReleaseGate", status: "UPDATE_FAILED",
				reason: "Resource update cancelled", ph: "gate-1"},
			stackEvent(t0.Add(2*time.Hour+10*time.Minute), "UPDATE_ROLLBACK_IN_PROGRESS", "The following resource(s) failed to update: [ApiAliasLive]."),
			{at: t0.Add(2*time.Hour + 9*time.Minute), id: "ApiAliasLive", typ: "AWS::Lambda::Alias", status: "UPDATE_FAILED",
				reason: "Deployment d-REL of CodeDeploy failed: ALARM_ACTIVE", ph: fnARN + "api:live"},
			stackEvent(t0.Add(2*time.Hour), "UPDATE_IN_PROGRESS", "User Initiated"),
		}, s.events...)
	}
	return s
}

func (s *fakeStack) resource(id string) *fakeResource {
	for _, r := range s.resources {
		if r.id == id {
			return r
		}
	}
	return nil
}

func (s *fakeStack) tick() time.Time {
	s.clock = s.clock.Add(time.Minute)
	return s.clock
}

func (s *fakeStack) event(id, typ, status, reason string) {
	ph := stackARN
	if r := s.resource(id); r != nil {
		ph = r.physical
	}
	s.events = append([]fakeStackEvent{{at: s.tick(), id: id, typ: typ, status: status, reason: reason, ph: ph}}, s.events...)
}

// withWorker gives the fake the function worker: its alias serves version 3, released by d-W2 (2 → 3) after d-W1
// (1 → 2), both succeeded, d-W2 in the stack's last update; and configurations for both groups.
func withWorker(f *fakeAWS) {
	f.aliases = map[string]*fakeAlias{"worker/live": {version: "3", revision: 1}}
	f.fnVersions = map[string][]string{"worker": {"$LATEST", "1", "2", "3"}}
	f.deployments = append(f.deployments,
		fakeDeployment{id: "d-W1", status: "Succeeded", created: t0.Add(-time.Hour), current: "1", target: "2", fn: "worker", group: "worker-grp"},
		fakeDeployment{id: "d-W2", status: "Succeeded", created: t0.Add(time.Hour + 2*time.Minute), current: "2", target: "3", fn: "worker", group: "worker-grp"})
	withGroups(f)
}

func withGroups(f *fakeAWS) {
	f.groups = map[string]*fakeGroup{
		"grp":        {config: "CodeDeployDefault.LambdaCanary10Percent5Minutes", alarmsEnabled: true, alarms: []string{"api-ErrorRate-v7"}},
		"worker-grp": {config: "CodeDeployDefault.LambdaLinear10PercentEvery1Minute"},
	}
}

// canonical renders JSON with its keys sorted and numbers as written, to compare templates by content.
func canonical(t *testing.T, raw []byte) string {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v interface{}
	if err := d.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v: %.200s", err, raw)
	}
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	e.Encode(v)
	return strings.TrimSpace(b.String())
}

func canonicalString(raw string) string {
	d := json.NewDecoder(strings.NewReader(raw))
	d.UseNumber()
	var v interface{}
	if d.Decode(&v) != nil {
		return raw
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// --- the query protocol (CloudFormation, STS) ---

func x(tag, text string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(text))
	return "<" + tag + ">" + b.String() + "</" + tag + ">"
}

func members(tag string, items []string) string {
	return "<" + tag + "><member>" + strings.Join(items, "</member><member>") + "</member></" + tag + ">"
}

func queryResponse(w http.ResponseWriter, ns, action, result string) {
	body := fmt.Sprintf(`<%sResponse xmlns="%s"><%sResult>%s</%sResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></%sResponse>`,
		action, ns, action, result, action, action)
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	io.WriteString(w, body)
}

func queryError(w http.ResponseWriter, code, message string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type>%s%s</Error><RequestId>req-1</RequestId></ErrorResponse>`,
		x("Code", code), x("Message", message))
}

const cfnNS = "http://cloudformation.amazonaws.com/doc/2010-05-15/"

func stable(status string) bool {
	return stableStatuses[cfntypes.StackStatus(status)]
}

// formList reads a query list parameter (Name.member.1, Name.member.2…).
func formList(form url.Values, name string) []string {
	var out []string
	for i := 1; form.Has(name + ".member." + strconv.Itoa(i)); i++ {
		out = append(out, form.Get(name+".member."+strconv.Itoa(i)))
	}
	return out
}

func (f *fakeAWS) serveQuery(w http.ResponseWriter, body []byte) {
	form, _ := url.ParseQuery(string(body))
	action := form.Get("Action")
	if action == "GetCallerIdentity" {
		queryResponse(w, "https://sts.amazonaws.com/doc/2011-06-15/", action, x("Arn", "arn:aws:sts::123456789012:assumed-role/Ops/alice")+
			x("UserId", "AROAEXAMPLE:alice")+x("Account", "123456789012"))
		return
	}
	name := form.Get("StackName")
	var s *fakeStack
	for _, st := range f.stacks {
		if st.name == name || st.id == name {
			s = st
		}
	}
	if s == nil {
		queryError(w, "ValidationError", "Stack with id "+name+" does not exist")
		return
	}
	switch action {
	case "DescribeStacks":
		stack := x("StackName", s.name) + x("StackId", s.id) + x("StackStatus", s.status) + x("CreationTime", "2026-11-25T07:00:00Z")
		if s.reason != "" {
			stack += x("StackStatusReason", s.reason)
		}
		queryResponse(w, cfnNS, action, members("Stacks", []string{stack}))
		if s.next != "" && !s.hang {
			s.status, s.next = s.next, ""
		}
	case "ListStackResources", "DescribeStackResources":
		var items []string
		for _, r := range s.resources {
			item := x("LogicalResourceId", r.id) + x("PhysicalResourceId", r.physical) + x("ResourceType", r.typ) +
				x("ResourceStatus", r.status) + x("LastUpdatedTimestamp", "2026-11-25T11:00:00Z")
			if r.reason != "" {
				item += x("ResourceStatusReason", r.reason)
			}
			items = append(items, item)
		}
		if action == "ListStackResources" {
			queryResponse(w, cfnNS, action, members("StackResourceSummaries", items))
		} else {
			queryResponse(w, cfnNS, action, members("StackResources", items))
		}
	case "GetTemplate":
		if form.Get("TemplateStage") != "Original" {
			queryError(w, "ValidationError", "the fake answers TemplateStage Original only")
			return
		}
		queryResponse(w, cfnNS, action, x("TemplateBody", s.template)+members("StagesAvailable", []string{"Original", "Processed"}))
	case "DescribeStackEvents":
		var items []string
		for i, e := range s.events {
			item := x("StackId", s.id) + x("StackName", s.name) + x("EventId", fmt.Sprintf("ev-%d", len(s.events)-i)) +
				x("LogicalResourceId", e.id) + x("PhysicalResourceId", e.ph) + x("ResourceType", e.typ) +
				x("Timestamp", e.at.UTC().Format(time.RFC3339)) + x("ResourceStatus", e.status)
			if e.reason != "" {
				item += x("ResourceStatusReason", e.reason)
			}
			items = append(items, item)
		}
		queryResponse(w, cfnNS, action, members("StackEvents", items))
	case "UpdateStack":
		f.updateStack(w, s, form)
	case "ContinueUpdateRollback":
		f.continueRollback(w, s, form)
	default:
		queryError(w, "InvalidAction", "the fake does not know "+action)
	}
}

func (f *fakeAWS) updateStack(w http.ResponseWriter, s *fakeStack, form url.Values) {
	if !stable(s.status) {
		queryError(w, "ValidationError", fmt.Sprintf("Stack:%s is in %s state and can not be updated.", s.id, s.status))
		return
	}
	u := fakeUpdate{body: form.Get("TemplateBody"), viaURL: form.Get("TemplateURL"), form: form}
	if len(u.body) > maxTemplateBody {
		queryError(w, "ValidationError", "1 validation error detected: Value at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to 51200")
		return
	}
	if u.viaURL != "" {
		prefix := "https://s3.eu-west-1.amazonaws.com/"
		obj, ok := f.objects[strings.TrimPrefix(u.viaURL, prefix)]
		if !strings.HasPrefix(u.viaURL, prefix) || !ok {
			queryError(w, "ValidationError", "S3 error: Access Denied for "+u.viaURL)
			return
		}
		u.body = string(obj)
	}
	if canonicalString(u.body) == canonicalString(s.template) {
		queryError(w, "ValidationError", "No updates are to be performed.")
		return
	}
	s.updates = append(s.updates, u)
	f.log = append(f.log, "UpdateStack "+s.name)
	s.status = "UPDATE_IN_PROGRESS"
	s.event(s.name, "AWS::CloudFormation::Stack", "UPDATE_IN_PROGRESS", "User Initiated")
	if s.updateFails != "" {
		s.event("ApiAliasLive", "AWS::Lambda::Alias", "UPDATE_FAILED", s.updateFails)
		s.event(s.name, "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_IN_PROGRESS", "The following resource(s) failed to update: [ApiAliasLive].")
		s.event(s.name, "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_COMPLETE", "")
		s.next, s.updateFails = "UPDATE_ROLLBACK_COMPLETE", ""
		queryResponse(w, cfnNS, "UpdateStack", x("StackId", s.id))
		return
	}
	// The update succeeds: each alias the new template pins moves there, through an all-at-once deployment of its
	// group.
	t, err := revert.Parse([]byte(u.body))
	if err != nil {
		queryError(w, "ValidationError", "Template format error: "+err.Error())
		return
	}
	for _, a := range t.Aliases() {
		if a.Served == "" {
			continue
		}
		fn := deployment.FunctionName(s.resource(a.FunctionLogicalID).physical)
		group := s.resource(a.Group).physical
		from := f.setAlias(fn, a.Name, a.Served)
		f.deployments = append(f.deployments, fakeDeployment{id: fmt.Sprintf("d-RB%d", len(f.deployments)), status: "Succeeded",
			created: s.tick(), current: from, target: a.Served, fn: fn, group: group, config: revert.AllAtOnce})
		s.event(a.LogicalID, "AWS::Lambda::Alias", "UPDATE_COMPLETE", "")
	}
	s.template = u.body
	s.event(s.name, "AWS::CloudFormation::Stack", "UPDATE_COMPLETE", "")
	s.next = "UPDATE_COMPLETE"
	queryResponse(w, cfnNS, "UpdateStack", x("StackId", s.id))
}

// setAlias points fn:alias at version alone and returns the version it served.
func (f *fakeAWS) setAlias(fn, alias, version string) string {
	if fn+"/"+alias == "api/live" {
		from := f.aliasVersion
		f.aliasVersion, f.weights = version, nil
		f.revision++
		return from
	}
	a := f.aliases[fn+"/"+alias]
	from := a.version
	a.version, a.weights = version, nil
	a.revision++
	return from
}

// continueRollback models ContinueUpdateRollback: only resources in UPDATE_FAILED may be skipped; a skipped alias
// is marked complete and keeps what it serves; a failed alias not skipped succeeds only when its group shifts all
// at once with alarm monitoring off (the alarm that stopped the reverse deployment would stop it again), and then
// serves the template's version.
func (f *fakeAWS) continueRollback(w http.ResponseWriter, s *fakeStack, form url.Values) {
	if s.status != "UPDATE_ROLLBACK_FAILED" {
		queryError(w, "ValidationError", fmt.Sprintf("Stack %s is in %s state and can not continue update rollback", s.id, s.status))
		return
	}
	skip := formList(form, "ResourcesToSkip")
	skipped := map[string]bool{}
	for _, id := range skip {
		if r := s.resource(id); r == nil || r.status != "UPDATE_FAILED" {
			queryError(w, "ValidationError", "Resource "+id+" is not in UPDATE_FAILED state and cannot be skipped")
			return
		}
		skipped[id] = true
	}
	s.continues = append(s.continues, skip)
	f.log = append(f.log, fmt.Sprintf("ContinueUpdateRollback skip=%v", skip))
	s.status = "UPDATE_ROLLBACK_IN_PROGRESS"
	s.event(s.name, "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_IN_PROGRESS", "")
	ok := !(len(skip) == 0 && s.continueFails > 0)
	if !ok {
		s.continueFails--
	}
	t, _ := revert.Parse([]byte(s.template))
	for _, r := range s.resources {
		if r.status != "UPDATE_FAILED" || skipped[r.id] {
			continue
		}
		if s.stuck[r.id] {
			ok = false
		}
		if r.typ == "AWS::Lambda::Alias" {
			for _, a := range t.Aliases() {
				if g := f.groups[s.resource(a.Group).physical]; a.LogicalID == r.id && (g == nil || g.config != revert.AllAtOnce || g.alarmsEnabled) {
					ok = false
				}
			}
		}
	}
	for _, r := range s.resources {
		switch {
		case r.status != "UPDATE_FAILED":
		case skipped[r.id]:
			r.status, r.reason = "UPDATE_COMPLETE", "Resource skipped during UpdateRollback"
			s.event(r.id, r.typ, "UPDATE_COMPLETE", r.reason)
		case ok:
			r.status, r.reason = "UPDATE_COMPLETE", ""
			if r.typ == "AWS::Lambda::Alias" {
				for _, a := range t.Aliases() {
					if a.LogicalID == r.id {
						version := a.Served
						if version == "" {
							version = s.resource(a.Release).physical[strings.LastIndex(s.resource(a.Release).physical, ":")+1:]
						}
						f.setAlias(deployment.FunctionName(s.resource(a.FunctionLogicalID).physical), a.Name, version)
					}
				}
			}
			s.event(r.id, r.typ, "UPDATE_COMPLETE", "")
		default:
			r.reason = "Deployment of CodeDeploy failed again: ALARM_ACTIVE"
			if s.stuck[r.id] {
				r.reason = "Custom resource did not answer"
			}
			s.event(r.id, r.typ, "UPDATE_FAILED", r.reason)
		}
	}
	if ok {
		s.next = "UPDATE_ROLLBACK_COMPLETE"
	} else {
		s.next = "UPDATE_ROLLBACK_FAILED"
	}
	s.event(s.name, "AWS::CloudFormation::Stack", s.next, "")
	queryResponse(w, cfnNS, "ContinueUpdateRollback", "")
}

// --- SSM (JSON 1.1) and S3 ---

func (f *fakeAWS) serveSSM(w http.ResponseWriter, op string, body []byte) {
	var in map[string]interface{}
	json.Unmarshal(body, &in)
	name := fmt.Sprint(in["Name"])
	if f.ssmError != "" {
		jsonError(w, f.ssmError)
		return
	}
	if f.params == nil {
		f.params = map[string]string{}
	}
	switch op {
	case "GetParameter":
		v, ok := f.params[name]
		if !ok {
			jsonError(w, "ParameterNotFound")
			return
		}
		writeJSON(w, map[string]interface{}{"Parameter": map[string]interface{}{"Name": name, "Type": "String", "Value": v, "Version": 1}})
	case "PutParameter":
		f.params[name] = fmt.Sprint(in["Value"])
		f.log = append(f.log, "PutParameter "+name)
		writeJSON(w, map[string]interface{}{"Version": 2, "Tier": "Standard"})
	case "DeleteParameter":
		if _, ok := f.params[name]; !ok {
			jsonError(w, "ParameterNotFound")
			return
		}
		delete(f.params, name)
		f.log = append(f.log, "DeleteParameter "+name)
		writeJSON(w, map[string]interface{}{})
	default:
		jsonError(w, "InvalidAction")
	}
}

// serveS3 stores a PutObject (path style: /bucket/key), decoding the aws-chunked body the SDK may send with a
// trailing checksum.
func (f *fakeAWS) serveS3(w http.ResponseWriter, r *http.Request, body []byte) {
	if strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked") || r.Header.Get("X-Amz-Decoded-Content-Length") != "" {
		body = unchunk(body)
	}
	if f.objects == nil {
		f.objects = map[string][]byte{}
	}
	key := strings.TrimPrefix(r.URL.Path, "/")
	f.objects[key] = body
	f.log = append(f.log, "PutObject "+key+" owner="+r.Header.Get("X-Amz-Expected-Bucket-Owner"))
	w.Header().Set("ETag", `"etag"`)
	w.WriteHeader(http.StatusOK)
}

func unchunk(b []byte) []byte {
	var out []byte
	rd := bufio.NewReader(bytes.NewReader(b))
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			return out
		}
		size, err := strconv.ParseInt(strings.TrimSpace(strings.SplitN(line, ";", 2)[0]), 16, 64)
		if err != nil || size == 0 {
			return out
		}
		chunk := make([]byte, size)
		io.ReadFull(rd, chunk)
		out = append(out, chunk...)
		rd.ReadString('\n')
	}
}
