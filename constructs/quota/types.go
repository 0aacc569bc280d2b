package quota

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapplicationautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
)

// typeOf returns the CloudFormation type of c from its Go type, without a call into the CDK (jsii hands Go a
// resource as a value of its own class when this program links that class's package, as this one does for every
// type listed), or "" for another type.
func typeOf(c awscdk.CfnResource) string {
	switch c.(type) {
	case awscloudwatch.CfnAlarm:
		return "AWS::CloudWatch::Alarm"
	case awscloudwatch.CfnDashboard:
		return "AWS::CloudWatch::Dashboard"
	case awslambda.CfnFunction:
		return "AWS::Lambda::Function"
	case awslambda.CfnVersion:
		return "AWS::Lambda::Version"
	case awslambda.CfnAlias:
		return "AWS::Lambda::Alias"
	case awslambda.CfnPermission:
		return "AWS::Lambda::Permission"
	case awslambda.CfnEventInvokeConfig:
		return "AWS::Lambda::EventInvokeConfig"
	case awsiam.CfnRole:
		return "AWS::IAM::Role"
	case awsiam.CfnPolicy:
		return "AWS::IAM::Policy"
	case awsiam.CfnManagedPolicy:
		return "AWS::IAM::ManagedPolicy"
	case awscodedeploy.CfnDeploymentGroup:
		return "AWS::CodeDeploy::DeploymentGroup"
	case awscodedeploy.CfnApplication:
		return "AWS::CodeDeploy::Application"
	case awslogs.CfnLogGroup:
		return "AWS::Logs::LogGroup"
	case awsevents.CfnRule:
		return "AWS::Events::Rule"
	case awssns.CfnTopic:
		return "AWS::SNS::Topic"
	case awssns.CfnTopicPolicy:
		return "AWS::SNS::TopicPolicy"
	case awskms.CfnKey:
		return "AWS::KMS::Key"
	case awsapplicationautoscaling.CfnScalableTarget:
		return "AWS::ApplicationAutoScaling::ScalableTarget"
	}
	return ""
}
