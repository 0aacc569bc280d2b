// Command bluegreen is the operator's tool for blue/green Lambda deployments.
//
//	bluegreen plan [-assembly cdk.out] [-svg DIR] [-json]
//	bluegreen status -function NAME [-alias live] [-application APP -group GROUP] [-profile P] [-region R] [-json]
//	bluegreen watch -function NAME [-alias live] -application APP -group GROUP [-deployment d-XXX|latest] [-timeout 2h]
//	                [-interval 10s] [-profile P] [-region R] [-json]
//	bluegreen rollback -function NAME [-alias live] [-application APP -group GROUP] [-stack NAME] [-template-bucket B]
//	                   [-timeout 15m] [-no-block] [-print] [-yes] [-profile P] [-region R] [-json]
//	bluegreen rollback -stack NAME [-template-bucket B] [-timeout 15m] [-no-block] [-print] [-yes] [-profile P]
//	                   [-region R] [-json]
//	bluegreen unblock -function NAME (-release R | -all) [-yes] [-profile P] [-region R] [-json]
//	bluegreen recover -stack NAME [-dry-run] [-yes] [-timeout 30m] [-profile P] [-region R] [-json]
//	bluegreen acceptance -account ID -region R [-profile P] [-scenarios a,b] [-run ID] [-report DIR] [-yes] [-json]
//	bluegreen acceptance -cleanup -account ID -region R (-run ID | -all-runs) [-profile P] [-json]
//	bluegreen version               (or -version, --version)
//	bluegreen help [COMMAND]        (or -h, --help; bluegreen COMMAND -h lists the command's flags and exit codes)
//
// plan reads a synthesized cloud assembly offline and prints, for every blue/green deployment in it: function,
// alias, strategy, traffic timeline, rollback alarms, hooks, and the worst-case detection time and exposure
// (the formulas the constructs use at synth). -svg writes a picture of each timeline into DIR and prints the
// paths it wrote.
//
// status shows the alias's versions and weights (blue and green), the group's newest CodeDeploy deployment with
// its lifecycle events, the version rollback would go to, every rollback alarm's state, and the function's blocked
// releases.
//
// watch follows a deployment live, beside ./cdkw deploy or in CI: the group's deployment in progress, the one given
// with -deployment, or else the next one to start (-deployment latest reports the group's newest at once when it has
// ended: a verify step after the deploy). It shows the strategy's timeline as a progress bar with green's
// share of traffic (redrawn on a terminal, plain lines otherwise), each lifecycle hook's result and every rollback
// alarm's state, and at the end the outcome with its reason: the hook and where its logs are, or the alarms, and the
// deployment's page in the console.
//
// rollback stops an in-progress deployment with automatic rollback; with none in progress, it sends a weighted
// alias left by a failed deployment back to blue, and rolls a finished release back in one update of its stack's
// deployed template (the alias pinned to the previous release, its group all at once with alarms off for that
// update: no synth, no build, nothing from the operator's checkout), after showing what serves, the target, the
// template's changes and the expected time, and asking for confirmation (-yes skips the prompt; -print only prints
// what it would do). With -stack and no -function, it rolls back every protected alias of the stack released by its
// last operation, in one update. A release taken out of service (by the stop or the rollback) is blocked: a deploy
// of the same code and configuration is refused until unblock lifts it (-no-block skips that).
//
// unblock lifts the block of one release of a function (-release), or of all of them (-all).
//
// recover brings a stack out of UPDATE_ROLLBACK_FAILED: it makes the failed aliases' deployment groups shift all at
// once without alarms, continues the rollback, skips the failed aliases only if it fails again (then points them at
// the rolled-back template's versions), and restores the groups; -dry-run prints each step with its API call.
//
// acceptance plays the release scenarios of internal/acceptance on a real account, from a checkout of the library:
// it refuses credentials of another account than -account, prints the plan with its expected duration and an
// upper bound on its cost, asks for the account id (-yes skips it), deletes every stack it created (after a failure
// or Ctrl-C too), and writes a report of the model's rules confirmed or contradicted; -cleanup deletes what a run
// left behind (only stacks with its tag and name prefix). Its help lists its exit codes.
//
// status, watch, rollback, unblock and recover use the AWS SDK's standard credential chain; -profile and -region
// override it. An error the operator can fix says what to do first: no credentials, no region, an unknown profile,
// refused credentials, a denied IAM action (named when AWS names it), a path that is not a cloud assembly.
//
// Exit codes: 0 success (for watch: the deployment succeeded; for recover: the stack is deployable); 1 failure (an
// AWS error, a deployment that failed, was stopped or rolled back, a stack update that failed, a stack not
// deployable after recover, or AWS changing while the operator decided); 2 bad usage (also a path that is not a
// cloud assembly: none there, a file, a directory without manifest.json; and a finished release without -application and -group); 3 nothing to do (no release to roll back to,
// no block to lift, a stack recover need not help); 4 declined; 5 timed out (watch with the deployment still
// running or none started; rollback or recover with the stack operation still running); 6 watch could not read AWS
// (no credentials or region, refused credentials, access denied, an unknown deployment, an API error, throttling
// past the retries: the deployment's outcome is unknown, where 1 is a release that failed); 130 watch interrupted
// (Ctrl-C). Help and version exit 0. Each command's help lists its own exit codes.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Exit codes a script can use.
const (
	exitOK          = 0
	exitFail        = 1
	exitUsage       = 2
	exitNothing     = 3
	exitDecline     = 4
	exitTimeout     = 5
	exitAWS         = 6   // watch could not read AWS: unlike 1, it says nothing of the deployment's outcome
	exitInterrupted = 130 // the shell's code for a process ended by SIGINT (128 + 2)
)

