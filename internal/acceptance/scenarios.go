package acceptance

import "time"

// The rules most checks rest on, by what they check.
var (
	// rulesRelease: a new version on the alias runs a CodeDeploy deployment that shifts traffic to it.
	rulesRelease = []string{"cfn-alias-codedeploy", "cfn-dependency-order"}
	// rulesAlarmRollback: an alarm in ALARM stops the deployment and CodeDeploy puts the alias back on blue.
	rulesAlarmRollback = []string{"codedeploy-alarms", "codedeploy-rollback"}
	// rulesStackRollback: the failed update rolls the stack back, deleting the version it created.
	rulesStackRollback = []string{"cfn-rollback", "cfn-no-reverse-for-unfinished"}
	// rulesNotify: CodeDeploy sends its state changes to EventBridge, where the notify construct hears them.
	rulesNotify = []string{"codedeploy-events", "codedeploy-event-states"}
	// rulesDetection: green's errors reach CloudWatch within minutes and CodeDeploy reads the alarms each minute.
	rulesDetection = []string{"lambda-metrics", "codedeploy-alarm-interval", "codedeploy-alarms"}
)

// canary is a release of one function through the default canary (Canary10Percent5Minutes).
func canary(commit string) Release { return Release{Commit: commit} }

// tested is canary with pre-traffic tests.
func tested(commit string) Release { r := canary(commit); r.PreTraffic = true; return r }

// business is canary with the business alarm.
func business(commit string) Release { r := canary(commit); r.Business = true; return r }

// failing is r made a bad release that fails in mode m.
func failing(r Release, m FailMode) Release { r.Fail = m; return r }

// deploy is a step that deploys r with faults.
func deploy(r Release, faults []Fault, expect ...Check) Step {
	return Step{Action: Deploy, Release: r, Faults: faults, Expect: expect}
}

