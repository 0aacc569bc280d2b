// Command acceptance is the handler of the acceptance app (examples/acceptance): it answers
// {"ok":true,"version":…,"commit":…} with the version serving the request and the release's commit. A bad release
// (acceptance.EnvFail set to an acceptance.FailMode) fails every request in that way: an error, an answer after
// acceptance.SlowDelay, or the process's exit. A request whose FailVersion is the version serving it fails with an
// error (an error burst injected from outside the release). It runs on provided.al2023, built by package gobuild.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/safeship/lambda-bluegreen/internal/acceptance"
)

// reply is the answer to every request that succeeds.
type reply struct {
	OK      bool   `json:"ok"`
	Version string `json:"version"`
	Commit  string `json:"commit"`
}

// crashCode is the exit code of a FailCrash version's process.
const crashCode = 2

// system is what the handler's logic reads and does outside itself: os and time in Lambda, fakes in tests.
type system struct {
	// env reads the function's environment.
	env func(string) string
	// sleep waits d, or until ctx is done (then it returns ctx's error).
	sleep func(ctx context.Context, d time.Duration) error
	// exit ends the process with code; it does not return in Lambda.
	exit func(code int)
	// log receives what the handler says before it exits (CloudWatch Logs in Lambda).
	log io.Writer
}

// errExitReturned is what answer returns when exit returned: only a test's exit does.
var errExitReturned = errors.New("the process should have exited")

// answer is the handler's logic.
func answer(ctx context.Context, req acceptance.Request, rt system) (reply, error) {
	version, commit := rt.env("AWS_LAMBDA_FUNCTION_VERSION"), rt.env(acceptance.EnvCommit)
	switch mode := acceptance.FailMode(rt.env(acceptance.EnvFail)); mode {
	case "":
	case acceptance.FailErrors:
		return reply{}, fmt.Errorf("release %s fails every request with an error (%s=%s): version %s", commit,
			acceptance.EnvFail, mode, version)
	case acceptance.FailLatency:
		if err := rt.sleep(ctx, acceptance.SlowDelay); err != nil {
			return reply{}, fmt.Errorf("release %s answers after %v (%s=%s): %w", commit, acceptance.SlowDelay,
				acceptance.EnvFail, mode, err)
		}
	case acceptance.FailCrash:
		// Lambda reports the invocation as a function error, Runtime.ExitError ("Runtime exited with error: exit
		// status 2"), and runs the next request in a new execution environment (see acceptance.FailCrash).
		fmt.Fprintf(rt.log, "release %s exits during every request (%s=%s): version %s exits with status %d\n",
			commit, acceptance.EnvFail, mode, version, crashCode)
		rt.exit(crashCode)
		return reply{}, errExitReturned
	default:
		return reply{}, fmt.Errorf("%s=%q is no fail mode: want one of %v", acceptance.EnvFail, string(mode),
			acceptance.FailModes)
	}
	if req.FailVersion != "" && req.FailVersion == version {
		return reply{}, fmt.Errorf("the request asks version %s to fail (failVersion), and it serves it", version)
	}
	return reply{OK: true, Version: version, Commit: commit}, nil
}

// sleep waits d, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func handle(ctx context.Context, req acceptance.Request) (reply, error) {
	return answer(ctx, req, system{env: os.Getenv, sleep: sleep, exit: os.Exit, log: os.Stderr})
}

func main() {
	lambda.Start(handle)
}
