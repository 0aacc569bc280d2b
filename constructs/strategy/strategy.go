package strategy

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kind says how a strategy moves traffic from blue to green.
type Kind int

const (
	// KindAllAtOnce shifts all traffic to green in one step.
	KindAllAtOnce Kind = iota + 1
	// KindCanary shifts a percentage of traffic to green, waits one interval, then shifts the rest.
	KindCanary
	// KindLinear shifts the same percentage of traffic to green every interval until green has all of it.
	KindLinear
)

// String returns "AllAtOnce", "Canary" or "Linear".
func (k Kind) String() string {
	switch k {
	case KindAllAtOnce:
		return "AllAtOnce"
	case KindCanary:
		return "Canary"
	case KindLinear:
		return "Linear"
	default:
		return "Kind(" + strconv.Itoa(int(k)) + ")"
	}
}

// MaxSchedule is the longest traffic shift CodeDeploy runs for a Lambda deployment: 48 hours (2,880 minutes).
const MaxSchedule = 48 * time.Hour

// Strategy is how CodeDeploy shifts traffic from blue to green: all at once, canary or linear. It is an immutable
// value; build one with AllAtOnce, Canary or Linear, or use a predefined one such as Canary10Percent5Minutes.
//
// The zero Strategy means "not set": constructs that take a Strategy apply their own default to it.
type Strategy struct {
	kind       Kind
	percent    int
	interval   time.Duration
	predefined string
}

// Step is one traffic shift of a deployment: at At after the deployment starts, green serves Percent of traffic.
type Step struct {
	// At is the time since the first traffic shift.
	At time.Duration
	// Percent is the share of traffic on green from At on, 0 to 100.
	Percent float64
}

const predefinedPrefix = "CodeDeployDefault.Lambda"

// Predefined CodeDeploy configurations for Lambda. A Strategy equal to one of these (for example
// Canary(10, 5*time.Minute)) uses the predefined CodeDeploy configuration and defines no resource.
var (
	// AllAtOnce shifts all traffic to green at once (CodeDeployDefault.LambdaAllAtOnce).
	AllAtOnce = predefined(KindAllAtOnce, 100, 0)
	// Canary10Percent5Minutes shifts 10 % of traffic, then the rest 5 minutes later.
	Canary10Percent5Minutes = predefined(KindCanary, 10, 5*time.Minute)
	// Canary10Percent10Minutes shifts 10 % of traffic, then the rest 10 minutes later.
	Canary10Percent10Minutes = predefined(KindCanary, 10, 10*time.Minute)
	// Canary10Percent15Minutes shifts 10 % of traffic, then the rest 15 minutes later.
	Canary10Percent15Minutes = predefined(KindCanary, 10, 15*time.Minute)
	// Canary10Percent30Minutes shifts 10 % of traffic, then the rest 30 minutes later.
	Canary10Percent30Minutes = predefined(KindCanary, 10, 30*time.Minute)
	// Linear10PercentEvery1Minute shifts 10 % of traffic every minute (100 % after 9 minutes).
	Linear10PercentEvery1Minute = predefined(KindLinear, 10, time.Minute)
	// Linear10PercentEvery2Minutes shifts 10 % of traffic every 2 minutes (100 % after 18 minutes).
	Linear10PercentEvery2Minutes = predefined(KindLinear, 10, 2*time.Minute)
	// Linear10PercentEvery3Minutes shifts 10 % of traffic every 3 minutes (100 % after 27 minutes).
	Linear10PercentEvery3Minutes = predefined(KindLinear, 10, 3*time.Minute)
	// Linear10PercentEvery10Minutes shifts 10 % of traffic every 10 minutes (100 % after 90 minutes).
	Linear10PercentEvery10Minutes = predefined(KindLinear, 10, 10*time.Minute)
)

// Predefined returns every predefined CodeDeploy configuration for Lambda, all-at-once first.
func Predefined() []Strategy {
	return []Strategy{
		AllAtOnce,
		Canary10Percent5Minutes, Canary10Percent10Minutes, Canary10Percent15Minutes, Canary10Percent30Minutes,
		Linear10PercentEvery1Minute, Linear10PercentEvery2Minutes, Linear10PercentEvery3Minutes,
		Linear10PercentEvery10Minutes,
	}
}

// ByName returns the predefined strategy with the name, as Strategy.String gives it ("Canary10Percent5Minutes") or
// as CodeDeploy names its configuration (PredefinedName: "CodeDeployDefault.LambdaCanary10Percent5Minutes"). The
// error names every strategy allowed.
func ByName(name string) (Strategy, error) {
	names := make([]string, 0, len(Predefined()))
	for _, s := range Predefined() {
		if name == s.String() || name == s.PredefinedName() {
			return s, nil
		}
		names = append(names, s.String())
	}
	return Strategy{}, fmt.Errorf("the strategy must be one of %s (or CodeDeploy's name of one), got %q",
		strings.Join(names, ", "), name)
}

// Default is the strategy constructs use when none is given: canary 10 % for 5 minutes.
func Default() Strategy { return Canary10Percent5Minutes }

func predefined(kind Kind, percent int, interval time.Duration) Strategy {
	s := Strategy{kind: kind, percent: percent, interval: interval}
	s.predefined = predefinedPrefix + s.String()
	return s
}

