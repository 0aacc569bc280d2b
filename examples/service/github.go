package service

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/githubactions"
)

// GitHubAccessStackName is the stack that lets the example's GitHub Actions workflow
// (examples/github-actions/deploy.yml) deploy: an OIDC provider and two deploy roles.
const GitHubAccessStackName = "BlueGreenGitHubAccess"

// Context keys of the GitHub access stack. The repository and branch are the pipeline's keys (ContextRepository,
// ContextBranch): the same repository delivers either way.
const (
	// ContextGitHubEnvironment names the GitHub environment whose jobs may assume the prod role (the workflow's
	// deploy-prod job references it; give it required reviewers).
	ContextGitHubEnvironment = "lambda-bluegreen:githubEnvironment"
	// ContextGitHubProvider, set to "existing", uses the account's GitHub OIDC provider instead of defining one (an
	// account holds one provider per URL).
	ContextGitHubProvider = "lambda-bluegreen:githubProvider"
)

// GitHubAccess is the stack of the workflow's deploy roles.
type GitHubAccess struct {
	awscdk.Stack
	// Dev may be assumed by jobs on the branch that reference no environment (the workflow's deploy-dev job).
	Dev githubactions.DeployRole
	// Prod may be assumed by jobs that reference the GitHub environment (the workflow's deploy-prod job).
	Prod githubactions.DeployRole
}

// NewGitHubAccess defines BlueGreenGitHubAccess: the GitHub OIDC provider (or the account's existing one) and the
// workflow's two deploy roles, whose ARNs are the stack's outputs DevDeployRoleArn and ProdDeployRoleArn. It
// synthesizes offline with the pipeline's placeholder repository, the branch main and the environment prod.
func NewGitHubAccess(app awscdk.App, env *awscdk.Environment) *GitHubAccess {
	stack := awscdk.NewStack(app, jsii.String(GitHubAccessStackName), &awscdk.StackProps{
		Env:         env,
		Description: jsii.String("Lets the example's GitHub Actions workflow deploy through the CDK bootstrap roles"),
	})
	repository := context(app, ContextRepository, placeholderRepository)
	var provider awsiam.IOidcProvider
	if context(app, ContextGitHubProvider, "") == "existing" {
		provider = githubactions.ExistingProvider(stack, "GitHubProvider")
	}
	dev := githubactions.NewDeployRole(stack, "Dev", &githubactions.DeployRoleProps{
		Repository: repository,
		Branches:   []string{context(app, ContextBranch, "main")},
		Provider:   provider,
	})
	prod := githubactions.NewDeployRole(stack, "Prod", &githubactions.DeployRoleProps{
		Repository:   repository,
		Environments: []string{context(app, ContextGitHubEnvironment, "prod")},
		Provider:     dev.Provider(),
	})
	output := func(id string, role githubactions.DeployRole) {
		awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{
			Value:       role.Role().RoleArn(),
			Description: jsii.String("role-to-assume of the workflow's jobs whose token has the subject " + role.Subjects()[0]),
		})
	}
	output("DevDeployRoleArn", dev)
	output("ProdDeployRoleArn", prod)
	return &GitHubAccess{Stack: stack, Dev: dev, Prod: prod}
}
