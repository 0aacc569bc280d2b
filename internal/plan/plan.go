// Package plan reads a synthesized cloud assembly (cdk.out) and describes every blue/green deployment in it:
// function, alias, strategy, traffic timeline, rollback alarms, hooks, and the worst-case detection time and
// exposure, computed with the same formulas the constructs use at synth (alarms.DetectionTime,
// strategy.ShareAt).
package plan

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/safeship/lambda-bluegreen/constructs/alarms"
	"github.com/safeship/lambda-bluegreen/constructs/strategy"
)

// Deployment is one blue/green deployment of the assembly.
type Deployment struct {
	// Path is the construct path of the deployment (the alias's parent).
	Path string `json:"path"`
	// Stack is the stack's display name, its path in the app ("Prod/Service" inside a stage), which the CDK CLI
	// takes to select it; StackName is the CloudFormation stack's name ("Prod-Service").
	Stack     string `json:"stack"`
	StackName string `json:"stackName"`
	Function  string `json:"function"`
	// FunctionLogicalID is the function's logical id in the stack's template ("" when the alias names a function
	// outside the template); CloudFormation tags the function with it (aws:cloudformation:logical-id).
	FunctionLogicalID string `json:"functionLogicalId,omitempty"`
	Alias             string `json:"alias"`
	// Strategy names the strategy ("Canary10Percent5Minutes"); Config is CodeDeploy's name for a predefined one.
	Strategy string `json:"strategy"`
	Config   string `json:"config,omitempty"`
	// Timeline is the share of traffic on green over time.
	Timeline []Step  `json:"timeline"`
	Alarms   []Alarm `json:"alarms"` // never null: [] when there is none
	// AlarmsEnabled is false when alarm monitoring is off (no alarm, or an emergency bypass).
	AlarmsEnabled bool   `json:"alarmsEnabled"`
	PreHook       string `json:"preTrafficHook,omitempty"`
	PostHook      string `json:"postTrafficHook,omitempty"`
	// Detection is the worst-case time from a fully broken green to a green error alarm in ALARM; 0 when no such
	// alarm can fire (the constructs' rule: only the ErrorRate and RelativeErrorRate green alarms count).
	Detection        time.Duration `json:"-"`
	DetectionSeconds float64       `json:"detectionSeconds"`
	// Exposure is the share of requests green can serve before a rollback can start, in percent.
	Exposure float64 `json:"exposurePercent"`

	strategy strategy.Strategy
}

// Step is a point of the traffic timeline.
type Step struct {
	At        time.Duration `json:"-"`
	AtSeconds float64       `json:"atSeconds"`
	Percent   float64       `json:"percent"`
}

// Alarm is a rollback alarm of a deployment.
type Alarm struct {
	// Path is the alarm's construct path, or "" for an alarm the template does not define (see Name).
	Path          string        `json:"path"`
	Period        time.Duration `json:"-"`
	PeriodSeconds float64       `json:"periodSeconds"`
	// Datapoints of the newest EvaluationPeriods must breach for the alarm to fire (M of N).
	Datapoints        int `json:"datapoints"`
	EvaluationPeriods int `json:"evaluationPeriods"`
	// Name is how the deployment group names an alarm the template does not define: its name as a plain string
	// (an alarm imported with awscloudwatch.Alarm_FromAlarmName or Alarm_FromAlarmArn) or, for a value only known
	// at deploy time (a reference to another stack, a parameter), that CloudFormation expression as JSON.
	Name string `json:"name,omitempty"`
	// TimingUnknown is true when the alarm's period and datapoints cannot be read from the template (an alarm
	// attached by name, a composite alarm); Period, Datapoints and EvaluationPeriods are 0 then.
	TimingUnknown bool `json:"timingUnknown,omitempty"`
}

// StrategyValue returns the deployment's strategy.
func (d Deployment) StrategyValue() strategy.Strategy { return d.strategy }

type template struct {
	Resources map[string]resource `json:"Resources"`
}

type resource struct {
	id           string
	Type         string                 `json:"Type"`
	Properties   map[string]interface{} `json:"Properties"`
	UpdatePolicy map[string]interface{} `json:"UpdatePolicy"`
	Metadata     map[string]interface{} `json:"Metadata"`
}

// path returns the resource's construct path (CDK writes it as metadata when the CLI synthesizes), or its logical
// id when there is none.
func (r resource) path() string {
	p, _ := r.Metadata["aws:cdk:path"].(string)
	if p == "" {
		return r.id
	}
	return strings.TrimSuffix(p, "/Resource")
}

// Read describes every blue/green deployment of the cloud assembly in dir, nested assemblies (stages) included,
// sorted by path.
func Read(dir string) ([]Deployment, error) {
	var out []Deployment
	err := eachStack(dir, func(file string, stack stackNames) error {
		ds, err := readTemplate(file, stack)
		out = append(out, ds...)
		return err
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Stack < out[j].Stack
	})
	return out, nil
}

