// Command bluegreen is the operator's tool for blue/green Lambda deployments.
//
//	bluegreen plan [-assembly cdk.out] [-svg DIR] [-json]
//	bluegreen status -function NAME [-alias live] [-application APP -group GROUP] [-profile P] [-region R] [-json]
//	bluegreen rollback -function NAME [-alias live] [-application APP -group GROUP] [-assembly cdk.out] [-cdk ./cdkw]
//	                   [-deployment PATH] [-print] [-yes] [-profile P] [-region R] [-json]
//
// plan reads a synthesized cloud assembly offline and prints, for every blue/green deployment in it: function,
// alias, strategy, traffic timeline, rollback alarms, hooks, and the worst-case detection time and exposure
// (the formulas the constructs use at synth). -svg writes a picture of each timeline into DIR.
//
// status shows the alias's versions and weights (blue and green), the group's newest CodeDeploy deployment with
// its lifecycle events, the version rollback would go to, and the state of every rollback alarm. rollback stops
// an in-progress deployment with automatic rollback; with none in progress, it sends a weighted alias left by a
// failed deployment back to blue, and rolls a finished release back through a deploy of its stack that pins the
// alias to the previous release (./cdkw deploy --exclusively STACK -c lambda-bluegreen:pin=PATH=VERSION), after
// showing the change and asking for confirmation (-yes skips the prompt; -print only prints the command). Both use
// the AWS SDK's standard credential chain.
//
// Exit codes: 0 success, 1 failure (an AWS error, a failed deploy, or AWS changing while the operator decided), 2 bad
// usage (also a finished release without -application and -group), 3 nothing to roll back to, 4 declined.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/safeship/lambda-bluegreen/internal/plan"
)

// Exit codes a script can use.
const (
	exitOK      = 0
	exitFail    = 1
	exitUsage   = 2
	exitNothing = 3
	exitDecline = 4
)

func main() {
	os.Exit(cli{stdin: os.Stdin, connect: connectAWS}.run(os.Args[1:], os.Stdout, os.Stderr))
}

// cli carries what the AWS commands need from outside: the operator's answers and the way to reach AWS.
type cli struct {
	stdin   io.Reader
	connect connector
}

// run is the command without AWS access (plan and usage): tests of those need no connector.
func run(args []string, stdout, stderr io.Writer) int {
	return cli{stdin: strings.NewReader(""), connect: connectAWS}.run(args, stdout, stderr)
}

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
	case "rollback":
		return c.runRollback(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "bluegreen: unknown command %q\n%s\n", args[0], usage)
		return exitUsage
	}
}

const usage = `usage:
  bluegreen plan [-assembly cdk.out] [-svg DIR] [-json]
  bluegreen status -function NAME [-alias live] [-application APP -group GROUP] [-profile P] [-region R] [-json]
  bluegreen rollback -function NAME [-alias live] [-application APP -group GROUP] [-assembly cdk.out] [-cdk ./cdkw]
                     [-deployment PATH] [-print] [-yes] [-profile P] [-region R] [-json]`

// target holds the flags status and rollback share.
type target struct {
	function, alias, application, group, profile, region *string
	asJSON                                               *bool
}

func targetFlags(fs *flag.FlagSet) target {
	return target{
		function:    fs.String("function", "", "the protected function's name or ARN (required)"),
		alias:       fs.String("alias", "live", "the alias CodeDeploy shifts"),
		application: fs.String("application", "", "the CodeDeploy application (with -group: show and stop its deployments)"),
		group:       fs.String("group", "", "the CodeDeploy deployment group"),
		profile:     fs.String("profile", "", "the AWS profile (default: the standard credential chain)"),
		region:      fs.String("region", "", "the AWS region (default: the profile's or AWS_REGION)"),
		asJSON:      fs.Bool("json", false, "print JSON instead of text"),
	}
}

func (c cli) parseTarget(name string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (target, clients, int) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	t := targetFlags(fs)
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return t, clients{}, exitUsage
	}
	if *t.function == "" || (*t.application == "") != (*t.group == "") {
		fmt.Fprintf(stderr, "bluegreen %s: -function is required, and -application and -group go together\n", name)
		return t, clients{}, exitUsage
	}
	cl, err := c.connect(context.Background(), *t.profile, *t.region)
	if err != nil {
		fmt.Fprintf(stderr, "bluegreen %s: %v\n", name, err)
		return t, clients{}, exitFail
	}
	return t, cl, exitOK
}

func (c cli) runStatus(args []string, stdout, stderr io.Writer) int {
	t, cl, code := c.parseTarget("status", args, stderr, nil)
	if code != exitOK {
		return code
	}
	s, err := readStatus(context.Background(), cl, *t.function, *t.alias, *t.application, *t.group)
	if err != nil {
		fmt.Fprintln(stderr, "bluegreen status:", err)
		return exitFail
	}
	if *t.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(s)
		return exitOK
	}
	s.text(stdout)
	return exitOK
}

