package dashboard

import (
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/alarms"
	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/quota"
)

// Props configure a Dashboard.
type Props struct {
	// Deployments get one section each, in order. More can be added with AddDeployment.
	//
	// Default: none yet.
	Deployments []bluegreen.Deployment

	// DashboardName is the dashboard's name in the CloudWatch console.
	//
	// Default: a name CloudFormation generates.
	DashboardName *string

	// Period is the period of every graph: a whole multiple of 60 seconds. Zero means "default".
	//
	// Default: 1 minute, the period of the rollback alarms.
	Period time.Duration

	// TimeRange is how far back the dashboard looks when opened. Zero means "default".
	//
	// Default: 3 hours.
	TimeRange time.Duration
}

// Dashboard is a CloudWatch dashboard that shows blue/green deployments as they happen: for each deployment, the
// share of traffic green serves, green's error rate and latency beside the alias's, throttles, concurrency, and the
// state of every rollback alarm.
type Dashboard interface {
	constructs.Construct
	// CloudWatchDashboard returns the CloudWatch dashboard.
	CloudWatchDashboard() awscloudwatch.Dashboard
	// AddDeployment adds a section for d. Its alarm widget lists the rollback alarms d has at synth, so alarms
	// added to d later show too.
	AddDeployment(d bluegreen.Deployment)
}

type dashboard struct {
	constructs.Construct
	board   awscloudwatch.Dashboard
	period  time.Duration
	widgets int
}

// Limits of a CloudWatch dashboard ("Dashboard Body Structure and Syntax"): a DashboardBody "can include an array
// of between 0 and 500 widget objects", and an alarm status widget's alarms array "can have 1-100 ARNs".
const (
	MaxWidgets = 500
	// WidgetsPerDeployment is how many widgets a deployment's section has.
	WidgetsPerDeployment = 7
	// MaxAlarmsPerWidget is how many alarms one alarm status widget can list.
	MaxAlarmsPerWidget = 100
)

// New defines the dashboard (construct id "Resource" under id) with a section per deployment. It panics, naming
// the construct path, when Period or TimeRange is invalid or a deployment is nil; nothing is defined then.
func New(scope constructs.Construct, id string, props *Props) Dashboard {
	p := Props{}
	if props != nil {
		p = *props
	}
	if err := p.validate(); err != nil {
		panic(fmt.Errorf("%s/%s: invalid dashboard.Props: %w", *scope.Node().Path(), id, err))
	}
	if p.Period == 0 {
		p.Period = alarms.DefaultPeriod
	}
	if p.TimeRange == 0 {
		p.TimeRange = 3 * time.Hour
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	quota.Of(c).Watch(c) // its body grows with the deployments it shows
	d := &dashboard{Construct: c, period: p.Period}
	d.board = awscloudwatch.NewDashboard(c, jsii.String("Resource"), &awscloudwatch.DashboardProps{
		DashboardName:   p.DashboardName,
		DefaultInterval: awscdk.Duration_Minutes(jsii.Number(p.TimeRange.Minutes())),
	})
	for _, dep := range p.Deployments {
		d.AddDeployment(dep)
	}
	return d
}

func (p Props) validate() error {
	var errs []error
	if p.Period < 0 || p.Period%time.Minute != 0 {
		//lint:ignore ST1005 it starts with the Go name of the field it is about (STYLE: errors name the field)
		errs = append(errs, fmt.Errorf("Period must be a whole multiple of 60s (AWS/Lambda publishes once a minute), got %v", p.Period))
	}
	if p.TimeRange < 0 || p.TimeRange%time.Minute != 0 {
		errs = append(errs, fmt.Errorf("TimeRange must be whole minutes, got %v", p.TimeRange))
	}
	for i, dep := range p.Deployments {
		if dep == nil {
			//lint:ignore ST1005 it starts with the Go name of the field it is about (STYLE: errors name the field)
			errs = append(errs, fmt.Errorf("Deployments[%d] must be a deployment, got nil", i))
		}
	}
	return errors.Join(errs...)
}

func (d *dashboard) CloudWatchDashboard() awscloudwatch.Dashboard { return d.board }

func (d *dashboard) AddDeployment(dep bluegreen.Deployment) {
	if dep == nil {
		panic(fmt.Errorf("%s: AddDeployment: deployment must be a deployment, got nil", *d.Node().Path()))
	}
	if d.widgets+WidgetsPerDeployment > MaxWidgets {
		panic(fmt.Errorf("%s: AddDeployment %s: a CloudWatch dashboard holds at most %d widgets and each deployment "+
			"takes %d, so this one holds at most %d deployments; give the rest a dashboard of their own (one per "+
			"service, or per %d functions)", *d.Node().Path(), *dep.Node().Path(), MaxWidgets, WidgetsPerDeployment,
			MaxWidgets/WidgetsPerDeployment, MaxWidgets/WidgetsPerDeployment))
	}
	d.widgets += WidgetsPerDeployment
	period := d.period
	percentile, minInvocations := alarms.DefaultLatencyPercentile, alarms.DefaultMinInvocations
	var target alarms.Target
	var budget []*awscloudwatch.HorizontalAnnotation
	if g := dep.GreenAlarms(); g != nil {
		target, percentile, minInvocations = g.Target(), g.LatencyPercentile(), g.MinInvocations()
		if g.Latency() != nil {
			budget = []*awscloudwatch.HorizontalAnnotation{{
				Value: jsii.Number(float64(g.LatencyBudget().Milliseconds())),
				Label: jsii.String(fmt.Sprintf("budget %v", g.LatencyBudget())),
				Color: awscloudwatch.Color_RED(),
			}}
		}
	} else {
		target = alarms.NewTarget(dep.Alias(), dep.Alias().Version())
	}
	stat := fmt.Sprintf("p%g", percentile)
	green, blue := awscloudwatch.Color_GREEN(), awscloudwatch.Color_BLUE()
	colored := func(m awscloudwatch.Metric, color *string) awscloudwatch.IMetric {
		return m.With(&awscloudwatch.MetricOptions{Color: color})
	}
	graph := func(title string, left, right []awscloudwatch.IMetric, annotations []*awscloudwatch.HorizontalAnnotation) awscloudwatch.IWidget {
		props := &awscloudwatch.GraphWidgetProps{
			Title: jsii.String(title), Left: &left, Width: jsii.Number(8), Height: jsii.Number(6),
			Period: awscdk.Duration_Seconds(jsii.Number(period.Seconds())), LeftAnnotations: &annotations,
		}
		if right != nil {
			props.Right = &right
		}
		return awscloudwatch.NewGraphWidget(props)
	}

	header := awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{
		Markdown: jsii.String(fmt.Sprintf("### %s\nStrategy **%v** on alias **%s**. Green is the version the alias "+
			"is moving to; the alias line is blue and green together. Any rollback alarm in ALARM stops the shift and "+
			"puts the alias back on blue. AWS/Lambda data arrives minutes late: the newest %d minutes of the share "+
			"and the error rates read 0 until it does (the alarms wait for real data).", *dep.Node().Path(),
			dep.Strategy(), *dep.Alias().AliasName(), alarms.LatePeriods(period)*int(period/time.Minute))),
		Width: jsii.Number(24), Height: jsii.Number(2),
	})
	traffic := graph("Traffic: invocations per period",
		[]awscloudwatch.IMetric{
			colored(target.GreenMetric("Invocations", "Sum", period), green),
			colored(target.AliasMetric("Invocations", "Sum", period), blue),
		},
		[]awscloudwatch.IMetric{target.GreenShare(period)}, nil)
	errorRate := graph("Error rate (%): green beside the alias",
		[]awscloudwatch.IMetric{
			target.GreenErrorRate(minInvocations, period).With(&awscloudwatch.MathExpressionOptions{Color: green}),
			target.AliasErrorRate(minInvocations, period).With(&awscloudwatch.MathExpressionOptions{Color: blue}),
		}, nil, nil)
	latency := graph(fmt.Sprintf("Latency %s (ms): green beside the alias", stat),
		[]awscloudwatch.IMetric{
			colored(target.GreenMetric("Duration", stat, period), green),
			colored(target.AliasMetric("Duration", stat, period), blue),
		}, nil, budget)
	throttles := graph("Throttles",
		[]awscloudwatch.IMetric{
			colored(target.GreenMetric("Throttles", "Sum", period), green),
			colored(target.AliasMetric("Throttles", "Sum", period), blue),
		}, nil, nil)
	concurrency := graph("Concurrent executions (max)",
		[]awscloudwatch.IMetric{
			colored(target.GreenMetric("ConcurrentExecutions", "Maximum", period), green),
			colored(target.AliasMetric("ConcurrentExecutions", "Maximum", period), blue),
		}, nil, nil)
	d.board.AddWidgets(header, traffic, errorRate, latency, throttles, concurrency, &alarmWidget{deployment: dep})
}

