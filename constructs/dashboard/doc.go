// Package dashboard holds Dashboard, a CloudWatch dashboard for blue/green Lambda deployments: one section per
// deployment showing green's share of traffic, green's error rate, latency and throttles beside the alias's,
// concurrency, and the state of every rollback alarm, so an operator can watch a shift rather than read about it.
package dashboard
