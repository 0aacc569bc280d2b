package pipeline

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/pipelines"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/internal/check"
)

// Source is where the pipeline gets the code: a CodeConnections connection (GitHub, GitLab, Bitbucket) or an S3
// object. Build one with FromConnection or FromS3.
type Source struct {
	connectionArn, repository, branch string
	bucket                            awss3.IBucket
	key                               string
}

// FromConnection reads repository ("owner/name") at branch through the CodeConnections connection connectionArn.
func FromConnection(connectionArn, repository, branch string) Source {
	return Source{connectionArn: connectionArn, repository: repository, branch: branch}
}

// FromS3 reads the zip archive at key in bucket (versioning must be on).
func FromS3(bucket awss3.IBucket, key string) Source {
	return Source{bucket: bucket, key: key}
}

func (s Source) validate() error {
	switch {
	case s.connectionArn == "" && s.bucket == nil:
		return errors.New("Source must be set: use pipeline.FromConnection or pipeline.FromS3, got none")
	case s.bucket != nil:
		if s.key == "" {
			return errors.New("Source: the S3 object key must be set, got \"\"")
		}
	default:
		var errs []error
		if !check.IsToken(s.connectionArn) && !strings.HasPrefix(s.connectionArn, "arn:") {
			errs = append(errs, fmt.Errorf("Source: the connection must be an ARN (arn:aws:codeconnections:…), got %q", s.connectionArn))
		}
		if parts := strings.Split(s.repository, "/"); len(parts) != 2 || parts[0] == "" || parts[1] == "" {
			errs = append(errs, fmt.Errorf("Source: the repository must be \"owner/name\", got %q", s.repository))
		}
		if s.branch == "" {
			errs = append(errs, errors.New("Source: the branch must be set, got \"\""))
		}
		return errors.Join(errs...)
	}
	return nil
}

func (s Source) input() pipelines.CodePipelineSource {
	if s.bucket != nil {
		return pipelines.CodePipelineSource_S3(s.bucket, jsii.String(s.key), nil)
	}
	return pipelines.CodePipelineSource_Connection(jsii.String(s.repository), jsii.String(s.branch),
		&pipelines.ConnectionSourceOptions{ConnectionArn: jsii.String(s.connectionArn)})
}

// usesCodeConnections reports whether the connection's ARN may carry the codeconnections service prefix (an
// unresolved token may).
func (s Source) usesCodeConnections() bool {
	if s.bucket != nil {
		return false
	}
	if check.IsToken(s.connectionArn) {
		return true
	}
	parts := strings.SplitN(s.connectionArn, ":", 4)
	return len(parts) > 2 && parts[2] == "codeconnections"
}

// grantCodeConnections is an aspect that lets the role of the pipeline's connection source action use a connection
// whose ARN has the codeconnections service prefix. aws-cdk-lib 2.276.0's CodeStarConnectionsSourceAction grants
// that role only codestar-connections:UseConnection on the connection ARN, whatever its prefix
// (aws-codepipeline-actions/lib/codestar-connections/source-action.js). AWS CodeStar Connections was renamed AWS
// CodeConnections on 2024-03-29, the console has created connections with codeconnections in the ARN since
// 2024-07-01, and "when specifying a resource in the IAM policy, the service prefix needs to match that of the
// resource" (Developer Tools console user guide, "Connections rename - Summary of changes"): such a connection needs
// codeconnections:UseConnection. CDK Pipelines defines the role when it builds the pipeline, itself from an aspect
// at synthesis, hence an aspect: CDK applies it to the constructs added meanwhile too.
type grantCodeConnections struct {
	sourceStage   string // construct path of the Source stage of the underlying CodePipeline
	connectionArn string
}

// Visit adds the statement to the role of the one action of the Source stage.
func (g *grantCodeConnections) Visit(node constructs.IConstruct) {
	rest, ok := strings.CutPrefix(*node.Node().Path(), g.sourceStage+"/")
	if !ok || !strings.HasSuffix(rest, "/CodePipelineActionRole") || strings.Count(rest, "/") != 1 {
		return
	}
	if role, ok := node.(awsiam.IRole); ok {
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("codeconnections:UseConnection"),
			Resources: jsii.Strings(g.connectionArn),
		}))
	}
}
