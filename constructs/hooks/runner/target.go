package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"sigs.k8s.io/yaml"
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

// appSpec is the part of a Lambda AppSpec the hook reads.
type appSpec struct {
	Resources []map[string]struct {
		Type       string `json:"Type"`
		Properties struct {
			Name           string      `json:"Name"`
			Alias          string      `json:"Alias"`
			CurrentVersion flexVersion `json:"CurrentVersion"`
			TargetVersion  flexVersion `json:"TargetVersion"`
		} `json:"Properties"`
	} `json:"Resources"`
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
	content := appSpecContent(info.Revision)
	if content == "" && info.Revision != nil {
		rev, err := h.CodeDeploy.GetApplicationRevision(ctx, &codedeploy.GetApplicationRevisionInput{
			ApplicationName: info.ApplicationName, Revision: info.Revision,
		})
		if err != nil {
			return Target{}, fmt.Errorf("GetApplicationRevision: %w", err)
		}
		content = appSpecContent(rev.Revision)
	}
	if content == "" {
		return Target{}, fmt.Errorf("deployment %s has no AppSpec content", deploymentID)
	}
	name, alias, current, target, err := parseAppSpec(content)
	if err != nil {
		return Target{}, fmt.Errorf("deployment %s: %w", deploymentID, err)
	}
	t.FunctionName, t.Alias, t.CurrentVersion, t.TargetVersion = name, alias, current, target
	return t, nil
}

func appSpecContent(rev *cdtypes.RevisionLocation) string {
	if rev == nil {
		return ""
	}
	if rev.AppSpecContent != nil && rev.AppSpecContent.Content != nil {
		return *rev.AppSpecContent.Content
	}
	if rev.String_ != nil && rev.String_.Content != nil {
		return *rev.String_.Content
	}
	return ""
}

// parseAppSpec reads the Lambda function resource of an AppSpec, in JSON or YAML.
func parseAppSpec(content string) (name, alias, current, target string, err error) {
	js, err := yaml.YAMLToJSON([]byte(content))
	if err != nil {
		return "", "", "", "", fmt.Errorf("malformed AppSpec: %w", err)
	}
	var spec appSpec
	if err := json.Unmarshal(js, &spec); err != nil {
		return "", "", "", "", fmt.Errorf("malformed AppSpec: %w", err)
	}
	for _, res := range spec.Resources {
		for _, r := range res {
			if r.Type != "AWS::Lambda::Function" {
				continue
			}
			p := r.Properties
			if p.Name == "" || p.TargetVersion == "" {
				return "", "", "", "", errors.New("malformed AppSpec: the Lambda resource needs Name and TargetVersion")
			}
			return p.Name, p.Alias, string(p.CurrentVersion), string(p.TargetVersion), nil
		}
	}
	return "", "", "", "", errors.New("malformed AppSpec: no AWS::Lambda::Function resource")
}

// flexVersion is a version number written as a string ("7") or, in YAML without quotes, as a number (7).
type flexVersion string

func (v *flexVersion) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*v = flexVersion(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("version must be a string or a number, got %s", b)
	}
	*v = flexVersion(n.String())
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
