// Command releases lists the blue/green deployments of one stack of a synthesized cloud assembly, for
// report-release.sh: one line per Lambda alias that CloudFormation updates through CodeDeploy (UpdatePolicy
// CodeDeployLambdaAliasUpdate), with five tab-separated fields: the alias's construct path, the alias name, then
// the function, the CodeDeploy application and the deployment group, each as the logical id CloudFormation resolves
// to a physical name, or as "=NAME" when the template names it outright.
//
//	go run ./examples/github-actions/releases cdk.out BlueGreenServiceProd
//
// It reads the template offline. Exit codes: 0 (also when the stack has no blue/green deployment), 1 a problem
// with the assembly or the stack, 2 bad usage.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) != 2 {
		fmt.Fprintln(stderr, "usage: releases ASSEMBLY_DIR STACK")
		return 2
	}
	lines, err := releases(args[0], args[1])
	if err != nil {
		fmt.Fprintln(stderr, "releases:", err)
		return 1
	}
	for _, l := range lines {
		fmt.Fprintln(stdout, l)
	}
	return 0
}

// releases returns the lines for the stack named stack (its CloudFormation name or its artifact id) in the cloud
// assembly in dir, sorted by construct path.
func releases(dir, stack string) ([]string, error) {
	var manifest struct {
		Artifacts map[string]struct {
			Type       string `json:"type"`
			Properties struct {
				TemplateFile string `json:"templateFile"`
				StackName    string `json:"stackName"`
			} `json:"properties"`
		} `json:"artifacts"`
	}
	if err := readJSON(filepath.Join(dir, "manifest.json"), &manifest); err != nil {
		return nil, err
	}
	var file string
	var stacks []string
	for id, a := range manifest.Artifacts {
		if a.Type != "aws:cloudformation:stack" {
			continue
		}
		stacks = append(stacks, id)
		if id == stack || a.Properties.StackName == stack {
			file = a.Properties.TemplateFile
		}
	}
	if file == "" {
		sort.Strings(stacks)
		return nil, fmt.Errorf("%s holds no stack %q; its stacks are %s", dir, stack, strings.Join(stacks, ", "))
	}
	var template struct {
		Resources map[string]struct {
			Type         string                 `json:"Type"`
			Properties   map[string]interface{} `json:"Properties"`
			UpdatePolicy struct {
				Alias map[string]interface{} `json:"CodeDeployLambdaAliasUpdate"`
			} `json:"UpdatePolicy"`
			Metadata map[string]interface{} `json:"Metadata"`
		} `json:"Resources"`
	}
	if err := readJSON(filepath.Join(dir, file), &template); err != nil {
		return nil, err
	}
	var lines []string
	for id, r := range template.Resources {
		if r.Type != "AWS::Lambda::Alias" || r.UpdatePolicy.Alias == nil {
			continue
		}
		path, _ := r.Metadata["aws:cdk:path"].(string)
		if path == "" {
			path = id
		}
		alias, ok := r.Properties["Name"].(string)
		if !ok {
			return nil, fmt.Errorf("%s: the alias's Name is not a literal: %v", path, r.Properties["Name"])
		}
		fields := []string{strings.TrimSuffix(path, "/Resource"), alias}
		for _, v := range []struct {
			name  string
			value interface{}
		}{
			{"FunctionName", r.Properties["FunctionName"]},
			{"ApplicationName", r.UpdatePolicy.Alias["ApplicationName"]},
			{"DeploymentGroupName", r.UpdatePolicy.Alias["DeploymentGroupName"]},
		} {
			f, err := reference(v.value)
			if err != nil {
				return nil, fmt.Errorf("%s: %s %w", path, v.name, err)
			}
			fields = append(fields, f)
		}
		lines = append(lines, strings.Join(fields, "\t"))
	}
	sort.Strings(lines)
	return lines, nil
}

// reference returns a {"Ref": ID} value as ID and a literal name as "=NAME".
func reference(v interface{}) (string, error) {
	switch v := v.(type) {
	case string:
		return "=" + v, nil
	case map[string]interface{}:
		if id, ok := v["Ref"].(string); ok && len(v) == 1 {
			return id, nil
		}
	}
	return "", errors.New("is neither a Ref to a resource of the stack nor a literal name")
}

func readJSON(path string, v interface{}) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
