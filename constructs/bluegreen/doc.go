// Package bluegreen holds Deployment, the construct that ships every change of a Lambda function blue/green
// through CodeDeploy.
//
// Blue is the published version the alias serves today; green is the version a change publishes. On cdk deploy,
// CloudFormation creates green and, instead of repointing the alias, asks CodeDeploy to shift the alias's traffic
// from blue to green with the deployment's strategy (package strategy). CodeDeploy rolls back to blue when the
// deployment fails, is stopped, or one of its alarms goes into ALARM.
//
// A minimal use:
//
//	d := bluegreen.NewDeployment(stack, "Api", &bluegreen.DeploymentProps{
//		FunctionProps: gobuild.FunctionProps("handlers/api", nil, nil),
//		Strategy:      strategy.Canary10Percent5Minutes,
//	})
//	d.GrantInvoke(caller)
package bluegreen
