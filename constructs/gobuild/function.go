package gobuild

import (
	"errors"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/internal/check"
)

// Props configure NewFunction: a Lambda function that runs a Go main package, built without Docker.
type Props struct {
	// Entry is the folder holding the handler's Go main package, or its import path
	// ("example.com/shop/cmd/api"). A relative folder is resolved against the working directory of the process
	// that synthesizes, not against the Go file that names it: the folder holding cdk.json under cdk synth (or
	// ./cdkw), the package's folder under go test. An error names the construct path and what Entry resolved to.
	// Required.
	Entry string

	// Build tunes the go build (see Options).
	//
	// Default: arm64, only the lambda.norpc tag, go from PATH, binaries kept under the user cache directory.
	Build *Options

	// Function holds the function's other props (memory, timeout, environment, role…). Code, Runtime
	// (provided.al2023) and Architecture are set from the build, and Handler to "bootstrap" unless set. The
	// caller's struct is not modified.
	//
	// Default: CDK's defaults for everything else.
	Function *awslambda.FunctionProps
}

// NewFunction builds the Go main package in props.Entry (see Build) and defines a Lambda function with construct
// id id that runs it: runtime provided.al2023, the architecture it was built for, handler bootstrap. Give it to
// bluegreen.DeploymentProps.Function to ship it blue/green.
//
// NewFunction panics, naming the construct path, when Entry is missing or does not build, and when CDK refuses
// the function's props; nothing is added to the tree then.
func NewFunction(scope constructs.Construct, id string, props *Props) awslambda.Function {
	p := Props{}
	if props != nil {
		p = *props
	}
	if p.Entry == "" {
		panic(check.WithPath(scope, id, errors.New("invalid gobuild.Props: Entry must be a folder holding a Go "+
			"main package, or its import path, got \"\"")))
	}
	o := withDefaults(p.Build)
	dir, err := Build(p.Entry, &o)
	if err != nil {
		panic(check.WithPath(scope, id, err))
	}
	taken := scope.Node().TryFindChild(jsii.String(id)) != nil
	defer func() {
		if r := recover(); r != nil {
			if !taken { // CDK refused the props: take the half-defined function out of the tree again
				scope.Node().TryRemoveChild(jsii.String(id))
			}
			panic(check.WithPath(scope, id, r))
		}
	}()
	code := awslambda.Code_FromAsset(jsii.String(dir), nil)
	return awslambda.NewFunction(scope, jsii.String(id), functionProps(code, o, p.Function))
}
