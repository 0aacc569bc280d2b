// Package deployment is the one reader of CodeDeploy deployments: the operator command (status, watch, rollback,
// recover) and the notification formatter read a deployment through it and get the same explanation of it.
//
// It reads, through small interfaces over the AWS SDK's CodeDeploy and CloudWatch clients (so that a test passes a
// fake, and a program the real clients):
//   - one deployment (GetDeployment) and its AppSpec (from its revision, or GetApplicationRevision when the
//     revision carries only the content's hash): the function, the alias, the versions blue (CurrentVersion) and
//     green (TargetVersion), and the hook functions;
//   - its target's lifecycle events (ListDeploymentTargets, GetDeploymentTarget): the phase it is in, the hook
//     that failed and CodeDeploy's diagnostics;
//   - a group's deployments newest first, a window of history at a time (ListDeployments createTimeRange,
//     BatchGetDeployments), the ones still running, and the version a finished release rolls back to;
//   - a group's rollback alarms (GetDeploymentGroup) and their states (DescribeAlarms);
//   - the link between a release and CodeDeploy's rollback of it (rollbackInfo), so that the release a rollback
//     deployment belongs to is reported rather than the rollback's success.
//
// Explain puts it together for one deployment: a Summary, which bluegreen status -json prints (Describe without the
// lifecycle events, Summarize from what a caller already read, FollowRollback for the versions of a rollback). Why
// decides, from a Summary, what ended a deployment that failed or was stopped (the alarms that count, the hook, a
// stop): bluegreen watch and the notification formatter word that one decision.
package deployment
