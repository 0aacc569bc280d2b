package plan

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/safeship/lambda-bluegreen/constructs/alarms"
	"github.com/safeship/lambda-bluegreen/constructs/strategy"
	"github.com/safeship/lambda-bluegreen/internal/bake"
)

// Where an alarm's CloudWatch name comes from (Alarm.NameSource).
const (
	// NameLiteral: the name is a plain string of the template (or of the group, for an alarm attached by name).
	NameLiteral = "literal"
	// NameAtDeploy: the template builds the name from values known only at deploy; Name holds what is known,
	// with each unknown part in braces ({version}: the version CloudFormation publishes for green).
	NameAtDeploy = "deploy"
	// NameGenerated: the template gives no AlarmName, so CloudFormation generates one at deploy; Name is "".
	NameGenerated = "generated"
)

// AlarmMetric is what an alarm reads: one metric (Namespace, MetricName, Stat, Period), or metric math
// (Expression, Label, and the metrics it reads in Inputs).
type AlarmMetric struct {
	Namespace  string `json:"namespace,omitempty"`
	MetricName string `json:"metricName,omitempty"`
	// Stat is the statistic (Sum, Average, p99…).
	Stat          string  `json:"stat,omitempty"`
	PeriodSeconds float64 `json:"periodSeconds,omitempty"`
	// Dimensions are the names of the metric's dimensions (their values are mostly known only at deploy).
	Dimensions []string `json:"dimensions,omitempty"`
	// Expression is the metric math the alarm compares with its threshold; Label its label.
	Expression string `json:"expression,omitempty"`
	Label      string `json:"label,omitempty"`
	// Inputs are the metrics the expression reads, each with its Id.
	Inputs []MetricInput `json:"inputs,omitempty"`
}

// MetricInput is one metric that an alarm's metric math reads.
type MetricInput struct {
	ID            string   `json:"id"`
	Namespace     string   `json:"namespace"`
	MetricName    string   `json:"metricName"`
	Stat          string   `json:"stat"`
	PeriodSeconds float64  `json:"periodSeconds"`
	Dimensions    []string `json:"dimensions,omitempty"`
}

// String summarizes the metric on one line: "AWS/Lambda Throttles (Sum, 1m0s)", or for metric math
// `math "green error rate (%)" of AWS/Lambda Errors, Invocations (Sum, 1m0s)`.
func (m AlarmMetric) String() string {
	if m.Expression == "" {
		return strings.TrimSpace(fmt.Sprintf("%s %s (%s, %v)", m.Namespace, m.MetricName, statistic(m.Stat), seconds(m.PeriodSeconds)))
	}
	what := m.Label
	if what == "" {
		what = m.Expression
		if len([]rune(what)) > 60 {
			what = string([]rune(what)[:59]) + "…"
		}
	}
	var names, stats []string
	namespaces := map[string][]string{}
	var order []string
	for _, in := range m.Inputs {
		if in.Namespace == "" && in.MetricName == "" {
			continue
		}
		if _, ok := namespaces[in.Namespace]; !ok {
			order = append(order, in.Namespace)
		}
		if !slices.Contains(namespaces[in.Namespace], in.MetricName) {
			namespaces[in.Namespace] = append(namespaces[in.Namespace], in.MetricName)
		}
		stat := fmt.Sprintf("%s, %v", statistic(in.Stat), seconds(in.PeriodSeconds))
		if !slices.Contains(stats, stat) {
			stats = append(stats, stat)
		}
	}
	for _, ns := range order {
		names = append(names, ns+" "+strings.Join(namespaces[ns], ", "))
	}
	if len(names) == 0 {
		return fmt.Sprintf("math %q", what)
	}
	return fmt.Sprintf("math %q of %s (%s)", what, strings.Join(names, "; "), strings.Join(stats, "; "))
}

