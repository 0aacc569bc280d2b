package test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/hooks"
	"github.com/safeship/lambda-bluegreen/constructs/hooks/hookconfig"
	"github.com/safeship/lambda-bluegreen/constructs/strategy"
	"github.com/safeship/lambda-bluegreen/test/testkit"
)

func TestAliasDescription(t *testing.T) {
	stack := testkit.NewStack(t)
	testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{AliasDescription: jsii.String("production traffic")})
	testkit.HasResource(t, testkit.Template(t, stack), "AWS::Lambda::Alias", testkit.Like(testkit.Obj{"Description": "production traffic"}))
}

// scalableTarget returns the only scalable target, after checking that it holds the alias's provisioned
// concurrency and that CloudFormation updates it after the alias (so after the traffic shift the alias update
// runs): it refers to the alias and depends on it.
func scalableTarget(t *testing.T, tmpl assertions.Template) map[string]interface{} {
	t.Helper()
	aliasID, alias := testkit.OnlyResource(t, tmpl, "AWS::Lambda::Alias")
	if _, ok := testkit.Props(alias)["ProvisionedConcurrencyConfig"]; ok {
		t.Errorf("the alias must not hold provisioned concurrency itself (a change of it would meet the shift): %v",
			testkit.JSONString(testkit.Props(alias)))
	}
	_, target := testkit.OnlyResource(t, tmpl, "AWS::ApplicationAutoScaling::ScalableTarget")
	p := testkit.Props(target)
	if p["ScalableDimension"] != "lambda:function:ProvisionedConcurrency" || p["ServiceNamespace"] != "lambda" {
		t.Errorf("scalable target: %s", testkit.JSONString(p))
	}
	if !strings.Contains(testkit.JSONString(p["ResourceId"]), `"Ref":"`+aliasID+`"`) {
		t.Errorf("ResourceId must refer to the alias %s, got %s", aliasID, testkit.JSONString(p["ResourceId"]))
	}
	if !strings.Contains(testkit.JSONString(target["DependsOn"]), aliasID) {
		t.Errorf("the scalable target must depend on the alias %s, got DependsOn %v", aliasID, target["DependsOn"])
	}
	return p
}

func TestProvisionedConcurrencyIsHeldByAScalableTargetAfterTheAlias(t *testing.T) {
	stack := testkit.NewStack(t)
	d := testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{ProvisionedConcurrency: jsii.Number(5)})
	tmpl := testkit.Template(t, stack)
	p := scalableTarget(t, tmpl)
	if p["MinCapacity"] != 5.0 || p["MaxCapacity"] != 5.0 {
		t.Errorf("want minimum and maximum 5, got %v and %v", p["MinCapacity"], p["MaxCapacity"])
	}
	testkit.CountIs(t, tmpl, "AWS::ApplicationAutoScaling::ScalingPolicy", 0)
	if d.ProvisionedConcurrencyTarget() == nil || d.ProvisionedConcurrencyPolicy() != nil {
		t.Errorf("ProvisionedConcurrencyTarget() = %v, ProvisionedConcurrencyPolicy() = %v; want a target, no policy",
			d.ProvisionedConcurrencyTarget(), d.ProvisionedConcurrencyPolicy())
	}
}

func TestNoProvisionedConcurrencyByDefault(t *testing.T) {
	stack := testkit.NewStack(t)
	d := testkit.Deploy(t, stack, "Api", nil)
	tmpl := testkit.Template(t, stack)
	testkit.CountIs(t, tmpl, "AWS::ApplicationAutoScaling::ScalableTarget", 0)
	testkit.HasResource(t, tmpl, "AWS::Lambda::Alias", testkit.Like(testkit.Obj{
		"ProvisionedConcurrencyConfig": assertions.Match_Absent(), "Description": assertions.Match_Absent(),
	}))
	if d.ProvisionedConcurrencyTarget() != nil || d.ProvisionedConcurrencyPolicy() != nil {
		t.Errorf("no provisioned concurrency was asked for")
	}
}

