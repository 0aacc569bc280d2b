package service

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/pipeline"
)

// Context keys of the pipeline's source. The defaults are placeholders that synthesize offline; set the real
// values to deploy the pipeline: cdk deploy BlueGreenPipeline -c lambda-bluegreen:connectionArn=arn:… …
const (
	ContextConnectionArn = "lambda-bluegreen:connectionArn"
	ContextRepository    = "lambda-bluegreen:repository"
	ContextBranch        = "lambda-bluegreen:branch"
	// ContextNag, set to true, runs the cdk-nag AwsSolutions and Serverless packs over the app and every stage
	// in it (ApplyNag).
	ContextNag = "lambda-bluegreen:nag"

	placeholderConnectionArn = "arn:aws:codeconnections:us-east-1:111111111111:connection/00000000-0000-0000-0000-000000000000"
	placeholderRepository    = "example-org/lambda-bluegreen"
)

// newPipelineStack defines BlueGreenPipeline: the service's Dev stage, then its Prod stage behind a manual
// approval, each checked after deployment.
func newPipelineStack(app awscdk.App, env *awscdk.Environment, dev, prod func(constructs.Construct, string) *Stack) (awscdk.Stack, *Stack, *Stack) {
	stack := awscdk.NewStack(app, jsii.String("BlueGreenPipeline"), &awscdk.StackProps{
		Env: env, Description: jsii.String("Delivers the example blue/green service: tests, synth, checks, Dev, Prod"),
	})
	devStage := newStage(app, "Dev", &awscdk.StageProps{Env: env})
	prodStage := newStage(app, "Prod", &awscdk.StageProps{Env: env})
	devStack, prodStack := dev(devStage, "Service"), prod(prodStage, "Service")
	connection := context(app, ContextConnectionArn, placeholderConnectionArn)
	repository := context(app, ContextRepository, placeholderRepository)
	branch := context(app, ContextBranch, "main")
	// The pipeline synthesizes itself (self-mutation): it must get the same source, environment and checks.
	synth := fmt.Sprintf("%s -c %s=%s -c %s=%s -c %s=%s -c %s=true", pipeline.DefaultSynthCommand,
		ContextConnectionArn, connection, ContextRepository, repository, ContextBranch, branch, ContextNag)
	for _, key := range []string{"account", "region"} {
		if v := context(app, key, ""); v != "" {
			synth += fmt.Sprintf(" -c %s=%s", key, v)
		}
	}
	pipeline.New(stack, "Delivery", &pipeline.Props{
		Source:       pipeline.FromConnection(connection, repository, branch),
		SynthCommand: synth,
		Stages: []pipeline.Stage{
			{Stage: devStage, Verify: []bluegreen.Deployment{devStack.Deployment}},
			{Stage: prodStage, Verify: []bluegreen.Deployment{prodStack.Deployment}},
		},
		ApprovalBefore: []string{"Prod"},
	})
	explainPipeline(stack)
	return stack, devStack, prodStack
}

// ApplyNag adds the cdk-nag AwsSolutions and Serverless packs to scope (an app or a stage): their unsuppressed
// errors fail synth (through the validation report). Aspects do not cross a Stage's boundary, and CDK Pipelines
// synthesizes a stage when it is added, so NewApp applies the packs to each stage it defines, before it fills it,
// when the context key ContextNag is true.
func ApplyNag(scope constructs.IConstruct) {
	awscdk.Aspects_Of(scope).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	awscdk.Aspects_Of(scope).Add(cdknag.NewServerlessChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}

// newStage defines a stage of the example, with the cdk-nag packs when the app asks for them.
func newStage(app awscdk.App, id string, props *awscdk.StageProps) awscdk.Stage {
	stage := awscdk.NewStage(app, jsii.String(id), props)
	if nagRequested(app) {
		ApplyNag(stage)
	}
	return stage
}

func nagRequested(app awscdk.App) bool {
	return context(app, ContextNag, "") == "true"
}

func context(app awscdk.App, key, fallback string) string {
	if v, ok := app.Node().TryGetContext(jsii.String(key)).(string); ok && v != "" {
		return v
	}
	return fallback
}

// explainPipeline records why the pipeline stack has what cdk-nag flags: all of it is CDK Pipelines' own
// plumbing.
func explainPipeline(stack awscdk.Stack) {
	cdknag.NagSuppressions_AddStackSuppressions(stack, &[]*cdknag.NagPackSuppression{
		{Id: jsii.String("AwsSolutions-IAM5"), Reason: jsii.String("CDK Pipelines' generated roles grant wildcard " +
			"object actions on the pipeline's own artifact bucket, its own CodeBuild log groups and reports, and " +
			"the bootstrap roles of the target accounts")},
	}, jsii.Bool(false))
}
