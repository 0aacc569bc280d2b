package quota

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/internal/check"
)

// CheckID is the construct id of the quota check, a direct child of the stack it checks; it defines no resource.
const CheckID = "BlueGreenQuotas"

// Stack is the quota check of one stack.
type Stack struct {
	constructs.Construct
	stack     awscdk.Stack
	limits    Limits
	advice    map[Key]func(size int) string
	warningID map[Key]string
	assume    Assumptions
	extra     int                     // bytes of template the check cannot read (overrides), as constructs declared them
	watched   []constructs.IConstruct // subtrees whose resources' properties the check reads
	counted   []counted               // sizes the constructs that know them report
}

// counted is a size a construct reports from what it knows in Go, read at synth.
type counted struct {
	key  Key
	what constructs.IConstruct
	size func() (size int, estimated bool)
}

// Of returns the quota check of the stack holding scope, defining it on first use. Every construct of this
// library calls it for its stack.
func Of(scope constructs.IConstruct) *Stack {
	stack := awscdk.Stack_Of(scope)
	switch existing := stack.Node().TryFindChild(jsii.String(CheckID)).(type) {
	case nil:
		s := &Stack{stack: stack, limits: Limits{}, advice: map[Key]func(int) string{},
			warningID: map[Key]string{}, assume: DefaultAssumptions}
		constructs.NewConstruct_Override(s, stack, jsii.String(CheckID))
		s.Node().AddValidation(s)
		return s
	case *Stack:
		return existing
	default:
		panic(fmt.Errorf("%s: construct id %q is taken by a construct that is not the blue/green quota check",
			*stack.Node().Path(), CheckID))
	}
}

// Raise tells the check of scope's stack that the account the stack deploys to has had the adjustable quota key
// raised to value (in Service Quotas). It panics, naming what is wrong, for an unknown or unadjustable quota, or
// a value AWS does not allow.
func Raise(scope constructs.IConstruct, key Key, value int) {
	s := Of(scope)
	if err := s.limits.Raise(key, value); err != nil {
		panic(fmt.Errorf("%s: quota.Raise: %w", *s.stack.Node().Path(), err))
	}
}

// Advise makes the check say advice(size) instead of its own message for quota key, and warn with warningID
// (when not empty) instead of WarningID(key): a construct that knows better what fills a quota says it.
func (s *Stack) Advise(key Key, warningID string, advice func(size int) string) {
	s.advice[key] = advice
	if warningID != "" {
		s.warningID[key] = warningID
	}
}

// Watch makes the check read, at synth, the properties of every resource under each root (a role with its
// policies, a rule, a topic policy…) and measure each against the quotas that apply to it. Reading a resource
// costs calls into the CDK: the library watches what grows with the number of functions (shared hooks, the
// notifier, the release guard, a service's CodeDeploy role, dashboards), not every resource of the stack.
func (s *Stack) Watch(roots ...constructs.IConstruct) {
	s.watched = append(s.watched, roots...)
}

// Count makes the check measure size() against quota key at synth, for what (the construct a finding names): a
// size the construct knows in Go (the alarms of a deployment group, the environment of a function it defines),
// and whether it is an estimate (which warns above the quota, never fails).
func (s *Stack) Count(key Key, what constructs.IConstruct, size func() (size int, estimated bool)) {
	s.counted = append(s.counted, counted{key: key, what: what, size: size})
}

// AddTemplateBytes tells the check that the stack's template holds n bytes it cannot read from the resources'
// properties: what a construct writes with addPropertyOverride.
func (s *Stack) AddTemplateBytes(n int) {
	s.extra += n
}

// Limits returns the quotas the check applies.
func (s *Stack) Limits() Limits {
	out := Limits{}
	for _, q := range Table {
		out[q.Key] = s.limits.limit(q.Key)
	}
	return out
}

