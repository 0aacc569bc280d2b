package main

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"time"

	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// shift is a Lambda deployment config's traffic routing: all at once, or canary or linear with a whole percentage
// and a whole number of minutes (CodeDeploy API reference, TimeBasedCanary and TimeBasedLinear: Integer).
type shift struct {
	kind     cdtypes.TrafficRoutingType
	percent  int
	interval time.Duration
}

// shiftStep is a point of the timeline: from at after the shift starts, green has percent of the traffic.
type shiftStep struct {
	at      time.Duration
	percent float64
}

func (s shift) valid() bool {
	switch s.kind {
	case cdtypes.TrafficRoutingTypeAllAtOnce:
		return true
	case cdtypes.TrafficRoutingTypeTimeBasedCanary, cdtypes.TrafficRoutingTypeTimeBasedLinear:
		return s.percent >= 1 && s.percent <= 99 && s.interval >= time.Minute
	}
	return false
}

// steps is the timeline: a canary shifts its percentage, then the rest after its interval; a linear shift adds its
// percentage every interval until green has all traffic (the same timeline as constructs/strategy).
func (s shift) steps() []shiftStep {
	switch s.kind {
	case cdtypes.TrafficRoutingTypeTimeBasedCanary:
		return []shiftStep{{0, float64(s.percent)}, {s.interval, 100}}
	case cdtypes.TrafficRoutingTypeTimeBasedLinear:
		var steps []shiftStep
		for i := 0; i*s.percent < 100; i++ {
			steps = append(steps, shiftStep{time.Duration(i) * s.interval, math.Min(100, float64((i+1)*s.percent))})
		}
		return steps
	case cdtypes.TrafficRoutingTypeAllAtOnce:
		return []shiftStep{{0, 100}}
	}
	return nil
}

// total is the time from the first shift to green having all traffic.
func (s shift) total() time.Duration {
	steps := s.steps()
	if len(steps) == 0 {
		return 0
	}
	return steps[len(steps)-1].at
}

// String names the shift as CodeDeploy names its predefined configs: Canary10Percent5Minutes,
// Linear10PercentEvery1Minute, AllAtOnce.
func (s shift) String() string {
	minutes := fmt.Sprintf("%dMinutes", int(s.interval/time.Minute))
	if s.interval == time.Minute {
		minutes = "1Minute"
	}
	switch s.kind {
	case cdtypes.TrafficRoutingTypeTimeBasedCanary:
		return fmt.Sprintf("Canary%dPercent%s", s.percent, minutes)
	case cdtypes.TrafficRoutingTypeTimeBasedLinear:
		return fmt.Sprintf("Linear%dPercentEvery%s", s.percent, minutes)
	case cdtypes.TrafficRoutingTypeAllAtOnce:
		return "AllAtOnce"
	}
	return "unknown"
}

var predefinedName = regexp.MustCompile(`^CodeDeployDefault\.Lambda(Canary|Linear)(\d+)Percent(?:Every)?(\d+)Minutes?$`)

// predefinedShift reads a predefined Lambda config from its name (CodeDeployDefault.LambdaCanary10Percent5Minutes,
// …LambdaLinear10PercentEvery1Minute, …LambdaAllAtOnce: CodeDeploy User Guide, "Deployment configurations on an AWS
// Lambda compute platform").
func predefinedShift(name string) shift {
	if name == "CodeDeployDefault.LambdaAllAtOnce" {
		return shift{kind: cdtypes.TrafficRoutingTypeAllAtOnce, percent: 100}
	}
	m := predefinedName.FindStringSubmatch(name)
	if m == nil {
		return shift{}
	}
	p, _ := strconv.Atoi(m[2])
	minutes, _ := strconv.Atoi(m[3])
	kind := cdtypes.TrafficRoutingTypeTimeBasedCanary
	if m[1] == "Linear" {
		kind = cdtypes.TrafficRoutingTypeTimeBasedLinear
	}
	return shift{kind: kind, percent: p, interval: time.Duration(minutes) * time.Minute}
}
