package test

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
	"github.com/rhysd/actionlint"
	"sigs.k8s.io/yaml"

	"github.com/safeship/lambda-bluegreen/constructs/githubactions"
	"github.com/safeship/lambda-bluegreen/constructs/strategy"
	"github.com/safeship/lambda-bluegreen/examples/service"
	"github.com/safeship/lambda-bluegreen/internal/deployment"
	"github.com/safeship/lambda-bluegreen/test/testkit"
)

// workflowDir holds the example GitHub Actions workflow and its failure report.
var workflowDir = filepath.Join(testkit.RepoRoot, "examples", "github-actions")

// flatten writes a CloudFormation string value as text: {"Ref": X} becomes ${X}, Fn::Join is joined, so that an
// ARN built from tokens can be compared with the ARN it names.
func flatten(v interface{}) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]interface{}:
		if ref, ok := v["Ref"].(string); ok {
			return "${" + ref + "}"
		}
		if join, ok := v["Fn::Join"].([]interface{}); ok && len(join) == 2 {
			parts, _ := join[1].([]interface{})
			var out []string
			for _, p := range parts {
				out = append(out, flatten(p))
			}
			return strings.Join(out, fmt.Sprint(join[0]))
		}
	}
	return testkit.JSONString(v)
}

// roleOf returns the one role of tmpl: its trust policy's one statement and the role's properties.
func roleOf(t *testing.T, tmpl assertions.Template) (statement map[string]interface{}, role map[string]interface{}) {
	t.Helper()
	_, r := testkit.OnlyResource(t, tmpl, "AWS::IAM::Role")
	doc, _ := testkit.Props(r)["AssumeRolePolicyDocument"].(map[string]interface{})
	statements, _ := doc["Statement"].([]interface{})
	if len(statements) != 1 {
		t.Fatalf("the trust policy must have exactly one statement, got %s", testkit.JSONString(statements))
	}
	return statements[0].(map[string]interface{}), testkit.Props(r)
}

// permissionsOf returns the actions and flattened resources the one policy of tmpl allows, failing when it denies,
// has conditions, or when any other policy is attached.
func permissionsOf(t *testing.T, tmpl assertions.Template) (actions, resources []string) {
	t.Helper()
	testkit.CountIs(t, tmpl, "AWS::IAM::ManagedPolicy", 0)
	_, policy := testkit.OnlyResource(t, tmpl, "AWS::IAM::Policy")
	doc, _ := testkit.Props(policy)["PolicyDocument"].(map[string]interface{})
	statements, _ := doc["Statement"].([]interface{})
	for _, s := range statements {
		st := s.(map[string]interface{})
		if st["Effect"] != "Allow" || st["Condition"] != nil || st["NotAction"] != nil || st["NotResource"] != nil {
			t.Errorf("unexpected statement %s", testkit.JSONString(st))
		}
		for _, a := range asList(st["Action"]) {
			actions = append(actions, flatten(a))
		}
		for _, r := range asList(st["Resource"]) {
			resources = append(resources, flatten(r))
		}
	}
	sort.Strings(resources)
	return actions, resources
}

func asList(v interface{}) []interface{} {
	if l, ok := v.([]interface{}); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []interface{}{v}
}

func bootstrapArns(accounts, regions []string, qualifier string) []string {
	var out []string
	for _, a := range accounts {
		for _, r := range regions {
			for _, k := range githubactions.BootstrapRoleKinds {
				out = append(out, githubactions.BootstrapRoleArn("${AWS::Partition}", a, r, qualifier, k))
			}
		}
	}
	sort.Strings(out)
	return out
}

