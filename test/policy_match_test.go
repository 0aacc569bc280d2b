package test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"

	"github.com/safeship/lambda-bluegreen/test/testkit"
)

// A small model of what IAM allows a role, read from a synthesized template: enough to ask "may this role do this
// action on this resource?" whatever shape the policy takes (one statement per function, patterns over an
// application's groups, chunked policies). CloudFormation intrinsics are expanded with fixed stand-ins for the
// pseudo parameters and the physical names CloudFormation would generate, so that an ARN built from a Ref or a
// GetAtt can be compared with a pattern written with Fn::Join.

// Stand-ins for the pseudo parameters of an environment-agnostic stack.
const (
	testPartition = "aws"
	testRegion    = "eu-west-1"
	testAccount   = "123456789012"
)

// templateModel expands the intrinsics of one stack's template.
type templateModel struct {
	stackName string
	resources map[string]map[string]interface{}
}

func newTemplateModel(tmpl assertions.Template, stackName string) *templateModel {
	doc := tmpl.ToJSON()
	m := &templateModel{stackName: stackName, resources: map[string]map[string]interface{}{}}
	if rs, ok := (*doc)["Resources"].(map[string]interface{}); ok {
		for id, r := range rs {
			if r, ok := r.(map[string]interface{}); ok {
				m.resources[id] = r
			}
		}
	}
	return m
}

// physicalName is the name of resource id: the name property the template sets, or one shaped like those
// CloudFormation generates (<stack>-<logical id>-<suffix>), so that a pattern on the stack's name prefix matches.
func (m *templateModel) physicalName(id string) string {
	r := m.resources[id]
	nameProps := map[string]string{
		"AWS::Lambda::Function":            "FunctionName",
		"AWS::CodeDeploy::Application":     "ApplicationName",
		"AWS::CodeDeploy::DeploymentGroup": "DeploymentGroupName",
		"AWS::IAM::Role":                   "RoleName",
		"AWS::CloudWatch::Alarm":           "AlarmName",
	}
	if prop, ok := nameProps[fmt.Sprint(r["Type"])]; ok {
		if v, ok := testkit.Props(r)[prop]; ok {
			return m.expand(v)
		}
	}
	name := m.stackName + "-" + id
	if len(name) > 50 {
		name = name[:50]
	}
	return name + "-1A2B3C4D5E6F"
}

// arn is the ARN of resource id (what Fn::GetAtt [id, Arn] returns).
func (m *templateModel) arn(id string) string {
	name := m.physicalName(id)
	switch t := fmt.Sprint(m.resources[id]["Type"]); t {
	case "AWS::Lambda::Function":
		return fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", testPartition, testRegion, testAccount, name)
	case "AWS::IAM::Role":
		return fmt.Sprintf("arn:%s:iam::%s:role/%s", testPartition, testAccount, name)
	case "AWS::CloudWatch::Alarm":
		return fmt.Sprintf("arn:%s:cloudwatch:%s:%s:alarm:%s", testPartition, testRegion, testAccount, name)
	default:
		return fmt.Sprintf("arn:%s:%s:%s:%s:%s", testPartition, strings.ToLower(t), testRegion, testAccount, name)
	}
}

// expand returns the string value v has once deployed: Ref, Fn::GetAtt (Arn), Fn::Join, Fn::Select and Fn::Split
// are expanded; anything else is written as JSON.
func (m *templateModel) expand(v interface{}) string {
	switch x := v.(type) {
	case string:
		return x
	case float64, bool:
		return fmt.Sprint(x)
	case map[string]interface{}:
		if ref, ok := x["Ref"].(string); ok {
			switch ref {
			case "AWS::Partition":
				return testPartition
			case "AWS::Region":
				return testRegion
			case "AWS::AccountId":
				return testAccount
			case "AWS::URLSuffix":
				return "amazonaws.com"
			case "AWS::StackName":
				return m.stackName
			}
			return m.physicalName(ref)
		}
		if att, ok := x["Fn::GetAtt"].([]interface{}); ok && len(att) == 2 && att[1] == "Arn" {
			return m.arn(fmt.Sprint(att[0]))
		}
		if join, ok := x["Fn::Join"].([]interface{}); ok && len(join) == 2 {
			parts, _ := join[1].([]interface{})
			out := make([]string, len(parts))
			for i, p := range parts {
				out[i] = m.expand(p)
			}
			return strings.Join(out, fmt.Sprint(join[0]))
		}
		if sel, ok := x["Fn::Select"].([]interface{}); ok && len(sel) == 2 {
			list := m.expandList(sel[1])
			i := int(sel[0].(float64))
			if i < len(list) {
				return list[i]
			}
		}
	}
	return testkit.JSONString(v)
}

func (m *templateModel) expandList(v interface{}) []string {
	if split, ok := v.(map[string]interface{})["Fn::Split"].([]interface{}); ok && len(split) == 2 {
		return strings.Split(m.expand(split[1]), fmt.Sprint(split[0]))
	}
	if list, ok := v.([]interface{}); ok {
		out := make([]string, len(list))
		for i, p := range list {
			out[i] = m.expand(p)
		}
		return out
	}
	return nil
}

