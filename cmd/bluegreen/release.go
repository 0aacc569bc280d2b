package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/safeship/lambda-bluegreen/internal/deployment"
)

// findRelease returns the version a finished release of fn's alias rolls back to (deployment.Reader.PreviousRelease),
// among the versions Lambda still has.
func findRelease(ctx context.Context, c clients, fn, alias, app, group, serving string) (deployment.Release, error) {
	return c.deployments().PreviousRelease(ctx, fn, alias, app, group, serving, func(ctx context.Context, version string) (bool, error) {
		return versionExists(ctx, c, fn, version)
	})
}

// versionExists reports whether the function still has the version: a post-traffic hook may prune old ones.
func versionExists(ctx context.Context, c clients, fn, version string) (bool, error) {
	_, err := c.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: &fn, Qualifier: &version})
	var missing *lambdatypes.ResourceNotFoundException
	switch {
	case errors.As(err, &missing):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("GetFunctionConfiguration %s:%s: %w", fn, version, err)
	}
	return true, nil
}
