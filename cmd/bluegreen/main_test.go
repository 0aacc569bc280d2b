package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
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
	file := filepath.Join(t.TempDir(), "template.json")
	if err := os.WriteFile(file, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	cases := []struct {
		args []string
		code int
		want string
	}{
		// A path that exists but is not a cloud assembly is bad usage too, and the message says what was expected.
		{[]string{"plan", "-assembly", file}, exitUsage, "bluegreen plan: no cloud assembly at " + file +
			": it is a file, and a cloud assembly is a directory with a manifest.json, as ./cdkw synth writes it (cdk.out): pass -assembly with one"},
		{[]string{"plan", "-assembly", empty}, exitUsage, "bluegreen plan: no cloud assembly at " + empty +
			": the directory has no manifest.json, and a cloud assembly is a directory with a manifest.json, as ./cdkw synth writes it (cdk.out): run ./cdkw synth first, or pass -assembly"},
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

// A command's help lists its own exit codes only; the overview lists them all.
func TestHelpListsTheCommandsOwnExitCodes(t *testing.T) {
	cases := map[string]struct{ has, lacks []string }{
		"plan":     {[]string{"0 printed", "2 bad usage", "not a cloud assembly"}, []string{"3 nothing", "4 declined", "5 timed out", "6 could not", "130"}},
		"status":   {[]string{"0 shown", "1 failed", "2 bad usage"}, []string{"3 nothing", "4 declined", "5 timed out", "6 could not", "130"}},
		"watch":    {[]string{"0 the deployment succeeded", "1 the deployment failed", "5 timed out", "6 could not read AWS", "130 interrupted"}, []string{"3 nothing", "4 declined", "recover"}},
		"rollback": {[]string{"3 nothing to roll back to", "4 declined", "5 timed out"}, []string{"6 could not", "130", "recover"}},
		"unblock":  {[]string{"3 nothing to do", "4 declined"}, []string{"5 timed out", "6 could not", "130"}},
		"recover":  {[]string{"0 the stack is deployable", "3 nothing to do", "5 timed out"}, []string{"6 could not", "130", "watch"}},
		"version":  {[]string{"0 printed", "2 bad usage"}, []string{"1 failed", "3 nothing", "5 timed out", "130"}},
	}
	for cmd, tc := range cases {
		var out, errOut bytes.Buffer
		if code := run([]string{cmd, "-h"}, &out, &errOut); code != exitOK {
			t.Fatalf("%s -h: exit %d: %s", cmd, code, errOut.String())
		}
		codes := out.String()[strings.LastIndex(out.String(), "exit codes:"):]
		for _, want := range tc.has {
			if !strings.Contains(codes, want) {
				t.Errorf("%s -h: exit codes lack %q:\n%s", cmd, want, codes)
			}
		}
		for _, not := range tc.lacks {
			if strings.Contains(codes, not) {
				t.Errorf("%s -h: exit codes list %q, another command's:\n%s", cmd, not, codes)
			}
		}
	}
	var out, errOut bytes.Buffer
	run([]string{"help"}, &out, &errOut)
	for _, want := range []string{"4 declined", "5 timed out", "6 watch could not read AWS", "130 watch interrupted"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the overview lacks %q:\n%s", want, out.String())
		}
	}
}

// bluegreen -version, --version and version print the version and exit 0.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"-version"}, {"--version"}, {"version"}} {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != exitOK || errOut.Len() != 0 || !strings.HasPrefix(out.String(), "bluegreen ") ||
			strings.Count(out.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out.String(), errOut.String())
		}
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"version", "stray"}, &out, &errOut); code != exitUsage {
		t.Errorf("version stray: exit %d, want %d", code, exitUsage)
	}
	cases := []struct {
		info *debug.BuildInfo
		want string
	}{
		{&debug.BuildInfo{Main: debug.Module{Path: "github.com/safeship/lambda-bluegreen", Version: "v1.4.0"}}, "v1.4.0"},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "b029271ad3c6"}, {Key: "vcs.modified", Value: "false"}}}, "(devel) b029271ad3c6"},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "b029271ad3c6"}, {Key: "vcs.modified", Value: "true"}}}, "(devel) b029271ad3c6 (modified)"},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "(devel)"},
		{&debug.BuildInfo{}, "(devel)"}, // a test binary
	}
	for _, tc := range cases {
		if got := version(tc.info, true); got != tc.want {
			t.Errorf("version(%+v) = %q, want %q", tc.info.Main, got, tc.want)
		}
	}
	if got := version(nil, false); got != "(devel)" {
		t.Errorf("no build information: %q", got)
	}
}