// stackNames are the two names of a stack: its display name (its path in the app) and its CloudFormation name.
type stackNames struct{ display, cloudFormation string }

// eachStack calls visit with the template file and the names of every stack of the cloud assembly in dir,
// nested assemblies (stages) included.
func eachStack(dir string, visit func(file string, stack stackNames) error) error {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return fmt.Errorf("%s is not a cloud assembly: %w", dir, err)
	}
	var manifest struct {
		Artifacts map[string]struct {
			Type        string `json:"type"`
			DisplayName string `json:"displayName"`
			Properties  struct {
				TemplateFile  string `json:"templateFile"`
				DirectoryName string `json:"directoryName"`
				StackName     string `json:"stackName"`
			} `json:"properties"`
		} `json:"artifacts"`
	}
	if err := json.Unmarshal(b, &manifest); err != nil {
		return fmt.Errorf("%s/manifest.json: %w", dir, err)
	}
	for name, a := range manifest.Artifacts {
		switch a.Type {
		case "aws:cloudformation:stack":
			// The CloudFormation name: "stackName … Default: name derived from artifact ID" (cloud assembly
			// schema, AwsCloudFormationStackProperties); aws-cdk-lib writes it for every stack it synthesizes.
			names := stackNames{display: a.DisplayName, cloudFormation: a.Properties.StackName}
			if names.display == "" {
				names.display = name
			}
			if names.cloudFormation == "" {
				names.cloudFormation = name
			}
			if err := visit(filepath.Join(dir, a.Properties.TemplateFile), names); err != nil {
				return err
			}
		case "cdk:cloud-assembly":
			if err := eachStack(filepath.Join(dir, a.Properties.DirectoryName), visit); err != nil {
				return err
			}
		}
	}
	return nil
}

// loadTemplate reads a template, with each resource knowing its logical id.
func loadTemplate(file string) (template, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return template{}, err
	}
	var t template
	if err := json.Unmarshal(b, &t); err != nil {
		return template{}, fmt.Errorf("%s: %w", file, err)
	}
	for id, r := range t.Resources {
		r.id = id
		t.Resources[id] = r
	}
	return t, nil
}

func readTemplate(file string, stack stackNames) ([]Deployment, error) {
	t, err := loadTemplate(file)
	if err != nil {
		return nil, err
	}
	var out []Deployment
	for _, alias := range t.Resources {
		if alias.Type != "AWS::Lambda::Alias" {
			continue
		}
		update, _ := alias.UpdatePolicy["CodeDeployLambdaAliasUpdate"].(map[string]interface{})
		groupID := ref(update["DeploymentGroupName"])
		group, ok := t.Resources[groupID]
		if !ok {
			continue
		}
		d := Deployment{
			Path:              strings.TrimSuffix(alias.path(), "/Alias"),
			Stack:             stack.display,
			StackName:         stack.cloudFormation,
			Function:          t.Resources[ref(alias.Properties["FunctionName"])].path(),
			FunctionLogicalID: t.Resources[ref(alias.Properties["FunctionName"])].id,
			Alias:             fmt.Sprint(alias.Properties["Name"]),
		}
		d.PreHook = t.Resources[ref(update["BeforeAllowTrafficHook"])].path()
		d.PostHook = t.Resources[ref(update["AfterAllowTrafficHook"])].path()
		d.strategy, d.Config, err = readStrategy(t, group.Properties["DeploymentConfigName"])
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", file, d.Path, err)
		}
		d.Strategy = d.strategy.String()
		for _, s := range d.strategy.Steps() {
			d.Timeline = append(d.Timeline, Step{At: s.At, AtSeconds: s.At.Seconds(), Percent: s.Percent})
		}
		if _, ok := alias.Metadata["aws:cdk:path"]; !ok {
			return nil, fmt.Errorf("%s: no construct paths in the template metadata: synthesize with the CDK CLI "+
				"(or the context aws:cdk:enable-path-metadata=true)", file)
		}
		d.Alarms = []Alarm{}
		cfg, _ := group.Properties["AlarmConfiguration"].(map[string]interface{})
		d.AlarmsEnabled, _ = cfg["Enabled"].(bool)
		list, _ := cfg["Alarms"].([]interface{})
		for _, a := range list {
			m, _ := a.(map[string]interface{})
			d.Alarms = append(d.Alarms, groupAlarm(t, m["Name"]))
		}
		sort.Slice(d.Alarms, func(i, j int) bool { // the template's alarms by path, then those attached by name
			ai, aj := d.Alarms[i], d.Alarms[j]
			if (ai.Path == "") != (aj.Path == "") {
				return aj.Path == ""
			}
			if ai.Path != aj.Path {
				return ai.Path < aj.Path
			}
			return ai.Name < aj.Name
		})
		d.Detection = detection(d.Path, d.Alarms, d.AlarmsEnabled)
		d.DetectionSeconds = d.Detection.Seconds()
		d.Exposure = 100
		if d.Detection > 0 && d.strategy.Kind() != strategy.KindAllAtOnce {
			d.Exposure = d.strategy.ShareAt(d.Detection)
		}
		out = append(out, d)
	}
	return out, nil
}