func TestGitHubDeployRole(t *testing.T) {
	const repo = "my-org/my-service"
	cases := []struct {
		name      string
		props     githubactions.DeployRoleProps
		sub       interface{} // the sub condition, exactly
		resources []string
	}{
		{"a branch", githubactions.DeployRoleProps{Repository: repo, Branches: []string{"main"}},
			"repo:my-org/my-service:ref:refs/heads/main",
			bootstrapArns([]string{"${AWS::AccountId}"}, []string{"${AWS::Region}"}, "hnb659fds")},
		{"an environment", githubactions.DeployRoleProps{Repository: repo, Environments: []string{"prod"}},
			"repo:my-org/my-service:environment:prod",
			bootstrapArns([]string{"${AWS::AccountId}"}, []string{"${AWS::Region}"}, "hnb659fds")},
		{"both, two accounts and regions, a qualifier", githubactions.DeployRoleProps{Repository: repo,
			Branches: []string{"main"}, Environments: []string{"prod"}, Qualifier: jsii.String("team1"),
			Accounts: []string{"111111111111", "222222222222"}, Regions: []string{"eu-west-1", "eu-central-1"}},
			[]interface{}{"repo:my-org/my-service:ref:refs/heads/main", "repo:my-org/my-service:environment:prod"},
			bootstrapArns([]string{"111111111111", "222222222222"}, []string{"eu-west-1", "eu-central-1"}, "team1")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stack := testkit.NewStack(t)
			d := githubactions.NewDeployRole(stack, "Deploy", &tc.props)
			tmpl := testkit.Template(t, stack)
			statement, role := roleOf(t, tmpl)

			// Trust: the provider, web identity only, StringEquals on the audience and exactly these subjects.
			if statement["Effect"] != "Allow" || statement["Action"] != "sts:AssumeRoleWithWebIdentity" {
				t.Errorf("trust statement %s", testkit.JSONString(statement))
			}
			principal, _ := statement["Principal"].(map[string]interface{})
			if len(principal) != 1 || flatten(principal["Federated"]) != "${"+providerID(t, tmpl)+"}" {
				t.Errorf("principal must be the stack's GitHub provider alone, got %s", testkit.JSONString(principal))
			}
			want := map[string]interface{}{"StringEquals": map[string]interface{}{
				"token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
				"token.actions.githubusercontent.com:sub": tc.sub,
			}}
			if got := testkit.JSONString(statement["Condition"]); got != testkit.JSONString(want) {
				t.Errorf("trust condition\n got %s\nwant %s", got, testkit.JSONString(want))
			}
			if strings.ContainsAny(testkit.JSONString(statement["Condition"]), "*?") {
				t.Errorf("the trust condition holds a wildcard: %s", testkit.JSONString(statement["Condition"]))
			}
			if role["MaxSessionDuration"] != 3600.0 || role["ManagedPolicyArns"] != nil || role["Policies"] != nil {
				t.Errorf("role properties %s", testkit.JSONString(role))
			}

			// Permissions: sts:AssumeRole on the bootstrap roles of the targets, nothing else.
			actions, resources := permissionsOf(t, tmpl)
			if testkit.JSONString(actions) != `["sts:AssumeRole"]` {
				t.Errorf("actions %v, want sts:AssumeRole alone", actions)
			}
			if testkit.JSONString(resources) != testkit.JSONString(tc.resources) {
				t.Errorf("resources\n got %v\nwant %v", resources, tc.resources)
			}
			if len(d.Subjects()) != len(asList(tc.sub)) || d.DefinedProvider() == nil {
				t.Errorf("Subjects() %v, DefinedProvider() %v", d.Subjects(), d.DefinedProvider())
			}
		})
	}
}

// providerID returns the logical id of the stack's one GitHub OIDC provider, checking how it is defined: the native
// resource (no custom resource, no Lambda function), GitHub's issuer, the audience sts.amazonaws.com, no thumbprint.
func providerID(t *testing.T, tmpl assertions.Template) string {
	t.Helper()
	id, p := testkit.OnlyResource(t, tmpl, "AWS::IAM::OIDCProvider")
	want := `{"ClientIdList":["sts.amazonaws.com"],"Url":"https://token.actions.githubusercontent.com"}`
	if got := testkit.JSONString(testkit.Props(p)); got != want {
		t.Errorf("provider properties %s, want %s", got, want)
	}
	testkit.CountIs(t, tmpl, "AWS::Lambda::Function", 0)
	for logical, r := range *tmpl.ToJSON() {
		if logical == "Resources" {
			for rid, res := range r.(map[string]interface{}) {
				if typ := fmt.Sprint(res.(map[string]interface{})["Type"]); strings.HasPrefix(typ, "Custom::") ||
					typ == "AWS::CloudFormation::CustomResource" {
					t.Errorf("%s is a custom resource (%s)", rid, typ)
				}
			}
		}
	}
	return id
}