// Validate implements constructs.IValidation: it measures the stack (after every Aspect and after CDK prepared
// the app), fails the synth with every error, and warns with every measurement above 80 %.
func (s *Stack) Validate() *[]*string {
	errs := []*string{} // not nil: CDK spreads the result
	count, t, cfns := s.read()
	var ms []Measurement
	for _, m := range Measure(t, s.assume) {
		switch m.Key {
		case ResourcesPerStack, OutputsPerStack, ParametersPerStack, TemplateBody:
			// of the stack's resources read alone: counted from the whole stack below
		default:
			ms = append(ms, m)
		}
	}
	stack := *s.stack.Node().Path()
	ms = append(ms,
		Measurement{Key: ResourcesPerStack, Path: stack, Size: count.resources},
		Measurement{Key: OutputsPerStack, Path: stack, Size: count.outputs},
		Measurement{Key: ParametersPerStack, Path: stack, Size: count.parameters},
		Measurement{Key: TemplateBody, Path: stack, Size: s.indented(count.body + s.extra), Estimated: true})
	named := map[string]constructs.IConstruct{}
	for i, c := range s.counted {
		what := fmt.Sprintf("counted %d", i)
		named[what] = c.what
		size, estimated := c.size()
		ms = append(ms, Measurement{Key: c.key, What: what, Size: size, Estimated: estimated})
	}
	for _, f := range Check(ms, s.limits) {
		if cfn, ok := cfns[f.What]; ok {
			f.Path = *cfn.Node().Path()
		} else if c, ok := named[f.What]; ok {
			f.What, f.Path = "", *c.Node().Path()
		}
		msg := f.String()
		if advice := s.advice[f.Key]; advice != nil {
			msg = advice(f.Size)
		}
		if f.Error {
			errs = append(errs, jsii.String(msg))
			continue
		}
		id := s.warningID[f.Key]
		if id == "" {
			id = WarningID(f.Key)
		}
		awscdk.Annotations_Of(s.stack).AddWarningV2(jsii.String(id), jsii.String(msg), nil)
	}
	return &errs
}

// SuppressIndentationContext is the context key with which CDK writes templates without indentation
// (StackProps.SuppressTemplateIndentation does the same for one stack, but the check cannot read it back).
const SuppressIndentationContext = "@aws-cdk/core:suppressTemplateIndentation"

// IndentationOverhead is what the indentation CDK writes by default adds to a template: 43 % in the 47-function
// service of TestQuotaServicesAtScale, 45 % with a margin (CDK's own warning, "Template size exceeds limit",
// counts it too: the template is uploaded as written). StackProps.SuppressTemplateIndentation cannot be read
// back: a stack that sets it is estimated indented, which only warns early.
const IndentationOverhead = 0.45

// indented is the size of a template of n bytes without whitespace, as CDK writes it for this stack.
func (s *Stack) indented(n int) int {
	switch v := s.stack.Node().TryGetContext(jsii.String(SuppressIndentationContext)).(type) {
	case bool:
		if v {
			return n
		}
	case string:
		if v == "true" {
			return n
		}
	}
	return int(float64(n) * (1 + IndentationOverhead))
}

// stackCount is what the check counts of the whole stack: resources, outputs, parameters, and an estimate of
// the template's size.
type stackCount struct {
	resources, outputs, parameters, body int
}

// typicalSize is the size in the template of a resource of each type, as written (intrinsics unresolved, with
// DependsOn and Metadata), a little above the largest average measured in the example and test stacks (the
// 47-function service of TestQuotaServicesAtScale, 44 Deployments); otherSize for any other type. The check reads
// the watched resources instead, and adds what constructs declare (AddTemplateBytes).
var typicalSize = map[string]int{
	"AWS::CloudWatch::Alarm": 1_700, "AWS::Lambda::Alias": 1_400, "AWS::CodeDeploy::DeploymentGroup": 900,
	"AWS::Lambda::Function": 800, "AWS::Lambda::Version": 320, "AWS::IAM::Role": 600, "AWS::IAM::Policy": 2_000,
	"AWS::IAM::ManagedPolicy": 3_500, "AWS::Logs::LogGroup": 240, "AWS::ApplicationAutoScaling::ScalableTarget": 1_400,
	"AWS::Lambda::EventInvokeConfig": 800, "AWS::Lambda::Permission": 550, "AWS::Events::Rule": 900,
	"AWS::CloudWatch::Dashboard": 20_000, "AWS::CodeDeploy::Application": 120,
}

