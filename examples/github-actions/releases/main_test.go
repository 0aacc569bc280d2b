package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// assembly writes a cloud assembly with one stack, Service, whose template is tmpl, and returns its folder.
func assembly(t *testing.T, tmpl string) string {
	t.Helper()
	dir := t.TempDir()
	manifest := `{"version":"48.0.0","artifacts":{
		"Service":{"type":"aws:cloudformation:stack","properties":{"templateFile":"Service.template.json"}},
		"Tree":{"type":"cdk:tree","properties":{"file":"tree.json"}}}}`
	for name, content := range map[string]string{"manifest.json": manifest, "Service.template.json": tmpl} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestReleases(t *testing.T) {
	dir := assembly(t, `{"Resources":{
		"ApiAlias1":{"Type":"AWS::Lambda::Alias","Properties":{"FunctionName":{"Ref":"ApiFunction1"},"Name":"live"},
			"UpdatePolicy":{"CodeDeployLambdaAliasUpdate":{"ApplicationName":{"Ref":"App1"},"DeploymentGroupName":{"Ref":"ApiGroup1"}}},
			"Metadata":{"aws:cdk:path":"Service/Api/Alias/Resource"}},
		"WorkerAlias1":{"Type":"AWS::Lambda::Alias","Properties":{"FunctionName":"worker-fn","Name":"prod"},
			"UpdatePolicy":{"CodeDeployLambdaAliasUpdate":{"ApplicationName":"my-app","DeploymentGroupName":{"Ref":"WorkerGroup1"}}}},
		"PlainAlias1":{"Type":"AWS::Lambda::Alias","Properties":{"FunctionName":{"Ref":"Other1"},"Name":"live"}},
		"ApiFunction1":{"Type":"AWS::Lambda::Function","Properties":{}}}}`)
	var out, errs bytes.Buffer
	if code := run([]string{dir, "Service"}, &out, &errs); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	want := "Service/Api/Alias\tlive\tApiFunction1\tApp1\tApiGroup1\n" +
		"WorkerAlias1\tprod\t=worker-fn\t=my-app\tWorkerGroup1\n"
	if out.String() != want {
		t.Errorf("got\n%q\nwant\n%q (an alias without CodeDeploy's update policy is no release)", out.String(), want)
	}
}

func TestReleasesFails(t *testing.T) {
	cases := []struct {
		name, tmpl, stack string
		code              int
		want              string
	}{
		{"unknown stack", `{"Resources":{}}`, "Nope", 1, `holds no stack "Nope"; its stacks are Service`},
		{"group from an import", `{"Resources":{"A":{"Type":"AWS::Lambda::Alias","Properties":{"FunctionName":{"Ref":"F"},"Name":"live"},
			"UpdatePolicy":{"CodeDeployLambdaAliasUpdate":{"ApplicationName":{"Ref":"App"},"DeploymentGroupName":{"Fn::ImportValue":"x"}}}}}}`,
			"Service", 1, "A: DeploymentGroupName is neither a Ref to a resource of the stack nor a literal name"},
		{"bad template", `{`, "Service", 1, "Service.template.json"},
		{"usage", `{}`, "", 2, "usage: releases ASSEMBLY_DIR STACK"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := assembly(t, tc.tmpl)
			args := []string{dir, tc.stack}
			if tc.stack == "" {
				args = args[:1]
			}
			var out, errs bytes.Buffer
			if code := run(args, &out, &errs); code != tc.code || !strings.Contains(errs.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errs.String(), tc.code, tc.want)
			}
		})
	}
}
