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
	"os"

	"github.com/safeship/lambda-bluegreen/internal/report"
)

func main() {
	dir := "cdk.out"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	findings, err := report.Findings(dir, "error", "fatal")
	if err != nil {
		fmt.Fprintln(os.Stderr, "checkreport:", err)
		os.Exit(2)
	}
	if len(findings) > 0 {
		fmt.Fprintf(os.Stderr, "checkreport: %d error-level findings in %s/%s:\n", len(findings), dir, report.FileName)
		for _, f := range findings {
			fmt.Fprintln(os.Stderr, "  "+f)
		}
		os.Exit(1)
	}
	fmt.Printf("checkreport: no error-level finding in %s/%s\n", dir, report.FileName)
}
