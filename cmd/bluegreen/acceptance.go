package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/safeship/lambda-bluegreen/internal/acceptance"
	"github.com/safeship/lambda-bluegreen/internal/acceptance/awsrun"
	"github.com/safeship/lambda-bluegreen/internal/scaffold"
)

// acceptanceCommand is acceptance's entry in the commands table.
var acceptanceCommand = struct{ name, synopsis, summary, exits string }{"acceptance",
	"bluegreen acceptance -account ID -region R [-profile P] [-scenarios a,b] [-run ID] [-report DIR] [-yes] [-json]\n" +
		"       bluegreen acceptance -cleanup -account ID -region R (-run ID | -all-runs) [-profile P] [-json]",
	"prove the release scenarios on a real AWS account (from a checkout of the library): deploys the acceptance app, checks each step against the model, deletes every stack it made, and writes a report of the model's rules confirmed or contradicted; -cleanup deletes what a run left behind",
	`exit codes: 0 every scenario played passed (cleanup: the stacks are deleted); 1 a scenario failed or a rule of
  the model was contradicted (or a stack could not be deleted, or the report not written: read what it printed);
  2 bad usage; 3 refused: the credentials are of another account than -account; 4 declined (the account id was not
  typed, and no -yes); 6 could not read AWS before anything was created (no credentials or region, refused
  credentials, access denied); 130 interrupted (Ctrl-C once: the step being played is cut short, its stack operation
  waited for, and the scenario's stack and release blocks are deleted, waiting at most 30 minutes, then the report
  is written; Ctrl-C again ends
  the command at once, and -cleanup deletes what is left)`}

// runAcceptance plays the acceptance scenarios on AWS (bluegreen acceptance), or cleans up after a run (-cleanup),
// deploying with the pinned CDK CLI.
func (c cli) runAcceptance(args []string, stdout, stderr io.Writer) int {
	return c.acceptance(args, stdout, stderr, execCommand)
}

// acceptance is runAcceptance with the runner of ./cdkw.
func (c cli) acceptance(args []string, stdout, stderr io.Writer, runCDK commandRunner) int {
	fs := newFlags("acceptance", stderr)
	account := fs.String("account", "", "the 12-digit AWS account to run in (required): the credentials must be of this account")
	region := fs.String("region", "", "the AWS region to run in (required)")
	profile := fs.String("profile", "", "the AWS profile (default: AWS_PROFILE, else the standard credential chain)")
	scenarios := fs.String("scenarios", "", "the scenarios to play, comma-separated (default: all; those that run on the model only are skipped)")
	run := fs.String("run", "", "the run's id, 1 to 12 lower-case letters or digits: it names and tags the stacks (default: a random one)")
	report := fs.String("report", "acceptance-report", "the folder the report (report.md, report.json) is written to")
	yes := fs.Bool("yes", false, "do not ask for the account id before creating stacks")
	cleanup := fs.Bool("cleanup", false, "delete the stacks of the run -run (tagged and named as a run's) instead of playing scenarios")
	allRuns := fs.Bool("all-runs", false, "with -cleanup: the stacks of every run")
	asJSON := fs.Bool("json", false, "print JSON on standard output, and the plan and progress on standard error")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	usageErr := func(format string, a ...interface{}) int {
		fmt.Fprintf(stderr, "bluegreen acceptance: "+format+" (bluegreen acceptance -h lists the flags)\n", a...)
		return exitUsage
	}
	cfg := awsrun.Config{Account: *account, Region: *region, Run: *run, ReportDir: *report, Yes: *yes, In: c.stdin,
		Out: stdout}
	if *asJSON {
		cfg.Out = stderr
	}
	if *scenarios != "" {
		for _, s := range strings.Split(*scenarios, ",") {
			cfg.Scenarios = append(cfg.Scenarios, strings.TrimSpace(s))
		}
	}
	if *allRuns && !*cleanup {
		return usageErr("-all-runs goes with -cleanup")
	}
	if *cleanup && *run == "" && !*allRuns {
		return usageErr("-cleanup needs -run ID, or -all-runs")
	}
	if *cleanup && *run != "" && *allRuns {
		return usageErr("-run and -all-runs exclude each other")
	}
	if err := cfg.Validate(); err != nil {
		return usageErr("%s", strings.ReplaceAll(strings.TrimPrefix(err.Error(), awsrun.ErrInvalid.Error()+": "), "\n", "; "))
	}

	ctx := c.context()
	if c.signals {
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, os.Interrupt)
		defer signal.Stop(sigs)
		var cancel context.CancelFunc
		ctx, cancel = onInterrupt(ctx, sigs, func() { signal.Stop(sigs) }, stderr)
		defer cancel()
	}
	cl, err := c.connect(ctx, *profile, *region)
	if err != nil {
		fmt.Fprintf(stderr, "bluegreen acceptance: %v\n", explain(err))
		return exitAWS
	}
	clients := awsrun.Clients{STS: cl.sts, CloudFormation: cl.cloudformation, Lambda: cl.lambda, CloudWatch: cl.cloudwatch,
		SQS: cl.sqs, CodeDeploy: cl.codedeploy, SSM: cl.ssm}

	if *cleanup {
		deleted, err := awsrun.Cleanup(ctx, cfg, clients, *allRuns)
		if *asJSON {
			printJSON(stdout, map[string]interface{}{"run": *run, "deleted": nonNil(deleted)})
		} else if len(deleted) == 0 && err == nil {
			fmt.Fprintln(stdout, "nothing to delete")
		}
		return c.acceptanceExit(stderr, err)
	}

	info, ok := debug.ReadBuildInfo()
	cfg.LibraryVersion = version(info, ok)
	root, _ := os.Getwd()
	if r := scaffold.FindCheckout(root); r != "" {
		root = r
	}
	deps := awsrun.Deps{Clients: clients,
		Deployer: cdkDeployer{root: root, profile: *profile, region: *region, progress: cfg.Out, run: runCDK},
		Commands: inProcess{c: cli{stdin: strings.NewReader(""), connect: c.connect, now: c.now, sleep: c.sleep,
			terminal: func(io.Writer) bool { return false }}, profile: *profile, region: *region}}
	out, err := awsrun.Run(ctx, cfg, deps)
	if err != nil && out.Report.Result.Backend == "" {
		return c.acceptanceExit(stderr, err)
	}
	if *asJSON {
		printJSON(stdout, map[string]interface{}{"run": out.Run, "passed": out.Passed(), "paths": out.Paths, "report": out.Report})
	} else {
		printAcceptance(stdout, out)
	}
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "bluegreen acceptance: %v\n", err)
		return exitFail
	case ctx.Err() != nil:
		return exitInterrupted
	case !out.Passed():
		return exitFail
	}
	return exitOK
}