func TestProvisionedConcurrencyScaling(t *testing.T) {
	stack := testkit.NewStack(t)
	d := testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{
		ProvisionedConcurrencyScaling: &bluegreen.ProvisionedConcurrencyScaling{
			MinCapacity: jsii.Number(2), MaxCapacity: jsii.Number(20), TargetUtilization: jsii.Number(0.7),
		},
	})
	tmpl := testkit.Template(t, stack)
	p := scalableTarget(t, tmpl)
	if p["MinCapacity"] != 2.0 || p["MaxCapacity"] != 20.0 {
		t.Errorf("want 2 to 20, got %v to %v", p["MinCapacity"], p["MaxCapacity"])
	}
	testkit.HasResource(t, tmpl, "AWS::ApplicationAutoScaling::ScalingPolicy", testkit.Like(testkit.Obj{
		"PolicyType": "TargetTrackingScaling",
		"TargetTrackingScalingPolicyConfiguration": testkit.Like(testkit.Obj{
			"TargetValue":                   0.7,
			"PredefinedMetricSpecification": testkit.Obj{"PredefinedMetricType": "LambdaProvisionedConcurrencyUtilization"},
		}),
	}))
	if d.ProvisionedConcurrencyPolicy() == nil {
		t.Errorf("ProvisionedConcurrencyPolicy() = nil")
	}
	if infos := testkit.Annotations(t, stack, "info"); !testkit.ContainsText(infos, "scaling pauses for up to 5m0s of every deploy") {
		t.Errorf("want a note that scaling pauses during the canary, got %v", infos)
	}

	// All at once holds no weights on the alias: nothing to say. MinCapacity defaults to 1.
	stack = testkit.NewStack(t)
	testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{Strategy: strategy.AllAtOnce,
		ProvisionedConcurrencyScaling: &bluegreen.ProvisionedConcurrencyScaling{
			MaxCapacity: jsii.Number(4), TargetUtilization: jsii.Number(0.5),
		},
	})
	if p := scalableTarget(t, testkit.Template(t, stack)); p["MinCapacity"] != 1.0 || p["MaxCapacity"] != 4.0 {
		t.Errorf("want 1 to 4, got %v to %v", p["MinCapacity"], p["MaxCapacity"])
	}
	if infos := testkit.Annotations(t, stack, "info"); testkit.ContainsText(infos, "scaling pauses") {
		t.Errorf("no weights under all-at-once, got %v", infos)
	}
}

// preTrafficConfig synthesizes app and returns the configuration the pre-traffic hook of stack ships with.
func preTrafficConfig(t *testing.T, app awscdk.App, stack awscdk.Stack) hookconfig.Config {
	t.Helper()
	var dir string
	testkit.NoPanic(t, func() { dir = *app.Synth(nil).Directory() })
	if t.Failed() {
		t.FailNow()
	}
	if errs := testkit.ValidationFindings(t, dir, "error", "fatal"); len(errs) > 0 {
		t.Fatalf("validation findings: %v", errs)
	}
	tmpl := assertions.Template_FromStack(stack, nil)
	for id, fn := range testkit.Resources(tmpl, "AWS::Lambda::Function") {
		if !strings.Contains(id, "PreTrafficHookFunction") {
			continue
		}
		return testkit.HookConfig(t, dir, fn)
	}
	t.Fatalf("no pre-traffic hook")
	return hookconfig.Config{}
}

