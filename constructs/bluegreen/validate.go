package bluegreen

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

var aliasNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,128}$`)
var onlyDigits = regexp.MustCompile(`^[0-9]+$`)

// validate reports every problem with p, joined, or nil. It makes no call into the CDK (no Node round trip), so
// it is cheap and can be tested without an app.
func (p *DeploymentProps) validate() error {
	var errs []error
	switch {
	case p.Function != nil && p.FunctionProps != nil:
		errs = append(errs, errors.New("exactly one of Function and FunctionProps must be set, got both"))
	case p.Function == nil && p.FunctionProps == nil:
		errs = append(errs, errors.New("exactly one of Function and FunctionProps must be set, got neither"))
	}
	if p.AliasName != nil {
		errs = append(errs, validateAliasName(*p.AliasName))
	}
	if err := p.Strategy.Validate(); err != nil {
		for _, e := range unjoin(err) {
			errs = append(errs, fmt.Errorf("Strategy: %w", e))
		}
	}
	if err := p.GreenAlarms.Validate(); err != nil {
		for _, e := range unjoin(err) {
			errs = append(errs, fmt.Errorf("GreenAlarms.%w", e))
		}
	}
	if p.PreTraffic != nil && p.PreHook != nil {
		errs = append(errs, errors.New("at most one of PreTraffic and PreHook may be set, got both"))
	}
	if p.PostTraffic != nil && p.PostHook != nil {
		errs = append(errs, errors.New("at most one of PostTraffic and PostHook may be set, got both"))
	}
	if p.PreTraffic != nil {
		for _, e := range unjoin(p.PreTraffic.Validate()) {
			errs = append(errs, fmt.Errorf("PreTraffic.%w", e))
		}
	}
	if p.PostTraffic != nil {
		for _, e := range unjoin(p.PostTraffic.Validate()) {
			errs = append(errs, fmt.Errorf("PostTraffic.%w", e))
		}
	}
	for i, a := range p.Alarms {
		if a == nil {
			errs = append(errs, fmt.Errorf("Alarms[%d] must be an alarm, got nil", i))
		}
	}
	return errors.Join(errs...)
}

// unjoin returns the errors joined in err (by errors.Join), or err alone.
func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func validateAliasName(name string) error {
	if isToken(name) {
		return nil
	}
	if !aliasNamePattern.MatchString(name) || onlyDigits.MatchString(name) {
		return fmt.Errorf("AliasName must be 1 to 128 letters, digits, '-' or '_', and not only digits, got %q", name)
	}
	return nil
}

// isToken reports whether s holds an unresolved CDK token, whose value is only known at deploy time. It matches
// the string encoding CDK uses ("${Token[...]}") instead of asking Node.
func isToken(s string) bool {
	return strings.Contains(s, "${Token[")
}
