package strategy

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCustomEqualToPredefinedIsPredefined(t *testing.T) {
	cases := map[Strategy]Strategy{
		Canary(10, 5*time.Minute):  Canary10Percent5Minutes,
		Canary(10, 30*time.Minute): Canary10Percent30Minutes,
		Linear(10, time.Minute):    Linear10PercentEvery1Minute,
		Linear(10, 10*time.Minute): Linear10PercentEvery10Minutes,
	}
	for got, want := range cases {
		if got != want || !got.IsPredefined() {
			t.Errorf("%v: want predefined %v", got, want)
		}
	}
	if c := Canary(5, 5*time.Minute); c.IsPredefined() || c.PredefinedName() != "" {
		t.Errorf("Canary(5, 5m) must be custom, got %q", c.PredefinedName())
	}
}

func TestNames(t *testing.T) {
	cases := map[Strategy]string{
		AllAtOnce:                    "AllAtOnce",
		Canary10Percent15Minutes:     "Canary10Percent15Minutes",
		Linear10PercentEvery1Minute:  "Linear10PercentEvery1Minute",
		Linear10PercentEvery3Minutes: "Linear10PercentEvery3Minutes",
		Canary(7, 90*time.Minute):    "Canary7Percent90Minutes",
		Linear(25, time.Minute):      "Linear25PercentEvery1Minute",
		{}:                           "Unset",
	}
	for s, want := range cases {
		if s.String() != want {
			t.Errorf("String() = %q, want %q", s.String(), want)
		}
	}
	if got := Linear10PercentEvery2Minutes.PredefinedName(); got != "CodeDeployDefault.LambdaLinear10PercentEvery2Minutes" {
		t.Errorf("PredefinedName() = %q", got)
	}
	if got := AllAtOnce.PredefinedName(); got != "CodeDeployDefault.LambdaAllAtOnce" {
		t.Errorf("PredefinedName() = %q", got)
	}
}

func TestTimeline(t *testing.T) {
	cases := []struct {
		s     Strategy
		total time.Duration
		steps []Step
	}{
		{AllAtOnce, 0, []Step{{0, 100}}},
		{Canary10Percent5Minutes, 5 * time.Minute, []Step{{0, 10}, {5 * time.Minute, 100}}},
		{Linear(30, 2*time.Minute), 6 * time.Minute,
			[]Step{{0, 30}, {2 * time.Minute, 60}, {4 * time.Minute, 90}, {6 * time.Minute, 100}}},
		{Linear10PercentEvery10Minutes, 90 * time.Minute, nil},
	}
	for _, tc := range cases {
		if got := tc.s.TotalDuration(); got != tc.total {
			t.Errorf("%v: TotalDuration() = %v, want %v", tc.s, got, tc.total)
		}
		steps := tc.s.Steps()
		if last := steps[len(steps)-1]; last.Percent != 100 || last.At != tc.total {
			t.Errorf("%v: last step %+v, want 100 %% at %v", tc.s, last, tc.total)
		}
		if tc.steps == nil {
			continue
		}
		if len(steps) != len(tc.steps) {
			t.Fatalf("%v: %d steps, want %d", tc.s, len(steps), len(tc.steps))
		}
		for i := range steps {
			if steps[i] != tc.steps[i] {
				t.Errorf("%v: step %d = %+v, want %+v", tc.s, i, steps[i], tc.steps[i])
			}
		}
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		s    Strategy
		want string // "" for valid
	}{
		{Strategy{}, ""},
		{Canary(1, time.Minute), ""},
		{Canary(99, 48*time.Hour), ""},
		{Linear(1, 29*time.Minute), ""}, // 99 intervals × 29 min = 47h51m
		{Linear(50, 48*time.Hour), ""},  // one interval of 48 h
		{Canary(0, time.Minute), "canary percentage must be between 1 and 99, got 0"},
		{Canary(100, time.Minute), "canary percentage must be between 1 and 99, got 100"},
		{Canary(120, time.Minute), "canary percentage must be between 1 and 99, got 120"},
		{Canary(-5, time.Minute), "got -5"},
		{Linear(33, time.Minute), ""},
		{Linear(100, time.Minute), "linear percentage must be between 1 and 99, got 100"},
		{Canary(10, 0), "canary interval must be at least 1 minute, got 0s"},
		{Canary(10, -time.Minute), "canary interval must be at least 1 minute, got -1m0s"},
		{Canary(10, 61*time.Second), "canary interval must be whole minutes, got 1m1s"},
		{Canary(10, 48*time.Hour+time.Minute), "canary interval must be at most 48h0m0s"},
		{Linear(1, 30*time.Minute), "linear schedule must take at most 48h0m0s (CodeDeploy's limit), got 100 shifts 30m0s apart = 49h30m0s"},
		{Strategy{kind: Kind(9), percent: 10, interval: time.Minute}, "strategy kind must be AllAtOnce, Canary or Linear, got Kind(9)"},
	}
	for _, tc := range cases {
		err := tc.s.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v: unexpected error %v", tc.s, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%v: got %v, want an error containing %q", tc.s, err, tc.want)
		}
	}
	for _, p := range Predefined() {
		if err := p.Validate(); err != nil {
			t.Errorf("%v: %v", p, err)
		}
	}
}

