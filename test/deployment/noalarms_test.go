package deployment

import (
	"testing"
	"time"

	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/alarms"
	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/strategy"
	"github.com/safeship/lambda-bluegreen/test/testkit"
)

// A canary or linear shift with no rollback alarm at all protects nothing: synth warns, once every AddAlarm had
// its chance (the check runs at synth), and stays quiet when an alarm is there or the shift is all at once.
func TestNoAlarmsWarning(t *testing.T) {
	off := alarms.Options{Disabled: true}
	allOff := alarms.Options{ErrorRate: alarms.ErrorRateOptions{Disabled: true},
		RelativeErrorRate: alarms.RelativeErrorRateOptions{Disabled: true},
		Throttles:         alarms.ThrottleOptions{Disabled: true}, Latency: alarms.LatencyOptions{Disabled: true}}
	cases := []struct {
		name     string
		props    bluegreen.DeploymentProps
		addAlarm bool
		want     string // "" for no warning
	}{
		{"canary without alarms", bluegreen.DeploymentProps{GreenAlarms: off},
			false, "Canary10Percent5Minutes shifts traffic gradually, but this deployment has no rollback alarm"},
		{"linear without alarms", bluegreen.DeploymentProps{GreenAlarms: off, Strategy: strategy.Linear(20, 2*time.Minute)},
			false, "a broken green reaches 100 % of traffic after 8m0s"},
		{"every green alarm off one by one", bluegreen.DeploymentProps{GreenAlarms: allOff},
			false, "[ack: " + bluegreen.NoAlarmsWarning + "]"},
		{"an alarm added after construction", bluegreen.DeploymentProps{GreenAlarms: off}, true, ""},
		{"the default green alarms", bluegreen.DeploymentProps{}, false, ""},
		{"all at once", bluegreen.DeploymentProps{GreenAlarms: off, Strategy: strategy.AllAtOnce}, false, ""},
		{"emergency bypass", bluegreen.DeploymentProps{GreenAlarms: off, EmergencyBypass: jsii.Bool(true)}, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stack := testkit.NewStack(t)
			p := tc.props
			d := testkit.Deploy(t, stack, "Api", &p)
			if tc.addAlarm {
				d.AddAlarm(newAlarm(stack, "Late"))
			}
			warnings := testkit.Annotations(t, stack, "warning")
			warned := testkit.ContainsText(warnings, bluegreen.NoAlarmsWarning)
			switch {
			case tc.want == "" && warned:
				t.Errorf("unexpected no-alarm warning: %v", warnings)
			case tc.want != "" && !testkit.ContainsText(warnings, tc.want):
				t.Errorf("warnings %v do not contain %q", warnings, tc.want)
			}
		})
	}
}
