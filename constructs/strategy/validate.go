package strategy

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Validate reports every way s breaks CodeDeploy's rules, joined with errors.Join, or nil when s is valid (the
// zero Strategy is valid: it means "use the default"). Percentages must be whole numbers from 1 to 99; intervals
// must be whole minutes of at least 1 minute; the whole schedule must fit in MaxSchedule (48 hours).
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
	if math.IsNaN(s.percent) || s.percent != math.Trunc(s.percent) || s.percent < 1 || s.percent > 99 {
		errs = append(errs, fmt.Errorf("%s percentage must be a whole number from 1 to 99, got %v", name, s.percent))
	}
	intervalOK := true
	if s.interval < time.Minute {
		intervalOK = false
		errs = append(errs, fmt.Errorf("%s interval must be at least 1 minute, got %v", name, s.interval))
	} else if s.interval%time.Minute != 0 {
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
