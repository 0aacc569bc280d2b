package bluegreen

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/safeship/lambda-bluegreen/constructs/strategy"
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
		allAtOnce := p.Strategy.Kind() == strategy.KindAllAtOnce || (p.EmergencyBypass != nil && *p.EmergencyBypass)
		if post := p.PostTraffic; allAtOnce && post.SkipAlarmCheck && post.KeepVersions == nil && post.RequiredInvocations() > 0 {
			errs = append(errs, errors.New("PostTraffic: under all-at-once (or the emergency bypass) the traffic gate "+
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
			errs = append(errs, fmt.Errorf("Alarms[%d] must be an alarm, got nil", i))
		}
	}
	return errors.Join(errs...)
}

func validateAliasName(name string) error {
	if check.IsToken(name) {
		return nil
	}
	if !aliasNamePattern.MatchString(name) || onlyDigits.MatchString(name) {
		return fmt.Errorf("AliasName must be 1 to 128 letters, digits, '-' or '_', and not only digits, got %q", name)
	}
	return nil
}
