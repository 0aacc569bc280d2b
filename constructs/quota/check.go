package quota

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
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
	extra     int // bytes of template the check cannot read (overrides), as constructs declared them
}

// AddTemplateBytes tells the check that the stack's template holds n bytes it cannot read from the resources'
// properties: what a construct writes with addPropertyOverride.
func (s *Stack) AddTemplateBytes(n int) {
	s.extra += n
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
	t, cfns := s.template()
	errs := []*string{} // not nil: CDK spreads the result
	ms := Measure(t, s.assume)
	for i := range ms {
		if ms[i].Key == TemplateBody {
			ms[i].Size += s.extra
		}
	}
	for _, f := range Check(ms, s.limits) {
		if cfn, ok := cfns[f.What]; ok {
			f.Path = *cfn.Node().Path()
		} else if f.What == "stack" {
			f.What, f.Path = "", *s.stack.Node().Path()
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

// template reads the stack's resources from the construct tree, with their properties resolved in one call into
// the CDK, and returns them with the resources by logical id.
func (s *Stack) template() (Template, map[string]awscdk.CfnResource) {
	var cfns []awscdk.CfnResource
	t := Template{Resources: map[string]Resource{}}
	foreign := false // a stack or stage below the stack, whose resources may not be the stack's
	others := 0      // resources the bindings cannot read (classes this program does not link)
	for i, c := range *s.stack.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		switch x := c.(type) {
		case awscdk.CfnResource:
			cfns = append(cfns, x)
		case awscdk.CfnOutput:
			t.Outputs++
		case awscdk.CfnParameter:
			t.Parameters++
		case awscdk.Stack, awscdk.Stage:
			foreign = foreign || i > 0
		case constructs.Construct:
		default:
			if *awscdk.CfnResource_IsCfnResource(c) {
				others++
			}
		}
	}
	if foreign {
		kept := cfns[:0]
		for _, c := range cfns {
			if st := awscdk.Stack_Of(c); st == s.stack || *st.Node().Path() == *s.stack.Node().Path() {
				kept = append(kept, c)
			}
		}
		cfns = kept
	}
	types := make([]string, len(cfns))
	batch := []interface{}{s.stack.StackName(), s.stack.Region(), s.stack.Account()}
	read := map[int]int{} // index in cfns → index in batch of its properties
	for i, c := range cfns {
		types[i] = *c.CfnResourceType()
		batch = append(batch, c.LogicalId())
	}
	for i, c := range cfns {
		read[i] = len(batch)
		batch = append(batch, c.UpdatedProperties())
	}
	resolved, _ := s.stack.Resolve(&batch).([]interface{})
	literal := func(v interface{}) string {
		str, _ := v.(string)
		return str
	}
	if len(resolved) == len(batch) {
		t.StackName, t.Region, t.Account = literal(resolved[0]), literal(resolved[1]), literal(resolved[2])
	}
	byID := map[string]awscdk.CfnResource{}
	for i, c := range cfns {
		id := fmt.Sprintf("resource%d", i)
		if len(resolved) == len(batch) {
			if str := literal(resolved[3+i]); str != "" {
				id = str
			}
		}
		r := Resource{Type: types[i], Properties: map[string]interface{}{}}
		if j, ok := read[i]; ok && j < len(resolved) {
			r.Properties = asMap(resolved[j])
		}
		t.Resources[id] = r
		byID[id] = c
	}
	for i := 0; i < others; i++ {
		t.Resources[fmt.Sprintf("Unread%d", i)] = Resource{Type: "unknown"}
	}
	return t, byID
}
