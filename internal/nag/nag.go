// Package nag records in CloudFormation metadata why a resource the library defines has what cdk-nag flags, the
// way cdk-nag's NagSuppressions would, without depending on cdk-nag: users who run it see the reason, users who
// do not are unaffected.
package nag

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Rule is one cdk-nag rule to suppress on a resource, with the reason and, for granular rules, the findings it
// applies to (strings, or map[string]interface{}{"regex": "/…/"}).
type Rule struct {
	ID        string
	Reason    string
	AppliesTo []interface{}
}

// Explain adds rules to the cdk-nag metadata of the CloudFormation resource behind c (c itself when it is one,
// else its default child), keeping rules already there. It does nothing when there is no such resource.
func Explain(c constructs.IConstruct, rules ...Rule) {
	cfn, ok := c.(awscdk.CfnResource)
	if !ok {
		if cfn, ok = c.Node().DefaultChild().(awscdk.CfnResource); !ok {
			return
		}
	}
	var all []interface{}
	if existing, ok := cfn.GetMetadata(jsii.String("cdk_nag")).(map[string]interface{}); ok {
		if prior, ok := existing["rules_to_suppress"].([]interface{}); ok {
			all = append(all, prior...)
		}
	}
	seen := map[string]bool{}
	for _, r := range all {
		seen[fmt.Sprint(r)] = true
	}
	for _, r := range rules {
		rule := map[string]interface{}{"id": r.ID, "reason": r.Reason}
		if len(r.AppliesTo) > 0 {
			rule["applies_to"] = r.AppliesTo
		}
		if key := fmt.Sprint(rule); !seen[key] { // a resource shared by many constructs is explained once
			seen[key] = true
			all = append(all, rule)
		}
	}
	cfn.AddMetadata(jsii.String("cdk_nag"), map[string]interface{}{"rules_to_suppress": all})
}

// ExplainPolicy is Explain on the default policy of role (the policy CDK's grants write to), if it has one, and
// on the managed "OverflowPolicyN" policies CDK moves statements into when the role's inline policy grows past
// IAM's size limit (a role shared by many functions). CDK splits the policy in an aspect at synth, so the overflow
// policies are explained by an aspect that runs after it.
func ExplainPolicy(role constructs.IConstruct, rules ...Rule) {
	if policy := role.Node().TryFindChild(jsii.String("DefaultPolicy")); policy != nil {
		Explain(policy, rules...)
		awscdk.Aspects_Of(role).Add(&overflowAspect{rules: rules},
			&awscdk.AspectOptions{Priority: awscdk.AspectPriority_READONLY()})
	}
}

// overflowAspect explains the overflow policies of a role with its rules.
type overflowAspect struct{ rules []Rule }

func (a *overflowAspect) Visit(node constructs.IConstruct) {
	if strings.HasPrefix(*node.Node().Id(), "OverflowPolicy") {
		Explain(node, a.rules...)
	}
}

// GroupsOfAnApplication matches the findings "deploymentgroup:<application>/*": every deployment group of one
// CodeDeploy application, which the library grants instead of one ARN per group so that policies stay within IAM's
// size quotas however many functions a stack ships.
var GroupsOfAnApplication = map[string]interface{}{"regex": `/^Resource::arn:<AWS::Partition>:codedeploy:<AWS::Region>:<AWS::AccountId>:deploymentgroup:<[A-Za-z0-9]+>\/\*$/`}

// VersionsOfAFunction matches the findings "<Function.Arn>:*": the versions of one function.
var VersionsOfAFunction = map[string]interface{}{"regex": `/^Resource::<[A-Za-z0-9]+\.Arn>:\*$/`}
