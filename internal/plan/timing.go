package plan

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/safeship/lambda-bluegreen/constructs/hooks/hookconfig"
)

// HookTiming is how long a lifecycle hook can hold a deployment.
type HookTiming struct {
	// Timeout is the hook function's Lambda timeout (Lambda's default of 3 seconds when the template sets none):
	// the longest the hook can run. A hook of this library reports before it (it keeps its last seconds to
	// report), so a deployment that passes the hook waits at most Timeout for it.
	Timeout        time.Duration `json:"-"`
	TimeoutSeconds float64       `json:"timeoutSeconds"`
	// Library is true for a hook of this library: its configuration (hookconfig.FileName) was found beside its
	// code in the cloud assembly. For another hook, Timeout is an assumption (that it reports before it returns):
	// CodeDeploy waits up to an hour for a hook's report (hooks.HookReportLimit).
	Library bool `json:"library"`
	// WaitsForProvisionedConcurrency is true when the (pre-traffic) hook first waits, within Timeout, until the
	// provisioned concurrency in force for green is READY (hookconfig.Config.ProvisionedConcurrency, the function's
	// own for a shared hook).
	WaitsForProvisionedConcurrency bool `json:"waitsForProvisionedConcurrency,omitempty"`
	// TimeoutUnknown is true when the template gives the hook's timeout a value known only at deploy (a Ref, a
	// parameter); Timeout is then Lambda's maximum, lambdaMaxTimeout, the worst case.
	TimeoutUnknown bool `json:"timeoutUnknown,omitempty"`
}

// ProvisionedConcurrency is the provisioned concurrency a deployment declares for its alias: Min to Max (the
// same number when it is fixed), held by an Application Auto Scaling scalable target of the alias (what
// bluegreen.Deployment defines) or by the alias's own ProvisionedConcurrencyConfig.
type ProvisionedConcurrency struct {
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

// lambdaDefaultTimeout is a function's timeout when the template sets none: "The default is 3 seconds"
// (CloudFormation, AWS::Lambda::Function, Timeout).
const lambdaDefaultTimeout = 3 * time.Second

// lambdaMaxTimeout is the longest timeout Lambda allows: "The maximum allowed value is 900 seconds"
// (CloudFormation, AWS::Lambda::Function, Timeout).
const lambdaMaxTimeout = 900 * time.Second

// hookTiming reads the hook function with logical id id; nil when the template does not define it. function is
// the deployment's function: a shared pre-traffic hook runs the checks of the key the function is tagged with.
func hookTiming(t template, id string, function resource) *HookTiming {
	r, ok := t.Resources[id]
	if !ok || r.Type != "AWS::Lambda::Function" {
		return nil
	}
	h := &HookTiming{Timeout: lambdaDefaultTimeout}
	if s, ok := r.Properties["Timeout"].(float64); ok {
		h.Timeout = time.Duration(s) * time.Second
	} else if _, set := r.Properties["Timeout"]; set {
		h.Timeout, h.TimeoutUnknown = lambdaMaxTimeout, true
	}
	h.TimeoutSeconds = h.Timeout.Seconds()
	if cfg, ok := hookConfig(t, r); ok {
		h.Library = true
		if key := tag(function, hookconfig.TargetTagKey); key != "" {
			cfg, _ = cfg.For(key)
		}
		h.WaitsForProvisionedConcurrency = cfg.Phase == hookconfig.PreTraffic && cfg.ProvisionedConcurrency != nil
	}
	return h
}

// hookConfig reads the configuration the hooks construct writes beside a hook's code: the asset directory is
// named in the function's metadata (aws:asset:path, when the CLI synthesizes) or, from the code's S3 key
// "<hash>.zip", asset.<hash> in the template's assembly or one it is nested in.
func hookConfig(t template, fn resource) (hookconfig.Config, bool) {
	var dirs []string
	if p, _ := fn.Metadata["aws:asset:path"].(string); p != "" {
		dirs = append(dirs, filepath.Join(t.dir, p))
	}
	if key, _ := asMap(fn.Properties["Code"])["S3Key"].(string); strings.HasSuffix(key, ".zip") {
		name := "asset." + strings.TrimSuffix(key, ".zip")
		for dir := t.dir; ; dir = filepath.Dir(dir) {
			dirs = append(dirs, filepath.Join(dir, name))
			if dir == t.root || dir == filepath.Dir(dir) || !strings.HasPrefix(dir, t.root) {
				break
			}
		}
	}
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, hookconfig.FileName))
		if err != nil {
			continue
		}
		var cfg hookconfig.Config
		if json.Unmarshal(b, &cfg) == nil && cfg.Phase != "" {
			return cfg, true
		}
	}
	return hookconfig.Config{}, false
}

