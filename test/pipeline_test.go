package test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/pipeline"
)

// newPipeline defines a pipeline with a Dev and a Prod stage (one blue/green deployment each) in a new app.
func newPipeline(t *testing.T, props func(dev, prod awscdk.Stage, d, p bluegreen.Deployment) *pipeline.Props) awscdk.Stack {
	t.Helper()
	app := newApp(t)
	stack := awscdk.NewStack(app, jsii.String("Delivery"), nil)
	dev := awscdk.NewStage(app, jsii.String("Dev"), nil)
	prod := awscdk.NewStage(app, jsii.String("Prod"), nil)
	d := deploy(t, awscdk.NewStack(dev, jsii.String("Service"), nil), "Api", nil)
	p := deploy(t, awscdk.NewStack(prod, jsii.String("Service"), nil), "Api", nil)
	pipeline.New(stack, "Delivery", props(dev, prod, d, p))
	return stack
}

func TestPipeline(t *testing.T) {
	stack := newPipeline(t, func(dev, prod awscdk.Stage, d, p bluegreen.Deployment) *pipeline.Props {
		return &pipeline.Props{
			Source: pipeline.FromConnection("arn:aws:codeconnections:eu-west-1:111111111111:connection/abc", "org/repo", "main"),
			Stages: []pipeline.Stage{
				{Stage: dev, Verify: []bluegreen.Deployment{d}},
				{Stage: prod, Verify: []bluegreen.Deployment{p}},
			},
			ApprovalBefore: []string{"Prod"},
		}
	})
	tmpl := template(t, stack)
	_, pl := onlyResource(t, tmpl, "AWS::CodePipeline::Pipeline")
	stages := props(pl)["Stages"].([]interface{})
	var names []string
	byName := map[string]map[string]interface{}{}
	for _, s := range stages {
		m := s.(map[string]interface{})
		names = append(names, m["Name"].(string))
		byName[m["Name"].(string)] = m
	}

	t.Run("stages in order: source, synth, self-mutation, Dev, Prod", func(t *testing.T) {
		order := strings.Join(names, ",")
		want := []string{"Source", "Build", "UpdatePipeline", "Dev", "Prod"}
		last := -1
		for _, w := range want {
			i := indexOf(names, w)
			if i < 0 || i < last {
				t.Fatalf("stages %s: want %v in this order", order, want)
			}
			last = i
		}
		if !strings.Contains(jsonString(byName["Source"]), `"ConnectionArn":"arn:aws:codeconnections:eu-west-1:111111111111:connection/abc"`) ||
			!strings.Contains(jsonString(byName["Source"]), `"FullRepositoryId":"org/repo"`) {
			t.Errorf("source: %s", jsonString(byName["Source"]))
		}
	})
	t.Run("synth installs Go, tests before synth, checks the report after", func(t *testing.T) {
		var spec string
		for _, p := range resources(tmpl, "AWS::CodeBuild::Project") {
			if s := jsonString(props(p)["Source"]); strings.Contains(s, "cdkw synth") {
				spec = s
			}
		}
		steps := []string{"go1.26.8.linux-amd64.tar.gz", "go test ./...", "./cdkw synth -c @aws-cdk/core:validateAgainstDefaultRules=true", "cmd/checkreport cdk.out"}
		last := -1
		for _, step := range steps {
			i := strings.Index(spec, step)
			if i < 0 || i < last {
				t.Fatalf("synth build spec %s: want %v in this order", spec, steps)
			}
			last = i
		}
	})
	t.Run("manual approval before Prod only", func(t *testing.T) {
		for _, name := range []string{"Dev", "Prod"} {
			has := strings.Contains(jsonString(byName[name]), `"Category":"Approval"`)
			if has != (name == "Prod") {
				t.Errorf("stage %s: approval %v", name, has)
			}
		}
		prodActions := byName["Prod"]["Actions"].([]interface{})
		approvalOrder, deployOrder := 0.0, 99.0
		for _, a := range prodActions {
			m := a.(map[string]interface{})
			cat := m["ActionTypeId"].(map[string]interface{})["Category"]
			if cat == "Approval" {
				approvalOrder = m["RunOrder"].(float64)
			}
			if cat == "Deploy" && m["RunOrder"].(float64) < deployOrder {
				deployOrder = m["RunOrder"].(float64)
			}
		}
		if approvalOrder == 0 || approvalOrder >= deployOrder {
			t.Errorf("the approval (run order %v) must come before the deployment (%v)", approvalOrder, deployOrder)
		}
	})
	t.Run("a post-deploy check after each stage", func(t *testing.T) {
		for _, name := range []string{"Dev", "Prod"} {
			var verify, deploy float64
			for _, a := range byName[name]["Actions"].([]interface{}) {
				m := a.(map[string]interface{})
				switch {
				case strings.HasPrefix(m["Name"].(string), "VerifyBlueGreen"):
					verify = m["RunOrder"].(float64)
				case m["ActionTypeId"].(map[string]interface{})["Category"] == "Deploy":
					deploy = max(deploy, m["RunOrder"].(float64))
				}
			}
			if verify == 0 || verify <= deploy {
				t.Errorf("stage %s: the check (run order %v) must follow the deployment (%v)", name, verify, deploy)
			}
		}
		found := false
		for _, p := range resources(tmpl, "AWS::CodeBuild::Project") {
			if s := jsonString(props(p)["Source"]); strings.Contains(s, "aws lambda get-alias") {
				found = true
				for _, want := range []string{"$BG0_FUNCTION", "$BG0_ALIAS", "$BG0_VERSION", "$BG0_REGION", "AdditionalVersionWeights"} {
					if !strings.Contains(s, want) {
						t.Errorf("check build spec lacks %s: %s", want, s)
					}
				}
			}
		}
		if !found {
			t.Errorf("no CodeBuild project checks the deployments")
		}
	})
	t.Run("the check may only read aliases", func(t *testing.T) {
		n := 0
		for _, p := range resources(tmpl, "AWS::IAM::Policy") {
			doc := jsonString(props(p)["PolicyDocument"])
			if !strings.Contains(doc, "lambda:") {
				continue
			}
			n++
			for _, s := range props(p)["PolicyDocument"].(map[string]interface{})["Statement"].([]interface{}) {
				st := jsonString(s)
				if strings.Contains(st, "lambda:") && (!strings.Contains(st, `"Action":"lambda:GetAlias"`) ||
					!strings.Contains(st, ":function:*")) {
					t.Errorf("lambda statement beyond reading aliases: %s", st)
				}
			}
		}
		if n != 2 {
			t.Errorf("%d policies grant lambda actions, want the 2 check projects", n)
		}
	})
	t.Run("artifacts are KMS-encrypted, TLS-only and logged", func(t *testing.T) {
		hasResource(t, tmpl, "AWS::KMS::Key", like(obj{"EnableKeyRotation": true}))
		hasResource(t, tmpl, "AWS::S3::Bucket", like(obj{
			"BucketEncryption": like(obj{"ServerSideEncryptionConfiguration": arrayWith(like(obj{
				"ServerSideEncryptionByDefault": like(obj{"SSEAlgorithm": "aws:kms"}),
			}))}),
			"LoggingConfiguration": like(obj{"LogFilePrefix": "artifacts/"}),
			"PublicAccessBlockConfiguration": obj{"BlockPublicAcls": true, "BlockPublicPolicy": true,
				"IgnorePublicAcls": true, "RestrictPublicBuckets": true},
		}))
	})
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

func TestPipelineBadInput(t *testing.T) {
	cases := []struct {
		name  string
		props func(dev, prod awscdk.Stage, d, p bluegreen.Deployment) *pipeline.Props
		want  []string
	}{
		{"no source", func(dev, _ awscdk.Stage, _, _ bluegreen.Deployment) *pipeline.Props {
			return &pipeline.Props{Stages: []pipeline.Stage{{Stage: dev}}}
		}, []string{"Source must be set: use pipeline.FromConnection or pipeline.FromS3, got none"}},
		{"no stage", func(_, _ awscdk.Stage, _, _ bluegreen.Deployment) *pipeline.Props {
			return &pipeline.Props{Source: pipeline.FromConnection("arn:aws:codeconnections:x", "o/r", "main")}
		}, []string{"Stages must list at least one stage, got none"}},
		{"approval on a stage that does not exist", func(dev, _ awscdk.Stage, _, _ bluegreen.Deployment) *pipeline.Props {
			return &pipeline.Props{Source: pipeline.FromConnection("arn:aws:codeconnections:x", "o/r", "main"),
				Stages: []pipeline.Stage{{Stage: dev}}, ApprovalBefore: []string{"Staging"}}
		}, []string{`ApprovalBefore: no stage is named "Staging" (stages: Dev)`}},
		{"bad connection, repository, branch and Go version", func(dev, _ awscdk.Stage, _, _ bluegreen.Deployment) *pipeline.Props {
			return &pipeline.Props{Source: pipeline.FromConnection("my-connection", "repo", ""),
				Stages: []pipeline.Stage{{Stage: dev}}, GoVersion: "latest"}
		}, []string{`the connection must be an ARN (arn:aws:codeconnections:…), got "my-connection"`,
			`the repository must be "owner/name", got "repo"`, `the branch must be set, got ""`,
			`GoVersion must be a release such as "1.26.8", got "latest"`}},
		{"duplicate stage and nil deployment", func(dev, _ awscdk.Stage, _, _ bluegreen.Deployment) *pipeline.Props {
			return &pipeline.Props{Source: pipeline.FromConnection("arn:aws:codeconnections:x", "o/r", "main"),
				Stages: []pipeline.Stage{{Stage: dev}, {Stage: dev, Verify: []bluegreen.Deployment{nil}}}}
		}, []string{`Stages[1]: stage names must be unique, got "Dev" twice`, "Stages[1].Verify[0] must be a deployment, got nil"}},
		{"S3 source without key", func(dev, _ awscdk.Stage, _, _ bluegreen.Deployment) *pipeline.Props {
			bucket := awss3.Bucket_FromBucketName(awscdk.NewStack(dev, jsii.String("Bucket"), nil), jsii.String("Releases"), jsii.String("releases"))
			return &pipeline.Props{Source: pipeline.FromS3(bucket, ""), Stages: []pipeline.Stage{{Stage: dev}}}
		}, []string{`Source: the S3 object key must be set, got ""`}},
		{"Go version without patch", func(dev, _ awscdk.Stage, _, _ bluegreen.Deployment) *pipeline.Props {
			return &pipeline.Props{Source: pipeline.FromConnection("arn:aws:codeconnections:x", "o/r", "main"),
				Stages: []pipeline.Stage{{Stage: dev}}, GoVersion: "1.26"}
		}, []string{`GoVersion must be a release such as "1.26.8", got "1.26"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msg := mustPanic(t, func() { newPipeline(t, tc.props) })
			if !strings.HasPrefix(msg, "Delivery/Delivery: invalid pipeline.Props: ") {
				t.Errorf("error must start with the construct path: %q", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("%q does not contain %q", msg, w)
				}
			}
		})
	}
}

// The check runs in the pipeline's account: verifying a stage in another account is refused with the reason.
func TestPipelineVerifyAcrossAccountsIsRefused(t *testing.T) {
	app := newApp(t)
	pipelineEnv := &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-1")}
	stack := awscdk.NewStack(app, jsii.String("Delivery"), &awscdk.StackProps{Env: pipelineEnv})
	prod := awscdk.NewStage(app, jsii.String("Prod"), &awscdk.StageProps{
		Env: &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("eu-west-1")}})
	d := deploy(t, awscdk.NewStack(prod, jsii.String("Service"), nil), "Api", nil)
	msg := mustPanic(t, func() {
		pipeline.New(stack, "Delivery", &pipeline.Props{
			Source: pipeline.FromConnection("arn:aws:codeconnections:eu-west-1:111111111111:connection/abc", "o/r", "main"),
			Stages: []pipeline.Stage{{Stage: prod, Verify: []bluegreen.Deployment{d}}},
		})
	})
	if !strings.Contains(msg, `stage "Prod" deploys to account 222222222222, but the check runs in the pipeline's account 111111111111`) {
		t.Errorf("got %q", msg)
	}
}
