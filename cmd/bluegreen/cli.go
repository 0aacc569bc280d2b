package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// The command line shared by the commands: their flags and help, the flags of the AWS commands and their connection,
// the operator's confirmation, and how a command's error becomes its exit code. Each command's file calls down into
// it; it calls none of them.

// context is the commands' context: c.ctx, or context.Background when nil.
func (c cli) context() context.Context {
	if c.ctx != nil {
		return c.ctx
	}
	return context.Background()
}

// summary is what command name does, as help lists it ("" for an unknown command).
func summary(name string) string {
	for _, c := range commands {
		if c.name == name {
			return c.summary
		}
	}
	return ""
}

// synopsis is the usage line of command name.
func synopsis(name string) string {
	for _, c := range commands {
		if c.name == name {
			return c.synopsis
		}
	}
	return ""
}

// exits is the exit codes of command name, as its help lists them.
func exits(name string) string {
	for _, c := range commands {
		if c.name == name {
			return c.exits
		}
	}
	return exitCodes
}

// newFlags is a command's flag set: its errors go to stderr, and help is printed by parseFlags.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	return fs
}

// commandHelp writes what the command does, its synopsis, and each flag with its meaning.
func commandHelp(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "bluegreen %s: %s\n\nusage: %s\n\nflags:\n", fs.Name(), summary(fs.Name()), synopsis(fs.Name()))
	out := fs.Output()
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(out)
	fmt.Fprintf(w, "\n%s\n", exits(fs.Name()))
}

// parseFlags parses args; when it returns done, the command ends with code: 0 after -h (help on stdout), 2 for a
// bad flag or a stray argument (the error and the help on stderr).
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (code int, done bool) {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		commandHelp(stdout, fs)
		return exitOK, true
	case err != nil: // the flag package has printed the error
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "bluegreen %s: unexpected argument %q (flags come as -name value)\n", fs.Name(), fs.Arg(0))
	default:
		return exitOK, false
	}
	commandHelp(stderr, fs)
	return exitUsage, true
}

// failed prints err for command name, with what to do when the operator can fix it, and returns exit code 1.
func failed(stderr io.Writer, name string, err error) int {
	fmt.Fprintf(stderr, "bluegreen %s: %v\n", name, explain(err))
	return exitFail
}

// target holds the flags status, watch and rollback share.
type target struct {
	function, alias, application, group, profile, region *string
	asJSON                                               *bool
}

// targetFlags defines the flags status, watch and rollback share on fs.
func targetFlags(fs *flag.FlagSet) target {
	return target{
		function:    fs.String("function", "", "the protected function's name or ARN (required, except by rollback -stack)"),
		alias:       fs.String("alias", "live", "the alias CodeDeploy shifts"),
		application: fs.String("application", "", "the CodeDeploy application (with -group; the deployment group's CloudFormation resource names both, as do the pipeline's BlueGreenVerify… outputs)"),
		group:       fs.String("group", "", "the CodeDeploy deployment group (with -application)"),
		profile:     fs.String("profile", "", "the AWS profile (default: AWS_PROFILE, else the standard credential chain)"),
		region:      fs.String("region", "", "the AWS region (default: AWS_REGION, else the profile's)"),
		asJSON:      fs.Bool("json", false, "print JSON on standard output, and progress on standard error"),
	}
}

// parseTarget parses a command's flags and connects to AWS; it returns done with the exit code when the command
// ends there (help, bad usage, no AWS configuration).
// check returns what is wrong with the parsed flags beyond the shared rules, or ""; nil means requireFunction.
func (c cli) parseTarget(name string, args []string, stdout, stderr io.Writer, extra func(*flag.FlagSet), check func(target) string) (target, clients, int, bool) {
	fs := newFlags(name, stderr)
	t := targetFlags(fs)
	if extra != nil {
		extra(fs)
	}
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return t, clients{}, code, true
	}
	if check == nil {
		check = requireFunction
	}
	if (*t.application == "") != (*t.group == "") {
		fmt.Fprintf(stderr, "bluegreen %s: -application and -group go together (bluegreen %s -h lists the flags)\n", name, name)
		return t, clients{}, exitUsage, true
	}
	if problem := check(t); problem != "" {
		fmt.Fprintf(stderr, "bluegreen %s: %s (bluegreen %s -h lists the flags)\n", name, problem, name)
		return t, clients{}, exitUsage, true
	}
	cl, err := c.connect(c.context(), *t.profile, *t.region)
	if err != nil {
		return t, clients{}, failed(stderr, name, err), true
	}
	return t, cl, exitOK, false
}

// requireFunction is the check of a command that needs -function.
func requireFunction(t target) string {
	if *t.function == "" {
		return "-function is required"
	}
	return ""
}

// confirmer shows a change on w and returns whether the operator approved it: always with yes, otherwise when the
// answer read from the command's input is y or yes. No answer (a script without -yes) declines.
func (c cli) confirmer(w io.Writer, yes bool) func(change string) bool {
	answers := bufio.NewScanner(c.stdin)
	return func(change string) bool {
		fmt.Fprintf(w, "will %s\n", change)
		if yes {
			return true
		}
		fmt.Fprint(w, "proceed? [y/N] ")
		if !answers.Scan() {
			return false
		}
		a := strings.ToLower(strings.TrimSpace(answers.Text()))
		return a == "y" || a == "yes"
	}
}

// exitCode is the exit code of a rollback or recover that ended with err (nil: exitOK).
func exitCode(err error) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errNothing), errors.Is(err, errRollingBack):
		return exitNothing
	case errors.Is(err, errDeclined):
		return exitDecline
	case errors.Is(err, errUsage):
		return exitUsage
	case errors.Is(err, errTimedOut):
		return exitTimeout
	default:
		return exitFail
	}
}
