package dnsswitch

import (
	"math"
	"strings"
	"testing"
)

func f(v float64) *float64 { return &v }

func TestWeightsValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		w    *Weights
		want string
	}{
		{"defaults", nil, ""},
		{"edges", &Weights{Blue: f(0), Green: f(255)}, ""},
		{"above 255", &Weights{Green: f(256)}, "Green weight must be a whole number from 0 to 255, got 256"},
		{"negative", &Weights{Blue: f(-1)}, "Blue weight must be a whole number from 0 to 255, got -1"},
		{"fraction", &Weights{Blue: f(2.5)}, "got 2.5"},
		{"NaN", &Weights{Blue: f(math.NaN())}, "got NaN"},
		{"all zero", &Weights{Blue: f(0)}, "weights must not all be 0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.w.Validate()
			if c.want == "" {
				if err != nil {
					t.Fatalf("want no error, got %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want %q, got %v", c.want, err)
			}
		})
	}
}

func TestWeightsOverAndString(t *testing.T) {
	code := &Weights{Blue: f(100), Green: f(0)}
	got := code.Over(&Weights{Green: f(30)})
	if got.String() != "blue=100,green=30" {
		t.Fatalf("got %s", got)
	}
	*got.Blue = 1
	if *code.Blue != 100 {
		t.Fatal("Over must not share pointers with its inputs")
	}
	if s := (*Weights)(nil).Over(nil).String(); s != "" {
		t.Fatalf("nil over nil: got %q", s)
	}
	parsed, err := ParseWeights(got.String())
	if err != nil || parsed.String() != got.String() {
		t.Fatalf("String must read back with ParseWeights: %v %v", parsed, err)
	}
}

func TestSwitchPropsValidateWithoutCDK(t *testing.T) {
	// Everything here is plain Go values: no Node round trip.
	blue := &Endpoint{DomainName: s("api.example.com"), RegionalDomainName: s("d-1.execute-api.eu-west-1.amazonaws.com"),
		RegionalHostedZoneId: s("ZLY8HYME6SFDD"), Region: s("eu-west-1")}
	green := &Endpoint{DomainName: s("api.example.com"), RegionalDomainName: s("d-2.execute-api.eu-west-1.amazonaws.com"),
		RegionalHostedZoneId: s("ZLY8HYME6SFDD"), Region: s("eu-west-1")}
	p := &SwitchProps{RecordName: s("API.Example.com."), Blue: blue, Green: green}
	err := p.validate("example.com")
	for _, want := range []string{
		"Zone must be the hosted zone of the record name, got nil",
		"Blue and Green must be in different regions", "got both in region eu-west-1",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q, got %v", want, err)
		}
	}
	if strings.Contains(err.Error(), "RecordName") || strings.Contains(err.Error(), "DomainName") {
		t.Errorf("names differing only in case and final dot are the same name: %v", err)
	}
	green.Region = s("us-east-1")
	if err := (&SwitchProps{RecordName: s("api.example.com"), Blue: blue, Green: green}).validate("example.com"); !strings.Contains(fmtErr(err), "Zone must be") || strings.Contains(fmtErr(err), "regions") {
		t.Errorf("two regions must pass the region check: %v", err)
	}
	none := &SwitchProps{}
	msg := fmtErr(none.validate(""))
	for _, want := range []string{"Blue must be an environment's Endpoint, got nil", "Green must be an environment's Endpoint, got nil",
		"RecordName must be set when Blue is nil"} {
		if !strings.Contains(msg, want) {
			t.Errorf("want %q in %s", want, msg)
		}
	}
}

func TestCheckDomainName(t *testing.T) {
	for name, ok := range map[string]bool{
		"api.example.com": true, "example.com.": true, "*.example.com": true, "a_b.example.com": true,
		"": false, "api..example.com": false, "-api.example.com": false, "api-.example.com": false,
		strings.Repeat("a", 64) + ".com": false, "${Token[TOKEN.1]}": true,
	} {
		if err := checkDomainName("RecordName", name); (err == nil) != ok {
			t.Errorf("%q: ok=%v, got %v", name, ok, err)
		}
	}
}

func s(v string) *string { return &v }

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
