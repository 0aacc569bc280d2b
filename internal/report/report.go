// Package report reads the validation report aws-cdk-lib writes into a cloud assembly (validation-report.json:
// AWS's CloudFormation validator and, with @aws-cdk/core:annotationsInValidationReport, every error annotation,
// cdk-nag's among them).
package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// FileName is the report's name in the cloud assembly.
const FileName = "validation-report.json"

// Findings returns every finding of the report in the cloud assembly dir whose severity is one of severities
// (compared without case), as "plugin: rule (severity): description at construct paths".
func Findings(dir string, severities ...string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		return nil, fmt.Errorf("the cloud assembly has no validation report: %w", err)
	}
	var rep struct {
		PluginReports []struct {
			PluginName string `json:"pluginName"`
			Violations []struct {
				RuleName            string `json:"ruleName"`
				Description         string `json:"description"`
				Severity            string `json:"severity"`
				ViolatingConstructs []struct {
					ConstructPath string `json:"constructPath"`
				} `json:"violatingConstructs"`
			} `json:"violations"`
		} `json:"pluginReports"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("%s: %w", FileName, err)
	}
	var out []string
	for _, p := range rep.PluginReports {
		for _, v := range p.Violations {
			for _, s := range severities {
				if strings.EqualFold(v.Severity, s) {
					var paths []string
					for _, c := range v.ViolatingConstructs {
						paths = append(paths, c.ConstructPath)
					}
					out = append(out, fmt.Sprintf("%s: %s (%s): %s at %s", p.PluginName, v.RuleName, v.Severity,
						v.Description, strings.Join(paths, ", ")))
				}
			}
		}
	}
	return out, nil
}
