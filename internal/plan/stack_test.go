package plan

import (
	"os"
	"path/filepath"
	"testing"
)

// A stack inside a stage has three names: the artifact id, the display name the CDK CLI selects it by
// ("Prod/Service") and the CloudFormation name ("Prod-Service"), which CloudFormation tags its resources with.
func TestStackNamesAndFunctionLogicalID(t *testing.T) {
	dir := t.TempDir()
	for file, content := range map[string]string{
		"manifest.json": `{"artifacts":{"S":{"type":"aws:cloudformation:stack","properties":{"templateFile":"S.json"}},` +
			`"Prod":{"type":"cdk:cloud-assembly","properties":{"directoryName":"assembly-Prod"}}}}`,
		"S.json": `{"Resources":{` + deploymentResources("CodeDeployDefault.LambdaAllAtOnce", map[string]string{"ErrorRate": greenAlarm("ErrorRate", 4, 1, 60)}) + `}}`,
		"assembly-Prod/manifest.json": `{"artifacts":{"ProdServiceC810982D":{"type":"aws:cloudformation:stack",` +
			`"displayName":"Prod/Service","properties":{"templateFile":"P.json","stackName":"Prod-Service"}}}}`,
		"assembly-Prod/P.json": `{"Resources":{"ServiceFunction1234":{"Type":"AWS::Lambda::Function","Metadata":{"aws:cdk:path":"Prod/Service/Service/Function/Resource"}},` +
			`"ServiceAlias":{"Type":"AWS::Lambda::Alias","Metadata":{"aws:cdk:path":"Prod/Service/Service/Alias/Resource"},` +
			`"Properties":{"Name":"live","FunctionName":{"Ref":"ServiceFunction1234"}},` +
			`"UpdatePolicy":{"CodeDeployLambdaAliasUpdate":{"DeploymentGroupName":{"Ref":"Group"}}}},` +
			`"Group":{"Type":"AWS::CodeDeploy::DeploymentGroup","Properties":{"DeploymentConfigName":"CodeDeployDefault.LambdaAllAtOnce"}}}}`,
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, file)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, file), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ds, err := Read(dir)
	if err != nil || len(ds) != 2 {
		t.Fatalf("Read: %v, %+v", err, ds)
	}
	want := []Deployment{
		{Path: "Prod/Service/Service", Stack: "Prod/Service", StackName: "Prod-Service", FunctionLogicalID: "ServiceFunction1234", Alias: "live"},
		{Path: "S/Api", Stack: "S", StackName: "S", FunctionLogicalID: "Fn", Alias: "live"},
	}
	for i, w := range want {
		d := ds[i]
		if d.Path != w.Path || d.Stack != w.Stack || d.StackName != w.StackName || d.FunctionLogicalID != w.FunctionLogicalID || d.Alias != w.Alias {
			t.Errorf("deployment %d: path %q stack %q stackName %q function logical id %q alias %q; want %+v",
				i, d.Path, d.Stack, d.StackName, d.FunctionLogicalID, d.Alias, w)
		}
	}
}