// onInterrupt returns a context that ends at the first signal on sigs: the run then cuts the step being played
// short and deletes its scenario's stack (with a context of its own, bounded by awsrun.Config.EndTimeout). At that
// first signal it says so on w and calls release, which stops catching SIGINT: a second Ctrl-C then has Go's default
// effect and ends the process at once ("if a Go program receives os.Interrupt and the Go program has not called
// Notify, then the default behavior is to terminate the program", os/signal, NotifyContext), so an operator is
// never left waiting on a deletion.
func onInterrupt(ctx context.Context, sigs <-chan os.Signal, release func(), w io.Writer) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-sigs:
			release()
			fmt.Fprintln(w, "bluegreen acceptance: interrupted: deleting the scenario's stack (at most 30 minutes), then "+
				"writing the report; Ctrl-C again stops at once (bluegreen acceptance -cleanup deletes what is left)")
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// acceptanceExit prints err, if any, and returns its exit code.
func (c cli) acceptanceExit(stderr io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "bluegreen acceptance: %v\n", explain(err))
	switch {
	case errors.Is(err, awsrun.ErrInvalid):
		return exitUsage
	case errors.Is(err, awsrun.ErrRefused) && strings.Contains(err.Error(), "not confirmed"):
		return exitDecline
	case errors.Is(err, awsrun.ErrRefused):
		return exitNothing
	case errors.Is(err, awsrun.ErrUnreadable):
		return exitAWS
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	}
	return exitFail
}

// printAcceptance prints each scenario's status, the rules' tally and where the report is.
func printAcceptance(w io.Writer, o awsrun.Outcome) {
	fmt.Fprintf(w, "\nrun %s:\n", o.Run)
	for _, s := range o.Report.Result.Scenarios {
		line := fmt.Sprintf("  %-40s %s", s.Name, s.Status)
		if s.Reason != "" {
			line += ": " + s.Reason
		}
		if s.Cleanup != "" {
			line += " (cleaning up failed: " + s.Cleanup + ")"
		}
		fmt.Fprintln(w, line)
	}
	counts := map[string]int{}
	for _, r := range o.Report.Rules {
		counts[r.Status]++
		if r.Status == acceptance.RuleContradicted {
			fmt.Fprintf(w, "  rule %s contradicted: %s\n", r.ID, strings.Join(r.Evidence, "; "))
		}
	}
	fmt.Fprintf(w, "rules of the model: %d confirmed, %d contradicted, %d not exercised\nreport: %s\n",
		counts[acceptance.RuleConfirmed], counts[acceptance.RuleContradicted], counts[acceptance.RuleNotExercised],
		strings.Join(o.Paths, ", "))
}