// One provider per account: a second role reuses the first one's, and an account that has one imports it by ARN.
func TestGitHubProviderIsDefinedOnce(t *testing.T) {
	stack := testkit.NewStack(t)
	dev := githubactions.NewDeployRole(stack, "Dev", &githubactions.DeployRoleProps{Repository: "o/r", Branches: []string{"main"}})
	prod := githubactions.NewDeployRole(stack, "Prod", &githubactions.DeployRoleProps{Repository: "o/r",
		Environments: []string{"prod"}, Provider: dev.Provider()})
	tmpl := testkit.Template(t, stack)
	id := providerID(t, tmpl)
	if prod.DefinedProvider() != nil {
		t.Error("the second role defined a provider")
	}
	for rid, r := range testkit.Resources(tmpl, "AWS::IAM::Role") {
		doc := testkit.Props(r)["AssumeRolePolicyDocument"].(map[string]interface{})
		federated := doc["Statement"].([]interface{})[0].(map[string]interface{})["Principal"].(map[string]interface{})["Federated"]
		if flatten(federated) != "${"+id+"}" {
			t.Errorf("%s trusts %s, want the one provider %s", rid, flatten(federated), id)
		}
	}

	existing := testkit.NewStack(t)
	githubactions.NewDeployRole(existing, "Dev", &githubactions.DeployRoleProps{Repository: "o/r", Branches: []string{"main"},
		Provider: githubactions.ExistingProvider(existing, "GitHub")})
	tmpl = testkit.Template(t, existing)
	testkit.CountIs(t, tmpl, "AWS::IAM::OIDCProvider", 0)
	statement, _ := roleOf(t, tmpl)
	want := "arn:${AWS::Partition}:iam::${AWS::AccountId}:oidc-provider/token.actions.githubusercontent.com"
	if got := flatten(statement["Principal"].(map[string]interface{})["Federated"]); got != want {
		t.Errorf("an existing provider is trusted as %s, want %s", got, want)
	}
}

func TestGitHubDeployRoleRefusesBadProps(t *testing.T) {
	cases := []struct {
		name  string
		props *githubactions.DeployRoleProps
		want  string
	}{
		{"nil props", nil, `Repository must name one repository as "owner/name", got none`},
		{"a wildcard repository", &githubactions.DeployRoleProps{Repository: "my-org/*", Branches: []string{"main"}},
			`Repository must name one repository, got "my-org/*": a wildcard would let other repositories assume the role`},
		{"a .git suffix", &githubactions.DeployRoleProps{Repository: "my-org/my-service.git", Branches: []string{"main"}},
			`Repository name must not end in ".git", got "my-service.git"`},
		{"a URL", &githubactions.DeployRoleProps{Repository: "https://github.com/my-org/my-service", Branches: []string{"main"}},
			`Repository must be "owner/name" as GitHub's subject claim names it (repo:owner/name:…), not a URL or clone ` +
				`address, got "https://github.com/my-org/my-service": use "my-org/my-service"`},
		{"a wildcard branch", &githubactions.DeployRoleProps{Repository: "o/r", Branches: []string{"*"}},
			`Branches[0] must name one branch, got "*"`},
		{"nobody trusted", &githubactions.DeployRoleProps{Repository: "o/r"},
			"Branches or Environments must name at least one branch or GitHub environment"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stack := testkit.NewStack(t)
			msg := testkit.MustPanic(t, func() { githubactions.NewDeployRole(stack, "Deploy", tc.props) })
			if !strings.Contains(msg, "TestStack/Deploy: invalid githubactions.DeployRoleProps: ") || !strings.Contains(msg, tc.want) {
				t.Errorf("got %q, want the construct path and %q", msg, tc.want)
			}
			if stack.Node().TryFindChild(jsii.String("Deploy")) != nil {
				t.Error("a refused construct left children behind")
			}
		})
	}
}

