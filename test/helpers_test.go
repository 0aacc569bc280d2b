// Package test holds template-level tests of the constructs, the smoke test of the example app and the tests that
// read the example app's shared synth (sharedExample); the other template tests are in test/deployment. One
// Node.js process (started by the jsii runtime) serves the tests of a package, one call at a time: two packages
// are two test binaries, which go test runs side by side. Their shared helpers are in test/testkit.
package test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"

	releaseguard "github.com/safeship/lambda-bluegreen/constructs/release"
	"github.com/safeship/lambda-bluegreen/test/testkit"
)

// onlyOwnResource is testkit.OnlyResource among the resources that are not the stack's release guard's (every
// stack with a Deployment has one: a function, its role and log group, and an EventBridge rule per CodeDeploy
// application).
func onlyOwnResource(t testing.TB, tmpl assertions.Template, typ string) (string, map[string]interface{}) {
	t.Helper()
	var id string
	var found map[string]interface{}
	n := 0
	for k, r := range testkit.Resources(tmpl, typ) {
		path, _ := r["Metadata"].(map[string]interface{})["aws:cdk:path"].(string)
		if strings.Contains(path, "/"+releaseguard.GuardID+"/") || strings.HasPrefix(k, releaseguard.GuardID) {
			continue
		}
		id, found, n = k, r, n+1
	}
	if n != 1 {
		t.Fatalf("want exactly one %s besides the release guard's, got %d", typ, n)
	}
	return id, found
}

// nagErrors returns the unsuppressed cdk-nag errors (AwsSolutions and Serverless packs) on stack, each as
// "rule: finding".
func nagErrors(t testing.TB, stack awscdk.Stack) []string {
	t.Helper()
	var out []string
	for _, m := range testkit.SynthMessages(t, stack, "error", regexp.MustCompile("AwsSolutions-.*|Serverless-.*")) {
		out = append(out, fmt.Sprintf("%s: %v", m.ID, m.Data))
	}
	return out
}
