// Package revert rewrites a stack's deployed CloudFormation template for a rollback in one step: each alias named
// is pointed at an existing version, its deployment group shifts all at once with alarm monitoring off for that one
// update, and its release gate lets the pinned version through. Nothing else of the template changes, so the
// rollback ships exactly what is deployed (code, assets, configuration), with no synth and no build.
//
// Why these three changes and no others:
//   - CloudFormation starts a CodeDeploy deployment for a new FunctionVersion of an alias with a
//     CodeDeployLambdaAliasUpdate update policy (CloudFormation template reference, UpdatePolicy attribute), using
//     the deployment group's configuration. The group is updated first: the alias depends on it (DependsOn
//     attribute: "the resource is created or updated after the resource specified"), so the rollback's deployment
//     moves all traffic at once and no alarm can stop it (AlarmConfiguration Enabled false: CodeDeploy then does
//     not read the alarms).
//   - The alias's update policy is left as it is, hooks included: the hooks of this library report Succeeded
//     without testing when a deployment returns to a lower version number (runner: "a return to an earlier
//     release"), so they cannot block a rollback, and the next ordinary deploy finds the policy it expects, whichever
//     template's policy CloudFormation applies to an update (the documentation does not say).
//   - The stack's release gate lets a pinned version through: its entry for the function names
//     block.PinnedPrefix + the version instead of a release.
//   - The next ordinary deploy brings the synthesized group back (strategy and alarms on): CloudFormation updates
//     every resource whose template differs from the deployed one.
//
// The package also reads what an operator's command needs from a deployed template without changing it: the
// aliases and the deployment group each one shifts through (Aliases, Group), and the bucket the functions load
// their code from (CodeBucket), where a template too large to travel in an UpdateStack request is uploaded.
package revert

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/safeship/lambda-bluegreen/internal/block"
)

// AllAtOnce is CodeDeploy's predefined configuration that shifts all traffic at once.
const AllAtOnce = "CodeDeployDefault.LambdaAllAtOnce"

// MetadataKey is the template-level Metadata entry that records the pins of a rollback template: it tells
// bluegreen status that the deployed template is a rollback's, and which version each alias is pinned to.
const MetadataKey = "LambdaBlueGreenRollback"

// Pin is one alias to point at an existing version.
type Pin struct {
	// AliasLogicalID is the alias's logical id in the template.
	AliasLogicalID string `json:"alias"`
	// Version is the version number to serve (it must exist: CloudFormation fails the alias update otherwise).
	Version string `json:"version"`
}

// Change is one edit of the template, for the operator to read.
type Change struct {
	LogicalID string
	Property  string
	From, To  string
}

func (c Change) String() string {
	return fmt.Sprintf("%s %s: %s → %s", c.LogicalID, c.Property, c.From, c.To)
}

// Template is a parsed template that keeps every value as CloudFormation has it (numbers are not converted).
type Template struct {
	doc map[string]interface{}
}

// Parse reads a JSON template, as the CDK deploys it. A YAML template is refused.
func Parse(body []byte) (*Template, error) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var doc map[string]interface{}
	if err := d.Decode(&doc); err != nil {
		return nil, fmt.Errorf("the deployed template is not JSON (a template written by the CDK is): %w", err)
	}
	if _, ok := doc["Resources"].(map[string]interface{}); !ok {
		return nil, errors.New("the deployed template has no Resources")
	}
	return &Template{doc: doc}, nil
}

// Bytes renders the template as compact JSON.
func (t *Template) Bytes() []byte {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	_ = e.Encode(t.doc)
	return bytes.TrimSpace(b.Bytes())
}

func (t *Template) resources() map[string]interface{} {
	return t.doc["Resources"].(map[string]interface{})
}

func (t *Template) resource(id string) (map[string]interface{}, bool) {
	r, ok := t.resources()[id].(map[string]interface{})
	return r, ok
}

func props(r map[string]interface{}) map[string]interface{} {
	p, _ := r["Properties"].(map[string]interface{})
	if p == nil {
		p = map[string]interface{}{}
		r["Properties"] = p
	}
	return p
}

func typeOf(r map[string]interface{}) string {
	s, _ := r["Type"].(string)
	return s
}

