package dnsswitch

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/internal/check"
)

// AccessLogFormat is the JSON line an Environment's stage writes to its access logs for each request. It uses only
// the $context variables API Gateway documents for HTTP APIs ("Customize HTTP API access logs",
// https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html): a REST API
// variable such as $context.resourcePath makes API Gateway refuse the stage, and the environment's stack rolls back.
// $context.routeKey names the route that matched; $context.path is the path requested.
const AccessLogFormat = `{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",` +
	`"userAgent":"$context.identity.userAgent","requestTime":"$context.requestTime",` +
	`"httpMethod":"$context.httpMethod","routeKey":"$context.routeKey","path":"$context.path",` +
	`"protocol":"$context.protocol","status":"$context.status","responseLength":"$context.responseLength",` +
	`"responseLatency":"$context.responseLatency","integrationStatus":"$context.integrationStatus",` +
	`"integrationLatency":"$context.integrationLatency","integrationError":"$context.integrationErrorMessage",` +
	`"error":"$context.error.message","domainName":"$context.domainName"}`

// DefaultHealthCheckPath is the path Route 53 requests on an Environment when EnvironmentProps.HealthCheckPath is
// nil.
const DefaultHealthCheckPath = "/health"

const (
	// DefaultRateLimit is the steady requests per second of an Environment's stage when EnvironmentProps.Throttle
	// leaves RateLimit unset.
	DefaultRateLimit = 1000
	// DefaultBurstLimit is the burst of requests of an Environment's stage when EnvironmentProps.Throttle leaves
	// BurstLimit unset.
	DefaultBurstLimit = 500
	// DefaultFailureThreshold is the health check's failure threshold when
	// EnvironmentProps.HealthCheckFailureThreshold is nil.
	DefaultFailureThreshold = 3
)

// EnvironmentProps configure an Environment.
type EnvironmentProps struct {
	// Deployment is the service's function, shipped alias-level blue/green: every route of the API
	// (the $default route) calls its alias, so a new version of the function still reaches traffic through the
	// Deployment's strategy and alarms. Add more routes on HttpApi(). Required.
	Deployment bluegreen.Deployment

	// DomainName is the name clients use, the record name of the Switch (for example "api.example.com"). Both
	// environments serve the same name. Required.
	DomainName *string

	// Certificate is an ACM certificate for DomainName in the environment's region. Set it or Zone, not both.
	//
	// Default: a new certificate for DomainName, validated by DNS records in Zone (Zone is then required; the
	// zone must be in the environment's account).
	Certificate awscertificatemanager.ICertificate

	// Zone is the hosted zone of DomainName, used only to validate the certificate defined when Certificate is
	// nil; DomainName must be inside it.
	//
	// Default: none; Certificate must be set then.
	Zone awsroute53.IHostedZone

	// HealthCheckPath is the path, starting with "/", that Route 53 requests over HTTPS on the environment's own
	// API endpoint; any 2xx or 3xx answer counts as healthy. The request goes through the $default route to the
	// Deployment's alias like any other.
	//
	// Default: "/health" (DefaultHealthCheckPath).
	HealthCheckPath *string

	// HealthCheckInterval is how often each Route 53 health checker requests HealthCheckPath: 10 or 30 seconds
	// (10 seconds costs more).
	//
	// Default: 30 seconds.
	HealthCheckInterval awscdk.Duration

	// HealthCheckFailureThreshold is how many consecutive failed checks make the environment unhealthy, and how
	// many passed ones make it healthy again: 1 to 10.
	//
	// Default: 3.
	HealthCheckFailureThreshold *float64

	// Throttle limits the requests per second of the API's stage, for every route. A limit left unset keeps its
	// default.
	//
	// Default: rate 1000 per second, burst 500.
	Throttle *awsapigatewayv2.ThrottleSettings

	// AccessLogRetention is how long the stage's access logs (JSON, one line per request) are kept.
	//
	// Default: one year.
	AccessLogRetention awslogs.RetentionDays
}

