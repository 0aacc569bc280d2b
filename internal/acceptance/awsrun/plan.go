package awsrun

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/safeship/lambda-bluegreen/internal/acceptance"
)

// The assumptions of the plan's duration. A step's expected time is the model's time for it (its stack
// operation's, as WhatTook measures it), or RollbackTime or UnblockTime for a command the model timed 0 s, or
// DefaultDeployTime or DefaultCommandTime without the model's result; plus DeployOverhead for a deploy, AlarmTime for
// each business alarm fault, and ObserveTime; each scenario adds DeleteTime.
const (
	// DeployOverhead is added to each deploy step beyond the model's time for it: synthesis (go run of the app, the
	// handler built), the asset upload, the change set, and the CDK CLI's own polling. The step's measured time
	// (WhatTook) leaves it out.
	DeployOverhead = 4 * time.Minute
	// RollbackTime and UnblockTime are a command's time when the model's is 0 s (the model's commands take no
	// time): bluegreen rollback reads the stack and updates it, its alias's deployment all at once; bluegreen
	// unblock deletes or rewrites one SSM parameter.
	RollbackTime = 4 * time.Minute
	UnblockTime  = 30 * time.Second
	// AlarmTime is the expected wait for the business alarm to follow the metric, before a step with a
	// BusinessAlarm or ClearBusinessAlarm fault (one-minute periods, 1 of 1 data points; AlarmWait bounds it).
	AlarmTime = 3 * time.Minute
	// ObserveTime is each step's observation after its operation: the notification queue quiet for NoticeQuiet,
	// the reads, and bluegreen watch of a finished deployment.
	ObserveTime = 90 * time.Second
	// DeleteTime is the time allowed to delete one scenario's stack.
	DeleteTime = 5 * time.Minute
	// DefaultDeployTime and DefaultCommandTime are a step's time when the model's result has none for it: the
	// default canary (10 % for 5 minutes, then all) with its hooks and the stack operation around it, and a
	// rollback or unblock by hand.
	DefaultDeployTime  = 12 * time.Minute
	DefaultCommandTime = 6 * time.Minute
)

// PriceDate is the date of the list prices the cost bound uses.
const PriceDate = "2025-06-01"

// Price is one list price the cost bound uses, in US dollars per Unit.
type Price struct {
	What string
	USD  float64
	Unit string
}

// The list prices of us-east-1 on PriceDate, as assumed: the run's region may price differently, and AWS may have
// changed them since. The free tier is not deducted.
var (
	PriceLambdaRequests  = Price{"Lambda requests", 0.20, "1M requests"}
	PriceLambdaCompute   = Price{"Lambda duration (x86)", 0.0000166667, "GB-second"}
	PriceProvisioned     = Price{"Lambda provisioned concurrency", 0.0000041667, "GB-second"}
	PriceAlarm           = Price{"CloudWatch standard alarm", 0.10, "alarm-month"}
	PriceCustomMetric    = Price{"CloudWatch custom metric", 0.30, "metric-month"}
	PricePutMetricData   = Price{"CloudWatch PutMetricData", 0.01, "1,000 requests"}
	PriceLogsIngestion   = Price{"CloudWatch Logs ingestion", 0.50, "GB"}
	PriceSQSRequests     = Price{"SQS requests", 0.40, "1M requests"}
	PriceSNSPublishes    = Price{"SNS publishes", 0.50, "1M publishes"}
	PriceKMSKey          = Price{"KMS customer managed key", 1.00, "key-month"}
	PriceSchedulerEvents = Price{"EventBridge Scheduler invocations", 1.00, "1M invocations"}
)

// hoursPerMonth is the month AWS prorates hourly prices over (365 × 24 / 12).
const hoursPerMonth = 730.0

// The sizes the cost bound assumes of the acceptance app.
const (
	// AssumedMemoryGB is each function's memory (the acceptance app's 128 MB, examples/acceptance/stack), and
	// AssumedBilledSeconds the billed duration of each request: the app's whole timeout
	// (acceptance.FunctionTimeout), far above the handler's milliseconds and above a FailLatency release's
	// acceptance.SlowDelay, so that the bound holds.
	AssumedMemoryGB      = 0.125
	AssumedBilledSeconds = 30.0
	// AssumedOtherInvocations are the invocations of each deploy beside the generator's: hooks, custom resources,
	// the notice formatter.
	AssumedOtherInvocations = 100
	// AssumedAlarmsPerFunction are the CloudWatch alarms of one function (green's alarms, the business alarm, the
	// hooks' watchdogs), counted anew at every step (a release may replace them) and each billed a whole month as
	// the bound.
	AssumedAlarmsPerFunction = 6
	// AssumedKeysPerStack are the KMS keys one stack creates (the notification topic's and its queue's), each
	// billed a whole month as the bound.
	AssumedKeysPerStack = 2
	// AssumedLogBytes is what one invocation writes to CloudWatch Logs.
	AssumedLogBytes = 2048
	// AssumedQueueRequestsPerStep are the SQS and SNS requests of one step: publishes, deliveries, receives and
	// deletes of its notices.
	AssumedQueueRequestsPerStep = 100
)

