package deployment_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/safeship/lambda-bluegreen/internal/deployment"
)

func TestFinish(t *testing.T) {
	appSpec := func(from, to string) string {
		return `{"version":0.0,"Resources":[{"fn":{"Type":"AWS::Lambda::Function","Properties":{"Name":"api",` +
			`"Alias":"live","CurrentVersion":"` + from + `","TargetVersion":"` + to + `"}}}]}`
	}
	for _, c := range []struct {
		name    string
		info    cdtypes.DeploymentInfo
		appSpec string
		want    deployment.Ending
	}{
		{"a release that succeeded", cdtypes.DeploymentInfo{Status: cdtypes.DeploymentStatusSucceeded,
			Creator: cdtypes.DeploymentCreatorCloudFormation}, appSpec("1", "2"),
			deployment.Ending{Outcome: deployment.OutcomeSucceeded, Exit: 0}},
		// bluegreen rollback of a finished release is a stack update: CloudFormation creates the deployment, to a
		// lower version, and its success is the rollback the operator asked for.
		{"a rollback by hand (a stack update to the earlier version)", cdtypes.DeploymentInfo{
			Status: cdtypes.DeploymentStatusSucceeded, Creator: cdtypes.DeploymentCreatorCloudFormation}, appSpec("2", "1"),
			deployment.Ending{Outcome: deployment.OutcomeSucceeded, Exit: 0}},
		{"a stack rollback's reverse deployment", cdtypes.DeploymentInfo{Status: cdtypes.DeploymentStatusSucceeded,
			Creator: cdtypes.DeploymentCreatorCloudFormationRollback}, appSpec("2", "1"),
			deployment.Ending{Outcome: deployment.OutcomeRolledBack, Exit: 1}},
		{"CodeDeploy's rollback", cdtypes.DeploymentInfo{Status: cdtypes.DeploymentStatusSucceeded,
			Creator: cdtypes.DeploymentCreatorCodeDeployRollback}, "",
			deployment.Ending{Outcome: deployment.OutcomeRolledBack, Exit: 1}},
		{"a rollback that names its release", cdtypes.DeploymentInfo{DeploymentId: aws.String("d-2"),
			Status: cdtypes.DeploymentStatusSucceeded, Creator: cdtypes.DeploymentCreatorUser,
			RollbackInfo: &cdtypes.RollbackInfo{RollbackTriggeringDeploymentId: aws.String("d-1")}}, "",
			deployment.Ending{Outcome: deployment.OutcomeRolledBack, Exit: 1}},
		{"failed", cdtypes.DeploymentInfo{Status: cdtypes.DeploymentStatusFailed,
			Creator: cdtypes.DeploymentCreatorCloudFormation}, appSpec("1", "2"),
			deployment.Ending{Outcome: deployment.OutcomeFailed, Exit: 1}},
		{"stopped", cdtypes.DeploymentInfo{Status: cdtypes.DeploymentStatusStopped}, "",
			deployment.Ending{Outcome: deployment.OutcomeStopped, Exit: 1}},
		{"a failed rollback", cdtypes.DeploymentInfo{Status: cdtypes.DeploymentStatusFailed,
			Creator: cdtypes.DeploymentCreatorCloudFormationRollback}, "",
			deployment.Ending{Outcome: deployment.OutcomeFailed, Exit: 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := deployment.Finish(deployment.Summarize(&c.info, c.appSpec, nil))
			if got != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}
