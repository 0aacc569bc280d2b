package pipeline

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/pipelines"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
)

// verifyStep checks, after the stage deployed, that each verified alias serves the version the stage deployed and
// nothing else. Stack outputs carry the names and the version to the step, which reads the alias with the AWS CLI.
// Its role may call lambda:GetAlias on the verified functions and aliases only, granted in their own stacks.
func verifyStep(scope constructs.Construct, stageName string, s Stage) pipelines.Step {
	role, roleName := verifyRole(scope, stageName)
	env := map[string]awscdk.CfnOutput{}
	static := map[string]*string{}
	var checks []string
	for i, d := range s.Verify {
		stack := awscdk.Stack_Of(d.Alias()) // a jsii object: jsii cannot pass the Go wrapper
		prefix := fmt.Sprintf("BG%d", i)
		output := func(name string, value *string) awscdk.CfnOutput {
			id := "BlueGreenVerify" + name + *d.Alias().Node().Addr()
			if existing, ok := stack.Node().TryFindChild(jsii.String(id)).(awscdk.CfnOutput); ok {
				return existing
			}
			return awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{Value: value})
		}
		env[prefix+"_FUNCTION"] = output("Function", d.Function().FunctionName())
		env[prefix+"_VERSION"] = output("Version", d.Alias().Version().Version()) // the version the stage deploys: the current one, or a pin
		static[prefix+"_ALIAS"] = d.Alias().AliasName()
		static[prefix+"_REGION"] = stack.Region()
		checks = append(checks, verifyCommand(prefix))
		grantGetAlias(stack, roleName, d)
	}
	return pipelines.NewCodeBuildStep(jsii.String("VerifyBlueGreen"+stageName), &pipelines.CodeBuildStepProps{
		EnvFromCfnOutputs: &env,
		Env:               &static,
		Commands:          jsii.Strings(checks...),
		Role:              role,
	})
}

// verifyRole defines the role of a stage's check, with a physical name: the names of the functions it reads are
// CloudFormation's to choose at deployment, so the pipeline's stack cannot name them, and a stage's stacks cannot
// refer to a resource of the pipeline's stack either (CDK refuses references across stages); the stacks of the stage
// grant the role by name instead (grantGetAlias). The name is the construct path made unique
// (Names.uniqueResourceName) and the pipeline's region, as role names are global to an account. A stage deployed
// to another region needs the pipeline stack's region set (CDK Pipelines requires it for cross-region actions);
// otherwise the region is the AWS::Region of each stack, the same one. The construct id carries the stage's
// construct id, as CDK Pipelines' own step ids do.
func verifyRole(scope constructs.Construct, stageName string) (awsiam.Role, string) {
	holder := constructs.NewConstruct(scope, jsii.String("Verify"+stageName))
	name := *awscdk.Names_UniqueResourceName(holder, &awscdk.UniqueResourceNameOptions{MaxLength: jsii.Number(48)}) +
		"-" + *awscdk.Stack_Of(scope).Region()
	role := awsiam.NewRole(holder, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("codebuild.amazonaws.com"), nil),
		RoleName:    jsii.String(name),
		Description: jsii.String("Runs the blue/green check of one pipeline stage"),
	})
	return role, name
}

// grantGetAlias lets the role named roleName call lambda:GetAlias on d's function and on its alias, with a policy in
// d's own stack, where both ARNs are known. GetAlias acts on the function: the Lambda developer guide's "Resources
// and conditions for Lambda actions" lists Function as its resource (not the alias ARN, function:NAME:ALIAS, which
// Invoke and AddPermission also accept), so the function's ARN is what allows the call; the alias's ARN is listed as
// well, so that the grant names exactly the alias the check reads. The stage deploys its stacks before the check runs.
func grantGetAlias(stack awscdk.Stack, roleName string, d bluegreen.Deployment) {
	policy, ok := stack.Node().TryFindChild(jsii.String("BlueGreenVerifyGetAlias")).(awsiam.Policy)
	if !ok {
		policy = awsiam.NewPolicy(stack, jsii.String("BlueGreenVerifyGetAlias"), &awsiam.PolicyProps{
			Roles: &[]awsiam.IRole{awsiam.Role_FromRoleName(stack, jsii.String("BlueGreenVerifyRole"), jsii.String(roleName), nil)},
		})
	}
	policy.AddStatements(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("lambda:GetAlias"),
		Resources: jsii.Strings(*d.Function().FunctionArn(), *d.Alias().FunctionArn()),
	}))
}

// verifyCommand is the buildspec command that checks one alias, whose function, alias, deployed version and region
// are in the environment variables <prefix>_FUNCTION, _ALIAS, _VERSION and _REGION. It stands alone: CodeBuild
// carries the working directory and environment variables from one buildspec command to the next, but not shell
// functions or other shell state (aws-cdk#26694; CodeBuild's "Shells and commands in build environments" documents
// no more), so a function defined in one command is "not found" in the next. It uses only POSIX sh, CodeBuild's
// default shell on Linux.
func verifyCommand(prefix string) string {
	v := func(name string) string { return `"$` + prefix + "_" + name + `"` }
	where := `$` + prefix + `_FUNCTION:$` + prefix + `_ALIAS`
	return `live=$(aws lambda get-alias --region ` + v("REGION") + ` --function-name ` + v("FUNCTION") +
		` --name ` + v("ALIAS") + " --query '[FunctionVersion, length(keys(RoutingConfig.AdditionalVersionWeights || `{}`))]' " +
		`--output text) || { echo "could not read alias ` + where + `"; exit 1; }; ` +
		`echo "blue/green ` + where + ` serves version and extra weights: $live (deployed version $` + prefix + `_VERSION)"; ` +
		`[ "$live" = "$(printf '%s\t0' ` + v("VERSION") + `)" ] || { echo "alias ` + where + ` does not serve version ` +
		`$` + prefix + `_VERSION alone: the blue/green deployment did not finish (CodeDeploy rolled it back or it is ` +
		`still shifting)"; exit 1; }`
}
