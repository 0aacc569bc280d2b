package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/safeship/lambda-bluegreen/internal/scaffold"
)

// initCommand is init's entry in the commands table.
var initCommand = struct{ name, synopsis, summary, exits string }{"init",
	"bluegreen init [-module PATH] [-stack NAME] [-library-version V | -library-dir DIR] [-no-tidy] DIR",
	"start a new CDK app in Go in DIR (new or empty): one function released blue/green, go.mod, cdk.json, and ./cdkw running the pinned CDK CLI",
	`exit codes: 0 created; 1 failed (a file not written, go mod tidy failed: the app is written, run it again
  there); 2 bad usage (also DIR not empty, a bad module path or stack name, no library version known)`}

// runInit creates a new app (bluegreen init): it refuses a folder that is not empty, writes the app's files, runs
// go mod tidy there (unless -no-tidy), and prints the files it wrote and the next commands.
func runInit(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("init", stderr)
	module := fs.String("module", "", "the app's Go module path (default: DIR's name)")
	stack := fs.String("stack", "", "the name of the app's CloudFormation stack (default: DIR's name in PascalCase and Stack: my-app gives MyAppStack)")
	libVersion := fs.String("library-version", "", "the version of "+scaffold.LibraryPath+" go.mod requires (default: this bluegreen's, when it is a release: go install …/cmd/bluegreen@VERSION)")
	libDir := fs.String("library-dir", "", "a checkout of the library that go.mod's replace points at (default, when this bluegreen is built from a checkout: the checkout holding the working directory)")
	noTidy := fs.Bool("no-tidy", false, "leave out go mod tidy, which writes go.sum (downloading the modules the app needs)")
	dir, code, done := parseInitFlags(fs, args, stdout, stderr)
	if done {
		return code
	}
	usageErr := func(format string, a ...interface{}) int {
		fmt.Fprintf(stderr, "bluegreen init: "+format+" (bluegreen init -h lists the flags)\n", a...)
		return exitUsage
	}
	if dir == "" {
		return usageErr("the app's folder DIR is missing")
	}
	if *libVersion != "" && *libDir != "" {
		return usageErr("-library-version and -library-dir exclude each other")
	}

	lib := scaffold.Library{Version: *libVersion, Dir: *libDir}
	if lib == (scaffold.Library{}) {
		info, _ := debug.ReadBuildInfo()
		lib.Version = scaffold.ReleasedVersion(info)
		if lib.Version == "" {
			wd, _ := os.Getwd()
			if lib.Dir = scaffold.FindCheckout(wd); lib.Dir == "" {
				return usageErr("this bluegreen is not a release (%s) and the working directory is in no checkout of "+
					"the library, so there is no version for go.mod to require: give -library-version v1.2.3, or "+
					"-library-dir with a checkout", version(info, info != nil))
			}
			fmt.Fprintf(stderr, "bluegreen init: this bluegreen is built from the checkout %s, not a release: go.mod "+
				"replaces the library with that checkout (-library-version requires a release instead)\n", lib.Dir)
		}
	}
	opts, err := scaffold.Check(scaffold.Options{Dir: dir, Module: *module, Stack: *stack, Library: lib})
	if err != nil {
		return usageErr("%s", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	files, err := scaffold.Create(opts)
	if err != nil {
		fmt.Fprintf(stderr, "bluegreen init: %v\n", err)
		return exitFail
	}
	fmt.Fprintf(stdout, "Created a CDK app in %s (module %s, stack %s):\n", opts.Dir, opts.Module, opts.Stack)
	for _, f := range files {
		fmt.Fprintf(stdout, "  %-22s %s\n", f.Path, f.About)
	}

	next := []string{"cd " + shellQuote(dir)}
	if *noTidy {
		next = append(next, "go mod tidy                # writes go.sum")
	} else {
		fmt.Fprintf(stderr, "bluegreen init: go mod tidy in %s (writes go.sum; downloads the modules the app needs unless Go has them)\n", opts.Dir)
		tidy := exec.Command("go", "mod", "tidy")
		tidy.Dir, tidy.Stdout, tidy.Stderr = opts.Dir, stderr, stderr
		if err := tidy.Run(); err != nil {
			fmt.Fprintf(stderr, "bluegreen init: go mod tidy in %s failed: %v; the app is written: run go mod tidy there once the cause above is fixed\n", opts.Dir, err)
			return exitFail
		}
		fmt.Fprintf(stdout, "  %-22s %s\n", "go.sum", "go mod tidy's checksums of the modules the app needs")
	}
	next = append(next, "./cdkw synth               # synthesize into cdk.out (the first run compiles the AWS CDK's Go bindings: minutes, with progress)")
	fmt.Fprintf(stdout, "\nNext:\n  %s\nthen ./cdkw deploy (AWS credentials, an account bootstrapped with ./cdkw bootstrap).\n",
		strings.Join(next, "\n  "))
	return exitOK
}

// parseInitFlags parses init's flags, before or after DIR, and returns DIR; when done, init ends with code (help, a
// bad flag, a second argument).
func parseInitFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (dir string, code int, done bool) {
	err := fs.Parse(args)
	if err == nil && fs.NArg() > 0 {
		dir = fs.Arg(0)
		err = fs.Parse(fs.Args()[1:])
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		commandHelp(stdout, fs)
		return "", exitOK, true
	case err != nil: // the flag package has printed the error
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "bluegreen init: unexpected argument %q after DIR %q\n", fs.Arg(0), dir)
	default:
		return dir, exitOK, false
	}
	commandHelp(stderr, fs)
	return "", exitUsage, true
}

// shellQuote quotes p for a POSIX shell when it holds anything but letters, digits and "-._/~+,".
func shellQuote(p string) string {
	if p != "" && strings.Trim(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._/+,") == "" {
		return p
	}
	return "'" + strings.ReplaceAll(filepath.ToSlash(p), "'", `'\''`) + "'"
}
