package guard

import (
	"context"
	"os"

	awslambda "github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/safeship/lambda-bluegreen/internal/block"
)

// Main runs the guard as a Lambda function, with AWS clients from the standard credential chain (up to 5 attempts
// per call). A configuration it cannot load fails every gate request at once (CloudFormation would otherwise wait
// an hour for an answer).
func Main() {
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRetryMaxAttempts(5))
	g := &Guard{
		ConfigError:    err,
		Blocks:         block.Store{SSM: ssm.NewFromConfig(cfg)},
		CloudFormation: cloudformation.NewFromConfig(cfg),
		CodeDeploy:     codedeploy.NewFromConfig(cfg),
		Log:            os.Stdout,
	}
	awslambda.Start(g.Handle)
}
