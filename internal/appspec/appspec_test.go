package appspec

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

func TestParse(t *testing.T) {
	want := Function{Name: "api-fn", Alias: "live", CurrentVersion: "6", TargetVersion: "7"}
	for name, content := range map[string]string{
		"CloudFormation JSON": `{"version":0.0,"Resources":[{"Api":{"Type":"AWS::Lambda::Function","Properties":` +
			`{"Name":"api-fn","Alias":"live","CurrentVersion":"6","TargetVersion":"7"}}}]}`,
		// The CodeDeploy user guide's keys are lowercase.
		"documented YAML": "version: 0.0\nresources:\n  - api:\n      type: \"AWS::Lambda::Function\"\n      properties:\n" +
			"        name: api-fn\n        alias: live\n        currentversion: \"6\"\n        targetversion: \"7\"\n",
		"YAML numbers": "Resources:\n  - api:\n      Type: AWS::Lambda::Function\n" +
			"      Properties: {Name: api-fn, Alias: live, CurrentVersion: 6, TargetVersion: 7}\n",
		"another resource first": `{"Resources":[` +
			`{"svc":{"Type":"AWS::ECS::Service","Properties":{"Name":"not-a-function","TargetVersion":"99"}}},` +
			`{"api":{"Type":"AWS::Lambda::Function","Properties":{"Name":"api-fn","Alias":"live","CurrentVersion":"6","TargetVersion":"7"}}}]}`,
		"several resources in one item": `{"Resources":[{"api":{"Type":"AWS::Lambda::Function","Properties":` +
			`{"Name":"api-fn","Alias":"live","CurrentVersion":6,"TargetVersion":7}}}],"Hooks":[{"BeforeAllowTraffic":"h"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			got, err := Parse(content)
			if err != nil || got != want {
				t.Errorf("Parse = %+v, %v; want %+v", got, err, want)
			}
		})
	}
}

func TestParseMalformed(t *testing.T) {
	for name, tc := range map[string]struct{ content, want string }{
		"not yaml":        {"{{{", "malformed AppSpec"},
		"no lambda":       {`{"Resources":[{"x":{"Type":"AWS::ECS::Service"}}]}`, "no AWS::Lambda::Function"},
		"no target":       {`{"Resources":[{"x":{"Type":"AWS::Lambda::Function","Properties":{"Name":"f"}}}]}`, "needs Name and TargetVersion"},
		"no name":         {`{"Resources":[{"x":{"Type":"AWS::Lambda::Function","Properties":{"TargetVersion":"3"}}}]}`, "needs Name and TargetVersion"},
		"empty resources": {`version: 0.0`, "no AWS::Lambda::Function"},
		"bad version":     {`{"Resources":[{"x":{"Type":"AWS::Lambda::Function","Properties":{"Name":"f","TargetVersion":[1]}}}]}`, "version must be"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse(tc.content); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestContent(t *testing.T) {
	cases := []struct {
		name string
		rev  *cdtypes.RevisionLocation
		want string
	}{
		{"nil", nil, ""},
		{"AppSpecContent", &cdtypes.RevisionLocation{AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String("a")}}, "a"},
		{"hash only", &cdtypes.RevisionLocation{AppSpecContent: &cdtypes.AppSpecContent{Sha256: aws.String("f00d")}}, ""},
		//lint:ignore SA1019 the older String form, which Content still reads
		{"String", &cdtypes.RevisionLocation{String_: &cdtypes.RawString{Content: aws.String("s")}}, "s"},
	}
	for _, tc := range cases {
		if got := Content(tc.rev); got != tc.want {
			t.Errorf("%s: Content = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// The hooks come from the AppSpec's Hooks, in JSON or YAML, keys in either case; an unreadable AppSpec has none.
func TestHooks(t *testing.T) {
	for _, content := range []string{
		`{"Resources":[],"Hooks":[{"BeforeAllowTraffic":"pre"},{"AfterAllowTraffic":"post"}]}`,
		"version: 0.0\nhooks:\n  - beforeallowtraffic: pre\n  - afterallowtraffic: post\n",
	} {
		h := Hooks(content)
		if len(h) != 2 || h[BeforeAllowTraffic] != "pre" || h[AfterAllowTraffic] != "post" {
			t.Errorf("%q: got %v", content, h)
		}
	}
	for _, content := range []string{"", "{", `{"Resources":[]}`, `{"Hooks":"pre"}`} {
		if h := Hooks(content); len(h) != 0 {
			t.Errorf("%q: got %v, want no hooks", content, h)
		}
	}
}
