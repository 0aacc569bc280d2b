package bluegreen

import (
	"fmt"
	"math"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/internal/check"

	"github.com/safeship/lambda-bluegreen/constructs/quota"
	"github.com/safeship/lambda-bluegreen/constructs/release"
)

// MaxResourcesPerStack is CloudFormation's quota of resources declared in one stack's template: 500 (AWS
// CloudFormation User Guide, Understand CloudFormation quotas, row Resources,
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html). A nested stack is
// a stack of its own: its resources count against its own quota, and against its parent only as the one
// AWS::CloudFormation::Stack resource. aws-cdk-lib checks the same number when it writes a template (context key
// @aws-cdk/core:stackResourceLimit, default 500), with an error that names the resource types but no cause.
const MaxResourcesPerStack = 500

// StackSizeWarningAbove is the number of resources above which synth warns that a stack holding a Deployment
// nears MaxResourcesPerStack: 80 % of it.
const StackSizeWarningAbove = MaxResourcesPerStack * 8 / 10

// StackSizeID is the construct id of the construct that checks, at synth, the size of a stack holding
// Deployments. NewDeployment defines it, once per stack, as a direct child of the stack; it defines no resource.
const StackSizeID = "BlueGreenStackSize"

// FirstDeployInfo is the id of the note synth gives once per stack holding a Deployment: the first deploy of an
// alias creates it on its version directly, with no CodeDeploy deployment (no hook, no canary, no alarm), because
// CloudFormation hands only a change of an existing alias's version to CodeDeploy (UpdatePolicy attribute,
// CodeDeployLambdaAliasUpdate).
const FirstDeployInfo = "lambda-bluegreen:firstDeploy"

// StackSizeWarning is the id of the warning synth gives when a stack holding a Deployment has more than
// StackSizeWarningAbove resources; Annotations.AcknowledgeWarning takes it.
const StackSizeWarning = "lambda-bluegreen:stackSize"

// stackSize holds what the Deployments of one stack share (the CodeDeploy application, the release guard, the
// stack's quota check) and says, when the stack's quota check finds more than StackSizeWarningAbove resources
// (warning) or more than MaxResourcesPerStack (error), what each protected function costs there (advice). The
// quota check counts in a validation: CDK runs validations after every Aspect and after preparing the app (CDK's
// CDKMetadata resource is there by then), so resources added after the Deployments, by Aspects included, count.
type stackSize struct {
	constructs.Construct
	stack       awscdk.Stack
	stackNode   constructs.Node
	app         awscodedeploy.ILambdaApplication // the shared CodeDeploy application, once defined or found
	guard       release.Guard                    // the stack's release guard, once defined or found
	quotas      *quota.Stack                     // the stack's quota check
	newQuotas   bool                             // whether the first Deployment defined it (a refused one takes it out)
	deployments []sizedDeployment
}

// sizedDeployment is a Deployment of the stack and the hooks given to it as functions of the user's
// (DeploymentProps.PreHook and PostHook), which a Deployment does not keep.
type sizedDeployment struct {
	d     *deployment
	hooks []awslambda.IFunction
}

// stackSizeOf returns the size check of the stack holding scope, defining it on the stack's first Deployment,
// and whether it defined it.
func stackSizeOf(scope constructs.Construct) (*stackSize, bool) {
	stack := awscdk.Stack_Of(scope)
	node := stack.Node()
	switch existing := node.TryFindChild(jsii.String(StackSizeID)).(type) {
	case nil:
		s := &stackSize{stack: stack, stackNode: node}
		constructs.NewConstruct_Override(s, stack, jsii.String(StackSizeID))
		s.Node().AddValidation(s)
		// The stack's quota check counts its resources; what a Deployment costs there is said here.
		s.newQuotas = node.TryFindChild(jsii.String(quota.CheckID)) == nil
		s.quotas = quota.Of(stack)
		s.quotas.Advise(quota.ResourcesPerStack, StackSizeWarning, s.advice)
		// What synth cannot know is whether an alias exists yet: say once per stack what that means.
		awscdk.Annotations_Of(stack).AddInfoV2(jsii.String(FirstDeployInfo), jsii.String("the first deploy of an "+
			"alias (a new stack, a function added to it, an alias renamed or replaced) creates the alias on its version "+
			"directly: CloudFormation runs no CodeDeploy deployment, so no hook, no canary and no alarm protect it; "+
			"test a new function before its first deploy"))
		return s, true
	case *stackSize:
		return existing, false
	default:
		panic(fmt.Errorf("%s: construct id %q is taken by a construct that is not the blue/green stack size check",
			*node.Path(), StackSizeID))
	}
}

// track registers d with the size check, once d is defined.
func (s *stackSize) track(d *deployment, p *DeploymentProps) {
	var hooks []awslambda.IFunction
	for _, h := range []awslambda.IFunction{p.PreHook, p.PostHook} {
		if h != nil {
			hooks = append(hooks, h)
		}
	}
	s.deployments = append(s.deployments, sizedDeployment{d: d, hooks: hooks})
}

