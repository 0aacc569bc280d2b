package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/safeship/lambda-bluegreen/internal/block"
)

// twoBlocks gives api two blocked releases.
func twoBlocks(t *testing.T, f *fakeAWS) {
	t.Helper()
	l := block.List{Function: "api", Entries: []block.Entry{
		{Release: "ApiCurrentVersion7F2A", Version: "7", Stack: "Svc", At: t0.Add(2 * time.Hour), By: "arn:aws:sts::123456789012:assumed-role/Ops/alice", Reason: blockReason},
		{Release: "ApiCurrentVersion5D00", Version: "5", Stack: "Svc", At: t0, Reason: blockReason},
	}}
	value, err := l.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	f.params = map[string]string{"/lambda-bluegreen/blocked/api": value}
}

func TestUnblock(t *testing.T) {
	f := newFake(t)
	twoBlocks(t, f)
	code, out, errOut := runWith(f.cli("y\n"), "unblock", "-function", "api", "-release", "ApiCurrentVersion7F2A")
	l, _ := block.Parse(f.params["/lambda-bluegreen/blocked/api"])
	if code != exitOK || len(l.Entries) != 1 || l.Entries[0].Release != "ApiCurrentVersion5D00" ||
		!strings.Contains(out, "will unblock 1 release(s) of api: a deploy of the same code and configuration may take traffic again") ||
		!strings.Contains(out, "ApiCurrentVersion7F2A (version 7) blocked 2026-11-25T12:00:00Z by arn:aws:sts::123456789012:assumed-role/Ops/alice") ||
		!strings.Contains(out, "proceed? [y/N]") || !strings.Contains(out, "unblocked ApiCurrentVersion7F2A of api") {
		t.Fatalf("exit %d, blocks %+v:\n%s%s", code, l.Entries, out, errOut)
	}
	// A release that is not blocked: nothing to do.
	code, _, errOut = runWith(f.cli("y\n"), "unblock", "-function", "api", "-release", "ApiCurrentVersion7F2A")
	if code != exitNothing || !strings.Contains(errOut, "release ApiCurrentVersion7F2A of api is not blocked (blocked: ApiCurrentVersion5D00)") {
		t.Errorf("not blocked: exit %d: %s", code, errOut)
	}
	// Declined: nothing changes.
	if code, _, _ := runWith(f.cli("n\n"), "unblock", "-function", "api", "-all"); code != exitDecline || f.params["/lambda-bluegreen/blocked/api"] == "" {
		t.Errorf("declined: exit %d, params %v", code, f.params)
	}
	// -all by ARN removes the parameter; then there is nothing left.
	code, out, errOut = runWith(f.cli(""), "unblock", "-function", fnARN+"api", "-all", "-yes", "-json")
	var result struct {
		Function  string        `json:"function"`
		Unblocked []block.Entry `json:"unblocked"`
	}
	if err := json.Unmarshal([]byte(out), &result); code != exitOK || err != nil || result.Function != "api" || len(result.Unblocked) != 1 ||
		len(f.params) != 0 || !strings.Contains(strings.Join(f.log, " "), "DeleteParameter /lambda-bluegreen/blocked/api") {
		t.Errorf("-all: exit %d, params %v: %s%s", code, f.params, out, errOut)
	}
	code, _, errOut = runWith(f.cli(""), "unblock", "-function", "api", "-all", "-yes")
	if code != exitNothing || !strings.Contains(errOut, "no release of api is blocked") {
		t.Errorf("nothing left: exit %d: %s", code, errOut)
	}
}

// status lists the function's blocked releases, newest first (in -json as "blocked"); when the parameter cannot be
// read it says so and shows the rest.
func TestStatusShowsBlocks(t *testing.T) {
	f := newFake(t)
	twoBlocks(t, f)
	code, out, errOut := runWith(f.cli(""), "status", "-function", "api")
	if code != exitOK || !strings.Contains(out, "  blocked    ApiCurrentVersion7F2A (version 7) blocked 2026-11-25T12:00:00Z by arn:aws:sts::123456789012:assumed-role/Ops/alice\n"+
		"             ApiCurrentVersion5D00 (version 5) blocked 2026-11-25T10:00:00Z\n") {
		t.Errorf("exit %d:\n%s%s", code, out, errOut)
	}
	code, out, _ = runWith(f.cli(""), append([]string{"status", "-json"}, group...)...)
	var s struct {
		Blocked []block.Entry `json:"blocked"`
	}
	if err := json.Unmarshal([]byte(out), &s); code != exitOK || err != nil || len(s.Blocked) != 2 || s.Blocked[0].Release != "ApiCurrentVersion7F2A" {
		t.Errorf("-json: exit %d: %s", code, out)
	}
	f.ssmError = "AccessDeniedException"
	code, out, _ = runWith(f.cli(""), "status", "-function", "api")
	if code != exitOK || !strings.Contains(out, "blocked    unreadable: access denied: the IAM policy does not allow ssm:GetParameter") ||
		!strings.Contains(out, "serving    version 7") {
		t.Errorf("unreadable: exit %d:\n%s", code, out)
	}
}
