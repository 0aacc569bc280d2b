package acceptance

import (
	"fmt"
	"regexp"
	"strings"
)

// The contract between the AWS backend and the acceptance app (examples/acceptance): how a run names and tags
// what it creates, and how a step's release reaches the app and its handler.
const (
	// TagKey is the tag every stack (and, through CDK's tag propagation, every taggable resource) of a run carries;
	// its value is the run's id. Cleanup deletes only stacks that carry it and whose name starts with StackPrefix.
	TagKey = "lambda-bluegreen:acceptance"
	// StackPrefix starts the name of every stack a run creates.
	StackPrefix = "BlueGreenAcceptance"

	// ContextStack, ContextRun and ContextRelease are the CDK context keys the app reads: the stack's name, the
	// run's id (TagKey's value), and the release to synthesize (Release as JSON).
	ContextStack   = "acceptance:stack"
	ContextRun     = "acceptance:run"
	ContextRelease = "acceptance:release"

	// EnvCommit is the handler's environment variable that carries the release's commit: a new commit is a new
	// configuration, so Lambda publishes a new version.
	EnvCommit = "ACCEPTANCE_COMMIT"
	// EnvFail carries the release's FailMode (Release.Fail), when it has one: the version fails every request so.
	EnvFail = "ACCEPTANCE_FAIL"
)

// Request is what the traffic generator and the pre-traffic tests send the acceptance handler.
type Request struct {
	// FailVersion, when it is the version that serves the request, makes it fail: an error burst in green
	// (ErrorBurst), from outside the version's configuration.
	FailVersion string `json:"failVersion,omitempty"`
}

// runID is what a run's id may be: CloudFormation stack names allow letters, digits and hyphens.
var runID = regexp.MustCompile(`^[a-z0-9]{1,12}$`)

// ValidRunID says what is wrong with a run id, or "".
func ValidRunID(id string) string {
	if !runID.MatchString(id) {
		return fmt.Sprintf("a run id is 1 to 12 lower-case letters or digits, got %q", id)
	}
	return ""
}

// StackName is the stack a run plays scenario i in: StackPrefix-<run>-<i>. It stays well under CloudFormation's
// 128 characters and is unique per scenario, so scenarios never share a stack.
func StackName(run string, i int) string {
	return fmt.Sprintf("%s-%s-%02d", StackPrefix, run, i)
}

// OwnStack reports whether a stack's name and tags mark it as created by the run (or, with run "", by any run):
// the one test cleanup applies before deleting anything.
func OwnStack(name string, tags map[string]string, run string) bool {
	v, ok := tags[TagKey]
	if !ok || !strings.HasPrefix(name, StackPrefix+"-") {
		return false
	}
	return run == "" || (v == run && strings.HasPrefix(name, StackPrefix+"-"+run+"-"))
}

// The stack outputs the acceptance app declares and the AWS backend reads. Per-function outputs end with the
// function's id (Api, Fn00, Fn01): "FunctionNameApi".
const (
	// OutputQueueURL is the URL of the SQS queue subscribed to the notification topic: the backend reads the
	// notices sent during a step from it.
	OutputQueueURL = "NotificationQueueUrl"
	// OutputApplication is the CodeDeploy application's name.
	OutputApplication = "Application"
	// OutputFunctionName + id is the function's name; its alias is AliasName.
	OutputFunctionName = "FunctionName"
	// OutputDeploymentGroup + id is the function's CodeDeploy deployment group's name.
	OutputDeploymentGroup = "DeploymentGroup"
	// OutputBusinessAlarm is the name of the business alarm (Release.Business), when the release has one: the
	// backend waits for its state after a BusinessAlarm or ClearBusinessAlarm fault.
	OutputBusinessAlarm = "BusinessAlarmName"
	// AliasName is the alias of every function.
	AliasName = "live"
)

// The business metric the app's business alarm watches (Release.Business): the traffic generator publishes it
// (BusinessHealthy each minute, BusinessBroken while the step's fault is BusinessAlarm), with the dimension
// BusinessDimension = the stack's name. The alarm is in ALARM when a minute's value is below BusinessThreshold.
const (
	BusinessNamespace = "BlueGreenAcceptance"
	BusinessMetric    = "ActiveUsers"
	BusinessDimension = "Stack"
	BusinessHealthy   = 10.0
	BusinessBroken    = 0.0
	BusinessThreshold = 1.0
)
