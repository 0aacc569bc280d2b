// Command checkreport fails when a synthesized cloud assembly's validation report has error-level findings:
// AWS's offline CloudFormation validator and, in apps with @aws-cdk/core:annotationsInValidationReport, error
// annotations such as unsuppressed cdk-nag rules. Pipelines run it after cdk synth.
//
//	go run github.com/safeship/lambda-bluegreen/cmd/checkreport [cdk.out]
//
// Exit codes: 0 no error-level finding, 1 findings (listed on standard error), 2 no readable report.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/safeship/lambda-bluegreen/internal/report"
)

// blocking are the severities that fail the check: a report's errors and its fatal findings.
var blocking = []string{"error", "fatal"}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run checks the assembly named in args (default cdk.out) and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	dir := "cdk.out"
	if len(args) > 0 {
		dir = args[0]
	}
	findings, err := report.Findings(dir, blocking...)
	if err != nil {
		fmt.Fprintln(stderr, "checkreport:", err)
		return 2
	}
	if len(findings) > 0 {
		fmt.Fprintf(stderr, "checkreport: %d error-level findings in %s/%s:\n", len(findings), dir, report.FileName)
		for _, f := range findings {
			fmt.Fprintln(stderr, "  "+f)
		}
		return 1
	}
	fmt.Fprintf(stdout, "checkreport: no error-level finding in %s/%s\n", dir, report.FileName)
	return 0
}
