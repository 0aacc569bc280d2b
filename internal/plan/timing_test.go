package plan

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// serviceDeployment is the deployment S/Svc/<id> of a service: its function (tagged with its key for a shared
// pre-traffic hook), alias and group with config; pre is the logical id of its pre-traffic hook ("" for none),
// after the logical id of another alias this one depends on ("" for none), alarms the logical ids of its alarms.
func serviceDeployment(id, config, pre, after string, alarms ...string) string {
	var refs []string
	for _, a := range alarms {
		refs = append(refs, `{"Name":{"Ref":"`+a+`"}}`)
	}
	update := `"DeploymentGroupName":{"Ref":"` + id + `Group"}`
	if pre != "" {
		update += `,"BeforeAllowTrafficHook":{"Ref":"` + pre + `"}`
	}
	deps := ""
	if after != "" {
		deps = `,"DependsOn":["` + after + `"]`
	}
	return `"` + id + `Fn":{"Type":"AWS::Lambda::Function","Metadata":{"aws:cdk:path":"S/Svc/` + id + `/Function/Resource"},` +
		`"Properties":{"Tags":[{"Key":"lambda-bluegreen:pre-traffic-tests","Value":"` + id + `"}]}},` +
		`"` + id + `Version":{"Type":"AWS::Lambda::Version","Properties":{"FunctionName":{"Ref":"` + id + `Fn"}}},` +
		`"` + id + `Alias":{"Type":"AWS::Lambda::Alias","Metadata":{"aws:cdk:path":"S/Svc/` + id + `/Alias/Resource"},` +
		`"Properties":{"Name":"live","FunctionName":{"Ref":"` + id + `Fn"}},` +
		`"UpdatePolicy":{"CodeDeployLambdaAliasUpdate":{` + update + `}}` + deps + `},` +
		`"` + id + `Group":{"Type":"AWS::CodeDeploy::DeploymentGroup","Properties":{"DeploymentConfigName":"` + config + `",` +
		`"AlarmConfiguration":{"Enabled":true,"Alarms":[` + strings.Join(refs, ",") + `]}}}`
}

// errorsAlarm is an alarm of S/Svc/<deployment> on AWS/Lambda Errors (Sum per minute) named like the green alarms
// (the stack's name, then green's version), firing at ≥ 1 error in datapoints of evaluate minutes.
func errorsAlarm(logicalID, deployment, name string, evaluate, datapoints int) string {
	return `"` + logicalID + `":{"Type":"AWS::CloudWatch::Alarm","Metadata":{"aws:cdk:path":"S/Svc/` + deployment + `/Alarms/` + name + `/Resource"},` +
		`"Properties":{"AlarmName":{"Fn::Join":["",[{"Ref":"AWS::StackName"},"-` + name + `-v",{"Fn::GetAtt":["` + deployment + `Version","Version"]}]]},` +
		`"Namespace":"AWS/Lambda","MetricName":"Errors","Statistic":"Sum","Period":60,"Threshold":1,` +
		`"ComparisonOperator":"GreaterThanOrEqualToThreshold","EvaluationPeriods":` + strconv.Itoa(evaluate) +
		`,"DatapointsToAlarm":` + strconv.Itoa(datapoints) + `}}`
}