func TestShareAt(t *testing.T) {
	cases := []struct {
		s    Strategy
		t    time.Duration
		want float64
	}{
		{AllAtOnce, 0, 100},
		{Canary10Percent5Minutes, -time.Second, 0},
		{Canary10Percent5Minutes, 3 * time.Minute, 10},
		{Canary10Percent5Minutes, 5 * time.Minute, 100},
		{Linear10PercentEvery1Minute, 3 * time.Minute, 40},
		{Linear10PercentEvery2Minutes, 3 * time.Minute, 20},
		{Linear10PercentEvery10Minutes, 3 * time.Minute, 10},
		{Linear(30, time.Minute), time.Hour, 100},
	}
	for _, tc := range cases {
		if got := tc.s.ShareAt(tc.t); got != tc.want {
			t.Errorf("%v.ShareAt(%v) = %v, want %v", tc.s, tc.t, got, tc.want)
		}
	}
}

// CodeDeploy's CanaryPercentage and LinearPercentage are integers (TimeBasedCanary, TimeBasedLinear): a percentage
// such as 10.5 must not compile.
func TestPercentIsWhole(t *testing.T) {
	for name, f := range map[string]interface{}{"Canary": Canary, "Linear": Linear} {
		if k := reflect.TypeOf(f).In(0).Kind(); k != reflect.Int {
			t.Errorf("%s takes its percentage as %v, want int", name, k)
		}
	}
	if k := reflect.TypeOf(Strategy.Percent).Out(0).Kind(); k != reflect.Int {
		t.Errorf("Percent returns %v, want int", k)
	}
	if got := Linear(30, time.Minute).Steps(); len(got) != 4 || got[3].Percent != 100 || got[2].Percent != 90 {
		t.Errorf("Linear(30, 1m) steps %+v", got)
	}
}

// A CDK number token converted to int or time.Duration is named as a token, with the reason, not reported as an
// odd number.
func TestTokenRefused(t *testing.T) {
	token := -1.8881545897087626e+289 // what awscdk.Token_AsNumber returns
	cases := []struct {
		s    Strategy
		want []string
	}{
		{Canary(int(token), 5*time.Minute), []string{"canary percentage must be a number known at synth, got -9223372036854775808",
			"CDK token", "converted to int", "CDK tokens are not supported in a strategy, because"}},
		{Linear(10, time.Duration(token*float64(time.Minute))), []string{"linear interval must be a duration known at synth",
			"converted to time.Duration", "CDK tokens are not supported"}},
		{Linear(math.MinInt, time.Duration(math.MinInt64)), []string{"linear percentage must be a number known at synth", "linear interval must be a duration known at synth"}},
	}
	for _, tc := range cases {
		err := tc.s.Validate()
		for _, want := range tc.want {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%v: got %v, want an error containing %q", tc.s, err, want)
			}
		}
		if err != nil && strings.Contains(err.Error(), "between 1 and 99") {
			t.Errorf("a token is reported as an out-of-range percentage: %v", err)
		}
	}
}

func TestByName(t *testing.T) {
	for _, s := range Predefined() {
		for _, name := range []string{s.String(), s.PredefinedName()} {
			if got, err := ByName(name); err != nil || got != s {
				t.Errorf("ByName(%q) = %v, %v; want %v", name, got, err, s)
			}
		}
	}
	for _, bad := range []string{"", "Canary5Percent5Minutes", "canary10percent5minutes"} {
		if _, err := ByName(bad); err == nil || !strings.Contains(err.Error(), "Canary10Percent5Minutes") {
			t.Errorf("ByName(%q) must fail naming the strategies allowed, got %v", bad, err)
		}
	}
}
