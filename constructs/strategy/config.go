package strategy

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// DeploymentConfig returns the CodeDeploy deployment configuration for s in the stack that holds scope.
//
// A predefined strategy returns CodeDeploy's predefined configuration and defines nothing. A custom strategy
// defines one AWS::CodeDeploy::DeploymentConfig per stack and strategy, as a direct child of the stack, and every
// later call for an equal strategy in that stack returns the same one: CodeDeploy allows 50 custom configurations per
// account, so functions that share a schedule share a configuration. Its construct id is derived from the schedule
// (for example "BlueGreenCanary7Percent5MinutesConfig"): a configuration cannot change in place, so a new schedule
// is a new resource by nature.
//
// The zero Strategy returns the configuration of Default(). DeploymentConfig panics, naming the path of scope, when
// s is invalid (see Validate).
func (s Strategy) DeploymentConfig(scope constructs.Construct) awscodedeploy.ILambdaDeploymentConfig {
	if s.IsZero() {
		s = Default()
	}
	if err := s.Validate(); err != nil {
		panic(fmt.Errorf("%s: invalid strategy: %w", *scope.Node().Path(), err))
	}
	if s.IsPredefined() {
		return predefinedConfig(s)
	}
	stack := awscdk.Stack_Of(scope)
	id := "BlueGreen" + s.String() + "Config"
	if existing := stack.Node().TryFindChild(jsii.String(id)); existing != nil {
		if cfg, ok := existing.(awscodedeploy.ILambdaDeploymentConfig); ok {
			return cfg
		}
		panic(fmt.Errorf("%s: construct id %q is taken by a construct that is not a deployment config",
			*stack.Node().Path(), id))
	}
	var routing awscodedeploy.TrafficRouting
	interval := awscdk.Duration_Minutes(jsii.Number(s.interval.Minutes()))
	if s.kind == KindCanary {
		routing = awscodedeploy.NewTimeBasedCanaryTrafficRouting(&awscodedeploy.TimeBasedCanaryTrafficRoutingProps{
			Interval: interval, Percentage: jsii.Number(s.percent),
		})
	} else {
		routing = awscodedeploy.NewTimeBasedLinearTrafficRouting(&awscodedeploy.TimeBasedLinearTrafficRoutingProps{
			Interval: interval, Percentage: jsii.Number(s.percent),
		})
	}
	return awscodedeploy.NewLambdaDeploymentConfig(stack, jsii.String(id), &awscodedeploy.LambdaDeploymentConfigProps{
		TrafficRouting: routing,
	})
}

func predefinedConfig(s Strategy) awscodedeploy.ILambdaDeploymentConfig {
	switch s {
	case AllAtOnce:
		return awscodedeploy.LambdaDeploymentConfig_ALL_AT_ONCE()
	case Canary10Percent5Minutes:
		return awscodedeploy.LambdaDeploymentConfig_CANARY_10PERCENT_5MINUTES()
	case Canary10Percent10Minutes:
		return awscodedeploy.LambdaDeploymentConfig_CANARY_10PERCENT_10MINUTES()
	case Canary10Percent15Minutes:
		return awscodedeploy.LambdaDeploymentConfig_CANARY_10PERCENT_15MINUTES()
	case Canary10Percent30Minutes:
		return awscodedeploy.LambdaDeploymentConfig_CANARY_10PERCENT_30MINUTES()
	case Linear10PercentEvery1Minute:
		return awscodedeploy.LambdaDeploymentConfig_LINEAR_10PERCENT_EVERY_1MINUTE()
	case Linear10PercentEvery2Minutes:
		return awscodedeploy.LambdaDeploymentConfig_LINEAR_10PERCENT_EVERY_2MINUTES()
	case Linear10PercentEvery3Minutes:
		return awscodedeploy.LambdaDeploymentConfig_LINEAR_10PERCENT_EVERY_3MINUTES()
	case Linear10PercentEvery10Minutes:
		return awscodedeploy.LambdaDeploymentConfig_LINEAR_10PERCENT_EVERY_10MINUTES()
	}
	panic(fmt.Errorf("strategy: %v is marked predefined but has no CodeDeploy configuration", s))
}
