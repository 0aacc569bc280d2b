package test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/dnsswitch"
	"github.com/safeship/lambda-bluegreen/examples/service"
	"github.com/safeship/lambda-bluegreen/test/testkit"
)

const (
	testZoneID   = "Z0123456789ABCDEFGHIJ"
	testZoneName = "example.com"
	testDomain   = "api.example.com"
)

// twoEnvironments is an app with a Blue and a Green environment stack in two regions and a Router stack holding the
// switch, as a user would lay them out.
type twoEnvironments struct {
	app                     awscdk.App
	blueStack, greenStack   awscdk.Stack
	router                  awscdk.Stack
	blue, green             dnsswitch.Environment
	zone                    awsroute53.IHostedZone
	blueRegion, greenRegion string
	routerEnv               *awscdk.Environment
	cross                   bool
}

func newTwoEnvironments(t *testing.T, blueRegion, greenRegion string) *twoEnvironments {
	t.Helper()
	return newTwoEnvironmentsTB(t, blueRegion, greenRegion)
}

func newTwoEnvironmentsTB(t testing.TB, blueRegion, greenRegion string) *twoEnvironments {
	t.Helper()
	e := &twoEnvironments{app: testkit.NewApp(t), blueRegion: blueRegion, greenRegion: greenRegion}
	env := func(region string) *awscdk.Environment {
		if region == "" {
			return nil
		}
		return &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String(region)}
	}
	cross := blueRegion != "" && greenRegion != "" && blueRegion != greenRegion
	e.blueStack = awscdk.NewStack(e.app, jsii.String("Blue"), &awscdk.StackProps{Env: env(blueRegion), CrossRegionReferences: jsii.Bool(cross)})
	e.greenStack = awscdk.NewStack(e.app, jsii.String("Green"), &awscdk.StackProps{Env: env(greenRegion), CrossRegionReferences: jsii.Bool(cross)})
	e.blue = e.environment(t, e.blueStack, nil)
	e.green = e.environment(t, e.greenStack, nil)
	e.routerEnv, e.cross = env(blueRegion), cross
	return e
}

// withRouter adds the Router stack, holding the imported zone (an empty stack fails validation, so only tests of
// the switch have one).
func (e *twoEnvironments) withRouter() *twoEnvironments {
	if e.router == nil {
		e.router = awscdk.NewStack(e.app, jsii.String("Router"), &awscdk.StackProps{Env: e.routerEnv, CrossRegionReferences: jsii.Bool(e.cross)})
		e.zone = importZone(e.router)
	}
	return e
}

func importZone(scope awscdk.Stack) awsroute53.IHostedZone {
	return awsroute53.HostedZone_FromHostedZoneAttributes(scope, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{
		HostedZoneId: jsii.String(testZoneID), ZoneName: jsii.String(testZoneName),
	})
}

// environment defines an environment in stack with a certificate imported by ARN, unless props set one.
func (e *twoEnvironments) environment(t testing.TB, stack awscdk.Stack, props *dnsswitch.EnvironmentProps) dnsswitch.Environment {
	t.Helper()
	p := dnsswitch.EnvironmentProps{}
	if props != nil {
		p = *props
	}
	if p.Deployment == nil {
		p.Deployment = testkit.Deploy(t, stack, "Service", nil)
	}
	if p.DomainName == nil {
		p.DomainName = jsii.String(testDomain)
	}
	if p.Certificate == nil && p.Zone == nil {
		p.Certificate = awscertificatemanager.Certificate_FromCertificateArn(stack, jsii.String("Certificate"),
			jsii.String("arn:aws:acm:"+orRegion(stack)+":111111111111:certificate/00000000-0000-0000-0000-000000000000"))
	}
	return dnsswitch.NewEnvironment(stack, "Env", &p)
}

func orRegion(stack awscdk.Stack) string {
	if r := *stack.Region(); !strings.Contains(r, "${Token[") {
		return r
	}
	return "us-east-1"
}

func (e *twoEnvironments) newSwitch(props *dnsswitch.SwitchProps) dnsswitch.Switch {
	e.withRouter()
	p := dnsswitch.SwitchProps{}
	if props != nil {
		p = *props
	}
	if p.Zone == nil {
		p.Zone = e.zone
	}
	if p.Blue == nil {
		p.Blue = e.blue.Endpoint()
	}
	if p.Green == nil {
		p.Green = e.green.Endpoint()
	}
	return dnsswitch.NewSwitch(e.router, "Switch", &p)
}