// statistic names a metric's statistic for the text, "statistic unknown" when the template gives none.
func statistic(s string) string {
	if s == "" {
		return "statistic unknown"
	}
	return s
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// groupAlarm describes one entry of a deployment group's AlarmConfiguration.Alarms by its Name, which is what
// CodeDeploy, bluegreen watch and the notifications know the alarm by (they read the group's alarm names with
// GetDeploymentGroup): a Ref to an alarm of the template (Ref of AWS::CloudWatch::Alarm returns its name) is read
// in full; anything else is an alarm the template does not define, listed by name with its timing unknown. CDK
// renders an alarm imported by name (awscloudwatch.Alarm_FromAlarmName) or by ARN as its name, a plain string; an
// alarm of another stack as Fn::ImportValue.
func groupAlarm(t template, stackName string, name interface{}) Alarm {
	if res, ok := t.Resources[ref(name)]; ok {
		a := Alarm{Path: res.path(), TimingUnknown: true}
		if res.Type == "AWS::CloudWatch::Alarm" {
			a = readAlarm(res)
		} else if rule, ok := res.Properties["AlarmRule"]; ok { // a composite alarm has no period of its own
			r, _ := resolve(t, stackName, rule)
			a.Rule = r
		}
		a.Name, a.NameSource = alarmName(t, stackName, res)
		a.LogicalID = res.id
		return a
	}
	a := Alarm{TimingUnknown: true, NameSource: NameLiteral}
	if s, ok := name.(string); ok {
		a.Name = s
	} else {
		a.Name, _ = resolve(t, stackName, name)
		a.NameSource = NameAtDeploy
	}
	return a
}

// alarmName returns an alarm resource's name, as far as it is known offline, and where it comes from.
func alarmName(t template, stackName string, r resource) (string, string) {
	v, ok := r.Properties["AlarmName"]
	if !ok {
		return "", NameGenerated
	}
	if s, ok := v.(string); ok {
		return s, NameLiteral
	}
	s, complete := resolve(t, stackName, v)
	if complete {
		return s, NameLiteral
	}
	return s, NameAtDeploy
}

var subVariable = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

// resolve renders a CloudFormation value as a string with what is known offline: literals, the stack's name
// (AWS::StackName), Fn::Join and Fn::Sub of them; each part known only at deploy in braces: {version} for the
// version number of an AWS::Lambda::Version, {region}, {account}, {partition}, {<logical id>} for another Ref,
// {<logical id>.<attribute>} for another Fn::GetAtt, {import <name>} for Fn::ImportValue. complete is false when
// any part is in braces.
func resolve(t template, stackName string, v interface{}) (s string, complete bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case float64, bool:
		return fmt.Sprint(v), true
	case map[string]interface{}:
		if len(v) != 1 {
			break
		}
		for fn, arg := range v {
			switch fn {
			case "Ref":
				name, _ := arg.(string)
				return pseudo(t, stackName, name)
			case "Fn::GetAtt":
				parts, _ := arg.([]interface{})
				if len(parts) == 2 {
					id, _ := parts[0].(string)
					attr, _ := parts[1].(string)
					if t.Resources[id].Type == "AWS::Lambda::Version" && attr == "Version" {
						return "{version}", false
					}
					return "{" + id + "." + attr + "}", false
				}
			case "Fn::Join":
				parts, _ := arg.([]interface{})
				if len(parts) == 2 {
					sep, _ := parts[0].(string)
					list, _ := parts[1].([]interface{})
					var out []string
					complete := true
					for _, p := range list {
						s, ok := resolve(t, stackName, p)
						out = append(out, s)
						complete = complete && ok
					}
					return strings.Join(out, sep), complete
				}
			case "Fn::Sub":
				if tmpl, ok := arg.(string); ok {
					complete := true
					out := subVariable.ReplaceAllStringFunc(tmpl, func(m string) string {
						name := subVariable.FindStringSubmatch(m)[1]
						if id, attr, found := strings.Cut(name, "."); found {
							s, ok := resolve(t, stackName, map[string]interface{}{"Fn::GetAtt": []interface{}{id, attr}})
							complete = complete && ok
							return s
						}
						s, ok := pseudo(t, stackName, name)
						complete = complete && ok
						return s
					})
					return out, complete
				}
			case "Fn::ImportValue":
				name, _ := resolve(t, stackName, arg)
				return "{import " + name + "}", false
			}
		}
	}
	b, _ := json.Marshal(v)
	return "{" + string(b) + "}", false
}

// pseudo resolves a Ref: the stack's name is known offline; anything else is in braces.
func pseudo(_ template, stackName, name string) (string, bool) {
	switch name {
	case "AWS::StackName":
		return stackName, true
	case "AWS::Region":
		return "{region}", false
	case "AWS::AccountId":
		return "{account}", false
	case "AWS::Partition":
		return "{partition}", false
	}
	return "{" + name + "}", false
}

