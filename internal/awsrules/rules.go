// Package awsrules is the table of the AWS rules the library's lifecycle model plays: each is documented (the AWS
// page and sentence) or an assumption (why it is believed, and what would show it wrong). The model
// (test/deployment/lifecycle_model_test.go) names the rule it applies in a comment ("rule:<id>"),
// docs/aws-rules.md carries the table, and the acceptance scenarios (internal/acceptance) name the rules each of
// their checks depends on, so that a run against a real account confirms or contradicts them.
package awsrules

import (
	"fmt"
	"strings"
)

// Kind says whether AWS documents a rule.
type Kind string

// The kinds of rule.
const (
	// Documented: an AWS page says it; Source quotes the sentence.
	Documented Kind = "documented"
	// Assumed: AWS documents nothing (or nothing readable here); Source says why it is believed and what would
	// show it wrong.
	Assumed Kind = "assumption"
)

// Rule is one rule of AWS behaviour the model plays.
type Rule struct {
	ID   string
	Kind Kind
	// Rule is what AWS does, as the model plays it.
	Rule string
	// Source is the AWS page and sentence for a documented rule; for an assumption, why it is believed and what
	// would show it wrong, and for an undocumented choice between behaviours, the variants the model replays.
	Source string
}

// All is the table, in the order docs/aws-rules.md lists it.
var All = []Rule{
	{"lambda-publish", Documented,
		"Lambda publishes no version when code and configuration are unchanged since the last one; CloudFormation's AWS::Lambda::Version then fails",
		`Lambda API Reference, PublishVersion: "Lambda doesn't publish a version if the function's configuration and code haven't changed since the last version"`},
	{"lambda-version-numbers", Assumed,
		"Lambda numbers versions in publishing order and never gives a number twice, so a deployment to a lower number is a return to an earlier release",
		`The Lambda Developer Guide said "Version numbers are never reused, even for a function that has been deleted and recreated" until 2019 and no longer says it. Shown wrong by a published version whose number is lower than one published before it`},
	{"lambda-delete-in-use", Documented,
		"Lambda refuses to delete a version an alias points at; it does not refuse one an event source mapping uses",
		`Lambda API Reference, DeleteFunction, Qualifier: "You can't delete a version that an alias references"`},
	{"lambda-delete-function", Documented,
		"Deleting the function (the stack) deletes every version and alias, whatever the versions' deletion policy",
		`Lambda API Reference, DeleteFunction: "To delete a specific function version, use the Qualifier parameter. Otherwise, all versions and aliases are deleted"`},
	{"lambda-metrics", Documented,
		"AWS/Lambda publishes Invocations only for minutes with invocations, stamped with the invocation time and up to minutes late; invoking a version directly is not traffic through the alias",
		`CloudWatch User Guide, AWS Lambda metrics: "AWS Lambda only sends these metrics to CloudWatch if they have a nonzero value"; Lambda Developer Guide, function metrics: "this can be several minutes before the metric is emitted"`},
	{"lambda-async", Documented,
		"An asynchronous invocation that fails or ages out goes to the on-failure destination; throttled events are retried up to the maximum event age",
		`Lambda Developer Guide, Asynchronous invocation: "attempts to run the function again for up to 6 hours"; destinations are "for asynchronous invocation"`},
	{"lambda-pc-alias", Documented,
		"Provisioned concurrency configured on the alias serves the version it points at and, while CodeDeploy's weights are on it, the versions it routes to; green's version has no configuration of its own; Lambda refuses any change of the alias's configuration while it has weights",
		`Lambda Developer Guide, Configuring provisioned concurrency: "If you change the version that an alias points to, Lambda deallocates the provisioned concurrency from the old version and allocates it to the new version", "you can't manage provisioned concurrency settings on the alias while the routing configuration is in place"; Lambda API Reference, ProvisionedConcurrencyConfigListItem, AllocatedProvisionedConcurrentExecutions: "When a weighted alias is used during linear and canary deployments, this value fluctuates depending on the amount of concurrency that is provisioned for the function versions"`},
	{"cfn-retain-except-on-create", Documented,
		"A version kept RetainExceptOnCreate is deleted when the operation that created it rolls back, and kept otherwise",
		`CloudFormation, DeletionPolicy attribute: "If the stack operation that created the resource is rolled back, CloudFormation deletes the resource"`},
	{"cfn-update-only-changed", Documented,
		"A stack update touches only the resources whose template differs; a custom resource is called only when its properties change",
		`CloudFormation, UpdateReplacePolicy attribute: "CloudFormation updates resources based on differences between what you submit and the stack's current template and parameters"`},
	{"cfn-dependency-order", Documented,
		"A resource is updated after the resources it depends on (the alias after its group, alarms, hooks and release gate)",
		`CloudFormation, DependsOn attribute: "Resource B is updated before resource A"`},
	{"cfn-alias-codedeploy", Documented,
		"A new FunctionVersion on an alias with CodeDeployLambdaAliasUpdate starts a CodeDeploy deployment; creating the alias (first deploy, a function added, a replaced alias) runs none",
		`CloudFormation, UpdatePolicy attribute: "CloudFormation performs an CodeDeploy deployment when the version changes on the alias"; update policies apply "during stack update operations"`},
	{"cfn-scalable-target-after-shift", Assumed,
		"CloudFormation updates the scalable target of the alias's provisioned concurrency (it depends on the alias) only once the alias's update, its whole CodeDeploy deployment with both hooks, has ended: during the shift the amount from before the deploy is in force, none on the deploy that first adds it",
		`DependsOn orders the target after the alias ("Resource B is updated before resource A"); that an alias update with CodeDeployLambdaAliasUpdate lasts until its deployment ends is what users see (cdk deploy waits for the shift), but AWS documents no point at which it completes, nor when an alias's own ProvisionedConcurrencyConfig would be applied relative to the deployment. Shown wrong by a new amount requested from Lambda before the deployment's BeforeAllowTraffic hook has reported`},
	{"cfn-custom-resource", Documented,
		"A FAILED answer of a custom resource fails the stack operation; the answer carries the reason",
		`CloudFormation, Custom resources: "If a FAILED response or no response is returned, the operation fails"; Custom resource response objects, Reason: "Required if Status is FAILED"`},
	{"cfn-custom-resource-in-rollback", Assumed,
		"A stack rollback calls a custom resource again with its previous properties (an Update) while DescribeStacks shows a ROLLBACK status, and a FAILED answer then leaves UPDATE_ROLLBACK_FAILED: the release gate never refuses while the stack rolls back",
		"User reports of rollbacks that call custom resources (github.com/PRX/Infrastructure issue 210); AWS documents neither. Shown wrong by a rollback whose gate call sees no ROLLBACK status"},
	{"cfn-gettemplate-after-rollback", Assumed,
		"After UPDATE_ROLLBACK_COMPLETE, GetTemplate returns the template the stack rolled back to, which bluegreen rollback and recover rewrite and read",
		"Measured on a real account by an emulator's maintainer (ministackorg/ministack issue 1601); GetTemplate documents the stages only. Shown wrong by a rollback template built from the failed update's template"},
	{"cfn-rollback", Documented,
		"A failed update rolls the stack back to the previous template; a rollback that fails leaves UPDATE_ROLLBACK_FAILED",
		`CloudFormation User Guide, stack status codes: UPDATE_ROLLBACK_IN_PROGRESS "Ongoing return of one or more stacks to the previous working state after failed stack update"`},
	{"cfn-continue-rollback", Documented,
		"ContinueUpdateRollback may skip only resources whose rollback failed; they are marked complete and must be made to agree with the template (bluegreen recover)",
		`CloudFormation API Reference, ContinueUpdateRollback, ResourcesToSkip: "the state of the skipped resources will be inconsistent with the state of the resources in the stack template"`},
	{"cfn-reverse-deployment", Assumed,
		"A stack rollback moves back every alias whose update had finished with a new CodeDeploy deployment (creator CloudFormationRollback) that uses the group's configuration",
		"User reports (aws/serverless-application-model 291, 351) and the CloudFormationRollback creator in CodeDeploy's API. Shown wrong by an alias that a stack rollback repoints without a deployment"},
	{"cfn-no-reverse-for-unfinished", Assumed,
		"A stack rollback starts no deployment for an alias whose own update failed or was cancelled: CodeDeploy already put it back",
		"A failed canary ends in UPDATE_ROLLBACK_COMPLETE, the outcome users of CodeDeploy with CloudFormation see. Shown wrong by a reverse deployment started for an alias whose deployment failed"},
	{"cfn-rollback-order", Assumed,
		"Undocumented: whether a stack rollback moves an alias back before or after it rolls back the alias's deployment group",
		"The model replays both orders; the design holds under both (the release guard also puts a reverse deployment's group in abort mode as it starts)"},
	{"cfn-cancelled-alias", Assumed,
		"Undocumented: whether cancelling an alias update (another resource failed) stops its CodeDeploy deployment",
		"The model replays both; the release guard stops the other releases itself either way"},
	{"codedeploy-appspec-current", Assumed,
		"CodeDeploy refuses a deployment when the alias serves another version than the AppSpec's CurrentVersion, which CloudFormation takes from the previous template (INVALID_LAMBDA_CONFIGURATION)",
		"Known from CodeDeploy's error text as users report it (aws/serverless-application-model 291). Shown wrong by a deployment that starts from an alias changed outside CloudFormation"},
	{"codedeploy-alarms", Documented,
		"An alarm in ALARM stops the deployment and it rolls back; with alarm monitoring off, no alarm is read",
		`CodeDeploy User Guide, Monitoring deployments with CloudWatch alarms: "If any of the specified alarms are activated, the deployment stops"; console: "Ignore alarm configuration"`},
	{"codedeploy-alarm-interval", Assumed,
		"CodeDeploy checks the alarms about once a minute while a deployment runs",
		"AWS documents no interval; reports put it near a minute. Shown wrong by a stop that comes much later than a minute after the alarm fired"},
	{"codedeploy-alarm-config-read", Assumed,
		"Undocumented: whether CodeDeploy reads a group's alarm configuration once when a deployment starts or at each check",
		"The model replays both; nothing documents whether UpdateDeploymentGroup affects a deployment in progress"},
	{"codedeploy-rollback", Documented,
		"A failed or stopped deployment with automatic rollback puts the alias back on the version it shifted from",
		`CodeDeploy User Guide, Redeploy and roll back: "the last known good version of an application revision is deployed"; StopDeployment autoRollbackEnabled`},
	{"codedeploy-hooks", Documented,
		"BeforeAllowTraffic runs before any traffic moves, AfterAllowTraffic after all of it; a hook that does not report within one hour fails the deployment",
		`CodeDeploy User Guide, AppSpec hooks for Lambda: "The deployment is considered to have failed if CodeDeploy is not notified by the Lambda validation function within one hour"`},
	{"codedeploy-hook-invocation", Assumed,
		"Undocumented: whether CodeDeploy invokes a hook synchronously or asynchronously",
		"The model replays both; a hook that dies is reported Failed by its on-failure destination (asynchronous) or its watchdog schedule (either)"},
	{"codedeploy-events", Documented,
		"CodeDeploy sends deployment state changes to EventBridge on a best-effort basis",
		`EventBridge events reference, CodeDeploy: "Delivery type: Best effort"`},
	{"codedeploy-event-states", Assumed,
		"A deployment's state-change events include START as it starts, and FAILURE and STOP as it ends badly",
		"The documented table of states was not readable here; the values come from aws-lambda-go's CodeDeploy event type. Shown wrong by a reverse deployment whose start never reaches the guard"},
	{"event-before-reverse", Assumed,
		"EventBridge delivers a failed deployment's event to the release guard before CloudFormation starts its first reverse deployment",
		"EventBridge delivers in seconds; CloudFormation polls CodeDeploy for the deployment's end. Shown wrong by a reverse deployment created before the guard's abort mode; then a firing alarm can stop it, and bluegreen recover continues the rollback"},
	{"cloudwatch-alarm-state", Documented,
		"An updated alarm keeps its state; a new alarm (a new name) starts without one",
		`CloudWatch API Reference, PutMetricAlarm: "When you update an existing alarm, its state is left unchanged"; a new alarm is "immediately set to INSUFFICIENT_DATA"`},
	{"aas-register-capacity", Documented,
		"Registering the alias's scalable target with a new range puts its provisioned concurrency inside that range",
		`Application Auto Scaling API Reference, RegisterScalableTarget: "Otherwise, it changes the resource's current capacity to a value that is inside of this range"`},
	{"scheduler-at", Assumed,
		"A one-time EventBridge Scheduler schedule invokes its target within a minute of its time",
		"at() schedules are documented; their precision with the flexible window OFF is not. Shown wrong by a watchdog that fires minutes late"},
	{"cdk-release-hash", Assumed,
		"The same commit synthesizes the same logical id for the function's current version, and any change of code or version-relevant configuration another",
		"aws-cdk-lib source (aws-lambda function-hash.ts), not AWS documentation; may change with an aws-cdk-lib upgrade, which would let a blocked release through once"},
}

// ByID returns the rule with the id, and whether there is one.
func ByID(id string) (Rule, bool) {
	for _, r := range All {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}

// Table renders the rules as the Markdown table docs/aws-rules.md carries.
func Table() string {
	var b strings.Builder
	b.WriteString("| Rule | Kind | What the model plays | Source, or why it is believed |\n| --- | --- | --- | --- |\n")
	for _, r := range All {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", r.ID, r.Kind, r.Rule, strings.ReplaceAll(r.Source, "|", "\\|"))
	}
	return b.String()
}