// tag returns the value of a resource's tag key, or "".
func tag(r resource, key string) string {
	tags, _ := r.Properties["Tags"].([]interface{})
	for _, t := range tags {
		if m := asMap(t); m["Key"] == key {
			s, _ := m["Value"].(string)
			return s
		}
	}
	return ""
}

// provisionedConcurrency reads what the alias declares: a scalable target of the alias's provisioned concurrency
// (bluegreen.Deployment defines it under the alias, and makes it depend on the alias), or the alias's own
// ProvisionedConcurrencyConfig; nil when neither is there.
func provisionedConcurrency(t template, alias resource) *ProvisionedConcurrency {
	if n, ok := asMap(alias.Properties["ProvisionedConcurrencyConfig"])["ProvisionedConcurrentExecutions"].(float64); ok {
		return &ProvisionedConcurrency{Min: n, Max: n}
	}
	ids := make([]string, 0, len(t.Resources))
	for id := range t.Resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		r := t.Resources[id]
		if r.Type != "AWS::ApplicationAutoScaling::ScalableTarget" ||
			r.Properties["ScalableDimension"] != "lambda:function:ProvisionedConcurrency" {
			continue
		}
		if !strings.HasPrefix(r.path(), alias.path()+"/") && !slices.Contains(dependsOn(r), alias.id) {
			continue
		}
		lo, _ := r.Properties["MinCapacity"].(float64)
		hi, _ := r.Properties["MaxCapacity"].(float64)
		return &ProvisionedConcurrency{Min: lo, Max: hi}
	}
	return nil
}

