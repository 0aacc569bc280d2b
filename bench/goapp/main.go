// Command goapp is the Go side of the whole-process synth benchmark (bench/run.sh): one stack, Bench, with N
// protected functions (bluegreen.NewDeployment with the default green alarms), each running the prebuilt handler
// in one asset folder. bench/ts defines the same resources with aws-cdk-lib in TypeScript.
//
// Context (cdk synth -c, or CDK_CONTEXT_JSON as bench/run.sh passes it):
//
//	bench:functions  N, the number of protected functions (default 1; 0 synthesizes the empty stack: the floor of
//	                 any CDK app in the language)
//	bench:asset      folder holding the handler's bootstrap (required)
//
// Each function costs the stack 11 resources: 44 is the most one stack holds beside the shared ones (CloudFormation's quota is 500).
package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	n, err := intContext(app.Node().TryGetContext(jsii.String("bench:functions")), 1)
	asset, _ := app.Node().TryGetContext(jsii.String("bench:asset")).(string)
	if err == nil && asset == "" {
		err = fmt.Errorf("-c bench:asset must name the folder holding the handler's bootstrap, got nothing")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "goapp:", err)
		os.Exit(2)
	}
	stack := awscdk.NewStack(app, jsii.String("Bench"), nil)
	code := awslambda.Code_FromAsset(jsii.String(asset), nil) // one asset, shared by every function
	for j := 0; j < n; j++ {
		bluegreen.NewDeployment(stack, "Fn"+strconv.Itoa(j), &bluegreen.DeploymentProps{
			FunctionProps: &awslambda.FunctionProps{
				Code:         code,
				Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
				Architecture: awslambda.Architecture_ARM_64(),
				Handler:      jsii.String("bootstrap"),
				Environment:  &map[string]*string{"INDEX": jsii.String(strconv.Itoa(j))},
			},
		})
	}
	app.Synth(nil)
}

// intContext reads a whole number from a context value: a JSON number, or a string from the command line.
func intContext(v interface{}, def int) (int, error) {
	switch x := v.(type) {
	case nil:
		return def, nil
	case float64:
		if x >= 0 && x == float64(int(x)) {
			return int(x), nil
		}
	case string:
		if i, err := strconv.Atoi(x); err == nil && i >= 0 {
			return i, nil
		}
	}
	return 0, fmt.Errorf("-c bench:functions must be a whole number of at least 0, got %v", v)
}
