// Package deployment holds the template tests of the Deployment construct (strategies, green alarms, bad input,
// the quota and stack size checks), the model of the AWS rules a release depends on (lifecycle_model_test.go) and
// the docs tests. It is a package of its own, apart from test/, so that go test runs it as a second test binary
// beside test's, on the other core: the jsii runtime's Node.js process takes one call at a time. The helpers both
// packages use are in test/testkit.
package deployment

import (
	"os"
	"testing"

	"github.com/safeship/lambda-bluegreen/test/testkit"
)

// TestMain runs the tests with testkit.Main, which keeps the lifecycle model's synthesized releases (their cloud
// assemblies, made by testkit.MkdirShared) until they end.
func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }
