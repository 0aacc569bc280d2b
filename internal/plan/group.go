package plan

import (
	"encoding/json"
	"path"
	"sort"
	"strings"
)

// Group is a set of deployments that differ only in their names: the functions of one service (same parent
// construct, same stack) with the same strategy, hooks, provisioned concurrency and alarms (same metrics,
// conditions and timing; each function's alarms have names of their own).
type Group struct {
	// Parent is the construct path of the deployments' parent (the service).
	Parent string `json:"parent"`
	Stack  string `json:"stack"`
	// Deployments are the paths of the group's deployments, in the order of the plan.
	Deployments []string `json:"deployments"`
}

// Names returns the deployments' construct ids under Parent ("Fn01").
func (g Group) Names() []string {
	out := make([]string, len(g.Deployments))
	for i, p := range g.Deployments {
		out[i] = strings.TrimPrefix(p, g.Parent+"/")
	}
	return out
}

// Groups returns the groups of at least two deployments of ds with the same plan, in the order of their first
// deployment.
func Groups(ds []Deployment) []Group {
	var out []Group
	for _, idx := range groupIndexes(ds) {
		if len(idx) < 2 {
			continue
		}
		g := Group{Parent: path.Dir(ds[idx[0]].Path), Stack: ds[idx[0]].Stack}
		for _, i := range idx {
			g.Deployments = append(g.Deployments, ds[i].Path)
		}
		out = append(out, g)
	}
	return out
}

// groupIndexes partitions ds into deployments with the same plan, each a list of indexes into ds, in order.
func groupIndexes(ds []Deployment) [][]int {
	var out [][]int
	at := map[string]int{}
	for i, d := range ds {
		k := signature(d)
		j, ok := at[k]
		if !ok {
			j = len(out)
			at[k] = j
			out = append(out, nil)
		}
		out[j] = append(out[j], i)
	}
	return out
}

// signature is what a deployment's plan says, but for its names: paths are taken relative to the deployment,
// alarm names left out (each function's alarms have their own).
func signature(d Deployment) string {
	rel := func(p string) string {
		if strings.HasPrefix(p, d.Path+"/") {
			return "./" + strings.TrimPrefix(p, d.Path+"/")
		}
		return p
	}
	alarms := make([]Alarm, len(d.Alarms))
	for i, a := range d.Alarms {
		a.Path = rel(a.Path)
		if a.Path != "" { // an alarm the template defines: its name is the function's own
			a.Name, a.LogicalID = "", ""
		}
		alarms[i] = a
	}
	// d.Alarms is sorted by absolute path; relative paths may sort otherwise (an alarm outside the function's path).
	sort.SliceStable(alarms, func(i, j int) bool {
		if alarms[i].Path != alarms[j].Path {
			return alarms[i].Path < alarms[j].Path
		}
		return alarms[i].Name < alarms[j].Name
	})
	waits := make([]string, len(d.WaitsFor))
	for i, w := range d.WaitsFor {
		waits[i] = rel(w)
	}
	b, _ := json.Marshal(struct {
		Parent, Stack, Function, Alias, Strategy, Config, PreHook, PostHook string
		Alarms                                                              []Alarm
		AlarmsEnabled                                                       bool
		Pre, Post                                                           *HookTiming
		PC                                                                  *ProvisionedConcurrency
		WaitsFor                                                            []string
		Start                                                               float64
	}{path.Dir(d.Path), d.Stack, rel(d.Function), d.Alias, d.Strategy, d.Config, rel(d.PreHook), rel(d.PostHook),
		alarms, d.AlarmsEnabled, d.PreHookTiming, d.PostHookTiming, d.ProvisionedConcurrency, waits, d.StartSeconds})
	return string(b)
}