// PlannedScenario is one scenario of the plan.
type PlannedScenario struct {
	Name string
	// Skipped says why it runs on the model only ("" when it is played).
	Skipped string
	// Steps and Deploys count its steps; Functions counts the function-steps the generator drives.
	Steps, Deploys, Functions int
	// Duration is its expected time, its stack's deletion included.
	Duration time.Duration
	// FromModel is whether Duration comes from the model's times (else from DefaultDeployTime and
	// DefaultCommandTime).
	FromModel bool
}

// CostItem is one line of the cost bound.
type CostItem struct {
	Price    Price
	Quantity float64
	USD      float64
}

// Plan is what a run will do, how long it is expected to take, and an upper bound on what it costs.
type Plan struct {
	Scenarios []PlannedScenario
	Duration  time.Duration
	Costs     []CostItem
	// MaxCostUSD is the sum of Costs.
	MaxCostUSD float64
	// Requests is the generator's cap over the whole run.
	Requests int
}

// NewPlan plans the configuration's scenarios with the model's result (acceptance.ModelResult) for their times.
func NewPlan(c Config, model acceptance.Result) Plan {
	c = c.withDefaults()
	var p Plan
	var fnSteps, steps, deploys, pcUnitSeconds, businessMinutes, stacks float64
	for _, s := range c.selected() {
		ps := PlannedScenario{Name: s.Name, Skipped: s.ModelOnly}
		if s.ModelOnly != "" {
			p.Scenarios = append(p.Scenarios, ps)
			continue
		}
		m, ok := model.Scenario(s.Name)
		ps.FromModel = ok && len(m.Steps) == len(s.Steps)
		fns, business, pc := 1, false, 0
		for i, st := range s.Steps {
			ps.Steps++
			d := DefaultCommandTime
			if st.Action == acceptance.Deploy {
				ps.Deploys++
				fns = len(st.Release.Functions())
				business = business || st.Release.Business
				if st.Release.ProvisionedConcurrency > pc {
					pc = st.Release.ProvisionedConcurrency
				}
				d = DefaultDeployTime
			}
			if ps.FromModel {
				if v, err := time.ParseDuration(m.Steps[i].Values[acceptance.WhatTook]); err == nil {
					d = v
				}
				switch {
				case d > 0:
				case st.Action == acceptance.RollbackByHand:
					d = RollbackTime
				case st.Action == acceptance.Unblock:
					d = UnblockTime
				}
			}
			if st.Action == acceptance.Deploy {
				d += DeployOverhead
			}
			for _, f := range st.Faults {
				if f.Kind == acceptance.BusinessAlarm || f.Kind == acceptance.ClearBusinessAlarm {
					d += AlarmTime
					business = true
				}
			}
			ps.Duration += d + ObserveTime
			ps.Functions += fns
		}
		ps.Duration += DeleteTime
		p.Duration += ps.Duration
		p.Scenarios = append(p.Scenarios, ps)
		fnSteps += float64(ps.Functions)
		steps += float64(ps.Steps)
		deploys += float64(ps.Deploys)
		pcUnitSeconds += float64(pc) * 2 * ps.Duration.Seconds() // blue and green may both hold it during a shift
		if business {
			businessMinutes += ps.Duration.Minutes()
		}
		stacks++
	}
	p.Requests = int(fnSteps) * c.MaxRequests
	invocations := float64(p.Requests) + deploys*AssumedOtherInvocations
	add := func(pr Price, q, per float64) {
		p.Costs = append(p.Costs, CostItem{Price: pr, Quantity: q, USD: q / per * pr.USD})
	}
	add(PriceLambdaRequests, invocations, 1e6)
	add(PriceLambdaCompute, invocations*AssumedMemoryGB*AssumedBilledSeconds, 1)
	add(PriceProvisioned, pcUnitSeconds*AssumedMemoryGB, 1)
	add(PriceLogsIngestion, invocations*AssumedLogBytes/1e9, 1)
	add(PriceAlarm, fnSteps*AssumedAlarmsPerFunction, 1)
	add(PriceCustomMetric, 1, 1)
	// The business metric goes out every BusinessInterval while a scenario with the business alarm runs: at most the
	// whole run's bound, whatever the scenarios' times turn out to be.
	metricPuts := 0.0
	if businessMinutes > 0 {
		metricPuts = float64(c.RunTimeout / BusinessInterval)
	}
	add(PricePutMetricData, metricPuts+steps, 1000)
	add(PriceSQSRequests, steps*AssumedQueueRequestsPerStep, 1e6)
	add(PriceSNSPublishes, steps*AssumedQueueRequestsPerStep, 1e6)
	// AWS KMS pricing: "Each AWS KMS key that you create in AWS KMS costs $1/month (prorated hourly)", and "There is
	// no charge for customer managed KMS keys that you manage and are scheduled for deletion": a key is billed
	// while its stack lives, at most the whole run (RunTimeout) plus its deletion (EndTimeout), of a 730-hour month.
	keyMonths := (c.RunTimeout + c.EndTimeout).Hours() / hoursPerMonth
	add(PriceKMSKey, stacks*AssumedKeysPerStack*keyMonths, 1)
	add(PriceSchedulerEvents, deploys*AssumedOtherInvocations, 1e6)
	for _, ci := range p.Costs {
		p.MaxCostUSD += ci.USD
	}
	return p
}

