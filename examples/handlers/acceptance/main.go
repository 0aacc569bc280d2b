// Command acceptance is the handler of the acceptance app (examples/acceptance): it answers
// {"ok":true,"version":…,"commit":…} with the version serving the request and the release's commit, and fails when
// the release is broken (acceptance.EnvBroken is "1") or when the request's FailVersion is the version serving it
// (an error burst injected from outside the release). It runs on provided.al2023, built by package gobuild.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/safeship/lambda-bluegreen/internal/acceptance"
)

// reply is the answer to every request that succeeds.
type reply struct {
	OK      bool   `json:"ok"`
	Version string `json:"version"`
	Commit  string `json:"commit"`
}

// answer is the handler's logic: env reads the function's environment (os.Getenv in Lambda).
func answer(req acceptance.Request, env func(string) string) (reply, error) {
	version, commit := env("AWS_LAMBDA_FUNCTION_VERSION"), env(acceptance.EnvCommit)
	if env(acceptance.EnvBroken) == "1" {
		return reply{}, fmt.Errorf("release %s is broken (%s=1): version %s fails every request",
			commit, acceptance.EnvBroken, version)
	}
	if req.FailVersion != "" && req.FailVersion == version {
		return reply{}, fmt.Errorf("the request asks version %s to fail (failVersion), and it serves it", version)
	}
	return reply{OK: true, Version: version, Commit: commit}, nil
}

func handle(_ context.Context, req acceptance.Request) (reply, error) {
	return answer(req, os.Getenv)
}

func main() {
	lambda.Start(handle)
}