// With provisioned concurrency, the pre-traffic hook is told the declared amount and may read the provisioned
// concurrency of the function's versions and aliases only; without it, it is told nothing and may not.
func TestPreTrafficHookWaitsForProvisionedConcurrency(t *testing.T) {
	for _, tc := range []struct {
		name       string
		props      bluegreen.DeploymentProps
		min, max   float64
		permission bool
	}{
		{"fixed", bluegreen.DeploymentProps{ProvisionedConcurrency: jsii.Number(5)}, 5, 5, true},
		{"scaling", bluegreen.DeploymentProps{ProvisionedConcurrencyScaling: &bluegreen.ProvisionedConcurrencyScaling{
			MinCapacity: jsii.Number(2), MaxCapacity: jsii.Number(8), TargetUtilization: jsii.Number(0.6)}}, 2, 8, true},
		{"none", bluegreen.DeploymentProps{}, 0, 0, false},
		{"released", bluegreen.DeploymentProps{ProvisionedConcurrency: jsii.Number(0)}, 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := testkit.NewApp(t)
			stack := awscdk.NewStack(app, jsii.String("Provisioned"), nil)
			p := tc.props
			p.PreTraffic = preTraffic()
			testkit.Deploy(t, stack, "Api", &p)
			cfg := preTrafficConfig(t, app, stack)
			switch pc := cfg.ProvisionedConcurrency; {
			case tc.permission && (pc == nil || pc.Min != tc.min || pc.Max != tc.max):
				t.Errorf("hook config provisionedConcurrency = %+v, want %g to %g", pc, tc.min, tc.max)
			case !tc.permission && pc != nil:
				t.Errorf("hook config provisionedConcurrency = %+v, want none", *pc)
			}
			got := actionsOn(statements(t, assertions.Template_FromStack(stack, nil), "ApiPreTrafficHookRole"))
			resources := got["lambda:GetProvisionedConcurrencyConfig"]
			if !tc.permission {
				if len(resources) != 0 {
					t.Errorf("lambda:GetProvisionedConcurrencyConfig granted without provisioned concurrency: %v", resources)
				}
				return
			}
			if len(resources) != 1 || !strings.Contains(resources[0], `"ApiFunction`) || !strings.Contains(resources[0], `":*"`) {
				t.Errorf("lambda:GetProvisionedConcurrencyConfig on %v, want the function's qualified ARNs only (<arn>:*)", resources)
			}
		})
	}
}

// ProvisionedConcurrency 0 releases the alias's provisioned concurrency through the scalable target, with a
// warning to remove the field once applied.
func TestProvisionedConcurrencyZeroReleases(t *testing.T) {
	stack := testkit.NewStack(t)
	testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{ProvisionedConcurrency: jsii.Number(0)})
	if p := scalableTarget(t, testkit.Template(t, stack)); p["MinCapacity"] != 0.0 || p["MaxCapacity"] != 0.0 {
		t.Errorf("want 0 to 0, got %v to %v", p["MinCapacity"], p["MaxCapacity"])
	}
	if w := testkit.Annotations(t, stack, "warning"); !testkit.ContainsText(w, "ProvisionedConcurrency 0 releases") {
		t.Errorf("want the release warning, got %v", w)
	}
}

// A number known only at deploy time is passed through, unchecked; the hook then cannot know what to expect.
func TestProvisionedConcurrencyToken(t *testing.T) {
	stack := testkit.NewStack(t)
	n := awscdk.NewCfnParameter(stack, jsii.String("Provisioned"), &awscdk.CfnParameterProps{Type: jsii.String("Number")})
	testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{ProvisionedConcurrency: n.ValueAsNumber(), PreTraffic: preTraffic()})
	p := scalableTarget(t, testkit.Template(t, stack))
	if testkit.JSONString(p["MinCapacity"]) != `{"Ref":"Provisioned"}` {
		t.Errorf("MinCapacity = %s, want the parameter", testkit.JSONString(p["MinCapacity"]))
	}
}

