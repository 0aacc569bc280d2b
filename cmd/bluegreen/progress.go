package main

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/safeship/lambda-bluegreen/internal/deployment"
)

// progress is the timeline as a bar: the share of the strategy's schedule that has passed since the traffic
// shift started, then green's share, the time and the next step.
func (w *watcher) progress(fancy bool) string {
	const width = 30
	total := w.strat.total()
	var elapsed time.Duration
	if !w.shiftStart.IsZero() {
		elapsed = max(0, min(w.o.now().Sub(w.shiftStart), total)).Round(time.Second)
	}
	frac := max(w.share, 0) / 100
	switch {
	case !w.strat.valid():
	case w.shiftStart.IsZero():
		frac = 0
	case total == 0: // all at once
		frac = 1
	default:
		frac = float64(elapsed) / float64(total)
	}
	if w.info != nil && w.info.Status == cdtypes.DeploymentStatusSucceeded {
		frac = 1
	}
	full, empty := "#", "."
	if fancy {
		full, empty = "█", "░"
	}
	n := int(math.Round(frac * width))
	bar := "[" + strings.Repeat(full, n) + strings.Repeat(empty, width-n) + "]"
	switch {
	case !w.strat.valid():
		return bar
	case w.shiftStart.IsZero():
		return bar + fmt.Sprintf("  shift of %s not started", total)
	}
	s := fmt.Sprintf("%s  %s of %s", bar, elapsed, total)
	if w.info != nil && !deployment.IsActive(w.info.Status) {
		return s + ", " + strings.ToLower(string(w.info.Status))
	}
	for _, step := range w.strat.steps() {
		if step.at > elapsed {
			s += fmt.Sprintf(", next %s at %s (%s)", pct(step.percent), step.at, clock(aws.Time(w.shiftStart.Add(step.at))))
			break
		}
	}
	return s
}

// say prints one line of progress with the time, above the bar on a terminal.
func (w *watcher) say(format string, a ...interface{}) {
	w.clearBar()
	fmt.Fprintf(w.o.out, "%s  %s\n", w.o.now().Format("15:04:05"), fmt.Sprintf(format, a...))
	w.lastLine = w.o.now()
}

// heartbeat prints the progress on a line when nothing was printed for a minute and no bar is drawn (CI logs).
func (w *watcher) heartbeat() {
	if w.o.terminal || w.o.now().Sub(w.lastLine) < time.Minute || w.info == nil {
		return
	}
	phase := string(w.info.Status)
	for _, e := range w.events {
		if e.Status == cdtypes.LifecycleEventStatusInProgress {
			phase = aws.ToString(e.LifecycleEventName) + " " + string(e.Status)
		}
	}
	w.say("progress green %s  %s  (%s)", pct(max(w.share, 0)), w.progress(false), phase)
}

func (w *watcher) drawBar() {
	if !w.o.terminal {
		return
	}
	w.clearBar()
	fmt.Fprintf(w.o.out, "  green %s  %s", pct(max(w.share, 0)), w.progress(true))
	w.barDrawn = true
}

func (w *watcher) clearBar() {
	if w.barDrawn {
		fmt.Fprint(w.o.out, "\r\x1b[K")
		w.barDrawn = false
	}
}

// clock formats a time of day, or "?" for none.
func clock(t *time.Time) string {
	if t == nil {
		return "?"
	}
	return t.Format("15:04:05")
}
