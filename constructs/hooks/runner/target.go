package runner

import (
	"context"
	"fmt"
	"strconv"
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

// Return reports whether the deployment goes back to a version published before the one the alias serves: a
// rollback, whether CloudFormation rolls a stack update back (a reverse deployment of an alias whose shift had
// finished) or an operator rolls a release back (bluegreen rollback). The hooks pass such a deployment at once:
// the version served before, and a test, an alarm still in ALARM from the release being undone or a crash of the
// hook must never keep traffic on the version being left.
//
// It relies on Lambda numbering versions in the order it publishes them ("Lambda assigns the version number",
// versions 1, 2, 3…, AWS Lambda API Reference, PublishVersion), never giving a number twice: AWS does not say the
// latter in so many words, and it is listed among the assumptions (docs/aws-rules.md, "What this library assumes about
// AWS"). A deployment whose versions are not numbers (an alias of $LATEST) is not a return.
func Return(t Target) bool {
	target, errT := strconv.Atoi(t.TargetVersion)
	current, errC := strconv.Atoi(t.CurrentVersion)
	return errT == nil && errC == nil && target < current
}
