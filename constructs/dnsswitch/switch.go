package dnsswitch

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53targets"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/internal/check"
)

const (
	// DefaultBlueSetIdentifier is the set identifier of the Blue record when SwitchProps.BlueSetIdentifier is nil.
	DefaultBlueSetIdentifier = "blue"
	// DefaultGreenSetIdentifier is the set identifier of the Green record when SwitchProps.GreenSetIdentifier is nil.
	DefaultGreenSetIdentifier = "green"
)

// Endpoint is what a Switch needs to send traffic to one environment. Environment.Endpoint gives it for an
// environment defined in this app; for one deployed elsewhere (another account, say), fill it in from that
// environment's outputs and import its health check with awsroute53.HealthCheck_FromHealthCheckId.
type Endpoint struct {
	// DomainName is the custom domain name the environment's API serves. It must equal the Switch's record
	// name: API Gateway answers only for the custom domain names it has. Required.
	DomainName *string

	// RegionalDomainName is the regional domain name of the API's custom domain (d-….execute-api.{region}.amazonaws.com).
	// Required.
	RegionalDomainName *string

	// RegionalHostedZoneId is the Route 53 hosted zone id of that regional domain name. Required.
	RegionalHostedZoneId *string

	// HealthCheck decides whether the environment may get traffic: Route 53 leaves an unhealthy environment out
	// of its answers.
	//
	// Default: none; the environment always counts as healthy, and Route 53 keeps answering with it while it is down.
	HealthCheck awsroute53.IHealthCheck

	// Region is where the environment runs, used to refuse two environments in one region: API Gateway serves
	// a custom domain name once per region, across all accounts.
	//
	// Default: unknown; the check is skipped.
	Region *string

	stack awscdk.Stack
}

// SwitchProps configure a Switch.
type SwitchProps struct {
	// Zone is the public hosted zone holding RecordName, usually imported with
	// awsroute53.HostedZone_FromHostedZoneAttributes (its id and name). Required.
	Zone awsroute53.IHostedZone

	// RecordName is the name clients use, inside Zone (for example "api.example.com" in "example.com").
	//
	// Default: the Blue endpoint's DomainName.
	RecordName *string

	// Blue and Green are the two environments. They must be different environments serving RecordName.
	// Required.
	Blue, Green *Endpoint

	// Weights share the DNS answers between the two environments. To let the command line override the code's
	// weights, read them with WeightsFromContext and pass code.Over(fromCommandLine).
	//
	// Default: Blue 100, Green 0 (all traffic to Blue).
	Weights *Weights

	// BlueSetIdentifier and GreenSetIdentifier tell the two weighted records apart in Route 53: 1 to 128
	// characters, different from each other. Changing one replaces the record.
	//
	// Default: "blue" and "green".
	BlueSetIdentifier, GreenSetIdentifier *string

	// Ttl, when set, makes the records weighted CNAME records with this TTL instead of alias records: resolvers
	// then cache an answer for up to Ttl, so a switch takes up to Ttl (plus the client's own caching) to reach
	// every client. CNAME records cannot be at the zone apex, and Route 53 charges for their queries. Setting or
	// unsetting Ttl on a deployed Switch changes the records' type, which Route 53 cannot do in place: deploy
	// the Switch without records first (or change both set identifiers), then with the new type.
	//
	// Default: weighted alias (A) records, which cost nothing to query; an alias record has no TTL of its own,
	// Route 53 answers with the TTL of the API Gateway record it points at.
	Ttl awscdk.Duration
}

// Switch owns the weighted Route 53 records of one name: one record per environment, each with the
// environment's health check. Route 53 answers with an environment in proportion to its weight among the healthy
// ones; a weight of 0 takes it out of rotation until every environment of non-zero weight is unhealthy.
type Switch interface {
	constructs.Construct

	// BlueRecord returns the weighted record of the Blue environment.
	BlueRecord() awsroute53.RecordSet
	// GreenRecord returns the weighted record of the Green environment.
	GreenRecord() awsroute53.RecordSet
	// Weights returns the weights in use, defaults applied.
	Weights() *Weights
	// RecordName returns the name the records serve, as given or defaulted (it may be a token).
	RecordName() *string
}

