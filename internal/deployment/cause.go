package deployment

import (
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// Cause is what ended a deployment that failed or was stopped, as Why decides it: the one rule bluegreen watch and
// the notification formatter explain a deployment's end with (status shows the facts it rests on).
type Cause struct {
	// Kind is CauseAlarm, CauseHook, CauseStop, or CauseError (CodeDeploy's error code is all there is).
	Kind string
	// Alarms are, for CauseAlarm, the rollback alarms that count as the cause: those in ALARM, then those
	// CodeDeploy's ALARM_ACTIVE message names and that are not in ALARM any more. Empty when CodeDeploy names none
	// and none is in ALARM now.
	Alarms []string
	// Hook is, for CauseHook, the lifecycle hook whose event failed (FailedHook).
	Hook *Hook
}

// The kinds of Cause.
const (
	CauseAlarm = "alarm"
	CauseHook  = "hook"
	CauseStop  = "stop"
	CauseError = "error"
)

// Why decides what ended deployment s, one that failed or was stopped. It reads only what the decision needs, each
// at most once: hook returns the hook whose lifecycle event failed (FailedHook of the events), firing the names of
// the rollback alarms in ALARM now. In order, the first that applies:
//   - errorInformation ALARM_ACTIVE: the alarms (AWS lists the code without documenting it; its message names the
//     alarms, ActivatedAlarms);
//   - MANUAL_STOP: a stop by a user or a tool (StopDeployment: bluegreen rollback, the console, the CLI);
//   - a lifecycle hook whose event failed: that hook;
//   - Stopped with a rollback alarm in ALARM: the alarm (CodeDeploy stops a deployment whose alarm fires; a stop
//     without its code is taken for one when an alarm fires);
//   - Stopped: a stop;
//   - otherwise CodeDeploy's error code.
func Why(s Summary, hook func() *Hook, firing func() []string) Cause {
	switch cdtypes.ErrorCode(s.ErrorCode) {
	case cdtypes.ErrorCodeAlarmActive:
		return Cause{Kind: CauseAlarm, Alarms: causeAlarms(firing(), s.Alarms)}
	case cdtypes.ErrorCodeManualStop:
		return Cause{Kind: CauseStop}
	}
	if h := hook(); h != nil {
		return Cause{Kind: CauseHook, Hook: h}
	}
	if s.Status != string(cdtypes.DeploymentStatusStopped) {
		return Cause{Kind: CauseError}
	}
	if names := firing(); len(names) > 0 {
		return Cause{Kind: CauseAlarm, Alarms: causeAlarms(names, s.Alarms)}
	}
	return Cause{Kind: CauseStop}
}

// causeAlarms are the alarms in ALARM, then the activated ones not among them.
func causeAlarms(firing, activated []string) []string {
	names := append([]string(nil), firing...)
	seen := map[string]bool{}
	for _, n := range names {
		seen[n] = true
	}
	for _, n := range activated {
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	return names
}
