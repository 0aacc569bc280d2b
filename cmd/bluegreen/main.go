// Command bluegreen is the operator's tool for blue/green Lambda deployments.
//
//	bluegreen plan [-assembly cdk.out] [-svg DIR] [-json]
//
// plan reads a synthesized cloud assembly offline and prints, for every blue/green deployment in it: function,
// alias, strategy, traffic timeline, rollback alarms, hooks, and the worst-case detection time and exposure
// (the formulas the constructs use at synth). -svg writes a picture of each timeline into DIR.
//
// Exit codes: 0 success, 1 failure, 2 bad usage.
package main

import (
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
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "plan":
		return runPlan(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "bluegreen: unknown command %q\n%s\n", args[0], usage)
		return exitUsage
	}
}

const usage = `usage: bluegreen plan [-assembly cdk.out] [-svg DIR] [-json]`

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
		if err := enc.Encode(ds); err != nil {
			fmt.Fprintln(stderr, "bluegreen plan:", err)
			return exitFail
		}
		return exitOK
	}
	fmt.Fprint(stdout, plan.Text(ds))
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
