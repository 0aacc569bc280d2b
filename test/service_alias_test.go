package test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/hooks"
	"github.com/safeship/lambda-bluegreen/constructs/hooks/hookconfig"
	"github.com/safeship/lambda-bluegreen/constructs/service"
	"github.com/safeship/lambda-bluegreen/test/testkit"
)

// cfnID is the logical id of the CloudFormation resource of c in stack.
func cfnID(stack awscdk.Stack, c constructs.IConstruct) string {
	return *stack.GetLogicalId(c.Node().DefaultChild().(awscdk.CfnElement))
}

// Each function of a service sets its own alias options, as a Deployment does: a description, provisioned
// concurrency (fixed or scaled) held by a scalable target of its own alias, and the shared pre-traffic hook checks
// each function's provisioned concurrency (its own range, or none) and may read it for those functions only. The
// hook's own function (the first with tests) takes HookProps.ProvisionedConcurrency, the others
// Target.ProvisionedConcurrency; both orders are played, so that a grant that followed only the first function's
// configuration would show.
func TestServiceFunctionAliasOptions(t *testing.T) {
	scaling := &bluegreen.ProvisionedConcurrencyScaling{MinCapacity: jsii.Number(2), MaxCapacity: jsii.Number(8),
		TargetUtilization: jsii.Number(0.6)}
	for _, tc := range []struct {
		name string
		// fixed is the index of the function with ProvisionedConcurrency 5 and a description; Fn2 scales.
		fixed, none int
	}{
		{"the hook's own function without provisioned concurrency", 1, 0},
		{"the hook's own function with provisioned concurrency", 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app, stack, svc := testkit.NewService(t, 3, func(p *service.Props) {
				p.Functions[tc.fixed].ProvisionedConcurrency = jsii.Number(5)
				p.Functions[tc.fixed].AliasDescription = jsii.String("orders, warm")
				p.Functions[2].ProvisionedConcurrencyScaling = scaling
			})
			fixed, none, scaled := svc.Deployments()[tc.fixed], svc.Deployments()[tc.none], svc.Deployments()[2]
			if fixed.ProvisionedConcurrencyTarget() == nil || fixed.ProvisionedConcurrencyPolicy() != nil ||
				none.ProvisionedConcurrencyTarget() != nil || scaled.ProvisionedConcurrencyPolicy() == nil {
				t.Fatalf("each function's deployment must hold its own provisioned concurrency: targets %v %v %v",
					fixed.ProvisionedConcurrencyTarget(), none.ProvisionedConcurrencyTarget(),
					scaled.ProvisionedConcurrencyTarget())
			}
			if c := fixed.ProvisionedConcurrencyCheck(); c == nil || c.Min != 5 || c.Max != 5 {
				t.Errorf("ProvisionedConcurrencyCheck() = %+v, want 5 to 5", c)
			}
			if c := none.ProvisionedConcurrencyCheck(); c != nil {
				t.Errorf("ProvisionedConcurrencyCheck() = %+v, want nil", *c)
			}
			cfg := preTrafficConfig(t, app, stack)
			tmpl := testkit.Template(t, stack)

			// The template: the description on that function's alias only, a scalable target per function with
			// provisioned concurrency, on its own alias, and one scaling policy.
			aliases := testkit.Resources(tmpl, "AWS::Lambda::Alias")
			if d := testkit.Props(aliases[cfnID(stack, fixed.Alias())])["Description"]; d != "orders, warm" {
				t.Errorf("alias description %v, want %q", d, "orders, warm")
			}
			if d, ok := testkit.Props(aliases[cfnID(stack, none.Alias())])["Description"]; ok {
				t.Errorf("a function without AliasDescription got %v", d)
			}
			want := map[string][2]float64{cfnID(stack, fixed.Alias()): {5, 5}, cfnID(stack, scaled.Alias()): {2, 8}}
			targets := testkit.Resources(tmpl, "AWS::ApplicationAutoScaling::ScalableTarget")
			if len(targets) != 2 {
				t.Fatalf("want 2 scalable targets, got %d", len(targets))
			}
			for id, target := range targets {
				p := testkit.Props(target)
				found := false
				for alias, r := range want {
					if strings.Contains(testkit.JSONString(p["ResourceId"]), `"Ref":"`+alias+`"`) {
						found = true
						if p["MinCapacity"] != r[0] || p["MaxCapacity"] != r[1] {
							t.Errorf("target %s of %s: %v to %v, want %g to %g", id, alias, p["MinCapacity"], p["MaxCapacity"], r[0], r[1])
						}
						if !strings.Contains(testkit.JSONString(target["DependsOn"]), alias) {
							t.Errorf("target %s must depend on its alias %s (updated after the shift)", id, alias)
						}
					}
				}
				if !found {
					t.Errorf("scalable target %s is on no function with provisioned concurrency: %s", id, testkit.JSONString(p["ResourceId"]))
				}
			}
			testkit.CountIs(t, tmpl, "AWS::ApplicationAutoScaling::ScalingPolicy", 1)

			// The hook's configuration: each function's own range, or none.
			byKey := map[string]*hookconfig.ProvisionedConcurrency{"Fn0": cfg.ProvisionedConcurrency}
			for key, checks := range cfg.Targets {
				byKey[key] = checks.ProvisionedConcurrency
			}
			for key, want := range map[string]*hookconfig.ProvisionedConcurrency{
				"Fn" + string(rune('0'+tc.fixed)): {Min: 5, Max: 5}, "Fn" + string(rune('0'+tc.none)): nil, "Fn2": {Min: 2, Max: 8},
			} {
				got := byKey[key]
				if (got == nil) != (want == nil) || (got != nil && *got != *want) {
					t.Errorf("the hook's provisioned concurrency check of %s is %+v, want %+v (config %+v)", key, got, want, cfg)
				}
			}

			// The hook may read the provisioned concurrency of exactly those functions, on their versions and
			// aliases (<function ARN>:*).
			role := cfnID(stack, svc.PreTrafficHook().Role())
			readable := actionsOn(statements(t, tmpl, role))["lambda:GetProvisionedConcurrencyConfig"]
			for _, d := range []bluegreen.Deployment{fixed, scaled} {
				fn := cfnID(stack, d.Function())
				ok := false
				for _, r := range readable {
					ok = ok || (strings.Contains(r, `"`+fn+`"`) && strings.Contains(r, `":*"`))
				}
				if !ok {
					t.Errorf("the hook may not read the provisioned concurrency of %s: %v", fn, readable)
				}
			}
			if fn := cfnID(stack, none.Function()); strings.Contains(strings.Join(readable, " "), `"`+fn+`"`) {
				t.Errorf("the hook may read the provisioned concurrency of %s, which has none: %v", fn, readable)
			}
		})
	}
}

