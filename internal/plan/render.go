package plan

import (
	"bytes"
	"fmt"
	"html"
	"path"
	"strings"
	"time"

	"github.com/safeship/lambda-bluegreen/constructs/alarms"
	"github.com/safeship/lambda-bluegreen/constructs/strategy"
)

// Text renders the deployments for a person: a summary table, one line per deployment; how long each stack's
// deployments take; then each deployment in detail, the functions of a service with the same plan (Groups) once.
func Text(ds []Deployment) string {
	var b strings.Builder
	if len(ds) == 0 {
		b.WriteString("no blue/green deployment in this cloud assembly\n")
		return b.String()
	}
	b.WriteString(Summary(ds))
	b.WriteString("\n")
	b.WriteString(StackText(Stacks(ds)))
	for _, idx := range groupIndexes(ds) {
		b.WriteString("\n")
		d := ds[idx[0]]
		rel := func(p string) string { return p }
		if len(idx) == 1 {
			fmt.Fprintf(&b, "%s (stack %s)\n", d.Path, d.Stack)
		} else {
			g := Group{Parent: path.Dir(d.Path), Stack: d.Stack}
			for _, i := range idx {
				g.Deployments = append(g.Deployments, ds[i].Path)
			}
			fmt.Fprintf(&b, "%s: %d functions with the same plan (stack %s)\n", g.Parent, len(idx), d.Stack)
			b.WriteString(wrap("  functions  ", strings.Join(g.Names(), ", "), 110))
			rel = func(p string) string {
				if strings.HasPrefix(p, d.Path+"/") {
					return g.Parent + "/<each>/" + strings.TrimPrefix(p, d.Path+"/")
				}
				return p
			}
		}
		writeDeployment(&b, d, rel, len(idx) > 1)
	}
	return b.String()
}

// writeDeployment writes the details of d; rel renders a path of d's for a group (<each> in place of the
// function's id); group says the block stands for several functions.
func writeDeployment(b *strings.Builder, d Deployment, rel func(string) string, group bool) {
	fmt.Fprintf(b, "  function   %s\n", rel(d.Function))
	fmt.Fprintf(b, "  alias      %s\n", d.Alias)
	strat := d.Strategy
	if d.Config != "" {
		strat += " (" + d.Config + ")"
	} else {
		strat += " (custom deployment config)"
	}
	fmt.Fprintf(b, "  strategy   %s\n", strat)
	var steps []string
	for _, s := range d.Timeline {
		steps = append(steps, fmt.Sprintf("%v → %g %%", s.At, s.Percent))
	}
	fmt.Fprintf(b, "  timeline   %s\n", strings.Join(steps, ", "))
	fmt.Fprintf(b, "  hooks      pre-traffic %s, post-traffic %s\n", orNone(rel(d.PreHook)), orNone(rel(d.PostHook)))
	if pc := d.ProvisionedConcurrency; pc != nil {
		amount := fmt.Sprintf("%g", pc.Min)
		if pc.Max != pc.Min {
			amount = fmt.Sprintf("%g to %g", pc.Min, pc.Max)
		}
		waits := "the pre-traffic hook waits for it to be READY before any traffic shifts"
		if d.PreHookTiming == nil || !d.PreHookTiming.WaitsForProvisionedConcurrency {
			waits = "nothing waits for it before traffic shifts (no pre-traffic hook of this library checks it)"
		}
		fmt.Fprintf(b, "  capacity   provisioned concurrency %s: %s\n", amount, waits)
	}
	writeAlarms(b, d, group)
	if d.Detection == 0 {
		b.WriteString("  detection  none: no green error alarm can stop this deployment\n")
		b.WriteString("  exposure   100 % of requests can reach a broken green\n")
	} else {
		fmt.Fprintf(b, "  detection  %v worst case (alarm periods × datapoints + %v metric lag + %v CodeDeploy alarm check)\n",
			d.Detection, alarms.MetricLag, alarms.AlarmCheckDelay)
		fmt.Fprintf(b, "  exposure   %g %% of requests can reach a broken green before a rollback can start\n", d.Exposure)
		if d.DetectionAdvice != "" {
			fmt.Fprintf(b, "  WARNING    %s (synth warns: lambda-bluegreen:detection)\n", d.DetectionAdvice)
		}
	}
	writeTimes(b, d)
}

