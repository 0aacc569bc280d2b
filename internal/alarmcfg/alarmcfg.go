// Package alarmcfg sends a deployment group's alarm configuration to CodeDeploy as it is meant: the AWS SDK for Go
// leaves a false "enabled" out of an UpdateDeploymentGroup request (the field is a plain bool, serialized only when
// true), and the API reference does not say what an absent one means. Every caller that turns alarm monitoring off
// (the release guard's abort mode, bluegreen recover) or back on says it explicitly.
package alarmcfg

import (
	"bytes"
	"context"
	"encoding/json"
	"io"

	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// ExplicitEnabled is an option of an UpdateDeploymentGroup call that writes alarmConfiguration.enabled into the
// request body, before it is signed.
func ExplicitEnabled(enabled bool) func(*codedeploy.Options) {
	return func(o *codedeploy.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Build.Add(middleware.BuildMiddlewareFunc("ExplicitAlarmsEnabled", func(ctx context.Context,
				in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
				req, ok := in.Request.(*smithyhttp.Request)
				if !ok || req.GetStream() == nil {
					return next.HandleBuild(ctx, in)
				}
				body, err := io.ReadAll(req.GetStream())
				if err != nil {
					return middleware.BuildOutput{}, middleware.Metadata{}, err
				}
				var doc map[string]interface{}
				if err := json.Unmarshal(body, &doc); err == nil {
					if ac, ok := doc["alarmConfiguration"].(map[string]interface{}); ok {
						ac["enabled"] = enabled
						if b, err := json.Marshal(doc); err == nil {
							body = b
						}
					}
				}
				if req, err = req.SetStream(bytes.NewReader(body)); err != nil {
					return middleware.BuildOutput{}, middleware.Metadata{}, err
				}
				req.ContentLength = int64(len(body))
				in.Request = req
				return next.HandleBuild(ctx, in)
			}), middleware.After)
		})
	}
}