func (c cli) runRollback(args []string, stdout, stderr io.Writer) int {
	var yes, printOnly *bool
	var assembly, cdk, deployment *string
	t, cl, code := c.parseTarget("rollback", args, stderr, func(fs *flag.FlagSet) {
		yes = fs.Bool("yes", false, "do not ask for confirmation")
		printOnly = fs.Bool("print", false, "print the command that would roll back, and change nothing")
		assembly = fs.String("assembly", "cdk.out", "the cloud assembly synthesized from the deployed commit (for a finished release)")
		cdk = fs.String("cdk", "./cdkw", "the CDK CLI command that deploys, run in the current directory (for a finished release)")
		deployment = fs.String("deployment", "", "the deployment's construct path, when the function carries no CloudFormation tags (bluegreen plan lists them)")
	})
	if code != exitOK {
		return code
	}
	if len(strings.Fields(*cdk)) == 0 {
		fmt.Fprintln(stderr, "bluegreen rollback: -cdk must name a command, got an empty one")
		return exitUsage
	}
	answers := bufio.NewScanner(c.stdin)
	progress := stdout
	if *t.asJSON {
		progress = stderr // stdout carries only the JSON result
	}
	var planned string
	confirm := func(change string) bool {
		planned = change
		fmt.Fprintf(progress, "will %s\n", change)
		if *yes {
			return true
		}
		fmt.Fprint(progress, "proceed? [y/N] ")
		if !answers.Scan() {
			return false
		}
		a := strings.ToLower(strings.TrimSpace(answers.Text()))
		return a == "y" || a == "yes"
	}
	var deployIn io.Reader
	if f, ok := c.stdin.(*os.File); ok {
		deployIn = f // a terminal stays a terminal for the CDK CLI's own prompts
	}
	var out bytes.Buffer
	res, err := rollback(context.Background(), cl, rollbackOptions{
		function: *t.function, alias: *t.alias, application: *t.application, group: *t.group,
		assembly: *assembly, deployment: *deployment, cdk: strings.Fields(*cdk), printOnly: *printOnly,
		confirm: confirm, out: &out, deployOut: progress, deployErr: stderr, deployIn: deployIn,
	})
	result := map[string]interface{}{"rolledBack": err == nil && res.Done, "change": planned, "message": strings.TrimSpace(out.String())}
	if res.Target != "" {
		result["target"] = res.Target
	}
	if res.Command != "" {
		result["command"] = res.Command
	}
	switch {
	case err == nil:
	case errors.Is(err, errNothing):
		code = exitNothing
	case errors.Is(err, errDeclined):
		code = exitDecline
	case errors.Is(err, errUsage):
		code = exitUsage
	default:
		code = exitFail
	}
	if err != nil {
		result["message"] = err.Error()
	}
	if *t.asJSON {
		json.NewEncoder(stdout).Encode(result)
	} else if err != nil {
		fmt.Fprintln(stderr, "bluegreen rollback:", err)
	} else {
		fmt.Fprint(stdout, out.String())
	}
	return code
}

func runPlan(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	assembly := fs.String("assembly", "cdk.out", "the synthesized cloud assembly")
	svgDir := fs.String("svg", "", "write an SVG of each deployment's timeline into this folder")
	asJSON := fs.Bool("json", false, "print JSON instead of text")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	ds, err := plan.Read(*assembly)
	var ss []plan.Switch
	if err == nil {
		ss, err = plan.ReadSwitches(*assembly)
	}
	if err != nil {
		fmt.Fprintln(stderr, "bluegreen plan:", err)
		return exitFail
	}
	if *svgDir != "" {
		if err := writeSVGs(*svgDir, ds); err != nil {
			fmt.Fprintln(stderr, "bluegreen plan:", err)
			return exitFail
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if ss == nil {
			ss = []plan.Switch{}
		}
		if err := enc.Encode(map[string]interface{}{"deployments": ds, "switches": ss}); err != nil {
			fmt.Fprintln(stderr, "bluegreen plan:", err)
			return exitFail
		}
		return exitOK
	}
	fmt.Fprint(stdout, plan.Text(ds)+plan.SwitchText(ss))
	return exitOK
}

func writeSVGs(dir string, ds []plan.Deployment) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var errs []error
	for _, d := range ds {
		name := strings.NewReplacer("/", "-", " ", "_").Replace(d.Path) + ".svg"
		errs = append(errs, os.WriteFile(filepath.Join(dir, name), plan.SVG(d), 0o644))
	}
	return errors.Join(errs...)
}
