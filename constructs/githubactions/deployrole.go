package githubactions

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// GitHub's OpenID Connect issuer and the audience of its tokens for AWS.
const (
	// Issuer is the URL of GitHub Actions' OIDC token issuer, the URL of the IAM provider ("For the provider URL:
	// Use https://token.actions.githubusercontent.com", GitHub, "Configuring OpenID Connect in Amazon Web Services").
	Issuer = "https://token.actions.githubusercontent.com"
	// Audience is the audience aws-actions/configure-aws-credentials requests by default (its input audience),
	// the provider's client id and the role's aud condition.
	Audience = "sts.amazonaws.com"
	// DefaultQualifier is the qualifier of `cdk bootstrap` without --qualifier.
	DefaultQualifier = "hnb659fds"
)

// Condition keys of GitHub's tokens in a trust policy: the issuer's host and path followed by the claim.
const (
	audKey = "token.actions.githubusercontent.com:aud"
	subKey = "token.actions.githubusercontent.com:sub"
)

// BootstrapRoleKinds are the roles of the CDK bootstrap stack that `cdk deploy` assumes, in the order the role's
// policy lists them: deploy (CloudFormation), file-publishing (S3 assets), image-publishing (ECR assets) and lookup
// (context lookups; read-only, kms:Decrypt denied).
var BootstrapRoleKinds = []string{"deploy", "file-publishing", "image-publishing", "lookup"}

// DeployRoleProps configure a DeployRole.
type DeployRoleProps struct {
	// Repository is the one GitHub repository whose workflows may assume the role, as "owner/name", spelt as GitHub
	// spells it: IAM compares the subject claim case-sensitively. Required.
	Repository string

	// Branches lets jobs that reference no GitHub environment assume the role when the workflow runs on one of
	// these branches (subject repo:OWNER/REPO:ref:refs/heads/BRANCH). A job that references an environment, or runs
	// for a pull request, has another subject and is refused. Give branch names ("main"), not refs.
	//
	// Default: no branch; Environments must then name at least one environment.
	Branches []string

	// Environments lets jobs that reference one of these GitHub environments assume the role (subject
	// repo:OWNER/REPO:environment:NAME), from any branch the environment's deployment branch rules allow: protect
	// the environment (required reviewers, deployment branches) in the repository's settings.
	//
	// Default: no environment; Branches must then name at least one branch.
	Environments []string

	// Provider is the account's IAM OIDC provider for GitHub (NewProvider, ExistingProvider, or another
	// DeployRole's Provider()). An account holds one provider per issuer URL.
	//
	// Default: a new provider is defined in this construct (construct id "Provider"), for the first role of an
	// account that has none.
	Provider awsiam.IOidcProvider

	// Qualifier is the qualifier the target environments were bootstrapped with (cdk bootstrap --qualifier).
	//
	// Default: DefaultQualifier.
	Qualifier *string

	// Accounts are the AWS accounts whose bootstrap roles the role may assume. An account other than the role's
	// must have been bootstrapped trusting it (cdk bootstrap --trust ROLE_ACCOUNT).
	//
	// Default: the stack's account.
	Accounts []string

	// Regions are the regions whose bootstrap roles the role may assume, in every account of Accounts.
	//
	// Default: the stack's region.
	Regions []string

	// MaxSessionDuration is the longest session the role grants (1 to 12 hours). A deploy that outlasts its
	// session fails while CloudFormation carries on; raise it, and configure-aws-credentials' role-duration-seconds,
	// for releases that take longer than an hour.
	//
	// Default: 1 hour.
	MaxSessionDuration time.Duration

	// Description is the role's description.
	//
	// Default: names the repository and the subjects it trusts.
	Description *string
}

// DeployRole is an IAM role that GitHub Actions jobs of one repository, on the branches or in the environments it
// names, assume with their OIDC token to run `cdk deploy`; it may only assume the CDK bootstrap roles.
type DeployRole interface {
	constructs.Construct
	// Role returns the role. Its ARN is what a workflow gives configure-aws-credentials as role-to-assume. Grants
	// to it widen what a workflow may do: the construct's own policy only allows assuming the bootstrap roles.
	Role() awsiam.Role
	// Policy returns the role's policy: sts:AssumeRole on the bootstrap roles, nothing else.
	Policy() awsiam.Policy
	// Provider returns the IAM OIDC provider the role trusts: DeployRoleProps.Provider, or the one the construct
	// defined.
	Provider() awsiam.IOidcProvider
	// DefinedProvider returns the provider the construct defined, or nil when DeployRoleProps.Provider was given.
	DefinedProvider() awsiam.OidcProviderNative
	// Subjects returns the subject claims the role trusts, branches first.
	Subjects() []string
	// BootstrapRoleArns returns the ARNs of the roles the role may assume (tokens for an environment-agnostic stack).
	BootstrapRoleArns() []string
}

type deployRole struct {
	constructs.Construct
	role      awsiam.Role
	policy    awsiam.Policy
	provider  awsiam.IOidcProvider
	defined   awsiam.OidcProviderNative
	subjects  []string
	resources []string
}

func (d *deployRole) Role() awsiam.Role                          { return d.role }
func (d *deployRole) Policy() awsiam.Policy                      { return d.policy }
func (d *deployRole) Provider() awsiam.IOidcProvider             { return d.provider }
func (d *deployRole) DefinedProvider() awsiam.OidcProviderNative { return d.defined }
func (d *deployRole) Subjects() []string                         { return append([]string(nil), d.subjects...) }
func (d *deployRole) BootstrapRoleArns() []string                { return append([]string(nil), d.resources...) }