// statement is one IAM policy statement with its resources expanded.
type statement struct {
	allow     bool
	actions   []string
	resources []string
}

// roleStatements returns the statements of every policy attached to role roleID: its inline Policies and the
// AWS::IAM::Policy and AWS::IAM::ManagedPolicy resources that list it.
func (m *templateModel) roleStatements(roleID string) []statement {
	var docs []interface{}
	for _, p := range asList(testkit.Props(m.resources[roleID])["Policies"]) {
		docs = append(docs, p.(map[string]interface{})["PolicyDocument"])
	}
	for _, r := range m.resources {
		t := r["Type"]
		if t != "AWS::IAM::Policy" && t != "AWS::IAM::ManagedPolicy" {
			continue
		}
		for _, ref := range asList(testkit.Props(r)["Roles"]) {
			if m.expand(ref) == m.physicalName(roleID) {
				docs = append(docs, testkit.Props(r)["PolicyDocument"])
			}
		}
	}
	var out []statement
	for _, d := range docs {
		doc, _ := d.(map[string]interface{})
		for _, s := range asList(doc["Statement"]) {
			s := s.(map[string]interface{})
			st := statement{allow: s["Effect"] == "Allow"}
			for _, a := range asList(s["Action"]) {
				st.actions = append(st.actions, fmt.Sprint(a))
			}
			for _, r := range asList(s["Resource"]) {
				st.resources = append(st.resources, m.expand(r))
			}
			out = append(out, st)
		}
	}
	return out
}

// wildcardMatch reports whether s matches an IAM pattern, in which * is any run of characters and ? any one.
func wildcardMatch(pattern, s string, foldCase bool) bool {
	expr := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	if foldCase {
		expr = "(?i)" + expr
	}
	return regexp.MustCompile(expr).MatchString(s)
}

// allows reports whether the statements allow action on resource (no Deny matching it). A resource of "*" stands
// for an action without resource-level permissions: only a statement on "*" grants it.
func allows(statements []statement, action, resource string) bool {
	matches := func(s statement) bool {
		actionOK := false
		for _, a := range s.actions {
			actionOK = actionOK || wildcardMatch(a, action, true)
		}
		if !actionOK {
			return false
		}
		for _, r := range s.resources {
			if resource == "*" && r == "*" || resource != "*" && wildcardMatch(r, resource, false) {
				return true
			}
		}
		return false
	}
	allowed := false
	for _, s := range statements {
		if matches(s) {
			if !s.allow {
				return false
			}
			allowed = true
		}
	}
	return allowed
}

// TestPolicyMatcher pins the matcher itself: patterns, joins and GetAtt expand and compare as IAM would.
func TestPolicyMatcher(t *testing.T) {
	m := &templateModel{stackName: "Svc", resources: map[string]map[string]interface{}{
		"Fn":   {"Type": "AWS::Lambda::Function", "Properties": map[string]interface{}{}},
		"Role": {"Type": "AWS::IAM::Role", "Properties": map[string]interface{}{}},
		"Policy": {"Type": "AWS::IAM::Policy", "Properties": map[string]interface{}{
			"Roles": []interface{}{map[string]interface{}{"Ref": "Role"}},
			"PolicyDocument": map[string]interface{}{"Statement": []interface{}{
				map[string]interface{}{"Effect": "Allow", "Action": "lambda:DeleteFunction",
					"Resource": map[string]interface{}{"Fn::Join": []interface{}{"", []interface{}{
						map[string]interface{}{"Fn::GetAtt": []interface{}{"Fn", "Arn"}}, ":*"}}}},
				map[string]interface{}{"Effect": "Allow", "Action": []interface{}{"codedeploy:Get*"},
					"Resource": map[string]interface{}{"Fn::Join": []interface{}{"", []interface{}{"arn:",
						map[string]interface{}{"Ref": "AWS::Partition"}, ":codedeploy:*:*:deploymentgroup:app/*"}}}},
				map[string]interface{}{"Effect": "Allow", "Action": "cloudwatch:DescribeAlarms", "Resource": "*"},
			}}}},
	}}
	st := m.roleStatements("Role")
	fn := m.arn("Fn")
	for _, tc := range []struct {
		action, resource string
		want             bool
	}{
		{"lambda:DeleteFunction", fn + ":7", true},
		{"lambda:DeleteFunction", fn, false},
		{"lambda:DeleteFunction", strings.Replace(fn, "Svc-Fn", "Other", 1) + ":7", false},
		{"codedeploy:GetDeployment", "arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:app/g", true},
		{"CodeDeploy:GetDeployment", "arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:app/g", true},
		{"codedeploy:GetDeployment", "arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:other/g", false},
		{"codedeploy:PutLifecycleEventHookExecutionStatus", "arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:app/g", false},
		{"cloudwatch:DescribeAlarms", "*", true},
		{"cloudwatch:GetMetricStatistics", "*", false},
	} {
		if got := allows(st, tc.action, tc.resource); got != tc.want {
			t.Errorf("allows(%s, %s) = %v, want %v", tc.action, tc.resource, got, tc.want)
		}
	}
}