// Environment is one whole copy of a service, blue or green: an HTTP API whose $default route calls the
// Deployment's alias, a regional custom domain for the service's name mapped to the API's $default stage, and a
// Route 53 health check on the API's own endpoint. A Switch sends traffic to it through Endpoint.
type Environment interface {
	constructs.Construct

	// Endpoint returns what a Switch needs to send traffic to this environment.
	Endpoint() *Endpoint
	// Deployment returns the Deployment whose alias serves the API.
	Deployment() bluegreen.Deployment
	// HttpApi returns the HTTP API; add routes to it as usual.
	HttpApi() awsapigatewayv2.HttpApi
	// Stage returns the API's $default stage, with access logs and throttling.
	Stage() awsapigatewayv2.HttpStage
	// DomainName returns the regional custom domain of the API.
	DomainName() awsapigatewayv2.DomainName
	// Certificate returns the certificate of the custom domain: the one given, or the one defined.
	Certificate() awscertificatemanager.ICertificate
	// HealthCheck returns the Route 53 health check of the API's endpoint.
	HealthCheck() awsroute53.HealthCheck
	// AccessLogs returns the log group of the stage's access logs.
	AccessLogs() awslogs.LogGroup
}

type environment struct {
	constructs.Construct
	deployment  bluegreen.Deployment
	api         awsapigatewayv2.HttpApi
	stage       awsapigatewayv2.HttpStage
	domain      awsapigatewayv2.DomainName
	certificate awscertificatemanager.ICertificate
	healthCheck awsroute53.HealthCheck
	logs        awslogs.LogGroup
	endpoint    *Endpoint
}

