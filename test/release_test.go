package test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/release/guard"
	"github.com/safeship/lambda-bluegreen/internal/block"
	"github.com/safeship/lambda-bluegreen/test/testkit"
)

// Each Deployment's alias waits for its release gate, which names the release by the logical id of the function's
// current version and carries the group's configuration as the template has it; the stack's one guard serves every
// gate and one EventBridge rule for the application, whatever the number of functions.
func TestReleaseGateAndGuard(t *testing.T) {
	stack := testkit.NewStack(t)
	var ds []bluegreen.Deployment
	for _, id := range []string{"Api", "Worker", "Admin"} {
		ds = append(ds, testkit.Deploy(t, stack, id, nil))
	}
	tmpl := testkit.Template(t, stack)
	gateID, gate := testkit.OnlyResource(t, tmpl, block.GateResourceType) // one per stack, whatever the number of functions
	entries, _ := testkit.Props(gate)[block.GateReleases].(map[string]interface{})
	if len(entries) != 3 {
		t.Fatalf("want an entry per deployment, got %d", len(entries))
	}
	versionID := awscdk.Stack_Of(stack).Resolve(ds[0].Version().Node().DefaultChild().(awscdk.CfnElement).LogicalId()).(string)
	api, _ := entries["TestStack/Api"].(map[string]interface{})
	for k, want := range map[string]interface{}{
		block.GateRelease:          versionID,
		guard.GateDeploymentConfig: "CodeDeployDefault.LambdaCanary10Percent5Minutes",
		guard.GateAlarmsEnabled:    "true",
	} {
		if api[k] != want {
			t.Errorf("entry TestStack/Api %s = %v, want %v", k, api[k], want)
		}
	}
	if !strings.HasPrefix(testkit.JSONString(api[block.GateFunctionName]), `{"Ref":"ApiFunction`) ||
		!strings.HasPrefix(testkit.JSONString(api[guard.GateDeploymentGroup]), `{"Ref":"ApiDeploymentGroup`) {
		t.Errorf("entry TestStack/Api names %s and %s", testkit.JSONString(api[block.GateFunctionName]), testkit.JSONString(api[guard.GateDeploymentGroup]))
	}
	if !strings.HasPrefix(versionID, "ApiFunctionCurrentVersion") {
		t.Errorf("the release is named %q, want the current version's logical id", versionID)
	}
	if !strings.Contains(testkit.JSONString(testkit.Props(gate)["ServiceToken"]), "BlueGreenReleaseGuardFunction") {
		t.Errorf("the gate is not answered by the guard: %s", testkit.JSONString(testkit.Props(gate)["ServiceToken"]))
	}
	for id, alias := range testkit.Resources(tmpl, "AWS::Lambda::Alias") {
		if deps := testkit.JSONString(alias["DependsOn"]); !strings.Contains(deps, gateID) {
			t.Errorf("alias %s does not wait for the release gate: %s", id, deps)
		}
	}
	testkit.CountIs(t, tmpl, "AWS::Lambda::Function", 3+1)
	testkit.CountIs(t, tmpl, "AWS::Events::Rule", 1)
	testkit.HasResource(t, tmpl, "AWS::Events::Rule", testkit.Like(testkit.Obj{"EventPattern": testkit.Obj{
		"source": testkit.Arr{"aws.codedeploy"}, "detail-type": testkit.Arr{guard.DeploymentStateChange},
		"detail": testkit.Obj{"application": testkit.Arr{testkit.Obj{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^BlueGreenApplication"))}},
			"state": testkit.Arr{guard.StateFailure, guard.StateStop, guard.StateStart}},
	}}))
	// The guard's policy does not grow with the number of functions: one statement per kind of access.
	got := actionsOn(statements(t, tmpl, "BlueGreenReleaseGuardRole"))
	checkGrants(t, got, map[string]string{
		"ssm:GetParameter":                  ":parameter/lambda-bluegreen/blocked/*",
		"cloudformation:DescribeStacks":     "AWS::StackId",
		"codedeploy:GetDeploymentGroup":     ":deploymentgroup:",
		"codedeploy:UpdateDeploymentGroup":  ":deploymentgroup:",
		"codedeploy:ListDeployments":        ":deploymentgroup:",
		"codedeploy:GetDeployment":          ":deploymentgroup:",
		"codedeploy:StopDeployment":         ":deploymentgroup:",
		"codedeploy:ListDeploymentGroups":   ":application:",
		"codedeploy:GetApplicationRevision": ":application:",
		"logs:CreateLogStream":              "BlueGreenReleaseGuardLogs",
		"logs:PutLogEvents":                 "BlueGreenReleaseGuardLogs",
	})
	if n := len(statements(t, tmpl, "BlueGreenReleaseGuardRole")); n > 6 {
		t.Errorf("the guard's policy has %d statements for 3 functions: it must not grow per function", n)
	}
}

// A new commit names a new release; the same commit names the same one; a pin names "pinned:<version>", which the
// gate lets through, and the group goes all at once with alarm monitoring off for that deploy.
func TestReleaseNames(t *testing.T) {
	release := func(env string, pin *string) (string, map[string]interface{}) {
		stack := testkit.NewStack(t)
		fp := testkit.FunctionProps(t)
		fp.Environment = &map[string]*string{"COMMIT": jsii.String(env)}
		testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{FunctionProps: fp, PinnedVersion: pin})
		tmpl := testkit.Template(t, stack)
		_, gate := testkit.OnlyResource(t, tmpl, block.GateResourceType)
		_, group := testkit.OnlyResource(t, tmpl, "AWS::CodeDeploy::DeploymentGroup")
		entry := testkit.Props(gate)[block.GateReleases].(map[string]interface{})["TestStack/Api"].(map[string]interface{})
		return entry[block.GateRelease].(string), testkit.Props(group)
	}
	c1, _ := release("c1", nil)
	again, _ := release("c1", nil)
	c2, group := release("c2", nil)
	if c1 != again || c1 == c2 {
		t.Errorf("releases c1 %s, c1 again %s, c2 %s: the same code must name the same release, another code another", c1, again, c2)
	}
	if group["DeploymentConfigName"] != "CodeDeployDefault.LambdaCanary10Percent5Minutes" {
		t.Errorf("group config %v", group["DeploymentConfigName"])
	}
	pinned, group := release("c2", jsii.String("6"))
	if pinned != block.PinnedPrefix+"6" {
		t.Errorf("a pin names %q, want %q", pinned, block.PinnedPrefix+"6")
	}
	if group["DeploymentConfigName"] != "CodeDeployDefault.LambdaAllAtOnce" ||
		testkit.JSONString(group["AlarmConfiguration"]) == "" || !strings.Contains(testkit.JSONString(group["AlarmConfiguration"]), `"Enabled":false`) {
		t.Errorf("a pin must ship all at once with alarm monitoring off, got %s %s", group["DeploymentConfigName"],
			testkit.JSONString(group["AlarmConfiguration"]))
	}
}

// Synth says once per stack that an alias's first deploy runs no hook and no canary (CloudFormation creates the
// alias directly): synth cannot know whether the alias exists yet.
func TestFirstDeployNote(t *testing.T) {
	stack := testkit.NewStack(t)
	testkit.Deploy(t, stack, "Api", nil)
	testkit.Deploy(t, stack, "Worker", nil)
	n := 0
	for _, note := range testkit.Annotations(t, stack, "info") {
		if strings.Contains(note, bluegreen.FirstDeployInfo) {
			n++
			if !strings.Contains(note, "no hook, no canary and no alarm protect it") {
				t.Errorf("note %q", note)
			}
		}
	}
	if n != 1 {
		t.Errorf("want the note once per stack, got %d", n)
	}
}

// An application of another stack is not the guard's to coordinate: no rule for it, and the gate does not touch
// its group (it may not read or update it); the gate still refuses blocked releases. A guard that never answers
// fails the deploy after 5 minutes, not an hour.
func TestReleaseGuardLeavesAForeignApplicationAlone(t *testing.T) {
	app := testkit.NewApp(t)
	shared := awscdk.NewStack(app, jsii.String("Shared"), nil)
	application := awscodedeploy.NewLambdaApplication(shared, jsii.String("App"), nil)
	stack := awscdk.NewStack(app, jsii.String("Svc"), nil)
	testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{Application: application})
	tmpl := testkit.Template(t, stack)
	testkit.CountIs(t, tmpl, "AWS::Events::Rule", 0)
	_, gate := testkit.OnlyResource(t, tmpl, block.GateResourceType)
	entry := testkit.Props(gate)[block.GateReleases].(map[string]interface{})["Svc/Api"].(map[string]interface{})
	if entry[guard.GateRestore] != "false" || testkit.Props(gate)["ServiceTimeout"] != float64(300) {
		t.Errorf("gate %s", testkit.JSONString(gate))
	}
	for _, s := range statements(t, tmpl, "BlueGreenReleaseGuardRole") {
		if strings.Contains(testkit.JSONString(s), "codedeploy:") {
			t.Errorf("the guard may act on a foreign application's groups: %s", testkit.JSONString(s))
		}
	}
}