// Scenarios are the release scenarios, in the order they run. Each starts from nothing deployed; version numbers
// are those Lambda gives a new function (1, 2… in publishing order, rule lambda-version-numbers).
var Scenarios = []Scenario{
	{
		Name:  "first-deploy",
		Title: "The first deploy creates the alias on version 1 and runs no CodeDeploy deployment",
		Steps: []Step{
			deploy(canary("c1"), nil,
				outcome(OutcomeComplete), stack("CREATE_COMPLETE"),
				alias(Api, "1", "cfn-alias-codedeploy"), versions(Api, "1"),
				notified("none", "cfn-alias-codedeploy"), watchExit(Api, "none", "cfn-alias-codedeploy")),
			deploy(canary("c1"), nil,
				outcome(OutcomeComplete), alias(Api, "1"),
				versions(Api, "1", "lambda-publish", "cfn-update-only-changed", "cdk-release-hash"),
				notified("none", "cfn-update-only-changed")),
		},
	},
	{
		Name:  "canary-succeeds",
		Title: "New code ships through the canary; blue is kept for the next rollback",
		Steps: []Step{
			deploy(canary("c1"), nil, outcome(OutcomeComplete)),
			deploy(canary("c2"), nil,
				outcome(OutcomeComplete), stack("UPDATE_COMPLETE"),
				alias(Api, "2", rulesRelease...), versions(Api, "1,2", "cdk-release-hash"),
				notified("started,succeeded", rulesNotify...), watchExit(Api, "0"),
				within(12*time.Minute, "codedeploy-hooks")),
		},
	},
	{
		Name:  "error-burst-rolls-back-then-rerun",
		Title: "An error burst in green during the canary rolls back automatically; the same commit, run again, ships",
		Steps: []Step{
			deploy(canary("c1"), nil, outcome(OutcomeComplete)),
			deploy(canary("c2"), []Fault{{Kind: ErrorBurst}},
				outcome(OutcomeRolledBack, rulesStackRollback...), stack("UPDATE_ROLLBACK_COMPLETE", "cfn-rollback"),
				alias(Api, "1", rulesAlarmRollback...),
				versions(Api, "1", "cfn-retain-except-on-create"),
				notified("started,STOPPED", rulesNotify...), watchExit(Api, "1"),
				detectedWithin(5*time.Minute, rulesDetection...)),
			deploy(canary("c2"), nil,
				outcome(OutcomeComplete), alias(Api, "3", "lambda-version-numbers"),
				versions(Api, "1,3", "cfn-retain-except-on-create"), notified("started,succeeded"), watchExit(Api, "0")),
		},
	},
	{
		Name:  "pre-traffic-test-fails",
		Title: "A release whose code fails its pre-traffic tests never takes traffic; the fixed commit ships",
		Steps: []Step{
			deploy(tested("c1"), nil, outcome(OutcomeComplete)),
			// A crash keeps the scenario's meaning: the version fails every invocation of its pre-traffic test (a
			// Runtime.ExitError), and on a real account the hook's malformed-event probe, which tells a crash from a
			// handled error, fails too; the model plays the test's failure alone.
			deploy(failing(tested("c2"), FailCrash), nil,
				outcome(OutcomeRolledBack, rulesStackRollback...), errorSays("BeforeAllowTraffic", "codedeploy-hooks"),
				alias(Api, "1", "codedeploy-hooks", "codedeploy-rollback"),
				versions(Api, "1", "cfn-retain-except-on-create"),
				notified("started,FAILED", rulesNotify...), watchExit(Api, "1"),
				within(8*time.Minute, "codedeploy-hooks")),
			deploy(tested("c3"), nil,
				outcome(OutcomeComplete), alias(Api, "3"), versions(Api, "1,3"), notified("started,succeeded")),
		},
	},
	{
		Name:  "hook-crashes",
		Title: "A pre-traffic hook that dies without reporting fails the deployment within minutes, not CodeDeploy's hour",
		ModelOnly: "the library's hook cannot be made to die from outside without changing its code; the failure " +
			"reporter and watchdog it depends on are tested in constructs/hooks/runner",
		Steps: []Step{
			deploy(tested("c1"), nil, outcome(OutcomeComplete)),
			deploy(tested("c2"), []Fault{{Kind: HookCrash}},
				outcome(OutcomeRolledBack, "codedeploy-hooks"), alias(Api, "1", "codedeploy-rollback"),
				versions(Api, "1", "cfn-retain-except-on-create"), notified("started,FAILED", rulesNotify...),
				watchExit(Api, "1"),
				within(7*time.Minute, "codedeploy-hook-invocation", "lambda-async", "scheduler-at")),
		},
	},
	{
		Name: "rollback-by-hand-while-the-alarm-fires",
		Title: "A finished release is rolled back by hand in one step while its alarm fires; the same commit is then " +
			"refused, the next fix ships through its canary, and the release ships once unblocked",
		Steps: []Step{
			deploy(business("c1"), nil, outcome(OutcomeComplete)),
			deploy(business("c2"), nil, outcome(OutcomeComplete), alias(Api, "2")),
			{Action: RollbackByHand, Function: Api, Faults: []Fault{{Kind: BusinessAlarm}},
				Expect: []Check{outcome(OutcomeComplete, "cfn-gettemplate-after-rollback"), stack("UPDATE_COMPLETE"),
					alias(Api, "1", "codedeploy-alarms", "cfn-alias-codedeploy"),
					versions(Api, "1,2", "lambda-delete-in-use"),
					// bluegreen rollback updates the stack: CloudFormation creates the deployment back to version 1, so
					// CodeDeploy marks it no rollback (creator CloudFormation, no rollbackInfo): the notices are a
					// release's, and watch follows a deployment that succeeded (deployment.Finish).
					notified("started,succeeded", append([]string{"cfn-alias-codedeploy"}, rulesNotify...)...),
					watchExit(Api, "0", "cfn-alias-codedeploy"),
					within(4*time.Minute, "codedeploy-alarms")}},
			deploy(business("c2"), nil,
				outcome(OutcomeRolledBack, "cfn-custom-resource"),
				// The release gate's refusal (block.Refusal) names the function by its physical name, which
				// CloudFormation generates on a real account: the check holds for any name.
				errorSays("is blocked from taking traffic again", "cdk-release-hash", "cfn-custom-resource"),
				errorSays("bluegreen unblock -function ", "cdk-release-hash", "cfn-custom-resource"),
				alias(Api, "1"), versions(Api, "1,2"), notified("none"), watchExit(Api, "none")),
			deploy(business("c3"), []Fault{{Kind: ClearBusinessAlarm}},
				outcome(OutcomeComplete), alias(Api, "3"), versions(Api, "1,2,3", "cfn-retain-except-on-create"),
				notified("started,succeeded"), watchExit(Api, "0")),
			{Action: Unblock, Function: Api, Expect: []Check{outcome(OutcomeComplete)}},
			deploy(business("c2"), nil, outcome(OutcomeComplete), alias(Api, "4", "lambda-publish")),
		},
	},
	{
		Name: "emergency-bypass-then-normal-deploy",
		Title: "The emergency bypass ships all at once past a firing alarm; the next normal deploy has its alarms " +
			"back and ships once the alarm clears",
		Steps: []Step{
			deploy(business("c1"), nil, outcome(OutcomeComplete)),
			deploy(func() Release { r := business("c2"); r.Bypass = true; return r }(), []Fault{{Kind: BusinessAlarm}},
				outcome(OutcomeComplete), alias(Api, "2", "codedeploy-alarms"), notified("started,succeeded"),
				watchExit(Api, "0")),
			deploy(business("c3"), nil,
				outcome(OutcomeRolledBack, "codedeploy-alarms"), alias(Api, "2", "codedeploy-rollback"),
				versions(Api, "1,2", "cfn-retain-except-on-create"), notified("started,STOPPED"),
				watchExit(Api, "1")),
			deploy(business("c3"), []Fault{{Kind: ClearBusinessAlarm}},
				outcome(OutcomeComplete), alias(Api, "4"), watchExit(Api, "0")),
		},
	},
	{
		Name:  "quiet-function",
		Title: "A function nobody calls ships through a whole canary",
		Steps: []Step{
			deploy(canary("c1"), []Fault{{Kind: Quiet}}, outcome(OutcomeComplete)),
			deploy(canary("c2"), []Fault{{Kind: Quiet}},
				outcome(OutcomeComplete), alias(Api, "2", "lambda-metrics", "cloudwatch-alarm-state"),
				notified("started,succeeded"), watchExit(Api, "0")),
		},
	},
	{
		Name: "provisioned-concurrency-with-new-code",
		Title: "Provisioned concurrency changed in the release that ships new code: green passes its tests on the " +
			"amount in force, and the new amount applies once the shift has ended",
		Steps: []Step{
			deploy(func() Release { r := tested("c1"); r.ProvisionedConcurrency = 1; return r }(), nil,
				outcome(OutcomeComplete), provisioned(Api, "1", "aas-register-capacity")),
			deploy(func() Release { r := tested("c2"); r.ProvisionedConcurrency = 2; return r }(), nil,
				outcome(OutcomeComplete), alias(Api, "2", "lambda-pc-alias"),
				provisioned(Api, "2", "cfn-scalable-target-after-shift", "aas-register-capacity"),
				notified("started,succeeded"), watchExit(Api, "0")),
		},
	},
	{
		Name: "service-one-function-fails",
		Title: "Two functions of a service ship together and one fails its canary: both end on their earlier " +
			"version, the stack rolls back, and the next release ships",
		Steps: []Step{
			deploy(Release{Commit: "s1", Commits: []string{"a1", "b1"}}, nil, outcome(OutcomeComplete)),
			deploy(Release{Commit: "s2", Commits: []string{"a2", "b2"}},
				[]Fault{{Kind: ErrorBurst, Function: Fn01}},
				outcome(OutcomeRolledBack, "cfn-rollback"), stack("UPDATE_ROLLBACK_COMPLETE", "cfn-rollback"),
				alias(Fn00, "1", "cfn-cancelled-alias", "cfn-reverse-deployment", "cfn-rollback-order"),
				alias(Fn01, "1", rulesAlarmRollback...),
				versions(Fn00, "1", "cfn-retain-except-on-create"), versions(Fn01, "1", "cfn-retain-except-on-create"),
				watchExit(Fn01, "1"),
				detectedWithin(5*time.Minute, rulesDetection...),
				within(8*time.Minute, "event-before-reverse", "cfn-custom-resource-in-rollback")),
			deploy(Release{Commit: "s3", Commits: []string{"a3", "b3"}}, nil,
				outcome(OutcomeComplete, "codedeploy-appspec-current"), alias(Fn00, "3"), alias(Fn01, "3")),
		},
	},
	{
		Name: "slow-release-rolls-back",
		Title: "A release that answers every request too slowly, with no pre-traffic tests to catch it, is stopped " +
			"by its green latency alarm during the canary and rolled back",
		Steps: []Step{
			deploy(canary("c1"), nil, outcome(OutcomeComplete)),
			// The 10-minute canary, not the default 5-minute one: plan's detection time for the green latency
			// alarm (2 of 3 one-minute datapoints + alarms.MetricLag 2m + alarms.AlarmCheckDelay 1m = 5m) equals
			// the default canary's bake, so an alarm as slow as its worst case would race the shift to 100 %.
			deploy(failing(Release{Commit: "c2", Strategy: "Canary10Percent10Minutes"}, FailLatency), nil,
				outcome(OutcomeRolledBack, rulesStackRollback...), stack("UPDATE_ROLLBACK_COMPLETE", "cfn-rollback"),
				alias(Api, "1", rulesAlarmRollback...),
				versions(Api, "1", "cfn-retain-except-on-create"),
				notified("started,STOPPED", rulesNotify...), watchExit(Api, "1"),
				// Plan's 5m for the latency alarm, plus a minute: a request's Duration reaches CloudWatch only once
				// the request has ended, SlowDelay (27 s) after it started, while detection counts from its start.
				detectedWithin(6*time.Minute, rulesDetection...)),
		},
	},
}