// Bad alias options are refused at synth with the field, the value and what is allowed.
func TestBadAliasOptions(t *testing.T) {
	reserved := func(t *testing.T, n float64) *awslambda.FunctionProps {
		fp := *testkit.FunctionProps(t)
		fp.ReservedConcurrentExecutions = jsii.Number(n)
		return &fp
	}
	scaling := func(min, max, target *float64) *bluegreen.ProvisionedConcurrencyScaling {
		return &bluegreen.ProvisionedConcurrencyScaling{MinCapacity: min, MaxCapacity: max, TargetUtilization: target}
	}
	for _, tc := range []struct {
		name  string
		props func(t *testing.T) *bluegreen.DeploymentProps
		want  []string
	}{
		{"both fixed and scaling", func(*testing.T) *bluegreen.DeploymentProps {
			return &bluegreen.DeploymentProps{ProvisionedConcurrency: jsii.Number(2),
				ProvisionedConcurrencyScaling: scaling(nil, jsii.Number(4), jsii.Number(0.5))}
		}, []string{"at most one of ProvisionedConcurrency and ProvisionedConcurrencyScaling may be set, got both"}},
		{"fraction", func(*testing.T) *bluegreen.DeploymentProps {
			return &bluegreen.DeploymentProps{ProvisionedConcurrency: jsii.Number(2.5)}
		}, []string{"ProvisionedConcurrency must be a whole number from 1 (or 0 to release it), got 2.5"}},
		{"negative", func(*testing.T) *bluegreen.DeploymentProps {
			return &bluegreen.DeploymentProps{ProvisionedConcurrency: jsii.Number(-1)}
		}, []string{"ProvisionedConcurrency must be a whole number from 1 (or 0 to release it), got -1"}},
		{"above reserved concurrency", func(t *testing.T) *bluegreen.DeploymentProps {
			return &bluegreen.DeploymentProps{FunctionProps: reserved(t, 10), ProvisionedConcurrency: jsii.Number(11)}
		}, []string{"ProvisionedConcurrency must be at most the function's ReservedConcurrentExecutions (10): Lambda " +
			"cannot allocate more provisioned concurrency than reserved concurrency, got 11"}},
		{"scaling above reserved concurrency", func(t *testing.T) *bluegreen.DeploymentProps {
			return &bluegreen.DeploymentProps{FunctionProps: reserved(t, 10),
				ProvisionedConcurrencyScaling: scaling(nil, jsii.Number(12), jsii.Number(0.5))}
		}, []string{"ProvisionedConcurrencyScaling.MaxCapacity must be at most the function's ReservedConcurrentExecutions (10)",
			"got 12"}},
		{"above what the default quota leaves without reserved concurrency", func(*testing.T) *bluegreen.DeploymentProps {
			return &bluegreen.DeploymentProps{ProvisionedConcurrency: jsii.Number(901)}
		}, []string{"ProvisionedConcurrency must be at most 900 for a function without ReservedConcurrentExecutions " +
			"(Lambda's default quota of 1000 concurrent executions per region minus the 100 that Lambda keeps " +
			"unreserved for functions without reserved concurrency), got 901",
			"if your account's quota is raised (Service Quotas, AWS Lambda, Concurrent executions), set " +
				"ConcurrentExecutionsQuota to it, or set the function's ReservedConcurrentExecutions"}},
		{"scaling above what the default quota leaves", func(*testing.T) *bluegreen.DeploymentProps {
			return &bluegreen.DeploymentProps{ProvisionedConcurrencyScaling: scaling(nil, jsii.Number(1000), jsii.Number(0.5))}
		}, []string{"ProvisionedConcurrencyScaling.MaxCapacity must be at most 900 for a function without " +
			"ReservedConcurrentExecutions", "got 1000"}},
		{"above a stated quota", func(*testing.T) *bluegreen.DeploymentProps {
			return &bluegreen.DeploymentProps{ProvisionedConcurrency: jsii.Number(4950),
				ConcurrentExecutionsQuota: jsii.Number(5000)}
		}, []string{"ProvisionedConcurrency must be at most 4900 for a function without ReservedConcurrentExecutions " +
			"(ConcurrentExecutionsQuota 5000 minus the 100", "got 4950"}},
		{"a fractional quota", func(*testing.T) *bluegreen.DeploymentProps {
			return &bluegreen.DeploymentProps{ProvisionedConcurrency: jsii.Number(2), ConcurrentExecutionsQuota: jsii.Number(0.5)}
		}, []string{"ConcurrentExecutionsQuota must be a whole number from 1 (your account's Lambda quota of concurrent " +
			"executions in the region), got 0.5"}},
		{"scaling without max or target", func(*testing.T) *bluegreen.DeploymentProps {
			return &bluegreen.DeploymentProps{ProvisionedConcurrencyScaling: scaling(nil, nil, nil)}
		}, []string{"ProvisionedConcurrencyScaling.MaxCapacity must be set, got nil",
			"ProvisionedConcurrencyScaling.TargetUtilization must be set (from 0.1 to 0.9), got nil"}},
		{"min above max", func(*testing.T) *bluegreen.DeploymentProps {
			return &bluegreen.DeploymentProps{ProvisionedConcurrencyScaling: scaling(jsii.Number(5), jsii.Number(3), jsii.Number(0.5))}
		}, []string{"ProvisionedConcurrencyScaling.MaxCapacity must be a whole number from MinCapacity (5), got 3"}},
		{"min 0", func(*testing.T) *bluegreen.DeploymentProps {
			return &bluegreen.DeploymentProps{ProvisionedConcurrencyScaling: scaling(jsii.Number(0), jsii.Number(3), jsii.Number(0.5))}
		}, []string{"ProvisionedConcurrencyScaling.MinCapacity must be a whole number from 1, got 0"}},
		{"utilization below 0.1", func(*testing.T) *bluegreen.DeploymentProps {
			return &bluegreen.DeploymentProps{ProvisionedConcurrencyScaling: scaling(nil, jsii.Number(3), jsii.Number(0.05))}
		}, []string{"ProvisionedConcurrencyScaling.TargetUtilization must be from 0.1 to 0.9, got 0.05"}},
		{"utilization as a percentage", func(*testing.T) *bluegreen.DeploymentProps {
			return &bluegreen.DeploymentProps{ProvisionedConcurrencyScaling: scaling(nil, jsii.Number(3), jsii.Number(70))}
		}, []string{"ProvisionedConcurrencyScaling.TargetUtilization must be from 0.1 to 0.9, got 70"}},
		{"description too long", func(*testing.T) *bluegreen.DeploymentProps {
			return &bluegreen.DeploymentProps{AliasDescription: jsii.String(strings.Repeat("d", 257))}
		}, []string{"AliasDescription must be at most 256 characters, got 257"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stack := testkit.NewStack(t)
			msg := testkit.MustPanic(t, func() { testkit.Deploy(t, stack, "Api", tc.props(t)) })
			if !strings.HasPrefix(msg, "TestStack/Api: invalid DeploymentProps: ") {
				t.Errorf("want the construct path first, got %q", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q:\n%s", w, msg)
				}
			}
			if stack.Node().TryFindChild(jsii.String("Api")) != nil {
				t.Errorf("a refused deployment left a construct in the tree")
			}
		})
	}
}

