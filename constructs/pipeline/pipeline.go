package pipeline

import (
	"cmp"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/pipelines"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/internal/check"
	"github.com/safeship/lambda-bluegreen/internal/nag"
)

// Default versions and commands of the synth step.
const (
	DefaultGoVersion     = "1.26.8"
	DefaultCdkCliVersion = "2.1148.1"
	// DefaultNodeVersion is the major Node.js release every CodeBuild project of the pipeline selects. The image,
	// aws/codebuild/standard:7.0 (CDK Pipelines' own default, Ubuntu 22.04 on x86_64), runs Node.js 18 unless the
	// buildspec's runtime-versions selects another, and aws-cdk-lib 2.276.0 declares Node.js 20 or later
	// (package.json engines). Node.js 22 is one of the image's runtimes (CodeBuild, "Available runtimes") and is
	// supported by the CDK until 2027-10-30 ("Supported Node.js versions for the AWS CDK").
	DefaultNodeVersion = "22"
	DefaultTestCommand = "go test ./..."
	// DefaultSynthCommand synthesizes with the pinned CLI and the two feature flags that make CloudFormation
	// errors fail synth and put error annotations (cdk-nag's among them) into the validation report.
	DefaultSynthCommand = "bash ./cdkw synth -c @aws-cdk/core:validateAgainstDefaultRules=true " +
		"-c @aws-cdk/core:annotationsInValidationReport=true"
	// DefaultCheckCommand fails the build on error-level findings of the validation report (CloudFormation
	// validation, and error annotations such as unsuppressed cdk-nag rules).
	DefaultCheckCommand = "go run github.com/safeship/lambda-bluegreen/cmd/checkreport cdk.out"
)

// Stage is one deployment stage of the pipeline.
type Stage struct {
	// Stage holds the stacks to deploy, with its environment (explicit account and region for cross-account or
	// cross-region deployment). Required.
	Stage awscdk.Stage

	// Verify are the blue/green deployments of the stage that must have finished for the stage to pass: a
	// post-deploy step checks that each alias serves the version the stage deployed, alone (no traffic left on
	// another version). CloudFormation already fails the stage when CodeDeploy rolls a deployment back; this
	// check makes it explicit and names the alias in the build log. Only for stages in the pipeline's account. The
	// check's role may call lambda:GetAlias on these functions and aliases only: the pipeline adds a policy granting
	// it to each deployment's stack (construct id BlueGreenVerifyGetAlias) and gives the role a physical name.
	//
	// Default: no post-deploy check.
	Verify []bluegreen.Deployment
}

// Props configure a Pipeline.
type Props struct {
	// Source is where the code comes from. Required.
	Source Source

	// Stages are deployed in order. At least one.
	Stages []Stage

	// ApprovalBefore names the stages (by Stage.Stage's construct id) that wait for a manual approval.
	//
	// Default: no approval.
	ApprovalBefore []string

	// GoVersion is the Go release the synth step installs (major.minor.patch), from go.dev/dl's
	// go<GoVersion>.linux-amd64.tar.gz, which it checks against GoSHA256 before unpacking it.
	//
	// Default: DefaultGoVersion.
	GoVersion string

	// GoSHA256 is the SHA-256 (64 lowercase hexadecimal digits) of go<GoVersion>.linux-amd64.tar.gz, as go.dev/dl
	// publishes it: the synth step fails, before unpacking anything, when the download differs. Required when
	// GoVersion is a release whose checksum the library does not pin (see GoSHA256For); when it does, GoSHA256 must
	// equal the pinned one.
	//
	// Default: the checksum the library pins for GoVersion (DefaultGoSHA256 for DefaultGoVersion).
	GoSHA256 string

	// CdkCliVersion is the CDK CLI version the pipeline's self-mutation and asset publishing use; keep it equal
	// to the one your repository pins.
	//
	// Default: DefaultCdkCliVersion.
	CdkCliVersion string

	// NodeVersion is the major Node.js release (20 or later: aws-cdk-lib's minimum) that every CodeBuild project of
	// the pipeline selects with runtime-versions: synth, self-mutation, asset publishing and the checks.
	//
	// Default: DefaultNodeVersion.
	NodeVersion string

	// TestCommand runs the project's tests before synth.
	//
	// Default: DefaultTestCommand.
	TestCommand string

	// SynthCommand synthesizes the app into cdk.out (with the pinned CDK CLI).
	//
	// Default: DefaultSynthCommand.
	SynthCommand string

	// CheckCommand fails the build on error-level findings of the cloud assembly before anything deploys.
	//
	// Default: DefaultCheckCommand.
	CheckCommand string
}

