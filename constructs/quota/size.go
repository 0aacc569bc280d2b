package quota

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
)

// Assumptions are the lengths the check gives what a template leaves to deploy time. Where a stack's template
// knows a value (a stack name, an explicit environment, an explicit resource name), the check uses it instead.
type Assumptions struct {
	// Partition is the longest partition a stack can deploy to: "aws-us-gov" (10 characters; the partitions
	// are aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f and aws-eusc).
	Partition string
	// Region is the longest region code: "us-isof-south-1" (15 characters; 14 in the commercial partition,
	// ap-southeast-N and ap-northeast-N).
	Region string
	// AccountID is an account id: 12 digits.
	AccountID string
	// StackName is the length of a stack name CDK does not know at synth: 128, CloudFormation's maximum
	// ("The maximum size of a stack name. 128 characters", Understand CloudFormation quotas).
	StackName int
	// RandomSuffix is the length CloudFormation keeps, in a name it generates, for the dash and random suffix
	// after the stack name and logical id: 13 (AWS does not document the form of generated names; names
	// CloudFormation generates read <stack name>-<logical id>-<12 random characters>, cut to the service's
	// maximum length).
	RandomSuffix int
	// VersionDigits is the length of a Lambda version number: 6 (a million versions; Lambda documents no count
	// quota, only its code storage).
	VersionDigits int
}

// DefaultAssumptions are the lengths the check assumes.
var DefaultAssumptions = Assumptions{Partition: "aws-us-gov", Region: "us-isof-south-1", AccountID: "123456789012",
	StackName: 128, RandomSuffix: 13, VersionDigits: 6}

// Template is what the check measures of one stack: its resources with their resolved properties (CloudFormation
// intrinsics left in place), and the counts of its outputs and parameters.
type Template struct {
	// StackName, Region and Account are the stack's own when synth knows them, else empty.
	StackName, Region, Account string
	Resources                  map[string]Resource
	Outputs, Parameters        int
}

// Resource is a resource of a Template: its CloudFormation type, its construct path, and its properties.
type Resource struct {
	Type       string
	Path       string
	Properties map[string]interface{}
}

// physical describes how a resource type is named and referenced.
type physical struct {
	nameProp string                       // the property that names it explicitly
	max      int                          // the longest name the service takes
	ref      func(s *sizer, name int) int // the length of its Ref, given the length of its name
	arn      func(s *sizer, name int) int // the length of its Arn attribute
}

func (s *sizer) arn(service string, region, account bool, rest int) int {
	n := len("arn:") + len(s.a.Partition) + 1 + len(service) + 1 + 1 + 1 + rest
	if region {
		n += len(s.region())
	}
	if account {
		n += len(s.account())
	}
	return n
}

func nameOf(_ *sizer, name int) int { return name }

var physicals = map[string]physical{
	"AWS::Lambda::Function": {nameProp: "FunctionName", max: 64, ref: nameOf,
		arn: func(s *sizer, n int) int { return s.arn("lambda", true, true, len("function:")+n) }},
	"AWS::IAM::Role": {nameProp: "RoleName", max: 64, ref: nameOf,
		arn: func(s *sizer, n int) int { return s.arn("iam", false, true, len("role/")+n) }},
	"AWS::IAM::ManagedPolicy": {nameProp: "ManagedPolicyName", max: 128,
		ref: func(s *sizer, n int) int { return s.arn("iam", false, true, len("policy/")+n) },
		arn: func(s *sizer, n int) int { return s.arn("iam", false, true, len("policy/")+n) }},
	"AWS::Logs::LogGroup": {nameProp: "LogGroupName", max: 512, ref: nameOf,
		arn: func(s *sizer, n int) int { return s.arn("logs", true, true, len("log-group:")+n+len(":*")) }},
	"AWS::CodeDeploy::Application":     {nameProp: "ApplicationName", max: 100, ref: nameOf},
	"AWS::CodeDeploy::DeploymentGroup": {nameProp: "DeploymentGroupName", max: 100, ref: nameOf},
	"AWS::SNS::Topic": {nameProp: "TopicName", max: 256,
		ref: func(s *sizer, n int) int { return s.arn("sns", true, true, n) },
		arn: func(s *sizer, n int) int { return s.arn("sns", true, true, n) }},
	"AWS::SQS::Queue": {nameProp: "QueueName", max: 80,
		ref: func(s *sizer, n int) int {
			return len("https://sqs..amazonaws.com/") + len(s.region()) + len(s.account()) + 1 + n
		},
		arn: func(s *sizer, n int) int { return s.arn("sqs", true, true, n) }},
	"AWS::Events::Rule": {nameProp: "Name", max: 64, ref: nameOf,
		arn: func(s *sizer, n int) int { return s.arn("events", true, true, len("rule/")+n) }},
	"AWS::CloudWatch::Alarm": {nameProp: "AlarmName", max: 255, ref: nameOf,
		arn: func(s *sizer, n int) int { return s.arn("cloudwatch", true, true, len("alarm:")+n) }},
	"AWS::CloudWatch::Dashboard": {nameProp: "DashboardName", max: 255, ref: nameOf},
	"AWS::KMS::Key": {max: 36, ref: nameOf,
		arn: func(s *sizer, n int) int { return s.arn("kms", true, true, len("key/")+36) }},
	"AWS::S3::Bucket": {nameProp: "BucketName", max: 63, ref: nameOf,
		arn: func(s *sizer, n int) int { return s.arn("s3", false, false, n) }},
	"AWS::Scheduler::ScheduleGroup": {nameProp: "Name", max: 64, ref: nameOf,
		arn: func(s *sizer, n int) int { return s.arn("scheduler", true, true, len("schedule-group/")+n) }},
}

