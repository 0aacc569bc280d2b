package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestHandle(t *testing.T) {
	t.Setenv("AWS_LAMBDA_FUNCTION_VERSION", "7")
	cases := []struct {
		name, method, path string
		status             int
		want               reply
	}{
		{"root", "GET", "/", 200, reply{Message: "hello from a blue/green Lambda", Version: "7", OK: true}},
		{"health", "GET", "/health", 200, reply{OK: true}},
		{"unknown path", "GET", "/nope", 404, reply{Message: "no route for /nope"}},
		{"wrong method", "POST", "/", 405, reply{Message: "only GET is served"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := events.LambdaFunctionURLRequest{RawPath: tc.path}
			req.RequestContext.HTTP.Method = tc.method
			res, err := handle(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != tc.status {
				t.Errorf("status = %d, want %d", res.StatusCode, tc.status)
			}
			var got reply
			if err := json.Unmarshal([]byte(res.Body), &got); err != nil {
				t.Fatalf("body %q: %v", res.Body, err)
			}
			if got != tc.want {
				t.Errorf("body = %+v, want %+v", got, tc.want)
			}
		})
	}
}