// Pipeline is a CDK Pipelines pipeline that tests, synthesizes, checks and deploys blue/green stages.
type Pipeline interface {
	constructs.Construct
	// CodePipeline returns the CDK Pipelines construct (for waves, extra steps, or BuildPipeline).
	CodePipeline() pipelines.CodePipeline
	// ArtifactBucket returns the bucket of the pipeline's artifacts: KMS-encrypted (ArtifactKey), TLS only, no
	// public access, with server access logs in AccessLogBucket.
	ArtifactBucket() awss3.Bucket
	// ArtifactKey returns the KMS key of the artifacts (rotation on); CDK Pipelines grants it to target accounts.
	ArtifactKey() awskms.Key
	// AccessLogBucket returns the bucket that receives the artifact bucket's server access logs.
	AccessLogBucket() awss3.Bucket
	// Synth returns the synth step.
	Synth() pipelines.ShellStep
}

type pipeline struct {
	constructs.Construct
	codePipeline pipelines.CodePipeline
	synth        pipelines.ShellStep
	artifacts    awss3.Bucket
	key          awskms.Key
	accessLogs   awss3.Bucket
}

// New defines the pipeline: source, a synth step that installs the pinned Go, runs the tests, synthesizes and
// checks the cloud assembly, self-mutation, then every stage in order, each optionally behind a manual approval
// and followed by a check of its blue/green deployments. It panics, naming the construct path, with every
// problem in props; nothing is defined then.
func New(scope constructs.Construct, id string, props *Props) Pipeline {
	p := Props{}
	if props != nil {
		p = *props
	}
	if err := p.validate(*awscdk.Stack_Of(scope).Account()); err != nil {
		panic(fmt.Errorf("%s/%s: invalid pipeline.Props: %w", *scope.Node().Path(), id, err))
	}
	p.applyDefaults()

	c := constructs.NewConstruct(scope, jsii.String(id))
	pl := &pipeline{Construct: c}
	env := goEnv()
	pl.synth = pipelines.NewShellStep(jsii.String("Synth"), &pipelines.ShellStepProps{
		Input:           p.Source.input(),
		InstallCommands: jsii.Strings(goInstallCommands(p.GoVersion, p.GoSHA256)...),
		Env:             &env,
		Commands: jsii.Strings(
			"export PATH=/usr/local/go/bin:$PATH",
			p.TestCommand,
			p.SynthCommand,
			p.CheckCommand,
		),
		PrimaryOutputDirectory: jsii.String("cdk.out"),
	})
	// Artifacts: a KMS key (which CDK Pipelines grants to the target accounts of cross-account stages, and which
	// every CodeBuild project of the pipeline encrypts with), TLS only, no public access, access logs kept.
	pl.key = awskms.NewKey(c, jsii.String("ArtifactKey"), &awskms.KeyProps{
		EnableKeyRotation: jsii.Bool(true),
		Description:       jsii.String("Encrypts the artifacts of a blue/green delivery pipeline"),
	})
	pl.accessLogs = awss3.NewBucket(c, jsii.String("AccessLogs"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		LifecycleRules:    &[]*awss3.LifecycleRule{{Expiration: awscdk.Duration_Days(jsii.Number(365))}},
	})
	nag.Explain(pl.accessLogs, nag.Rule{ID: "AwsSolutions-S1",
		Reason: "this bucket receives the artifact bucket's server access logs; logging it to itself would loop"})
	pl.artifacts = awss3.NewBucket(c, jsii.String("Artifacts"), &awss3.BucketProps{
		Encryption:             awss3.BucketEncryption_KMS,
		EncryptionKey:          pl.key,
		EnforceSSL:             jsii.Bool(true),
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		ServerAccessLogsBucket: pl.accessLogs,
		ServerAccessLogsPrefix: jsii.String("artifacts/"),
	})
	pl.codePipeline = pipelines.NewCodePipeline(c, jsii.String("Pipeline"), &pipelines.CodePipelineProps{
		Synth:          pl.synth,
		ArtifactBucket: pl.artifacts,
		// Cross-region stages get replication buckets, which need keys of their own.
		CrossAccountKeys:  jsii.Bool(true),
		EnableKeyRotation: jsii.Bool(true),
		SelfMutation:      jsii.Bool(true),
		CliVersion:        jsii.String(p.CdkCliVersion),
		CodeBuildDefaults: codeBuildDefaults(p.NodeVersion),
	})
	approvals := map[string]bool{}
	for _, name := range p.ApprovalBefore {
		approvals[name] = true
	}
	for _, s := range p.Stages {
		name := *s.Stage.Node().Id()
		opts := &pipelines.AddStageOpts{}
		if approvals[name] {
			opts.Pre = &[]pipelines.Step{pipelines.NewManualApprovalStep(jsii.String("Approve"+name), &pipelines.ManualApprovalStepProps{
				Comment: jsii.String("Deploy " + name + "? Green is tested before traffic and watched by rollback alarms."),
			})}
		}
		if len(s.Verify) > 0 {
			opts.Post = &[]pipelines.Step{verifyStep(c, name, s)}
		}
		pl.codePipeline.AddStage(s.Stage, opts)
	}
	if p.Source.usesCodeConnections() {
		awscdk.Aspects_Of(c).Add(&grantCodeConnections{
			sourceStage:   *pl.codePipeline.Node().Path() + "/Pipeline/Source",
			connectionArn: p.Source.connectionArn,
		}, nil)
	}
	return pl
}

