package plan

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A stage holding weighted CNAME records 3:1, one without a health check, beside a record that is not weighted.
func TestReadSwitches(t *testing.T) {
	dir := t.TempDir()
	stage := filepath.Join(dir, "assembly-Stage")
	write := func(file, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "manifest.json"), `{"artifacts":{"assembly-Stage":{"type":"cdk:cloud-assembly","properties":{"directoryName":"assembly-Stage"}}}}`)
	write(filepath.Join(stage, "manifest.json"), `{"artifacts":{"StageRouter":{"type":"aws:cloudformation:stack","displayName":"Stage/Router","properties":{"templateFile":"r.json"}}}}`)
	record := func(path, setID string, weight int, health bool) string {
		h := ""
		if health {
			h = `,"HealthCheckId":"hc"`
		}
		return `{"Type":"AWS::Route53::RecordSet","Metadata":{"aws:cdk:path":"` + path + `/Resource"},"Properties":{` +
			`"Name":"api.example.com.","Type":"CNAME","HostedZoneId":"Z1","TTL":"30","SetIdentifier":"` + setID +
			`","Weight":` + strconv.Itoa(weight) + h + `}}`
	}
	write(filepath.Join(stage, "r.json"), `{"Resources":{`+
		`"A":`+record("Stage/Router/Switch/BlueRecord", "east", 75, true)+`,`+
		`"B":`+record("Stage/Router/Switch/GreenRecord", "west", 25, false)+`,`+
		`"C":{"Type":"AWS::Route53::RecordSet","Properties":{"Name":"www.example.com.","Type":"A"}}}}`)

	ss, err := ReadSwitches(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 1 {
		t.Fatalf("want 1 switch, got %+v", ss)
	}
	s := ss[0]
	if s.Path != "Stage/Router/Switch" || s.Stack != "Stage/Router" || s.Alias || s.TTLSeconds != 30 || s.Zone != "Z1" {
		t.Errorf("switch: %+v", s)
	}
	want := []WeightedRecord{{"east", 75, 75, true}, {"west", 25, 25, false}}
	for i := range want {
		if s.Records[i] != want[i] {
			t.Errorf("record %d: want %+v, got %+v", i, want[i], s.Records[i])
		}
	}
	text := SwitchText(ss)
	for _, w := range []string{"weighted CNAME records, TTL 30s", "east       weight 75, 75 % of answers; health check",
		"west       weight 25, 25 % of answers; no health check: always counts as healthy"} {
		if !strings.Contains(text, w) {
			t.Errorf("text lacks %q:\n%s", w, text)
		}
	}
	if SwitchText(nil) != "" {
		t.Error("no switch must print nothing")
	}
}
