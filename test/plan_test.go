package test

import (
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/examples/service"
	"github.com/safeship/lambda-bluegreen/internal/plan"
	"github.com/safeship/lambda-bluegreen/test/testkit"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files of the plan tests")

// The plan of the example app's cloud assembly matches the golden output (go test ./test -run TestPlan -update
// rewrites it after a deliberate change).
func TestPlanOfTheExampleApp(t *testing.T) {
	// The CLI asks for construct paths in the template metadata; the shared synth of the example has them
	// (sharedExampleContext).
	app, _ := sharedExample(t)
	dir := *app.Synth(nil).Directory()
	ds, err := plan.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	ss, err := plan.ReadSwitches(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := plan.Text(ds) + plan.SwitchText(ss)
	golden := filepath.Join("testdata", "plan.golden")
	if *updateGolden {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("plan output differs from %s:\n--- got\n%s\n--- want\n%s", golden, got, want)
	}
	if len(ds) != 6+service.FleetSize {
		t.Fatalf("want the %d deployments of the example (2 stacks, 2 pipeline stages, 2 environments, the fleet), got %d",
			6+service.FleetSize, len(ds))
	}
	// The fleet's functions have the same plan and are shown once; every hook is the library's (its configuration
	// found in the assembly, nested ones included), so each deployment's time to full traffic counts its timeout.
	if gs := plan.Groups(ds); len(gs) != 1 || gs[0].Parent != "BlueGreenFleet/Shop" || len(gs[0].Deployments) != service.FleetSize {
		t.Errorf("want the fleet as one group of %d, got %+v", service.FleetSize, gs)
	}
	for _, d := range ds {
		if d.PreHook != "" && (d.PreHookTiming == nil || !d.PreHookTiming.Library ||
			d.ToFullTraffic != d.PreHookTiming.Timeout+d.Shift) {
			t.Errorf("%s: pre-traffic hook %+v, full traffic after %v", d.Path, d.PreHookTiming, d.ToFullTraffic)
		}
	}
	// The example's DNS switch: all answers to blue, green the fallback, both health-checked.
	if len(ss) != 1 || ss[0].Path != "TwoEnvironments/Switch/Switch" || ss[0].Name != "api.example.com." ||
		!ss[0].Alias || len(ss[0].Records) != 2 {
		t.Fatalf("want the example's one switch, got %+v", ss)
	}
	for i, want := range []plan.WeightedRecord{
		{SetIdentifier: "blue", Weight: 100, Share: 100, HealthCheck: true},
		{SetIdentifier: "green", Weight: 0, Share: 0, HealthCheck: true},
	} {
		if ss[0].Records[i] != want {
			t.Errorf("record %d: want %+v, got %+v", i, want, ss[0].Records[i])
		}
	}
	for _, d := range ds {
		var doc struct {
			XMLName  xml.Name `xml:"svg"`
			Polyline []struct {
				Points string `xml:"points,attr"`
			} `xml:"polyline"`
		}
		if err := xml.Unmarshal(plan.SVG(d), &doc); err != nil || len(doc.Polyline) != 1 ||
			len(strings.Fields(doc.Polyline[0].Points)) != 2*len(d.Timeline)+1 {
			t.Errorf("%s: the SVG is not a timeline picture: %v %+v", d.Path, err, doc)
		}
	}
}

// An alarm imported by name is rendered by CDK as a plain string in the group's AlarmConfiguration: plan lists it,
// with its timing unknown, instead of dropping it.
func TestPlanAlarmImportedByName(t *testing.T) {
	app := testkit.NewAppWith(t, map[string]interface{}{"aws:cdk:enable-path-metadata": true})
	stack := awscdk.NewStack(app, jsii.String("S"), nil)
	imported := awscloudwatch.Alarm_FromAlarmName(stack, jsii.String("Orders"), jsii.String("orders-drop"))
	testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{Alarms: []awscloudwatch.IAlarm{imported}})
	ds, err := plan.Read(*app.Synth(nil).Directory())
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 {
		t.Fatalf("want 1 deployment, got %d", len(ds))
	}
	var found []plan.Alarm
	for _, a := range ds[0].Alarms {
		if a.Path == "" {
			found = append(found, a)
		}
	}
	if len(ds[0].Alarms) != 5 || len(found) != 1 || found[0].Name != "orders-drop" || !found[0].TimingUnknown {
		t.Fatalf("want the 4 green alarms and orders-drop with unknown timing, got %+v", ds[0].Alarms)
	}
	if text := plan.Text(ds); !strings.Contains(text, "orders-drop: attached by name, not defined in this template: timing unknown") {
		t.Errorf("plan does not list the imported alarm:\n%s", text)
	}
}
