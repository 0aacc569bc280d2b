// Command handler is the Lambda function of a stack's release guard (package guard).
package main

import "github.com/safeship/lambda-bluegreen/constructs/release/guard"

func main() { guard.Main() }