type dnsSwitch struct {
	constructs.Construct
	blue, green awsroute53.RecordSet
	weights     *Weights
	recordName  *string
}

// NewSwitch defines the two weighted records of props.RecordName in props.Zone, one per environment, with the
// environments' health checks.
//
// NewSwitch validates props before it defines anything and panics, naming the construct path, with every problem
// it found. props may be nil only to get that error.
func NewSwitch(scope constructs.Construct, id string, props *SwitchProps) Switch {
	p := SwitchProps{}
	if props != nil {
		p = *props
	}
	p.Weights = p.Weights.Over(nil)
	if p.RecordName == nil && p.Blue != nil {
		p.RecordName = p.Blue.DomainName
	}
	zoneName, zoneErr := readZoneName(p.Zone)
	if err := errors.Join(zoneErr, p.validate(zoneName)); err != nil {
		panic(fmt.Errorf("%s/%s: invalid SwitchProps: %w", *scope.Node().Path(), id, err))
	}
	blueWeight, greenWeight := p.Weights.resolved()
	s := &dnsSwitch{
		Construct:  constructs.NewConstruct(scope, jsii.String(id)),
		weights:    &Weights{Blue: jsii.Number(blueWeight), Green: jsii.Number(greenWeight)},
		recordName: p.RecordName,
	}
	defer func() {
		if r := recover(); r != nil {
			scope.Node().TryRemoveChild(jsii.String(id))
			panic(check.WithPath(scope, id, r))
		}
	}()
	if !check.IsToken(*p.RecordName) {
		// CDK matches the zone's suffix case-sensitively: give it the name in the zone's form, fully qualified.
		p.RecordName = jsii.String(normalize(*p.RecordName) + ".")
	}
	s.blue = record(s, "BlueRecord", &p, p.Blue, orDefault(p.BlueSetIdentifier, DefaultBlueSetIdentifier), blueWeight)
	s.green = record(s, "GreenRecord", &p, p.Green, orDefault(p.GreenSetIdentifier, DefaultGreenSetIdentifier), greenWeight)
	if !known(p.Blue.Region) || !known(p.Green.Region) {
		awscdk.Annotations_Of(s.Construct).AddInfoV2(jsii.String("lambda-bluegreen:environmentRegions"), jsii.String(
			"the Blue and Green environments of "+describe(p.RecordName)+" do not both name their region: deploy "+
				"them to different regions, since a custom domain name of API Gateway is unique within a region "+
				"across all accounts"))
	}
	return s
}

// readZoneName returns the name of zone, or an error when the zone was imported without one (CDK refuses to read
// it then). A nil zone gives "" and no error: validate reports it.
func readZoneName(zone awsroute53.IHostedZone) (name string, err error) {
	if zone == nil {
		return "", nil
	}
	defer func() {
		if r := recover(); r != nil {
			//lint:ignore ST1005 it starts with the Go name of the field it is about (STYLE: errors name the field)
			err = errors.New("Zone must carry its name (import it with awsroute53.HostedZone_FromHostedZoneAttributes), " +
				"got a zone imported by id only")
		}
	}()
	return *zone.ZoneName(), nil
}

func record(s *dnsSwitch, id string, p *SwitchProps, e *Endpoint, setID string, weight float64) awsroute53.RecordSet {
	// Alias A records by default; with a TTL, CNAME records to the regional domain name.
	var typ awsroute53.RecordType
	var target awsroute53.RecordTarget
	if p.Ttl != nil {
		typ, target = awsroute53.RecordType_CNAME, awsroute53.RecordTarget_FromValues(e.RegionalDomainName)
	} else {
		typ, target = awsroute53.RecordType_A, awsroute53.RecordTarget_FromAlias(
			awsroute53targets.NewApiGatewayv2DomainProperties(e.RegionalDomainName, e.RegionalHostedZoneId))
	}
	return awsroute53.NewRecordSet(s.Construct, jsii.String(id), &awsroute53.RecordSetProps{
		Zone:          p.Zone,
		RecordName:    p.RecordName,
		RecordType:    typ,
		Target:        target,
		Ttl:           p.Ttl,
		SetIdentifier: jsii.String(setID),
		Weight:        jsii.Number(weight),
		HealthCheck:   e.HealthCheck,
		Comment:       jsii.String(fmt.Sprintf("lambda-bluegreen switch: environment %s, weight %v", setID, weight)),
	})
}