// application returns the stack's shared CodeDeploy application, defining it on first use. The size check keeps
// it: one construct per stack, found with one lookup, serves both.
func (s *stackSize) application() awscodedeploy.ILambdaApplication {
	if s.app != nil {
		return s.app
	}
	switch existing := s.stackNode.TryFindChild(jsii.String(ApplicationID)).(type) {
	case nil:
		s.app = awscodedeploy.NewLambdaApplication(s.stack, jsii.String(ApplicationID), nil)
	case awscodedeploy.ILambdaApplication:
		s.app = existing
	default:
		panic(fmt.Errorf("%s: construct id %q is taken by a construct that is not a CodeDeploy Lambda application",
			*s.stackNode.Path(), ApplicationID))
	}
	return s.app
}

// releaseGuard returns the stack's release guard, defining it on first use; the size check keeps it, so each
// Deployment finds it without a lookup.
func (s *stackSize) releaseGuard() release.Guard {
	if s.guard == nil {
		s.guard = release.GuardOf(s.stack)
	}
	return s.guard
}

// Validate implements constructs.IValidation: it runs the checks of each Deployment that depend on later calls.
// The resource count is the stack's quota check's (constructs/quota), which fails the synth above
// MaxResourcesPerStack before CDK's own TooManyResourcesInStack check throws while writing the template.
func (s *stackSize) Validate() *[]*string {
	none := []*string{}          // not nil: CDK spreads the result
	if len(s.deployments) == 0 { // every Deployment of the stack failed to define
		return &none
	}
	// The stack's one validation also runs the checks of each Deployment that depend on later calls (AddAlarm),
	// rather than one validation per Deployment: a call into the CDK each.
	for _, sd := range s.deployments {
		sd.d.warnIfNoAlarms()
	}
	return &none
}

// advice says how many resources the stack has, what its protected functions cost, and what to do.
func (s *stackSize) advice(count int) string {
	n := len(s.deployments)
	protected := s.protectedResources()
	each := int(math.Round(float64(protected) / float64(n)))
	var head string
	if count > MaxResourcesPerStack {
		head = fmt.Sprintf("stack %s has %d CloudFormation resources, more than CloudFormation's quota of %d "+
			"resources per stack: CloudFormation refuses to deploy it", *s.stack.Node().Path(), count,
			MaxResourcesPerStack)
	} else {
		head = fmt.Sprintf("stack %s has %d CloudFormation resources, more than 80 %% of CloudFormation's quota of "+
			"%d resources per stack", *s.stack.Node().Path(), count, MaxResourcesPerStack)
	}
	functions := "protected functions account"
	if n == 1 {
		functions = "protected function accounts"
	}
	return fmt.Sprintf("%s; its %d blue/green %s for %d of them, about %d per protected function (function, "+
		"version, alias, alarms, deployment group, hooks and their roles, and the stack's share of the CodeDeploy "+
		"application, deployment configs and release guard); to make room, share one pre- and post-traffic hook across the "+
		"stack's functions, or split the service across stacks (see docs/service.md: Split a service across stacks)",
		head, n, functions, protected, each)
}

// protectedResources counts the resources the stack's Deployments cost it: those under each Deployment, and
// those of what a Deployment uses elsewhere in the stack (a function given as DeploymentProps.Function with
// the version the Deployment publishes, hooks given as functions, the CodeDeploy application, custom deployment
// configs, a CodeDeploy role given, the stack's release guard), each counted once however many Deployments share it. Hooks attached later
// with DeploymentGroup().AddPreHook or AddPostHook are not seen.
func (s *stackSize) protectedResources() int {
	var roots []constructs.IConstruct
	for _, e := range s.deployments {
		roots = append(roots, e.d.Construct)
	}
	for _, e := range s.deployments {
		elsewhere := []interface{}{e.d.function, e.d.application, e.d.config, e.d.group.Role(), e.d.guard}
		for _, h := range e.hooks {
			elsewhere = append(elsewhere, h)
		}
		for _, x := range elsewhere {
			if c, ok := x.(constructs.Construct); ok && inStack(c, s.stack) {
				roots = append(roots, c)
			}
		}
	}
	paths := make([]string, len(roots))
	for i, c := range roots {
		paths[i] = *c.Node().Path()
	}
	total := 0
	for _, i := range outermost(paths) {
		total += countResources(roots[i], s.stack)
	}
	return total
}

// outermost returns the indexes of the construct paths that are neither under another of paths nor a repeat of
// an earlier one, so that no resource is counted twice.
func outermost(paths []string) []int {
	var out []int
	for i, p := range paths {
		inner := false
		for j, q := range paths {
			if j != i && (strings.HasPrefix(p, q+"/") || (p == q && j < i)) {
				inner = true
				break
			}
		}
		if !inner {
			out = append(out, i)
		}
	}
	return out
}

