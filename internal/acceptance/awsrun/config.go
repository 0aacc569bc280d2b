package awsrun

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/safeship/lambda-bluegreen/internal/acceptance"
)

// Errors Run and Cleanup wrap, so that a command can choose its exit code.
var (
	// ErrInvalid: the configuration is wrong (bad usage).
	ErrInvalid = errors.New("invalid configuration")
	// ErrRefused: the credentials are of another account than the one named, or the operator did not confirm.
	ErrRefused = errors.New("refused")
	// ErrUnreadable: AWS could not be read before anything was created (no credentials, access denied, an API
	// error).
	ErrUnreadable = errors.New("AWS could not be read")
)

// Clock is the time the run measures and waits with. Sleep returns early with the context's error.
type Clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

// RealClock is the wall clock.
type RealClock struct{}

// Now is time.Now.
func (RealClock) Now() time.Time { return time.Now() }

// Sleep waits d, or until ctx ends.
func (RealClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Config is what a run does and where.
type Config struct {
	// Account is the 12-digit AWS account the run must run in: the caller's account must be this one.
	Account string
	// Region is the AWS region.
	Region string
	// Run is the run's id (acceptance.ValidRunID). Default: a random one of 8 characters.
	Run string
	// Scenarios are the names of the scenarios to play. Default: every scenario of acceptance.Scenarios.
	Scenarios []string
	// ReportDir is where the report is written. Default: acceptance-report.
	ReportDir string
	// Yes confirms without asking. Default: the operator types the account id on In.
	Yes bool
	// LibraryVersion is the library's version, for the report.
	LibraryVersion string

	// Rate is how many requests a second the traffic generator sends each function. Default: 2.
	Rate float64
	// MaxRequests caps the requests sent to each function in one step. Default: the step's bound at the rate
	// (StepTimeout × Rate: 5,400 at the defaults), so that the cap cannot run out while the step goes on, however
	// long synthesis, the asset upload and the change set take before the stack operation starts; the cost bound
	// counts it in full.
	MaxRequests int
	// PollInterval is the time between two reads of a stack, an alias, an alarm or the notification queue while
	// waiting. Default: 5 s.
	PollInterval time.Duration
	// StepTimeout bounds each step. Default: 45 minutes.
	StepTimeout time.Duration
	// RunTimeout bounds the whole run (cleanup after it has its own EndTimeout). Default: 8 hours.
	RunTimeout time.Duration
	// EndTimeout bounds the deletion of one scenario's stack. Default: 30 minutes.
	EndTimeout time.Duration
	// NoticeQuiet is how long the notification queue must stay empty after a step before the step's notices are
	// taken as all read (EventBridge, the formatter, SNS and SQS deliver them within seconds). Default: 60 s.
	NoticeQuiet time.Duration
	// NoticeWait bounds the wait for the queue to fall quiet after a step. Default: 5 minutes.
	NoticeWait time.Duration
	// AlarmWait bounds the wait, before a step, for the business alarm to reach ALARM (a BusinessAlarm fault) or OK
	// (ClearBusinessAlarm). Default: 10 minutes.
	AlarmWait time.Duration

	// In is where the confirmation is read, Out where the plan and progress are written.
	In  io.Reader
	Out io.Writer
	// Clock measures and waits. Default: RealClock.
	Clock Clock
}

var accountID = regexp.MustCompile(`^[0-9]{12}$`)
var regionName = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)

// withDefaults returns c with every default applied, and the run id generated when empty.
func (c Config) withDefaults() Config {
	if c.Run == "" {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		c.Run = hex.EncodeToString(b)
	}
	if c.ReportDir == "" {
		c.ReportDir = "acceptance-report"
	}
	if c.Rate <= 0 {
		c.Rate = 2
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.PollInterval, 5*time.Second)
	def(&c.StepTimeout, 45*time.Minute)
	def(&c.RunTimeout, 8*time.Hour)
	def(&c.EndTimeout, 30*time.Minute)
	def(&c.NoticeQuiet, time.Minute)
	def(&c.NoticeWait, 5*time.Minute)
	def(&c.AlarmWait, 10*time.Minute)
	if c.MaxRequests <= 0 {
		c.MaxRequests = int(c.StepTimeout.Seconds() * c.Rate)
	}
	if c.Clock == nil {
		c.Clock = RealClock{}
	}
	if c.Out == nil {
		c.Out = io.Discard
	}
	if c.In == nil {
		c.In = strings.NewReader("")
	}
	return c
}

// Validate says everything wrong with the configuration (errors.Join), wrapped in ErrInvalid; nil when it is
// right. The run id may be empty (one is generated).
func (c Config) Validate() error {
	var errs []error
	if !accountID.MatchString(c.Account) {
		errs = append(errs, fmt.Errorf("account must be 12 digits, got %q", c.Account))
	}
	if !regionName.MatchString(c.Region) {
		errs = append(errs, fmt.Errorf("region must be a region name such as eu-west-1, got %q", c.Region))
	}
	if c.Run != "" {
		if p := acceptance.ValidRunID(c.Run); p != "" {
			errs = append(errs, errors.New(p))
		}
	}
	for _, n := range c.Scenarios {
		if _, ok := scenarioIndex(n); !ok {
			errs = append(errs, fmt.Errorf("scenario %q does not exist (the scenarios: %s)", n, strings.Join(names(), ", ")))
		}
	}
	if c.Rate > 20 {
		errs = append(errs, fmt.Errorf("rate must be at most 20 requests a second, got %g", c.Rate))
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalid, errors.Join(errs...))
}

// selected are the scenarios the configuration names, in the table's order (all of them when none is named).
func (c Config) selected() []acceptance.Scenario {
	if len(c.Scenarios) == 0 {
		return acceptance.Scenarios
	}
	want := map[string]bool{}
	for _, n := range c.Scenarios {
		want[n] = true
	}
	var out []acceptance.Scenario
	for _, s := range acceptance.Scenarios {
		if want[s.Name] {
			out = append(out, s)
		}
	}
	return out
}

// scenarioIndex is the scenario's index in acceptance.Scenarios: its stack's number (acceptance.StackName).
func scenarioIndex(name string) (int, bool) {
	for i, s := range acceptance.Scenarios {
		if s.Name == name {
			return i, true
		}
	}
	return 0, false
}

func names() []string {
	var out []string
	for _, s := range acceptance.Scenarios {
		out = append(out, s.Name)
	}
	return out
}

// MaskAccount shows only the account's last four digits: ********1234.
func MaskAccount(account string) string {
	if len(account) <= 4 {
		return account
	}
	return strings.Repeat("*", len(account)-4) + account[len(account)-4:]
}
