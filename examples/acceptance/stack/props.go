package stack

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/strategy"
	"github.com/safeship/lambda-bluegreen/internal/acceptance"
)

// DefaultRun is the run id (acceptance.TagKey's value) when the context sets none: a synth on a laptop.
const DefaultRun = "local"

// DefaultStackName is the stack's name when the context sets none: scenario 0 of run DefaultRun.
var DefaultStackName = acceptance.StackName(DefaultRun, 0)

// DefaultRelease is the release when the context sets none: commit c1 through the default canary.
var DefaultRelease = acceptance.Release{Commit: "c1"}

// Props configure the acceptance stack.
type Props struct {
	// StackProps are the stack's own props; Env pins it to an account and region. StackName and Tags are set
	// by NewStack (the caller's struct is not modified).
	//
	// Default: an environment-agnostic stack.
	StackProps awscdk.StackProps

	// Run is the run's id, acceptance.TagKey's value on the stack and every taggable resource.
	//
	// Default: DefaultRun.
	Run string

	// Release is what this deploy ships: its functions, their commits and the deployment's settings.
	//
	// Default: DefaultRelease.
	Release *acceptance.Release
}

// stackName is CloudFormation's rule for a stack's name: a letter, then letters, digits and hyphens, 128 at most.
var stackName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,127}$`)

// validate reports every problem with the stack's name and p (after defaults), joined, or nil.
func (p Props) validate(name string) error {
	var errs []error
	if !stackName.MatchString(name) {
		errs = append(errs, fmt.Errorf("the stack name must be a letter then up to 127 letters, digits or hyphens, got %q", name))
	}
	if msg := acceptance.ValidRunID(p.Run); msg != "" {
		//lint:ignore ST1005 it starts with the Go name of the field it is about (STYLE: errors name the field)
		errs = append(errs, fmt.Errorf("Run: %s", msg))
	}
	r := p.Release
	if len(r.Commits) == 0 && r.Commit == "" {
		errs = append(errs, errors.New(`Release.Commit must name the function's commit, got ""`))
	}
	for i, c := range r.Commits {
		if c == "" {
			errs = append(errs, fmt.Errorf(`Release.Commits[%d] must name the function's commit, got ""`, i))
		}
	}
	if len(r.Commits) > 100 {
		errs = append(errs, fmt.Errorf("Release.Commits must list at most 100 functions (Fn00 to Fn99), got %d", len(r.Commits)))
	}
	if _, err := strategy.ByName(r.StrategyName()); err != nil {
		errs = append(errs, fmt.Errorf("Release.Strategy: %w", err))
	}
	if !r.Fail.Valid() {
		errs = append(errs, fmt.Errorf("Release.Fail must be one of %v (or empty for a healthy release), got %q",
			acceptance.FailModes, string(r.Fail)))
	}
	if r.ProvisionedConcurrency < 0 {
		errs = append(errs, fmt.Errorf("Release.ProvisionedConcurrency must be 0 (none) or more, got %d", r.ProvisionedConcurrency))
	}
	return errors.Join(errs...)
}

// FromContext reads the stack's name (acceptance.ContextStack), the run (acceptance.ContextRun) and the release
// (acceptance.ContextRelease, the acceptance.Release as JSON) from the context of scope, each with its default
// (DefaultStackName, DefaultRun, DefaultRelease). A release whose JSON does not decode, or names a field
// acceptance.Release does not have, is an error.
func FromContext(scope constructs.Construct) (name string, props *Props, err error) {
	get := func(key string) interface{} { return scope.Node().TryGetContext(jsii.String(key)) }
	name, props = DefaultStackName, &Props{Run: DefaultRun}
	if v, ok := get(acceptance.ContextStack).(string); ok && v != "" {
		name = v
	}
	if v, ok := get(acceptance.ContextRun).(string); ok && v != "" {
		props.Run = v
	}
	release := DefaultRelease
	var raw []byte
	switch v := get(acceptance.ContextRelease).(type) {
	case nil:
	case string: // -c acceptance:release='{"commit":"c2"}'
		if strings.TrimSpace(v) != "" {
			raw = []byte(v)
		}
	default: // a JSON object in cdk.json or cdk.context.json
		if raw, err = json.Marshal(v); err != nil {
			return "", nil, fmt.Errorf("-c %s: %w", acceptance.ContextRelease, err)
		}
	}
	if raw != nil {
		release = acceptance.Release{}
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&release); err != nil {
			return "", nil, fmt.Errorf("-c %s must be an acceptance release as JSON, such as {\"commit\":\"c1\"}: %w",
				acceptance.ContextRelease, err)
		}
	}
	props.Release = &release
	return name, props, nil
}