// countResources counts the resources under root (root included) that CloudFormation deploys as part of stack,
// as CloudFormation counts them: every CfnResource whose stack is stack. The resources of a nested stack belong
// to that stack (its parent holds one AWS::CloudFormation::Stack resource for it), and those of a nested Stage to
// the Stage's stacks.
func countResources(root constructs.IConstruct, stack awscdk.Stack) int {
	var resources []constructs.IConstruct
	foreign := false // a stack or stage below root, whose resources may not be stack's
	for i, c := range *root.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		switch kindOf(c) {
		case kindResource:
			resources = append(resources, c)
		case kindStackOrStage:
			foreign = foreign || i > 0 // in pre-order, root comes first
		}
	}
	if !foreign {
		return len(resources)
	}
	n := 0
	for _, r := range resources {
		if check.SameStack(awscdk.Stack_Of(r), stack) {
			n++
		}
	}
	return n
}

type constructKind int

const (
	kindOther constructKind = iota
	kindResource
	kindStackOrStage
)

// kindOf tells a CfnResource, a Stack or Stage, and any other construct apart. jsii hands Go a construct as a
// value of its own class when this program links the Go package of that class, so a type assertion answers
// without a call into Node for almost every construct; a construct of a class this program does not link comes
// back as a bare IConstruct, and CDK is asked.
func kindOf(c constructs.IConstruct) constructKind {
	switch c.(type) {
	case awscdk.CfnResource:
		return kindResource
	case awscdk.Stack, awscdk.Stage:
		return kindStackOrStage
	case constructs.Construct:
		return kindOther
	}
	switch {
	case *awscdk.CfnResource_IsCfnResource(c):
		return kindResource
	case *awscdk.Stack_IsStack(c) || *awscdk.Stage_IsStage(c):
		return kindStackOrStage
	}
	return kindOther
}

// inStack reports whether c is defined in stack (not in another stack, nested or not, nor outside any stack).
func inStack(c constructs.IConstruct, stack awscdk.Stack) bool {
	s, ok := stackOf(c)
	return ok && check.SameStack(s, stack)
}

// stackOf returns the stack c is defined in, or false when it is in none (Stack.of throws then).
func stackOf(c constructs.IConstruct) (s awscdk.Stack, ok bool) {
	defer func() {
		if recover() != nil {
			s, ok = nil, false
		}
	}()
	return awscdk.Stack_Of(c), true
}

// topLevelStack returns the stack CloudFormation deploys s with: s itself, or the top-level stack a nested stack
// belongs to.
func topLevelStack(s awscdk.Stack) awscdk.Stack {
	for parent := s.NestedStackParent(); parent != nil; parent = s.NestedStackParent() {
		s = parent
	}
	return s
}

// checkFunctionStack returns an error when fn (DeploymentProps.Function) belongs to another CloudFormation
// stack than scope, that is unless both are in the same top-level stack or in stacks nested in it.
//
// Across top-level stacks, CDK hands the function's current version to the Deployment's stack through an output
// of the function's stack named after the version's logical id, which changes with every release (the version's
// logical id carries a hash of the function's code and configuration). With strong cross-stack references
// (ReferenceStrength STRONG: "uses CloudFormation Export/Import", CDK's default when the context key
// @aws-cdk/core:defaultCrossStackReferences is unset) that output is an export, and "after another stack imports
// an output value, you can't delete the stack that is exporting the output value or modify the exported output
// value" (AWS CloudFormation Template Reference, Fn::ImportValue,
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-importvalue.html):
// the function's stack cannot drop the last release's export, and the second release fails ("Export … cannot be
// deleted as it is in use by …"). With weak references (Fn::GetStackOutput, "resolved at stack create or update
// time"; AWS CloudFormation Template Reference, Fn::GetStackOutput) nothing is locked, but every release becomes
// two stack deployments: the function's stack publishes green and is done before the Deployment's stack shifts
// traffic, so a rolled-back shift leaves the function's stack on the new code. Either way the Deployment belongs
// in the function's stack. Nested stacks exchange values through the nested stack's parameters and outputs in one
// stack deployment, and are allowed; CDK refuses references between stages on its own.
func checkFunctionStack(scope constructs.Construct, fn awslambda.Function) error {
	if fn == nil {
		return nil
	}
	fnStack, ok1 := stackOf(fn)
	here, ok2 := stackOf(scope)
	if !ok1 || !ok2 || check.SameStack(topLevelStack(fnStack), topLevelStack(here)) {
		return nil // outside any stack: CDK refuses it when the Deployment is defined, naming the construct
	}
	a, b := *fnStack.Node().Path(), *here.Node().Path()
	return fmt.Errorf("Function %s is in stack %s, but the Deployment would be in stack %s: every release would "+
		"hand the new version from %s to %s under a new output name; with strong cross-stack references (CDK's "+
		"default) that output is an export, which CloudFormation does not remove while %s imports it, so the next "+
		"release fails, and with weak ones a release becomes two stack deployments that roll back separately; "+
		"define the Deployment in the function's stack %s (or a stack nested in it)", *fn.Node().Path(), a, b, a, b,
		b, a)
}