func main() {
	os.Exit(cli{stdin: os.Stdin, connect: connectAWS, signals: true}.run(os.Args[1:], os.Stdout, os.Stderr))
}

// cli carries what the AWS commands need from outside: the operator's answers, the way to reach AWS, and, for
// watch, the clock and whether output goes to a terminal. Zero values mean the real ones.
type cli struct {
	stdin   io.Reader
	connect connector
	// ctx is the commands' context (context.Background when nil); with signals, watch ends it on Ctrl-C (SIGINT) to
	// report before exiting. The other commands keep Go's default: Ctrl-C ends them at once, at a prompt too.
	ctx     context.Context
	signals bool
	// now and sleep are watch's clock; sleep returns early with the context's error.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
	// terminal reports whether w is an interactive terminal (watch redraws a progress bar there).
	terminal func(w io.Writer) bool
}

// run is the command without AWS access (plan and usage): tests of those need no connector.
func run(args []string, stdout, stderr io.Writer) int {
	return cli{stdin: strings.NewReader(""), connect: connectAWS}.run(args, stdout, stderr)
}

// commands lists each command with what it does and its exit codes, in the order help shows them. A command's help
// lists only its own exit codes; the overview lists them all (exitCodes).
var commands = []struct{ name, synopsis, summary, exits string }{
	{"plan", "bluegreen plan [-assembly cdk.out] [-svg DIR] [-json]",
		"offline: what each blue/green deployment of a synthesized cloud assembly does: strategy, timeline, alarms, hooks, detection time, exposure",
		`exit codes: 0 printed; 1 the cloud assembly could not be read, or a picture not written; 2 bad usage (also a
  path that is not a cloud assembly: a directory with manifest.json, as ./cdkw synth writes it)`},
	{"status", "bluegreen status -function NAME [-alias live] [-application APP -group GROUP] [-profile P] [-region R] [-json]",
		"what the alias serves now (blue and green), the group's newest deployment explained (for CodeDeploy's rollback, the release it rolls back: -json .deployment.release), the version rollback would go to, each rollback alarm's state, the blocked releases",
		`exit codes: 0 shown; 1 failed (an AWS error); 2 bad usage`},
	{"watch", "bluegreen watch -function NAME [-alias live] -application APP -group GROUP [-deployment d-XXX|latest] [-timeout 2h] [-interval 10s] [-profile P] [-region R] [-json]",
		"follow a deployment live (beside ./cdkw deploy, or in CI) until it ends: traffic shift, hooks, alarms; exits 1 on a rollback, 5 on a timeout",
		`exit codes: 0 the deployment succeeded; 1 the deployment failed, was stopped or rolled back (or -deployment
  latest found none); 2 bad usage; 5 timed out (the deployment still running, or none started);
  6 could not read AWS (no credentials or region, refused credentials, access denied, a deployment that does not
  exist, an API error, throttling past the retries): the deployment's outcome is unknown; 130 interrupted (Ctrl-C)`},
	{"rollback", "bluegreen rollback (-function NAME [-alias live] [-application APP -group GROUP] [-stack NAME] | -stack NAME) [-template-bucket B] [-timeout 15m] [-no-block] [-print] [-yes] [-profile P] [-region R] [-json]",
		"stop a deployment in progress, or roll a finished release back in one update of its deployed stack; blocks the release; shows the change and asks first",
		`exit codes: 0 done; 1 failed (an AWS error, a failed stack update, AWS changing during the prompt); 2 bad usage
  (also a finished release without -application and -group); 3 nothing to roll back to (or a rollback by CodeDeploy
  or CloudFormation already putting the alias back: wait for it); 4 declined; 5 timed out (the stack update still
  running)`},
	{"unblock", "bluegreen unblock -function NAME (-release R | -all) [-yes] [-profile P] [-region R] [-json]",
		"let a release that rollback blocked take traffic again (a deploy of its code and configuration is refused until then)",
		`exit codes: 0 unblocked; 1 failed (an AWS error); 2 bad usage; 3 nothing to do (no such block to lift);
  4 declined`},
	{"recover", "bluegreen recover -stack NAME [-dry-run] [-yes] [-timeout 30m] [-profile P] [-region R] [-json]",
		"bring a stack out of UPDATE_ROLLBACK_FAILED: retry its rollback all at once without alarms, skip only failed aliases, restore the groups",
		`exit codes: 0 the stack is deployable; 1 failed (an AWS error, a stack not deployable after recover, AWS
  changing during the prompt); 2 bad usage; 3 nothing to do (the stack is not in UPDATE_ROLLBACK_FAILED);
  4 declined; 5 timed out (the stack operation still running)`},
	initCommand,
	acceptanceCommand,
	{"version", "bluegreen version   (or bluegreen -version)",
		"print bluegreen's version: its module version, or (devel) and the commit when built from a checkout",
		`exit codes: 0 printed; 2 bad usage`},
}

