package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/safeship/lambda-bluegreen/internal/deployment"
)

// The tags CloudFormation puts on the resources it creates: "In addition to any tags you define, CloudFormation
// automatically creates the following stack-level tags with the aws: prefix: aws:cloudformation:logical-id,
// aws:cloudformation:stack-id, aws:cloudformation:stack-name" (CloudFormation template reference, "Resource
// tagging"). The same page says their propagation "varies by resource type"; Lambda functions, which take Tags,
// are expected to carry them, and -stack names the stack when one does not. Lambda's ListTags returns a
// function's tags; it takes the function's ARN ("Lambda does not support adding tags to aliases or versions").
const (
	tagStackName = "aws:cloudformation:stack-name"
	tagLogicalID = "aws:cloudformation:logical-id"
)

// location is where CloudFormation defined a function.
type location struct {
	stack, logicalID string
	// functionARN is the function's unqualified ARN.
	functionARN string
	// resources are the stack's resources when they were read to find the function (nil otherwise).
	resources []cfntypes.StackResourceSummary
}

// functionARN is the function's unqualified ARN: the alias's ARN is the function's plus ":alias".
func functionARN(a *lambda.GetAliasOutput, alias string) string {
	return strings.TrimSuffix(aws.ToString(a.AliasArn), ":"+alias)
}

// locateFunction finds the stack of fn and the function's logical id in it: from the tags CloudFormation put on
// the function, or, when it carries none, in stack (the -stack flag): the resource of type AWS::Lambda::Function
// whose physical id, the function's name, is fn's.
func locateFunction(ctx context.Context, c clients, fn, alias, stack string, a *lambda.GetAliasOutput) (location, error) {
	loc := location{functionARN: functionARN(a, alias)}
	tags, err := c.lambda.ListTags(ctx, &lambda.ListTagsInput{Resource: &loc.functionARN})
	switch {
	case err != nil && stack == "":
		return loc, fmt.Errorf("ListTags %s: %w (or name the function's stack with -stack)", loc.functionARN, err)
	case err == nil:
		loc.stack, loc.logicalID = tags.Tags[tagStackName], tags.Tags[tagLogicalID]
	}
	if loc.stack != "" && loc.logicalID != "" {
		if stack != "" && stackName(stack) != loc.stack {
			return loc, fmt.Errorf("%s belongs to stack %s (its %s tag), not to -stack %s", fn, loc.stack, tagStackName, stack)
		}
		return loc, nil
	}
	if stack == "" {
		return loc, fmt.Errorf("%s carries no %s and %s tags: name its CloudFormation stack with -stack", fn, tagStackName, tagLogicalID)
	}
	loc.stack = stack
	if loc.resources, err = listResources(ctx, c, stack); err != nil {
		return loc, err
	}
	if loc.logicalID = logicalIDOf(loc.resources, typeFunction, deployment.FunctionName(fn)); loc.logicalID == "" {
		return loc, fmt.Errorf("stack %s has no %s named %s", stack, typeFunction, deployment.FunctionName(fn))
	}
	return loc, nil
}

// stackName is a stack's name, given its name or its ARN (arn:partition:cloudformation:region:account:stack/NAME/id).
func stackName(s string) string {
	if strings.HasPrefix(s, "arn:") {
		if parts := strings.Split(s, "/"); len(parts) >= 2 {
			return parts[1]
		}
	}
	return s
}

var plainWord = regexp.MustCompile(`^[A-Za-z0-9_./:=,@+%-]+$`)
