package gobuild_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/gobuild"
)

// Build a handler into an asset folder for provided.al2023 on arm64.
func ExampleBuild() {
	dir, err := gobuild.Build("../../examples/handlers/hello", &gobuild.Options{CacheDir: os.TempDir() + "/gobuild-example"})
	if err != nil {
		fmt.Println(err)
		return
	}
	entries, _ := os.ReadDir(dir)
	fmt.Println(filepath.Base(filepath.Dir(dir)), entries[0].Name())
	// Output: gobuild-example bootstrap
}

// A Go handler as a Lambda function, ready for bluegreen.DeploymentProps.Function. The relative Entry is resolved
// against the working directory: the folder holding cdk.json under cdk synth.
func ExampleNewFunction() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Service"), nil)
	gobuild.NewFunction(stack, "Api", &gobuild.Props{
		Entry:    "examples/handlers/hello",
		Function: &awslambda.FunctionProps{MemorySize: jsii.Number(256)},
	})
}
