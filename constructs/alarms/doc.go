// Package alarms holds the rollback alarms of a blue/green Lambda deployment.
//
// GreenAlarms watch green alone: the requests the new version serves through the alias (the AWS/Lambda dimension
// ExecutedVersion), so a green that fails every request shows a 100 % error rate even at a 10 % canary, and
// errors blue already had cannot block a fix. There are four, each on by default and tunable through Options:
// green's error rate, green's error rate relative to the alias as a whole, green's throttles, and green's latency
// percentile against a budget. NewAnomalyAlarm turns any custom metric (a business metric such as active users)
// into a rollback alarm without a hand-picked threshold. DetectionTime is the formula the constructs use to say
// at synth what a configuration can catch.
package alarms
