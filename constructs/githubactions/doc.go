// Package githubactions lets GitHub Actions workflows deploy CDK apps without stored AWS keys: it defines (or
// imports) the IAM OpenID Connect provider for GitHub's token issuer, and a deploy role that a workflow assumes
// with the job's OIDC token (sts:AssumeRoleWithWebIdentity).
//
// The role trusts exactly the subjects it is given, compared with StringEquals: one repository, and the
// branches (subject repo:OWNER/REPO:ref:refs/heads/BRANCH, for jobs without an environment) or GitHub
// environments (subject repo:OWNER/REPO:environment:NAME, for jobs that reference one) it names, with the
// audience sts.amazonaws.com. Wildcards are refused. Its only permission is sts:AssumeRole on the CDK bootstrap
// roles (deploy, file-publishing, image-publishing and lookup) of the target accounts and regions: what the role
// may change in AWS is what those roles may change, as for `cdk deploy` from a laptop. The deploy role passes the
// bootstrap's CloudFormation execution role, which `cdk bootstrap` gives AdministratorAccess unless
// --cloudformation-execution-policies names others: with the default, a workflow that may deploy may change
// anything in the account (this role included). Bootstrap with narrower execution policies, or a permissions
// boundary, where that is too much, and protect the workflow file and the environment that deploys to production.
//
// An account holds one IAM OIDC provider per issuer URL. Define it once per account (the first DeployRole does
// it when Provider is nil, or NewProvider), and give the others that provider, or ExistingProvider when the
// account already has one.
//
// A minimal use:
//
//	dev := githubactions.NewDeployRole(stack, "Dev", &githubactions.DeployRoleProps{
//		Repository: "my-org/my-service", Branches: []string{"main"},
//	})
//	githubactions.NewDeployRole(stack, "Prod", &githubactions.DeployRoleProps{
//		Repository: "my-org/my-service", Environments: []string{"prod"}, Provider: dev.Provider(),
//	})
package githubactions
