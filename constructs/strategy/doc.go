// Package strategy holds the ways CodeDeploy can shift a Lambda alias from blue (the version it serves today) to
// green (the new version): all at once, canary, or linear.
//
// Use a predefined strategy (Canary10Percent5Minutes, Linear10PercentEvery1Minute, AllAtOnce, …) or build a custom
// one with Canary(percent, interval) or Linear(percent, interval). A Strategy is a plain value: it is validated
// (Validate) when a construct uses it, and DeploymentConfig turns it into the CodeDeploy deployment configuration,
// sharing one custom configuration per stack between all the functions that use the same schedule.
package strategy
