// Command handler is the traffic hook Lambda that package hooks deploys. It reads config.json (package
// hookconfig) from its code folder, then, for each CodeDeploy lifecycle event, tests the version the deployment
// is shifting to and reports Succeeded or Failed (package runner).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	awslambda "github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/safeship/lambda-bluegreen/constructs/hooks/hookconfig"
	"github.com/safeship/lambda-bluegreen/constructs/hooks/runner"
)

func main() {
	h := &runner.Hook{Log: os.Stdout}
	h.Config, h.ConfigError = readConfig()
	aws, err := config.LoadDefaultConfig(context.Background(), config.WithRetryMaxAttempts(5))
	if err != nil && h.ConfigError == nil {
		h.ConfigError = fmt.Errorf("AWS SDK configuration: %w", err)
	}
	h.Lambda = lambda.NewFromConfig(aws)
	h.CodeDeploy = codedeploy.NewFromConfig(aws)
	h.CloudWatch = cloudwatch.NewFromConfig(aws)
	awslambda.Start(h.Handle)
}

// readConfig reads config.json from the function's code folder (LAMBDA_TASK_ROOT, or beside the executable).
func readConfig() (hookconfig.Config, error) {
	dir := os.Getenv("LAMBDA_TASK_ROOT")
	if dir == "" {
		exe, err := os.Executable()
		if err != nil {
			return hookconfig.Config{}, err
		}
		dir = filepath.Dir(exe)
	}
	b, err := os.ReadFile(filepath.Join(dir, hookconfig.FileName))
	if err != nil {
		return hookconfig.Config{}, err
	}
	var c hookconfig.Config
	if err := json.Unmarshal(b, &c); err != nil {
		return hookconfig.Config{}, fmt.Errorf("%s: %w", hookconfig.FileName, err)
	}
	return c, nil
}