func TestEnvironmentServesTheAliasOnItsCustomDomain(t *testing.T) {
	e := newTwoEnvironments(t, "eu-west-1", "eu-central-1")
	tmpl := testkit.Template(t, e.blueStack)

	// The custom domain is regional, TLS 1.2, with the certificate, and mapped to the $default stage.
	testkit.HasResource(t, tmpl, "AWS::ApiGatewayV2::DomainName", testkit.Like(testkit.Obj{
		"DomainName": testDomain,
		"DomainNameConfigurations": []interface{}{testkit.Like(testkit.Obj{
			"EndpointType": "REGIONAL", "SecurityPolicy": "TLS_1_2",
			"CertificateArn": assertions.Match_StringLikeRegexp(jsii.String("^arn:aws:acm:eu-west-1:")),
		})},
	}))
	domainID, _ := testkit.OnlyResource(t, tmpl, "AWS::ApiGatewayV2::DomainName")
	apiID, _ := testkit.OnlyResource(t, tmpl, "AWS::ApiGatewayV2::Api")
	testkit.HasResource(t, tmpl, "AWS::ApiGatewayV2::ApiMapping", testkit.Like(testkit.Obj{
		"Stage": "$default", "DomainName": testkit.Obj{"Ref": domainID}, "ApiId": testkit.Obj{"Ref": apiID},
	}))
	// The stage throttles and writes JSON access logs.
	testkit.HasResource(t, tmpl, "AWS::ApiGatewayV2::Stage", testkit.Like(testkit.Obj{
		"StageName": "$default", "AutoDeploy": true,
		"DefaultRouteSettings": testkit.Like(testkit.Obj{"ThrottlingRateLimit": 1000, "ThrottlingBurstLimit": 500}),
		"AccessLogSettings": testkit.Like(testkit.Obj{
			"DestinationArn": assertions.Match_AnyValue(),
			"Format":         assertions.Match_StringLikeRegexp(jsii.String(`^\{"requestId":"\$context.requestId"`)),
		}),
	}))
	_, stage := testkit.OnlyResource(t, tmpl, "AWS::ApiGatewayV2::Stage")
	format, _ := testkit.Props(stage)["AccessLogSettings"].(map[string]interface{})["Format"].(string)
	checkHTTPAPILogFormat(t, format)
	// Every route calls the alias, never the bare function, so alias-level blue/green keeps working.
	_, integration := testkit.OnlyResource(t, tmpl, "AWS::ApiGatewayV2::Integration")
	uri := testkit.JSONString(testkit.Props(integration)["IntegrationUri"])
	aliasID, _ := testkit.OnlyResource(t, tmpl, "AWS::Lambda::Alias")
	if !strings.Contains(uri, aliasID) {
		t.Errorf("integration must call the alias %s, got %s", aliasID, uri)
	}
	testkit.HasResource(t, tmpl, "AWS::ApiGatewayV2::Route", testkit.Like(testkit.Obj{"RouteKey": "$default"}))
	testkit.HasResource(t, tmpl, "AWS::Lambda::Permission", testkit.Like(testkit.Obj{
		"Principal": "apigateway.amazonaws.com", "FunctionName": testkit.Like(testkit.Obj{"Ref": aliasID}),
	}))
	// The health check requests the API's own endpoint over HTTPS.
	_, hc := testkit.OnlyResource(t, tmpl, "AWS::Route53::HealthCheck")
	cfg := testkit.Props(hc)["HealthCheckConfig"].(map[string]interface{})
	if cfg["Type"] != "HTTPS" || cfg["ResourcePath"] != "/health" || cfg["Port"] != float64(443) ||
		cfg["RequestInterval"] != float64(30) || cfg["FailureThreshold"] != float64(3) || cfg["EnableSNI"] != true {
		t.Errorf("health check config: %s", testkit.JSONString(cfg))
	}
	fqdn := testkit.JSONString(cfg["FullyQualifiedDomainName"])
	if !strings.Contains(fqdn, apiID) || !strings.Contains(fqdn, ".execute-api.") {
		t.Errorf("health check must request the API's execute-api host, got %s", fqdn)
	}
	testkit.HasResource(t, tmpl, "AWS::Logs::LogGroup", testkit.Like(testkit.Obj{"RetentionInDays": 365}))
}

