// Command hello is the example service's HTTP handler: a Lambda function behind a function URL that answers
// GET / with a greeting and the version that served it, and GET /health with {"ok":true}. It runs on the
// provided.al2023 runtime, built by package gobuild.
package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// reply is the JSON body of every answer.
type reply struct {
	Message string `json:"message,omitempty"`
	Version string `json:"version,omitempty"`
	OK      bool   `json:"ok"`
}

func handle(ctx context.Context, req events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error) {
	method := req.RequestContext.HTTP.Method
	if method != "" && method != http.MethodGet {
		return respond(http.StatusMethodNotAllowed, reply{Message: "only GET is served"})
	}
	switch req.RawPath {
	case "/health":
		return respond(http.StatusOK, reply{OK: true})
	case "", "/":
		return respond(http.StatusOK, reply{
			Message: "hello from a blue/green Lambda",
			Version: os.Getenv("AWS_LAMBDA_FUNCTION_VERSION"),
			OK:      true,
		})
	default:
		return respond(http.StatusNotFound, reply{Message: "no route for " + req.RawPath})
	}
}

func respond(status int, body reply) (events.LambdaFunctionURLResponse, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return events.LambdaFunctionURLResponse{}, err
	}
	return events.LambdaFunctionURLResponse{
		StatusCode: status,
		Headers:    map[string]string{"content-type": "application/json"},
		Body:       string(b),
	}, nil
}

func main() {
	lambda.Start(handle)
}
