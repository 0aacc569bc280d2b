// Package plan reads a synthesized cloud assembly (cdk.out) and describes every blue/green deployment in it:
// function, alias, strategy, traffic timeline, rollback alarms (CloudWatch name, metric, condition, detection
// time), hooks, provisioned concurrency, the worst-case detection time and exposure, and how long the deployment
// and its stack take to reach full traffic, computed with the same formulas the constructs use at synth
// (alarms.DetectionTime, bake.SlowerThanBake, strategy.ShareAt). Functions of a service with the same plan are
// grouped (Groups).
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
	"github.com/safeship/lambda-bluegreen/internal/bake"
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
	// DetectionAdvice is the warning synth gives (lambda-bluegreen:detection, bake.DetectionAdvice) when green can
	// reach more traffic than the strategy's first step before a green error alarm can fire; "" when it cannot,
	// under all-at-once, or with alarm monitoring off.
	DetectionAdvice string `json:"detectionAdvice,omitempty"`

	// PreHookTiming and PostHookTiming say how long the hooks can hold the deployment; nil without the hook, or
	// for a hook the template does not define.
	PreHookTiming  *HookTiming `json:"preTrafficHookTiming,omitempty"`
	PostHookTiming *HookTiming `json:"postTrafficHookTiming,omitempty"`
	// ProvisionedConcurrency is what the deployment declares for its alias; nil for none.
	ProvisionedConcurrency *ProvisionedConcurrency `json:"provisionedConcurrency,omitempty"`
	// Shift is how long the traffic shift lasts (the strategy's TotalDuration). ToFullTraffic is the worst case
	// from the deployment's start to green with all the traffic: the pre-traffic hook's timeout (provisioned
	// concurrency wait included), then the shift. ToComplete adds the post-traffic hook's timeout: the deployment,
	// and the alias's update in CloudFormation, end then. CodeDeploy's own overhead is not counted.
	Shift                time.Duration `json:"-"`
	ShiftSeconds         float64       `json:"shiftSeconds"`
	ToFullTraffic        time.Duration `json:"-"`
	ToFullTrafficSeconds float64       `json:"toFullTrafficSeconds"`
	ToComplete           time.Duration `json:"-"`
	ToCompleteSeconds    float64       `json:"toCompleteSeconds"`
	// WaitsFor are the deployments of the same stack that CloudFormation must finish first (the alias depends on
	// theirs, directly or through other resources); Start is when this one starts, worst case, counted from the
	// start of the stack's first deployments.
	WaitsFor     []string      `json:"waitsFor,omitempty"`
	Start        time.Duration `json:"-"`
	StartSeconds float64       `json:"startSeconds"`

	strategy strategy.Strategy
	aliasID  string
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
	Path string `json:"path"`
	// Name is the alarm's CloudWatch name, the one CodeDeploy, bluegreen watch and the notifications use, as far
	// as it is known offline; NameSource says where it comes from (NameLiteral, NameAtDeploy: parts in braces are
	// known at deploy, NameGenerated: CloudFormation generates it at deploy and Name is ""). For an alarm the
	// template does not define, it is how the deployment group names it: its name as a plain string (an alarm
	// imported with awscloudwatch.Alarm_FromAlarmName or Alarm_FromAlarmArn) or, for a value only known at deploy
	// time (a reference to another stack, a parameter), that value with its unknown parts in braces.
	Name       string `json:"name,omitempty"`
	NameSource string `json:"nameSource"`
	// LogicalID is the alarm's logical id in the template ("" for an alarm the template does not define): with
	// NameGenerated, CloudFormation's stack resources give its name by this id.
	LogicalID string `json:"logicalId,omitempty"`
	// Metric is what a metric alarm of the template reads; nil for any other alarm.
	Metric *AlarmMetric `json:"metric,omitempty"`
	// Threshold (or ThresholdMetricID, the metric math band an anomaly detection alarm compares with) and
	// Comparison (CloudWatch's ComparisonOperator) say when a datapoint breaches.
	Threshold         *float64 `json:"threshold,omitempty"`
	ThresholdMetricID string   `json:"thresholdMetricId,omitempty"`
	Comparison        string   `json:"comparison,omitempty"`
	// Rule is a composite alarm's rule, as far as it is known offline.
	Rule          string        `json:"rule,omitempty"`
	Period        time.Duration `json:"-"`
	PeriodSeconds float64       `json:"periodSeconds"`
	// Datapoints of the newest EvaluationPeriods must breach for the alarm to fire (M of N).
	Datapoints        int `json:"datapoints"`
	EvaluationPeriods int `json:"evaluationPeriods"`
	// TimingUnknown is true when the alarm's period and datapoints cannot be read from the template (an alarm
	// attached by name, a composite alarm); Period, Datapoints and EvaluationPeriods are 0 then.
	TimingUnknown bool `json:"timingUnknown,omitempty"`
	// Detection is the alarm's worst-case time from a fully broken green to CodeDeploy stopping the deployment,
	// as synth counts it (alarms.Timing.DetectionTime: Datapoints × Period + alarms.MetricLag +
	// alarms.AlarmCheckDelay); 0 when its timing is unknown.
	Detection        time.Duration `json:"-"`
	DetectionSeconds float64       `json:"detectionSeconds,omitempty"`
	// SlowerThanBake is true when Detection is longer than the strategy gives green before it takes all the
	// traffic, the rule synth warns about (bake.SlowerThanBake); never under all-at-once or with monitoring off.
	SlowerThanBake bool `json:"slowerThanBake,omitempty"`
}

