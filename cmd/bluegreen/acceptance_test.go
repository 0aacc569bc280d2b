package main

import (
	"strings"
	"testing"
)

func TestAcceptanceFlags(t *testing.T) {
	f := newFake(t)
	ok := []string{"-account", "123456789012", "-region", "eu-west-1"}
	for _, args := range [][]string{
		{},
		{"-region", "eu-west-1"},
		{"-account", "1234", "-region", "eu-west-1"},
		{"-account", "123456789012"},
		append(ok, "-run", "Bad_Run"),
		append(ok, "-scenarios", "canary-succeeds,no-such-scenario"),
		append(ok, "-all-runs"),
		append(ok, "-cleanup"),
		append(ok, "-cleanup", "-run", "r1", "-all-runs"),
		append(ok, "stray"),
		append(ok, "-nope"),
	} {
		code, _, errOut := runWith(f.cli(""), append([]string{"acceptance"}, args...)...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d: %s", args, code, exitUsage, errOut)
		}
	}
	if len(f.log) != 0 {
		t.Errorf("bad usage changed AWS: %v", f.log)
	}
	code, out, _ := runWith(f.cli(""), "acceptance", "-h")
	if code != exitOK || !strings.Contains(out, "exit codes: 0 every scenario played passed") || !strings.Contains(out, "-all-runs") {
		t.Errorf("help: exit %d:\n%s", code, out)
	}
	if code, out, _ := runWith(f.cli(""), "help"); code != exitOK || !strings.Contains(out, "acceptance") {
		t.Errorf("overview: exit %d:\n%s", code, out)
	}
}

// Credentials of another account are refused (exit 3) before anything is created, in a run and in a cleanup; an
// account id not typed declines (exit 4).
func TestAcceptanceRefusesAnotherAccount(t *testing.T) {
	f := newFake(t) // STS answers account 123456789012
	for _, args := range [][]string{
		{"acceptance", "-account", "111111111111", "-region", "eu-west-1", "-yes", "-report", t.TempDir()},
		{"acceptance", "-account", "111111111111", "-region", "eu-west-1", "-cleanup", "-all-runs"},
	} {
		code, out, errOut := runWith(f.cli(""), args...)
		if code != exitNothing || !strings.Contains(errOut, "not ********1111") || !strings.Contains(errOut, "nothing was created") {
			t.Errorf("%v: exit %d, want %d:\n%s%s", args, code, exitNothing, out, errOut)
		}
		if strings.Contains(out, "Plan:") {
			t.Errorf("%v: the plan was printed before the account was checked", args)
		}
	}
	dir := t.TempDir()
	code, out, errOut := runWith(f.cli("no\n"), "acceptance", "-account", "123456789012", "-region", "eu-west-1",
		"-scenarios", "canary-succeeds", "-report", dir)
	if code != exitDecline || !strings.Contains(out, "Upper bound on cost") || !strings.Contains(errOut, "not confirmed") {
		t.Errorf("declined: exit %d, want %d:\n%s%s", code, exitDecline, out, errOut)
	}
	if len(f.log) != 0 {
		t.Errorf("AWS changed: %v", f.log)
	}
}
