package runner

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/codedeploy"

	"github.com/safeship/lambda-bluegreen/internal/appspec"
)

// Target is what a deployment shifts: read from its AppSpec, so one hook can serve any deployment.
type Target struct {
	FunctionName   string
	Alias          string
	CurrentVersion string
	TargetVersion  string
	// Application and DeploymentGroup name the deployment's CodeDeploy group.
	Application     string
	DeploymentGroup string
	// Started is when the deployment was created.
	Started time.Time
}

// target reads the deployment and its AppSpec.
func (h *Hook) target(ctx context.Context, deploymentID string) (Target, error) {
	out, err := h.CodeDeploy.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: &deploymentID})
	if err != nil {
		return Target{}, fmt.Errorf("GetDeployment %s: %w", deploymentID, err)
	}
	info := out.DeploymentInfo
	if info == nil {
		return Target{}, fmt.Errorf("GetDeployment %s returned no deployment", deploymentID)
	}
	t := Target{Application: deref(info.ApplicationName), DeploymentGroup: deref(info.DeploymentGroupName)}
	if info.CreateTime != nil {
		t.Started = *info.CreateTime
	}
	content := appspec.Content(info.Revision)
	if content == "" && info.Revision != nil {
		rev, err := h.CodeDeploy.GetApplicationRevision(ctx, &codedeploy.GetApplicationRevisionInput{
			ApplicationName: info.ApplicationName, Revision: info.Revision,
		})
		if err != nil {
			return Target{}, fmt.Errorf("GetApplicationRevision: %w", err)
		}
		content = appspec.Content(rev.Revision)
	}
	if content == "" {
		return Target{}, fmt.Errorf("deployment %s has no AppSpec content", deploymentID)
	}
	fn, err := appspec.Parse(content) // its errors say "malformed AppSpec"
	if err != nil {
		return Target{}, fmt.Errorf("deployment %s: %w", deploymentID, err)
	}
	t.FunctionName, t.Alias, t.CurrentVersion, t.TargetVersion = fn.Name, fn.Alias, fn.CurrentVersion, fn.TargetVersion
	return t, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