func (p *Props) applyDefaults() {
	if p.GoVersion == "" {
		p.GoVersion = DefaultGoVersion
	}
	if p.GoSHA256 == "" {
		p.GoSHA256, _ = GoSHA256For(p.GoVersion)
	}
	if p.TestCommand == "" {
		p.TestCommand = DefaultTestCommand
	}
	if p.SynthCommand == "" {
		p.SynthCommand = DefaultSynthCommand
	}
	if p.CheckCommand == "" {
		p.CheckCommand = DefaultCheckCommand
	}
	if p.CdkCliVersion == "" {
		p.CdkCliVersion = DefaultCdkCliVersion
	}
	if p.NodeVersion == "" {
		p.NodeVersion = DefaultNodeVersion
	}
}

func (p *Props) validate(pipelineAccount string) error {
	var errs []error
	if err := p.Source.validate(); err != nil {
		errs = append(errs, err)
	}
	if len(p.Stages) == 0 {
		//lint:ignore ST1005 it starts with the Go name of the field it is about (STYLE: errors name the field)
		errs = append(errs, errors.New("Stages must list at least one stage, got none"))
	}
	names := map[string]bool{}
	for i, s := range p.Stages {
		if s.Stage == nil {
			errs = append(errs, fmt.Errorf("Stages[%d].Stage must be a stage, got nil", i))
			continue
		}
		name := *s.Stage.Node().Id()
		if names[name] {
			//lint:ignore ST1005 it starts with the Go name of the field it is about (STYLE: errors name the field)
			errs = append(errs, fmt.Errorf("Stages[%d]: stage names must be unique, got %q twice", i, name))
		}
		names[name] = true
		account := s.Stage.Account()
		for j, d := range s.Verify {
			if d == nil {
				errs = append(errs, fmt.Errorf("Stages[%d].Verify[%d] must be a deployment, got nil", i, j))
			} else if account != nil && !check.IsToken(*account) && !check.IsToken(pipelineAccount) && *account != pipelineAccount {
				errs = append(errs, fmt.Errorf("Stages[%d].Verify: stage %q deploys to account %s, but the check runs in "+
					"the pipeline's account %s and cannot read it; leave Verify empty (the deploy action already fails "+
					"when CodeDeploy rolls back)", i, name, *account, pipelineAccount))
			}
		}
	}
	for _, a := range p.ApprovalBefore {
		if !names[a] {
			errs = append(errs, fmt.Errorf("ApprovalBefore: no stage is named %q (stages: %s)", a, strings.Join(keys(names), ", ")))
		}
	}
	if p.GoVersion != "" && !release(p.GoVersion) {
		errs = append(errs, fmt.Errorf("GoVersion must be a release such as %q, got %q", DefaultGoVersion, p.GoVersion))
	} else if err := validateGoChecksum(cmp.Or(p.GoVersion, DefaultGoVersion), p.GoSHA256); err != nil {
		errs = append(errs, err)
	}
	if p.NodeVersion != "" {
		if n, err := strconv.Atoi(p.NodeVersion); err != nil || n < 20 {
			errs = append(errs, fmt.Errorf("NodeVersion must be a major Node.js release of at least 20 (aws-cdk-lib's "+
				"minimum), such as %q, got %q", DefaultNodeVersion, p.NodeVersion))
		}
	}
	return errors.Join(errs...)
}

// codeBuildDefaults makes every CodeBuild project of the pipeline (synth, self-mutation, asset publishing, the
// checks) run on aws/codebuild/standard:7.0 with Node.js nodeVersion: without runtime-versions the image runs
// its default Node.js (18), which aws-cdk-lib 2.276.0 does not support. CodeBuild advises naming the runtime
// version, since a default changes when it reaches end of life ("Available runtimes").
func codeBuildDefaults(nodeVersion string) *pipelines.CodeBuildOptions {
	return &pipelines.CodeBuildOptions{
		BuildEnvironment: &awscodebuild.BuildEnvironment{BuildImage: awscodebuild.LinuxBuildImage_STANDARD_7_0()},
		PartialBuildSpec: awscodebuild.BuildSpec_FromObject(&map[string]interface{}{
			"phases": map[string]interface{}{
				"install": map[string]interface{}{"runtime-versions": map[string]interface{}{"nodejs": nodeVersion}},
			},
		}),
	}
}

func (p *pipeline) CodePipeline() pipelines.CodePipeline { return p.codePipeline }
func (p *pipeline) Synth() pipelines.ShellStep           { return p.synth }
func (p *pipeline) ArtifactBucket() awss3.Bucket         { return p.artifacts }
func (p *pipeline) ArtifactKey() awskms.Key              { return p.key }
func (p *pipeline) AccessLogBucket() awss3.Bucket        { return p.accessLogs }

// release reports whether v is a major.minor.patch release number (go.dev publishes archives only for those).
func release(v string) bool {
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return false
	}
	for _, part := range parts {
		if part == "" || strings.Trim(part, "0123456789") != "" {
			return false
		}
	}
	return true
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
