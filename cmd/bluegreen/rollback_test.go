package main

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safeship/lambda-bluegreen/internal/block"
	"github.com/safeship/lambda-bluegreen/internal/revert"
)

// pinArgs is the command line for a finished release of api:live.
func pinArgs(extra ...string) []string {
	return append(append([]string{"rollback"}, group...), extra...)
}

// sent is the template of the stack's only UpdateStack request, parsed into its sections and resources.
type sentTemplate struct {
	Resources  map[string]json.RawMessage
	Parameters json.RawMessage
	Rules      json.RawMessage
	Metadata   map[string]json.RawMessage
}

func onlyUpdate(t *testing.T, s *fakeStack) (fakeUpdate, sentTemplate) {
	t.Helper()
	if len(s.updates) != 1 {
		t.Fatalf("%d UpdateStack requests, want 1", len(s.updates))
	}
	var doc sentTemplate
	if err := json.Unmarshal([]byte(s.updates[0].body), &doc); err != nil {
		t.Fatalf("the template sent is not JSON: %v", err)
	}
	return s.updates[0], doc
}

// property reads a property of a resource of the template sent, as compact JSON.
func property(t *testing.T, doc sentTemplate, id string, path ...string) string {
	t.Helper()
	var v interface{}
	json.Unmarshal(doc.Resources[id], &v)
	for _, p := range append([]string{"Properties"}, path...) {
		m, _ := v.(map[string]interface{})
		v = m[p]
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// unchangedExcept checks that every resource and section of the template sent is the deployed one, except the
// resources named.
func unchangedExcept(t *testing.T, deployed string, doc sentTemplate, changed ...string) {
	t.Helper()
	var before sentTemplate
	json.Unmarshal([]byte(deployed), &before)
	if len(before.Resources) != len(doc.Resources) {
		t.Errorf("the template sent has %d resources, the deployed one %d", len(doc.Resources), len(before.Resources))
	}
	skip := map[string]bool{}
	for _, id := range changed {
		skip[id] = true
	}
	for id, raw := range before.Resources {
		if !skip[id] && canonical(t, raw) != canonical(t, doc.Resources[id]) {
			t.Errorf("resource %s changed:\n%s\n%s", id, canonical(t, raw), canonical(t, doc.Resources[id]))
		}
	}
	if canonical(t, before.Parameters) != canonical(t, doc.Parameters) || canonical(t, before.Rules) != canonical(t, doc.Rules) {
		t.Errorf("the parameters or rules changed")
	}
}

// noCDK makes ./cdkw, and cdkw and cdk on the PATH, write a marker if anything runs them; it returns the marker.
func noCDK(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	for _, name := range []string{"cdkw", "cdk"} {
		os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\ntouch '"+marker+"'\n"), 0o755)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Chdir(dir)
	return marker
}

// A finished release rolls back in one UpdateStack of the deployed template: the alias pinned to the previous
// release, its group all at once with alarms off, the gate letting the pin through, nothing else changed; then the
// alias serves the target alone, and the release that served is blocked. No CDK command runs.
func TestFinishedReleaseRollsBackInOneStackUpdate(t *testing.T) {
	f := newFake(t)
	marker := noCDK(t)
	s := f.stacks["Svc"]
	deployed := s.template
	code, out, errOut := runWith(f.cli("y\n"), pinArgs()...)
	if code != exitOK {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	u, doc := onlyUpdate(t, s)
	for _, c := range []struct{ got, want string }{
		{property(t, doc, "ApiAliasLive", "FunctionVersion"), `"6"`},
		{property(t, doc, "ApiGroup", "DeploymentConfigName"), `"CodeDeployDefault.LambdaAllAtOnce"`},
		{property(t, doc, "ApiGroup", "AlarmConfiguration", "Enabled"), `false`},
		{property(t, doc, "ApiGroup", "AlarmConfiguration", "Alarms"), `[{"Name":{"Ref":"ApiErrors"}}]`},
		{property(t, doc, "ApiGate", "Releases", "Svc/Api", "Release"), `"pinned:6"`},
		{string(doc.Metadata[revert.MetadataKey]), `[{"alias":"ApiAliasLive","version":"6"}]`},
	} {
		if c.got != c.want {
			t.Errorf("template sent: got %s, want %s", c.got, c.want)
		}
	}
	unchangedExcept(t, deployed, doc, "ApiAliasLive", "ApiGroup", "ApiGate")
	var alias, group map[string]json.RawMessage
	json.Unmarshal(doc.Resources["ApiAliasLive"], &alias)
	json.Unmarshal(doc.Resources["ApiGroup"], &group)
	if canonical(t, alias["UpdatePolicy"]) != `{"CodeDeployLambdaAliasUpdate":{"ApplicationName":{"Ref":"App"},"BeforeAllowTrafficHook":{"Ref":"ApiPre"},"DeploymentGroupName":{"Ref":"ApiGroup"}}}` ||
		property(t, doc, "ApiGroup", "AutoRollbackConfiguration", "Enabled") != "true" {
		t.Errorf("the alias's update policy or the group's auto-rollback changed: %s", alias["UpdatePolicy"])
	}
	// The request: the template in the body, each parameter's previous value, the capabilities, no role.
	if u.viaURL != "" || u.form.Get("Parameters.member.1.ParameterKey") != "BootstrapVersion" ||
		u.form.Get("Parameters.member.1.UsePreviousValue") != "true" || u.form.Has("Parameters.member.1.ParameterValue") ||
		strings.Join(formList(u.form, "Capabilities"), ",") != "CAPABILITY_IAM,CAPABILITY_NAMED_IAM,CAPABILITY_AUTO_EXPAND" ||
		u.form.Has("RoleARN") || u.form.Has("UsePreviousTemplate") {
		t.Errorf("UpdateStack request: %v", u.form)
	}
	if f.aliasVersion != "6" || len(f.weights) != 0 {
		t.Errorf("the alias serves %s %v, want 6 alone", f.aliasVersion, f.weights)
	}
	for _, want := range []string{
		"will roll back stack Svc in one update of its deployed template (no synth, no build",
		"api:live serves version 7 now → version 6 (served before successful deployment d-NEW)",
		`ApiAliasLive FunctionVersion: {"Fn::GetAtt":["ApiCurrentVersion7F2A","Version"]} → "6"`,
		`ApiGroup DeploymentConfigName: "CodeDeployDefault.LambdaCanary10Percent5Minutes" → "CodeDeployDefault.LambdaAllAtOnce"`,
		"ApiGroup AlarmConfiguration.Enabled: true → false", `ApiGate Releases.Svc/Api.Release: "ApiCurrentVersion7F2A" → "pinned:6"`,
		"template: sent in the UpdateStack request", "expected time: " + expectedTime,
		"block: release ApiCurrentVersion7F2A of api (version 7) will be blocked: a deploy of the same code and configuration is refused until `bluegreen unblock -function api -release ApiCurrentVersion7F2A`",
		"proceed? [y/N]", "stack Svc UPDATE_IN_PROGRESS", "stack Svc UPDATE_COMPLETE",
		"api:live now serves version 6 alone (it served 7)",
		"release ApiCurrentVersion7F2A of api is blocked: a deploy of the same code and configuration is refused until `bluegreen unblock -function api -release ApiCurrentVersion7F2A`",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "proceed?") > strings.Index(out, "UPDATE_IN_PROGRESS") {
		t.Errorf("the stack was updated before the prompt:\n%s", out)
	}
	l, err := block.Parse(f.params["/lambda-bluegreen/blocked/api"])
	// Blocked when the operator confirmed, before the update: no outcome of the update leaves it deployable.
	want := block.Entry{Release: "ApiCurrentVersion7F2A", Version: "7", Stack: "Svc", At: t0.Add(3 * time.Hour),
		By: "arn:aws:sts::123456789012:assumed-role/Ops/alice", Reason: "bluegreen rollback"}
	if err != nil || len(l.Entries) != 1 || l.Entries[0] != want {
		t.Errorf("blocks %+v (%v), want %+v", l.Entries, err, want)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("a CDK command ran")
	}
	code, out, _ = runWith(f.cli(""), "status", "-function", "api")
	if code != exitOK || !strings.Contains(out, "  pinned     to version 6 by a rollback of stack Svc, until its next ordinary deploy") ||
		!strings.Contains(out, "  blocked    ApiCurrentVersion7F2A (version 7)") {
		t.Errorf("status after the rollback: exit %d:\n%s", code, out)
	}
}

// Releases CodeDeploy rolled back keep their versions (7 before the current release, 9 after it); release 8
// succeeded in between. Rolling 8 back must go to 6, which served the last successful release before it: not to
// 7, the newest version older than 8, nor to 9, the newest deployment's target; neither ever served a release.
// The AppSpecs come from the deployments, from GetApplicationRevision and in YAML.
func TestFinishedReleaseRollsBackToTheLastSuccessfulRelease(t *testing.T) {
	f := newFake(t)
	f.aliasVersion, f.versions = "8", []string{"$LATEST", "5", "6", "7", "8", "9"}
	f.deployments = []fakeDeployment{
		{id: "d-1", status: "Succeeded", created: t0, current: "5", target: "6", yaml: true},
		{id: "d-4", status: "Failed", created: t0.Add(3 * time.Hour), current: "8", target: "9"},
		{id: "d-3", status: "Succeeded", created: t0.Add(2 * time.Hour), current: "6", target: "8", hashOnly: true},
		{id: "d-2", status: "Stopped", created: t0.Add(time.Hour), current: "6", target: "7"},
	}
	code, out, errOut := runWith(f.cli(""), append([]string{"status"}, group...)...)
	if code != exitOK || !strings.Contains(out, "rollback   to version 6") {
		t.Errorf("status: exit %d, want the rollback target 6:\n%s%s", code, out, errOut)
	}
	code, out, errOut = runWith(f.cli("y\n"), pinArgs()...)
	if code != exitOK || f.aliasVersion != "6" {
		t.Fatalf("exit %d, alias on %s:\n%s%s", code, f.aliasVersion, out, errOut)
	}
	if _, doc := onlyUpdate(t, f.stacks["Svc"]); property(t, doc, "ApiAliasLive", "FunctionVersion") != `"6"` {
		t.Errorf("the template pins %s", property(t, doc, "ApiAliasLive", "FunctionVersion"))
	}
	if strings.Contains(out, "version 7") || strings.Contains(out, "version 9") || len(f.aliasUpdates) != 0 {
		t.Errorf("the rollback mentions a failed release's version or repointed the alias (%v):\n%s", f.aliasUpdates, out)
	}
}

// Declining changes nothing; -print shows the whole rollback (changes included) and changes nothing; -json keeps
// standard output for the result.
func TestFinishedReleaseDeclinedPrintAndJSON(t *testing.T) {
	f := newFake(t)
	if code, _, _ := runWith(f.cli("n\n"), pinArgs()...); code != exitDecline || len(f.stacks["Svc"].updates) != 0 || len(f.log) != 0 {
		t.Errorf("declined: exit %d, calls %v", code, f.log)
	}
	code, out, errOut := runWith(f.cli(""), pinArgs("-print")...)
	if code != exitOK || len(f.log) != 0 || f.aliasVersion != "7" || strings.Contains(out+errOut, "proceed?") ||
		!strings.HasPrefix(out, "would roll back stack Svc") || !strings.Contains(out, `ApiAliasLive FunctionVersion: `) ||
		!strings.Contains(out, "expected time: about 1–2 minutes") || !strings.Contains(out, "will be blocked") {
		t.Errorf("-print: exit %d, calls %v, stdout %q, stderr %q", code, f.log, out, errOut)
	}
	code, out, errOut = runWith(f.cli("y\n"), pinArgs("-json")...)
	var result struct {
		RolledBack bool        `json:"rolledBack"`
		Target     string      `json:"target"`
		Stack      string      `json:"stack"`
		Changes    []string    `json:"changes"`
		Aliases    []pinResult `json:"aliases"`
		Blocked    []string    `json:"blocked"`
	}
	if err := json.Unmarshal([]byte(out), &result); code != exitOK || err != nil || !result.RolledBack || result.Target != "6" ||
		result.Stack != "Svc" || len(result.Changes) != 4 || len(result.Aliases) != 1 || result.Aliases[0].From != "7" ||
		strings.Join(result.Blocked, ",") != "ApiCurrentVersion7F2A" || !strings.Contains(errOut, "proceed?") ||
		!strings.Contains(errOut, "UPDATE_COMPLETE") {
		t.Errorf("-json: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// -no-block rolls back without writing a block, and says so before the prompt.
func TestFinishedReleaseNoBlock(t *testing.T) {
	f := newFake(t)
	code, out, errOut := runWith(f.cli("y\n"), pinArgs("-no-block")...)
	if code != exitOK || f.aliasVersion != "6" || len(f.params) != 0 || strings.Contains(strings.Join(f.log, " "), "PutParameter") ||
		!strings.Contains(out, "block: not blocked (-no-block)") || strings.Contains(out, "is blocked") {
		t.Errorf("exit %d, params %v:\n%s%s", code, f.params, out, errOut)
	}
}

// An update CloudFormation rolls back is reported with its newest failure reason; the release stays blocked (it
// was blocked before the update): the operator judged it bad, and a retry of the rollback goes on from there.
func TestFinishedReleaseUpdateFails(t *testing.T) {
	f := newFake(t)
	f.stacks["Svc"].updateFails = "Version 6 of function api was deleted"
	code, out, errOut := runWith(f.cli("y\n"), pinArgs()...)
	if code != exitFail || f.aliasVersion != "7" || len(f.params) != 1 ||
		!strings.Contains(errOut, "the rollback failed and CloudFormation put stack Svc back as it was (UPDATE_ROLLBACK_COMPLETE): "+
			"ApiAliasLive (AWS::Lambda::Alias): Version 6 of function api was deleted") {
		t.Errorf("exit %d, params %v:\n%s%s", code, f.params, out, errOut)
	}
}

// CloudFormation's "No updates are to be performed" means the template already holds the rollback: exit 0.
func TestFinishedReleaseAlreadyInTheTemplate(t *testing.T) {
	f := newFake(t)
	s := f.stacks["Svc"]
	tmpl, _ := revert.Parse([]byte(s.template))
	tmpl.Rollback([]revert.Pin{{AliasLogicalID: "ApiAliasLive", Version: "6"}})
	s.template = string(tmpl.Bytes())
	code, out, errOut := runWith(f.cli(""), pinArgs("-yes")...)
	if code != exitOK || !strings.Contains(out, "stack Svc already holds this rollback (CloudFormation: no updates are to be performed); nothing was changed") ||
		len(f.params) != 1 {
		t.Errorf("exit %d:\n%s%s", code, out, errOut)
	}
}

// A template over 51,200 bytes goes to the code bucket the template names (the CDK's bootstrap bucket, resolved
// from the stack's ARN, owner checked), or to -template-bucket, and UpdateStack gets its URL; with no bucket to go
// to, the rollback is refused before anything changes.
func TestLargeTemplateGoesThroughS3(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   svcOptions
		extra  []string
		bucket string
		owner  string
	}{
		{"bootstrap bucket", svcOptions{big: true}, nil, "cdk-hnb659fds-assets-123456789012-eu-west-1", "123456789012"},
		{"literal bucket", svcOptions{big: true, literalBucket: true}, nil, "my-assets", "123456789012"},
		{"-template-bucket", svcOptions{big: true}, []string{"-template-bucket", "ops-templates"}, "ops-templates", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.stacks["Svc"] = svcStack(t, tc.opts)
			deployed := f.stacks["Svc"].template
			code, out, errOut := runWith(f.cli("y\n"), pinArgs(tc.extra...)...)
			if code != exitOK {
				t.Fatalf("exit %d:\n%s%s", code, out, errOut)
			}
			u, doc := onlyUpdate(t, f.stacks["Svc"])
			key := fmt.Sprintf("lambda-bluegreen/rollback/Svc/%x.json", sha256.Sum256([]byte(u.body)))
			if u.form.Has("TemplateBody") || u.viaURL != "https://s3.eu-west-1.amazonaws.com/"+tc.bucket+"/"+key ||
				f.log[1] != "PutObject "+tc.bucket+"/"+key+" owner="+tc.owner || len(u.body) <= maxTemplateBody {
				t.Errorf("template URL %q, calls %v", u.viaURL, f.log)
			}
			if property(t, doc, "ApiAliasLive", "FunctionVersion") != `"6"` || f.aliasVersion != "6" ||
				!strings.Contains(out, "over the 51200 bytes a request may carry: uploaded to s3://"+tc.bucket+"/"+key) {
				t.Errorf("alias on %s:\n%s", f.aliasVersion, out)
			}
			unchangedExcept(t, deployed, doc, "ApiAliasLive", "ApiGroup", "ApiGate")
		})
	}
	f := newFake(t)
	f.stacks["Svc"] = svcStack(t, svcOptions{big: true, noBucket: true})
	code, out, errOut := runWith(f.cli("y\n"), pinArgs()...)
	if code != exitFail || len(f.log) != 0 || strings.Contains(out, "proceed?") ||
		!strings.Contains(errOut, "over CloudFormation's limit of 51200 bytes for a template sent in the request") ||
		!strings.Contains(errOut, "pass -template-bucket") {
		t.Errorf("no bucket: exit %d, calls %v:\n%s%s", code, f.log, out, errOut)
	}
}

// A stack that an operation is changing, or whose rollback failed, is not updated.
func TestFinishedReleaseRefusesAnUnstableStack(t *testing.T) {
	for status, want := range map[string]string{
		"UPDATE_IN_PROGRESS":          "stack Svc is UPDATE_IN_PROGRESS: a stack operation is running",
		"UPDATE_ROLLBACK_IN_PROGRESS": "stack Svc is UPDATE_ROLLBACK_IN_PROGRESS: a stack operation is running",
		"UPDATE_ROLLBACK_FAILED":      "run bluegreen recover -stack Svc first",
		"ROLLBACK_COMPLETE":           "stack Svc is ROLLBACK_COMPLETE, a state no update can start from",
	} {
		t.Run(status, func(t *testing.T) {
			f := newFake(t)
			f.stacks["Svc"].status = status
			code, out, errOut := runWith(f.cli("y\n"), pinArgs()...)
			if code != exitFail || len(f.log) != 0 || !strings.Contains(errOut, want) || strings.Contains(out, "proceed?") {
				t.Errorf("exit %d, calls %v:\n%s%s", code, f.log, out, errOut)
			}
		})
	}
}

// A stack update that outlasts -timeout ends the command with exit code 5; the update goes on, and the release is
// blocked already.
func TestFinishedReleaseTimesOut(t *testing.T) {
	f := newFake(t)
	f.stacks["Svc"].hang = true
	code, _, errOut := runWith(f.cli("y\n"), pinArgs("-timeout", "1m")...)
	if code != exitTimeout || !strings.Contains(errOut, "stack Svc is still UPDATE_IN_PROGRESS after 1m0s; the operation goes on") || len(f.params) != 1 {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

// Rolling back twice: the first rollback pins 6 and blocks release 7; the second goes further back to 5, not
// forward to the abandoned 7, from the template the first left; the version it takes out of service has no version
// resource in that template, so it is not blocked, with a warning.
func TestLifecycleRollbackTwiceGoesFurtherBack(t *testing.T) {
	f := newFake(t)
	if code, out, errOut := runWith(f.cli(""), pinArgs("-yes")...); code != exitOK || f.aliasVersion != "6" {
		t.Fatalf("first rollback: exit %d:\n%s%s", code, out, errOut)
	}
	code, out, errOut := runWith(f.cli(""), pinArgs("-yes")...)
	s := f.stacks["Svc"]
	if code != exitOK || f.aliasVersion != "5" || len(s.updates) != 2 {
		t.Fatalf("second rollback: exit %d, alias on %s:\n%s%s", code, f.aliasVersion, out, errOut)
	}
	var doc sentTemplate
	json.Unmarshal([]byte(s.updates[1].body), &doc)
	if property(t, doc, "ApiAliasLive", "FunctionVersion") != `"5"` || property(t, doc, "ApiGate", "Releases", "Svc/Api", "Release") != `"pinned:5"` ||
		string(doc.Metadata[revert.MetadataKey]) != `[{"alias":"ApiAliasLive","version":"5"}]` {
		t.Errorf("second template: %s", s.updates[1].body)
	}
	if !strings.Contains(out, `ApiAliasLive FunctionVersion: "6" → "5"`) || !strings.Contains(out, "WARNING: the release of api cannot be blocked") ||
		!strings.Contains(out, "WARNING: the release of api was not blocked") {
		t.Errorf("output:\n%s", out)
	}
	if l, _ := block.Parse(f.params["/lambda-bluegreen/blocked/api"]); len(l.Entries) != 1 || l.Entries[0].Release != "ApiCurrentVersion7F2A" {
		t.Errorf("blocks %+v", l.Entries)
	}
}

func TestFinishedReleaseNothingToRollBackTo(t *testing.T) {
	f := newFake(t)
	f.versions = []string{"$LATEST", "7"} // 5 and 6 were pruned
	code, _, errOut := runWith(f.cli("y\n"), pinArgs()...)
	if code != exitNothing || !strings.Contains(errOut, "no successful deployment of app/grp shows a version of api:live other than 7") ||
		!strings.Contains(errOut, "version 6 (served before successful deployment d-NEW) was deleted; version 5 (served before successful deployment d-OLD) was deleted") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

// A finished release needs the group: its successful deployments name the previous release.
func TestFinishedReleaseNeedsTheGroup(t *testing.T) {
	f := newFake(t)
	code, _, errOut := runWith(f.cli("y\n"), "rollback", "-function", "api", "-yes")
	if code != exitUsage || !strings.Contains(errOut, "-application and -group are required for a finished release (api:live serves one version)") || len(f.aliasUpdates) != 0 {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

// The stack is found from the function's CloudFormation tags; without them, -stack names it and the function's
// logical id is read from the stack's resources.
func TestFinishedReleaseLocatesTheStack(t *testing.T) {
	f := newFake(t)
	f.tags = map[string]string{"team": "x"}
	code, _, errOut := runWith(f.cli(""), pinArgs("-print")...)
	if code != exitFail || !strings.Contains(errOut, "api carries no aws:cloudformation:stack-name and aws:cloudformation:logical-id tags: name its CloudFormation stack with -stack") {
		t.Errorf("no tags: exit %d: %s", code, errOut)
	}
	code, out, errOut := runWith(f.cli(""), pinArgs("-print", "-stack", "Svc")...)
	if code != exitOK || !strings.Contains(out, `ApiAliasLive FunctionVersion: {"Fn::GetAtt":["ApiCurrentVersion7F2A","Version"]} → "6"`) ||
		!strings.Contains(out, "release ApiCurrentVersion7F2A of api (version 7) will be blocked") {
		t.Errorf("-stack: exit %d: %s%s", code, out, errOut)
	}
	code, _, errOut = runWith(f.cli(""), pinArgs("-print", "-stack", "Nope")...)
	if code != exitFail || !strings.Contains(errOut, "Stack with id Nope does not exist") {
		t.Errorf("unknown stack: exit %d: %s", code, errOut)
	}
	f.tags = map[string]string{"aws:cloudformation:stack-name": "Svc", "aws:cloudformation:logical-id": "Api"}
	code, _, errOut = runWith(f.cli(""), pinArgs("-print", "-stack", "Other")...)
	if code != exitFail || !strings.Contains(errOut, "api belongs to stack Svc (its aws:cloudformation:stack-name tag), not to -stack Other") {
		t.Errorf("other stack: exit %d: %s", code, errOut)
	}
	f.tags = map[string]string{"aws:cloudformation:stack-name": "Svc", "aws:cloudformation:logical-id": "Gone"}
	code, _, errOut = runWith(f.cli(""), pinArgs("-print")...)
	if code != exitFail || !strings.Contains(errOut, "the deployed template has no alias of function Gone") {
		t.Errorf("unknown function: exit %d: %s", code, errOut)
	}
}

// The stack is not updated when a deployment starts, or the alias moves, during the prompt.
func TestFinishedReleaseRefusedWhenSomethingChangesDuringThePrompt(t *testing.T) {
	for name, tc := range map[string]struct {
		change func(f *fakeAWS)
		want   string
	}{
		"deployment started": {func(f *fakeAWS) {
			f.deployments = append(f.deployments, fakeDeployment{id: "d-NEXT", status: "Queued", created: t0.Add(3 * time.Hour), current: "7", target: "8"})
		}, "deployment d-NEXT (Queued) of app/grp started, nothing was changed"},
		"alias moved": {func(f *fakeAWS) { f.aliasVersion = "8"; f.revision++ }, "api:live changed since it was read, nothing was changed"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake(t)
			c := f.cliReading(duringPrompt(f, "y\n", func() { tc.change(f) }))
			code, _, errOut := runWith(c, pinArgs()...)
			if code != exitFail || len(f.stacks["Svc"].updates) != 0 || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, updates %d: %s", code, len(f.stacks["Svc"].updates), errOut)
			}
		})
	}
}

// rollback -stack without -function pins every protected alias its last operation released, in one update.
func TestWholeStackRollbackPinsEveryAliasInOneUpdate(t *testing.T) {
	f := newFake(t)
	withWorker(f)
	s := f.stacks["Svc"]
	deployed := s.template
	code, out, errOut := runWith(f.cli("y\n"), "rollback", "-stack", "Svc")
	if code != exitOK {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	_, doc := onlyUpdate(t, s)
	for _, c := range []struct{ got, want string }{
		{property(t, doc, "ApiAliasLive", "FunctionVersion"), `"6"`},
		{property(t, doc, "WorkerAliasLive", "FunctionVersion"), `"2"`},
		{property(t, doc, "ApiGroup", "DeploymentConfigName"), `"CodeDeployDefault.LambdaAllAtOnce"`},
		{property(t, doc, "WorkerGroup", "DeploymentConfigName"), `"CodeDeployDefault.LambdaAllAtOnce"`},
		{property(t, doc, "ApiGroup", "AlarmConfiguration", "Enabled"), `false`},
		{property(t, doc, "WorkerGroup", "AlarmConfiguration"), `null`},
	} {
		if c.got != c.want {
			t.Errorf("template sent: got %s, want %s", c.got, c.want)
		}
	}
	unchangedExcept(t, deployed, doc, "ApiAliasLive", "WorkerAliasLive", "ApiGroup", "WorkerGroup", "ApiGate")
	if f.aliasVersion != "6" || f.aliases["worker/live"].version != "2" {
		t.Errorf("api serves %s, worker %s", f.aliasVersion, f.aliases["worker/live"].version)
	}
	for _, want := range []string{"api:live serves version 7 now → version 6", "worker:live serves version 3 now → version 2 (served before successful deployment d-W2)",
		"release ApiCurrentVersion7F2A of api is blocked", "release WorkerCurrentVersionB3C1 of worker is blocked"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if l, _ := block.Parse(f.params["/lambda-bluegreen/blocked/worker"]); len(l.Entries) != 1 || l.Entries[0].Version != "3" {
		t.Errorf("worker's blocks %+v", l.Entries)
	}
}

// An alias whose newest deployment did not come from the stack's last operation, failed, or runs, is left alone
// with a line saying why; with none left, there is nothing to roll back.
func TestWholeStackRollbackLeavesAliasesAlone(t *testing.T) {
	f := newFake(t)
	withWorker(f)
	f.deployment("d-W2").created = t0.Add(30 * time.Minute) // before the stack's last update
	code, out, errOut := runWith(f.cli(""), "rollback", "-stack", "Svc", "-print")
	if code != exitOK || !strings.Contains(out, "api:live serves version 7 now → version 6") ||
		!strings.Contains(out, "left alone: worker:live (WorkerAliasLive): its newest release, deployment d-W2, is older than the stack's last operation (2026-11-25T10:59:00Z)") ||
		strings.Contains(out, "WorkerAliasLive FunctionVersion") {
		t.Errorf("exit %d:\n%s%s", code, out, errOut)
	}
	f.deployment("d-NEW").status = "InProgress"
	f.deployment("d-W2").status = "Failed"
	code, out, errOut = runWith(f.cli(""), "rollback", "-stack", "Svc", "-yes")
	if code != exitNothing || len(f.log) != 0 ||
		!strings.Contains(errOut, "api:live (ApiAliasLive): deployment d-NEW is InProgress: stop it with bluegreen rollback -function api -alias live -application app -group grp") ||
		!strings.Contains(errOut, "worker:live (WorkerAliasLive): its newest deployment d-W2 Failed") {
		t.Errorf("exit %d, calls %v:\n%s%s", code, f.log, out, errOut)
	}
}

func TestRollbackStopsAnInProgressDeployment(t *testing.T) {
	f := newFake(t)
	f.deployment("d-NEW").status = "InProgress"
	code, out, errOut := runWith(f.cli("y\n"), append([]string{"rollback"}, group...)...)
	if code != exitOK || len(f.stopped) != 1 || f.stopped[0]["deploymentId"] != "d-NEW" || f.stopped[0]["autoRollbackEnabled"] != true {
		t.Fatalf("exit %d, stopped %v\n%s%s", code, f.stopped, out, errOut)
	}
	if !strings.Contains(out, "will stop deployment d-NEW (InProgress)") || !strings.Contains(out, "stopped d-NEW (stop Pending)") ||
		len(f.aliasUpdates) != 0 {
		t.Errorf("output %s, alias updates %v", out, f.aliasUpdates)
	}
}

// Stopping a release in progress blocks green's release: the version resource of the stack whose physical id is
// green's version ARN (the AppSpec's TargetVersion); -no-block does not.
func TestRollbackStopBlocksGreensRelease(t *testing.T) {
	f := newFake(t)
	f.versions = append(f.versions, "8")
	f.deployments = append(f.deployments, fakeDeployment{id: "d-REL", status: "InProgress", created: t0.Add(2 * time.Hour), current: "7", target: "8"})
	s := f.stacks["Svc"]
	s.resources = append(s.resources, &fakeResource{id: "ApiCurrentVersion9E1B", typ: "AWS::Lambda::Version", physical: fnARN + "api:8", status: "CREATE_COMPLETE"})
	code, out, errOut := runWith(f.cli("y\n"), append([]string{"rollback"}, group...)...)
	l, _ := block.Parse(f.params["/lambda-bluegreen/blocked/api"])
	if code != exitOK || len(f.stopped) != 1 || len(l.Entries) != 1 || l.Entries[0].Release != "ApiCurrentVersion9E1B" ||
		l.Entries[0].Version != "8" || l.Entries[0].Stack != "Svc" || l.Entries[0].Reason != "bluegreen rollback" {
		t.Fatalf("exit %d, blocks %+v:\n%s%s", code, l.Entries, out, errOut)
	}
	if !strings.Contains(out, "block: release ApiCurrentVersion9E1B of api (version 8) will be blocked") ||
		!strings.Contains(out, "release ApiCurrentVersion9E1B of api is blocked: a deploy of the same code and configuration is refused until `bluegreen unblock -function api -release ApiCurrentVersion9E1B`") ||
		strings.Index(out, "will be blocked") > strings.Index(out, "proceed?") {
		t.Errorf("output:\n%s", out)
	}
	// -no-block; and a release the stack does not name is not blocked, with a warning, and the stop still happens.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-no-block"}, "block: not blocked (-no-block)"},
		{nil, "WARNING: the release of api was not blocked: stack Svc has no AWS::Lambda::Version for version 8"},
	} {
		g := newFake(t)
		g.deployments = append(g.deployments, fakeDeployment{id: "d-REL", status: "InProgress", created: t0.Add(2 * time.Hour), current: "7", target: "8"})
		code, out, errOut := runWith(g.cli("y\n"), append(append([]string{"rollback"}, group...), tc.args...)...)
		if code != exitOK || len(g.stopped) != 1 || len(g.params) != 0 || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %d, params %v:\n%s%s", tc.args, code, g.params, out, errOut)
		}
	}
}

// A deployment that ends while the operator reads the prompt is not reported as stopped.
func TestRollbackOfADeploymentThatEndsDuringThePrompt(t *testing.T) {
	for _, end := range []string{"Succeeded", "Failed"} {
		t.Run(end, func(t *testing.T) {
			f := newFake(t)
			f.deployment("d-NEW").status = "InProgress"
			c := f.cliReading(duringPrompt(f, "y\n", func() { f.deployment("d-NEW").status = end }))
			code, out, errOut := runWith(c, append([]string{"rollback", "-json"}, group...)...)
			var result map[string]interface{}
			json.Unmarshal([]byte(out), &result)
			if code != exitFail || result["rolledBack"] != false || len(f.stopped) != 0 || len(f.params) != 0 ||
				!strings.Contains(fmt.Sprint(result["message"]), "before it could be stopped, nothing was changed") {
				t.Errorf("exit %d, stopped %v: %s%s", code, f.stopped, out, errOut)
			}
			if end == "Succeeded" && !strings.Contains(out, "run bluegreen rollback again to roll the finished release back") {
				t.Errorf("no advice for a deployment that succeeded: %s", out)
			}
		})
	}
}

// CodeDeploy may finish the deployment between our last read and StopDeployment: it answers
// DeploymentAlreadyCompletedException, which is reported the same way.
func TestRollbackWhenStopDeploymentFindsItComplete(t *testing.T) {
	f := newFake(t)
	f.deployment("d-NEW").status = "InProgress"
	c := f.cliReading(&finishOnStop{f: f})
	code, _, errOut := runWith(c, append([]string{"rollback"}, group...)...)
	if code != exitFail || !strings.Contains(errOut, "deployment d-NEW succeeded before it could be stopped") || len(f.stopped) != 0 {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

// finishOnStop answers yes and makes the fake's deployment end after GetDeployment reads it in progress, just
// before StopDeployment.
type finishOnStop struct {
	f    *fakeAWS
	done bool
}

func (r *finishOnStop) Read(b []byte) (int, error) {
	if r.done {
		return 0, fmt.Errorf("EOF")
	}
	r.done = true
	r.f.set(func() { r.f.finishBeforeStop = true })
	return copy(b, "y\n"), nil
}

// A weighted alias left by a stopped deployment goes back to blue, with the RevisionId read before the prompt.
func TestRollbackOfAWeightedAlias(t *testing.T) {
	f := newFake(t)
	f.weights = map[string]float64{"8": 0.1}
	f.deployments = append(f.deployments, fakeDeployment{id: "d-STOP", status: "Stopped", created: t0.Add(2 * time.Hour), current: "7", target: "8"})
	code, _, errOut := runWith(f.cli("y\n"), "rollback", "-function", "api", "-yes")
	if code != exitFail || !strings.Contains(errOut, "mid-shift") || len(f.aliasUpdates) != 0 {
		t.Fatalf("without the group: exit %d: %s", code, errOut)
	}
	code, out, errOut := runWith(f.cli("y\n"), append([]string{"rollback"}, group...)...)
	if code != exitOK || len(f.aliasUpdates) != 1 || f.aliasUpdates[0]["FunctionVersion"] != "7" || f.aliasUpdates[0]["RevisionId"] != "rev-1" {
		t.Fatalf("exit %d, updates %v: %s%s", code, f.aliasUpdates, out, errOut)
	}
	weights := f.aliasUpdates[0]["RoutingConfig"].(map[string]interface{})["AdditionalVersionWeights"]
	if len(weights.(map[string]interface{})) != 0 || !strings.Contains(out, "since deployment d-STOP Stopped") {
		t.Errorf("weights not cleared (%v), or no reason shown:\n%s", weights, out)
	}
}

// Weights no deployment explains were set outside CloudFormation: clearing them could leave the alias on a version
// the template does not hold, so rollback refuses and says what to do.
func TestRollbackRefusesWeightsNoDeploymentLeft(t *testing.T) {
	f := newFake(t)
	f.weights = map[string]float64{"8": 0.1} // d-NEW succeeded: CodeDeploy left no weights
	code, _, errOut := runWith(f.cli("y\n"), append([]string{"rollback"}, group...)...)
	if code != exitFail || len(f.aliasUpdates) != 0 || !strings.Contains(errOut, "newest deployment d-NEW Succeeded") ||
		!strings.Contains(errOut, "aws cloudformation get-template") {
		t.Errorf("exit %d, updates %v: %s", code, f.aliasUpdates, errOut)
	}
}

// A deployment that starts during the prompt, before it moves the alias (BeforeAllowTraffic), stops the repoint.
func TestRollbackRepointRefusedWhenADeploymentStartsDuringThePrompt(t *testing.T) {
	f := newFake(t)
	f.weights = map[string]float64{"8": 0.1}
	f.deployments = append(f.deployments, fakeDeployment{id: "d-STOP", status: "Stopped", created: t0.Add(2 * time.Hour), current: "7", target: "8"})
	c := f.cliReading(duringPrompt(f, "y\n", func() {
		f.deployments = append(f.deployments, fakeDeployment{id: "d-NEXT", status: "Created", created: t0.Add(3 * time.Hour), current: "7", target: "9"})
	}))
	code, _, errOut := runWith(c, append([]string{"rollback"}, group...)...)
	if code != exitFail || len(f.aliasUpdates) != 0 || !strings.Contains(errOut, "deployment d-NEXT (Created) started, nothing was changed") {
		t.Errorf("exit %d, updates %v: %s", code, f.aliasUpdates, errOut)
	}
}

// An alias that changes during the prompt is not overwritten: UpdateAlias carries the RevisionId the operator saw.
func TestRollbackRepointRefusedWhenTheAliasChangesDuringThePrompt(t *testing.T) {
	f := newFake(t)
	f.weights = map[string]float64{"8": 0.1}
	f.deployments = append(f.deployments, fakeDeployment{id: "d-STOP", status: "Stopped", created: t0.Add(2 * time.Hour), current: "7", target: "8"})
	c := f.cliReading(duringPrompt(f, "y\n", func() { f.weights = map[string]float64{"8": 0.5}; f.revision++ }))
	code, _, errOut := runWith(c, append([]string{"rollback"}, group...)...)
	if code != exitFail || f.rejected != 1 || len(f.aliasUpdates) != 0 || !strings.Contains(errOut, "api:live changed since it was read, nothing was changed") {
		t.Errorf("exit %d, rejected %d, updates %v: %s", code, f.rejected, f.aliasUpdates, errOut)
	}
}

func TestRollbackDeclined(t *testing.T) {
	f := newFake(t)
	f.deployment("d-NEW").status = "InProgress"
	code, out, errOut := runWith(f.cli("n\n"), append([]string{"rollback"}, group...)...)
	if code != exitDecline || !strings.Contains(errOut, "declined") || len(f.stopped) != 0 || !strings.Contains(out, "proceed? [y/N]") {
		t.Errorf("exit %d: %s%s", code, out, errOut)
	}
	// No answer at all (a script without -yes) declines too.
	code, _, _ = runWith(f.cli(""), append([]string{"rollback"}, group...)...)
	if code != exitDecline || len(f.stopped) != 0 {
		t.Errorf("no answer: exit %d", code)
	}
}

// After a stack rollback, the newest successful deployment of each alias it touched went back (CloudFormation's
// reverse deployment): rollback -stack finds nothing released to roll back, rather than taking the version that
// serves now, the good one, a step further back and blocking it.
func TestWholeStackRollbackAfterAStackRollback(t *testing.T) {
	f := newFake(t)
	withWorker(f)
	f.deployments = append(f.deployments,
		fakeDeployment{id: "d-REV", status: "Succeeded", created: t0.Add(time.Hour + 10*time.Minute), current: "7", target: "6",
			creator: "CloudFormationRollback"},
		fakeDeployment{id: "d-WREV", status: "Succeeded", created: t0.Add(time.Hour + 10*time.Minute), current: "3", target: "2",
			fn: "worker", group: "worker-grp"})
	f.aliasVersion, f.aliases["worker/live"].version = "6", "2"
	code, out, errOut := runWith(f.cli(""), "rollback", "-stack", "Svc", "-yes")
	if code != exitNothing || len(f.stacks["Svc"].updates) != 0 || f.params["/lambda-bluegreen/blocked/api"] != "" ||
		!strings.Contains(errOut, "api:live (ApiAliasLive): its newest deployment d-REV went back to an earlier version (CloudFormationRollback)") ||
		!strings.Contains(errOut, "worker:live (WorkerAliasLive): its newest deployment d-WREV went back from version 3 to 2") {
		t.Errorf("exit %d, updates %d:\n%s%s", code, len(f.stacks["Svc"].updates), out, errOut)
	}
}

// A block that cannot be written does not stop the rollback, but the command exits 1 and says the release may ship
// again: a script or a person must see it.
func TestFinishedReleaseBlockWriteFails(t *testing.T) {
	f := newFake(t)
	f.ssmError = "AccessDeniedException"
	code, out, errOut := runWith(f.cli("y\n"), pinArgs()...)
	if code != exitFail || f.aliasVersion != "6" || !strings.Contains(out, "WARNING: release ApiCurrentVersion7F2A of api was not blocked") ||
		!strings.Contains(errOut, "may send traffic to it again") {
		t.Errorf("exit %d, alias on %s:\n%s%s", code, f.aliasVersion, out, errOut)
	}
}

// rollbackInfo that names the deployment itself links it to no other (deployment.RollbackOf): a release whose
// rollbackTriggeringDeploymentId is its own id is still the release rollback -stack rolls back.
func TestWholeStackRollbackTakesASelfLinkForNoRollback(t *testing.T) {
	f := newFake(t)
	withWorker(f)
	f.deployment("d-NEW").rollbackOf = "d-NEW"
	code, out, errOut := runWith(f.cli(""), "rollback", "-stack", "Svc", "-print")
	if code != exitOK || !strings.Contains(out, "api:live serves version 7 now → version 6") || strings.Contains(out, "went back") {
		t.Errorf("exit %d:\n%s%s", code, out, errOut)
	}
}

// codeDeploysRollback is release d-REL (7 → 8), stopped by an alarm, and CodeDeploy's rollback of it, d-RB, with
// status rb: a new deployment whose AppSpec is an earlier release's (6 → 7).
func codeDeploysRollback(f *fakeAWS, rb string) {
	f.versions = append(f.versions, "8")
	f.weights = map[string]float64{"8": 0.1}
	f.deployments = append(f.deployments,
		fakeDeployment{id: "d-REL", status: "Stopped", created: t0.Add(2 * time.Hour), current: "7", target: "8",
			errorCode: "ALARM_ACTIVE", rollbackID: "d-RB"},
		fakeDeployment{id: "d-RB", status: rb, created: t0.Add(2*time.Hour + time.Minute), current: "6", target: "7",
			creator: "codeDeployRollback", rollbackOf: "d-REL"})
}

// CodeDeploy's rollback in progress is the group's newest active deployment: rollback does not stop it (that would
// leave the alias where the release left it) nor block anything, and exits 3 saying to wait for it; status says a
// rollback is in progress instead of offering one.
func TestRollbackRefusesToStopCodeDeploysRollback(t *testing.T) {
	f := newFake(t)
	codeDeploysRollback(f, "InProgress")
	for _, args := range [][]string{{"-yes"}, {"-print"}} {
		code, out, errOut := runWith(f.cli("y\n"), append(append([]string{"rollback"}, group...), args...)...)
		if code != exitNothing || len(f.stopped) != 0 || len(f.params) != 0 || len(f.aliasUpdates) != 0 ||
			!strings.Contains(errOut, "deployment d-RB (InProgress) is CodeDeploy's rollback of deployment d-REL: it is already putting api:live back on version 7") ||
			!strings.Contains(errOut, "aws deploy wait deployment-successful --deployment-id d-RB") {
			t.Errorf("%v: exit %d, stopped %v, blocks %v:\n%s%s", args, code, f.stopped, f.params, out, errOut)
		}
	}
	code, out, errOut := runWith(f.cli(""), "rollback", "-stack", "Svc", "-yes")
	if code != exitNothing || len(f.stopped) != 0 || !strings.Contains(errOut, "api:live (ApiAliasLive): deployment d-RB (InProgress) is "+
		"CodeDeploy's rollback of deployment d-REL: it is already putting api:live back on version 7: wait for it to end") {
		t.Errorf("rollback -stack: exit %d:\n%s%s", code, out, errOut)
	}
	code, out, errOut = runWith(f.cli(""), append([]string{"status"}, group...)...)
	if code != exitOK || !strings.Contains(out, "rollback   in progress: deployment d-RB (InProgress) is CodeDeploy's rollback of deployment d-REL") ||
		strings.Contains(out, "rollback   to version") {
		t.Errorf("status: exit %d:\n%s%s", code, out, errOut)
	}
	code, out, _ = runWith(f.cli(""), append([]string{"status", "-json"}, group...)...)
	var s Status
	if code != exitOK || json.Unmarshal([]byte(out), &s) != nil || s.RollbackInProgress != "d-RB" || s.RollbackTarget != "" {
		t.Errorf("status -json: exit %d: %s", code, out)
	}
}

// Once CodeDeploy's rollback succeeded, the release it rolled back tells whether the weights left are the
// release's: rollback follows the rollback to its release (deployment.RollbackOf) and points the alias at blue.
func TestRollbackOfAWeightedAliasAfterCodeDeploysRollback(t *testing.T) {
	f := newFake(t)
	codeDeploysRollback(f, "Succeeded")
	code, out, errOut := runWith(f.cli("y\n"), append([]string{"rollback"}, group...)...)
	if code != exitOK || len(f.aliasUpdates) != 1 || f.aliasUpdates[0]["FunctionVersion"] != "7" ||
		!strings.Contains(out, "since deployment d-REL Stopped (rolled back by d-RB Succeeded)") {
		t.Errorf("exit %d, updates %v:\n%s%s", code, f.aliasUpdates, out, errOut)
	}
}
