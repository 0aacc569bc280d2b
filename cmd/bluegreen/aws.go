package main

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/safeship/lambda-bluegreen/internal/deployment"
)

// clients are the AWS APIs the commands use: CloudFormation for the stacks (rollback of a finished release,
// recover), SSM for the release blocks, S3 for a rollback template too large for a request, STS for who blocks a
// release, SQS for the notices bluegreen acceptance reads.
type clients struct {
	lambda         *lambda.Client
	codedeploy     *codedeploy.Client
	cloudwatch     *cloudwatch.Client
	cloudformation *cloudformation.Client
	ssm            *ssm.Client
	s3             *s3.Client
	sts            *sts.Client
	// sqs reads the acceptance app's notices (bluegreen acceptance).
	sqs *sqs.Client
	// now is the clock the windows of listed deployments count back from (time.Now when nil).
	now func() time.Time
}

// deployments is the reader of the CodeDeploy deployments, with the clients' clock.
func (c clients) deployments() deployment.Reader {
	return deployment.Reader{CodeDeploy: c.codedeploy, History: c.codedeploy, CloudWatch: c.cloudwatch, Now: c.now}
}

// connect builds the clients from the standard credential chain, with an optional profile and region.
type connector func(ctx context.Context, profile, region string) (clients, error)

func connectAWS(ctx context.Context, profile, region string) (clients, error) {
	var opts []func(*config.LoadOptions) error
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return clients{}, err // an unknown profile among others: explain says what to do
	}
	if cfg.Region == "" {
		return clients{}, errNoRegion
	}
	// The chain is read at the first call; its failure is marked so that explain can tell it from an API error.
	if cfg.Credentials != nil {
		cfg.Credentials = markedCredentials{cfg.Credentials}
	}
	// Throttling: the clients keep the SDK's standard retryer ("By default, service clients use retry.Standard",
	// 3 attempts, exponential backoff of at most 20 s, ThrottlingException and the other throttle codes retried:
	// AWS SDK for Go v2 Developer Guide, "Retries and Timeouts"). CodeDeploy documents no request rate for its
	// API; AWS support is reported saying the limits are dynamic and advising retries with backoff (GetDeployment
	// ThrottlingException, devpeace.com/python/55016714). watch keeps going when a poll is throttled anyway.
	return newClients(cfg), nil
}

func newClients(cfg aws.Config) clients {
	return clients{lambda: lambda.NewFromConfig(cfg), codedeploy: codedeploy.NewFromConfig(cfg),
		cloudwatch: cloudwatch.NewFromConfig(cfg), cloudformation: cloudformation.NewFromConfig(cfg),
		ssm: ssm.NewFromConfig(cfg), s3: s3.NewFromConfig(cfg), sts: sts.NewFromConfig(cfg), sqs: sqs.NewFromConfig(cfg)}
}