// writeAlarms lists each alarm: its path (relative to the deployment), detection time and bake flag, then its
// CloudWatch name, metric and condition.
func writeAlarms(b *strings.Builder, d Deployment, group bool) {
	if len(d.Alarms) == 0 {
		b.WriteString("  alarms     none\n")
		return
	}
	state := ", monitoring on"
	if !d.AlarmsEnabled {
		state = ", monitoring off (emergency bypass or pin): none can stop this deployment"
	}
	per := ""
	if group {
		per = " per function"
	}
	fmt.Fprintf(b, "  alarms     %d%s%s\n", len(d.Alarms), per, state)
	var notes []string
	if group {
		notes = append(notes, fmt.Sprintf("names shown are %s's, each function has its own", path.Base(d.Path)))
	}
	for _, a := range d.Alarms {
		if a.Path != "" && strings.Contains(a.Name, "{version}") {
			notes = append(notes, "{version} in a name is green's version number, known at deploy")
			break
		}
	}
	if len(notes) > 0 {
		fmt.Fprintf(b, "             (%s)\n", strings.Join(notes, "; "))
	}
	bakeTime := d.strategy.TotalDuration()
	for _, a := range d.Alarms {
		title := a.Path
		if group && strings.HasPrefix(a.Path, d.Path+"/") {
			title = path.Dir(d.Path) + "/<each>/" + strings.TrimPrefix(a.Path, d.Path+"/")
		}
		switch {
		case a.TimingUnknown && a.Path == "":
			fmt.Fprintf(b, "    %s: attached by name, not defined in this template: timing unknown\n", a.Name)
			continue
		case a.TimingUnknown && a.Metric != nil:
			fmt.Fprintf(b, "    %s: timing unknown (its period or datapoints are known only at deploy)\n", title)
		case a.TimingUnknown:
			fmt.Fprintf(b, "    %s: timing unknown (not a metric alarm)\n", title)
		case a.SlowerThanBake:
			fmt.Fprintf(b, "    %s: %d of %d × %v, detects within %v: SLOWER THAN THE %v BAKE, it cannot stop a broken "+
				"green before 100 %%\n", title, a.Datapoints, a.EvaluationPeriods, a.Period, a.Detection, bakeTime)
		case d.AlarmsEnabled && d.strategy.Kind() != strategy.KindAllAtOnce:
			fmt.Fprintf(b, "    %s: %d of %d × %v, detects within %v (bake %v)\n", title, a.Datapoints,
				a.EvaluationPeriods, a.Period, a.Detection, bakeTime)
		default:
			fmt.Fprintf(b, "    %s: %d of %d × %v, detects within %v\n", title, a.Datapoints, a.EvaluationPeriods,
				a.Period, a.Detection)
		}
		fmt.Fprintf(b, "      name       %s\n", alarmNameText(a, d))
		if a.Metric != nil {
			fmt.Fprintf(b, "      metric     %s\n", a.Metric)
			if c := a.Condition(); c != "" {
				fmt.Fprintf(b, "      breaches   %s\n", c)
			}
		}
		if a.Rule != "" {
			fmt.Fprintf(b, "      rule       %s\n", a.Rule)
		}
	}
}

// alarmNameText says what is known of a template alarm's CloudWatch name.
func alarmNameText(a Alarm, d Deployment) string {
	var s string
	switch a.NameSource {
	case NameGenerated:
		// "If you don't specify a name, CloudFormation generates a unique physical ID", of the form
		// MyStack-MyBucket-abcdefghijk1 (CloudFormation template reference, "CloudFormation resource custom
		// naming"): AWS shows the form by example only, so the text says "like".
		s = fmt.Sprintf("generated by CloudFormation at deploy, like %s-%s-<random> (the stack's resource %s)",
			d.StackName, a.LogicalID, a.LogicalID)
	case NameAtDeploy:
		s = a.Name
		if strings.Contains(strings.ReplaceAll(a.Name, "{version}", ""), "{") {
			s += " ({…} known at deploy)"
		}
	default:
		s = a.Name
	}
	return s
}