// A service passes its ConcurrentExecutionsQuota to every function's deployment: a raised quota lets a function
// without reserved concurrency hold more than 900.
func TestServiceConcurrentExecutionsQuota(t *testing.T) {
	big := func(p *service.Props) { p.Functions[1].ProvisionedConcurrency = jsii.Number(1500) }
	msg := testkit.MustPanic(t, func() { testkit.NewService(t, 2, big) })
	if !strings.Contains(msg, "Functions[1].ProvisionedConcurrency must be at most 900 for a function without "+
		"ReservedConcurrentExecutions") || !strings.Contains(msg, "set ConcurrentExecutionsQuota to it") {
		t.Errorf("want the account's limit, naming the function's field and the service's quota, got %q", msg)
	}
	_, stack, svc := testkit.NewService(t, 2, func(p *service.Props) { big(p); p.ConcurrentExecutionsQuota = jsii.Number(3000) })
	if p := testkit.Props(testkit.Resources(testkit.Template(t, stack), "AWS::ApplicationAutoScaling::ScalableTarget")[cfnID(stack,
		svc.Deployments()[1].ProvisionedConcurrencyTarget())]); p["MinCapacity"] != 1500.0 {
		t.Errorf("want 1500 held, got %v", p["MinCapacity"])
	}
}