// The example's access stack: the provider and the workflow's two roles (dev trusts the branch, prod the
// environment), their ARNs as outputs, clean under cdk-nag; context keys change the subjects and reuse an existing
// provider.
func TestGitHubAccessExample(t *testing.T) {
	// Without the two flags that turn error annotations into a failed synth: the control below must synthesize.
	app := testkit.NewAppWith(t, map[string]interface{}{"@aws-cdk/core:validateAgainstDefaultRules": nil,
		"@aws-cdk/core:annotationsInValidationReport": nil})
	service.ApplyNag(app)
	access := service.NewGitHubAccess(app, nil)
	tmpl := testkit.Template(t, access.Stack)
	providerID(t, tmpl)
	testkit.CountIs(t, tmpl, "AWS::IAM::Role", 2)
	if got := access.Dev.Subjects(); testkit.JSONString(got) != `["repo:example-org/lambda-bluegreen:ref:refs/heads/main"]` {
		t.Errorf("dev subjects %v", got)
	}
	if got := access.Prod.Subjects(); testkit.JSONString(got) != `["repo:example-org/lambda-bluegreen:environment:prod"]` {
		t.Errorf("prod subjects %v", got)
	}
	outputs := *tmpl.FindOutputs(jsii.String("*"), nil)
	for _, name := range []string{"DevDeployRoleArn", "ProdDeployRoleArn"} {
		if _, ok := outputs[name]; !ok {
			t.Errorf("no output %s (the workflow's role-to-assume)", name)
		}
	}
	for _, e := range nagErrors(t, access.Stack) {
		t.Errorf("cdk-nag: %s", e)
	}
	// The packs did run: a role allowed everything, in the same app, is flagged.
	control := awscdk.NewStack(app, jsii.String("Control"), nil)
	wide := awsiam.NewRole(control, jsii.String("Wide"), &awsiam.RoleProps{AssumedBy: awsiam.NewAccountRootPrincipal()})
	wide.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings("s3:*"), Resources: jsii.Strings("*")}))
	if len(testkit.SynthMessages(t, control, "error", regexp.MustCompile("AwsSolutions-IAM5"))) == 0 {
		t.Error("cdk-nag flagged no wildcard permission: its packs did not run")
	}

	app = testkit.NewAppWith(t, map[string]interface{}{service.ContextRepository: "acme/shop", service.ContextBranch: "trunk",
		service.ContextGitHubEnvironment: "production", service.ContextGitHubProvider: "existing"})
	access = service.NewGitHubAccess(app, nil)
	testkit.CountIs(t, testkit.Template(t, access.Stack), "AWS::IAM::OIDCProvider", 0)
	if got := append(access.Dev.Subjects(), access.Prod.Subjects()...); testkit.JSONString(got) !=
		`["repo:acme/shop:ref:refs/heads/trunk","repo:acme/shop:environment:production"]` {
		t.Errorf("subjects from context %v", got)
	}
}

// NewApp defines the access stack beside the service stacks the workflow deploys.
func TestExampleAppHasGitHubAccess(t *testing.T) {
	app, _ := sharedExample(t)
	for _, name := range []string{service.GitHubAccessStackName, "BlueGreenServiceDev", "BlueGreenServiceProd"} {
		if app.Node().TryFindChild(jsii.String(name)) == nil {
			t.Errorf("the example app has no stack %s", name)
		}
	}
}

// workflowFiles returns the workflow files of the example.
func workflowFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(workflowDir, "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflow in %s: %v", workflowDir, err)
	}
	return files
}

// lint runs actionlint's checks on one workflow and returns its errors as text.
func lint(t *testing.T, path string, content []byte) []string {
	t.Helper()
	// shellcheck checks the run: scripts too where it is installed.
	shellcheck, _ := exec.LookPath("shellcheck")
	linter, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{Shellcheck: shellcheck})
	if err != nil {
		t.Fatal(err)
	}
	errs, err := linter.Lint(path, content, nil)
	if err != nil {
		t.Fatalf("actionlint on %s: %v", path, err)
	}
	var out []string
	for _, e := range errs {
		out = append(out, fmt.Sprintf("%s:%d:%d: %s [%s]", e.Filepath, e.Line, e.Column, e.Message, e.Kind))
	}
	return out
}

func TestGitHubWorkflowLints(t *testing.T) {
	for _, f := range workflowFiles(t) {
		content, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if errs := lint(t, f, content); len(errs) > 0 {
			t.Errorf("actionlint:\n%s", strings.Join(errs, "\n"))
		}
		// The check can fail: broken copies of the same workflow are refused.
		for _, b := range []struct{ from, to, want string }{
			{"needs: deploy-dev", "needs: deploy-qa", "deploy-qa"},
			{"steps.aws.outcome", "steps.aws.outcom", "outcom"},
			{"timeout-minutes: 55", "timeout-minutes: soon", "float number"},
			{"id-token: write", "id-token: admin", "admin"},
		} {
			if !strings.Contains(string(content), b.from) {
				t.Fatalf("%s no longer holds %q: update this test", f, b.from)
			}
			broken := strings.Replace(string(content), b.from, b.to, 1)
			errs := lint(t, f, []byte(broken))
			if len(errs) == 0 || !strings.Contains(strings.Join(errs, "\n"), b.want) {
				t.Errorf("actionlint passed a workflow with %q replaced by %q: %v", b.from, b.to, errs)
			}
		}
	}
}

