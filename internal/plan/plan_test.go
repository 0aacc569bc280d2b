package plan

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// writeAssembly writes a cloud assembly of one stack S with the template's resources (JSON object members).
func writeAssembly(t *testing.T, resources string) string {
	t.Helper()
	dir := t.TempDir()
	for file, content := range map[string]string{
		"manifest.json": `{"artifacts":{"S":{"type":"aws:cloudformation:stack","properties":{"templateFile":"S.json"}}}}`,
		"S.json":        `{"Resources":{` + resources + `}}`,
	} {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// deploymentResources is a deployment S/Api whose group uses config and lists the alarms given as
// "logicalId": {…} members.
func deploymentResources(config string, alarms map[string]string) string {
	var refs, defs []string
	for id, def := range alarms {
		refs = append(refs, `{"Name":{"Ref":"`+id+`"}}`)
		defs = append(defs, `"`+id+`":`+def)
	}
	return `"Fn":{"Type":"AWS::Lambda::Function","Metadata":{"aws:cdk:path":"S/Api/Function/Resource"}},` +
		`"Alias":{"Type":"AWS::Lambda::Alias","Metadata":{"aws:cdk:path":"S/Api/Alias/Resource"},` +
		`"Properties":{"Name":"live","FunctionName":{"Ref":"Fn"}},` +
		`"UpdatePolicy":{"CodeDeployLambdaAliasUpdate":{"DeploymentGroupName":{"Ref":"Group"}}}},` +
		`"Group":{"Type":"AWS::CodeDeploy::DeploymentGroup","Properties":{"DeploymentConfigName":"` + config + `",` +
		`"AlarmConfiguration":{"Enabled":true,"Alarms":[` + strings.Join(refs, ",") + `]}}},` +
		strings.Join(defs, ",")
}

// greenAlarm is a green error alarm of S/Api on metric math of period seconds.
func greenAlarm(name string, evaluate, datapoints, period int) string {
	return `{"Type":"AWS::CloudWatch::Alarm","Metadata":{"aws:cdk:path":"S/Api/GreenAlarms/` + name + `/Resource"},` +
		`"Properties":{"EvaluationPeriods":` + strconv.Itoa(evaluate) + `,"DatapointsToAlarm":` + strconv.Itoa(datapoints) + `,` +
		`"Metrics":[{"Id":"e","Expression":"ge / gi"},{"Id":"ge","MetricStat":{"Period":` + strconv.Itoa(period) + `}}]}}`
}

// Exposure is green's share when the alarms can first fire: with Linear10PercentEvery1Minute each minute is a
// step, so a share read at any other time than the detection time shows.
func TestExposureAtTheDetectionTime(t *testing.T) {
	dir := writeAssembly(t, deploymentResources("CodeDeployDefault.LambdaLinear10PercentEvery1Minute", map[string]string{
		"ErrorRate":         greenAlarm("ErrorRate", 4, 1, 60),
		"RelativeErrorRate": greenAlarm("RelativeErrorRate", 5, 2, 60),
	}))
	ds, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 {
		t.Fatalf("want 1 deployment, got %+v", ds)
	}
	d := ds[0]
	// The fastest error alarm: 1 datapoint of 1 minute + 2 minutes of lag + 1 minute for CodeDeploy to see the
	// alarm = 4 minutes; green has 50 % by then (10 % at 0, +10 % each minute).
	if d.Detection != 4*time.Minute || d.Exposure != 50 {
		t.Errorf("detection %v, exposure %g %%: want 4m0s and 50 %%", d.Detection, d.Exposure)
	}
	if len(d.Alarms) != 2 || d.Alarms[0].EvaluationPeriods != 4 || d.Alarms[0].Datapoints != 1 ||
		d.Alarms[1].EvaluationPeriods != 5 || d.Alarms[1].Datapoints != 2 {
		t.Errorf("alarms: %+v", d.Alarms)
	}
	text := Text(ds)
	for _, want := range []string{"S/Api/GreenAlarms/ErrorRate: 1 of 4 × 1m0s", "S/Api/GreenAlarms/RelativeErrorRate: 2 of 5 × 1m0s",
		"detection  4m0s worst case", "exposure   50 % of requests"} {
		if !strings.Contains(text, want) {
			t.Errorf("plan lacks %q:\n%s", want, text)
		}
	}
}

// The summary has a header and one line per deployment, whatever their number.
func TestSummaryOneLinePerDeployment(t *testing.T) {
	var ds []Deployment
	for i := 0; i < 50; i++ {
		ds = append(ds, Deployment{Path: "Svc/Fn" + strconv.Itoa(i), Strategy: "Canary10Percent5Minutes",
			Alarms: make([]Alarm, 4), AlarmsEnabled: true, PreHook: "h", Detection: 4 * time.Minute, Exposure: 10,
			ToFullTraffic: 10 * time.Minute})
	}
	ds[7].PreHook, ds[7].Detection, ds[7].Exposure, ds[7].ToFullTraffic = "", 0, 100, 5*time.Minute
	ds[9].Alarms[2].SlowerThanBake = true
	lines := strings.Split(strings.TrimSuffix(Summary(ds), "\n"), "\n")
	if len(lines) != 51 || strings.Join(strings.Fields(lines[0]), " ") != "DEPLOYMENT STRATEGY ALARMS HOOKS DETECTION EXPOSURE 100 % AT" {
		t.Fatalf("summary:\n%s", Summary(ds))
	}
	if got := strings.Join(strings.Fields(lines[1]), " "); got != "Svc/Fn0 Canary10Percent5Minutes 4 pre 4m0s 10 % 10m0s" {
		t.Errorf("line 1: %q", got)
	}
	if got := strings.Join(strings.Fields(lines[8]), " "); got != "Svc/Fn7 Canary10Percent5Minutes 4 - none 100 % 5m0s" {
		t.Errorf("line 8: %q", got)
	}
	if got := strings.Join(strings.Fields(lines[10]), " "); got != "Svc/Fn9 Canary10Percent5Minutes 4 (1 slow) pre 4m0s 10 % 10m0s" {
		t.Errorf("line 10: %q", got)
	}
	if !strings.HasPrefix(Text(ds), Summary(ds)) {
		t.Errorf("the text starts with the summary")
	}
}

// An alarm attached by name (awscloudwatch.Alarm_FromAlarmName renders its name as a plain string in the group's
// AlarmConfiguration, not a Ref) or from another stack is listed with its timing unknown, not dropped; it does not
// count towards the detection time, which stays that of the green error alarms.
func TestAlarmsAttachedByName(t *testing.T) {
	resources := deploymentResources("CodeDeployDefault.LambdaCanary10Percent5Minutes", map[string]string{
		"ErrorRate": greenAlarm("ErrorRate", 4, 1, 60),
	})
	resources = strings.Replace(resources, `"Alarms":[`,
		`"Alarms":[{"Name":"orders-drop"},{"Name":{"Fn::ImportValue":"Shared:AlarmName"}},`, 1)
	ds, err := Read(writeAssembly(t, resources))
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 {
		t.Fatalf("want 1 deployment, got %+v", ds)
	}
	d := ds[0]
	want := []Alarm{
		{Path: "S/Api/GreenAlarms/ErrorRate", NameSource: NameGenerated, LogicalID: "ErrorRate", Period: time.Minute,
			PeriodSeconds: 60, Datapoints: 1, EvaluationPeriods: 4, Detection: 4 * time.Minute, DetectionSeconds: 240},
		{Name: "orders-drop", NameSource: NameLiteral, TimingUnknown: true},
		{Name: "{import Shared:AlarmName}", NameSource: NameAtDeploy, TimingUnknown: true},
	}
	if len(d.Alarms) != len(want) {
		t.Fatalf("alarms: got %+v, want %+v", d.Alarms, want)
	}
	for i := range want {
		got := d.Alarms[i]
		got.Metric, got.Threshold = nil, nil
		if got != want[i] {
			t.Errorf("alarm %d: got %+v, want %+v", i, got, want[i])
		}
	}
	if d.Detection != 4*time.Minute {
		t.Errorf("detection %v, want 4m0s (the green error alarm's)", d.Detection)
	}
	text := Text(ds)
	for _, want := range []string{"alarms     3, monitoring on\n",
		"orders-drop: attached by name, not defined in this template: timing unknown",
		`{import Shared:AlarmName}: attached by name, not defined in this template: timing unknown`} {
		if !strings.Contains(text, want) {
			t.Errorf("plan lacks %q:\n%s", want, text)
		}
	}
	if got := strings.Join(strings.Fields(strings.Split(Summary(ds), "\n")[1]), " "); got != "S/Api Canary10Percent5Minutes 3 - 4m0s 10 % 5m0s" {
		t.Errorf("summary line %q", got)
	}
}
