// Package dnsswitch holds whole-environment blue/green: two complete copies of a service, each an Environment (an
// HTTP API on a regional custom domain, with a Route 53 health check), and a Switch that owns the weighted Route 53
// records of the service's one name and so decides which environment gets the traffic.
//
// Use it when a release changes more than a function (an API, a table, configuration) or to keep a whole previous
// environment warm for an instant switch back. Inside each environment the service's function still ships
// alias-level blue/green (package bluegreen): the API calls the Deployment's alias.
//
// A custom domain name of API Gateway is unique within a region across all accounts, so the two environments of
// one name live in different regions. The Switch can live in a third stack (in the hosted zone's account); it
// refuses two environments it can prove share a region.
//
// A minimal use, with blueStack and greenStack in two regions and routerStack holding the zone:
//
//	blue := dnsswitch.NewEnvironment(blueStack, "Env", &dnsswitch.EnvironmentProps{
//		Deployment: blueDeployment, DomainName: jsii.String("api.example.com"), Certificate: blueCert,
//	})
//	green := dnsswitch.NewEnvironment(greenStack, "Env", &dnsswitch.EnvironmentProps{
//		Deployment: greenDeployment, DomainName: jsii.String("api.example.com"), Certificate: greenCert,
//	})
//	dnsswitch.NewSwitch(routerStack, "Switch", &dnsswitch.SwitchProps{
//		Zone: zone, Blue: blue.Endpoint(), Green: green.Endpoint(),
//		Weights: &dnsswitch.Weights{Blue: jsii.Number(100), Green: jsii.Number(0)},
//	})
package dnsswitch