// dependsOn returns a resource's DependsOn, a string or a list.
func dependsOn(r resource) []string {
	switch v := r.DependsOn.(type) {
	case string:
		return []string{v}
	case []interface{}:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

var subReference = regexp.MustCompile(`\$\{([^}!.][^}.]*)(\.[^}]*)?\}`)

// references returns the logical ids a resource depends on: DependsOn, and every Ref, Fn::GetAtt and Fn::Sub
// variable in its properties and update policy. CloudFormation updates "resource B … before resource A" when A
// refers to B with Ref, GetAtt or Sub or names it in DependsOn, and otherwise "creates, updates, and deletes
// resources in parallel to the extent possible" (CloudFormation User Guide, "DependsOn attribute").
func references(t template, r resource) []string {
	seen := map[string]bool{}
	var walk func(v interface{})
	walk = func(v interface{}) {
		switch v := v.(type) {
		case map[string]interface{}:
			if s, ok := v["Ref"].(string); ok && len(v) == 1 {
				seen[s] = true
				return
			}
			if list, ok := v["Fn::GetAtt"].([]interface{}); ok && len(v) == 1 && len(list) > 0 {
				if s, ok := list[0].(string); ok {
					seen[s] = true
				}
				return
			}
			for k, x := range v {
				if k == "Fn::Sub" {
					tmpl, _ := x.(string)
					if list, ok := x.([]interface{}); ok && len(list) > 0 {
						tmpl, _ = list[0].(string)
						walk(list[1:])
					}
					for _, m := range subReference.FindAllStringSubmatch(tmpl, -1) {
						seen[m[1]] = true
					}
					continue
				}
				walk(x)
			}
		case []interface{}:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(r.Properties)
	walk(r.UpdatePolicy)
	for _, d := range dependsOn(r) {
		seen[d] = true
	}
	var out []string
	for id := range seen {
		if _, ok := t.Resources[id]; ok {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// waitsFor returns, for each alias of aliases (logical ids), the other aliases of the list that CloudFormation
// must update before it: those it depends on directly or through other resources. An alias's update with
// CodeDeployLambdaAliasUpdate is the CodeDeploy deployment, so an alias that waits for another starts its
// deployment when the other's has ended.
func waitsFor(t template, aliases []string) map[string][]string {
	cache := map[string][]string{}
	refs := func(id string) []string {
		if out, ok := cache[id]; ok {
			return out
		}
		out := references(t, t.Resources[id])
		cache[id] = out
		return out
	}
	isAlias := map[string]bool{}
	for _, a := range aliases {
		isAlias[a] = true
	}
	out := map[string][]string{}
	for _, a := range aliases {
		seen := map[string]bool{a: true}
		stack := append([]string(nil), refs(a)...)
		for len(stack) > 0 {
			id := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[id] {
				continue
			}
			seen[id] = true
			if isAlias[id] {
				out[a] = append(out[a], id)
			}
			stack = append(stack, refs(id)...)
		}
		sort.Strings(out[a])
	}
	return out
}

// timeDeployment sets the deployment's own times: the shift, then the hooks around it.
func timeDeployment(d *Deployment) {
	d.Shift = d.strategy.TotalDuration()
	d.ToFullTraffic = d.Shift
	if d.PreHookTiming != nil {
		d.ToFullTraffic += d.PreHookTiming.Timeout
	}
	d.ToComplete = d.ToFullTraffic
	if d.PostHookTiming != nil {
		d.ToComplete += d.PostHookTiming.Timeout
	}
	d.ShiftSeconds, d.ToFullTrafficSeconds, d.ToCompleteSeconds = d.Shift.Seconds(), d.ToFullTraffic.Seconds(), d.ToComplete.Seconds()
}

// StackTiming is how long a stack's deployments take, worst case, from the moment CloudFormation starts the
// first of them; CloudFormation's own work on the other resources is not counted.
type StackTiming struct {
	// Stack is the stack's display name, StackName its CloudFormation name.
	Stack     string `json:"stack"`
	StackName string `json:"stackName"`
	// Deployments is how many deployments the stack has.
	Deployments int `json:"deployments"`
	// Parallel is true when no deployment of the stack waits for another: CloudFormation runs them all at once.
	Parallel bool `json:"parallel"`
	// FullTraffic is when the last of them has given green all the traffic; Complete when the last has ended
	// (post-traffic hooks included), which the stack update waits for.
	FullTraffic        time.Duration `json:"-"`
	FullTrafficSeconds float64       `json:"fullTrafficSeconds"`
	Complete           time.Duration `json:"-"`
	CompleteSeconds    float64       `json:"completeSeconds"`
	// Last is the deployment that ends last (the first by path among equals).
	Last string `json:"last"`
}

// schedule sets when each deployment of one template starts: when every deployment it waits for
// (Deployment.WaitsFor) has ended.
func schedule(ds []Deployment) {
	index := map[string]int{}
	for i, d := range ds {
		index[d.Path] = i
	}
	done := map[int]bool{}
	var start func(i, depth int) time.Duration
	start = func(i, depth int) time.Duration {
		if done[i] || depth > len(ds) { // a cycle cannot deploy; stop rather than loop
			return ds[i].Start
		}
		var s time.Duration
		for _, p := range ds[i].WaitsFor {
			if j, ok := index[p]; ok {
				s = max(s, start(j, depth+1)+ds[j].ToComplete)
			}
		}
		ds[i].Start, ds[i].StartSeconds = s, s.Seconds()
		done[i] = true
		return s
	}
	for i := range ds {
		start(i, 0)
	}
}

// Stacks returns the timing of each stack's deployments, in the order of ds.
func Stacks(ds []Deployment) []StackTiming {
	var out []StackTiming
	at := map[string]int{}
	for _, d := range ds {
		k, ok := at[d.Stack]
		if !ok {
			k = len(out)
			at[d.Stack] = k
			out = append(out, StackTiming{Stack: d.Stack, StackName: d.StackName, Parallel: true})
		}
		st := &out[k]
		st.Deployments++
		st.Parallel = st.Parallel && len(d.WaitsFor) == 0
		st.FullTraffic = max(st.FullTraffic, d.Start+d.ToFullTraffic)
		if end := d.Start + d.ToComplete; end > st.Complete || st.Last == "" {
			st.Complete, st.Last = end, d.Path
		}
		st.FullTrafficSeconds, st.CompleteSeconds = st.FullTraffic.Seconds(), st.Complete.Seconds()
	}
	return out
}