func TestEnvironmentDefinesADNSValidatedCertificate(t *testing.T) {
	e := newTwoEnvironments(t, "eu-west-1", "eu-central-1")
	stack := awscdk.NewStack(e.app, jsii.String("Third"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("us-west-2")},
	})
	env := e.environment(t, stack, &dnsswitch.EnvironmentProps{
		Zone: importZone(stack), HealthCheckPath: jsii.String("/ping"),
		HealthCheckInterval: awscdk.Duration_Seconds(jsii.Number(10)), HealthCheckFailureThreshold: jsii.Number(2),
	})
	if env.Certificate() == nil || env.HealthCheck() == nil || env.HttpApi() == nil || env.Stage() == nil ||
		env.DomainName() == nil || env.AccessLogs() == nil || env.Deployment() == nil {
		t.Fatal("every defined resource must be exposed")
	}
	tmpl := testkit.Template(t, stack)
	testkit.HasResource(t, tmpl, "AWS::CertificateManager::Certificate", testkit.Like(testkit.Obj{
		"DomainName": testDomain, "ValidationMethod": "DNS",
		"DomainValidationOptions": []interface{}{testkit.Like(testkit.Obj{"DomainName": testDomain, "HostedZoneId": testZoneID})},
	}))
	testkit.HasResource(t, tmpl, "AWS::Route53::HealthCheck", testkit.Like(testkit.Obj{"HealthCheckConfig": testkit.Like(testkit.Obj{
		"ResourcePath": "/ping", "RequestInterval": 10, "FailureThreshold": 2,
	})}))
}

func TestSwitchOwnsWeightedRecordsWithHealthChecks(t *testing.T) {
	e := newTwoEnvironments(t, "eu-west-1", "eu-central-1")
	sw := e.newSwitch(&dnsswitch.SwitchProps{Weights: &dnsswitch.Weights{Blue: jsii.Number(90), Green: jsii.Number(10)}})
	if *sw.RecordName() != testDomain || *sw.Weights().Blue != 90 || *sw.Weights().Green != 10 {
		t.Fatalf("switch: record %s weights %s", *sw.RecordName(), sw.Weights())
	}
	tmpl := testkit.Template(t, e.router)
	records := testkit.Resources(tmpl, "AWS::Route53::RecordSet")
	if len(records) != 2 {
		t.Fatalf("want 2 records, got %d", len(records))
	}
	seen := map[string]float64{}
	for _, r := range records {
		p := testkit.Props(r)
		if p["Name"] != testDomain+"." || p["Type"] != "A" || p["HostedZoneId"] != testZoneID {
			t.Errorf("record: %s", testkit.JSONString(p))
		}
		if p["HealthCheckId"] == nil || p["AliasTarget"] == nil || p["TTL"] != nil {
			t.Errorf("record must be an alias with a health check and no TTL: %s", testkit.JSONString(p))
		}
		seen[p["SetIdentifier"].(string)] = p["Weight"].(float64)
	}
	if seen["blue"] != 90 || seen["green"] != 10 {
		t.Errorf("weights by set identifier: %v", seen)
	}
	// The alias targets and health checks are the environments' own, read across regions from their stacks.
	for _, r := range records {
		p := testkit.Props(r)
		region := map[string]string{"blue": "eu-west-1", "green": "eu-central-1"}[p["SetIdentifier"].(string)]
		stack := map[string]string{"blue": "Blue", "green": "Green"}[p["SetIdentifier"].(string)]
		for field, v := range map[string]interface{}{
			"AliasTarget.DNSName": p["AliasTarget"].(map[string]interface{})["DNSName"], "HealthCheckId": p["HealthCheckId"],
		} {
			out, _ := v.(map[string]interface{})["Fn::GetStackOutput"].(map[string]interface{})
			if out == nil || out["StackName"] != stack || out["Region"] != region {
				t.Errorf("%s of %s must come from stack %s in %s, got %s", field, p["SetIdentifier"], stack, region, testkit.JSONString(v))
			}
		}
	}
}

func TestSwitchDefaultsToAllTrafficOnBlue(t *testing.T) {
	e := newTwoEnvironments(t, "eu-west-1", "eu-central-1")
	e.newSwitch(nil)
	tmpl := testkit.Template(t, e.router)
	testkit.HasResource(t, tmpl, "AWS::Route53::RecordSet", testkit.Like(testkit.Obj{"SetIdentifier": "blue", "Weight": 100}))
	testkit.HasResource(t, tmpl, "AWS::Route53::RecordSet", testkit.Like(testkit.Obj{"SetIdentifier": "green", "Weight": 0}))
}