// render writes a value as the operator reads it: a string as it is, anything else as JSON.
func render(v interface{}) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	if v == nil {
		return "(none)"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// refTo returns the logical id v refers to ({"Ref": id} or {"Fn::GetAtt": [id, …]}), or "".
func refTo(v interface{}) string {
	m, ok := v.(map[string]interface{})
	if !ok || len(m) != 1 {
		return ""
	}
	if id, ok := m["Ref"].(string); ok {
		return id
	}
	if att, ok := m["Fn::GetAtt"].([]interface{}); ok && len(att) > 0 {
		id, _ := att[0].(string)
		return id
	}
	return ""
}

// Alias is an alias of the template.
type Alias struct {
	LogicalID string
	// Name is the alias's name; FunctionLogicalID the function it belongs to ("" when it names a function outside
	// the template).
	Name, FunctionLogicalID string
	// Release is the logical id of the version the alias serves in this template (the function's current
	// version), or "" when it serves a version by number (Served then holds it).
	Release, Served string
	// Group is the logical id of its CodeDeploy deployment group, or "" when it has no CodeDeploy update policy.
	Group string
}

// Aliases lists the template's aliases, sorted by logical id.
func (t *Template) Aliases() []Alias {
	var out []Alias
	for id, v := range t.resources() {
		r, ok := v.(map[string]interface{})
		if !ok || typeOf(r) != "AWS::Lambda::Alias" {
			continue
		}
		p := props(r)
		a := Alias{LogicalID: id, FunctionLogicalID: refTo(p["FunctionName"])}
		a.Name, _ = p["Name"].(string)
		if s, ok := p["FunctionVersion"].(string); ok {
			a.Served = s
		} else {
			a.Release = refTo(p["FunctionVersion"])
		}
		a.Group = t.groupOf(r)
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LogicalID < out[j].LogicalID })
	return out
}

// FindAlias returns the alias name of the function with logical id function.
func (t *Template) FindAlias(function, name string) (Alias, error) {
	var names []string
	for _, a := range t.Aliases() {
		if a.FunctionLogicalID == function && a.Name == name {
			return a, nil
		}
		if a.FunctionLogicalID == function {
			names = append(names, a.Name)
		}
	}
	if len(names) > 0 {
		return Alias{}, fmt.Errorf("function %s has no alias %q in the deployed template (it has %s)", function, name,
			strings.Join(names, ", "))
	}
	return Alias{}, fmt.Errorf("the deployed template has no alias of function %s", function)
}

// groupOf returns the logical id of the deployment group in the alias's CodeDeployLambdaAliasUpdate policy.
func (t *Template) groupOf(alias map[string]interface{}) string {
	up, _ := alias["UpdatePolicy"].(map[string]interface{})
	cd, _ := up["CodeDeployLambdaAliasUpdate"].(map[string]interface{})
	if cd == nil {
		return ""
	}
	if id := refTo(cd["DeploymentGroupName"]); id != "" {
		return id
	}
	// A literal group name: the group of the template that has it.
	name, _ := cd["DeploymentGroupName"].(string)
	for id, v := range t.resources() {
		r, ok := v.(map[string]interface{})
		if ok && typeOf(r) == "AWS::CodeDeploy::DeploymentGroup" && name != "" && props(r)["DeploymentGroupName"] == name {
			return id
		}
	}
	return ""
}

// Rollback applies the pins to the template and returns what it changed.
func (t *Template) Rollback(pins []Pin) ([]Change, error) {
	if len(pins) == 0 {
		return nil, errors.New("no alias to roll back")
	}
	var changes []Change
	set := func(id string, m map[string]interface{}, key, prop string, to interface{}) {
		if reflect.DeepEqual(m[key], to) {
			return
		}
		changes = append(changes, Change{LogicalID: id, Property: prop, From: render(m[key]), To: render(to)})
		m[key] = to
	}
	var recorded []interface{}
	for _, pin := range pins {
		if pin.Version == "" || strings.Trim(pin.Version, "0123456789") != "" {
			return nil, fmt.Errorf("alias %s: the version to roll back to must be a version number, got %q", pin.AliasLogicalID, pin.Version)
		}
		alias, ok := t.resource(pin.AliasLogicalID)
		if !ok || typeOf(alias) != "AWS::Lambda::Alias" {
			return nil, fmt.Errorf("the deployed template has no alias %s", pin.AliasLogicalID)
		}
		p := props(alias)
		set(pin.AliasLogicalID, p, "FunctionVersion", "FunctionVersion", pin.Version)
		if groupID := t.groupOf(alias); groupID != "" {
			group, _ := t.resource(groupID)
			gp := props(group)
			set(groupID, gp, "DeploymentConfigName", "DeploymentConfigName", AllAtOnce)
			if ac, ok := gp["AlarmConfiguration"].(map[string]interface{}); ok {
				set(groupID, ac, "Enabled", "AlarmConfiguration.Enabled", false)
			}
		}
		for id, v := range t.resources() {
			r, ok := v.(map[string]interface{})
			if !ok || typeOf(r) != block.GateResourceType {
				continue
			}
			entries, _ := props(r)[block.GateReleases].(map[string]interface{})
			for key, e := range entries {
				entry, _ := e.(map[string]interface{})
				if entry != nil && reflect.DeepEqual(entry[block.GateFunctionName], p["FunctionName"]) {
					set(id, entry, block.GateRelease, block.GateReleases+"."+key+"."+block.GateRelease,
						block.PinnedPrefix+pin.Version)
				}
			}
		}
		recorded = append(recorded, map[string]interface{}{"alias": pin.AliasLogicalID, "version": pin.Version})
	}
	// A second rollback in the same stack keeps the pins of the first (their aliases still serve a version by
	// number), replacing those of the aliases it pins again.
	for _, old := range t.Pins() {
		again := false
		for _, p := range pins {
			again = again || p.AliasLogicalID == old.AliasLogicalID
		}
		if !again {
			recorded = append(recorded, map[string]interface{}{"alias": old.AliasLogicalID, "version": old.Version})
		}
	}
	meta, _ := t.doc["Metadata"].(map[string]interface{})
	if meta == nil {
		meta = map[string]interface{}{}
		t.doc["Metadata"] = meta
	}
	meta[MetadataKey] = recorded
	sort.Slice(changes, func(i, j int) bool {
		if changes[i].LogicalID != changes[j].LogicalID {
			return changes[i].LogicalID < changes[j].LogicalID
		}
		return changes[i].Property < changes[j].Property
	})
	return changes, nil
}