func (s *dnsSwitch) BlueRecord() awsroute53.RecordSet  { return s.blue }
func (s *dnsSwitch) GreenRecord() awsroute53.RecordSet { return s.green }
func (s *dnsSwitch) Weights() *Weights                 { return s.weights.Over(nil) }
func (s *dnsSwitch) RecordName() *string               { return s.recordName }

var setIdentifierPattern = regexp.MustCompile(`^.{1,128}$`)

// validate reports every problem with p, joined, or nil; it calls into the CDK only to read Ttl. zoneName is the name of
// p.Zone (it may be a token).
func (p *SwitchProps) validate(zoneName string) error {
	var errs []error
	if p.Zone == nil {
		//lint:ignore ST1005 it starts with the Go name of the field it is about (STYLE: errors name the field)
		errs = append(errs, errors.New("Zone must be the hosted zone of the record name, got nil"))
	}
	for _, e := range []struct {
		name string
		ep   *Endpoint
	}{{"Blue", p.Blue}, {"Green", p.Green}} {
		if e.ep == nil {
			errs = append(errs, fmt.Errorf("%s must be an environment's Endpoint, got nil: a switch needs exactly two environments", e.name))
			continue
		}
		if e.ep.RegionalDomainName == nil || (e.ep.RegionalHostedZoneId == nil && p.Ttl == nil) {
			errs = append(errs, fmt.Errorf("%s.RegionalDomainName and %s.RegionalHostedZoneId must be set "+
				"(the API custom domain's alias target), got %s",
				e.name, e.name, missing(e.ep.RegionalDomainName, e.ep.RegionalHostedZoneId)))
		}
		if e.ep.DomainName == nil {
			errs = append(errs, fmt.Errorf("%s.DomainName must be the custom domain name the environment serves, got nil", e.name))
		} else if p.RecordName != nil && !check.IsToken(*e.ep.DomainName) && !check.IsToken(*p.RecordName) &&
			normalize(*e.ep.DomainName) != normalize(*p.RecordName) {
			errs = append(errs, fmt.Errorf("%s.DomainName must equal the record name %q, since API Gateway answers only "+
				"for the custom domain names it has, got %q", e.name, *p.RecordName, *e.ep.DomainName))
		}
	}
	if p.Blue != nil && p.Green != nil {
		switch {
		case p.Blue == p.Green || (p.Blue.RegionalDomainName != nil && p.Green.RegionalDomainName != nil &&
			*p.Blue.RegionalDomainName == *p.Green.RegionalDomainName):
			//lint:ignore ST1005 it starts with the Go name of the field it is about (STYLE: errors name the field)
			errs = append(errs, errors.New("Blue and Green must be two different environments, got the same one twice"))
		case sameStack(p.Blue, p.Green) || sameRegion(p.Blue, p.Green):
			//lint:ignore ST1005 it starts with the Go name of the field it is about (STYLE: errors name the field)
			errs = append(errs, fmt.Errorf("Blue and Green must be in different regions, since a custom domain "+
				"name of API Gateway is unique within a region across all accounts, got both in %s", where(p.Blue)))
		}
	}
	if p.RecordName == nil {
		errs = append(errs, errors.New("RecordName must be set when Blue is nil, got nil"))
	} else if err := checkDomainName("RecordName", *p.RecordName); err != nil {
		errs = append(errs, err)
	} else if zoneName != "" && !check.IsToken(zoneName) && !check.IsToken(*p.RecordName) {
		name, zone := normalize(*p.RecordName), normalize(zoneName)
		if !inZone(name, zone) {
			errs = append(errs, fmt.Errorf("RecordName must be inside the zone %q, got %q", zone, name))
		} else if name == zone && p.Ttl != nil {
			//lint:ignore ST1005 it starts with the Go name of the field it is about (STYLE: errors name the field)
			errs = append(errs, fmt.Errorf("Ttl makes the records CNAME records, which cannot be at the zone apex %q; "+
				"leave Ttl unset for alias records", zone))
		}
	}
	errs = append(errs, check.Prefix("Weights: ", p.Weights.Validate())...)
	blueID := orDefault(p.BlueSetIdentifier, DefaultBlueSetIdentifier)
	greenID := orDefault(p.GreenSetIdentifier, DefaultGreenSetIdentifier)
	for _, c := range []struct{ field, value string }{{"BlueSetIdentifier", blueID}, {"GreenSetIdentifier", greenID}} {
		if !check.IsToken(c.value) && !setIdentifierPattern.MatchString(c.value) {
			errs = append(errs, fmt.Errorf("%s must be 1 to 128 characters, got %q", c.field, c.value))
		}
	}
	if blueID == greenID {
		errs = append(errs, fmt.Errorf("BlueSetIdentifier and GreenSetIdentifier must differ, got %q for both", blueID))
	}
	if p.Ttl != nil && !*p.Ttl.IsUnresolved() {
		if s := *p.Ttl.ToSeconds(&awscdk.TimeConversionOptions{Integral: jsii.Bool(false)}); s < 0 || s > 2147483647 || s != float64(int64(s)) {
			//lint:ignore ST1005 it starts with the Go name of the field it is about (STYLE: errors name the field)
			errs = append(errs, fmt.Errorf("Ttl must be a whole number of seconds from 0 to 2147483647, got %v", s))
		}
	}
	return errors.Join(errs...)
}