func TestSwitchWithTtlUsesCnameRecords(t *testing.T) {
	e := newTwoEnvironments(t, "eu-west-1", "eu-central-1")
	e.newSwitch(&dnsswitch.SwitchProps{
		Ttl:               awscdk.Duration_Seconds(jsii.Number(30)),
		BlueSetIdentifier: jsii.String("east"), GreenSetIdentifier: jsii.String("west"),
	})
	tmpl := testkit.Template(t, e.router)
	for id, c := range map[string]struct {
		weight float64
		region string
	}{"east": {100, "eu-west-1"}, "west": {0, "eu-central-1"}} {
		testkit.HasResource(t, tmpl, "AWS::Route53::RecordSet", testkit.Obj{
			"Type": "CNAME", "TTL": "30", "SetIdentifier": id, "Weight": c.weight, "Name": testDomain + ".",
			"HostedZoneId": testZoneID, "HealthCheckId": assertions.Match_AnyValue(),
			"Comment": assertions.Match_AnyValue(),
			// The CNAME points at the environment's regional domain name; no alias target.
			"ResourceRecords": []interface{}{testkit.Like(testkit.Obj{"Fn::GetStackOutput": testkit.Like(testkit.Obj{
				"Region": c.region, "OutputName": assertions.Match_StringLikeRegexp(jsii.String("RegionalDomainName")),
			})})},
		})
	}
}

// A record name written with capitals and a final dot is the zone's name all the same: the records are created
// under it, not under a name with the zone appended twice.
func TestSwitchNormalizesTheRecordName(t *testing.T) {
	e := newTwoEnvironments(t, "eu-west-1", "eu-central-1")
	e.newSwitch(&dnsswitch.SwitchProps{RecordName: jsii.String("API.Example.com")})
	for _, r := range testkit.Resources(testkit.Template(t, e.router), "AWS::Route53::RecordSet") {
		if name := testkit.Props(r)["Name"]; name != testDomain+"." {
			t.Errorf("record name: want %s., got %v", testDomain, name)
		}
	}
}

func TestEnvironmentThrottleKeepsDefaultsForUnsetLimits(t *testing.T) {
	e := newTwoEnvironments(t, "eu-west-1", "eu-central-1")
	stack := awscdk.NewStack(e.app, jsii.String("Third"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("us-west-2")},
	})
	e.environment(t, stack, &dnsswitch.EnvironmentProps{Throttle: &awsapigatewayv2.ThrottleSettings{RateLimit: jsii.Number(5)}})
	testkit.HasResource(t, testkit.Template(t, stack), "AWS::ApiGatewayV2::Stage", testkit.Like(testkit.Obj{
		"DefaultRouteSettings": testkit.Like(testkit.Obj{"ThrottlingRateLimit": 5, "ThrottlingBurstLimit": 500}),
	}))
}

func TestWeightsFromContext(t *testing.T) {
	for _, c := range []struct {
		value      interface{}
		blue, grn  float64
		wantErr    string
		wantAbsent bool
	}{
		{value: nil, wantAbsent: true},
		{value: "blue=0,green=100", blue: 0, grn: 100},
		{value: " green = 7 ", blue: 100, grn: 7},
		{value: "blue=256", wantErr: "whole number from 0 to 255, got 256"},
		{value: "blue=1.5", wantErr: `whole number from 0 to 255, got "1.5"`},
		{value: "blue=1e2", wantErr: `got "1e2"`},
		{value: "red=1", wantErr: `"blue" and "green", got "red"`},
		{value: "blue", wantErr: `"blue=N,green=M"`},
		{value: "blue=1,blue=2", wantErr: "twice"},
		{value: true, wantErr: "must be a string"},
	} {
		t.Run(testkit.JSONString(c.value), func(t *testing.T) {
			app := testkit.NewAppWith(t, map[string]interface{}{dnsswitch.WeightsContextKey: c.value})
			w, err := dnsswitch.WeightsFromContext(app)
			switch {
			case c.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), c.wantErr) || !strings.Contains(err.Error(), dnsswitch.WeightsContextKey) {
					t.Fatalf("want error with %q, got %v", c.wantErr, err)
				}
			case err != nil:
				t.Fatal(err)
			case c.wantAbsent:
				if w != nil {
					t.Fatalf("want no weights, got %s", w)
				}
			default:
				code := &dnsswitch.Weights{Blue: jsii.Number(100), Green: jsii.Number(0)}
				got := code.Over(w)
				if *got.Blue != c.blue || *got.Green != c.grn {
					t.Fatalf("want blue=%v green=%v, got %s", c.blue, c.grn, got)
				}
			}
		})
	}
}

