package main

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// Output helpers the commands share: how a version, a share of traffic, a command line or a message is written.

// serving says what an alias serves: one version alone, or its weights.
func serving(a *lambda.GetAliasOutput) string {
	v := aws.ToString(a.FunctionVersion)
	if a.RoutingConfig == nil || len(a.RoutingConfig.AdditionalVersionWeights) == 0 {
		return "serves version " + v + " alone"
	}
	var parts []string
	rest := 100.0
	for other, weight := range a.RoutingConfig.AdditionalVersionWeights {
		parts = append(parts, fmt.Sprintf("version %s %s", other, pct(weight*100)))
		rest -= weight * 100
	}
	sort.Strings(parts)
	return fmt.Sprintf("still sends traffic to more than one version: version %s %s, %s", v, pct(rest), strings.Join(parts, ", "))
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// pct formats a percentage with at most one decimal: "10 %", "12.5 %".
func pct(f float64) string {
	return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64) + " %"
}

// shellLine quotes args for a POSIX shell, so the operator can copy the line.
func shellLine(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		if plainWord.MatchString(a) {
			quoted[i] = a
		} else {
			quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(quoted, " ")
}