// StrategyValue returns the deployment's strategy.
func (d Deployment) StrategyValue() strategy.Strategy { return d.strategy }

type template struct {
	Resources map[string]resource `json:"Resources"`
	// dir is the template's folder; root the cloud assembly's (its assets may be there, for a nested assembly).
	dir, root string
}

type resource struct {
	id           string
	Type         string                 `json:"Type"`
	Properties   map[string]interface{} `json:"Properties"`
	UpdatePolicy map[string]interface{} `json:"UpdatePolicy"`
	Metadata     map[string]interface{} `json:"Metadata"`
	DependsOn    interface{}            `json:"DependsOn"`
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
		ds, err := readTemplate(dir, file, stack)
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
	t.dir = filepath.Dir(file)
	return t, nil
}

func readTemplate(root, file string, stack stackNames) ([]Deployment, error) {
	t, err := loadTemplate(file)
	if err != nil {
		return nil, err
	}
	t.root = filepath.Clean(root)
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
		function := t.Resources[ref(alias.Properties["FunctionName"])]
		d := Deployment{
			aliasID:           alias.id,
			Path:              strings.TrimSuffix(alias.path(), "/Alias"),
			Stack:             stack.display,
			StackName:         stack.cloudFormation,
			Function:          t.Resources[ref(alias.Properties["FunctionName"])].path(),
			FunctionLogicalID: t.Resources[ref(alias.Properties["FunctionName"])].id,
			Alias:             fmt.Sprint(alias.Properties["Name"]),
		}
		d.PreHook = t.Resources[ref(update["BeforeAllowTrafficHook"])].path()
		d.PostHook = t.Resources[ref(update["AfterAllowTrafficHook"])].path()
		d.PreHookTiming = hookTiming(t, ref(update["BeforeAllowTrafficHook"]), function)
		d.PostHookTiming = hookTiming(t, ref(update["AfterAllowTrafficHook"]), function)
		d.ProvisionedConcurrency = provisionedConcurrency(t, alias)
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
			a := groupAlarm(t, stack.cloudFormation, m["Name"])
			timeAlarm(&a, d.strategy, d.AlarmsEnabled && !greenErrorAlarm(d.Path, a.Path))
			d.Alarms = append(d.Alarms, a)
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
			d.DetectionAdvice = bake.DetectionAdvice(d.strategy, d.Detection)
		}
		timeDeployment(&d)
		out = append(out, d)
	}
	var aliases []string
	for _, d := range out {
		aliases = append(aliases, d.aliasID)
	}
	waits := waitsFor(t, aliases)
	byAlias := map[string]string{}
	for _, d := range out {
		byAlias[d.aliasID] = d.Path
	}
	for i := range out {
		for _, a := range waits[out[i].aliasID] {
			out[i].WaitsFor = append(out[i].WaitsFor, byAlias[a])
		}
		sort.Strings(out[i].WaitsFor)
	}
	schedule(out)
	return out, nil
}

// readStrategy turns a group's DeploymentConfigName (a predefined name or a Ref to a config) into a Strategy.
func readStrategy(t template, v interface{}) (strategy.Strategy, string, error) {
	if name, ok := v.(string); ok {
		if s, err := strategy.ByName(name); err == nil && s.PredefinedName() == name {
			return s, name, nil
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

// detection is the constructs' rule (alarms.GreenAlarms.DetectionTime): the fastest of the deployment's green
// error alarms, <deployment>/GreenAlarms/ErrorRate and …/RelativeErrorRate; 0 when neither is on, or when alarm
// monitoring is off.
func detection(deployment string, list []Alarm, enabled bool) time.Duration {
	if !enabled {
		return 0
	}
	var d time.Duration
	for _, a := range list {
		if !greenErrorAlarm(deployment, a.Path) || a.TimingUnknown {
			continue
		}
		if t := alarms.DetectionTime(a.Period, a.Datapoints); d == 0 || t < d {
			d = t
		}
	}
	return d
}

// greenErrorAlarm reports whether the alarm at path is one of the deployment's green error alarms,
// <deployment>/GreenAlarms/ErrorRate or …/RelativeErrorRate: synth weighs them against each step of the strategy
// (bake.DetectionAdvice), not against its bake (bake.SlowerThanBake), and so does plan.
func greenErrorAlarm(deployment, path string) bool {
	return path == deployment+"/GreenAlarms/ErrorRate" || path == deployment+"/GreenAlarms/RelativeErrorRate"
}

func ref(v interface{}) string {
	m, _ := v.(map[string]interface{})
	s, _ := m["Ref"].(string)
	return s
}
