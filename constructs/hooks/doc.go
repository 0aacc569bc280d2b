// Package hooks holds the CodeDeploy lifecycle hooks of a blue/green Lambda deployment: a pre-traffic hook that
// tests green before any traffic reaches it, and a post-traffic hook that checks green once it has all the
// traffic.
//
// A Hook is a Go Lambda from this repository (package runner, built with gobuild like any Go function here). It
// does not need to be told which version to test: it reads the deployment's AppSpec (TargetVersion), so nothing
// ties it to a version number. Its checks are declared in Go (PreTrafficProps, PostTrafficProps) and shipped
// beside its binary as config.json. Whatever happens in its handler (a failed check, an API error, a panic, its own
// deadline close), it reports Succeeded or Failed to CodeDeploy, and it writes a report a person can read to its
// log group. When the handler never gets to report (a crash at start, out of memory, a Lambda timeout, or an event
// Lambda gives up on after MaxEventAge while throttled), the hook's failure reporter, the same binary in reporter
// mode, reports Failed: Lambda sends it the event when the hook was invoked asynchronously, and the hook's watchdog
// (a one-time EventBridge Scheduler schedule the hook arms before its checks and deletes once it reported) invokes
// it a minute after the hook's deadline however the hook was invoked. A deployment does not wait for CodeDeploy's
// one-hour hook timeout. CodeDeploy keeps the first status of a hook execution, so a second report (a repeated delivery of the
// event, or the reporter after a hook that had reported) changes nothing and is logged. Its role can invoke, read and prune only the protected function's
// versions and report only to its own deployment group; CodeDeploy's role is allowed to invoke it whatever its
// name.
package hooks