func printJSON(w io.Writer, v interface{}) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// commandRunner runs name with args in dir, with env added to this process's environment and its output written
// to out, and returns its exit code; an error means it could not run or did not exit by itself (a signal, ctx
// ended).
type commandRunner func(ctx context.Context, dir string, env []string, out io.Writer, name string, args ...string) (int, error)

// cmdWaitDelay is how long a cancelled command (and what it started) has to end after its interrupt before it is
// killed and its output no longer awaited (exec.Cmd.WaitDelay).
var cmdWaitDelay = 30 * time.Second

// execCommand runs the command as a child process. When ctx ends, the command's process group gets an interrupt
// (interruptGroup), and cmdWaitDelay later the command is killed and Run returns even if a process it started still
// holds its output open: the step's bound holds.
func execCommand(ctx context.Context, dir string, env []string, out io.Writer, name string, args ...string) (int, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	interruptGroup(cmd)
	cmd.WaitDelay = cmdWaitDelay
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = out, out
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() >= 0 {
		return exit.ExitCode(), nil
	}
	if err != nil {
		return -1, err
	}
	return 0, nil
}

// cdkDeployer deploys the acceptance app with the pinned CDK CLI (./cdkw in the checkout's root), through run.
type cdkDeployer struct {
	root, profile, region string
	progress              io.Writer
	run                   commandRunner
}

// Deploy runs ./cdkw deploy of the stack at the release; a failed deploy is a DeployResult with the end of what the
// CLI printed, an error only a CLI that could not start or was interrupted.
func (d cdkDeployer) Deploy(ctx context.Context, dep awsrun.Deployment) (awsrun.DeployResult, error) {
	release, err := json.Marshal(dep.Release)
	if err != nil {
		return awsrun.DeployResult{}, err
	}
	args := []string{"deploy", dep.Stack, "--require-approval", "never", "--app", "go run ./examples/acceptance",
		"-c", acceptance.ContextStack + "=" + dep.Stack, "-c", acceptance.ContextRun + "=" + dep.Run,
		"-c", acceptance.ContextRelease + "=" + string(release)}
	if d.profile != "" {
		args = append(args, "--profile", d.profile)
	}
	tail := &tailBuffer{max: 4096}
	code, err := d.run(ctx, d.root, []string{"AWS_REGION=" + d.region, "AWS_DEFAULT_REGION=" + d.region},
		io.MultiWriter(d.progress, tail), "./cdkw", args...)
	switch {
	case ctx.Err() != nil:
		return awsrun.DeployResult{}, ctx.Err()
	case err != nil:
		return awsrun.DeployResult{}, fmt.Errorf("./cdkw deploy %s: %w", dep.Stack, err)
	case code != 0:
		return awsrun.DeployResult{Error: strings.TrimSpace(tail.String())}, nil
	}
	return awsrun.DeployResult{OK: true}, nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if over := t.buf.Len() - t.max; over > 0 {
		t.buf.Next(over)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}

// inProcess runs rollback, unblock and watch in this process, with the acceptance run's connection.
type inProcess struct {
	c               cli
	profile, region string
}

func (p inProcess) run(ctx context.Context, cmd func(cli, []string, io.Writer, io.Writer) int, args ...string) (awsrun.CommandResult, error) {
	c := p.c
	c.ctx = ctx
	if p.profile != "" {
		args = append(args, "-profile", p.profile)
	}
	args = append(args, "-region", p.region)
	var out bytes.Buffer
	code := cmd(c, args, &out, &out)
	if err := ctx.Err(); err != nil {
		return awsrun.CommandResult{}, err
	}
	return awsrun.CommandResult{Exit: code, Output: out.String()}, nil
}

// Rollback runs bluegreen rollback -function … -application … -group … -stack … -yes.
func (p inProcess) Rollback(ctx context.Context, fn awsrun.Function) (awsrun.CommandResult, error) {
	return p.run(ctx, cli.runRollback, "-function", fn.Name, "-alias", fn.Alias, "-application", fn.Application,
		"-group", fn.Group, "-stack", fn.Stack, "-yes")
}

// Unblock runs bluegreen unblock -function … -all -yes.
func (p inProcess) Unblock(ctx context.Context, fn awsrun.Function) (awsrun.CommandResult, error) {
	return p.run(ctx, cli.runUnblock, "-function", fn.Name, "-all", "-yes")
}

// Watch runs bluegreen watch -function … -deployment ID.
func (p inProcess) Watch(ctx context.Context, fn awsrun.Function, id string) (awsrun.CommandResult, error) {
	return p.run(ctx, cli.runWatch, "-function", fn.Name, "-alias", fn.Alias, "-application", fn.Application,
		"-group", fn.Group, "-deployment", id, "-timeout", "30m")
}
