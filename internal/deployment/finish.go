package deployment

import (
	"strings"

	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// The outcomes of a deployment that has ended, as bluegreen watch reports them (Finish).
const (
	OutcomeSucceeded  = "succeeded"
	OutcomeFailed     = "failed"
	OutcomeStopped    = "stopped"
	OutcomeRolledBack = "rolled back"
)

// The exit codes of bluegreen watch for a deployment that has ended (Finish): a script that follows a release
// tells a release that shipped from one that did not by them.
const (
	ExitSucceeded = 0
	ExitFailed    = 1
)

// Ending is how a deployment that has ended ends for bluegreen watch: its outcome (one of the Outcome… values, or
// CodeDeploy's status in lower case for a status no Outcome names) and watch's exit code.
type Ending struct {
	Outcome string
	Exit    int
}

// Finish decides how deployment s, which has ended (not IsActive), ends for bluegreen watch: the one rule that
// watch, and the lifecycle model's acceptance backend (test/deployment), map a finished deployment with.
//   - Succeeded: succeeded, exit 0, unless s rolls another deployment back (Summary.Rollback) without saying
//     which (watch follows the release a rollback names instead): its success means a release failed, so it is
//     rolled back, exit 1;
//   - Failed, Stopped: failed, stopped, exit 1;
//   - any other status: the status in lower case, exit 1.
func Finish(s Summary) Ending {
	if s.Status == string(cdtypes.DeploymentStatusSucceeded) {
		if s.Rollback {
			return Ending{Outcome: OutcomeRolledBack, Exit: ExitFailed}
		}
		return Ending{Outcome: OutcomeSucceeded, Exit: ExitSucceeded}
	}
	return Ending{Outcome: strings.ToLower(s.Status), Exit: ExitFailed}
}