// readStrategy turns a group's DeploymentConfigName (a predefined name or a Ref to a config) into a Strategy.
func readStrategy(t template, v interface{}) (strategy.Strategy, string, error) {
	if name, ok := v.(string); ok {
		for _, s := range strategy.Predefined() {
			if s.PredefinedName() == name {
				return s, name, nil
			}
		}
		return strategy.Strategy{}, "", fmt.Errorf("unknown deployment config %q", name)
	}
	cfg, ok := t.Resources[ref(v)]
	if !ok {
		return strategy.Strategy{}, "", fmt.Errorf("deployment config %v is not in the template", v)
	}
	routing, _ := cfg.Properties["TrafficRoutingConfig"].(map[string]interface{})
	num := func(m map[string]interface{}, k string) float64 { f, _ := m[k].(float64); return f }
	switch routing["Type"] {
	case "TimeBasedCanary":
		c, _ := routing["TimeBasedCanary"].(map[string]interface{})
		return strategy.Canary(int(num(c, "CanaryPercentage")), time.Duration(num(c, "CanaryInterval"))*time.Minute), "", nil
	case "TimeBasedLinear":
		l, _ := routing["TimeBasedLinear"].(map[string]interface{})
		return strategy.Linear(int(num(l, "LinearPercentage")), time.Duration(num(l, "LinearInterval"))*time.Minute), "", nil
	case "AllAtOnce":
		return strategy.AllAtOnce, "", nil
	}
	return strategy.Strategy{}, "", fmt.Errorf("unsupported traffic routing %v", routing["Type"])
}

// groupAlarm describes one entry of a deployment group's AlarmConfiguration.Alarms by its Name: a Ref to an alarm
// of the template is read in full; anything else is an alarm the template does not define, listed by name with
// its timing unknown. CDK renders an alarm imported by name (awscloudwatch.Alarm_FromAlarmName) or by ARN as its
// name, a plain string; an alarm of another stack as Fn::ImportValue.
func groupAlarm(t template, name interface{}) Alarm {
	if res, ok := t.Resources[ref(name)]; ok {
		if res.Type != "AWS::CloudWatch::Alarm" { // a composite alarm has no period of its own
			return Alarm{Path: res.path(), TimingUnknown: true}
		}
		return readAlarm(res)
	}
	a := Alarm{TimingUnknown: true}
	if s, ok := name.(string); ok {
		a.Name = s
	} else {
		b, _ := json.Marshal(name)
		a.Name = string(b)
	}
	return a
}

func readAlarm(r resource) Alarm {
	a := Alarm{Path: r.path(), Period: time.Minute}
	if p, ok := r.Properties["Period"].(float64); ok {
		a.Period = time.Duration(p) * time.Second
	}
	if metrics, ok := r.Properties["Metrics"].([]interface{}); ok {
		for _, m := range metrics {
			stat, _ := m.(map[string]interface{})["MetricStat"].(map[string]interface{})
			if p, ok := stat["Period"].(float64); ok {
				a.Period = time.Duration(p) * time.Second
				break
			}
		}
	}
	a.EvaluationPeriods = 1
	if n, ok := r.Properties["EvaluationPeriods"].(float64); ok {
		a.EvaluationPeriods = int(n)
	}
	a.Datapoints = a.EvaluationPeriods
	if n, ok := r.Properties["DatapointsToAlarm"].(float64); ok {
		a.Datapoints = int(n)
	}
	a.PeriodSeconds = a.Period.Seconds()
	return a
}

// detection is the constructs' rule (alarms.GreenAlarms.DetectionTime): the fastest of the deployment's green
// error alarms, <deployment>/GreenAlarms/ErrorRate and …/RelativeErrorRate; 0 when neither is on, or when alarm
// monitoring is off.
func detection(deployment string, list []Alarm, enabled bool) time.Duration {
	if !enabled {
		return 0
	}
	var d time.Duration
	for _, a := range list {
		if a.Path != deployment+"/GreenAlarms/ErrorRate" && a.Path != deployment+"/GreenAlarms/RelativeErrorRate" {
			continue
		}
		if t := alarms.DetectionTime(a.Period, a.Datapoints); d == 0 || t < d {
			d = t
		}
	}
	return d
}

func ref(v interface{}) string {
	m, _ := v.(map[string]interface{})
	s, _ := m["Ref"].(string)
	return s
}