// BranchSubject is the subject claim of a job of repository (owner/name) that runs on branch and references no
// environment.
func BranchSubject(repository, branch string) string {
	return "repo:" + repository + ":ref:refs/heads/" + branch
}

// EnvironmentSubject is the subject claim of a job of repository (owner/name) that references environment.
func EnvironmentSubject(repository, environment string) string {
	return "repo:" + repository + ":environment:" + environment
}

// NewProvider defines the IAM OIDC provider for GitHub Actions (URL Issuer, client id Audience) with the native
// AWS::IAM::OIDCProvider resource, no custom resource, and no thumbprint: IAM secures GitHub's provider with its
// library of trusted root certificate authorities, not with thumbprints (IAM API reference,
// UpdateOpenIDConnectProviderThumbprint). An account holds one provider per URL: define it once per account.
func NewProvider(scope constructs.Construct, id string) awsiam.OidcProviderNative {
	return awsiam.NewOidcProviderNative(scope, jsii.String(id), &awsiam.OidcProviderNativeProps{
		Url:       jsii.String(Issuer),
		ClientIds: jsii.Strings(Audience),
	})
}

// ExistingProvider refers to the GitHub Actions provider the stack's account already has, by the ARN IAM gives
// it: arn:PARTITION:iam::ACCOUNT:oidc-provider/token.actions.githubusercontent.com.
func ExistingProvider(scope constructs.Construct, id string) awsiam.IOidcProvider {
	stack := awscdk.Stack_Of(scope)
	arn := "arn:" + *stack.Partition() + ":iam::" + *stack.Account() + ":oidc-provider/" +
		strings.TrimPrefix(Issuer, "https://")
	return awsiam.OidcProviderNative_FromOidcProviderArn(scope, jsii.String(id), jsii.String(arn))
}

// NewDeployRole defines the deploy role (construct id "Role") with its policy ("BootstrapRoles"), and the OIDC
// provider ("Provider") when props.Provider is nil. The trust policy allows sts:AssumeRoleWithWebIdentity from the
// provider when the token's aud is Audience and its sub equals one of Subjects(); the policy allows sts:AssumeRole
// on BootstrapRoleArns() only. It panics, naming the construct path, with every problem in props; nothing is
// defined then.
func NewDeployRole(scope constructs.Construct, id string, props *DeployRoleProps) DeployRole {
	p := DeployRoleProps{}
	if props != nil {
		p = *props
	}
	if err := p.validate(); err != nil {
		panic(fmt.Errorf("%s/%s: invalid githubactions.DeployRoleProps: %w", *scope.Node().Path(), id, err))
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	stack := awscdk.Stack_Of(c)
	d := &deployRole{Construct: c, provider: p.Provider}
	if d.provider == nil {
		d.defined = NewProvider(c, "Provider")
		d.provider = d.defined
	}
	for _, b := range p.Branches {
		d.subjects = append(d.subjects, BranchSubject(p.Repository, b))
	}
	for _, e := range p.Environments {
		d.subjects = append(d.subjects, EnvironmentSubject(p.Repository, e))
	}
	// One value is written as a string, several as a list: IAM compares a key with a list of values with a logical
	// OR, so each subject alone matches.
	var sub interface{} = d.subjects[0]
	if len(d.subjects) > 1 {
		sub = d.subjects
	}
	principal := awsiam.NewOpenIdConnectPrincipal(d.provider, &map[string]interface{}{
		"StringEquals": map[string]interface{}{audKey: Audience, subKey: sub},
	})
	duration := cmp.Or(p.MaxSessionDuration, time.Hour)
	description := "GitHub Actions deploys of " + p.Repository + " (" + strings.Join(d.subjects, ", ") +
		") through the CDK bootstrap roles"
	if len(description) > maxDescription {
		description = description[:maxDescription]
	}
	if p.Description != nil {
		description = *p.Description
	}
	d.role = awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:          principal,
		MaxSessionDuration: awscdk.Duration_Seconds(jsii.Number(duration.Seconds())),
		Description:        jsii.String(description),
	})
	qualifier := DefaultQualifier
	if p.Qualifier != nil {
		qualifier = *p.Qualifier
	}
	accounts, regions := p.Accounts, p.Regions
	if len(accounts) == 0 {
		accounts = []string{*stack.Account()}
	}
	if len(regions) == 0 {
		regions = []string{*stack.Region()}
	}
	for _, account := range accounts {
		for _, region := range regions {
			for _, kind := range BootstrapRoleKinds {
				d.resources = append(d.resources, BootstrapRoleArn(*stack.Partition(), account, region, qualifier, kind))
			}
		}
	}
	d.policy = awsiam.NewPolicy(c, jsii.String("BootstrapRoles"), &awsiam.PolicyProps{
		Roles: &[]awsiam.IRole{d.role},
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("sts:AssumeRole"),
			Resources: jsii.Strings(d.resources...),
		})},
	})
	return d
}

// BootstrapRoleArn is the ARN of the bootstrap role of kind (one of BootstrapRoleKinds) that `cdk bootstrap
// --qualifier qualifier` defines in account and region: cdk-QUALIFIER-KIND-role-ACCOUNT-REGION.
func BootstrapRoleArn(partition, account, region, qualifier, kind string) string {
	return "arn:" + partition + ":iam::" + account + ":role/cdk-" + qualifier + "-" + kind + "-role-" + account + "-" + region
}
