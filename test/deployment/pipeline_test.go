package deployment

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/pipeline"
	"github.com/safeship/lambda-bluegreen/test/testkit"
)

// newPipeline defines a pipeline with a Dev and a Prod stage (one blue/green deployment each) in a new app.
func newPipeline(t *testing.T, props func(dev, prod awscdk.Stage, d, p bluegreen.Deployment) *pipeline.Props) awscdk.Stack {
	t.Helper()
	app := testkit.NewApp(t)
	stack := awscdk.NewStack(app, jsii.String("Delivery"), nil)
	dev := awscdk.NewStage(app, jsii.String("Dev"), nil)
	prod := awscdk.NewStage(app, jsii.String("Prod"), nil)
	d := testkit.Deploy(t, awscdk.NewStack(dev, jsii.String("Service"), nil), "Api", nil)
	p := testkit.Deploy(t, awscdk.NewStack(prod, jsii.String("Service"), nil), "Api", nil)
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
	tmpl := testkit.Template(t, stack)
	_, pl := testkit.OnlyResource(t, tmpl, "AWS::CodePipeline::Pipeline")
	stages := testkit.Props(pl)["Stages"].([]interface{})
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
		if !strings.Contains(testkit.JSONString(byName["Source"]), `"ConnectionArn":"arn:aws:codeconnections:eu-west-1:111111111111:connection/abc"`) ||
			!strings.Contains(testkit.JSONString(byName["Source"]), `"FullRepositoryId":"org/repo"`) {
			t.Errorf("source: %s", testkit.JSONString(byName["Source"]))
		}
	})
	t.Run("synth installs Go, tests before synth, checks the report after", func(t *testing.T) {
		var spec string
		for _, p := range testkit.Resources(tmpl, "AWS::CodeBuild::Project") {
			if s := testkit.JSONString(testkit.Props(p)["Source"]); strings.Contains(s, "cdkw synth") {
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
			has := strings.Contains(testkit.JSONString(byName[name]), `"Category":"Approval"`)
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
		for _, p := range testkit.Resources(tmpl, "AWS::CodeBuild::Project") {
			if s := testkit.JSONString(testkit.Props(p)["Source"]); strings.Contains(s, "aws lambda get-alias") {
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
	t.Run("every CodeBuild project selects a Node.js that aws-cdk-lib supports", func(t *testing.T) {
		projects := testkit.Resources(tmpl, "AWS::CodeBuild::Project")
		if len(projects) < 4 { // synth, self-mutation, assets, two checks
			t.Fatalf("want the synth, self-mutation, asset and check projects, got %d projects", len(projects))
		}
		for id, p := range projects {
			env, _ := testkit.Props(p)["Environment"].(map[string]interface{})
			if env["Image"] != "aws/codebuild/standard:7.0" {
				t.Errorf("%s: image %v, want aws/codebuild/standard:7.0", id, env["Image"])
			}
			var spec struct {
				Phases struct {
					Install struct {
						RuntimeVersions map[string]interface{} `json:"runtime-versions"`
					} `json:"install"`
				} `json:"phases"`
			}
			text, _ := testkit.Props(p)["Source"].(map[string]interface{})["BuildSpec"].(string)
			if err := json.Unmarshal([]byte(text), &spec); err != nil {
				t.Fatalf("%s: build spec: %v", id, err)
			}
			if v := spec.Phases.Install.RuntimeVersions["nodejs"]; v != pipeline.DefaultNodeVersion {
				t.Errorf("%s: runtime-versions nodejs = %v, want %q (standard:7.0 runs Node.js 18 otherwise)", id, v,
					pipeline.DefaultNodeVersion)
			}
		}
	})
	t.Run("the pipeline's own policies grant no Lambda action", func(t *testing.T) {
		for id, p := range testkit.Resources(tmpl, "AWS::IAM::Policy") {
			if doc := testkit.JSONString(testkit.Props(p)["PolicyDocument"]); strings.Contains(doc, "lambda:") {
				t.Errorf("%s grants a Lambda action (the stage stacks grant the checks): %s", id, doc)
			}
		}
	})
	t.Run("artifacts are KMS-encrypted, TLS-only and logged", func(t *testing.T) {
		testkit.HasResource(t, tmpl, "AWS::KMS::Key", testkit.Like(testkit.Obj{"EnableKeyRotation": true}))
		testkit.HasResource(t, tmpl, "AWS::S3::Bucket", testkit.Like(testkit.Obj{
			"BucketEncryption": testkit.Like(testkit.Obj{"ServerSideEncryptionConfiguration": testkit.ArrayWith(testkit.Like(testkit.Obj{
				"ServerSideEncryptionByDefault": testkit.Like(testkit.Obj{"SSEAlgorithm": "aws:kms"}),
			}))}),
			"LoggingConfiguration": testkit.Like(testkit.Obj{"LogFilePrefix": "artifacts/"}),
			"PublicAccessBlockConfiguration": testkit.Obj{"BlockPublicAcls": true, "BlockPublicPolicy": true,
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
		{"Node.js below aws-cdk-lib's minimum, and not a major release", func(dev, _ awscdk.Stage, _, _ bluegreen.Deployment) *pipeline.Props {
			return &pipeline.Props{Source: pipeline.FromConnection("arn:aws:codeconnections:x", "o/r", "main"),
				Stages: []pipeline.Stage{{Stage: dev}}, NodeVersion: "18"}
		}, []string{`NodeVersion must be a major Node.js release of at least 20 (aws-cdk-lib's minimum), such as "22", got "18"`}},
		{"Node.js as a full version", func(dev, _ awscdk.Stage, _, _ bluegreen.Deployment) *pipeline.Props {
			return &pipeline.Props{Source: pipeline.FromConnection("arn:aws:codeconnections:x", "o/r", "main"),
				Stages: []pipeline.Stage{{Stage: dev}}, NodeVersion: "22.1.0"}
		}, []string{`NodeVersion must be a major Node.js release of at least 20 (aws-cdk-lib's minimum), such as "22", got "22.1.0"`}},
		{"Go version without patch", func(dev, _ awscdk.Stage, _, _ bluegreen.Deployment) *pipeline.Props {
			return &pipeline.Props{Source: pipeline.FromConnection("arn:aws:codeconnections:x", "o/r", "main"),
				Stages: []pipeline.Stage{{Stage: dev}}, GoVersion: "1.26"}
		}, []string{`GoVersion must be a release such as "1.26.8", got "1.26"`}},
		{"Go release whose checksum is not pinned, without GoSHA256", func(dev, _ awscdk.Stage, _, _ bluegreen.Deployment) *pipeline.Props {
			return &pipeline.Props{Source: pipeline.FromConnection("arn:aws:codeconnections:x", "o/r", "main"),
				Stages: []pipeline.Stage{{Stage: dev}}, GoVersion: "1.26.7"}
		}, []string{`GoSHA256 must be set for GoVersion "1.26.7": the library pins the SHA-256 of go1.26.8.linux-amd64.tar.gz ` +
			`only; copy the one go.dev/dl publishes for go1.26.7.linux-amd64.tar.gz, got none`}},
		{"GoSHA256 not a hex SHA-256", func(dev, _ awscdk.Stage, _, _ bluegreen.Deployment) *pipeline.Props {
			return &pipeline.Props{Source: pipeline.FromConnection("arn:aws:codeconnections:x", "o/r", "main"),
				Stages: []pipeline.Stage{{Stage: dev}}, GoVersion: "1.26.7", GoSHA256: "sha256:abc"}
		}, []string{`GoSHA256 must be 64 lowercase hexadecimal digits (the SHA-256 that go.dev/dl publishes for ` +
			`go1.26.7.linux-amd64.tar.gz), got "sha256:abc"`}},
		{"GoSHA256 other than the pinned one", func(dev, _ awscdk.Stage, _, _ bluegreen.Deployment) *pipeline.Props {
			return &pipeline.Props{Source: pipeline.FromConnection("arn:aws:codeconnections:x", "o/r", "main"),
				Stages: []pipeline.Stage{{Stage: dev}}, GoSHA256: strings.Repeat("0", 64)}
		}, []string{`GoSHA256 for GoVersion "1.26.8" must be the published ` + publishedGo1268SHA256 + `, got ` + strings.Repeat("0", 64)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msg := testkit.MustPanic(t, func() { newPipeline(t, tc.props) })
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
	app := testkit.NewApp(t)
	pipelineEnv := &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-1")}
	stack := awscdk.NewStack(app, jsii.String("Delivery"), &awscdk.StackProps{Env: pipelineEnv})
	prod := awscdk.NewStage(app, jsii.String("Prod"), &awscdk.StageProps{
		Env: &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("eu-west-1")}})
	d := testkit.Deploy(t, awscdk.NewStack(prod, jsii.String("Service"), nil), "Api", nil)
	msg := testkit.MustPanic(t, func() {
		pipeline.New(stack, "Delivery", &pipeline.Props{
			Source: pipeline.FromConnection("arn:aws:codeconnections:eu-west-1:111111111111:connection/abc", "o/r", "main"),
			Stages: []pipeline.Stage{{Stage: prod, Verify: []bluegreen.Deployment{d}}},
		})
	})
	if !strings.Contains(msg, `stage "Prod" deploys to account 222222222222, but the check runs in the pipeline's account 111111111111`) {
		t.Errorf("got %q", msg)
	}
}

// verifyBuild is the post-deploy check of one stage as CodeBuild gets it: the build commands, and the environment
// variables of the project and of the pipeline action (the stack outputs, here given the values in outputs).
type verifyBuild struct {
	commands []string
	env      map[string]string
}

// readVerifyBuild finds stage's check in the pipeline template. outputs gives each variable that the action reads
// from a stack output its value.
func readVerifyBuild(t *testing.T, tmpl assertions.Template, stage string, outputs map[string]string) verifyBuild {
	t.Helper()
	b := verifyBuild{env: map[string]string{}}
	var projectID string
	for id, p := range testkit.Resources(tmpl, "AWS::CodeBuild::Project") {
		if !strings.Contains(id, "VerifyBlueGreen"+stage) {
			continue
		}
		projectID = id
		var spec struct {
			Phases map[string]struct {
				Commands []string `json:"commands"`
			} `json:"phases"`
		}
		text, _ := testkit.Props(p)["Source"].(map[string]interface{})["BuildSpec"].(string)
		if err := json.Unmarshal([]byte(text), &spec); err != nil {
			t.Fatalf("%s: build spec: %v", id, err)
		}
		for _, phase := range []string{"install", "pre_build", "build", "post_build"} {
			b.commands = append(b.commands, spec.Phases[phase].Commands...)
		}
		env, _ := testkit.Props(p)["Environment"].(map[string]interface{})
		vars, _ := env["EnvironmentVariables"].([]interface{})
		for _, v := range vars {
			m := v.(map[string]interface{})
			value, ok := m["Value"].(string)
			if !ok { // a token such as the region of an environment-agnostic stack
				value = "eu-west-1"
			}
			b.env[m["Name"].(string)] = value
		}
	}
	if projectID == "" {
		t.Fatalf("no check project for stage %s", stage)
	}
	// The action passes the stack outputs as variables of the build.
	_, pl := testkit.OnlyResource(t, tmpl, "AWS::CodePipeline::Pipeline")
	for _, s := range testkit.Props(pl)["Stages"].([]interface{}) {
		for _, a := range s.(map[string]interface{})["Actions"].([]interface{}) {
			m := a.(map[string]interface{})
			cfg, _ := m["Configuration"].(map[string]interface{})
			if !strings.Contains(testkit.JSONString(cfg["ProjectName"]), projectID) {
				continue
			}
			var vars []struct{ Name, Value string }
			text, _ := cfg["EnvironmentVariables"].(string)
			if err := json.Unmarshal([]byte(text), &vars); err != nil {
				t.Fatalf("action %v: environment variables: %v", m["Name"], err)
			}
			for _, v := range vars {
				value, ok := outputs[v.Name]
				if !ok {
					t.Fatalf("action %v passes %s (%s), which the test gives no value", m["Name"], v.Name, v.Value)
				}
				b.env[v.Name] = value
			}
		}
	}
	for name := range outputs {
		if _, ok := b.env[name]; !ok {
			t.Fatalf("the check of stage %s does not get %s from the action", stage, name)
		}
	}
	return b
}

// stubAWS is an aws command for the check: "aws lambda get-alias … --function-name F …" prints the file
// <dir>/<F> (what the real CLI prints with --output text) or, without that file, fails as the CLI does.
const stubAWS = `#!/bin/sh
fn=""
while [ $# -gt 0 ]; do
  [ "$1" = "--function-name" ] && fn="$2"
  shift
done
[ -f "$STUB_ALIASES/$fn" ] || { echo "An error occurred (ResourceNotFoundException) when calling the GetAlias operation: Function not found: $fn" >&2; exit 254; }
cat "$STUB_ALIASES/$fn"
`

// run runs the check's commands the way CodeBuild does (runBuild), against stubAWS. aliases gives what get-alias
// prints for each function (version, a tab, the number of extra weights).
func (b verifyBuild) run(t *testing.T, aliases map[string]string) (string, bool) {
	t.Helper()
	stub := filepath.Join(t.TempDir(), "aliases")
	if err := os.Mkdir(stub, 0o755); err != nil {
		t.Fatal(err)
	}
	for fn, out := range aliases {
		if err := os.WriteFile(filepath.Join(stub, fn), []byte(out+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"STUB_ALIASES": stub}
	for k, v := range b.env {
		env[k] = v
	}
	return runBuild(t, b.commands, env, map[string]string{"aws": stubAWS})
}

// runBuild runs commands in order the way CodeBuild does: each in a fresh sh, with the environment variables (and
// nothing else) carried from one command to the next, stopping at the first that fails. stubs are scripts put, by
// name, in a directory that comes first on the PATH (then /usr/bin and /bin); env is the starting environment, with
// HOME and TMPDIR set to a new directory. It returns the log and whether every command passed.
func runBuild(t *testing.T, commands []string, env map[string]string, stubs map[string]string) (string, bool) {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, script := range stubs {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	vars := []string{"PATH=" + bin + ":/usr/bin:/bin", "HOME=" + dir, "TMPDIR=" + dir}
	for k, v := range env {
		vars = append(vars, k+"="+v)
	}
	envFile := filepath.Join(dir, "env")
	var log strings.Builder
	for _, c := range commands {
		cmd := exec.Command("sh", "-c", `eval "$BUILDSPEC_COMMAND"; status=$?; env -0 > "$BUILDSPEC_ENV"; exit $status`)
		cmd.Env = append(append([]string(nil), vars...), "BUILDSPEC_COMMAND="+c, "BUILDSPEC_ENV="+envFile)
		out, err := cmd.CombinedOutput()
		log.Write(out)
		if err != nil {
			return log.String(), false
		}
		saved, err := os.ReadFile(envFile)
		if err != nil {
			t.Fatal(err)
		}
		vars = nil
		for _, kv := range strings.Split(strings.TrimRight(string(saved), "\x00"), "\x00") {
			if !strings.HasPrefix(kv, "BUILDSPEC_") {
				vars = append(vars, kv)
			}
		}
	}
	return log.String(), true
}

// The post-deploy check runs as CodeBuild runs it: each command in its own shell, against a stub aws CLI.
func TestPipelineVerifyStepRunsAsCodeBuildRunsIt(t *testing.T) {
	app := testkit.NewApp(t)
	stack := awscdk.NewStack(app, jsii.String("Delivery"), nil)
	prod := awscdk.NewStage(app, jsii.String("Prod"), nil)
	service := awscdk.NewStack(prod, jsii.String("Service"), nil)
	api, worker := testkit.Deploy(t, service, "Api", nil), testkit.Deploy(t, service, "Worker", nil)
	pipeline.New(stack, "Delivery", &pipeline.Props{
		Source: pipeline.FromConnection("arn:aws:codeconnections:eu-west-1:111111111111:connection/abc", "o/r", "main"),
		Stages: []pipeline.Stage{{Stage: prod, Verify: []bluegreen.Deployment{api, worker}}},
	})
	build := readVerifyBuild(t, testkit.Template(t, stack), "Prod", map[string]string{
		"BG0_FUNCTION": "api-fn", "BG0_VERSION": "7", "BG1_FUNCTION": "worker-fn", "BG1_VERSION": "3",
	})
	if len(build.commands) != 2 {
		t.Errorf("want one command per verified deployment, got %d: %q", len(build.commands), build.commands)
	}
	cases := []struct {
		name    string
		aliases map[string]string
		pass    bool
		want    []string
	}{
		{"both aliases serve their deployed version alone", map[string]string{"api-fn": "7\t0", "worker-fn": "3\t0"}, true,
			[]string{"blue/green api-fn:live serves version and extra weights: 7\t0 (deployed version 7)",
				"blue/green worker-fn:live serves version and extra weights: 3\t0 (deployed version 3)"}},
		{"CodeDeploy rolled the second back to blue", map[string]string{"api-fn": "7\t0", "worker-fn": "2\t0"}, false,
			[]string{"alias worker-fn:live does not serve version 3 alone: the blue/green deployment did not finish"}},
		{"the first is still shifting", map[string]string{"api-fn": "6\t1", "worker-fn": "3\t0"}, false,
			[]string{"alias api-fn:live does not serve version 7 alone"}},
		{"the alias cannot be read", map[string]string{"worker-fn": "3\t0"}, false,
			[]string{"ResourceNotFoundException", "could not read alias api-fn:live"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			log, pass := build.run(t, tc.aliases)
			if pass != tc.pass {
				t.Errorf("check passed = %v, want %v; log:\n%s", pass, tc.pass, log)
			}
			if strings.Contains(log, "not found") && !strings.Contains(log, "Function not found") {
				t.Errorf("a command relies on another's shell state:\n%s", log)
			}
			for _, w := range tc.want {
				if !strings.Contains(log, w) {
					t.Errorf("log lacks %q:\n%s", w, log)
				}
			}
		})
	}
}

// The SHA-256 that go.dev/dl publishes for go1.26.8.linux-amd64.tar.gz, written out here rather than read from the
// package, so that a changed pin fails the test.
const publishedGo1268SHA256 = "d0f743b33e8d8945e6b1f432edd15785c70507121d6e2a723b21285eddf8b57b"

// synthBuild is the synth step as CodeBuild gets it: its install commands and the project's environment variables.
type synthBuild struct {
	install []string
	env     map[string]string
}

// readSynthBuild finds the synth project (the one that downloads Go) in the pipeline template.
func readSynthBuild(t *testing.T, tmpl assertions.Template) synthBuild {
	t.Helper()
	var found []synthBuild
	for id, p := range testkit.Resources(tmpl, "AWS::CodeBuild::Project") {
		text, _ := testkit.Props(p)["Source"].(map[string]interface{})["BuildSpec"].(string)
		if !strings.Contains(text, "go.dev/dl/") {
			continue
		}
		var spec struct {
			Phases map[string]struct {
				Commands []string `json:"commands"`
			} `json:"phases"`
		}
		if err := json.Unmarshal([]byte(text), &spec); err != nil {
			t.Fatalf("%s: build spec: %v", id, err)
		}
		b := synthBuild{install: spec.Phases["install"].Commands, env: map[string]string{}}
		env, _ := testkit.Props(p)["Environment"].(map[string]interface{})
		vars, _ := env["EnvironmentVariables"].([]interface{})
		for _, v := range vars {
			m := v.(map[string]interface{})
			b.env[m["Name"].(string)] = testkit.JSONString(m["Value"])
		}
		found = append(found, b)
	}
	if len(found) != 1 {
		t.Fatalf("want one project that downloads Go, got %d", len(found))
	}
	return found[0]
}

// Stubs for the install commands. curl writes $STUB_ARCHIVE to the file of -o (or to stdout) and logs the URL; tar
// logs its arguments and "unpacks" a go command into the directory of -C that reports go$STUB_GO_VERSION.
const (
	stubCurl = `#!/bin/sh
out=""; url=""
while [ $# -gt 0 ]; do
  case "$1" in
    -o) out="$2"; shift ;;
    https://*) url="$1" ;;
  esac
  shift
done
echo "curl $url" >> "$STUB_LOG"
if [ -n "$out" ]; then cp "$STUB_ARCHIVE" "$out"; else cat "$STUB_ARCHIVE"; fi
`
	stubTar = `#!/bin/sh
echo "tar $*" >> "$STUB_LOG"
dir=""
while [ $# -gt 0 ]; do
  [ "$1" = "-C" ] && dir="$2"
  shift
done
mkdir -p "$dir/go/bin"
printf '#!/bin/sh\necho "go version go%s linux/amd64"\n' "$STUB_GO_VERSION" > "$dir/go/bin/go"
chmod +x "$dir/go/bin/go"
`
)

// The synth step checks the Go archive against the published SHA-256 before unpacking it: its install commands run
// as CodeBuild runs them (each in a fresh sh), against stub curl and tar and the real sha256sum.
func TestPipelineSynthChecksTheGoArchive(t *testing.T) {
	genuine := []byte("the genuine go1.26.7.linux-amd64.tar.gz")
	sum := sha256.Sum256(genuine)
	synth := func(t *testing.T, version, goSHA256 string) synthBuild {
		t.Helper()
		stack := newPipeline(t, func(dev, _ awscdk.Stage, _, _ bluegreen.Deployment) *pipeline.Props {
			return &pipeline.Props{Source: pipeline.FromConnection("arn:aws:codeconnections:eu-west-1:111111111111:connection/abc", "o/r", "main"),
				Stages: []pipeline.Stage{{Stage: dev}}, GoVersion: version, GoSHA256: goSHA256}
		})
		return readSynthBuild(t, testkit.Template(t, stack))
	}
	defaults := synth(t, "", "")
	custom := synth(t, "1.26.7", hex.EncodeToString(sum[:]))

	t.Run("the default Go is checked against its published SHA-256", func(t *testing.T) {
		if len(defaults.install) == 0 || !strings.Contains(defaults.install[0], `echo "`+publishedGo1268SHA256+`  $f" | sha256sum -c -`) {
			t.Errorf("the install commands do not check go1.26.8.linux-amd64.tar.gz against %s: %q", publishedGo1268SHA256, defaults.install)
		}
	})
	t.Run("the go command never fetches another toolchain", func(t *testing.T) {
		for _, b := range []synthBuild{defaults, custom} {
			if b.env["GOTOOLCHAIN"] != `"local"` {
				t.Errorf("synth environment %v: want GOTOOLCHAIN=local", b.env)
			}
		}
	})

	cases := []struct {
		name    string
		build   synthBuild
		archive []byte
		reports string // the version the unpacked go reports
		pass    bool
		want    []string
	}{
		{"a download that is not the published go1.26.8 archive stops the build", defaults, []byte("not go"), "1.26.8", false,
			[]string{"curl https://go.dev/dl/go1.26.8.linux-amd64.tar.gz", "FAILED"}},
		{"the archive that matches GoSHA256 is unpacked and its go put first", custom, genuine, "1.26.7", true,
			[]string{"curl https://go.dev/dl/go1.26.7.linux-amd64.tar.gz", ": OK", "tar -C ", "go version go1.26.7 linux/amd64"}},
		{"a tampered archive stops the build before anything is unpacked", custom, []byte("tampered"), "1.26.7", false,
			[]string{"FAILED"}},
		{"a go that reports another version stops the build", custom, genuine, "1.26.6", false, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			archive, stubLog := filepath.Join(dir, "archive"), filepath.Join(dir, "stub.log")
			if err := os.WriteFile(archive, tc.archive, 0o644); err != nil {
				t.Fatal(err)
			}
			// The commands unpack into /usr/local; the test moves that to a directory of its own, so that the
			// machine's Go is neither overwritten nor found on the PATH.
			prefix := filepath.Join(dir, "usr-local")
			var commands []string
			for _, c := range tc.build.install {
				commands = append(commands, strings.ReplaceAll(c, "/usr/local", prefix))
			}
			if !strings.Contains(strings.Join(tc.build.install, "\n"), "tar -C /usr/local -xzf") {
				t.Fatalf("the install commands no longer unpack into /usr/local, which the test relies on: %q", tc.build.install)
			}
			log, pass := runBuild(t, commands, map[string]string{"STUB_ARCHIVE": archive, "STUB_LOG": stubLog,
				"STUB_GO_VERSION": tc.reports}, map[string]string{"curl": stubCurl, "tar": stubTar})
			calls, _ := os.ReadFile(stubLog)
			log += string(calls)
			if pass != tc.pass {
				t.Errorf("install passed = %v, want %v; log:\n%s", pass, tc.pass, log)
			}
			if unpacked := strings.Contains(string(calls), "tar "); unpacked != (tc.reports == "1.26.6" || tc.pass) {
				t.Errorf("archive unpacked = %v; log:\n%s", unpacked, log)
			}
			for _, w := range tc.want {
				if !strings.Contains(log, w) {
					t.Errorf("log lacks %q:\n%s", w, log)
				}
			}
		})
	}
}

// verifyRoleName returns the RoleName (as JSON) of the role of stage's check in the pipeline template.
func verifyRoleName(t *testing.T, tmpl assertions.Template, stage string) string {
	t.Helper()
	for id, p := range testkit.Resources(tmpl, "AWS::CodeBuild::Project") {
		if !strings.Contains(id, "VerifyBlueGreen"+stage) {
			continue
		}
		getAtt, _ := testkit.Props(p)["ServiceRole"].(map[string]interface{})["Fn::GetAtt"].([]interface{})
		if len(getAtt) != 2 {
			t.Fatalf("%s: service role %v", id, testkit.Props(p)["ServiceRole"])
		}
		role, ok := testkit.Resources(tmpl, "AWS::IAM::Role")[getAtt[0].(string)]
		if !ok || testkit.Props(role)["RoleName"] == nil {
			t.Fatalf("the role of %s has no RoleName: %v", id, role)
		}
		return testkit.JSONString(testkit.Props(role)["RoleName"])
	}
	t.Fatalf("no check project for stage %s", stage)
	return ""
}

// getAliasGrants returns, from a stage stack's template, the roles (as JSON) of the policies that grant Lambda
// actions and the resources (as JSON) they grant, failing on any statement other than lambda:GetAlias.
func getAliasGrants(t *testing.T, tmpl assertions.Template) (roles, granted []string) {
	t.Helper()
	for id, p := range testkit.Resources(tmpl, "AWS::IAM::Policy") {
		if !strings.Contains(testkit.JSONString(testkit.Props(p)["PolicyDocument"]), "lambda:") {
			continue
		}
		for _, r := range testkit.Props(p)["Roles"].([]interface{}) {
			roles = append(roles, testkit.JSONString(r))
		}
		for _, s := range testkit.Props(p)["PolicyDocument"].(map[string]interface{})["Statement"].([]interface{}) {
			st := s.(map[string]interface{})
			if st["Action"] != "lambda:GetAlias" || st["Effect"] != "Allow" || st["Condition"] != nil {
				t.Errorf("%s: statement beyond reading aliases: %s", id, testkit.JSONString(st))
			}
			res, ok := st["Resource"].([]interface{})
			if !ok {
				res = []interface{}{st["Resource"]}
			}
			for _, r := range res {
				granted = append(granted, testkit.JSONString(r))
			}
		}
	}
	sort.Strings(granted)
	return roles, granted
}

// arnsOf returns the ARNs (as template JSON) of d's function and alias in their stack.
func arnsOf(stack awscdk.Stack, d bluegreen.Deployment) []string {
	fn := *stack.GetLogicalId(d.Function().Node().DefaultChild().(awscdk.CfnElement))
	alias := *stack.GetLogicalId(d.Alias().Node().DefaultChild().(awscdk.CfnElement))
	return []string{testkit.JSONString(testkit.Obj{"Fn::GetAtt": []string{fn, "Arn"}}), testkit.JSONString(testkit.Obj{"Ref": alias})}
}

// The check of a stage may read the verified aliases only: each stage stack grants its role lambda:GetAlias on the
// ARNs of the verified functions and aliases, and the pipeline's own policies grant no Lambda action.
func TestPipelineVerifyRoleReadsOnlyTheVerifiedAliases(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		pipelineEnv, prodEnv *awscdk.Environment
		roleSuffix           string
	}{
		{"environment-agnostic", nil, nil, `{"Ref":"AWS::Region"}`},
		{"Prod in another region", &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-1")},
			&awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-central-1")}, `-eu-west-1"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := testkit.NewApp(t)
			stack := awscdk.NewStack(app, jsii.String("Delivery"), &awscdk.StackProps{Env: tc.pipelineEnv})
			dev := awscdk.NewStage(app, jsii.String("Dev"), &awscdk.StageProps{Env: tc.pipelineEnv})
			prod := awscdk.NewStage(app, jsii.String("Prod"), &awscdk.StageProps{Env: tc.prodEnv})
			devService, prodService := awscdk.NewStack(dev, jsii.String("Service"), nil), awscdk.NewStack(prod, jsii.String("Service"), nil)
			devAPI := testkit.Deploy(t, devService, "Api", nil)
			api, worker := testkit.Deploy(t, prodService, "Api", nil), testkit.Deploy(t, prodService, "Worker", nil)
			testkit.Deploy(t, prodService, "Unverified", nil)
			pipeline.New(stack, "Delivery", &pipeline.Props{
				Source: pipeline.FromConnection("arn:aws:codeconnections:eu-west-1:111111111111:connection/abc", "o/r", "main"),
				Stages: []pipeline.Stage{{Stage: dev, Verify: []bluegreen.Deployment{devAPI}},
					{Stage: prod, Verify: []bluegreen.Deployment{api, worker}}},
			})
			tmpl := testkit.Template(t, stack)
			for id, p := range testkit.Resources(tmpl, "AWS::IAM::Policy") {
				if doc := testkit.JSONString(testkit.Props(p)["PolicyDocument"]); strings.Contains(doc, "lambda:") {
					t.Errorf("pipeline policy %s grants a Lambda action: %s", id, doc)
				}
			}
			for _, s := range []struct {
				stage   string
				service awscdk.Stack
				want    []string
			}{
				{"Dev", devService, arnsOf(devService, devAPI)},
				{"Prod", prodService, append(arnsOf(prodService, api), arnsOf(prodService, worker)...)},
			} {
				role := verifyRoleName(t, tmpl, s.stage)
				if !strings.HasSuffix(role, tc.roleSuffix+"]]}") && !strings.HasSuffix(role, tc.roleSuffix) {
					t.Errorf("%s: role name %s does not end with the pipeline's region %s", s.stage, role, tc.roleSuffix)
				}
				roles, granted := getAliasGrants(t, testkit.Template(t, s.service))
				if len(roles) != 1 || roles[0] != role {
					t.Errorf("%s: the GetAlias grant is attached to %v, want the check's role %s", s.stage, roles, role)
				}
				sort.Strings(s.want)
				if strings.Join(granted, " ") != strings.Join(s.want, " ") {
					t.Errorf("%s: lambda:GetAlias granted on\n  %v\nwant exactly the verified functions and aliases\n  %v", s.stage, granted, s.want)
				}
			}
			if verifyRoleName(t, tmpl, "Dev") == verifyRoleName(t, tmpl, "Prod") {
				t.Errorf("the checks of Dev and Prod share a role name")
			}
		})
	}
}

// With a connection whose ARN has the codeconnections service prefix, the source action's role may use it with the
// codeconnections action (the service prefix of the action must match the resource's); CDK grants only the
// codestar-connections one.
func TestPipelineSourceRoleMayUseTheConnection(t *testing.T) {
	for _, tc := range []struct {
		arn  string
		want []string
	}{
		{"arn:aws:codeconnections:eu-west-1:111111111111:connection/abc", []string{"codeconnections:UseConnection", "codestar-connections:UseConnection"}},
		{"arn:aws:codestar-connections:eu-west-1:111111111111:connection/abc", []string{"codestar-connections:UseConnection"}},
	} {
		t.Run(tc.arn, func(t *testing.T) {
			tmpl := testkit.Template(t, newPipeline(t, func(dev, _ awscdk.Stage, _, _ bluegreen.Deployment) *pipeline.Props {
				return &pipeline.Props{Source: pipeline.FromConnection(tc.arn, "o/r", "main"), Stages: []pipeline.Stage{{Stage: dev}}}
			}))
			_, pl := testkit.OnlyResource(t, tmpl, "AWS::CodePipeline::Pipeline")
			var role interface{}
			for _, s := range testkit.Props(pl)["Stages"].([]interface{}) {
				if m := s.(map[string]interface{}); m["Name"] == "Source" {
					role = m["Actions"].([]interface{})[0].(map[string]interface{})["RoleArn"].(map[string]interface{})["Fn::GetAtt"].([]interface{})[0]
				}
			}
			actions := map[string]bool{}
			for _, p := range testkit.Resources(tmpl, "AWS::IAM::Policy") {
				if !strings.Contains(testkit.JSONString(testkit.Props(p)["Roles"]), testkit.JSONString(testkit.Obj{"Ref": role})) {
					continue
				}
				for _, s := range testkit.Props(p)["PolicyDocument"].(map[string]interface{})["Statement"].([]interface{}) {
					st := s.(map[string]interface{})
					if testkit.JSONString(st["Resource"]) != testkit.JSONString(tc.arn) {
						continue
					}
					list, ok := st["Action"].([]interface{})
					if !ok {
						list = []interface{}{st["Action"]}
					}
					for _, a := range list {
						actions[a.(string)] = true
					}
				}
			}
			if got := strings.Join(keysOf(actions), " "); got != strings.Join(tc.want, " ") {
				t.Errorf("the source action's role may call %q on the connection, want %q", got, tc.want)
			}
		})
	}
}

func keysOf(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// A stage deployed with a pinned version is verified against the pinned version, the one its alias must serve.
func TestPipelineVerifiesThePinnedVersion(t *testing.T) {
	app := testkit.NewApp(t)
	stack := awscdk.NewStack(app, jsii.String("Delivery"), nil)
	prod := awscdk.NewStage(app, jsii.String("Prod"), nil)
	service := awscdk.NewStack(prod, jsii.String("Service"), nil)
	d := testkit.Deploy(t, service, "Api", &bluegreen.DeploymentProps{PinnedVersion: jsii.String("6")})
	pipeline.New(stack, "Delivery", &pipeline.Props{
		Source: pipeline.FromConnection("arn:aws:codeconnections:eu-west-1:111111111111:connection/abc", "o/r", "main"),
		Stages: []pipeline.Stage{{Stage: prod, Verify: []bluegreen.Deployment{d}}},
	})
	var versions []string
	for id, o := range *testkit.Template(t, service).FindOutputs(jsii.String("*"), nil) {
		if strings.HasPrefix(id, "BlueGreenVerifyVersion") {
			versions = append(versions, testkit.JSONString((*o)["Value"]))
		}
	}
	if len(versions) != 1 || versions[0] != `"6"` {
		t.Errorf("the verified version output should be the pin, got %v", versions)
	}
}
