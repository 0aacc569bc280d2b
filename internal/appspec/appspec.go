// Package appspec reads the Lambda part of a CodeDeploy AppSpec: which function and alias a deployment shifts,
// from which version to which.
//
// CodeDeploy documents the Lambda AppSpec as a list of resources, each named and holding "type":
// "AWS::Lambda::Function" and the properties name, alias, currentversion and targetversion ("AppSpec 'resources'
// section (Amazon ECS and AWS Lambda deployments only)", CodeDeploy user guide), in JSON or YAML ("The
// YAML-formatted or JSON-formatted revision string", API reference, AppSpecContent). CloudFormation writes the
// same keys capitalized (Resources, Type, Properties, Name, Alias, CurrentVersion, TargetVersion); Parse accepts
// both. A deployment carries its AppSpec in its revision (GetDeployment, BatchGetDeployments) or, for some
// deployments CloudFormation starts, only its hash there: the content then comes from GetApplicationRevision.
// Content picks the text out of either answer.
package appspec

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"sigs.k8s.io/yaml"
)

// Function is the Lambda function resource of an AppSpec.
type Function struct {
	// Name is the function's name as the AppSpec gives it.
	Name  string
	Alias string
	// CurrentVersion is the version the alias served when the deployment started (blue); TargetVersion the
	// version the deployment shifts traffic to (green).
	CurrentVersion string
	TargetVersion  string
}

// spec is the part of an AppSpec Parse reads. encoding/json matches keys case-insensitively, so the documented
// lowercase keys and CloudFormation's capitalized ones both fill it.
type spec struct {
	Resources []map[string]struct {
		Type       string `json:"Type"`
		Properties struct {
			Name           string  `json:"Name"`
			Alias          string  `json:"Alias"`
			CurrentVersion version `json:"CurrentVersion"`
			TargetVersion  version `json:"TargetVersion"`
		} `json:"Properties"`
	} `json:"Resources"`
}

// Parse reads the AWS::Lambda::Function resource of an AppSpec in JSON or YAML, wherever it stands in the list
// of resources. It fails when the content is not JSON or YAML, holds no Lambda function, or the function lacks a
// name or a target version.
func Parse(content string) (Function, error) {
	js, err := yaml.YAMLToJSON([]byte(content)) // JSON is YAML: one path for both
	if err != nil {
		return Function{}, fmt.Errorf("malformed AppSpec: %w", err)
	}
	var s spec
	if err := json.Unmarshal(js, &s); err != nil {
		return Function{}, fmt.Errorf("malformed AppSpec: %w", err)
	}
	for _, res := range s.Resources {
		for _, r := range res {
			if r.Type != "AWS::Lambda::Function" {
				continue
			}
			p := r.Properties
			if p.Name == "" || p.TargetVersion == "" {
				return Function{}, errors.New("malformed AppSpec: the Lambda resource needs Name and TargetVersion")
			}
			return Function{Name: p.Name, Alias: p.Alias, CurrentVersion: string(p.CurrentVersion),
				TargetVersion: string(p.TargetVersion)}, nil
		}
	}
	return Function{}, errors.New("malformed AppSpec: no AWS::Lambda::Function resource")
}

// Content returns the AppSpec text a revision carries (AppSpecContent, or the older String form), or "" when it
// carries none, for example only the content's hash.
func Content(rev *cdtypes.RevisionLocation) string {
	if rev == nil {
		return ""
	}
	if rev.AppSpecContent != nil && rev.AppSpecContent.Content != nil {
		return *rev.AppSpecContent.Content
	}
	//lint:ignore SA1019 CodeDeploy still returns revisions registered in the older String form: read on purpose
	if old := rev.String_; old != nil && old.Content != nil {
		return *old.Content
	}
	return ""
}

// version is a version number written as a string ("7") or, in YAML without quotes, as a number (7).
type version string

func (v *version) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*v = version(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("version must be a string or a number, got %s", b)
	}
	*v = version(n.String())
	return nil
}

// The lifecycle events of a Lambda deployment that run hooks: BeforeAllowTraffic before traffic shifts to the
// target version, AfterAllowTraffic after ("AppSpec 'hooks' section for an AWS Lambda deployment", CodeDeploy user
// guide).
const (
	BeforeAllowTraffic = "BeforeAllowTraffic"
	AfterAllowTraffic  = "AfterAllowTraffic"
)

// Hooks reads the hook functions of an AppSpec by lifecycle event: "Hooks: - BeforeAllowTraffic: <function>", a
// list of one-entry maps (CodeDeploy user guide, AppSpec file example for an AWS Lambda deployment), in JSON or
// YAML. CloudFormation writes the AppSpec of the deployments it starts and AWS does not document its form, so the
// keys are read in any case; BeforeAllowTraffic and AfterAllowTraffic come back spelt so, other events as written.
// An unreadable AppSpec, or one without hooks, gives none (an empty map).
func Hooks(content string) map[string]string {
	hooks := map[string]string{}
	js, err := yaml.YAMLToJSON([]byte(content))
	if err != nil {
		return hooks
	}
	var s struct {
		Hooks []map[string]interface{} `json:"Hooks"` // encoding/json matches "hooks" too
	}
	if json.Unmarshal(js, &s) != nil {
		return hooks
	}
	for _, item := range s.Hooks {
		for event, fn := range item {
			name, ok := fn.(string)
			if !ok {
				continue
			}
			for _, known := range []string{BeforeAllowTraffic, AfterAllowTraffic} {
				if strings.EqualFold(event, known) {
					event = known
				}
			}
			hooks[event] = name
		}
	}
	return hooks
}