// exitCodes is every command's exit codes, for the overview.
const exitCodes = `exit codes: 0 done (watch: the deployment succeeded; recover: the stack is deployable); 1 failed (an AWS
  error; a deployment that failed, was stopped or rolled back; a failed stack update; AWS changing during the
  prompt); 2 bad usage (also a path that is not a cloud assembly); 3 nothing to do (no release to roll back to, a
  rollback already in progress, no block to lift, no stack to recover); 4 declined; 5 timed out (watch, or a stack operation rollback or recover
  waited for); 6 watch could not read AWS (the deployment's outcome is unknown); 130 watch interrupted`

// usage is the overview bluegreen help prints.
var usage = func() string {
	var b strings.Builder
	b.WriteString("bluegreen: the operator's tool for blue/green Lambda deployments (CodeDeploy)\n\n")
	b.WriteString("usage: bluegreen COMMAND [flags]   (bluegreen COMMAND -h lists its flags)\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(&b, "  %-9s %s\n\n", "help", "this overview; bluegreen help COMMAND shows a command's flags")
	b.WriteString("status, watch, rollback, unblock and recover use the AWS SDK's standard credential chain; -profile and -region override it.\n")
	b.WriteString(exitCodes)
	return b.String()
}()

func (c cli) run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "plan":
		return runPlan(args[1:], stdout, stderr)
	case "status":
		return c.runStatus(args[1:], stdout, stderr)
	case "watch":
		return c.runWatch(args[1:], stdout, stderr)
	case "rollback":
		return c.runRollback(args[1:], stdout, stderr)
	case "unblock":
		return c.runUnblock(args[1:], stdout, stderr)
	case "recover":
		return c.runRecover(args[1:], stdout, stderr)
	case "init":
		return runInit(args[1:], stdout, stderr)
	case "acceptance":
		return c.runAcceptance(args[1:], stdout, stderr)
	case "version":
		return runVersion(args[1:], stdout, stderr)
	case "-version", "--version":
		return runVersion(nil, stdout, stderr)
	case "help":
		if len(args) > 1 && args[1] != "help" {
			if summary(args[1]) == "" {
				fmt.Fprintf(stderr, "bluegreen help: unknown command %q\n%s\n", args[1], usage)
				return exitUsage
			}
			return c.run([]string{args[1], "-h"}, stdout, stderr)
		}
		fmt.Fprintln(stdout, usage)
		return exitOK
	case "-h", "-help", "--help":
		fmt.Fprintln(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "bluegreen: unknown command %q\n%s\n", args[0], usage)
		return exitUsage
	}
}
