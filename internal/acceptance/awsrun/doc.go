// Package awsrun plays the acceptance scenarios (package acceptance) on a real AWS account: Backend deploys the
// acceptance app (examples/acceptance) at each step's release through a Deployer, drives bounded traffic at each
// function's alias, and observes what AWS did (the stack, the alias, the versions, the notices, bluegreen watch's
// exit code, the time to detect a failing green); Run validates a configuration, refuses an account other than the
// one named, prints the plan with its expected duration and an upper bound on its cost, asks for confirmation, plays
// the scenarios, deletes every stack it created (after a failure or an interrupt too) and writes the report;
// Cleanup deletes the stacks a run left behind, and only those. Every AWS API is reached through a narrow interface
// (Clients), so that the tests run it on fakes.
package awsrun