// unknownRef and unknownAttr are the lengths given a Ref or an attribute (other than an Arn) of a resource the
// check did not read or whose type it does not model: the longest CodeDeploy application or group name is 100, a
// Lambda function's 64.
const (
	unknownRef  = 100
	unknownAttr = 256
)

// sizer measures values of one template as AWS will resolve them.
type sizer struct {
	t *Template
	a Assumptions
}

func (s *sizer) stackName() int {
	if s.t.StackName != "" {
		return len(s.t.StackName)
	}
	return s.a.StackName
}

func (s *sizer) region() string {
	if s.t.Region != "" {
		return s.t.Region
	}
	return s.a.Region
}

func (s *sizer) account() string {
	if s.t.Account != "" {
		return s.t.Account
	}
	return s.a.AccountID
}

// nameLen is the length of the physical name of resource id: its explicit name, or the one CloudFormation
// generates (stack name, logical id and random suffix, cut to the service's maximum).
func (s *sizer) nameLen(id string, r Resource, p physical) int {
	if p.nameProp != "" {
		if v, ok := prop(r.Properties, p.nameProp); ok {
			return s.strlen(v)
		}
	}
	n := s.stackName() + 1 + len(id) + s.a.RandomSuffix
	if p.max > 0 && n > p.max {
		n = p.max
	}
	return n
}

func (s *sizer) refLen(id string) int {
	switch id {
	case "AWS::Partition":
		return len(s.a.Partition)
	case "AWS::Region":
		return len(s.region())
	case "AWS::AccountId":
		return len(s.account())
	case "AWS::StackName":
		return s.stackName()
	case "AWS::StackId":
		return s.arn("cloudformation", true, true, len("stack/")+s.stackName()+1+36)
	case "AWS::URLSuffix":
		return len("amazonaws.com.cn")
	case "AWS::NoValue":
		return 0
	case "AWS::NotificationARNs":
		return unknownRef
	}
	r, ok := s.t.Resources[id]
	if !ok {
		return unknownRef // a parameter: its value is not known at synth
	}
	switch r.Type {
	case "AWS::Lambda::Version":
		return s.functionArn(r) + 1 + s.a.VersionDigits
	case "AWS::Lambda::Alias":
		name := 128
		if v, ok := prop(r.Properties, "Name"); ok {
			name = s.strlen(v)
		}
		return s.functionArn(r) + 1 + name
	}
	if p, ok := physicals[r.Type]; ok && p.ref != nil {
		return p.ref(s, s.nameLen(id, r, p))
	}
	return unknownRef
}

// functionArn is the length of the ARN of the function a version or an alias belongs to (its FunctionName).
func (s *sizer) functionArn(r Resource) int {
	name := physicals["AWS::Lambda::Function"].max
	if v, ok := prop(r.Properties, "FunctionName"); ok {
		name = s.strlen(v)
		if name > 64 { // an ARN given as the name
			return name
		}
	}
	return physicals["AWS::Lambda::Function"].arn(s, name)
}

func (s *sizer) attLen(id, attr string) int {
	r, ok := s.t.Resources[id]
	if !ok && attr == "Arn" {
		// A resource the check did not read (it reads the resources the library watches): in the library's
		// policies, that is a protected function, whose ARN is at most this long.
		return physicals["AWS::Lambda::Function"].arn(s, physicals["AWS::Lambda::Function"].max)
	}
	if !ok {
		return unknownAttr
	}
	p, known := physicals[r.Type]
	switch {
	case r.Type == "AWS::Lambda::Version" && attr == "Version":
		return s.a.VersionDigits
	case r.Type == "AWS::IAM::Role" && attr == "RoleId":
		return 21
	case r.Type == "AWS::SNS::Topic" && attr == "TopicName":
		return s.nameLen(id, r, p)
	case r.Type == "AWS::SNS::Topic" && attr == "TopicArn":
		return p.arn(s, s.nameLen(id, r, p))
	case r.Type == "AWS::KMS::Key" && attr == "KeyId":
		return 36
	case attr == "Arn" && known && p.arn != nil:
		return p.arn(s, s.nameLen(id, r, p))
	case attr == "Name" && known:
		return s.nameLen(id, r, p)
	}
	return unknownAttr
}

// subVar matches a ${…} of Fn::Sub (not the literal ${!…}).
var subVar = regexp.MustCompile(`\$\{([^!}][^}]*)\}`)

