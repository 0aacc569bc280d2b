package quota

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Measurement is the size of one thing a quota applies to.
type Measurement struct {
	Key Key
	// What names what was measured: a logical id, or "stack".
	What string
	// Path is the construct path of the resource measured, when known.
	Path string
	Size int
	// Estimated is true when Size is an estimate (a template body from typical sizes, a value known only at
	// deploy time): above the quota it warns, never fails the synth, since a guess must not block a valid stack.
	Estimated bool
}

// Measure sizes everything of t that a quota of Table applies to, as AWS will resolve it under a.
func Measure(t Template, a Assumptions) []Measurement {
	s := &sizer{t: &t, a: a}
	var out []Measurement
	add := func(key Key, id string, size int) {
		out = append(out, Measurement{Key: key, What: id, Path: t.Resources[id].Path, Size: size})
	}
	out = append(out,
		Measurement{Key: ResourcesPerStack, What: "stack", Size: len(t.Resources)},
		Measurement{Key: OutputsPerStack, What: "stack", Size: t.Outputs},
		Measurement{Key: ParametersPerStack, What: "stack", Size: t.Parameters})

	ids := make([]string, 0, len(t.Resources))
	for id := range t.Resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	inline := map[string]int{}  // role logical id → characters of its inline policies
	managed := map[string]int{} // role logical id → managed policies attached
	functionPolicy := map[string]int{}
	body := 0
	for _, id := range ids {
		r := t.Resources[id]
		p := r.Properties
		// "id":{"Type":"…","Properties":…}, intrinsics as written, and what the properties leave out (DependsOn,
		// Metadata, Conditions: 170 bytes a resource in the example and test stacks).
		body += len(id) + len(r.Type) + len(raw(p)) + 30 + 170
		switch r.Type {
		case "AWS::IAM::Role":
			if v, ok := prop(p, "AssumeRolePolicyDocument"); ok {
				add(TrustPolicy, id, s.size(v))
			}
			if list, ok := prop(p, "Policies"); ok {
				for _, pol := range asList(list) {
					if doc, ok := prop(asMap(pol), "PolicyDocument"); ok {
						inline[id] += s.size(doc)
					}
				}
			}
			if list, ok := prop(p, "ManagedPolicyArns"); ok {
				managed[id] += len(asList(list))
			}
		case "AWS::IAM::Policy":
			if doc, ok := prop(p, "PolicyDocument"); ok {
				for _, role := range roleRefs(p) {
					inline[role] += s.size(doc)
				}
			}
		case "AWS::IAM::ManagedPolicy":
			if doc, ok := prop(p, "PolicyDocument"); ok {
				add(ManagedPolicySize, id, s.size(doc))
			}
			for _, role := range roleRefs(p) {
				managed[role]++
			}
		case "AWS::Events::Rule":
			if v, ok := prop(p, "EventPattern"); ok {
				add(EventPattern, id, s.size(v))
			}
			if v, ok := prop(p, "Targets"); ok {
				add(TargetsPerRule, id, len(asList(v)))
			}
		case "AWS::CodeDeploy::DeploymentGroup":
			if cfg, ok := prop(p, "AlarmConfiguration"); ok {
				if alarms, ok := prop(asMap(cfg), "Alarms"); ok {
					add(AlarmsPerGroup, id, len(asList(alarms)))
				}
			}
		case "AWS::Lambda::Function":
			if env, ok := prop(p, "Environment"); ok {
				if vars, ok := prop(asMap(env), "Variables"); ok {
					n := 0
					for k, v := range asMap(vars) {
						n += len(k) + s.strlen(v)
					}
					add(Environment, id, n)
				}
			}
		case "AWS::Lambda::Permission":
			fn, _ := prop(p, "FunctionName")
			functionPolicy[string(raw(fn))] += s.permissionStatement(p)
		case "AWS::SNS::TopicPolicy":
			if doc, ok := prop(p, "PolicyDocument"); ok {
				add(TopicPolicy, id, s.size(doc))
			}
		case "AWS::KMS::Key":
			if doc, ok := prop(p, "KeyPolicy"); ok {
				add(KeyPolicy, id, s.size(doc))
			}
		case "AWS::CloudWatch::Dashboard":
			if v, ok := prop(p, "DashboardBody"); ok {
				widgets, metrics := dashboardCounts(s, v)
				add(DashboardWidgets, id, widgets)
				add(DashboardMetrics, id, metrics)
			}
		case "AWS::CloudWatch::Alarm":
			if v, ok := prop(p, "Metrics"); ok {
				n := 0
				for _, m := range asList(v) {
					if _, ok := prop(asMap(m), "MetricStat"); ok {
						n++
					}
				}
				add(MetricsPerAlarm, id, n)
			}
			most := 0
			for _, state := range []string{"AlarmActions", "OKActions", "InsufficientDataActions"} {
				if v, ok := prop(p, state); ok {
					most = max(most, len(asList(v)))
				}
			}
			add(ActionsPerAlarmState, id, most)
		}
	}
	for _, id := range sortedKeys(inline) {
		add(RoleInlinePolicies, id, inline[id])
	}
	for _, id := range sortedKeys(managed) {
		add(ManagedPoliciesPerRole, id, managed[id])
	}
	for _, fn := range sortedKeys(functionPolicy) {
		out = append(out, Measurement{Key: FunctionPolicy, What: "function " + fn, Size: functionPolicy[fn]})
	}
	out = append(out, Measurement{Key: TemplateBody, What: "stack", Size: body})
	return out
}