func TestSwitchBadInput(t *testing.T) {
	for _, c := range []struct {
		name  string
		props func(e *twoEnvironments) *dnsswitch.SwitchProps
		want  []string
		// asIs passes the props to NewSwitch unchanged; otherwise newSwitch fills in the zone and environments.
		asIs bool
	}{
		{"weight above 255", func(e *twoEnvironments) *dnsswitch.SwitchProps {
			return &dnsswitch.SwitchProps{Weights: &dnsswitch.Weights{Blue: jsii.Number(256)}}
		}, []string{"Weights: Blue weight must be a whole number from 0 to 255, got 256"}, false},
		{"negative and fractional weights", func(e *twoEnvironments) *dnsswitch.SwitchProps {
			return &dnsswitch.SwitchProps{Weights: &dnsswitch.Weights{Blue: jsii.Number(-1), Green: jsii.Number(0.5)}}
		}, []string{"Blue weight must be a whole number from 0 to 255, got -1", "Green weight must be a whole number from 0 to 255, got 0.5"}, false},
		{"all zero", func(e *twoEnvironments) *dnsswitch.SwitchProps {
			return &dnsswitch.SwitchProps{Weights: &dnsswitch.Weights{Blue: jsii.Number(0), Green: jsii.Number(0)}}
		}, []string{"weights must not all be 0"}, false},
		{"one environment", func(e *twoEnvironments) *dnsswitch.SwitchProps {
			return &dnsswitch.SwitchProps{Zone: e.zone, Blue: e.blue.Endpoint(), RecordName: jsii.String(testDomain)}
		}, []string{"Green must be an environment's Endpoint, got nil: a switch needs exactly two environments"}, true},
		{"no props", func(e *twoEnvironments) *dnsswitch.SwitchProps { return nil },
			[]string{"Zone must be the hosted zone", "Blue must be an environment's Endpoint, got nil"}, true},
		{"zone without a name", func(e *twoEnvironments) *dnsswitch.SwitchProps {
			return &dnsswitch.SwitchProps{Zone: awsroute53.HostedZone_FromHostedZoneId(e.router, jsii.String("ById"), jsii.String(testZoneID))}
		}, []string{"Zone must carry its name (import it with awsroute53.HostedZone_FromHostedZoneAttributes), got a zone imported by id only"}, false},
		{"same environment twice", func(e *twoEnvironments) *dnsswitch.SwitchProps {
			return &dnsswitch.SwitchProps{Green: e.blue.Endpoint()}
		}, []string{"Blue and Green must be two different environments"}, false},
		{"duplicate set identifiers", func(e *twoEnvironments) *dnsswitch.SwitchProps {
			return &dnsswitch.SwitchProps{BlueSetIdentifier: jsii.String("a"), GreenSetIdentifier: jsii.String("a")}
		}, []string{`BlueSetIdentifier and GreenSetIdentifier must differ, got "a" for both`}, false},
		{"empty set identifier", func(e *twoEnvironments) *dnsswitch.SwitchProps {
			return &dnsswitch.SwitchProps{GreenSetIdentifier: jsii.String("")}
		}, []string{`GreenSetIdentifier must be 1 to 128 characters, got ""`}, false},
		{"record outside the zone", func(e *twoEnvironments) *dnsswitch.SwitchProps {
			return &dnsswitch.SwitchProps{RecordName: jsii.String("api.example.org")}
		}, []string{`RecordName must be inside the zone "example.com", got "api.example.org"`,
			`Blue.DomainName must equal the record name "api.example.org"`}, false},
		{"a suffix that is not a parent zone", func(e *twoEnvironments) *dnsswitch.SwitchProps {
			return &dnsswitch.SwitchProps{RecordName: jsii.String("api.notexample.com")}
		}, []string{`RecordName must be inside the zone "example.com", got "api.notexample.com"`}, false},
		{"bad domain name", func(e *twoEnvironments) *dnsswitch.SwitchProps {
			return &dnsswitch.SwitchProps{RecordName: jsii.String("api..example.com")}
		}, []string{`RecordName must be a domain name made of labels`}, false},
		{"cname at the apex", func(e *twoEnvironments) *dnsswitch.SwitchProps {
			return &dnsswitch.SwitchProps{RecordName: jsii.String("example.com"), Ttl: awscdk.Duration_Seconds(jsii.Number(60))}
		}, []string{"cannot be at the zone apex"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newTwoEnvironments(t, "eu-west-1", "eu-central-1").withRouter()
			var msg string
			if c.asIs {
				msg = testkit.MustPanic(t, func() { dnsswitch.NewSwitch(e.router, "Switch", c.props(e)) })
			} else {
				msg = testkit.MustPanic(t, func() { e.newSwitch(c.props(e)) })
			}
			for _, w := range append(c.want, "Router/Switch: invalid SwitchProps") {
				if !strings.Contains(msg, w) {
					t.Errorf("error must contain %q, got:\n%s", w, msg)
				}
			}
			if e.router.Node().TryFindChild(jsii.String("Switch")) != nil {
				t.Error("a refused switch must leave nothing in the tree")
			}
		})
	}
}

