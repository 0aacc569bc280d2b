// Command handler is the notification Lambda that package notify deploys: for each CodeDeploy deployment state
// change it publishes a readable notice to the notification topic (see package formatter).
package main

import "github.com/safeship/lambda-bluegreen/constructs/notify/formatter"

func main() {
	formatter.Main()
}