// timeoutText says where a hook's time limit comes from.
func timeoutText(h *HookTiming) string {
	if h.TimeoutUnknown {
		return "its timeout is known only at deploy: Lambda's maximum"
	}
	return "its timeout"
}

// writeTimes writes how long the deployment takes, worst case.
func writeTimes(b *strings.Builder, d Deployment) {
	var parts []string
	if h := d.PreHookTiming; h != nil {
		what := "pre-traffic hook ≤ " + h.Timeout.String() + " (" + timeoutText(h)
		if h.WaitsForProvisionedConcurrency {
			what += ", provisioned concurrency READY wait included"
		}
		if !h.Library {
			what += "; assumed to report before it returns"
		}
		parts = append(parts, what+")")
	} else if d.PreHook != "" {
		parts = append(parts, "pre-traffic hook not in this template: not counted")
	}
	parts = append(parts, "shift "+d.Shift.String())
	fmt.Fprintf(b, "  100 %% at   %v worst case: %s\n", d.ToFullTraffic, strings.Join(parts, " + "))
	if h := d.PostHookTiming; h != nil {
		what := "post-traffic hook ≤ " + h.Timeout.String() + " (" + timeoutText(h)
		if !h.Library {
			what += "; assumed to report before it returns"
		}
		fmt.Fprintf(b, "  done at    %v worst case: + %s)\n", d.ToComplete, what)
	} else {
		fmt.Fprintf(b, "  done at    %v worst case: at 100 %% (no post-traffic hook)\n", d.ToComplete)
	}
	if len(d.WaitsFor) > 0 {
		fmt.Fprintf(b, "  starts     %v after the stack's first deployments, worst case: it waits for %s\n", d.Start,
			strings.Join(d.WaitsFor, ", "))
	}
}

// StackText renders how long each stack's deployments take, worst case, as a table.
func StackText(sts []StackTiming) string {
	rows := [][]string{{"STACK", "DEPLOYMENTS", "ALL AT 100 %", "ALL DONE", "LAST DONE"}}
	for _, st := range sts {
		how := fmt.Sprintf("%d in parallel", st.Deployments)
		if st.Deployments == 1 {
			how = "1"
		} else if !st.Parallel {
			how = fmt.Sprintf("%d, some in series", st.Deployments)
		}
		rows = append(rows, []string{st.Stack, how, st.FullTraffic.String(), st.Complete.String(), st.Last})
	}
	return table(rows) + "(worst case from the start of the stack's deployments: CloudFormation runs them in parallel " +
		"unless one depends on another; its own work and CodeDeploy's are not counted)\n"
}

// wrap writes text after prefix, wrapped at width on ", ", the next lines indented as far as prefix.
func wrap(prefix, text string, width int) string {
	var b strings.Builder
	line := prefix
	indent := strings.Repeat(" ", len([]rune(prefix)))
	for i, item := range strings.Split(text, ", ") {
		sep := ""
		if i > 0 {
			sep = ", "
		}
		if i > 0 && len([]rune(line))+len(sep)+len([]rune(item)) > width {
			b.WriteString(line + ",\n")
			line = indent + item
			continue
		}
		line += sep + item
	}
	b.WriteString(line + "\n")
	return b.String()
}

// Summary renders one line per deployment: path, strategy, alarms (with how many are slower than the bake),
// hooks, worst-case detection and exposure, and when green has all the traffic, worst case, counted from the start
// of the stack's deployments; readable for a service of dozens of functions.
func Summary(ds []Deployment) string {
	rows := [][]string{{"DEPLOYMENT", "STRATEGY", "ALARMS", "HOOKS", "DETECTION", "EXPOSURE", "100 % AT"}}
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
		if n := slower(d); n > 0 {
			alarmCount += fmt.Sprintf(" (%d slow)", n)
		}
		rows = append(rows, []string{d.Path, d.Strategy, alarmCount, hooks, detection, fmt.Sprintf("%g %%", d.Exposure),
			(d.Start + d.ToFullTraffic).String()})
	}
	return table(rows)
}

// table aligns rows of cells in columns two spaces apart.
func table(rows [][]string) string {
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

// slower counts the deployment's alarms that are slower than its strategy's bake.
func slower(d Deployment) int {
	n := 0
	for _, a := range d.Alarms {
		if a.SlowerThanBake {
			n++
		}
	}
	return n
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
