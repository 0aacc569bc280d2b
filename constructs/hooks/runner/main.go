package runner

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
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/safeship/lambda-bluegreen/constructs/hooks/hookconfig"
)

// HandlerPackage is the import path of the hook's main package, which calls Main.
const HandlerPackage = "github.com/safeship/lambda-bluegreen/constructs/hooks/handler"

// Main runs the hook as a Lambda function: it reads config.json (package hookconfig) from the function's code
// folder, builds the AWS clients from the standard credential chain with up to 5 attempts per call (but for the
// invocations of green, which the SDK sends once and the hook sends again only when Lambda did not run them: see
// Hook.InvokeAttempts), and serves CodeDeploy's lifecycle events. A configuration it cannot read makes every run report Failed, with the reason in
// the log.
//
// With FailureReporterEnv set, the same binary is the hook's failure reporter instead (see FailureReporter): it
// reads no configuration and only reports Failed for the invocation records Lambda sends it.
func Main() {
	aws, err := config.LoadDefaultConfig(context.Background(), config.WithRetryMaxAttempts(5))
	if phase := os.Getenv(FailureReporterEnv); phase != "" {
		r := &FailureReporter{CodeDeploy: codedeploy.NewFromConfig(aws), Phase: hookconfig.Phase(phase), Log: os.Stdout}
		if err != nil {
			r.ConfigError = fmt.Errorf("AWS SDK configuration: %w", err)
		}
		awslambda.Start(r.Handle)
		return
	}
	h := &Hook{Log: os.Stdout}
	h.Config, h.ConfigError = ReadConfig()
	if err != nil && h.ConfigError == nil {
		h.ConfigError = fmt.Errorf("AWS SDK configuration: %w", err)
	}
	h.Lambda = lambda.NewFromConfig(aws)
	h.CodeDeploy = codedeploy.NewFromConfig(aws)
	h.CloudWatch = cloudwatch.NewFromConfig(aws)
	if target, role := os.Getenv(WatchdogTargetEnv), os.Getenv(WatchdogRoleEnv); target != "" && role != "" {
		h.Watchdog = &Watchdog{Scheduler: scheduler.NewFromConfig(aws), TargetARN: target, RoleARN: role}
	}
	awslambda.Start(h.Handle)
}

// ReadConfig reads config.json from the function's code folder (LAMBDA_TASK_ROOT, or beside the executable).
func ReadConfig() (hookconfig.Config, error) {
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