func readOne(t *testing.T, dir string) []Deployment {
	t.Helper()
	ds, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// An alarm that needs longer to stop a deployment than the strategy bakes is flagged, as synth warns about it
// (bluegreen.BakeAdvice): 5 datapoints of a minute + 2 minutes of lag + 1 minute for CodeDeploy = 8 minutes,
// longer than Canary10Percent5Minutes's 5; 1 datapoint (4 minutes) is not. Under all-at-once nothing is flagged.
func TestAlarmSlowerThanBakeIsFlagged(t *testing.T) {
	dir := writeAssembly(t, serviceDeployment("A", "CodeDeployDefault.LambdaCanary10Percent5Minutes", "", "", "Slow", "Fast")+","+
		errorsAlarm("Slow", "A", "Slow", 5, 5)+","+errorsAlarm("Fast", "A", "Fast", 3, 1)+","+
		serviceDeployment("B", "CodeDeployDefault.LambdaAllAtOnce", "", "", "SlowB")+","+errorsAlarm("SlowB", "B", "SlowB", 5, 5))
	ds := readOne(t, dir)
	if len(ds) != 2 || len(ds[0].Alarms) != 2 || len(ds[1].Alarms) != 1 {
		t.Fatalf("deployments: %+v", ds)
	}
	fast, slow := ds[0].Alarms[0], ds[0].Alarms[1]
	if slow.Path != "S/Svc/A/Alarms/Slow" || !slow.SlowerThanBake || slow.Detection != 8*time.Minute {
		t.Errorf("slow alarm: %+v", slow)
	}
	if fast.SlowerThanBake || fast.Detection != 4*time.Minute {
		t.Errorf("fast alarm: %+v", fast)
	}
	if ds[1].Alarms[0].SlowerThanBake {
		t.Errorf("all-at-once has no bake, yet: %+v", ds[1].Alarms[0])
	}
	// The name the group knows the alarm by: the stack's name is known offline, green's version at deploy.
	if slow.Name != "S-Slow-v{version}" || slow.NameSource != NameAtDeploy {
		t.Errorf("name %q (%s)", slow.Name, slow.NameSource)
	}
	if slow.Metric == nil || slow.Metric.String() != "AWS/Lambda Errors (Sum, 1m0s)" || slow.Condition() != "≥ 1" {
		t.Errorf("metric %v, condition %q", slow.Metric, slow.Condition())
	}
	text := Text(ds)
	for _, want := range []string{
		"S/Svc/A/Alarms/Slow: 5 of 5 × 1m0s, detects within 8m0s: SLOWER THAN THE 5m0s BAKE",
		"S/Svc/A/Alarms/Fast: 1 of 3 × 1m0s, detects within 4m0s (bake 5m0s)",
		"      name       S-Slow-v{version}\n", "      metric     AWS/Lambda Errors (Sum, 1m0s)\n", "      breaches   ≥ 1\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("plan lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(Summary(ds), "1 (1 slow)") && !strings.Contains(Summary(ds), "2 (1 slow)") {
		t.Errorf("the summary does not count the slow alarm:\n%s", Summary(ds))
	}
}

// Functions of a service with the same plan are shown once, with their count and names; one that differs (another
// strategy) has a block of its own. Each function's alarm names differ, and do not keep them apart.
func TestIdenticalFunctionsAreGrouped(t *testing.T) {
	canary := "CodeDeployDefault.LambdaCanary10Percent5Minutes"
	var members []string
	for _, id := range []string{"A", "B", "C"} {
		members = append(members, serviceDeployment(id, canary, "", "", id+"Err"), errorsAlarm(id+"Err", id, "Err", 4, 1))
	}
	members = append(members, serviceDeployment("D", "CodeDeployDefault.LambdaLinear10PercentEvery1Minute", "", "", "DErr"),
		errorsAlarm("DErr", "D", "Err", 4, 1))
	ds := readOne(t, writeAssembly(t, strings.Join(members, ",")))
	if len(ds) != 4 {
		t.Fatalf("want 4 deployments, got %d", len(ds))
	}
	groups := Groups(ds)
	if len(groups) != 1 || groups[0].Parent != "S/Svc" || strings.Join(groups[0].Names(), ",") != "A,B,C" {
		t.Fatalf("groups: %+v", groups)
	}
	text := Text(ds)
	for _, want := range []string{"S/Svc: 3 functions with the same plan (stack S)\n", "  functions  A, B, C\n",
		"  function   S/Svc/<each>/Function\n", "S/Svc/<each>/Alarms/Err: 1 of 4 × 1m0s", "S/Svc/D (stack S)\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("plan lacks %q:\n%s", want, text)
		}
	}
	if n := strings.Count(text, "  strategy   "); n != 2 {
		t.Errorf("want 2 blocks (the group and D), got %d:\n%s", n, text)
	}
	// The summary keeps one line per deployment.
	if n := strings.Count(Summary(ds), "\n"); n != 5 {
		t.Errorf("summary of %d lines:\n%s", n, Summary(ds))
	}
	if r := NewReport(ds, nil); len(r.Groups) != 1 || len(r.Deployments) != 4 || r.Switches == nil || len(r.Stacks) != 1 {
		t.Errorf("report: %+v", r)
	}
}

// A function with provisioned concurrency whose pre-traffic hook (this library's: its config.json in the
// assembly) waits for it counts the hook's timeout before the shift: 5 minutes + Canary10Percent5Minutes = 10
// minutes to full traffic. A shared hook waits for a function's own provisioned concurrency (its target key);
// a function whose provisioned concurrency no hook checks is told so.
func TestProvisionedConcurrencyReadinessIsCounted(t *testing.T) {
	canary := "CodeDeployDefault.LambdaCanary10Percent5Minutes"
	hook := `"Hook":{"Type":"AWS::Lambda::Function","Metadata":{"aws:cdk:path":"S/Svc/PreTrafficHook/Function/Resource"},` +
		`"Properties":{"Timeout":300,"Code":{"S3Key":"hookcode.zip"}}}`
	pc := func(id string, n int) string {
		return `"` + id + `Scaling":{"Type":"AWS::ApplicationAutoScaling::ScalableTarget","DependsOn":["` + id + `Alias"],` +
			`"Metadata":{"aws:cdk:path":"S/Svc/` + id + `/Alias/AliasScaling/Target/Resource"},"Properties":{"MinCapacity":` +
			strconv.Itoa(n) + `,"MaxCapacity":` + strconv.Itoa(n) + `,"ScalableDimension":"lambda:function:ProvisionedConcurrency"}}`
	}
	dir := writeAssembly(t, strings.Join([]string{hook,
		serviceDeployment("A", canary, "Hook", ""), pc("A", 5),
		serviceDeployment("B", canary, "Hook", ""), pc("B", 3),
		serviceDeployment("C", canary, "Hook", "")}, ","))
	if err := os.MkdirAll(filepath.Join(dir, "asset.hookcode"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := `{"phase":"pre-traffic","targets":{"A":{"provisionedConcurrency":{"min":5,"max":5}},"C":{}}}`
	if err := os.WriteFile(filepath.Join(dir, "asset.hookcode", "config.json"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	ds := readOne(t, dir)
	if len(ds) != 3 {
		t.Fatalf("want 3 deployments, got %d", len(ds))
	}
	a, b, c := ds[0], ds[1], ds[2]
	if a.ProvisionedConcurrency == nil || *a.ProvisionedConcurrency != (ProvisionedConcurrency{Min: 5, Max: 5}) ||
		a.PreHookTiming == nil || !a.PreHookTiming.Library || !a.PreHookTiming.WaitsForProvisionedConcurrency ||
		a.PreHookTiming.Timeout != 5*time.Minute {
		t.Fatalf("A: provisioned concurrency %+v, pre-traffic hook %+v", a.ProvisionedConcurrency, a.PreHookTiming)
	}
	if a.Shift != 5*time.Minute || a.ToFullTraffic != 10*time.Minute || a.ToComplete != 10*time.Minute {
		t.Errorf("A: shift %v, full traffic %v, complete %v; want 5m0s, 10m0s, 10m0s", a.Shift, a.ToFullTraffic, a.ToComplete)
	}
	if b.ProvisionedConcurrency == nil || b.PreHookTiming == nil || b.PreHookTiming.WaitsForProvisionedConcurrency {
		t.Errorf("B declares provisioned concurrency that the hook does not check: %+v, %+v", b.ProvisionedConcurrency, b.PreHookTiming)
	}
	if c.ProvisionedConcurrency != nil || c.PreHookTiming.WaitsForProvisionedConcurrency {
		t.Errorf("C has no provisioned concurrency: %+v, %+v", c.ProvisionedConcurrency, c.PreHookTiming)
	}
	text := Text(ds)
	for _, want := range []string{
		"  capacity   provisioned concurrency 5: the pre-traffic hook waits for it to be READY before any traffic shifts\n",
		"  100 % at   10m0s worst case: pre-traffic hook ≤ 5m0s (its timeout, provisioned concurrency READY wait included) + shift 5m0s\n",
		"  capacity   provisioned concurrency 3: nothing waits for it before traffic shifts",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("plan lacks %q:\n%s", want, text)
		}
	}
}

// Deployments of one stack run in parallel unless an alias depends on another (directly or through other
// resources): then it starts when the other has ended, and the stack's total is the chain's.
func TestStackTotalFollowsDependencies(t *testing.T) {
	canary := "CodeDeployDefault.LambdaCanary10Percent5Minutes"
	linear := "CodeDeployDefault.LambdaLinear10PercentEvery1Minute" // 9 minutes
	dir := writeAssembly(t, strings.Join([]string{
		serviceDeployment("A", linear, "", ""),
		serviceDeployment("B", canary, "", "Between"),
		`"Between":{"Type":"AWS::IAM::Policy","Properties":{"Roles":[{"Fn::Sub":"${AAlias}-role"}]}}`,
		serviceDeployment("C", canary, "", ""),
	}, ","))
	ds := readOne(t, dir)
	if len(ds) != 3 || strings.Join(ds[1].WaitsFor, ",") != "S/Svc/A" || len(ds[0].WaitsFor)+len(ds[2].WaitsFor) != 0 {
		t.Fatalf("waits: %+v", ds)
	}
	if ds[1].Start != 9*time.Minute {
		t.Errorf("B starts at %v, want 9m0s (after A's shift)", ds[1].Start)
	}
	sts := Stacks(ds)
	if len(sts) != 1 || sts[0].Parallel || sts[0].FullTraffic != 14*time.Minute || sts[0].Last != "S/Svc/B" {
		t.Errorf("stack: %+v", sts)
	}
	if text := StackText(sts); !strings.Contains(text, "S      3, some in series  14m0s") {
		t.Errorf("stack text:\n%s", text)
	}
}

// The green error alarms are weighed as synth weighs them: against each step of the strategy
// (bake.DetectionAdvice, the lambda-bluegreen:detection warning), not against its bake. Under
// Linear10PercentEvery1Minute a 4-minute detection lets green reach 50 % of traffic: the deployment carries synth's
// warning although 4 minutes is within the 9-minute schedule; under a 3-minute canary the error alarm is not flagged
// slower than the bake (synth's alarmSlowerThanBake skips it) but the deployment carries the warning.
func TestGreenErrorAlarmsAreWeighedAgainstTheSteps(t *testing.T) {
	green := func(id, deployment string) string {
		return strings.Replace(errorsAlarm(id, deployment, "x", 4, 1), `/Alarms/x/Resource`, `/GreenAlarms/ErrorRate/Resource`, 1)
	}
	dir := writeAssembly(t, serviceDeployment("A", "CodeDeployDefault.LambdaLinear10PercentEvery1Minute", "", "", "AErr")+","+
		green("AErr", "A")+","+
		strings.Replace(serviceDeployment("B", "x", "", "", "BErr"), `"DeploymentConfigName":"x"`, `"DeploymentConfigName":{"Ref":"Canary3"}`, 1)+","+
		green("BErr", "B")+","+
		`"Canary3":{"Type":"AWS::CodeDeploy::DeploymentConfig","Properties":{"ComputePlatform":"Lambda","TrafficRoutingConfig":`+
		`{"Type":"TimeBasedCanary","TimeBasedCanary":{"CanaryPercentage":10,"CanaryInterval":3}}}},`+
		serviceDeployment("C", "CodeDeployDefault.LambdaCanary10Percent5Minutes", "", "", "CErr")+","+green("CErr", "C"))
	ds := readOne(t, dir)
	if len(ds) != 3 {
		t.Fatalf("deployments: %+v", ds)
	}
	for _, d := range ds {
		if len(d.Alarms) != 1 || d.Alarms[0].SlowerThanBake || d.Detection != 4*time.Minute {
			t.Errorf("%s: %+v (detection %v)", d.Path, d.Alarms, d.Detection)
		}
	}
	if a := ds[0].DetectionAdvice; !strings.Contains(a, "reach 50 % of traffic") {
		t.Errorf("linear every minute: advice %q", a)
	}
	if a := ds[1].DetectionAdvice; !strings.Contains(a, "bakes the canary for 3m0s") {
		t.Errorf("3-minute canary: advice %q", a)
	}
	if a := ds[2].DetectionAdvice; a != "" {
		t.Errorf("5-minute canary: advice %q, want none", a)
	}
	if text := Text(ds); !strings.Contains(text, "  WARNING    Linear10PercentEvery1Minute lets a broken green reach 50 %") {
		t.Errorf("plan does not show synth's warning:\n%s", text)
	}
}

// A value known only at deploy is not guessed: an alarm whose period or evaluation periods is a Ref has an unknown
// timing (and counts for no detection), and a hook whose timeout is a Ref counts Lambda's maximum, 15 minutes.
func TestValuesKnownOnlyAtDeployAreNotGuessed(t *testing.T) {
	alarm := strings.Replace(errorsAlarm("Err", "A", "x", 4, 1), `/Alarms/x/Resource`, `/GreenAlarms/ErrorRate/Resource`, 1)
	alarm = strings.Replace(alarm, `"Period":60`, `"Period":{"Ref":"PeriodParameter"}`, 1)
	other := strings.Replace(errorsAlarm("Other", "A", "Other", 4, 1), `"EvaluationPeriods":4`, `"EvaluationPeriods":{"Ref":"N"}`, 1)
	hook := `"Hook":{"Type":"AWS::Lambda::Function","Properties":{"Timeout":{"Ref":"HookTimeout"}}}`
	dir := writeAssembly(t, serviceDeployment("A", "CodeDeployDefault.LambdaCanary10Percent5Minutes", "Hook", "", "Err", "Other")+","+
		alarm+","+other+","+hook)
	ds := readOne(t, dir)
	if len(ds) != 1 || len(ds[0].Alarms) != 2 {
		t.Fatalf("deployments: %+v", ds)
	}
	d := ds[0]
	for _, a := range d.Alarms {
		if !a.TimingUnknown || a.Detection != 0 || a.SlowerThanBake {
			t.Errorf("alarm %s: %+v", a.Path, a)
		}
	}
	if d.Detection != 0 || d.Exposure != 100 {
		t.Errorf("detection %v, exposure %g: a timing known only at deploy counted", d.Detection, d.Exposure)
	}
	if h := d.PreHookTiming; h == nil || !h.TimeoutUnknown || h.Timeout != 15*time.Minute || d.ToFullTraffic != 20*time.Minute {
		t.Errorf("hook %+v, to full traffic %v", h, d.ToFullTraffic)
	}
	text := Text(ds)
	for _, want := range []string{"timing unknown (its period or datapoints are known only at deploy)",
		"pre-traffic hook ≤ 15m0s (its timeout is known only at deploy: Lambda's maximum"} {
		if !strings.Contains(text, want) {
			t.Errorf("plan lacks %q:\n%s", want, text)
		}
	}
}

// Functions that share an alarm defined outside their paths group although the shared alarm sorts before the
// function's own alarm for one (S/Svc/Common… < S/Svc/Z…) and after it for another (S/Svc/A… < S/Svc/Common…).
func TestFunctionsSharingAnAlarmAreGrouped(t *testing.T) {
	canary := "CodeDeployDefault.LambdaCanary10Percent5Minutes"
	var members []string
	for _, id := range []string{"A", "Z"} {
		members = append(members, serviceDeployment(id, canary, "", "", id+"Err", "Shared"), errorsAlarm(id+"Err", id, "Err", 4, 1))
	}
	members = append(members, errorsAlarm("Shared", "Common", "Shared", 3, 1))
	ds := readOne(t, writeAssembly(t, strings.Join(members, ",")))
	if groups := Groups(ds); len(groups) != 1 || strings.Join(groups[0].Names(), ",") != "A,Z" {
		t.Fatalf("groups: %+v", groups)
	}
}