// NewEnvironment defines one environment of a service: the HTTP API in front of props.Deployment's alias, its
// $default stage (JSON access logs, throttling), the regional custom domain props.DomainName with its certificate
// (given or defined), and an HTTPS Route 53 health check on the API's execute-api endpoint.
//
// The health check requests the API's own endpoint ({api-id}.execute-api.{region}.amazonaws.com), not
// DomainName: the name resolves to whichever environment Route 53 picks, so only the API's own endpoint tells
// this environment's health. Keep that endpoint enabled.
//
// NewEnvironment validates props before it defines anything and panics, naming the construct path, with every
// problem it found. props may be nil only to get that error.
func NewEnvironment(scope constructs.Construct, id string, props *EnvironmentProps) Environment {
	p := EnvironmentProps{}
	if props != nil {
		p = *props
	}
	zoneName, zoneErr := readZoneName(p.Zone)
	if zoneErr != nil {
		//lint:ignore ST1005 it starts with the Go name of the field it is about (STYLE: errors name the field)
		zoneErr = fmt.Errorf("Zone: %w", zoneErr)
	}
	if err := errors.Join(p.validate(zoneName), zoneErr); err != nil {
		panic(fmt.Errorf("%s/%s: invalid EnvironmentProps: %w", *scope.Node().Path(), id, err))
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	defer func() {
		if r := recover(); r != nil {
			scope.Node().TryRemoveChild(jsii.String(id))
			panic(check.WithPath(scope, id, r))
		}
	}()
	e := &environment{Construct: c, deployment: p.Deployment}
	e.define(&p)
	return e
}

func (e *environment) define(p *EnvironmentProps) {
	c := e.Construct
	stack := awscdk.Stack_Of(c)
	e.certificate = p.Certificate
	if e.certificate == nil {
		e.certificate = awscertificatemanager.NewCertificate(c, jsii.String("Certificate"), &awscertificatemanager.CertificateProps{
			DomainName: p.DomainName,
			Validation: awscertificatemanager.CertificateValidation_FromDns(p.Zone),
		})
	}
	e.domain = awsapigatewayv2.NewDomainName(c, jsii.String("DomainName"), &awsapigatewayv2.DomainNameProps{
		DomainName:     p.DomainName,
		Certificate:    e.certificate,
		EndpointType:   awsapigatewayv2.EndpointType_REGIONAL,
		SecurityPolicy: awsapigatewayv2.SecurityPolicy_TLS_1_2,
	})
	e.api = awsapigatewayv2.NewHttpApi(c, jsii.String("Api"), &awsapigatewayv2.HttpApiProps{
		Description:        jsii.String("Serves " + describe(p.DomainName) + " from this environment"),
		DefaultIntegration: awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("Alias"), p.Deployment.Alias(), nil),
		CreateDefaultStage: jsii.Bool(false),
	})

	retention := p.AccessLogRetention
	if retention == "" {
		retention = awslogs.RetentionDays_ONE_YEAR
	}
	e.logs = awslogs.NewLogGroup(c, jsii.String("AccessLogs"), &awslogs.LogGroupProps{Retention: retention})
	throttle := &awsapigatewayv2.ThrottleSettings{RateLimit: jsii.Number(DefaultRateLimit), BurstLimit: jsii.Number(DefaultBurstLimit)}
	if p.Throttle != nil && p.Throttle.RateLimit != nil {
		throttle.RateLimit = p.Throttle.RateLimit
	}
	if p.Throttle != nil && p.Throttle.BurstLimit != nil {
		throttle.BurstLimit = p.Throttle.BurstLimit
	}
	e.stage = awsapigatewayv2.NewHttpStage(c, jsii.String("Stage"), &awsapigatewayv2.HttpStageProps{
		HttpApi:    e.api,
		StageName:  jsii.String("$default"),
		AutoDeploy: jsii.Bool(true),
		Throttle:   throttle,
		AccessLogSettings: &accessLogSettings{
			destination: awsapigatewayv2.NewLogGroupLogDestination(e.logs),
			format:      awsapigateway.AccessLogFormat_Custom(jsii.String(AccessLogFormat)),
		},
		DomainMapping: &awsapigatewayv2.DomainMappingOptions{DomainName: e.domain},
	})

	interval := p.HealthCheckInterval
	if interval == nil {
		interval = awscdk.Duration_Seconds(jsii.Number(30))
	}
	threshold := p.HealthCheckFailureThreshold
	if threshold == nil {
		threshold = jsii.Number(DefaultFailureThreshold)
	}
	path := DefaultHealthCheckPath
	if p.HealthCheckPath != nil {
		path = *p.HealthCheckPath
	}
	// The API's own host name: {api-id}.execute-api.{region}.{url-suffix}.
	region := stack.Region()
	host := awscdk.Fn_Join(jsii.String(""), &[]*string{
		e.api.ApiId(), jsii.String(".execute-api."), region, jsii.String("."), stack.UrlSuffix(),
	})
	e.healthCheck = awsroute53.NewHealthCheck(c, jsii.String("HealthCheck"), &awsroute53.HealthCheckProps{
		Type:             awsroute53.HealthCheckType_HTTPS,
		Fqdn:             host,
		Port:             jsii.Number(443),
		ResourcePath:     jsii.String(path),
		EnableSNI:        jsii.Bool(true),
		RequestInterval:  interval,
		FailureThreshold: threshold,
	})
	e.endpoint = &Endpoint{
		DomainName:           p.DomainName,
		RegionalDomainName:   e.domain.RegionalDomainName(),
		RegionalHostedZoneId: e.domain.RegionalHostedZoneId(),
		HealthCheck:          e.healthCheck,
		Region:               region,
		stack:                stack,
	}
}

func (e *environment) Endpoint() *Endpoint {
	out := *e.endpoint
	return &out
}
func (e *environment) Deployment() bluegreen.Deployment                { return e.deployment }
func (e *environment) HttpApi() awsapigatewayv2.HttpApi                { return e.api }
func (e *environment) Stage() awsapigatewayv2.HttpStage                { return e.stage }
func (e *environment) DomainName() awsapigatewayv2.DomainName          { return e.domain }
func (e *environment) Certificate() awscertificatemanager.ICertificate { return e.certificate }
func (e *environment) HealthCheck() awsroute53.HealthCheck             { return e.healthCheck }
func (e *environment) AccessLogs() awslogs.LogGroup                    { return e.logs }

