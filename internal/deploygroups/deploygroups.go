// Package deploygroups names the deployment groups of a CodeDeploy application the way the library's IAM
// policies grant them: one ARN pattern per application, whatever the number of its groups.
package deploygroups

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// ApplicationKey identifies a CodeDeploy application: its construct path, or its name for one CDK cannot place.
func ApplicationKey(app awscodedeploy.ILambdaApplication) string {
	if c, ok := app.(constructs.IConstruct); ok && c.Node() != nil {
		return *c.Node().Path()
	}
	return *app.ApplicationName()
}

// Pattern is the ARN pattern of every deployment group of the application named name:
// "deploymentgroup:<application>/*". The CodeDeploy actions on deployments and groups take the deployment group's
// ARN, arn:<partition>:codedeploy:<region>:<account>:deploymentgroup:<application>/<group> (Service Authorization
// Reference, CodeDeploy, resource type deploymentgroup). One entry serves every group of the application, where
// one ARN per group (195 to 230 characters resolved) would outgrow IAM's policy quotas at a few dozen groups.
func Pattern(name *string) *string {
	return jsii.String(fmt.Sprintf("arn:%s:codedeploy:%s:%s:deploymentgroup:%s/*", *awscdk.Aws_PARTITION(),
		*awscdk.Aws_REGION(), *awscdk.Aws_ACCOUNT_ID(), *name))
}