// workflow is the part of a workflow file the shape test reads.
type workflow struct {
	On          map[string]interface{} `json:"on"`
	Permissions map[string]string      `json:"permissions"`
	Env         map[string]string      `json:"env"`
	Jobs        map[string]struct {
		Needs       interface{}            `json:"needs"`
		If          string                 `json:"if"`
		Environment interface{}            `json:"environment"`
		Permissions map[string]string      `json:"permissions"`
		Concurrency map[string]interface{} `json:"concurrency"`
		Env         map[string]string      `json:"env"`
		Steps       []struct {
			ID   string            `json:"id"`
			Name string            `json:"name"`
			If   string            `json:"if"`
			Uses string            `json:"uses"`
			Run  string            `json:"run"`
			With map[string]string `json:"with"`
		} `json:"steps"`
	} `json:"jobs"`
}

// The security-relevant shape of the workflow: pinned actions, least permissions, the approval before prod, deploys
// of the synthesized assembly, and the report after a failed deploy.
func TestGitHubWorkflowShape(t *testing.T) {
	content, err := os.ReadFile(filepath.Join(workflowDir, "deploy.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	if err := yaml.Unmarshal(content, &w); err != nil {
		t.Fatal(err)
	}
	if len(w.Permissions) != 0 {
		t.Errorf("the workflow grants %v to every job; grant per job", w.Permissions)
	}
	if _, ok := w.On["pull_request_target"]; ok {
		t.Error("pull_request_target runs pull requests' code with the repository's permissions")
	}
	if w.Env["CDK_QUALIFIER"] != githubactions.DefaultQualifier {
		t.Errorf("CDK_QUALIFIER %q, want the default qualifier %q", w.Env["CDK_QUALIFIER"], githubactions.DefaultQualifier)
	}
	pinned := regexp.MustCompile(`^[\w.-]+/[\w.-]+@[0-9a-f]{40}$`)
	for _, name := range []string{"test", "synth", "deploy-dev", "deploy-prod"} {
		if _, ok := w.Jobs[name]; !ok {
			t.Fatalf("no job %s", name)
		}
	}
	stacks := map[string]string{"deploy-dev": "BlueGreenServiceDev", "deploy-prod": "BlueGreenServiceProd"}
	for name, job := range w.Jobs {
		_, deploys := stacks[name]
		if got := job.Permissions["id-token"]; (got == "write") != deploys {
			t.Errorf("%s: id-token %q; only the deploy jobs may ask for an OIDC token", name, got)
		}
		for p, v := range job.Permissions {
			if v != "read" && p != "id-token" {
				t.Errorf("%s: permission %s: %s, want read", name, p, v)
			}
		}
		for _, s := range job.Steps {
			if s.Uses != "" && !pinned.MatchString(s.Uses) {
				t.Errorf("%s: %s is not pinned to a full commit SHA", name, s.Uses)
			}
			if strings.HasPrefix(s.Uses, "actions/setup-node@") && s.With["node-version"] != "22" {
				t.Errorf("%s: Node.js %q, want 22", name, s.With["node-version"])
			}
			if strings.HasPrefix(s.Uses, "actions/setup-go@") && s.With["go-version-file"] != "go.mod" {
				t.Errorf("%s: Go from %q, want go.mod", name, s.With["go-version-file"])
			}
			if strings.Contains(s.Run, "${{") {
				t.Errorf("%s: step %q expands an expression inside its script; pass it through env", name, s.Name)
			}
		}
		if !deploys {
			continue
		}
		if job.Env["STACK"] != stacks[name] {
			t.Errorf("%s deploys %q, want %s", name, job.Env["STACK"], stacks[name])
		}
		if job.Concurrency["group"] != name || job.Concurrency["cancel-in-progress"] != false {
			t.Errorf("%s: concurrency %v, want its own group and no cancelling a deploy halfway", name, job.Concurrency)
		}
		var deploy, report, readOnly bool
		for _, s := range job.Steps {
			switch {
			case s.Name == "Deploy":
				deploy = s.Run == `./cdkw deploy "$STACK" --app cdk.out --exclusively --require-approval never`
			case strings.Contains(s.Run, "report-release.sh"):
				report = strings.HasPrefix(s.If, "failure()")
			case s.With["role-chaining"] == "true":
				readOnly = strings.Contains(s.With["role-to-assume"], "-lookup-role-") && strings.HasPrefix(s.If, "failure()")
			case strings.HasPrefix(s.Uses, "aws-actions/configure-aws-credentials@"):
				if s.With["role-to-assume"] == "" || s.With["aws-access-key-id"] != "" {
					t.Errorf("%s: credentials must come from the OIDC role, got %v", name, s.With)
				}
			}
		}
		if !deploy || !report || !readOnly {
			t.Errorf("%s: deploy of cdk.out %v, read-only credentials on failure %v, report on failure %v", name, deploy, readOnly, report)
		}
	}
	if env := fmt.Sprint(w.Jobs["deploy-prod"].Environment); env != "prod" {
		t.Errorf("deploy-prod must wait for the environment prod's reviewers, got environment %q", env)
	}
	if needs := fmt.Sprint(w.Jobs["deploy-prod"].Needs); needs != "deploy-dev" {
		t.Errorf("deploy-prod needs %v, want deploy-dev", needs)
	}
	if w.Jobs["deploy-dev"].Environment != nil {
		t.Error("deploy-dev references an environment: its token's subject would no longer name the branch the dev role trusts")
	}
}

// stubbed returns a PATH whose first folder holds the given scripts.
func stubbed(t *testing.T, scripts map[string]string) string {
	t.Helper()
	bin := t.TempDir()
	for name, script := range scripts {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return bin + string(os.PathListSeparator) + os.Getenv("PATH")
}

// The report the workflow prints after a failed deploy, run on the example's prod stack against a stub AWS CLI and
// a stub operator command: it finds the alias, function, CodeDeploy application and group from the cloud assembly
// and CloudFormation, runs the status command on them, and says why CodeDeploy rolled back.
func TestGitHubReportSaysWhyTheReleaseFailed(t *testing.T) {
	// Construct paths in the template's metadata, as the CDK CLI asks for them.
	app := testkit.NewAppWith(t, map[string]interface{}{"aws:cdk:enable-path-metadata": true})
	prod := service.NewStack(app, "BlueGreenServiceProd", &service.StackProps{Stage: "prod", CodeDir: testkit.HelloDir(t),
		Strategy: strategy.Canary10Percent5Minutes})
	tmpl := testkit.Template(t, prod.Stack)
	_, alias := testkit.OnlyResource(t, tmpl, "AWS::Lambda::Alias")
	update := alias["UpdatePolicy"].(map[string]interface{})["CodeDeployLambdaAliasUpdate"].(map[string]interface{})
	ref := func(v interface{}) string { return "phys-" + fmt.Sprint(v.(map[string]interface{})["Ref"]) }
	fn, appName, group := ref(testkit.Props(alias)["FunctionName"]), ref(update["ApplicationName"]), ref(update["DeploymentGroupName"])
	dir := *app.Synth(nil).Directory()

	releases := filepath.Join(t.TempDir(), "releases")
	if out, err := exec.Command("go", "build", "-o", releases, "../examples/github-actions/releases").CombinedOutput(); err != nil {
		t.Fatalf("building releases: %v\n%s", err, out)
	}
	// The stub aws answers the only AWS CLI call of the report, the stack's physical names: the report reads no
	// CodeDeploy answer itself. The stub bluegreen prints its arguments on standard error and answers status with
	// STATUS, a status document whose deployment is the bluegreen status -json shape (deployment.Summary).
	// d-7EXAMPLE was stopped on an alarm; d-8ROLLBACK is CodeDeploy's rollback of it.
	stubAWS := `#!/bin/sh
case "$1 $2" in
"cloudformation describe-stack-resource")
  [ -n "$NAMES_GONE" ] && { echo "An error occurred (ValidationError): Stack with id BlueGreenServiceProd does not exist" >&2; exit 254; }
  while [ $# -gt 0 ]; do [ "$1" = --logical-resource-id ] && echo "phys-$2"; shift; done ;;
*) echo "unexpected aws $*" >&2; exit 1 ;;
esac
`
	stubStatus := "#!/bin/sh\necho \"STATUS $*\" >&2\n[ -n \"$STATUS_FAILS\" ] && exit 1\nprintf '%s\\n' \"$STATUS\"\n"
	stopped := &deployment.Summary{ID: "d-7EXAMPLE", Status: "Stopped", Blue: "6", Green: "7", ErrorCode: "ALARM_ACTIVE",
		ErrorMessage: "One or more alarms have been activated according to the Amazon CloudWatch metrics you selected, " +
			"and the affected deployments have been stopped. Activated alarms: <ErrorRate-v7>",
		Alarms: []string{"ErrorRate-v7"}, RolledBackBy: "d-8ROLLBACK", RollbackMessage: "Deployment rolled back"}
	rollback := &deployment.Summary{ID: "d-8ROLLBACK", Status: "Succeeded", Creator: "codeDeployRollback", Rollback: true,
		RollbackOf: "d-7EXAMPLE", Blue: "7", Green: "6", Release: stopped}
	status := func(d *deployment.Summary) string {
		doc := map[string]interface{}{"function": fn, "alias": "live", "version": "6", "blueWeight": 1}
		if d != nil {
			doc["deployment"] = d
		}
		return testkit.JSONString(doc)
	}
	cases := []struct {
		name, status, namesGone, statusFails string
		code                                 int
		want, not                            []string
	}{
		{"CodeDeploy stopped it on an alarm", status(stopped), "", "", 0,
			[]string{
				"::group::BlueGreenServiceProd/Service/Alias",
				"STATUS status -json -function " + fn + " -alias live -application " + appName + " -group " + group,
				"CodeDeploy deployment d-7EXAMPLE: Stopped",
				"::error title=Blue/green release rolled back::BlueGreenServiceProd/Service/Alias (" + fn +
					":live): CodeDeploy deployment d-7EXAMPLE Stopped: ALARM_ACTIVE: One or more alarms have been activated",
				"Activated alarms: <ErrorRate-v7>. Deployment rolled back",
			}, nil},
		{"the newest deployment is CodeDeploy's rollback of the release", status(rollback), "", "", 0,
			[]string{
				"CodeDeploy deployment d-8ROLLBACK (Succeeded) rolls back deployment d-7EXAMPLE: reporting d-7EXAMPLE",
				"CodeDeploy deployment d-7EXAMPLE: Stopped",
				"::error title=Blue/green release rolled back::BlueGreenServiceProd/Service/Alias (" + fn +
					":live): CodeDeploy deployment d-7EXAMPLE Stopped: ALARM_ACTIVE",
			}, []string{"failed for another reason"}},
		{"the newest deployment succeeded", status(&deployment.Summary{ID: "d-6EXAMPLE", Status: "Succeeded"}), "", "", 0,
			[]string{"the newest CodeDeploy deployment is Succeeded; the deploy failed for another reason"},
			[]string{"::error"}},
		{"no deployment yet", status(nil), "", "", 0,
			[]string{"CodeDeploy has run no deployment for this alias"}, []string{"::error"}},
		{"the status could not be read", "", "", "yes", 1,
			[]string{"could not read the status of " + fn + ":live"}, []string{"::error"}},
		{"a failed first deploy left no resources", status(nil), "yes", "", 1,
			[]string{"could not read the names CloudFormation gave its function and CodeDeploy group"}, []string{"STATUS"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command("bash", filepath.Join(workflowDir, "report-release.sh"), "BlueGreenServiceProd", dir)
			cmd.Env = append(os.Environ(), "PATH="+stubbed(t, map[string]string{"aws": stubAWS, "bluegreen": stubStatus}),
				"BLUEGREEN=bluegreen", "RELEASES="+releases, "STATUS="+tc.status, "NAMES_GONE="+tc.namesGone,
				"STATUS_FAILS="+tc.statusFails)
			out, err := cmd.CombinedOutput()
			code := 0
			if exit, ok := err.(*exec.ExitError); ok {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("report lacks %q:\n%s", w, out)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(string(out), n) {
					t.Errorf("report has %q:\n%s", n, out)
				}
			}
		})
	}
	t.Run("a stack the assembly does not hold", func(t *testing.T) {
		cmd := exec.Command("bash", filepath.Join(workflowDir, "report-release.sh"), "Nope", dir)
		cmd.Env = append(os.Environ(), "RELEASES="+releases)
		out, err := cmd.CombinedOutput()
		if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 1 || !strings.Contains(string(out), `holds no stack "Nope"`) {
			t.Errorf("got %v:\n%s", err, out)
		}
	})
}