// Without reserved concurrency, provisioned concurrency comes out of the account's unreserved concurrency, of which
// Lambda keeps 100: up to 900 with the default quota of 1,000, more with a stated quota or a reservation, read from
// FunctionProps or from an existing function alike.
func TestProvisionedConcurrencyWithinTheAccountQuota(t *testing.T) {
	withFunction := func(t *testing.T, stack awscdk.Stack, reserved *float64, p *bluegreen.DeploymentProps) {
		fp := *testkit.FunctionProps(t)
		fp.ReservedConcurrentExecutions = reserved
		p.Function = awslambda.NewFunction(stack, jsii.String("Existing"), &fp)
		testkit.Deploy(t, stack, "Api", p)
	}
	for _, tc := range []struct {
		name   string
		define func(t *testing.T, stack awscdk.Stack)
		want   string // "" when accepted
	}{
		{"900 with the default quota", func(t *testing.T, stack awscdk.Stack) {
			testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{ProvisionedConcurrency: jsii.Number(900)})
		}, ""},
		{"a stated quota", func(t *testing.T, stack awscdk.Stack) {
			testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{ConcurrentExecutionsQuota: jsii.Number(5000),
				ProvisionedConcurrencyScaling: &bluegreen.ProvisionedConcurrencyScaling{MaxCapacity: jsii.Number(4900),
					TargetUtilization: jsii.Number(0.7)}})
		}, ""},
		{"a quota known only at deploy time", func(t *testing.T, stack awscdk.Stack) {
			q := awscdk.NewCfnParameter(stack, jsii.String("Quota"), &awscdk.CfnParameterProps{Type: jsii.String("Number")})
			testkit.Deploy(t, stack, "Api", &bluegreen.DeploymentProps{ConcurrentExecutionsQuota: q.ValueAsNumber(),
				ProvisionedConcurrency: jsii.Number(2000)})
		}, ""},
		{"an existing function's reservation", func(t *testing.T, stack awscdk.Stack) {
			withFunction(t, stack, jsii.Number(1500), &bluegreen.DeploymentProps{ProvisionedConcurrency: jsii.Number(1200)})
		}, ""},
		{"an existing function without a reservation", func(t *testing.T, stack awscdk.Stack) {
			withFunction(t, stack, nil, &bluegreen.DeploymentProps{ProvisionedConcurrency: jsii.Number(2000)})
		}, "TestStack/Api: invalid DeploymentProps: ProvisionedConcurrency must be at most 900 for a function " +
			"without ReservedConcurrentExecutions"},
		{"above an existing function's reservation", func(t *testing.T, stack awscdk.Stack) {
			withFunction(t, stack, jsii.Number(10), &bluegreen.DeploymentProps{ProvisionedConcurrency: jsii.Number(11)})
		}, "ProvisionedConcurrency must be at most the function's ReservedConcurrentExecutions (10)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stack := testkit.NewStack(t)
			if tc.want == "" {
				testkit.NoPanic(t, func() { tc.define(t, stack) })
				scalableTarget(t, testkit.Template(t, stack))
				return
			}
			if msg := testkit.MustPanic(t, func() { tc.define(t, stack) }); !strings.Contains(msg, tc.want) {
				t.Errorf("got %q, want %q", msg, tc.want)
			}
		})
	}
}

