// Command handler is the traffic hook Lambda that package hooks deploys: for each CodeDeploy lifecycle event it
// tests the version the deployment is shifting to and reports Succeeded or Failed (see package runner).
package main

import "github.com/safeship/lambda-bluegreen/constructs/hooks/runner"

func main() {
	runner.Main()
}