// Pins returns the pins a rollback template records (MetadataKey), or none for an ordinary template.
func (t *Template) Pins() []Pin {
	meta, _ := t.doc["Metadata"].(map[string]interface{})
	list, _ := meta[MetadataKey].([]interface{})
	var out []Pin
	for _, v := range list {
		m, _ := v.(map[string]interface{})
		a, _ := m["alias"].(string)
		ver, _ := m["version"].(string)
		if a != "" {
			out = append(out, Pin{AliasLogicalID: a, Version: ver})
		}
	}
	return out
}

// Parameters returns the names of the template's parameters, sorted: an update of the stack passes each with
// UsePreviousValue.
func (t *Template) Parameters() []string {
	ps, _ := t.doc["Parameters"].(map[string]interface{})
	var out []string
	for name := range ps {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// Group is a CodeDeploy deployment group of the template.
type Group struct {
	LogicalID string
	// Name is the group's DeploymentGroupName when the template gives it literally; "" when CloudFormation names
	// the group (its physical id, which Ref returns, is then the name).
	Name string
	// ApplicationLogicalID is the application's logical id when the group's ApplicationName refers to a resource
	// of the template; Application is the name when the template gives it literally.
	ApplicationLogicalID, Application string
	// Config is the group's DeploymentConfigName when the template gives it literally; ConfigLogicalID the
	// logical id of the AWS::CodeDeploy::DeploymentConfig it refers to otherwise ("" for neither).
	Config, ConfigLogicalID string
	// AlarmsEnabled is the group's AlarmConfiguration.Enabled.
	AlarmsEnabled bool
}

// Group returns the deployment group with logical id id.
func (t *Template) Group(id string) (Group, bool) {
	r, ok := t.resource(id)
	if !ok || typeOf(r) != "AWS::CodeDeploy::DeploymentGroup" {
		return Group{}, false
	}
	p := props(r)
	g := Group{LogicalID: id, ApplicationLogicalID: refTo(p["ApplicationName"])}
	g.Name, _ = p["DeploymentGroupName"].(string)
	g.Application, _ = p["ApplicationName"].(string)
	g.Config, _ = p["DeploymentConfigName"].(string)
	g.ConfigLogicalID = refTo(p["DeploymentConfigName"])
	if ac, ok := p["AlarmConfiguration"].(map[string]interface{}); ok {
		g.AlarmsEnabled, _ = ac["Enabled"].(bool)
	}
	return g, true
}

// CodeBucket returns the S3 bucket the template's Lambda functions load their code from (Code.S3Bucket of the
// first function, by logical id, that names one the caller can resolve): a literal name, or an Fn::Sub string
// whose only variables are the pseudo parameters given (the CDK's bootstrap bucket is
// {"Fn::Sub": "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}"}). pseudo maps a pseudo parameter's name
// ("AWS::AccountId") to its value.
func (t *Template) CodeBucket(pseudo map[string]string) (string, bool) {
	ids := make([]string, 0, len(t.resources()))
	for id := range t.resources() {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		r, ok := t.resource(id)
		if !ok || typeOf(r) != "AWS::Lambda::Function" {
			continue
		}
		code, _ := props(r)["Code"].(map[string]interface{})
		switch b := code["S3Bucket"].(type) {
		case string:
			if b != "" {
				return b, true
			}
		case map[string]interface{}:
			sub, _ := b["Fn::Sub"].(string)
			if len(b) != 1 || sub == "" {
				continue
			}
			for name, value := range pseudo {
				sub = strings.ReplaceAll(sub, "${"+name+"}", value)
			}
			if !strings.Contains(sub, "${") {
				return sub, true
			}
		}
	}
	return "", false
}