// HookProps.ProvisionedConcurrency is for a pre-traffic hook, with 1 <= Min <= Max.
func TestHookProvisionedConcurrencyProps(t *testing.T) {
	stack := testkit.NewStack(t)
	d := testkit.Deploy(t, stack, "Api", nil)
	for _, tc := range []struct {
		name  string
		props hooks.HookProps
		want  string
	}{
		{"post-traffic", hooks.HookProps{PostTraffic: &hooks.PostTrafficProps{},
			ProvisionedConcurrency: &hookconfig.ProvisionedConcurrency{Min: 1, Max: 1}},
			"ProvisionedConcurrency is checked by a pre-traffic hook only, got it with PostTraffic"},
		{"min 0", hooks.HookProps{PreTraffic: preTraffic(),
			ProvisionedConcurrency: &hookconfig.ProvisionedConcurrency{Min: 0, Max: 2}},
			"ProvisionedConcurrency must have 1 <= Min <= Max, got Min 0, Max 2"},
		{"max below min", hooks.HookProps{PreTraffic: preTraffic(),
			ProvisionedConcurrency: &hookconfig.ProvisionedConcurrency{Min: 3, Max: 2}},
			"ProvisionedConcurrency must have 1 <= Min <= Max, got Min 3, Max 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.props
			p.Function, p.DeploymentGroup = d.Function(), d.DeploymentGroup()
			if msg := testkit.MustPanic(t, func() { hooks.NewHook(stack, "Hook", &p) }); !strings.Contains(msg, tc.want) {
				t.Errorf("error lacks %q:\n%s", tc.want, msg)
			}
		})
	}
}
