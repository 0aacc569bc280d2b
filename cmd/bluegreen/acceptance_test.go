package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safeship/lambda-bluegreen/internal/acceptance"
	"github.com/safeship/lambda-bluegreen/internal/acceptance/awsrun"
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

// cdkDeployer runs ./cdkw deploy in the checkout's root with the stack, the run and the release as context, the
// acceptance app as --app, the profile and the region; a CLI that exits non-zero is a failed deploy with the end of
// its output, one that cannot start an error.
func TestCDKDeployerArguments(t *testing.T) {
	type call struct {
		dir, name string
		env, args []string
	}
	var got []call
	exit, runErr := 0, error(nil)
	runner := func(_ context.Context, dir string, env []string, out io.Writer, name string, args ...string) (int, error) {
		got = append(got, call{dir, name, env, args})
		fmt.Fprintln(out, "❌  BlueGreenAcceptance-r1-00 failed: release gate refused")
		return exit, runErr
	}
	var progress bytes.Buffer
	d := cdkDeployer{root: "/checkout", profile: "sandbox", region: "eu-west-1", progress: &progress, run: runner}
	rel := acceptance.Release{Commit: "c2", PreTraffic: true}
	res, err := d.Deploy(context.Background(), awsrun.Deployment{Stack: "BlueGreenAcceptance-r1-00", Run: "r1", Release: rel})
	if err != nil || !res.OK || len(got) != 1 {
		t.Fatalf("%+v, %v, %d calls", res, err, len(got))
	}
	relJSON, _ := json.Marshal(rel)
	want := []string{"deploy", "BlueGreenAcceptance-r1-00", "--require-approval", "never", "--app", "go run ./examples/acceptance",
		"-c", "acceptance:stack=BlueGreenAcceptance-r1-00", "-c", "acceptance:run=r1", "-c", "acceptance:release=" + string(relJSON),
		"--profile", "sandbox"}
	c := got[0]
	if c.dir != "/checkout" || c.name != "./cdkw" || fmt.Sprint(c.args) != fmt.Sprint(want) ||
		fmt.Sprint(c.env) != fmt.Sprint([]string{"AWS_REGION=eu-west-1", "AWS_DEFAULT_REGION=eu-west-1"}) {
		t.Errorf("ran %+v\nwant args %v", c, want)
	}
	if !strings.Contains(progress.String(), "release gate refused") {
		t.Errorf("progress: %q", progress.String())
	}
	exit = 1
	if res, err := d.Deploy(context.Background(), awsrun.Deployment{Stack: "S", Run: "r1"}); err != nil || res.OK ||
		!strings.Contains(res.Error, "release gate refused") {
		t.Errorf("a failed deploy: %+v, %v", res, err)
	}
	exit, runErr = -1, errors.New("fork/exec ./cdkw: no such file or directory")
	if _, err := d.Deploy(context.Background(), awsrun.Deployment{Stack: "S", Run: "r1"}); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("a CLI that cannot start: %v", err)
	}
}

// An interrupt during a deploy ends the run with exit 130 after the scenario's cleanup, with the report written.
func TestAcceptanceInterruptExits130(t *testing.T) {
	f := newFake(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := f.cli("")
	c.ctx = ctx
	runner := func(ctx context.Context, _ string, _ []string, _ io.Writer, _ string, _ ...string) (int, error) {
		cancel() // the operator's Ctrl-C
		<-ctx.Done()
		return -1, ctx.Err()
	}
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	code := c.acceptance([]string{"-account", "123456789012", "-region", "eu-west-1", "-run", "r1", "-yes",
		"-scenarios", "canary-succeeds", "-report", dir}, &out, &errOut, runner)
	if code != exitInterrupted || !strings.Contains(out.String(), "canary-succeeds") || !strings.Contains(out.String(), "interrupted") {
		t.Errorf("exit %d, want %d:\n%s%s", code, exitInterrupted, out.String(), errOut.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "report.md")); err != nil {
		t.Error(err)
	}
}

// The first interrupt ends the context, says what happens next and stops catching SIGINT (so that a second one
// ends the process at once); the release happens once.
func TestOnInterrupt(t *testing.T) {
	sigs := make(chan os.Signal, 2)
	released := 0
	var w bytes.Buffer
	ctx, cancel := onInterrupt(context.Background(), sigs, func() { released++ }, &w)
	defer cancel()
	sigs <- os.Interrupt
	<-ctx.Done()
	if released != 1 || !strings.Contains(w.String(), "Ctrl-C again stops at once") {
		t.Errorf("released %d times; said %q", released, w.String())
	}
}

// A cancelled command and everything it started get an interrupt, and the wait for them is bounded even when a
// process the command started ignores the interrupt and keeps its output open.
func TestExecCommandCancelIsBounded(t *testing.T) {
	defer func(d time.Duration) { cmdWaitDelay = d }(cmdWaitDelay)
	cmdWaitDelay = 500 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var out bytes.Buffer
	began := time.Now()
	// A non-interactive shell starts its background jobs ignoring SIGINT: this one outlives the interrupt and holds
	// the output open, as a Node.js process that has not yet reacted would.
	_, err := execCommand(ctx, t.TempDir(), nil, &out, "sh", "-c", "sleep 30 & sleep 30; wait")
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("the cancelled command took %s to return, want about %s", took, cmdWaitDelay)
	}
	if err == nil {
		t.Errorf("a cancelled command must return an error")
	}
}