func TestSwitchRefusesEnvironmentsInOneRegion(t *testing.T) {
	t.Run("same region", func(t *testing.T) {
		e := newTwoEnvironments(t, "eu-west-1", "eu-west-1")
		msg := testkit.MustPanic(t, func() { e.newSwitch(nil) })
		if !strings.Contains(msg, "Blue and Green must be in different regions") || !strings.Contains(msg, "region eu-west-1") {
			t.Errorf("got %s", msg)
		}
	})
	t.Run("same stack", func(t *testing.T) {
		e := newTwoEnvironments(t, "", "")
		other := dnsswitch.NewEnvironment(e.blueStack, "Env2", &dnsswitch.EnvironmentProps{
			Deployment: testkit.Deploy(t, e.blueStack, "Service2", nil), DomainName: jsii.String(testDomain),
			Certificate: e.blue.Certificate(),
		})
		msg := testkit.MustPanic(t, func() { e.newSwitch(&dnsswitch.SwitchProps{Green: other.Endpoint()}) })
		if !strings.Contains(msg, "must be in different regions") || !strings.Contains(msg, "one stack (Blue)") {
			t.Errorf("got %s", msg)
		}
	})
	t.Run("unknown regions are noted", func(t *testing.T) {
		e := newTwoEnvironments(t, "", "")
		e.newSwitch(nil)
		if infos := testkit.Annotations(t, e.router, "info"); !testkit.ContainsText(infos, "do not both name their region") {
			t.Errorf("want an info note about regions, got %v", infos)
		}
	})
}

// Bad input that needs a zone: a zone and a certificate at once, a name outside the zone, a zone imported by id.
func TestEnvironmentZoneBadInput(t *testing.T) {
	for _, c := range []struct {
		name  string
		props func(stack awscdk.Stack) *dnsswitch.EnvironmentProps
		want  string
	}{
		{"certificate and zone", func(stack awscdk.Stack) *dnsswitch.EnvironmentProps {
			return &dnsswitch.EnvironmentProps{Zone: importZone(stack), Certificate: awscertificatemanager.Certificate_FromCertificateArn(
				stack, jsii.String("Cert"), jsii.String("arn:aws:acm:us-east-1:111111111111:certificate/x"))}
		}, "at most one of Certificate and Zone may be set"},
		{"name outside the zone", func(stack awscdk.Stack) *dnsswitch.EnvironmentProps {
			return &dnsswitch.EnvironmentProps{Zone: importZone(stack), DomainName: jsii.String("api.example.org")}
		}, `DomainName must be inside the zone "example.com" that validates its certificate, got "api.example.org"`},
		{"zone by id", func(stack awscdk.Stack) *dnsswitch.EnvironmentProps {
			return &dnsswitch.EnvironmentProps{Zone: awsroute53.HostedZone_FromHostedZoneId(stack, jsii.String("ById"), jsii.String(testZoneID))}
		}, "Zone: Zone must carry its name"},
	} {
		t.Run(c.name, func(t *testing.T) {
			stack := testkit.NewStack(t)
			p := c.props(stack)
			p.Deployment = testkit.Deploy(t, stack, "Service", nil)
			if p.DomainName == nil {
				p.DomainName = jsii.String(testDomain)
			}
			msg := testkit.MustPanic(t, func() { dnsswitch.NewEnvironment(stack, "Env", p) })
			if !strings.Contains(msg, "TestStack/Env: invalid EnvironmentProps: ") || !strings.Contains(msg, c.want) {
				t.Errorf("want %q, got %s", c.want, msg)
			}
		})
	}
}