const otherSize = 800

// read counts the stack's resources (one call into the CDK for the whole tree: a resource's type is told by its
// Go type) and reads the watched resources, with their properties resolved in one call. It returns the counts, the
// watched resources as a Template, and the watched resources by logical id.
func (s *Stack) read() (stackCount, Template, map[string]awscdk.CfnResource) {
	var count stackCount
	var all []awscdk.CfnResource
	var elements []constructs.IConstruct // outputs and parameters
	foreign := false                     // a stack or stage below the stack, whose resources may not be the stack's
	for i, c := range *s.stack.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		switch x := c.(type) {
		case awscdk.CfnResource:
			all = append(all, x)
		case awscdk.CfnOutput, awscdk.CfnParameter:
			elements = append(elements, c)
		case awscdk.Stack, awscdk.Stage:
			foreign = foreign || i > 0
		case constructs.Construct:
		default:
			if *awscdk.CfnResource_IsCfnResource(c) {
				count.resources++ // a class this program does not link: counted, not read
				count.body += otherSize
			}
		}
	}
	if foreign {
		kept := all[:0]
		for _, c := range all {
			if check.SameStack(awscdk.Stack_Of(c), s.stack) {
				kept = append(kept, c)
			}
		}
		all = kept
		keptElements := elements[:0]
		for _, c := range elements {
			if check.SameStack(awscdk.Stack_Of(c), s.stack) {
				keptElements = append(keptElements, c)
			}
		}
		elements = keptElements
	}
	for _, c := range elements {
		if _, ok := c.(awscdk.CfnOutput); ok {
			count.outputs++
		} else {
			count.parameters++
		}
	}
	count.resources += len(all)
	for _, c := range all {
		size, ok := typicalSize[typeOf(c)]
		if !ok {
			size = otherSize
		}
		count.body += size
	}

	// The watched resources, each once.
	var cfns []awscdk.CfnResource
	seen := map[awscdk.CfnResource]bool{} // jsii hands Go one value per object
	for _, root := range s.watched {
		for _, c := range *root.Node().FindAll(constructs.ConstructOrder_PREORDER) {
			if cfn, ok := c.(awscdk.CfnResource); ok && !seen[cfn] {
				seen[cfn] = true
				cfns = append(cfns, cfn)
			}
		}
	}
	batch := []interface{}{s.stack.StackName(), s.stack.Region(), s.stack.Account()}
	types := make([]string, len(cfns))
	for i, c := range cfns {
		types[i] = typeOf(c)
		if types[i] == "" {
			types[i] = *c.CfnResourceType()
		}
		batch = append(batch, c.LogicalId(), c.UpdatedProperties())
	}
	t := Template{Resources: map[string]Resource{}}
	byID := map[string]awscdk.CfnResource{}
	resolved, _ := s.stack.Resolve(&batch).([]interface{})
	if len(resolved) != len(batch) {
		return count, t, byID
	}
	literal := func(v interface{}) string {
		str, _ := v.(string)
		return str
	}
	t.StackName, t.Region, t.Account = literal(resolved[0]), literal(resolved[1]), literal(resolved[2])
	for i, c := range cfns {
		id := literal(resolved[3+2*i])
		t.Resources[id] = Resource{Type: types[i], Properties: asMap(resolved[4+2*i])}
		byID[id] = c
		if types[i] == "AWS::CloudWatch::Dashboard" || types[i] == "AWS::IAM::Policy" || types[i] == "AWS::IAM::ManagedPolicy" {
			// Measured, not typical: these grow with the functions they serve.
			count.body += len(raw(t.Resources[id].Properties)) - typicalSize[types[i]]
		}
	}
	return count, t, byID
}