// readAlarm reads a metric alarm: its timing (as alarms.ReadTiming reads it at synth: the longest period of its
// metrics), what it reads, its threshold and comparison.
func readAlarm(r resource) Alarm {
	a := Alarm{Path: r.path()}
	num := func(m map[string]interface{}, k string) float64 { f, _ := m[k].(float64); return f }
	str := func(m map[string]interface{}, k string) string { s, _ := m[k].(string); return s }
	dims := func(v interface{}) []string {
		list, _ := v.([]interface{})
		var out []string
		for _, d := range list {
			if n := str(asMap(d), "Name"); n != "" {
				out = append(out, n)
			}
		}
		sort.Strings(out)
		return out
	}
	period := num(r.Properties, "Period")
	notNumber := func(m map[string]interface{}, k string) bool {
		v, set := m[k]
		_, isNumber := v.(float64)
		return set && !isNumber
	}
	// periodUnknown is true when a period is set to something other than a number (known only at deploy).
	periodUnknown := notNumber(r.Properties, "Period")
	m := AlarmMetric{}
	if metrics, ok := r.Properties["Metrics"].([]interface{}); ok {
		var single *MetricInput
		for _, q := range metrics {
			q := asMap(q)
			stat := asMap(q["MetricStat"])
			returns, set := q["ReturnData"].(bool)
			if stat != nil {
				metric := asMap(stat["Metric"])
				in := MetricInput{ID: str(q, "Id"), Namespace: str(metric, "Namespace"), MetricName: str(metric, "MetricName"),
					Stat: str(stat, "Stat"), PeriodSeconds: num(stat, "Period"), Dimensions: dims(metric["Dimensions"])}
				period = max(period, in.PeriodSeconds)
				periodUnknown = periodUnknown || notNumber(stat, "Period")
				m.Inputs = append(m.Inputs, in)
				if !set || returns {
					single = &m.Inputs[len(m.Inputs)-1]
				}
				continue
			}
			period = max(period, num(q, "Period"))
			periodUnknown = periodUnknown || notNumber(q, "Period")
			if expr := str(q, "Expression"); expr != "" && (!set || returns) {
				m.Expression, m.Label = expr, str(q, "Label")
			}
		}
		if m.Expression == "" && single != nil {
			in := *single
			m = AlarmMetric{Namespace: in.Namespace, MetricName: in.MetricName, Stat: in.Stat,
				PeriodSeconds: in.PeriodSeconds, Dimensions: in.Dimensions}
		}
		sort.Slice(m.Inputs, func(i, j int) bool { return m.Inputs[i].ID < m.Inputs[j].ID })
	} else {
		stat := str(r.Properties, "Statistic")
		if stat == "" {
			stat = str(r.Properties, "ExtendedStatistic")
		}
		m = AlarmMetric{Namespace: str(r.Properties, "Namespace"), MetricName: str(r.Properties, "MetricName"),
			Stat: stat, PeriodSeconds: period, Dimensions: dims(r.Properties["Dimensions"])}
	}
	a.Metric = &m
	// A period, evaluation periods or datapoints known only at deploy (a Ref, a parameter) is not guessed: the
	// timing is unknown, as alarms.ReadTiming finds it at synth.
	evaluation, okEvaluation := r.Properties["EvaluationPeriods"].(float64)
	datapoints, okDatapoints := r.Properties["DatapointsToAlarm"].(float64)
	if _, set := r.Properties["DatapointsToAlarm"]; !set {
		datapoints, okDatapoints = evaluation, okEvaluation
	}
	if period == 0 || periodUnknown || !okEvaluation || !okDatapoints {
		a.TimingUnknown = true
	} else {
		a.Period = time.Duration(period) * time.Second
		a.PeriodSeconds = a.Period.Seconds()
		a.EvaluationPeriods, a.Datapoints = int(evaluation), int(datapoints)
	}
	if th, ok := r.Properties["Threshold"].(float64); ok {
		a.Threshold = &th
	}
	a.ThresholdMetricID = str(r.Properties, "ThresholdMetricId")
	a.Comparison = str(r.Properties, "ComparisonOperator")
	return a
}

func asMap(v interface{}) map[string]interface{} {
	m, _ := v.(map[string]interface{})
	return m
}

// timeAlarm sets the alarm's detection time and, when flag is true, whether it is slower than the strategy's bake,
// with the rules synth applies (alarms.Timing.DetectionTime, bake.SlowerThanBake); nothing for an alarm whose
// timing is unknown. Callers pass flag false with alarm monitoring off (no alarm can stop the deployment; synth says
// nothing then either) and for the green error alarms, which synth weighs against each step of the strategy
// instead (Deployment.DetectionAdvice).
func timeAlarm(a *Alarm, s strategy.Strategy, flag bool) {
	if a.TimingUnknown {
		return
	}
	t := alarms.Timing{Period: a.Period, EvaluationPeriods: a.EvaluationPeriods, DatapointsToAlarm: a.Datapoints}
	a.Detection = t.DetectionTime()
	a.DetectionSeconds = a.Detection.Seconds()
	a.SlowerThanBake = flag && bake.SlowerThanBake(s, t)
}

// comparisonSymbols spell CloudWatch's comparison operators.
var comparisonSymbols = map[string]string{
	"GreaterThanThreshold":                     ">",
	"GreaterThanOrEqualToThreshold":            "≥",
	"LessThanThreshold":                        "<",
	"LessThanOrEqualToThreshold":               "≤",
	"LessThanLowerOrGreaterThanUpperThreshold": "outside the band",
	"GreaterThanUpperThreshold":                "above the band",
	"LessThanLowerThreshold":                   "below the band",
}

// Condition says when a datapoint breaches: "> 5", "outside the band ad1"; "" when the template says nothing.
func (a Alarm) Condition() string {
	cmp := comparisonSymbols[a.Comparison]
	if cmp == "" {
		cmp = a.Comparison
	}
	switch {
	case a.ThresholdMetricID != "":
		cmp += " " + a.ThresholdMetricID
	case a.Threshold != nil:
		cmp += fmt.Sprintf(" %g", *a.Threshold)
	}
	return strings.TrimSpace(cmp)
}
