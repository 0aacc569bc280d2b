package bluegreen

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"

	"github.com/safeship/lambda-bluegreen/constructs/alarms"
	"github.com/safeship/lambda-bluegreen/internal/check"
)

// DefaultConcurrentExecutionsQuota is Lambda's default quota of concurrent executions per account and region
// ("Concurrent executions: 1,000", Lambda Developer Guide, "Lambda quotas"); it can be raised in Service Quotas.
// DeploymentProps.ConcurrentExecutionsQuota states a raised one.
const DefaultConcurrentExecutionsQuota = 1000

// MinUnreservedConcurrency is the concurrency Lambda keeps unreserved in an account and region for the functions
// without reserved concurrency: reserved and provisioned concurrency may not take it ("You can reserve up to the
// Unreserved account concurrency value that is shown, minus 100", Lambda Developer Guide, "Configuring reserved
// concurrency for a function").
const MinUnreservedConcurrency = 100

var aliasNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,128}$`)
var onlyDigits = regexp.MustCompile(`^[0-9]+$`)
var numberedVersion = regexp.MustCompile(`^[1-9][0-9]*$`)

// functionFacts are what validation reads of the function being shipped: its timeout and its reserved
// concurrency, from FunctionProps or from the given Function.
type functionFacts struct {
	timeout      time.Duration
	timeoutKnown bool // false for a timeout known only at deploy time
	// reserved is ReservedConcurrentExecutions; hasReserved is false when the function sets none, and
	// reservedUnknown true when it sets one that synth cannot read (a token).
	reserved        float64
	hasReserved     bool
	reservedUnknown bool
}

// factsOf reads the function's facts from p: from FunctionProps, or from Function (its Timeout and its
// AWS::Lambda::Function definition; each read is a call into the CDK).
func factsOf(p *DeploymentProps) functionFacts {
	var f functionFacts
	var timeout awscdk.Duration
	var reserved *float64
	switch {
	case p.Function != nil:
		timeout = p.Function.Timeout()
		cfn, ok := p.Function.Node().DefaultChild().(awslambda.CfnFunction)
		if !ok {
			f.reservedUnknown = true
			break
		}
		reserved = cfn.ReservedConcurrentExecutions()
	case p.FunctionProps != nil:
		timeout = p.FunctionProps.Timeout
		reserved = p.FunctionProps.ReservedConcurrentExecutions
	default:
		return functionFacts{reservedUnknown: true}
	}
	f.timeout, f.timeoutKnown = alarms.FunctionTimeout(timeout)
	switch {
	case reserved == nil:
	case known(*reserved):
		f.reserved, f.hasReserved = *reserved, true
	default:
		f.reservedUnknown = true
	}
	return f
}

// validate reports every problem with p, joined, or nil, reading the function's facts first (factsOf).
func (p *DeploymentProps) validate() error {
	return p.validateWith(factsOf(p))
}

// validateWith reports every problem with p, joined, or nil; fn are the facts of p's function. It makes no call
// into the CDK (no Node round trip), so it is cheap and can be tested without an app.
func (p *DeploymentProps) validateWith(fn functionFacts) error {
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
	if fn.timeoutKnown {
		errs = append(errs, check.Prefix("GreenAlarms.", p.GreenAlarms.ValidateTimeout(fn.timeout))...)
	}
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
	errs = append(errs, p.validateAliasOptions(fn, sameName)...)
	return errors.Join(errs...)
}

// sameName names each field of DeploymentProps as it is.
func sameName(field string) string { return field }

// AliasOptionsError reports every problem with the alias options of p (AliasDescription, ProvisionedConcurrency,
// ProvisionedConcurrencyScaling and ConcurrentExecutionsQuota), checked against p's function as NewDeployment
// checks them, or nil; name gives the name of each of those fields in the error ("ProvisionedConcurrency" →
// "Functions[2].ProvisionedConcurrency"). A construct that builds DeploymentProps from props of its own
// (service.New) calls it to refuse its props, in its own words, before it defines anything.
func AliasOptionsError(p *DeploymentProps, name func(field string) string) error {
	if p == nil {
		return nil
	}
	if name == nil {
		name = sameName
	}
	return errors.Join(p.validateAliasOptions(factsOf(p), name)...)
}

// maxAliasDescription is the longest alias description CloudFormation accepts (AWS::Lambda::Alias, Description:
// "Minimum: 0, Maximum: 256").
const maxAliasDescription = 256

// validateAliasOptions checks AliasDescription and the provisioned concurrency props against the function's
// facts fn; name gives each field's name in the errors (see AliasOptionsError).
//
// Provisioned concurrency is a whole number of at least 1 (Lambda API Reference, PutProvisionedConcurrencyConfig,
// ProvisionedConcurrentExecutions: "Type: Integer, Valid Range: Minimum value of 1"), and never more than the
// function's reserved concurrency ("You can't allocate more provisioned concurrency than reserved concurrency for
// a function", Lambda Developer Guide, "Configuring provisioned concurrency"). aws-cdk-lib refuses a utilization
// target outside 0.1 to 0.9 (ScalableFunctionAttribute.scaleOnUtilization: "Utilization Target should be between
// 0.1 and 0.9"); checking it here reports it with every other problem, before anything is defined.
//
// A function without reserved concurrency is not unbounded: its provisioned concurrency comes out of the
// account's unreserved concurrency in the region, of which Lambda always keeps 100 for the functions without
// reserved concurrency:
//   - "Provisioned concurrency counts towards a function's reserved concurrency and Regional quotas" (Lambda
//     Developer Guide, "Configuring provisioned concurrency for a function",
//     https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html);
//   - "You can reserve up to the Unreserved account concurrency value that is shown, minus 100 for functions that
//     don't have reserved concurrency" (Lambda Developer Guide, "Configuring reserved concurrency for a function",
//     https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html), and PutProvisionedConcurrencyConfig
//     refuses more with "Specified ConcurrentExecutions for function decreases account's
//     UnreservedConcurrentExecution below its minimum value of [100]" (reported in anomalyco/sst#5829);
//   - the quota of concurrent executions is "1,000" per region by default and can be increased (Lambda Developer
//     Guide, "Lambda quotas", https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
//
// So with the default quota such a function gets at most 900, and only while no other function of the account and
// region reserves or provisions any: synth refuses more, and ConcurrentExecutionsQuota states a raised quota.
// Synth cannot see the rest of the account, so passing this check does not promise Lambda accepts the amount.
func (p *DeploymentProps) validateAliasOptions(fn functionFacts, name func(string) string) []error {
	var errs []error
	if d := p.AliasDescription; d != nil && !check.IsToken(*d) && len(*d) > maxAliasDescription {
		errs = append(errs, fmt.Errorf("%s must be at most %d characters, got %d", name("AliasDescription"),
			maxAliasDescription, len(*d)))
	}
	fixed, scaling := p.ProvisionedConcurrency, p.ProvisionedConcurrencyScaling
	if fixed != nil && scaling != nil {
		errs = append(errs, fmt.Errorf("at most one of %s and %s may be set, got both", name("ProvisionedConcurrency"),
			name("ProvisionedConcurrencyScaling")))
	}
	quota, quotaKnown := float64(DefaultConcurrentExecutionsQuota), true
	if q := p.ConcurrentExecutionsQuota; q != nil {
		quota, quotaKnown = *q, known(*q)
		if quotaKnown && (*q < 1 || *q != math.Trunc(*q)) {
			errs = append(errs, fmt.Errorf("%s must be a whole number from 1 (your account's Lambda quota of "+
				"concurrent executions in the region), got %g", name("ConcurrentExecutionsQuota"), *q))
			quotaKnown = false
		}
	}
	overLimit := func(field string, v float64) error {
		switch {
		case fn.hasReserved && v > fn.reserved:
			return fmt.Errorf("%s must be at most the function's ReservedConcurrentExecutions (%g): Lambda cannot "+
				"allocate more provisioned concurrency than reserved concurrency, got %g", field, fn.reserved, v)
		case fn.hasReserved || fn.reservedUnknown || !quotaKnown:
			return nil
		}
		limit := math.Max(quota-MinUnreservedConcurrency, 0)
		if v <= limit {
			return nil
		}
		stated := fmt.Sprintf("Lambda's default quota of %d concurrent executions per region", DefaultConcurrentExecutionsQuota)
		if p.ConcurrentExecutionsQuota != nil {
			stated = fmt.Sprintf("%s %g", name("ConcurrentExecutionsQuota"), quota)
		}
		return fmt.Errorf("%s must be at most %g for a function without ReservedConcurrentExecutions (%s minus the %d "+
			"that Lambda keeps unreserved for functions without reserved concurrency), got %g: Lambda draws provisioned "+
			"concurrency from the account's unreserved concurrency and refuses more; if your account's quota is "+
			"raised (Service Quotas, AWS Lambda, Concurrent executions), set %s to it, or set the function's "+
			"ReservedConcurrentExecutions", field, limit, stated, MinUnreservedConcurrency, v,
			name("ConcurrentExecutionsQuota"))
	}
	if fixed != nil && known(*fixed) {
		if *fixed < 0 || *fixed != math.Trunc(*fixed) {
			errs = append(errs, fmt.Errorf("%s must be a whole number from 1 (or 0 to release it), got %g",
				name("ProvisionedConcurrency"), *fixed))
		} else {
			errs = append(errs, overLimit(name("ProvisionedConcurrency"), *fixed))
		}
	}
	if scaling != nil {
		errs = append(errs, check.Prefix(name("ProvisionedConcurrencyScaling")+".", scaling.validate())...)
		if scaling.MaxCapacity != nil && known(*scaling.MaxCapacity) {
			errs = append(errs, check.Prefix(name("ProvisionedConcurrencyScaling")+".",
				overLimit("MaxCapacity", *scaling.MaxCapacity))...)
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
