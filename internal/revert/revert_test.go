package revert_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/safeship/lambda-bluegreen/internal/block"
	"github.com/safeship/lambda-bluegreen/internal/revert"
)

// deployed is a stack as the CDK deploys it: function Api (alias live, shifted by group Group with an alarm, its
// release gate), function Other whose alias names its group literally and has no alarms, and a plain alias.
const deployed = `{
 "Parameters": {"BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/cdk-bootstrap/hnb659fds/version"}},
 "Resources": {
  "Api": {"Type": "AWS::Lambda::Function", "Properties": {"Code": {"S3Bucket": {"Fn::Sub": "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}"}, "S3Key": "a.zip"}, "Timeout": 10.50, "MemorySize": 256}},
  "ApiVersionA1": {"Type": "AWS::Lambda::Version", "Properties": {"FunctionName": {"Ref": "Api"}}},
  "ApiAlias": {"Type": "AWS::Lambda::Alias", "Properties": {"FunctionName": {"Ref": "Api"}, "FunctionVersion": {"Fn::GetAtt": ["ApiVersionA1", "Version"]}, "Name": "live"},
   "UpdatePolicy": {"CodeDeployLambdaAliasUpdate": {"ApplicationName": {"Ref": "App"}, "DeploymentGroupName": {"Ref": "Group"}}}},
  "App": {"Type": "AWS::CodeDeploy::Application"},
  "Group": {"Type": "AWS::CodeDeploy::DeploymentGroup", "Properties": {"ApplicationName": {"Ref": "App"}, "DeploymentConfigName": {"Ref": "Config"},
   "AlarmConfiguration": {"Enabled": true, "Alarms": [{"Name": {"Ref": "Errors"}}]}}},
  "Gate": {"Type": "Custom::LambdaBlueGreenReleaseGate", "Properties": {"Releases": {"Svc/Api": {"FunctionName": {"Ref": "Api"}, "Release": "ApiVersionA1", "Note": "<&>"},
   "Svc/Other": {"FunctionName": {"Ref": "Other"}, "Release": "OtherVersionB2"}}}},
  "Other": {"Type": "AWS::Lambda::Function", "Properties": {"Code": {"S3Bucket": "literal-bucket", "S3Key": "b.zip"}}},
  "OtherAlias": {"Type": "AWS::Lambda::Alias", "Properties": {"FunctionName": {"Ref": "Other"}, "FunctionVersion": "4", "Name": "live"},
   "UpdatePolicy": {"CodeDeployLambdaAliasUpdate": {"ApplicationName": "other-app", "DeploymentGroupName": "other-group"}}},
  "OtherGroup": {"Type": "AWS::CodeDeploy::DeploymentGroup", "Properties": {"ApplicationName": "other-app", "DeploymentGroupName": "other-group",
   "DeploymentConfigName": "CodeDeployDefault.LambdaAllAtOnce"}},
  "Plain": {"Type": "AWS::Lambda::Alias", "Properties": {"FunctionName": {"Ref": "Api"}, "FunctionVersion": "2", "Name": "beta"}}
 }
}`

