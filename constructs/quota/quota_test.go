package quota

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// builders make, for each quota, a template whose measurement for that quota is n: a fixed part built with an
// empty pad, then the pad grown by what is missing (every quota sized in characters grows by one per character
// of pad), or n things counted.
var builders = map[Key]func(n int) Template{
	ResourcesPerStack: func(n int) Template { return resourcesTemplate(n) },
	OutputsPerStack:   func(n int) Template { return Template{Outputs: n} },
	ParametersPerStack: func(n int) Template {
		return Template{Parameters: n}
	},
	TemplateBody: func(n int) Template {
		return padded(TemplateBody, n, func(pad string) Template {
			return one("AWS::SQS::Queue", map[string]interface{}{"Pad": pad})
		})
	},
	RoleInlinePolicies: func(n int) Template {
		return padded(RoleInlinePolicies, n, func(pad string) Template {
			return one("AWS::IAM::Role", map[string]interface{}{"Policies": []interface{}{
				map[string]interface{}{"PolicyName": "p", "PolicyDocument": doc(pad)}}})
		})
	},
	ManagedPolicySize: func(n int) Template {
		return padded(ManagedPolicySize, n, func(pad string) Template {
			return one("AWS::IAM::ManagedPolicy", map[string]interface{}{"PolicyDocument": doc(pad)})
		})
	},
	ManagedPoliciesPerRole: func(n int) Template {
		return one("AWS::IAM::Role", map[string]interface{}{"ManagedPolicyArns": list(n, "arn:aws:iam::aws:policy/P")})
	},
	TrustPolicy: func(n int) Template {
		return padded(TrustPolicy, n, func(pad string) Template {
			return one("AWS::IAM::Role", map[string]interface{}{"AssumeRolePolicyDocument": doc(pad)})
		})
	},
	EventPattern: func(n int) Template {
		return padded(EventPattern, n, func(pad string) Template {
			return one("AWS::Events::Rule", map[string]interface{}{"EventPattern": map[string]interface{}{"source": []interface{}{pad}}})
		})
	},
	TargetsPerRule: func(n int) Template {
		return one("AWS::Events::Rule", map[string]interface{}{"Targets": list(n, map[string]interface{}{"Id": "t"})})
	},
	AlarmsPerGroup: func(n int) Template {
		return one("AWS::CodeDeploy::DeploymentGroup", map[string]interface{}{"AlarmConfiguration": map[string]interface{}{
			"Alarms": list(n, map[string]interface{}{"Name": "a"})}})
	},
	FunctionPolicy: func(n int) Template {
		return padded(FunctionPolicy, n, func(pad string) Template {
			return one("AWS::Lambda::Permission", map[string]interface{}{"FunctionName": "fn", "Action": "lambda:InvokeFunction",
				"Principal": "events.amazonaws.com" + pad})
		})
	},
	Environment: func(n int) Template {
		return padded(Environment, n, func(pad string) Template {
			return one("AWS::Lambda::Function", map[string]interface{}{"Environment": map[string]interface{}{
				"Variables": map[string]interface{}{"K": pad}}})
		})
	},
	TopicPolicy: func(n int) Template {
		return padded(TopicPolicy, n, func(pad string) Template {
			return one("AWS::SNS::TopicPolicy", map[string]interface{}{"PolicyDocument": doc(pad)})
		})
	},
	KeyPolicy: func(n int) Template {
		return padded(KeyPolicy, n, func(pad string) Template {
			return one("AWS::KMS::Key", map[string]interface{}{"KeyPolicy": doc(pad)})
		})
	},
	DashboardWidgets: func(n int) Template { return dashboard(n, 0) },
	DashboardMetrics: func(n int) Template { return dashboard(1, n) },
	MetricsPerAlarm: func(n int) Template {
		return one("AWS::CloudWatch::Alarm", map[string]interface{}{"Metrics": list(n, map[string]interface{}{
			"Id": "m", "MetricStat": map[string]interface{}{}})})
	},
	ActionsPerAlarmState: func(n int) Template {
		return one("AWS::CloudWatch::Alarm", map[string]interface{}{"AlarmActions": list(n, "arn:aws:sns:r:1:t")})
	},
}

func one(typ string, props map[string]interface{}) Template {
	return Template{StackName: "S", Resources: map[string]Resource{"R": {Type: typ, Properties: props}}}
}

func resourcesTemplate(n int) Template {
	t := Template{Resources: map[string]Resource{}}
	for i := 0; i < n; i++ {
		t.Resources[fmt.Sprintf("R%d", i)] = Resource{Type: "AWS::SQS::Queue"}
	}
	return t
}

func doc(pad string) map[string]interface{} {
	return map[string]interface{}{"Version": "2012-10-17", "Statement": []interface{}{map[string]interface{}{
		"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/" + pad}}}
}

