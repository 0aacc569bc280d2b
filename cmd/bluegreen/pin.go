package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/internal/plan"
)

// The tags CloudFormation puts on the resources it creates: "In addition to any tags you define, CloudFormation
// automatically creates the following stack-level tags with the aws: prefix: aws:cloudformation:logical-id,
// aws:cloudformation:stack-id, aws:cloudformation:stack-name" (CloudFormation template reference, "Resource
// tagging"). The same page says their propagation "varies by resource type"; Lambda functions, which take Tags,
// are expected to carry them, and -deployment names the deployment when one does not. Lambda's ListTags returns a
// function's tags; it takes the function's ARN ("Lambda does not support adding tags to aliases or versions").
const (
	tagStackName = "aws:cloudformation:stack-name"
	tagLogicalID = "aws:cloudformation:logical-id"
)

// locateDeployment finds the deployment of fn:alias in the local cloud assembly: the stack CloudFormation tagged
// the function with and the function's logical id in it, or the construct path -deployment gives.
func locateDeployment(ctx context.Context, c clients, o rollbackOptions, a *lambda.GetAliasOutput) (plan.Deployment, error) {
	if err := checkAssembly(o.assembly); err != nil {
		return plan.Deployment{}, err
	}
	ds, err := plan.Read(o.assembly)
	if err != nil {
		return plan.Deployment{}, fmt.Errorf("%w (synthesize the deployed commit first, for example ./cdkw synth)", err)
	}
	var stack, logicalID string
	arn := strings.TrimSuffix(aws.ToString(a.AliasArn), ":"+o.alias) // the alias's ARN is the function's plus ":alias"
	tags, err := c.lambda.ListTags(ctx, &lambda.ListTagsInput{Resource: &arn})
	switch {
	case err != nil && o.deployment == "":
		return plan.Deployment{}, fmt.Errorf("ListTags %s: %w (or name the deployment with -deployment)", arn, err)
	case err == nil:
		stack, logicalID = tags.Tags[tagStackName], tags.Tags[tagLogicalID]
	}
	if o.deployment == "" && (stack == "" || logicalID == "") {
		return plan.Deployment{}, fmt.Errorf("%s carries no %s and %s tags: it was not created by CloudFormation; "+
			"name its deployment with -deployment (bluegreen plan lists them)", o.function, tagStackName, tagLogicalID)
	}
	var found []plan.Deployment
	for _, d := range ds {
		if (o.deployment != "" && d.Path == strings.Trim(o.deployment, "/")) ||
			(o.deployment == "" && d.StackName == stack && d.FunctionLogicalID == logicalID && d.Alias == o.alias) {
			found = append(found, d)
		}
	}
	switch {
	case len(found) == 0 && o.deployment != "":
		return plan.Deployment{}, fmt.Errorf("no deployment %s in the cloud assembly %s (bluegreen plan lists them)", o.deployment, o.assembly)
	case len(found) == 0:
		return plan.Deployment{}, fmt.Errorf("no deployment of alias %s of function %s (stack %s) in the cloud assembly %s: "+
			"synthesize the commit that is deployed, or name the deployment with -deployment", o.alias, logicalID, stack, o.assembly)
	case len(found) > 1:
		var paths []string
		for _, d := range found {
			paths = append(paths, d.Path)
		}
		return plan.Deployment{}, fmt.Errorf("several deployments match %s:%s (%s): name one with -deployment", o.function, o.alias, strings.Join(paths, ", "))
	}
	d := found[0]
	if d.Alias != o.alias {
		return plan.Deployment{}, fmt.Errorf("deployment %s shifts alias %s, not %s", d.Path, d.Alias, o.alias)
	}
	if stack != "" && (d.StackName != stack || d.FunctionLogicalID != logicalID) {
		return plan.Deployment{}, fmt.Errorf("deployment %s is function %s of stack %s in the cloud assembly, but %s is %s of stack %s",
			d.Path, d.FunctionLogicalID, d.StackName, o.function, logicalID, stack)
	}
	return d, nil
}

// pinCommand is the deploy that rolls d back to version: the stack alone (--exclusively: "Only deploy requested
// stacks, don't include dependencies", CDK CLI reference, cdk deploy) with the pin as context
// (bluegreen.PinContextKey, read by bluegreen.PinsFromContext). The CDK CLI selects stacks by their hierarchical
// id, the manifest's displayName or else the artifact id ("Prod/Service" inside a stage), and splits each -c at
// its first "=" only, so the value keeps "<path>=<version>" (CDK CLI 2.1148.1 source: toolkit-lib
// stack-assembly matcherFor, cli/user-configuration parseStringContextListToObject; the CLI reference documents
// neither).
func pinCommand(cdk []string, d plan.Deployment, version string) []string {
	cmd := append([]string{}, cdk...)
	return append(cmd, "deploy", "--exclusively", d.Stack, "-c", bluegreen.PinContextKey+"="+d.Path+"="+version)
}

var plainWord = regexp.MustCompile(`^[A-Za-z0-9_./:=,@+%-]+$`)

// shellLine quotes args for a POSIX shell, so the operator can copy the line.
func shellLine(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		if plainWord.MatchString(a) {
			quoted[i] = a
		} else {
			quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(quoted, " ")
}
