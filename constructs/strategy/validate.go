package strategy

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Validate reports every way s breaks CodeDeploy's rules, joined with errors.Join, or nil when s is valid (the
// zero Strategy is valid: it means "use the default"). Percentages must be from 1 to 99; intervals must be whole
// minutes of at least 1 minute; the whole schedule must fit in MaxSchedule (48 hours). A percentage or interval
// that came from a CDK token is refused with the reason (see Canary).
func (s Strategy) Validate() error {
	if s.IsZero() || s.IsPredefined() {
		return nil
	}
	name := "canary"
	if s.kind == KindLinear {
		name = "linear"
	} else if s.kind != KindCanary {
		return fmt.Errorf("strategy kind must be AllAtOnce, Canary or Linear, got %v", s.kind)
	}
	var errs []error
	switch {
	case s.percent == math.MinInt:
		errs = append(errs, fmt.Errorf("%s percentage must be a number known at synth, got %d, which is what Go "+
			"makes of a CDK token (such as a CfnParameter's ValueAsNumber) converted to int: %s", name, s.percent,
			tokenReason))
	case s.percent < 1 || s.percent > 99:
		errs = append(errs, fmt.Errorf("%s percentage must be between 1 and 99, got %d", name, s.percent))
	}
	intervalOK := true
	switch {
	case s.interval == math.MinInt64:
		intervalOK = false
		errs = append(errs, fmt.Errorf("%s interval must be a duration known at synth, got %v, which is what Go "+
			"makes of a CDK token (such as a CfnParameter's ValueAsNumber) converted to time.Duration: %s", name,
			s.interval, tokenReason))
	case s.interval < time.Minute:
		intervalOK = false
		errs = append(errs, fmt.Errorf("%s interval must be at least 1 minute, got %v", name, s.interval))
	case s.interval%time.Minute != 0:
		intervalOK = false
		errs = append(errs, fmt.Errorf("%s interval must be whole minutes, got %v", name, s.interval))
	}
	if intervalOK && len(errs) == 0 && s.TotalDuration() > MaxSchedule {
		if s.kind == KindCanary {
			errs = append(errs, fmt.Errorf("canary interval must be at most %v (CodeDeploy's limit), got %v",
				MaxSchedule, s.interval))
		} else {
			errs = append(errs, fmt.Errorf("linear schedule must take at most %v (CodeDeploy's limit), "+
				"got %d shifts %v apart = %v", MaxSchedule, s.linearSteps(), s.interval, s.TotalDuration()))
		}
	}
	return errors.Join(errs...)
}

// tokenReason says why a strategy cannot come from a CDK token. Go turns a CDK number token (a float64 near
// -1.89e289) converted to int or int64 into the smallest int64 on amd64 and arm64, so that is how a token shows.
const tokenReason = "CDK tokens are not supported in a strategy, because its CodeDeploy configuration " +
	"(predefined or custom, and the custom one's construct id), its traffic timeline and the synth checks of alarm " +
	"timing are all worked out from the numbers at synth; choose the strategy in Go, for example from context (-c)"