func TestEnvironmentBadInput(t *testing.T) {
	for _, c := range []struct {
		name  string
		props *dnsswitch.EnvironmentProps
		want  []string
	}{
		{"nothing", &dnsswitch.EnvironmentProps{}, []string{
			"Deployment must be the bluegreen.Deployment whose alias serves the API, got nil",
			"DomainName must be the name clients use", "Certificate must be set, or Zone"}},
		{"bad health check", &dnsswitch.EnvironmentProps{
			HealthCheckPath: jsii.String("health"), HealthCheckInterval: awscdk.Duration_Seconds(jsii.Number(15)),
			HealthCheckFailureThreshold: jsii.Number(11),
		}, []string{`HealthCheckPath must start with "/"`, "HealthCheckInterval must be 10 or 30 seconds, got 15 seconds",
			"HealthCheckFailureThreshold must be a whole number from 1 to 10, got 11"}},
		{"nil props", nil, []string{"Deployment must be the bluegreen.Deployment", "Certificate must be set, or Zone"}},
		{"bad domain and throttle", &dnsswitch.EnvironmentProps{
			DomainName: jsii.String("-api.example.com"),
			Throttle:   &awsapigatewayv2.ThrottleSettings{RateLimit: jsii.Number(-1), BurstLimit: jsii.Number(1.5)},
		}, []string{"DomainName must be a domain name made of labels", "Throttle.RateLimit must be 0 or more",
			"Throttle.BurstLimit must be a whole number"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			stack := testkit.NewStack(t)
			msg := testkit.MustPanic(t, func() { dnsswitch.NewEnvironment(stack, "Env", c.props) })
			if stack.Node().TryFindChild(jsii.String("Env")) != nil {
				t.Error("a refused environment must leave nothing in the tree")
			}
			for _, w := range append(c.want, "TestStack/Env: invalid EnvironmentProps") {
				if !strings.Contains(msg, w) {
					t.Errorf("error must contain %q, got:\n%s", w, msg)
				}
			}
		})
	}
}

// The example's two-environment stage, pinned to two regions with weights from the command line, synthesizes
// without validation errors, reads the environments across regions, and warns that the weights last one deploy.
func TestExampleTwoEnvironmentsAcrossRegions(t *testing.T) {
	app := testkit.NewAppWith(t, map[string]interface{}{
		"account": "111111111111", service.ContextBlueRegion: "eu-west-1", service.ContextGreenRegion: "eu-central-1",
		service.ContextZoneID: testZoneID, service.ContextDomain: "shop.example.com",
		dnsswitch.WeightsContextKey: "green=100,blue=0",
	})
	example := service.NewApp(app, testkit.RepoRoot, nil)
	envs := example.Environments
	var dir string
	testkit.NoPanic(t, func() { dir = *app.Synth(nil).Directory() })
	if errs := testkit.ValidationFindings(t, dir, "error", "fatal"); len(errs) > 0 {
		t.Fatalf("validation errors:\n%s", strings.Join(errs, "\n"))
	}
	if *envs.Blue.Region() != "eu-west-1" || *envs.Green.Region() != "eu-central-1" || *envs.Router.Region() != "eu-west-1" {
		t.Errorf("regions: blue %s green %s switch %s", *envs.Blue.Region(), *envs.Green.Region(), *envs.Router.Region())
	}
	tmpl := testkit.Template(t, envs.Router)
	testkit.HasResource(t, tmpl, "AWS::Route53::RecordSet", testkit.Like(testkit.Obj{"Name": "shop.example.com.", "SetIdentifier": "blue", "Weight": 0,
		"AliasTarget": testkit.Like(testkit.Obj{"DNSName": testkit.Like(testkit.Obj{"Fn::GetStackOutput": testkit.Like(testkit.Obj{"Region": "eu-west-1"})})})}))
	testkit.HasResource(t, tmpl, "AWS::Route53::RecordSet", testkit.Like(testkit.Obj{"Name": "shop.example.com.", "SetIdentifier": "green", "Weight": 100,
		"AliasTarget": testkit.Like(testkit.Obj{"DNSName": testkit.Like(testkit.Obj{"Fn::GetStackOutput": testkit.Like(testkit.Obj{"Region": "eu-central-1"})})})}))
	if w := testkit.Annotations(t, envs.Router, "warning"); !testkit.ContainsText(w, "override the code's (blue=100,green=0) for this deploy only") {
		t.Errorf("want the one-deploy warning, got %v", w)
	}
	testkit.HasResource(t, testkit.Template(t, envs.Green.Stack), "AWS::ApiGatewayV2::DomainName", testkit.Like(testkit.Obj{"DomainName": "shop.example.com"}))
}

func TestExampleTwoEnvironmentsInOneRegionIsRefused(t *testing.T) {
	app := testkit.NewAppWith(t, map[string]interface{}{
		service.ContextBlueRegion: "eu-west-1", service.ContextGreenRegion: "eu-west-1",
	})
	msg := testkit.MustPanic(t, func() { service.NewApp(app, testkit.RepoRoot, nil) })
	if !strings.Contains(msg, "TwoEnvironments/Switch/Switch: invalid SwitchProps: Blue and Green must be in different regions") {
		t.Errorf("got %s", msg)
	}
}

func TestExampleRefusesBadWeightsFromContext(t *testing.T) {
	app := testkit.NewAppWith(t, map[string]interface{}{dnsswitch.WeightsContextKey: "blue=0,green=0"})
	msg := testkit.MustPanic(t, func() { service.NewApp(app, testkit.RepoRoot, nil) })
	if !strings.Contains(msg, "weights must not all be 0") {
		t.Errorf("got %s", msg)
	}
}

