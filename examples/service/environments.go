package service

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/safeship/lambda-bluegreen/constructs/dnsswitch"
	"github.com/safeship/lambda-bluegreen/constructs/strategy"
)

// Context keys of the two-environment stage. The defaults are placeholders that synthesize offline; set the real
// values to deploy it:
//
//	./cdkw deploy 'TwoEnvironments/*' -c account=123456789012 -c lambda-bluegreen:zoneId=Z… \
//	  -c lambda-bluegreen:zoneName=example.com -c lambda-bluegreen:domain=api.example.com \
//	  -c lambda-bluegreen:blueRegion=eu-west-1 -c lambda-bluegreen:greenRegion=eu-central-1
//
// The weights come from dnsswitch.WeightsContextKey (-c lambda-bluegreen:weights=blue=0,green=100).
const (
	ContextZoneID      = "lambda-bluegreen:zoneId"
	ContextZoneName    = "lambda-bluegreen:zoneName"
	ContextDomain      = "lambda-bluegreen:domain"
	ContextBlueRegion  = "lambda-bluegreen:blueRegion"
	ContextGreenRegion = "lambda-bluegreen:greenRegion"

	placeholderZoneID   = "Z0000000000000EXAMPLE"
	placeholderZoneName = "example.com"
	placeholderDomain   = "api.example.com"

	// DefaultBlueRegion and DefaultGreenRegion are the regions of the two environments when the context gives
	// none. They must differ: an API Gateway custom domain name "must be unique within a Region across all AWS
	// accounts" (API Gateway developer guide, "Custom domain name for public REST APIs"; the same holds for HTTP
	// APIs), so two region-agnostic stacks deployed to one region could not both serve the name.
	DefaultBlueRegion  = "eu-west-1"
	DefaultGreenRegion = "eu-central-1"
)

// TwoEnvironments is the whole-environment blue/green example: the service twice, in stacks Blue and Green, and
// the Switch stack that owns the weighted records of its name.
type TwoEnvironments struct {
	// Stage holds the three stacks; deploy them with ./cdkw deploy 'TwoEnvironments/*'.
	Stage awscdk.Stage
	// Blue and Green are the two environment stacks.
	Blue, Green *EnvironmentStack
	// Router is the stack of the Switch (in the hosted zone's account).
	Router awscdk.Stack
	// Switch owns the weighted records.
	Switch dnsswitch.Switch
}

// EnvironmentStack is one environment of the service: its function shipped alias-level blue/green behind an HTTP
// API on the service's name.
type EnvironmentStack struct {
	awscdk.Stack
	// Environment is the API, custom domain and health check in front of the function's alias.
	Environment dnsswitch.Environment
}

// Stacks returns the stage's three stacks.
func (t *TwoEnvironments) Stacks() []awscdk.Stack {
	return []awscdk.Stack{t.Blue.Stack, t.Green.Stack, t.Router}
}

// newTwoEnvironments defines the stage TwoEnvironments. Its stacks are pinned to two regions, Blue's and Green's
// (DefaultBlueRegion and DefaultGreenRegion unless the context names others), with the account from "account"
// when set and the deploying account otherwise; the Switch lives in Blue's region and reads the environments'
// attributes across regions.
func newTwoEnvironments(app awscdk.App, codeDir string, bypass bool) *TwoEnvironments {
	account := context(app, "account", "")
	blueRegion := context(app, ContextBlueRegion, DefaultBlueRegion)
	greenRegion := context(app, ContextGreenRegion, DefaultGreenRegion)
	env := func(region string) *awscdk.Environment {
		e := &awscdk.Environment{Region: jsii.String(region)}
		if account != "" {
			e.Account = jsii.String(account)
		}
		return e
	}
	// Two environments in one region are refused by dnsswitch.NewSwitch, with the reason.
	crossRegion := jsii.Bool(blueRegion != greenRegion)
	zoneID := context(app, ContextZoneID, placeholderZoneID)
	zoneName := context(app, ContextZoneName, placeholderZoneName)
	domain := context(app, ContextDomain, placeholderDomain)

	stage := newStage(app, "TwoEnvironments", nil)
	environment := func(id, region string) *EnvironmentStack {
		stack := awscdk.NewStack(stage, jsii.String(id), &awscdk.StackProps{
			Env: env(region), CrossRegionReferences: crossRegion,
			Description: jsii.String("Example whole-environment blue/green: the " + id + " environment"),
		})
		deployment := defineService(stack, &StackProps{
			Stage: "env-" + id, Strategy: strategy.Canary10Percent5Minutes, CodeDir: codeDir,
			EmergencyBypass: bypass, PreTraffic: helloTests(),
		})
		e := dnsswitch.NewEnvironment(stack, "Environment", &dnsswitch.EnvironmentProps{
			Deployment: deployment,
			DomainName: jsii.String(domain),
			Zone:       importedZone(stack, zoneID, zoneName),
		})
		awscdk.NewCfnOutput(stack, jsii.String("ApiEndpoint"), &awscdk.CfnOutputProps{
			Value:       e.HttpApi().ApiEndpoint(),
			Description: jsii.String("This environment's own endpoint, the one its health check requests"),
		})
		cdknag.NagSuppressions_AddResourceSuppressions(e.HttpApi(), &[]*cdknag.NagPackSuppression{{
			Id:     jsii.String("AwsSolutions-APIG4"),
			Reason: jsii.String("The example service is a public greeting; a real API sets an authorizer on its routes"),
		}}, jsii.Bool(true))
		return &EnvironmentStack{Stack: stack, Environment: e}
	}
	t := &TwoEnvironments{Stage: stage, Blue: environment("Blue", blueRegion), Green: environment("Green", greenRegion)}
	t.Router = awscdk.NewStack(stage, jsii.String("Switch"), &awscdk.StackProps{
		Env: env(blueRegion), CrossRegionReferences: crossRegion,
		Description: jsii.String("Example whole-environment blue/green: the weighted records of the service's name"),
	})
	weights, err := dnsswitch.WeightsFromContext(app)
	if err != nil {
		panic(err)
	}
	code := &dnsswitch.Weights{Blue: jsii.Number(100), Green: jsii.Number(0)}
	t.Switch = dnsswitch.NewSwitch(t.Router, "Switch", &dnsswitch.SwitchProps{
		Zone:    importedZone(t.Router, zoneID, zoneName),
		Blue:    t.Blue.Environment.Endpoint(),
		Green:   t.Green.Environment.Endpoint(),
		Weights: code.Over(weights),
	})
	if weights != nil {
		awscdk.Annotations_Of(t.Router).AddWarningV2(jsii.String("lambda-bluegreen:weightsFromContext"), jsii.String(
			"weights from the command line ("+weights.String()+") override the code's ("+code.String()+") for this "+
				"deploy only: a later deploy without -c "+dnsswitch.WeightsContextKey+" sets the code's weights again; "+
				"commit the switch to keep it"), nil)
	}
	return t
}

func importedZone(stack awscdk.Stack, id, name string) awsroute53.IHostedZone {
	return awsroute53.HostedZone_FromHostedZoneAttributes(stack, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{
		HostedZoneId: jsii.String(id), ZoneName: jsii.String(name),
	})
}
