package formatter

import (
	"context"
	"fmt"
	"os"

	awslambda "github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// Main runs the formatter as a Lambda function: the AWS clients come from the standard credential chain with up to
// 5 attempts per call, the topic from TopicEnv. Without a topic every event fails (and so reaches the function's
// on-failure destination), with the reason in the log.
func Main() {
	aws, err := config.LoadDefaultConfig(context.Background(), config.WithRetryMaxAttempts(5))
	if err != nil {
		fmt.Fprintf(os.Stdout, "notify: AWS SDK configuration: %v\n", err)
	}
	f := &Formatter{
		CodeDeploy: codedeploy.NewFromConfig(aws),
		CloudWatch: cloudwatch.NewFromConfig(aws),
		SNS:        sns.NewFromConfig(aws),
		TopicARN:   os.Getenv(TopicEnv),
		Log:        os.Stdout,
	}
	if f.TopicARN == "" {
		awslambda.Start(func(context.Context) error {
			return fmt.Errorf("notify: %s is not set: no topic to publish to", TopicEnv)
		})
		return
	}
	awslambda.Start(f.Handle)
}
