package dnsswitch

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// WeightsContextKey is the context key WeightsFromContext reads:
// cdk deploy -c lambda-bluegreen:weights=blue=0,green=100.
const WeightsContextKey = "lambda-bluegreen:weights"

// MaxWeight is the largest weight Route 53 accepts for a weighted record.
const MaxWeight = 255

// Weights are the Route 53 weights of the two environments' records. An environment gets weight/(sum of weights)
// of the DNS answers, among the healthy ones. A weight of 0 takes an environment out of rotation; Route 53 still
// answers with it when every environment of non-zero weight is unhealthy.
type Weights struct {
	// Blue is the weight of the Blue environment's record, a whole number from 0 to 255.
	//
	// Default: 100.
	Blue *float64

	// Green is the weight of the Green environment's record, a whole number from 0 to 255.
	//
	// Default: 0.
	Green *float64
}

const (
	// DefaultBlueWeight is the weight of Blue when a Switch's Weights leave it unset.
	DefaultBlueWeight = 100
	// DefaultGreenWeight is the weight of Green when a Switch's Weights leave it unset: all traffic goes to Blue.
	DefaultGreenWeight = 0
)

// Over returns w with every weight that o sets replaced by o's. w and o may be nil; the result is never nil and
// shares nothing with them.
func (w *Weights) Over(o *Weights) *Weights {
	out := &Weights{}
	if w != nil {
		out.Blue, out.Green = copyf(w.Blue), copyf(w.Green)
	}
	if o != nil {
		if o.Blue != nil {
			out.Blue = copyf(o.Blue)
		}
		if o.Green != nil {
			out.Green = copyf(o.Green)
		}
	}
	return out
}

// String formats w as WeightsFromContext reads it ("blue=100,green=0"), with unset weights left out.
func (w *Weights) String() string {
	if w == nil {
		return ""
	}
	var parts []string
	if w.Blue != nil {
		parts = append(parts, "blue="+strconv.FormatFloat(*w.Blue, 'f', -1, 64))
	}
	if w.Green != nil {
		parts = append(parts, "green="+strconv.FormatFloat(*w.Green, 'f', -1, 64))
	}
	return strings.Join(parts, ",")
}

// resolved returns the weights with the defaults applied.
func (w *Weights) resolved() (blue, green float64) {
	blue, green = DefaultBlueWeight, DefaultGreenWeight
	if w != nil && w.Blue != nil {
		blue = *w.Blue
	}
	if w != nil && w.Green != nil {
		green = *w.Green
	}
	return blue, green
}

// Validate reports every problem with w, with its defaults applied, or nil: each weight must be a whole number
// from 0 to 255, and not both may be 0.
func (w *Weights) Validate() error {
	blue, green := w.resolved()
	errs := []error{checkWeight("Blue", blue), checkWeight("Green", green)}
	if errors.Join(errs...) == nil && blue == 0 && green == 0 {
		errs = append(errs, errors.New("weights must not all be 0, got blue=0 and green=0: "+
			"Route 53 would then answer with both environments alike; give the environment that should serve a "+
			"weight above 0"))
	}
	return errors.Join(errs...)
}

func checkWeight(name string, v float64) error {
	if math.IsNaN(v) || v < 0 || v > MaxWeight || v != math.Trunc(v) {
		return fmt.Errorf("%s weight must be a whole number from 0 to %d, got %v", name, MaxWeight, v)
	}
	return nil
}

// ParseWeights reads weights written as "blue=N,green=M" (either may be left out; spaces are ignored) and
// checks that each given weight is a whole number from 0 to 255. Whether the weights leave an environment
// serving is checked by Validate, once they are merged with the code's (Over).
func ParseWeights(s string) (*Weights, error) {
	w := &Weights{}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New(`weights must be written as "blue=N,green=M", got an empty value`)
	}
	for _, part := range strings.Split(s, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		name, value = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value)
		if !ok {
			return nil, fmt.Errorf(`weights must be written as "blue=N,green=M", got %q`, s)
		}
		i, err := strconv.Atoi(value)
		if err != nil {
			return nil, fmt.Errorf("weight of %s must be a whole number from 0 to %d, got %q", name, MaxWeight, value)
		}
		n := float64(i)
		var dst **float64
		switch name {
		case "blue":
			dst = &w.Blue
		case "green":
			dst = &w.Green
		default:
			return nil, fmt.Errorf(`weights name the environments "blue" and "green", got %q in %q`, name, s)
		}
		if *dst != nil {
			return nil, fmt.Errorf("weights give %s twice in %q", name, s)
		}
		if err := checkWeight(name, n); err != nil {
			return nil, err
		}
		*dst = &n
	}
	return w, nil
}

// WeightsFromContext reads the weights given on the command line with -c lambda-bluegreen:weights=blue=N,green=M
// (WeightsContextKey). It returns nil, nil when the key is not set, and an error naming the key when its value
// cannot be read or a weight is out of range. Merge the result over the code's weights with Weights.Over.
// Weights from the command line last for that deploy only: a later deploy without them sets the weights of the
// code again, so commit a switch you want to keep.
func WeightsFromContext(scope constructs.Construct) (*Weights, error) {
	raw := scope.Node().TryGetContext(jsii.String(WeightsContextKey))
	if raw == nil {
		return nil, nil
	}
	s, ok := raw.(string)
	if !ok {
		return nil, fmt.Errorf(`context %s must be a string "blue=N,green=M", got %v`, WeightsContextKey, raw)
	}
	w, err := ParseWeights(s)
	if err != nil {
		return nil, fmt.Errorf("context %s: %w", WeightsContextKey, err)
	}
	return w, nil
}

func copyf(f *float64) *float64 {
	if f == nil {
		return nil
	}
	v := *f
	return &v
}