// Write prints the plan: the scenarios (the skipped ones with why), the expected duration with its assumptions,
// and the cost bound line by line with the prices and what they assume.
func (p Plan) Write(w io.Writer, c Config) {
	c = c.withDefaults()
	fmt.Fprintf(w, "Plan: run %s in account %s, region %s\n\nScenarios:\n", c.Run, MaskAccount(c.Account), c.Region)
	for _, s := range p.Scenarios {
		if s.Skipped != "" {
			fmt.Fprintf(w, "  %-40s skipped (model only): %s\n", s.Name, s.Skipped)
			continue
		}
		src := "the model's step times"
		if !s.FromModel {
			src = fmt.Sprintf("%s a deploy, %s a command: the model has no times for it", DefaultDeployTime, DefaultCommandTime)
		}
		fmt.Fprintf(w, "  %-40s %d steps, about %s (%s)\n", s.Name, s.Steps, s.Duration, src)
	}
	fmt.Fprintf(w, "\nExpected duration: about %s: each step the model's time for its stack operation (a rollback %s and an "+
		"unblock %s where the model says 0s), each deploy %s more for synthesis, assets and the change set, %s for "+
		"the business alarm to follow its metric before a step that breaks or heals it, %s to observe each step, %s "+
		"to delete each stack. Bounds: %s a step, %s the business alarm, %s for the notices, %s the run, %s each "+
		"stack's deletion.\n",
		p.Duration, RollbackTime, UnblockTime, DeployOverhead, AlarmTime, ObserveTime, DeleteTime, c.StepTimeout,
		c.AlarmWait, c.NoticeWait, c.RunTimeout, c.EndTimeout)
	fmt.Fprintf(w, "\nUpper bound on cost: $%.2f (us-east-1 list prices on %s, assumed; free tier not deducted):\n",
		p.MaxCostUSD, PriceDate)
	for _, ci := range p.Costs {
		fmt.Fprintf(w, "  %-36s %14.2f × $%g per %s = $%.4f\n", ci.Price.What, ci.Quantity, ci.Price.USD, ci.Price.Unit, ci.USD)
	}
	fmt.Fprintf(w, "Assumptions: the traffic generator sends at most %g requests a second and %d requests per function "+
		"and step, the step's bound at that rate (%d in all); each request billed %gs at %g GB; %d other invocations per deploy (hooks, custom "+
		"resources, formatter); %d alarms per function and step and %d KMS keys per stack (alarms billed a whole month each, keys prorated hourly over the run as AWS KMS prices them); "+
		"provisioned concurrency held twice over for the whole scenario; %d bytes of logs per invocation; %d SQS "+
		"and SNS requests per step. CodeDeploy (for Lambda) and CloudFormation charge nothing here; the CDK "+
		"bootstrap bucket's assets cost cents.\n",
		c.Rate, c.MaxRequests, p.Requests, AssumedBilledSeconds, AssumedMemoryGB, AssumedOtherInvocations,
		AssumedAlarmsPerFunction, AssumedKeysPerStack, AssumedLogBytes, AssumedQueueRequestsPerStep)
	fmt.Fprintln(w, strings.Repeat("-", 40))
}