// accessLogSettings implements awsapigatewayv2.IAccessLogSettings.
type accessLogSettings struct {
	destination awsapigatewayv2.IAccessLogDestination
	format      awsapigateway.AccessLogFormat
}

func (a *accessLogSettings) Destination() awsapigatewayv2.IAccessLogDestination { return a.destination }
func (a *accessLogSettings) Format() awsapigateway.AccessLogFormat              { return a.format }

// validate reports every problem with p, joined, or nil. It calls into the CDK only to read durations. zoneName
// is the name of p.Zone ("" without one; it may be a token).
func (p *EnvironmentProps) validate(zoneName string) error {
	var errs []error
	if p.Deployment == nil {
		errs = append(errs, errors.New("Deployment must be the bluegreen.Deployment whose alias serves the API, got nil"))
	}
	if p.DomainName == nil {
		errs = append(errs, errors.New("DomainName must be the name clients use (the Switch's record name), got nil"))
	} else if err := checkDomainName("DomainName", *p.DomainName); err != nil {
		errs = append(errs, err)
	}
	switch {
	case p.Certificate == nil && p.Zone == nil:
		errs = append(errs, errors.New("Certificate must be set, or Zone to define a DNS-validated certificate, got neither"))
	case p.Certificate != nil && p.Zone != nil:
		errs = append(errs, errors.New("at most one of Certificate and Zone may be set (Zone only validates the "+
			"certificate defined when Certificate is nil), got both"))
	case p.Zone != nil && p.DomainName != nil && zoneName != "" && !check.IsToken(zoneName) && !check.IsToken(*p.DomainName) &&
		!inZone(normalize(*p.DomainName), normalize(zoneName)):
		errs = append(errs, fmt.Errorf("DomainName must be inside the zone %q that validates its certificate, got %q",
			normalize(zoneName), *p.DomainName))
	}
	if p.HealthCheckPath != nil && !check.IsToken(*p.HealthCheckPath) {
		if path := *p.HealthCheckPath; !strings.HasPrefix(path, "/") || len(path) > 255 {
			errs = append(errs, fmt.Errorf("HealthCheckPath must start with \"/\" and be at most 255 characters, got %q", path))
		}
	}
	if p.HealthCheckInterval != nil && !*p.HealthCheckInterval.IsUnresolved() {
		if s := *p.HealthCheckInterval.ToSeconds(&awscdk.TimeConversionOptions{Integral: jsii.Bool(false)}); s != 10 && s != 30 {
			errs = append(errs, fmt.Errorf("HealthCheckInterval must be 10 or 30 seconds, got %v seconds", s))
		}
	}
	if t := p.HealthCheckFailureThreshold; t != nil && (*t < 1 || *t > 10 || *t != float64(int(*t))) {
		errs = append(errs, fmt.Errorf("HealthCheckFailureThreshold must be a whole number from 1 to 10, got %v", *t))
	}
	if p.Throttle != nil {
		if r := p.Throttle.RateLimit; r != nil && *r < 0 {
			errs = append(errs, fmt.Errorf("Throttle.RateLimit must be 0 or more requests per second, got %v", *r))
		}
		if b := p.Throttle.BurstLimit; b != nil && (*b < 0 || *b != float64(int(*b))) {
			errs = append(errs, fmt.Errorf("Throttle.BurstLimit must be a whole number of requests, 0 or more, got %v", *b))
		}
	}
	return errors.Join(errs...)
}

// describe returns name for messages, or "the service's name" when it is a token.
func describe(name *string) string {
	if name == nil || check.IsToken(*name) {
		return "the service's name"
	}
	return *name
}