// Canary shifts percent of traffic to green, waits interval, then shifts the rest. percent must be from 1 to 99
// (an int: CodeDeploy's CanaryPercentage is an integer) and interval whole minutes from 1 minute to 48 hours;
// Validate (and every construct that takes the strategy) reports a value outside those bounds. A canary equal to a
// predefined one uses the predefined CodeDeploy configuration.
//
// Both must be known at synth: a CDK token (a CfnParameter's ValueAsNumber, awscdk.Token_AsNumber) converted to
// an int or a time.Duration is refused by Validate, because the CodeDeploy configuration (predefined or custom,
// and the custom one's construct id), the traffic timeline and the synth checks of alarm timing are all worked
// out from the numbers at synth. Choose the strategy in Go instead, for example from context (-c).
func Canary(percent int, interval time.Duration) Strategy {
	return custom(KindCanary, percent, interval)
}

// Linear shifts percent of traffic to green every interval until green serves all of it: the first shift happens
// when the deployment starts and the last one after interval × (⌈100 / percent⌉ − 1). percent must be from 1 to
// 99 (an int: CodeDeploy's LinearPercentage is an integer), interval whole minutes of at least 1 minute, and the
// whole schedule at most 48 hours; Validate reports a value outside those bounds. A linear strategy equal to a
// predefined one uses the predefined CodeDeploy configuration. Like Canary, it takes no CDK token.
func Linear(percent int, interval time.Duration) Strategy {
	return custom(KindLinear, percent, interval)
}

func custom(kind Kind, percent int, interval time.Duration) Strategy {
	s := Strategy{kind: kind, percent: percent, interval: interval}
	for _, p := range Predefined() {
		if p.kind == s.kind && p.percent == s.percent && p.interval == s.interval {
			return p
		}
	}
	return s
}

// Kind returns how the strategy shifts traffic; 0 for the zero Strategy.
func (s Strategy) Kind() Kind { return s.kind }

// Percent returns the share of traffic moved by each shift: the canary's first step or each linear step, and 100
// for all-at-once.
func (s Strategy) Percent() int { return s.percent }

// Interval returns the time between shifts: a canary's bake time or a linear step; 0 for all-at-once.
func (s Strategy) Interval() time.Duration { return s.interval }

// IsZero reports whether s is the zero Strategy ("not set").
func (s Strategy) IsZero() bool { return s == Strategy{} }

// IsPredefined reports whether s is one of CodeDeploy's predefined Lambda configurations.
func (s Strategy) IsPredefined() bool { return s.predefined != "" }

// PredefinedName returns CodeDeploy's name for a predefined configuration, for example
// "CodeDeployDefault.LambdaCanary10Percent5Minutes", or "" for a custom strategy.
func (s Strategy) PredefinedName() string { return s.predefined }

// String names the strategy the way CodeDeploy names its configurations: "AllAtOnce",
// "Canary10Percent5Minutes", "Linear10PercentEvery1Minute", "Linear5PercentEvery90Minutes".
func (s Strategy) String() string {
	switch s.kind {
	case KindAllAtOnce:
		return "AllAtOnce"
	case KindCanary:
		return fmt.Sprintf("Canary%dPercent%s", s.percent, formatMinutes(s.interval))
	case KindLinear:
		return fmt.Sprintf("Linear%dPercentEvery%s", s.percent, formatMinutes(s.interval))
	default:
		return "Unset"
	}
}

// Steps returns the traffic timeline of the strategy: when each shift happens and the share green serves from then
// on. All-at-once has one step, a canary two, a linear strategy ⌈100 / percent⌉. The last step is always 100 %.
// The timeline of an invalid strategy is not meaningful; call Validate first.
func (s Strategy) Steps() []Step {
	switch s.kind {
	case KindCanary:
		return []Step{{At: 0, Percent: float64(s.percent)}, {At: s.interval, Percent: 100}}
	case KindLinear:
		if s.percent <= 0 {
			return nil
		}
		n := s.linearSteps()
		steps := make([]Step, 0, n)
		for i := 0; i < n; i++ {
			steps = append(steps, Step{At: time.Duration(i) * s.interval, Percent: float64(min(100, (i+1)*s.percent))})
		}
		return steps
	case KindAllAtOnce:
		return []Step{{At: 0, Percent: 100}}
	default:
		return nil
	}
}

// TotalDuration returns how long the traffic shift takes, from the first shift to 100 % on green: 0 for
// all-at-once, the interval for a canary, interval × (⌈100 / percent⌉ − 1) for linear.
func (s Strategy) TotalDuration() time.Duration {
	switch s.kind {
	case KindCanary:
		return s.interval
	case KindLinear:
		if s.percent <= 0 {
			return 0
		}
		return time.Duration(s.linearSteps()-1) * s.interval
	default:
		return 0
	}
}

// linearSteps returns ⌈100 / percent⌉ for a percent of at least 1.
func (s Strategy) linearSteps() int {
	if s.percent >= 100 {
		return 1
	}
	return (100 + s.percent - 1) / s.percent
}

func formatMinutes(d time.Duration) string {
	if d%time.Minute != 0 {
		return d.String()
	}
	m := int64(d / time.Minute)
	if m == 1 {
		return "1Minute"
	}
	return strconv.FormatInt(m, 10) + "Minutes"
}

// ShareAt returns the percentage of traffic green serves at t after the first shift: the last step at or before
// t, or 0 before the deployment starts (t < 0). It is the exposure of a broken green that nothing has stopped
// by t.
func (s Strategy) ShareAt(t time.Duration) float64 {
	share := 0.0
	for _, step := range s.Steps() {
		if step.At <= t {
			share = step.Percent
		}
	}
	return share
}