func parse(t *testing.T, body string) *revert.Template {
	t.Helper()
	tmpl, err := revert.Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

// resources decodes a template's resources, keeping numbers as written.
func resources(t *testing.T, body []byte) map[string]interface{} {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var doc map[string]interface{}
	if err := d.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return doc["Resources"].(map[string]interface{})
}

func TestParseRefusesWhatIsNotACDKTemplate(t *testing.T) {
	for body, want := range map[string]string{
		"Resources:\n  A:\n    Type: X\n": "the deployed template is not JSON",
		`{"Parameters": {}}`:              "the deployed template has no Resources",
	} {
		if _, err := revert.Parse([]byte(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", body, err, want)
		}
	}
}

func TestAliases(t *testing.T) {
	got := parse(t, deployed).Aliases()
	want := []revert.Alias{
		{LogicalID: "ApiAlias", Name: "live", FunctionLogicalID: "Api", Release: "ApiVersionA1", Group: "Group"},
		{LogicalID: "OtherAlias", Name: "live", FunctionLogicalID: "Other", Served: "4", Group: "OtherGroup"},
		{LogicalID: "Plain", Name: "beta", FunctionLogicalID: "Api", Served: "2"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Aliases:\n%+v\nwant\n%+v", got, want)
	}
}

func TestFindAlias(t *testing.T) {
	tmpl := parse(t, deployed)
	if a, err := tmpl.FindAlias("Api", "live"); err != nil || a.LogicalID != "ApiAlias" {
		t.Errorf("FindAlias(Api, live) = %+v, %v", a, err)
	}
	for _, tc := range []struct{ fn, name, want string }{
		{"Api", "prod", `function Api has no alias "prod" in the deployed template (it has live, beta)`},
		{"Gone", "live", "the deployed template has no alias of function Gone"},
	} {
		if _, err := tmpl.FindAlias(tc.fn, tc.name); err == nil || err.Error() != tc.want {
			t.Errorf("FindAlias(%s, %s): %v, want %q", tc.fn, tc.name, err, tc.want)
		}
	}
}

// Rollback changes the alias's version, its group's strategy and alarm monitoring, and the gate of its function,
// records the pins, and leaves every other value as it was (numbers as written, no HTML escaping).
func TestRollback(t *testing.T) {
	tmpl := parse(t, deployed)
	changes, err := tmpl.Rollback([]revert.Pin{{AliasLogicalID: "ApiAlias", Version: "6"}, {AliasLogicalID: "OtherAlias", Version: "3"}})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, c := range changes {
		lines = append(lines, c.String())
	}
	want := []string{
		`ApiAlias FunctionVersion: {"Fn::GetAtt":["ApiVersionA1","Version"]} → "6"`,
		`Gate Releases.Svc/Api.Release: "ApiVersionA1" → "` + block.PinnedPrefix + `6"`,
		`Gate Releases.Svc/Other.Release: "OtherVersionB2" → "` + block.PinnedPrefix + `3"`,
		`Group AlarmConfiguration.Enabled: true → false`,
		`Group DeploymentConfigName: {"Ref":"Config"} → "CodeDeployDefault.LambdaAllAtOnce"`,
		`OtherAlias FunctionVersion: "4" → "3"`,
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	body := tmpl.Bytes()
	before, after := resources(t, []byte(deployed)), resources(t, body)
	for id, r := range before {
		switch id {
		case "ApiAlias", "Group", "Gate", "OtherAlias":
		default:
			if !reflect.DeepEqual(r, after[id]) {
				t.Errorf("%s changed: %v → %v", id, r, after[id])
			}
		}
	}
	if !bytes.Contains(body, []byte(`"Timeout":10.50`)) || !bytes.Contains(body, []byte(`"Note":"<&>"`)) {
		t.Errorf("a number or a string was rewritten: %s", body)
	}
	group := after["Group"].(map[string]interface{})["Properties"].(map[string]interface{})
	if !reflect.DeepEqual(group["AlarmConfiguration"], map[string]interface{}{"Enabled": false,
		"Alarms": []interface{}{map[string]interface{}{"Name": map[string]interface{}{"Ref": "Errors"}}}}) {
		t.Errorf("alarms: %v", group["AlarmConfiguration"])
	}
	again := parse(t, string(body))
	if got := again.Pins(); !reflect.DeepEqual(got, []revert.Pin{{AliasLogicalID: "ApiAlias", Version: "6"}, {AliasLogicalID: "OtherAlias", Version: "3"}}) {
		t.Errorf("Pins = %+v", got)
	}
	if a, _ := again.FindAlias("Api", "live"); a.Served != "6" || a.Release != "" {
		t.Errorf("the rolled-back alias reads %+v", a)
	}
	if len(parse(t, deployed).Pins()) != 0 {
		t.Error("an ordinary template records pins")
	}
}

func TestRollbackRefusesBadPins(t *testing.T) {
	for _, tc := range []struct {
		pins []revert.Pin
		want string
	}{
		{nil, "no alias to roll back"},
		{[]revert.Pin{{AliasLogicalID: "ApiAlias", Version: "$LATEST"}}, `alias ApiAlias: the version to roll back to must be a version number, got "$LATEST"`},
		{[]revert.Pin{{AliasLogicalID: "ApiAlias"}}, `must be a version number, got ""`},
		{[]revert.Pin{{AliasLogicalID: "Group", Version: "6"}}, "the deployed template has no alias Group"},
	} {
		if _, err := parse(t, deployed).Rollback(tc.pins); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.pins, err, tc.want)
		}
	}
}

func TestGroupAndParameters(t *testing.T) {
	tmpl := parse(t, deployed)
	for id, want := range map[string]revert.Group{
		"Group":      {LogicalID: "Group", ApplicationLogicalID: "App", ConfigLogicalID: "Config", AlarmsEnabled: true},
		"OtherGroup": {LogicalID: "OtherGroup", Name: "other-group", Application: "other-app", Config: "CodeDeployDefault.LambdaAllAtOnce"},
	} {
		if g, ok := tmpl.Group(id); !ok || g != want {
			t.Errorf("Group(%s) = %+v, %v; want %+v", id, g, ok, want)
		}
	}
	if _, ok := tmpl.Group("ApiAlias"); ok {
		t.Error("an alias read as a group")
	}
	if got := tmpl.Parameters(); !reflect.DeepEqual(got, []string{"BootstrapVersion"}) {
		t.Errorf("Parameters = %v", got)
	}
}

func TestCodeBucket(t *testing.T) {
	pseudo := map[string]string{"AWS::AccountId": "123456789012", "AWS::Region": "eu-west-1"}
	if b, ok := parse(t, deployed).CodeBucket(pseudo); !ok || b != "cdk-hnb659fds-assets-123456789012-eu-west-1" {
		t.Errorf("CodeBucket = %q, %v", b, ok)
	}
	// A Sub the pseudo parameters do not resolve is passed over for the next function's literal bucket.
	if b, ok := parse(t, deployed).CodeBucket(map[string]string{"AWS::Region": "eu-west-1"}); !ok || b != "literal-bucket" {
		t.Errorf("CodeBucket without the account = %q, %v", b, ok)
	}
	inline := `{"Resources": {"F": {"Type": "AWS::Lambda::Function", "Properties": {"Code": {"ZipFile": "x"}}}}}`
	if b, ok := parse(t, inline).CodeBucket(pseudo); ok {
		t.Errorf("inline code has bucket %q", b)
	}
}

// A second rollback in the same stack keeps the first one's pins of other aliases, and replaces its own.
func TestSecondRollbackKeepsTheFirstPins(t *testing.T) {
	tmpl := parse(t, deployed)
	if _, err := tmpl.Rollback([]revert.Pin{{AliasLogicalID: "ApiAlias", Version: "6"}}); err != nil {
		t.Fatal(err)
	}
	again := parse(t, string(tmpl.Bytes()))
	if _, err := again.Rollback([]revert.Pin{{AliasLogicalID: "OtherAlias", Version: "3"}, {AliasLogicalID: "ApiAlias", Version: "5"}}); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range again.Pins() {
		got[p.AliasLogicalID] = p.Version
	}
	if len(got) != 2 || got["ApiAlias"] != "5" || got["OtherAlias"] != "3" {
		t.Errorf("pins %v, want ApiAlias 5 and OtherAlias 3", got)
	}
}