func list(n int, v interface{}) []interface{} {
	out := make([]interface{}, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func dashboard(widgets, metrics int) Template {
	var ws []interface{}
	for i := 0; i < widgets; i++ {
		w := map[string]interface{}{"type": "metric", "properties": map[string]interface{}{}}
		if i == 0 {
			w["properties"] = map[string]interface{}{"metrics": list(metrics, []interface{}{"AWS/Lambda", "Errors"})}
		}
		ws = append(ws, w)
	}
	body, _ := json.Marshal(map[string]interface{}{"widgets": ws})
	return one("AWS::CloudWatch::Dashboard", map[string]interface{}{"DashboardBody": string(body)})
}

// padded returns build(pad) with pad grown until the measurement of key is n.
func padded(key Key, n int, build func(pad string) Template) Template {
	base := sizeOf(build(""), key)
	return build(strings.Repeat("x", n-base))
}

func sizeOf(t Template, key Key) int {
	for _, m := range Measure(t, DefaultAssumptions) {
		if m.Key == key {
			return m.Size
		}
	}
	return -1
}

func errorsFor(t Template, key Key, limits Limits) (errs, warnings int) {
	for _, f := range Check(Measure(t, DefaultAssumptions), limits) {
		if f.Key == key {
			if f.Error {
				errs++
			} else {
				warnings++
			}
		}
	}
	return
}

// Each quota of the table: a template at the quota passes (with a warning: above 80 %), one just above fails.
func TestEveryQuotaFailsJustAboveItAndPassesAtIt(t *testing.T) {
	for _, q := range Table {
		t.Run(string(q.Key), func(t *testing.T) {
			build, ok := builders[q.Key]
			if !ok {
				t.Fatalf("no test template for quota %s", q.Key)
			}
			at, above := build(q.Limit), build(q.Limit+1)
			if got := sizeOf(at, q.Key); got != q.Limit {
				t.Fatalf("the template at the quota measures %d, want %d", got, q.Limit)
			}
			if e, w := errorsFor(at, q.Key, Limits{}); e != 0 || w != 1 {
				t.Errorf("at the quota (%d): %d errors, %d warnings; want none, and one warning", q.Limit, e, w)
			}
			if e, _ := errorsFor(above, q.Key, Limits{}); e != 1 {
				t.Errorf("just above the quota (%d): %d errors, want 1", q.Limit+1, e)
			}
			if e, w := errorsFor(build(q.Limit*8/10), q.Key, Limits{}); e != 0 || w != 0 {
				t.Errorf("at 80 %%: %d errors, %d warnings, want none", e, w)
			}
			if q.Adjustable {
				raised := Limits{}
				if err := raised.Raise(q.Key, q.Limit*2); q.Max == 0 || q.Max >= q.Limit*2 {
					if err != nil {
						t.Fatal(err)
					}
					if e, _ := errorsFor(above, q.Key, raised); e != 0 {
						t.Errorf("raised to %d, just above the default still fails", q.Limit*2)
					}
				}
			}
		})
	}
}

func TestRaiseRefusesWhatAWSDoesNot(t *testing.T) {
	l := Limits{}
	for _, tc := range []struct {
		key   Key
		value int
		want  string
	}{
		{ResourcesPerStack, 1000, "is not adjustable"},
		{EventPattern, 1000, "can only be raised"},
		{EventPattern, 8192, "at most 4096"},
		{"nope", 1, "not one the check knows"},
	} {
		if err := l.Raise(tc.key, tc.value); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Raise(%s, %d) = %v, want %q", tc.key, tc.value, err, tc.want)
		}
	}
}

// ARNs and names are sized as AWS resolves them: a generated function name is the stack name, logical id and
// random suffix cut to 64; its ARN adds the longest partition and region.
func TestIntrinsicsAreSizedAsAWSResolvesThem(t *testing.T) {
	stack := strings.Repeat("S", 40)
	tmpl := Template{StackName: stack, Resources: map[string]Resource{
		"Fn":    {Type: "AWS::Lambda::Function"},
		"Named": {Type: "AWS::Lambda::Function", Properties: map[string]interface{}{"FunctionName": "short"}},
		"App":   {Type: "AWS::CodeDeploy::Application"},
	}}
	s := &sizer{t: &tmpl, a: DefaultAssumptions}
	fnArn := len("arn:aws-us-gov:lambda:us-isof-south-1:123456789012:function:")
	for _, tc := range []struct {
		v    string
		want int
	}{
		{`{"Ref":"Fn"}`, 56}, // 40 + "-" + "Fn" + 13
		{`{"Fn::GetAtt":["Fn","Arn"]}`, fnArn + 56},
		{`{"Fn::GetAtt":["Named","Arn"]}`, fnArn + 5},
		{`{"Fn::Join":["",[{"Fn::GetAtt":["Named","Arn"]},":*"]]}`, fnArn + 7},
		{`{"Fn::Join":[":",["a",{"Ref":"AWS::Partition"},{"Ref":"AWS::AccountId"}]]}`, 1 + 1 + 10 + 1 + 12},
		{`{"Fn::Sub":"arn:${AWS::Partition}:codedeploy:${AWS::Region}:${AWS::AccountId}:application:${App}"}`,
			len("arn:aws-us-gov:codedeploy:us-isof-south-1:123456789012:application:") + 40 + 1 + 3 + 13},
	} {
		var v interface{}
		if err := json.Unmarshal([]byte(tc.v), &v); err != nil {
			t.Fatal(err)
		}
		if got := s.strlen(v); got != tc.want {
			t.Errorf("%s: %d characters, want %d", tc.v, got, tc.want)
		}
	}
	long := Template{StackName: strings.Repeat("S", 128), Resources: map[string]Resource{"Fn": {Type: "AWS::Lambda::Function"}}}
	if got := (&sizer{t: &long, a: DefaultAssumptions}).refLen("Fn"); got != 64 {
		t.Errorf("a generated name with a 128-character stack name: %d characters, want Lambda's maximum 64", got)
	}
}