// permissionStatement is the size of the statement Lambda adds to a function's policy for an
// AWS::Lambda::Permission: {"Sid":…,"Effect":"Allow","Principal":…,"Action":…,"Resource":…,"Condition":…}.
func (s *sizer) permissionStatement(p map[string]interface{}) int {
	n := len(`{"Sid":"","Effect":"Allow","Principal":{"Service":""},"Action":"","Resource":""}`)
	n += 100 // the statement id CloudFormation gives the permission (AWS documents no form; its maximum length)
	for _, name := range []string{"Principal", "Action"} {
		if v, ok := prop(p, name); ok {
			n += s.strlen(v)
		}
	}
	fn, _ := prop(p, "FunctionName")
	if l := s.strlen(fn); l > 64 {
		n += l
	} else {
		n += physicals["AWS::Lambda::Function"].arn(s, l)
	}
	if v, ok := prop(p, "SourceArn"); ok {
		n += len(`,"Condition":{"ArnLike":{"AWS:SourceArn":""}}`) + s.strlen(v)
	}
	if v, ok := prop(p, "SourceAccount"); ok {
		n += len(`,"Condition":{"StringEquals":{"AWS:SourceAccount":""}}`) + s.strlen(v)
	}
	return n + 1 // the comma between statements
}

// dashboardCounts counts the widgets and metrics of a dashboard body, a JSON string (an Fn::Join of one, as CDK
// writes it): metrics are the entries of each widget's "metrics" array that name a metric (not an expression).
func dashboardCounts(s *sizer, body interface{}) (widgets, metrics int) {
	text := flatten(body)
	var doc struct {
		Widgets []struct {
			Properties struct {
				Metrics []json.RawMessage `json:"metrics"`
			} `json:"properties"`
		} `json:"widgets"`
	}
	if json.Unmarshal([]byte(text), &doc) != nil {
		return strings.Count(text, `"type":`), strings.Count(text, `"metrics":`)
	}
	for _, w := range doc.Widgets {
		for _, m := range w.Properties.Metrics {
			if !strings.Contains(string(m), `"expression"`) {
				metrics++
			}
		}
	}
	return len(doc.Widgets), metrics
}

// flatten joins the literal parts of an Fn::Join, putting a short placeholder where an intrinsic stands.
func flatten(v interface{}) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]interface{}:
		if j, ok := x["Fn::Join"].([]interface{}); ok && len(j) == 2 {
			sep, _ := j[0].(string)
			var parts []string
			for _, p := range asList(j[1]) {
				parts = append(parts, flatten(p))
			}
			return strings.Join(parts, sep)
		}
	}
	return "x"
}

// roleRefs returns the logical ids of the roles a policy names ({"Ref": id} entries of its Roles).
func roleRefs(p map[string]interface{}) []string {
	var ids []string
	if v, ok := prop(p, "Roles"); ok {
		for _, r := range asList(v) {
			if id, ok := asMap(r)["Ref"].(string); ok {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// raw is v as JSON, intrinsic functions as written: what CloudFormation receives.
func raw(v interface{}) []byte {
	b, _ := json.Marshal(v)
	return b
}

func asList(v interface{}) []interface{} {
	l, _ := v.([]interface{})
	return l
}

func asMap(v interface{}) map[string]interface{} {
	m, _ := v.(map[string]interface{})
	return m
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Finding is a measurement above 80 % of its quota: a warning, or an error above the quota.
type Finding struct {
	Measurement
	Limit int
	Error bool
}

// Check returns the measurements of ms above 80 % of their quota in limits.
func Check(ms []Measurement, limits Limits) []Finding {
	var out []Finding
	for _, m := range ms {
		limit := limits.limit(m.Key)
		if limit <= 0 || m.Size*10 <= limit*8 {
			continue
		}
		out = append(out, Finding{Measurement: m, Limit: limit, Error: m.Size > limit && !m.Estimated})
	}
	return out
}

// String says what is over, the quota, the size and what to change.
func (f Finding) String() string {
	q, _ := Lookup(f.Key)
	what := f.What
	if f.What == "" {
		what = f.Path
	} else if f.Path != "" {
		what = fmt.Sprintf("%s (%s)", f.Path, f.What)
	}
	verb := "is above 80 % of"
	switch {
	case f.Error:
		verb = "is over"
	case f.Size > f.Limit:
		verb = "is estimated over"
	}
	msg := fmt.Sprintf("%s %s: %d %s, %s AWS's quota of %d per %s (quota %s; %s)", q.Of, what, f.Size, q.Unit, verb,
		f.Limit, q.Of, f.Key, q.Source)
	if f.Size > f.Limit {
		msg += "; AWS would refuse it at deploy: " + q.Fix
	} else {
		msg += "; before it grows further: " + q.Fix
	}
	if q.Adjustable {
		msg += fmt.Sprintf(" (this quota is adjustable: once raised, quota.Raise(stack, %q, value))", f.Key)
	}
	return msg
}
