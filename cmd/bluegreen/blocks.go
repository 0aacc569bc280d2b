package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/safeship/lambda-bluegreen/internal/block"
	"github.com/safeship/lambda-bluegreen/internal/deployment"
)

// blockReason is the Reason of the blocks rollback writes.
const blockReason = "bluegreen rollback"

// blockPlan is the block a rollback writes for one function once the release is out of service.
type blockPlan struct {
	// function is the function's name (its blocks' parameter is named after it).
	function string
	// entry is the block; entry.Release is "" when the release could not be named, and note says why.
	entry block.Entry
	note  string
}

func unblockCommand(function, release string) string {
	return shellLine([]string{"bluegreen", "unblock", "-function", function, "-release", release})
}

// promise is what the confirmation says of the block.
func (b blockPlan) promise(noBlock bool) string {
	switch {
	case noBlock:
		return fmt.Sprintf("not blocked (-no-block): a deploy of the same code and configuration of %s may send traffic to it again", b.function)
	case b.entry.Release == "":
		return fmt.Sprintf("WARNING: the release of %s cannot be blocked: %s", b.function, b.note)
	}
	return fmt.Sprintf("release %s of %s (version %s) will be blocked: a deploy of the same code and configuration is refused "+
		"until `%s`", b.entry.Release, b.function, b.entry.Version, unblockCommand(b.function, b.entry.Release))
}

// callerARN is who is acting, for the block's By; "" when STS does not answer (the block matters more).
func callerARN(ctx context.Context, c clients) string {
	out, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return ""
	}
	return aws.ToString(out.Arn)
}

// errNotBlocked is a rollback that happened but whose release could not be blocked: the command exits 1, so that
// a script or a person sees that a re-run of the pipeline may ship the release again.
var errNotBlocked = errors.New("not blocked")

// writeBlocks records each named release in its function's blocks and says so on out. A release nothing names is a
// warning on out. A block that cannot be written does not stop the rollback, which matters more: it is a warning on
// out, and the returned error (which wraps errNotBlocked) names it. It returns the releases blocked.
func writeBlocks(ctx context.Context, c clients, plans []blockPlan, now time.Time, out io.Writer) ([]string, error) {
	var blocked []string
	var failed []string
	by := ""
	for i, b := range plans {
		if b.entry.Release == "" {
			// Nothing names it (a version the template only pins, say): said, not an error.
			fmt.Fprintf(out, "WARNING: the release of %s was not blocked: %s\n", b.function, b.note)
			continue
		}
		if i == 0 || by == "" {
			by = callerARN(ctx, c)
		}
		e := b.entry
		e.At, e.By, e.Reason = now.UTC(), by, blockReason
		store := block.Store{SSM: c.ssm}
		l, err := store.Get(ctx, b.function)
		if err == nil {
			err = store.Put(ctx, b.function, l.With(e))
		}
		if err != nil {
			fmt.Fprintf(out, "WARNING: release %s of %s was not blocked, a deploy of the same code and configuration may send "+
				"traffic to it again: %v\n", e.Release, b.function, explain(err))
			failed = append(failed, fmt.Sprintf("%s of %s: %v", e.Release, b.function, explain(err)))
			continue
		}
		blocked = append(blocked, e.Release)
		fmt.Fprintf(out, "release %s of %s is blocked: a deploy of the same code and configuration is refused until `%s`\n",
			e.Release, b.function, unblockCommand(b.function, e.Release))
	}
	if len(failed) > 0 {
		return blocked, fmt.Errorf("%w: %s (a deploy of the same code and configuration may send traffic to it again)",
			errNotBlocked, strings.Join(failed, "; "))
	}
	return blocked, nil
}

func (c cli) runUnblock(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("unblock", stderr)
	function := fs.String("function", "", "the function whose release to unblock, by name or ARN (required)")
	release := fs.String("release", "", "the blocked release: the version's logical id that rollback blocked (bluegreen status lists them)")
	all := fs.Bool("all", false, "unblock every release of the function")
	yes := fs.Bool("yes", false, "do not ask for confirmation")
	profile := fs.String("profile", "", "the AWS profile (default: AWS_PROFILE, else the standard credential chain)")
	region := fs.String("region", "", "the AWS region (default: AWS_REGION, else the profile's)")
	asJSON := fs.Bool("json", false, "print JSON on standard output, and the prompt on standard error")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if *function == "" || (*release == "") == !*all {
		fmt.Fprintln(stderr, "bluegreen unblock: -function is required, with either -release or -all (bluegreen unblock -h lists the flags)")
		return exitUsage
	}
	cl, err := c.connect(c.context(), *profile, *region)
	if err != nil {
		return failed(stderr, "unblock", err)
	}
	progress := stdout
	if *asJSON {
		progress = stderr
	}
	ctx := c.context()
	name := deployment.FunctionName(*function)
	store := block.Store{SSM: cl.ssm}
	l, err := store.Get(ctx, name)
	if err != nil {
		return failed(stderr, "unblock", err)
	}
	report := func(code int, msg string, removed []block.Entry) int {
		if *asJSON {
			if removed == nil {
				removed = []block.Entry{}
			}
			json.NewEncoder(stdout).Encode(map[string]interface{}{"function": name, "unblocked": removed, "message": msg})
		} else if code == exitOK {
			fmt.Fprintln(stdout, msg)
		} else {
			fmt.Fprintln(stderr, "bluegreen unblock:", msg)
		}
		return code
	}
	var removed []block.Entry
	rest := l
	if *all {
		removed, rest = l.Entries, block.List{Function: name}
	} else if e, ok := l.Find(*release); ok {
		removed = []block.Entry{e}
		rest, _ = l.Without(*release)
	}
	if len(removed) == 0 {
		msg := fmt.Sprintf("no release of %s is blocked", name)
		if !*all && len(l.Entries) > 0 {
			var names []string
			for _, e := range l.Entries {
				names = append(names, e.Release)
			}
			msg = fmt.Sprintf("release %s of %s is not blocked (blocked: %s)", *release, name, strings.Join(names, ", "))
		}
		return report(exitNothing, msg, nil)
	}
	var lines []string
	for _, e := range removed {
		lines = append(lines, "  "+blockLine(e))
	}
	confirm := c.confirmer(progress, *yes)
	if !confirm(fmt.Sprintf("unblock %d release(s) of %s: a deploy of the same code and configuration may take traffic again\n%s",
		len(removed), name, strings.Join(lines, "\n"))) {
		return report(exitDecline, "declined", nil)
	}
	if err := store.Put(ctx, name, rest); err != nil {
		return report(exitFail, explain(err).Error(), nil)
	}
	var names []string
	for _, e := range removed {
		names = append(names, e.Release)
	}
	return report(exitOK, fmt.Sprintf("unblocked %s of %s", strings.Join(names, ", "), name), removed)
}

// blockLine is one blocked release as status and unblock show it: release, version, when, by.
func blockLine(e block.Entry) string {
	s := fmt.Sprintf("%s (version %s) blocked %s", e.Release, e.Version, e.At.UTC().Format(time.RFC3339))
	if e.By != "" {
		s += " by " + e.By
	}
	return s
}
