package plan

import (
	"bytes"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/safeship/lambda-bluegreen/constructs/alarms"
)

// Text renders the deployments for a person: a summary table, one line per deployment, then each in detail.
func Text(ds []Deployment) string {
	var b strings.Builder
	if len(ds) == 0 {
		b.WriteString("no blue/green deployment in this cloud assembly\n")
	} else {
		b.WriteString(Summary(ds))
	}
	for _, d := range ds {
		b.WriteString("\n")
		fmt.Fprintf(&b, "%s (stack %s)\n", d.Path, d.Stack)
		fmt.Fprintf(&b, "  function   %s\n", d.Function)
		fmt.Fprintf(&b, "  alias      %s\n", d.Alias)
		strat := d.Strategy
		if d.Config != "" {
			strat += " (" + d.Config + ")"
		} else {
			strat += " (custom deployment config)"
		}
		fmt.Fprintf(&b, "  strategy   %s\n", strat)
		var steps []string
		for _, s := range d.Timeline {
			steps = append(steps, fmt.Sprintf("%v → %g %%", s.At, s.Percent))
		}
		fmt.Fprintf(&b, "  timeline   %s\n", strings.Join(steps, ", "))
		fmt.Fprintf(&b, "  hooks      pre-traffic %s, post-traffic %s\n", orNone(d.PreHook), orNone(d.PostHook))
		switch {
		case len(d.Alarms) == 0:
			b.WriteString("  alarms     none\n")
		default:
			state := ""
			if !d.AlarmsEnabled {
				state = " (monitoring off: emergency bypass)"
			}
			fmt.Fprintf(&b, "  alarms     %d%s\n", len(d.Alarms), state)
			for _, a := range d.Alarms {
				switch {
				case a.Path == "":
					fmt.Fprintf(&b, "             %s: attached by name, not defined in this template: timing unknown\n", a.Name)
				case a.TimingUnknown:
					fmt.Fprintf(&b, "             %s: timing unknown (not a metric alarm)\n", a.Path)
				default:
					fmt.Fprintf(&b, "             %s: %d of %d × %v\n", a.Path, a.Datapoints, a.EvaluationPeriods, a.Period)
				}
			}
		}
		if d.Detection == 0 {
			b.WriteString("  detection  none: no green error alarm can stop this deployment\n")
			b.WriteString("  exposure   100 % of requests can reach a broken green\n")
			continue
		}
		fmt.Fprintf(&b, "  detection  %v worst case (alarm periods × datapoints + %v metric lag + %v CodeDeploy alarm check)\n",
			d.Detection, alarms.MetricLag, alarms.AlarmCheckDelay)
		fmt.Fprintf(&b, "  exposure   %g %% of requests can reach a broken green before a rollback can start\n", d.Exposure)
	}
	return b.String()
}

// Summary renders one line per deployment: path, strategy, alarms, hooks, worst-case detection and exposure,
// readable for a service of dozens of functions.
func Summary(ds []Deployment) string {
	rows := [][]string{{"DEPLOYMENT", "STRATEGY", "ALARMS", "HOOKS", "DETECTION", "EXPOSURE"}}
	for _, d := range ds {
		hooks := "-"
		switch {
		case d.PreHook != "" && d.PostHook != "":
			hooks = "pre+post"
		case d.PreHook != "":
			hooks = "pre"
		case d.PostHook != "":
			hooks = "post"
		}
		alarmCount := fmt.Sprint(len(d.Alarms))
		if !d.AlarmsEnabled && len(d.Alarms) > 0 {
			alarmCount += " (off)"
		}
		detection := "none"
		if d.Detection > 0 {
			detection = d.Detection.String()
		}
		rows = append(rows, []string{d.Path, d.Strategy, alarmCount, hooks, detection, fmt.Sprintf("%g %%", d.Exposure)})
	}
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		for i, c := range r {
			if i == len(r)-1 {
				b.WriteString(c)
			} else {
				b.WriteString(c + strings.Repeat(" ", widths[i]-len([]rune(c))+2))
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// SVG draws the deployment's traffic timeline: green's share of traffic over time as a step line, with the
// worst-case detection time marked.
func SVG(d Deployment) []byte {
	const w, h, left, right, top, bottom = 640.0, 320.0, 60.0, 20.0, 40.0, 50.0
	end := time.Minute
	for _, s := range d.Timeline {
		if s.At > end {
			end = s.At
		}
	}
	if d.Detection > end {
		end = d.Detection
	}
	end += end / 5
	x := func(t time.Duration) float64 { return left + float64(t)/float64(end)*(w-left-right) }
	y := func(p float64) float64 { return top + (100-p)/100*(h-top-bottom) }
	var pts []string
	prev := 0.0
	for _, s := range d.Timeline {
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(s.At), y(prev)), fmt.Sprintf("%.1f,%.1f", x(s.At), y(s.Percent)))
		prev = s.Percent
	}
	pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(end), y(prev)))
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" font-family="sans-serif" font-size="12">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<rect width="%g" height="%g" fill="white"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="%g" y="20" font-size="14" font-weight="bold">%s: %s</text>`+"\n", left, html.EscapeString(d.Path), html.EscapeString(d.Strategy))
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="black"/>`+"\n", left, y(0), w-right, y(0))
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="black"/>`+"\n", left, y(0), left, y(100))
	for _, p := range []float64{0, 50, 100} {
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" text-anchor="end">%g %%</text>`+"\n", left-6, y(p)+4, p)
	}
	fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="end">%v</text>`+"\n", w-right, h-bottom+18, end.Round(time.Second))
	fmt.Fprintf(&b, `<text x="%g" y="%g">0s</text>`+"\n", left, h-bottom+18)
	fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="middle">time since the first shift → share of traffic on green</text>`+"\n", w/2, h-10)
	fmt.Fprintf(&b, `<polyline fill="none" stroke="green" stroke-width="3" points="%s"/>`+"\n", strings.Join(pts, " "))
	if d.Detection > 0 {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%g" x2="%.1f" y2="%g" stroke="red" stroke-dasharray="6,4"/>`+"\n", x(d.Detection), y(100), x(d.Detection), y(0))
		lx, anchor := x(d.Detection)+4, "start"
		if lx > w/2 {
			lx, anchor = x(d.Detection)-4, "end"
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" fill="red" text-anchor="%s">worst-case detection %v: %g %% exposed</text>`+"\n",
			lx, y(100)+14, anchor, d.Detection, d.Exposure)
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}