// sameStack reports whether both endpoints come from environments in one stack, which share an account and region
// even when they are unknown at synth.
func sameStack(a, b *Endpoint) bool {
	return a.stack != nil && b.stack != nil && *a.stack.Node().Path() == *b.stack.Node().Path()
}

// sameRegion reports whether both endpoints name the same region.
func sameRegion(a, b *Endpoint) bool {
	return known(a.Region) && known(b.Region) && *a.Region == *b.Region
}

func known(s *string) bool { return s != nil && !check.IsToken(*s) }

func where(e *Endpoint) string {
	if known(e.Region) {
		return "region " + *e.Region
	}
	return "one stack (" + *e.stack.Node().Path() + ")"
}

func missing(values ...*string) string {
	var n int
	for _, v := range values {
		if v == nil {
			n++
		}
	}
	if n == len(values) {
		return "neither"
	}
	return "only one"
}

var labelPattern = regexp.MustCompile(`^(\*|[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)$`)

// checkDomainName checks that name is a domain name of at most 253 characters (without the final dot), made of
// labels of letters, digits, '-' and '_', or "*". Tokens pass.
func checkDomainName(field, name string) error {
	if check.IsToken(name) {
		return nil
	}
	n := normalize(name)
	if n == "" || len(n) > 253 {
		return fmt.Errorf("%s must be a domain name of 1 to 253 characters, got %q", field, name)
	}
	for _, label := range strings.Split(n, ".") {
		if !labelPattern.MatchString(label) {
			return fmt.Errorf("%s must be a domain name made of labels of 1 to 63 letters, digits, '-' or '_' "+
				"separated by dots, got %q", field, name)
		}
	}
	return nil
}

// inZone reports whether the normalized name is zone or inside it.
func inZone(name, zone string) bool {
	return name == zone || strings.HasSuffix(name, "."+zone)
}

// normalize returns a domain name in lower case without its final dot.
func normalize(name string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".")
}

func orDefault(s *string, d string) string {
	if s == nil {
		return d
	}
	return *s
}