// alarmWidget is an alarm status widget whose list of alarms is read at synth, so that it shows alarms added to
// the deployment after the dashboard. CDK's AlarmStatusWidget takes its list when it is created.
type alarmWidget struct {
	deployment bluegreen.Deployment
	x, y       float64
}

const alarmWidgetWidth, alarmWidgetHeight = 8, 6

func (w *alarmWidget) Width() *float64      { return jsii.Number(alarmWidgetWidth) }
func (w *alarmWidget) Height() *float64     { return jsii.Number(alarmWidgetHeight) }
func (w *alarmWidget) Warnings() *[]*string { return &[]*string{} }
func (w *alarmWidget) WarningsV2() *map[string]*string {
	return &map[string]*string{}
}
func (w *alarmWidget) Position(x, y *float64) {
	w.x, w.y = *x, *y
}

// ToJson renders the widget as CloudWatch's dashboard body expects it.
func (w *alarmWidget) ToJson() *[]interface{} {
	widget := map[string]interface{}{
		"type": "alarm", "width": alarmWidgetWidth, "height": alarmWidgetHeight, "x": w.x, "y": w.y,
	}
	all := w.deployment.Alarms()
	if len(all) == 0 {
		widget["type"] = "text"
		widget["properties"] = map[string]interface{}{"markdown": "**Rollback alarms**\n\nNone: only failed or " +
			"stopped deployments roll back."}
		return &[]interface{}{widget}
	}
	title := "Rollback alarms"
	if len(all) > MaxAlarmsPerWidget {
		title = fmt.Sprintf("Rollback alarms: the first %d of %d", MaxAlarmsPerWidget, len(all))
		all = all[:MaxAlarmsPerWidget]
	}
	arns := make([]interface{}, len(all))
	for i, a := range all {
		arns[i] = *a.AlarmArn()
	}
	widget["properties"] = map[string]interface{}{
		"title": title, "alarms": arns, "sortBy": "stateUpdatedTimestamp",
	}
	return &[]interface{}{widget}
}
