package alarms_test

import (
	"fmt"
	"time"

	"github.com/safeship/lambda-bluegreen/constructs/alarms"
)

// The worst-case time for the default error-rate alarm to fire on a green that fails every request: one 60-second
// datapoint plus two minutes of metric lag.
func ExampleDetectionTime() {
	fmt.Println(alarms.DetectionTime(alarms.DefaultPeriod, 1))
	fmt.Println(alarms.DetectionTime(5*time.Minute, 2))
	// Output:
	// 3m0s
	// 12m0s
}
