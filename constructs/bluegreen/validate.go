package bluegreen

import (
	"errors"
	"fmt"
	"math"
	"regexp"

	"github.com/safeship/lambda-bluegreen/internal/check"
)

var aliasNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,128}$`)
var onlyDigits = regexp.MustCompile(`^[0-9]+$`)
var numberedVersion = regexp.MustCompile(`^[1-9][0-9]*$`)

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
	errs = append(errs, check.Prefix("Strategy: ", p.Strategy.Validate())...)
	errs = append(errs, check.Prefix("GreenAlarms.", p.GreenAlarms.Validate())...)
	if p.PreTraffic != nil && p.PreHook != nil {
		errs = append(errs, errors.New("at most one of PreTraffic and PreHook may be set, got both"))
	}
	if p.PostTraffic != nil && p.PostHook != nil {
		errs = append(errs, errors.New("at most one of PostTraffic and PostHook may be set, got both"))
	}
	if p.PreTraffic != nil {
		errs = append(errs, check.Prefix("PreTraffic.", p.PreTraffic.Validate())...)
	}
	if p.PostTraffic != nil {
		errs = append(errs, check.Prefix("PostTraffic.", p.PostTraffic.Validate())...)
		oneStep := (p.EmergencyBypass != nil && *p.EmergencyBypass) || p.PinnedVersion != nil
		post := p.PostTraffic
		if !oneStep {
			errs = append(errs, TrafficGateError(p.Strategy, post.RequiredInvocations()))
		} else if post.SkipAlarmCheck && post.KeepVersions == nil && post.RequiredInvocations() > 0 {
			errs = append(errs, errors.New("PostTraffic: under the emergency bypass or a pin the traffic gate "+
				"MinInvocations is not applied, and with SkipAlarmCheck the hook has nothing left to check: set "+
				"KeepVersions, drop SkipAlarmCheck, or drop PostTraffic"))
		}
	}
	if p.PinnedVersion != nil && !check.IsToken(*p.PinnedVersion) && !numberedVersion.MatchString(*p.PinnedVersion) {
		errs = append(errs, fmt.Errorf("PinnedVersion must be a published version number such as \"6\" "+
			"($LATEST and aliases cannot be pinned), got %q", *p.PinnedVersion))
	}
	for i, a := range p.Alarms {
		if a == nil {
			//lint:ignore ST1005 it starts with the Go name of the field it is about (STYLE: errors name the field)
			errs = append(errs, fmt.Errorf("Alarms[%d] must be an alarm, got nil", i))
		}
	}
	errs = append(errs, p.validateAliasOptions()...)
	return errors.Join(errs...)
}

// maxAliasDescription is the longest alias description CloudFormation accepts (AWS::Lambda::Alias, Description:
// "Minimum: 0, Maximum: 256").
const maxAliasDescription = 256

// validateAliasOptions checks AliasDescription and the provisioned concurrency props.
//
// Provisioned concurrency is a whole number of at least 1 (Lambda API Reference, PutProvisionedConcurrencyConfig,
// ProvisionedConcurrentExecutions: "Type: Integer, Valid Range: Minimum value of 1"), and never more than the
// function's reserved concurrency ("You can't allocate more provisioned concurrency than reserved concurrency for
// a function", Lambda Developer Guide, "Configuring provisioned concurrency"). aws-cdk-lib refuses a utilization
// target outside 0.1 to 0.9 (ScalableFunctionAttribute.scaleOnUtilization: "Utilization Target should be between
// 0.1 and 0.9"); checking it here reports it with every other problem, before anything is defined.
func (p *DeploymentProps) validateAliasOptions() []error {
	var errs []error
	if d := p.AliasDescription; d != nil && !check.IsToken(*d) && len(*d) > maxAliasDescription {
		errs = append(errs, fmt.Errorf("AliasDescription must be at most %d characters, got %d", maxAliasDescription,
			len(*d)))
	}
	fixed, scaling := p.ProvisionedConcurrency, p.ProvisionedConcurrencyScaling
	if fixed != nil && scaling != nil {
		errs = append(errs, errors.New("at most one of ProvisionedConcurrency and ProvisionedConcurrencyScaling may be "+
			"set, got both"))
	}
	reserved, hasReserved := -1.0, false
	if p.FunctionProps != nil {
		if r := p.FunctionProps.ReservedConcurrentExecutions; r != nil && known(*r) {
			reserved, hasReserved = *r, true
		}
	}
	overReserved := func(field string, v float64) error {
		if hasReserved && v > reserved {
			return fmt.Errorf("%s must be at most the function's ReservedConcurrentExecutions (%g): Lambda cannot "+
				"allocate more provisioned concurrency than reserved concurrency, got %g", field, reserved, v)
		}
		return nil
	}
	if fixed != nil && known(*fixed) {
		if *fixed < 0 || *fixed != math.Trunc(*fixed) {
			errs = append(errs, fmt.Errorf("ProvisionedConcurrency must be a whole number from 1 (or 0 to release "+
				"it), got %g", *fixed))
		} else {
			errs = append(errs, overReserved("ProvisionedConcurrency", *fixed))
		}
	}
	if scaling != nil {
		errs = append(errs, check.Prefix("ProvisionedConcurrencyScaling.", scaling.validate())...)
		if scaling.MaxCapacity != nil && known(*scaling.MaxCapacity) {
			errs = append(errs, check.Prefix("ProvisionedConcurrencyScaling.",
				overReserved("MaxCapacity", *scaling.MaxCapacity))...)
		}
	}
	return errs
}

// validate reports every problem with s, joined, or nil.
func (s *ProvisionedConcurrencyScaling) validate() error {
	var errs []error
	lo := s.min()
	if s.MinCapacity != nil && known(lo) && (lo < 1 || lo != math.Trunc(lo)) {
		errs = append(errs, fmt.Errorf("MinCapacity must be a whole number from 1, got %g", lo))
	}
	switch hi := s.MaxCapacity; {
	case hi == nil:
		errs = append(errs, errors.New("MaxCapacity must be set, got nil"))
	case !known(*hi):
	case *hi != math.Trunc(*hi) || (known(lo) && *hi < lo) || *hi < 1:
		errs = append(errs, fmt.Errorf("MaxCapacity must be a whole number from MinCapacity (%g), got %g", lo, *hi))
	}
	switch u := s.TargetUtilization; {
	case u == nil:
		errs = append(errs, errors.New("TargetUtilization must be set (from 0.1 to 0.9), got nil"))
	case known(*u) && (*u < 0.1 || *u > 0.9):
		errs = append(errs, fmt.Errorf("TargetUtilization must be from 0.1 to 0.9, got %g", *u))
	}
	return errors.Join(errs...)
}

// provisionedConcurrencyRange returns the range of the alias's provisioned concurrency: ProvisionedConcurrency
// for both ends, or ProvisionedConcurrencyScaling's capacities; ok is false when neither is set.
func (p *DeploymentProps) provisionedConcurrencyRange() (lo, hi float64, ok bool) {
	switch {
	case p.ProvisionedConcurrency != nil:
		return *p.ProvisionedConcurrency, *p.ProvisionedConcurrency, true
	case p.ProvisionedConcurrencyScaling != nil:
		return p.ProvisionedConcurrencyScaling.min(), *p.ProvisionedConcurrencyScaling.MaxCapacity, true
	}
	return 0, 0, false
}

// min returns MinCapacity with its default applied.
func (s *ProvisionedConcurrencyScaling) min() float64 {
	if s.MinCapacity == nil {
		return 1
	}
	return *s.MinCapacity
}

// known reports whether v is a number known at synth rather than an unresolved CDK token. CDK encodes a number
// token as a very large negative number (about -1.89e289); no count or ratio is near it.
func known(v float64) bool { return v > -1e288 }

func validateAliasName(name string) error {
	if check.IsToken(name) {
		return nil
	}
	if !aliasNamePattern.MatchString(name) || onlyDigits.MatchString(name) {
		return fmt.Errorf("AliasName must be 1 to 128 letters, digits, '-' or '_', and not only digits, got %q", name)
	}
	return nil
}
