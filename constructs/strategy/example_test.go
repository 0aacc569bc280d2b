package strategy_test

import (
	"fmt"
	"time"

	"github.com/safeship/lambda-bluegreen/constructs/strategy"
)

// A custom linear strategy: its name, when each shift happens, and whether CodeDeploy accepts it.
func ExampleLinear() {
	s := strategy.Linear(25, 3*time.Minute)
	fmt.Println(s, s.TotalDuration(), s.Validate())
	for _, step := range s.Steps() {
		fmt.Printf("%v → %v%%\n", step.At, step.Percent)
	}
	// Output:
	// Linear25PercentEvery3Minutes 9m0s <nil>
	// 0s → 25%
	// 3m0s → 50%
	// 6m0s → 75%
	// 9m0s → 100%
}

// Percentages must be from 1 to 99, intervals whole minutes.
func ExampleStrategy_Validate() {
	fmt.Println(strategy.Canary(120, 90*time.Second).Validate())
	// Output:
	// canary percentage must be between 1 and 99, got 120
	// canary interval must be whole minutes, got 1m30s
}