// A CNAME switch needs no alias hosted zone id: an environment filled in by hand may leave it out.
func TestSwitchCnameWithoutAliasZone(t *testing.T) {
	e := newTwoEnvironments(t, "eu-west-1", "eu-central-1")
	manual := &dnsswitch.Endpoint{DomainName: jsii.String(testDomain),
		RegionalDomainName: jsii.String("d-abc.execute-api.us-west-2.amazonaws.com"), Region: jsii.String("us-west-2")}
	e.newSwitch(&dnsswitch.SwitchProps{Green: manual, Ttl: awscdk.Duration_Seconds(jsii.Number(60))})
	testkit.HasResource(t, testkit.Template(t, e.router), "AWS::Route53::RecordSet", testkit.Like(testkit.Obj{
		"SetIdentifier": "green", "Type": "CNAME", "TTL": "60",
		"ResourceRecords": []interface{}{"d-abc.execute-api.us-west-2.amazonaws.com"},
	}))
}

// httpAPILogVariables are the $context variables API Gateway documents for HTTP API access logs ("Customize HTTP
// API access logs", https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html).
// REST API variables such as $context.resourcePath are not among them: API Gateway refuses a stage that uses one.
var httpAPILogVariables = map[string]bool{}

func init() {
	for _, v := range strings.Fields(`accountId apiId authorizer.error authorizer.principalId awsEndpointRequestId
		awsEndpointRequestId2 customDomain.basePathMatched dataProcessed domainName domainPrefix error.message
		error.messageString error.responseType extendedRequestId httpMethod identity.accountId identity.caller
		identity.cognitoAuthenticationProvider identity.cognitoAuthenticationType identity.cognitoIdentityId
		identity.cognitoIdentityPoolId identity.principalOrgId identity.clientCert.clientCertPem
		identity.clientCert.subjectDN identity.clientCert.issuerDN identity.clientCert.serialNumber
		identity.clientCert.validity.notBefore identity.clientCert.validity.notAfter identity.sourceIp identity.user
		identity.userAgent identity.userArn integration.error integration.integrationStatus integration.latency
		integration.requestId integration.status integrationErrorMessage integrationLatency integrationStatus path
		protocol requestId requestTime requestTimeEpoch responseLatency responseLength routeKey stage status`) {
		httpAPILogVariables[v] = true
	}
}

var contextVariable = regexp.MustCompile(`\$context\.[A-Za-z0-9_.]+`)

// checkHTTPAPILogFormat fails t unless format is a JSON object whose every $context variable is one API Gateway
// documents for HTTP APIs.
func checkHTTPAPILogFormat(t *testing.T, format string) {
	t.Helper()
	var fields map[string]string
	if err := json.Unmarshal([]byte(format), &fields); err != nil {
		t.Errorf("access log format is not a JSON object of strings: %v\n%s", err, format)
	}
	used := contextVariable.FindAllString(format, -1)
	if len(used) == 0 {
		t.Errorf("access log format uses no $context variable: %s", format)
	}
	for _, v := range used {
		if !httpAPILogVariables[strings.TrimPrefix(v, "$context.")] {
			t.Errorf("access log format uses %s, which HTTP APIs do not have (API Gateway refuses the stage)", v)
		}
	}
}

func TestHTTPAPILogFormatCheckCatchesRESTVariables(t *testing.T) {
	// The check above must be able to fail: the REST API format CDK builds by default uses $context.resourcePath.
	rest := *awsapigateway.AccessLogFormat_JsonWithStandardFields(&awsapigateway.JsonWithStandardFieldProps{
		Caller: jsii.Bool(false), HttpMethod: jsii.Bool(true), Ip: jsii.Bool(true), Protocol: jsii.Bool(true),
		RequestTime: jsii.Bool(true), ResourcePath: jsii.Bool(true), ResponseLength: jsii.Bool(true),
		Status: jsii.Bool(true), User: jsii.Bool(false),
	}).ToString()
	var bad []string
	for _, v := range contextVariable.FindAllString(rest, -1) {
		if !httpAPILogVariables[strings.TrimPrefix(v, "$context.")] {
			bad = append(bad, v)
		}
	}
	if len(bad) != 1 || bad[0] != "$context.resourcePath" {
		t.Errorf("want exactly $context.resourcePath refused in CDK's REST format, got %v in %s", bad, rest)
	}
	if !strings.Contains(dnsswitch.AccessLogFormat, "$context.routeKey") {
		t.Errorf("the environment's format should name the route: %s", dnsswitch.AccessLogFormat)
	}
}
