package deployment

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// Events returns the lifecycle events of the deployment's targets (one function, for a Lambda deployment; the
// stack, for a CloudFormation one). CodeDeploy API reference, GetDeploymentTarget: a Lambda target's
// lifecycleEvents list each event with its status and diagnostics. A target that cannot be read is left out, and
// its error joined to the one returned.
func (r Reader) Events(ctx context.Context, id string) ([]cdtypes.LifecycleEvent, error) {
	list, err := r.CodeDeploy.ListDeploymentTargets(ctx, &codedeploy.ListDeploymentTargetsInput{DeploymentId: &id})
	if err != nil {
		return nil, fmt.Errorf("ListDeploymentTargets: %w", err)
	}
	var out []cdtypes.LifecycleEvent
	var errs []error
	for _, target := range list.TargetIds {
		t, err := r.CodeDeploy.GetDeploymentTarget(ctx, &codedeploy.GetDeploymentTargetInput{DeploymentId: &id, TargetId: aws.String(target)})
		if err != nil {
			errs = append(errs, fmt.Errorf("GetDeploymentTarget %s: %w", target, err))
			continue
		}
		if t.DeploymentTarget == nil {
			continue
		}
		switch {
		case t.DeploymentTarget.LambdaTarget != nil:
			out = append(out, t.DeploymentTarget.LambdaTarget.LifecycleEvents...)
		case t.DeploymentTarget.CloudFormationTarget != nil:
			out = append(out, t.DeploymentTarget.CloudFormationTarget.LifecycleEvents...)
		}
	}
	return out, errors.Join(errs...)
}

// LambdaTarget reads the Lambda target of a deployment (the alias it shifts: a Lambda deployment has one target),
// with its lifecycle events and, in LambdaFunctionInfo, the versions it shifts between. targetID is the target's
// id when already known ("" lists the deployment's targets, one call more); the id read is returned to be passed
// next time. A deployment that has not started yet (DeploymentNotStartedException) or has no Lambda target
// returns a nil target and no error.
func (r Reader) LambdaTarget(ctx context.Context, id, targetID string) (string, *cdtypes.LambdaTarget, error) {
	if targetID == "" {
		out, err := r.CodeDeploy.ListDeploymentTargets(ctx, &codedeploy.ListDeploymentTargetsInput{DeploymentId: &id})
		var notStarted *cdtypes.DeploymentNotStartedException
		if errors.As(err, &notStarted) {
			return "", nil, nil
		}
		if err != nil {
			return "", nil, fmt.Errorf("ListDeploymentTargets %s: %w", id, err)
		}
		if len(out.TargetIds) == 0 {
			return "", nil, nil
		}
		targetID = out.TargetIds[0]
	}
	out, err := r.CodeDeploy.GetDeploymentTarget(ctx, &codedeploy.GetDeploymentTargetInput{DeploymentId: &id, TargetId: &targetID})
	if err != nil {
		return targetID, nil, fmt.Errorf("GetDeploymentTarget %s %s: %w", id, targetID, err)
	}
	if out.DeploymentTarget == nil {
		return targetID, nil, nil
	}
	return targetID, out.DeploymentTarget.LambdaTarget, nil
}