// Bad alias options are refused before anything is defined, each naming its function's field, the value and what
// is allowed; a problem with the service's quota is said once, not once per function.
func TestServiceBadAliasOptions(t *testing.T) {
	reserved := testkit.FunctionProps(t)
	reserved.ReservedConcurrentExecutions = jsii.Number(3)
	stack := testkit.NewStack(t)
	msg := testkit.MustPanic(t, func() {
		service.New(stack, "Shop", &service.Props{
			ConcurrentExecutionsQuota: jsii.Number(1.5),
			Functions: []service.Function{
				{ID: "Both", FunctionProps: testkit.FunctionProps(t), ProvisionedConcurrency: jsii.Number(2),
					ProvisionedConcurrencyScaling: &bluegreen.ProvisionedConcurrencyScaling{MaxCapacity: jsii.Number(4),
						TargetUtilization: jsii.Number(0.5)}},
				{ID: "Half", FunctionProps: testkit.FunctionProps(t), ProvisionedConcurrency: jsii.Number(2.5)},
				{ID: "Wordy", FunctionProps: testkit.FunctionProps(t), AliasDescription: jsii.String(strings.Repeat("x", 300)),
					ProvisionedConcurrencyScaling: &bluegreen.ProvisionedConcurrencyScaling{MaxCapacity: jsii.Number(4),
						TargetUtilization: jsii.Number(0.95)}},
				{ID: "Reserved", FunctionProps: reserved, ProvisionedConcurrency: jsii.Number(5)},
			}})
	})
	for _, want := range []string{
		"TestStack/Shop: invalid service.Props: ",
		"at most one of Functions[0].ProvisionedConcurrency and Functions[0].ProvisionedConcurrencyScaling may be set, got both",
		"Functions[1].ProvisionedConcurrency must be a whole number from 1 (or 0 to release it), got 2.5",
		"Functions[2].AliasDescription must be at most 256 characters, got 300",
		"Functions[2].ProvisionedConcurrencyScaling.TargetUtilization must be from 0.1 to 0.9, got 0.95",
		"Functions[3].ProvisionedConcurrency must be at most the function's ReservedConcurrentExecutions (3)",
		"ConcurrentExecutionsQuota must be a whole number from 1",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q does not contain %q", msg, want)
		}
	}
	if n := strings.Count(msg, "ConcurrentExecutionsQuota must be"); n != 1 {
		t.Errorf("the service's quota is refused %d times, want once: %q", n, msg)
	}
	if stack.Node().TryFindChild(jsii.String("Shop")) != nil {
		t.Error("a refused service left its construct in the tree")
	}
}

// A shared hook's target takes a provisioned concurrency check of its own, refused like HookProps's: whole numbers
// with 1 <= Min <= Max, naming the target.
func TestHookTargetProvisionedConcurrencyBadInput(t *testing.T) {
	stack := testkit.NewStack(t)
	a, b := testkit.Deploy(t, stack, "A", nil), testkit.Deploy(t, stack, "B", nil)
	tests := &hooks.PreTrafficProps{Tests: []hooks.TestCase{{Name: "x"}}}
	target := func(key string, pc hookconfig.ProvisionedConcurrency) hooks.Target {
		return hooks.Target{Key: key, Function: b.Function(), DeploymentGroup: b.DeploymentGroup(), PreTraffic: tests,
			ProvisionedConcurrency: &pc}
	}
	msg := testkit.MustPanic(t, func() {
		hooks.NewHook(stack, "Hook", &hooks.HookProps{Function: a.Function(), DeploymentGroup: a.DeploymentGroup(),
			PreTraffic: tests, ProvisionedConcurrency: &hookconfig.ProvisionedConcurrency{Min: 1.5, Max: 2},
			Targets: []hooks.Target{target("b", hookconfig.ProvisionedConcurrency{Min: 0, Max: 2}),
				target("c", hookconfig.ProvisionedConcurrency{Min: 4, Max: 3})}})
	})
	for _, want := range []string{
		"ProvisionedConcurrency must have whole numbers Min and Max, got Min 1.5, Max 2",
		"Targets[0].ProvisionedConcurrency must have 1 <= Min <= Max, got Min 0, Max 2",
		"Targets[1].ProvisionedConcurrency must have 1 <= Min <= Max, got Min 4, Max 3",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q does not contain %q", msg, want)
		}
	}
}
