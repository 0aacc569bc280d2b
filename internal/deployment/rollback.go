package deployment

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// A rollback is a deployment of its own: "CodeDeploy rolls back deployments by redeploying a previously deployed
// revision of an application as a new deployment. These rolled-back deployments are technically new deployments,
// with new deployment IDs" (CodeDeploy user guide, "Redeploy and roll back a deployment"). rollbackInfo links the
// two (CodeDeploy API reference, RollbackInfo): on the release that failed or was stopped, rollbackDeploymentId is
// "The ID of the deployment rollback"; on the rollback, rollbackTriggeringDeploymentId is "The deployment ID of the
// deployment that was underway and triggered a rollback deployment because it failed or was stopped". So the
// newest deployment of a group (and its lastAttemptedDeployment) may be the rollback, whose success is not the
// release's: RollbackOf leads back to the release it belongs to. A deployment never rolls itself back, so an id
// equal to the deployment's own is no link.

// RollbackOf returns the id of the deployment info rolls back (rollbackInfo.rollbackTriggeringDeploymentId), or ""
// when it is not a rollback or does not say which deployment it rolls back.
func RollbackOf(info *cdtypes.DeploymentInfo) string {
	if info.RollbackInfo == nil {
		return ""
	}
	return other(info, info.RollbackInfo.RollbackTriggeringDeploymentId)
}

// RolledBackBy returns the id of the deployment that rolls info back (rollbackInfo.rollbackDeploymentId), or ""
// when none does.
func RolledBackBy(info *cdtypes.DeploymentInfo) string {
	if info.RollbackInfo == nil {
		return ""
	}
	return other(info, info.RollbackInfo.RollbackDeploymentId)
}

// other is the deployment id, or "" when it is info's own: no link.
func other(info *cdtypes.DeploymentInfo, id *string) string {
	if aws.ToString(id) == aws.ToString(info.DeploymentId) {
		return ""
	}
	return aws.ToString(id)
}

// IsRollback reports whether the deployment rolls another one back: CodeDeploy created it for a rollback (creator
// codeDeployRollback), CloudFormation did while rolling a stack back (CloudFormationRollback), or its rollbackInfo
// names the deployment that triggered it.
func IsRollback(info *cdtypes.DeploymentInfo) bool {
	return info.Creator == cdtypes.DeploymentCreatorCodeDeployRollback ||
		info.Creator == cdtypes.DeploymentCreatorCloudFormationRollback || RollbackOf(info) != ""
}
