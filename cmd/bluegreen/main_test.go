package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestPlanCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	svg := t.TempDir()
	if code := run([]string{"plan", "-assembly", "testdata/assembly", "-svg", svg}, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	// Linear 25 % every minute; detection 2 × 2 min + 2 min lag + 1 min CodeDeploy check = 7 min: green has 100 % by then.
	for _, want := range []string{
		"Svc/Api (stack Svc)", "strategy   Linear25PercentEvery1Minute (custom deployment config)",
		"timeline   0s → 25 %, 1m0s → 50 %, 2m0s → 75 %, 3m0s → 100 %",
		"Svc/Api/GreenAlarms/ErrorRate: 2 of 2 × 2m0s", "detection  7m0s worst case", "exposure   100 % of requests",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	// Only the green error alarms count, as at synth: a custom alarm named like one does not.
	other := out.String()[strings.Index(out.String(), "Svc/Other"):]
	if !strings.Contains(other, "detection  none: no green error alarm") || !strings.Contains(other, "exposure   100 %") {
		t.Errorf("a deployment with only a custom alarm:\n%s", other)
	}
	if b, err := os.ReadFile(filepath.Join(svg, "Svc-Api.svg")); err != nil || !bytes.Contains(b, []byte("<polyline")) {
		t.Errorf("no timeline picture: %v", err)
	}
	// The paths written, one a line, after the text; with -json on standard error.
	want := filepath.Join(svg, "Svc-Api.svg") + "\n" + filepath.Join(svg, "Svc-Other.svg") + "\n"
	if !strings.HasSuffix(out.String(), want) {
		t.Errorf("plan -svg does not end with the paths written %q:\n%s", want, out.String())
	}
	out.Reset()
	errOut.Reset()
	if code := run([]string{"plan", "-assembly", "testdata/assembly", "-svg", svg, "-json"}, &out, &errOut); code != exitOK ||
		errOut.String() != want || !json.Valid(out.Bytes()) {
		t.Errorf("plan -svg -json: exit %d, stderr %q, stdout valid JSON %v", code, errOut.String(), json.Valid(out.Bytes()))
	}
}

func TestPlanJSON(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"plan", "-assembly", "testdata/assembly", "-json"}, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var doc struct {
		Deployments []map[string]interface{} `json:"deployments"`
		Switches    []map[string]interface{} `json:"switches"`
	}
	ds := &doc.Deployments
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil || len(*ds) != 2 || (*ds)[0]["exposurePercent"] != 100.0 ||
		(*ds)[0]["detectionSeconds"] != 420.0 || doc.Switches == nil || len(doc.Switches) != 0 {
		t.Errorf("JSON %s: %v", out.String(), err)
	}
}

func TestExitCodes(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{nil, exitUsage, "usage"},
		{[]string{"deploy"}, exitUsage, `unknown command "deploy"`},
		{[]string{"plan", "-nope"}, exitUsage, "flag provided but not defined"},
		{[]string{"plan", "-assembly", "testdata/none"}, exitUsage, "bluegreen plan: no cloud assembly at testdata/none: run ./cdkw synth first, or pass -assembly"},
		{[]string{"plan", "stray"}, exitUsage, `unexpected argument "stray"`},
		{[]string{"help", "deploy"}, exitUsage, `unknown command "deploy"`},
	}
	for _, tc := range cases {
		var out, errOut bytes.Buffer
		if code := run(tc.args, &out, &errOut); code != tc.code || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%v: exit %d (want %d), stderr %q (want %q)", tc.args, code, tc.code, errOut.String(), tc.want)
		}
	}
}

// bluegreen --help (help, -h) lists each command with what it does; bluegreen COMMAND -h (help COMMAND) lists every
// flag with its meaning under a line saying what the command does. Help exits 0, on standard output.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"help"}, {"-h"}} {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != exitOK || errOut.Len() != 0 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut.String())
		}
		for _, want := range []string{"usage: bluegreen COMMAND", "  plan      offline:", "  status    what the alias serves",
			"  watch     follow a deployment live", "  rollback  stop a deployment in progress", "  unblock   let a release",
			"  recover   bring a stack out of UPDATE_ROLLBACK_FAILED", "3 nothing to do", "5 timed out"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%v lacks %q:\n%s", args, want, out.String())
			}
		}
	}
	flags := map[string][]string{
		"plan":     {"-assembly", "-svg", "-json"},
		"status":   {"-function", "-alias", "-application", "-group", "-profile", "-region", "-json"},
		"watch":    {"-function", "-alias", "-application", "-group", "-deployment", "-timeout", "-interval", "-profile", "-region", "-json"},
		"rollback": {"-function", "-alias", "-application", "-group", "-stack", "-template-bucket", "-timeout", "-no-block", "-print", "-yes", "-profile", "-region", "-json"},
		"unblock":  {"-function", "-release", "-all", "-yes", "-profile", "-region", "-json"},
		"recover":  {"-stack", "-dry-run", "-yes", "-timeout", "-profile", "-region", "-json"},
	}
	for cmd, names := range flags {
		for _, args := range [][]string{{cmd, "-h"}, {cmd, "--help"}, {"help", cmd}} {
			var out, errOut bytes.Buffer
			if code := run(args, &out, &errOut); code != exitOK || errOut.Len() != 0 {
				t.Errorf("%v: exit %d, stderr %q", args, code, errOut.String())
			}
			if !strings.HasPrefix(out.String(), "bluegreen "+cmd+": "+summary(cmd)+"\n") {
				t.Errorf("%v does not start with what the command does:\n%s", args, out.String())
			}
			for _, name := range names {
				if !regexp.MustCompile(`(?m)^  ` + name + `\b.*\n\s+\S`).MatchString(out.String()) {
					t.Errorf("%v does not explain %s:\n%s", args, name, out.String())
				}
			}
		}
	}
}