// strlen is the length of v once CloudFormation resolves it to a string.
func (s *sizer) strlen(v interface{}) int {
	switch x := v.(type) {
	case nil:
		return 0
	case string:
		return len(x)
	case bool:
		if x {
			return 4
		}
		return 5
	case float64, int:
		b, _ := json.Marshal(x)
		return len(b)
	case []interface{}: // a list where a string is expected (Fn::Join of Fn::Split…): its elements joined
		n := 0
		for _, e := range x {
			n += s.strlen(e)
		}
		return n
	case map[string]interface{}:
		if len(x) != 1 {
			return len(s.marshal(x))
		}
		for fn, arg := range x {
			return s.intrinsic(fn, arg, x)
		}
	}
	return unknownRef
}

// intrinsic is the resolved length of the intrinsic function fn(arg); m is the whole value, measured as JSON when
// fn is no intrinsic.
func (s *sizer) intrinsic(fn string, arg interface{}, m map[string]interface{}) int {
	args, _ := arg.([]interface{})
	switch fn {
	case "Ref":
		id, _ := arg.(string)
		return s.refLen(id)
	case "Fn::GetAtt":
		if len(args) == 2 {
			id, _ := args[0].(string)
			attr, _ := args[1].(string)
			return s.attLen(id, attr)
		}
		if str, ok := arg.(string); ok {
			if i := strings.Index(str, "."); i > 0 {
				return s.attLen(str[:i], str[i+1:])
			}
		}
		return unknownAttr
	case "Fn::Join":
		if len(args) != 2 {
			return unknownRef
		}
		sep, _ := args[0].(string)
		parts, ok := args[1].([]interface{})
		if !ok {
			return unknownRef
		}
		n := 0
		for i, p := range parts {
			if i > 0 {
				n += len(sep)
			}
			n += s.strlen(p)
		}
		return n
	case "Fn::Sub":
		text, _ := arg.(string)
		var vars map[string]interface{}
		if len(args) == 2 {
			text, _ = args[0].(string)
			vars, _ = args[1].(map[string]interface{})
		}
		n := len(text)
		for _, m := range subVar.FindAllStringSubmatch(text, -1) {
			n -= len(m[0])
			switch name := m[1]; {
			case vars[name] != nil:
				n += s.strlen(vars[name])
			case strings.HasPrefix(name, "AWS::"):
				n += s.refLen(name)
			case strings.Contains(name, "."):
				i := strings.Index(name, ".")
				n += s.attLen(name[:i], name[i+1:])
			default:
				n += s.refLen(name)
			}
		}
		return n
	case "Fn::Select":
		if len(args) == 2 {
			if list, ok := args[1].([]interface{}); ok {
				if i, ok := args[0].(float64); ok && int(i) < len(list) && i >= 0 {
					return s.strlen(list[int(i)])
				}
			}
			// An element of a string split at run time: at most the string.
			if split, ok := args[1].(map[string]interface{})["Fn::Split"].([]interface{}); ok && len(split) == 2 {
				return min(s.strlen(split[1]), unknownRef)
			}
		}
		return unknownRef
	case "Fn::If":
		if len(args) == 3 {
			return max(s.strlen(args[1]), s.strlen(args[2]))
		}
		return unknownRef
	case "Fn::Base64":
		return (s.strlen(arg) + 2) / 3 * 4
	case "Fn::ImportValue", "Fn::FindInMap", "Fn::GetStackOutput":
		return unknownRef
	}
	if strings.HasPrefix(fn, "Fn::") {
		return unknownRef
	}
	return len(s.marshal(m))
}

// render returns v with every intrinsic function replaced by a string of the length it resolves to, so that v
// marshals to the size AWS will see.
func (s *sizer) render(v interface{}) interface{} {
	switch x := v.(type) {
	case []interface{}:
		out := make([]interface{}, len(x))
		for i, e := range x {
			out[i] = s.render(e)
		}
		return out
	case map[string]interface{}:
		if len(x) == 1 {
			for k := range x {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return strings.Repeat("x", s.strlen(x))
				}
			}
		}
		out := make(map[string]interface{}, len(x))
		for k, e := range x {
			out[k] = s.render(e)
		}
		return out
	}
	return v
}

// marshal returns v rendered (see render) as compact JSON, without whitespace or HTML escapes: the characters
// AWS counts.
func (s *sizer) marshal(v interface{}) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s.render(v))
	return bytes.TrimRight(b.Bytes(), "\n")
}

// size is the number of characters of v as AWS will resolve it, JSON without whitespace.
func (s *sizer) size(v interface{}) int {
	if str, ok := v.(string); ok { // a policy given as a JSON string
		var doc interface{}
		if json.Unmarshal([]byte(str), &doc) == nil {
			return len(s.marshal(doc))
		}
	}
	return len(s.marshal(v))
}

// prop returns the property name of props, written as CloudFormation writes it (Name) or as CDK keeps it (name).
func prop(props map[string]interface{}, name string) (interface{}, bool) {
	if v, ok := props[name]; ok && v != nil {
		return v, true
	}
	if v, ok := props[strings.ToLower(name[:1])+name[1:]]; ok && v != nil {
		return v, true
	}
	return nil, false
}
