// Package quota checks, when an app is synthesized, every AWS quota the library's resources can reach, in every
// stack that uses the library: resources, outputs and parameters of a CloudFormation template, the size of IAM
// policies, EventBridge event patterns, resource-based and key policies, Lambda environments, CodeDeploy alarms
// and CloudWatch dashboards. It sizes each as AWS will resolve it, not as CDK estimates it: every ARN, name and
// pseudo parameter is given the length AWS can give it (see Assumptions). Above 80 % of a quota synth warns; above
// the quota it fails, naming the resource, the quota, the size and what to change.
//
// The library's constructs define the check (Of) in each stack they are used in. A quota your account has had
// raised (the adjustable ones in Table) is given with Raise.
package quota

import (
	"fmt"
	"strings"
)

// Key names a quota of Table.
type Key string

// The quotas of Table.
const (
	ResourcesPerStack       Key = "cloudformation.resources"
	TemplateBody            Key = "cloudformation.templateBody"
	OutputsPerStack         Key = "cloudformation.outputs"
	ParametersPerStack      Key = "cloudformation.parameters"
	RoleInlinePolicies      Key = "iam.roleInlinePolicies"
	ManagedPolicySize       Key = "iam.managedPolicy"
	ManagedPoliciesPerRole  Key = "iam.managedPoliciesPerRole"
	TrustPolicy             Key = "iam.trustPolicy"
	EventPattern            Key = "events.eventPattern"
	TargetsPerRule          Key = "events.targetsPerRule"
	AlarmsPerGroup          Key = "codedeploy.alarmsPerDeploymentGroup"
	FunctionPolicy          Key = "lambda.resourcePolicy"
	Environment             Key = "lambda.environment"
	TopicPolicy             Key = "sns.topicPolicy"
	KeyPolicy               Key = "kms.keyPolicy"
	DashboardWidgets        Key = "cloudwatch.dashboardWidgets"
	DashboardMetrics        Key = "cloudwatch.dashboardMetrics"
	MetricsPerAlarm         Key = "cloudwatch.metricsPerAlarmExpression"
	ActionsPerAlarmState    Key = "cloudwatch.actionsPerAlarmState"
	cloudFormationQuotasURL     = "AWS CloudFormation User Guide, Understand CloudFormation quotas, https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html"
	iamQuotasURL                = "IAM User Guide, IAM and AWS STS quotas, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"
	eventBridgeQuotasURL        = "Amazon EventBridge User Guide, Amazon EventBridge quotas, https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html"
	lambdaQuotasURL             = "AWS Lambda Developer Guide, Lambda quotas, https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html"
	cloudWatchQuotasURL         = "Amazon CloudWatch User Guide, CloudWatch service quotas, https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html"
)

// Quota is one AWS quota the check knows.
type Quota struct {
	// Key names the quota (Raise takes it).
	Key Key
	// Limit is AWS's default value.
	Limit int
	// Unit says what is counted, and how AWS counts it.
	Unit string
	// Of says what the quota applies to: "stack", "role", "rule"…
	Of string
	// Adjustable is true when AWS raises the quota on request; Max is the highest value AWS documents (0: none).
	Adjustable bool
	Max        int
	// Fix says what to change when a resource is over the quota.
	Fix string
	// Source is the AWS document the quota is read from, and what it says.
	Source string
}

// Table is every quota the check knows, with its source.
var Table = []Quota{
	{Key: ResourcesPerStack, Limit: 500, Unit: "resources", Of: "stack",
		Fix:    "share hooks, roles and log groups between functions, or split the service across stacks",
		Source: cloudFormationQuotasURL + `: "Resources … 500 resources"`},
	{Key: TemplateBody, Limit: 1_000_000, Unit: "bytes of template as CDK writes it (estimated)", Of: "stack",
		Fix:    "set the context key @aws-cdk/core:suppressTemplateIndentation to true (CDK's indentation adds about 45 %), split the stack, or move large documents out of it",
		Source: cloudFormationQuotasURL + `: "Template body size in an Amazon S3 object … 1 MB" (CDK uploads templates over 50 KB to S3, as written)`},
	{Key: OutputsPerStack, Limit: 200, Unit: "outputs", Of: "stack",
		Fix:    "export fewer values, or split the stack",
		Source: cloudFormationQuotasURL + `: "Outputs … 200 outputs"`},
	{Key: ParametersPerStack, Limit: 200, Unit: "parameters", Of: "stack",
		Fix:    "use fewer parameters (context values or SSM lookups at synth), or split the stack",
		Source: cloudFormationQuotasURL + `: "Parameters … 200 parameters"`},
	{Key: RoleInlinePolicies, Limit: 10_240, Unit: "characters of all inline policies of the role, whitespace not counted", Of: "role",
		Fix:    "grant fewer resources one by one (a pattern, or a managed policy), or give the functions separate roles",
		Source: iamQuotasURL + `: "Role policy size can't exceed 10,240 characters … IAM doesn't count white space"`},
	{Key: ManagedPolicySize, Limit: 6_144, Unit: "characters, whitespace not counted", Of: "managed policy",
		Fix:    "split the statements across more managed policies",
		Source: iamQuotasURL + `: "Managed policy size … 6,144 characters … IAM doesn't count white space"`},
	{Key: ManagedPoliciesPerRole, Limit: 10, Unit: "managed policies attached", Of: "role", Adjustable: true, Max: 25,
		Fix:    "attach fewer managed policies, or raise the quota in Service Quotas and quota.Raise it",
		Source: iamQuotasURL + `: "Managed policies per role | 10 | 25" (default, maximum)`},
	{Key: TrustPolicy, Limit: 2_048, Unit: "characters of the trust policy, whitespace not counted", Of: "role", Adjustable: true, Max: 4_096,
		Fix:    "trust fewer principals or conditions, or raise the quota in Service Quotas and quota.Raise it",
		Source: iamQuotasURL + `: "Role trust policy length | 2048 characters | 4096 characters"`},
	{Key: EventPattern, Limit: 2_048, Unit: "characters of the event pattern", Of: "rule", Adjustable: true, Max: 4_096,
		Fix:    "match fewer values (an application instead of its groups), or raise the quota and quota.Raise it",
		Source: eventBridgeQuotasURL + `: "Event pattern size | 2,048 | Yes | Maximum size of an event pattern, in characters" (the PutRule API takes at most 4,096)`},
	{Key: TargetsPerRule, Limit: 5, Unit: "targets", Of: "rule",
		Fix:    "define another rule with the same pattern",
		Source: eventBridgeQuotasURL + `: "Maximum 5 targets per rule"`},
	{Key: AlarmsPerGroup, Limit: 50, Unit: "alarms", Of: "deployment group", Adjustable: true,
		Fix:    "combine alarms into a composite alarm, or raise the quota and quota.Raise it",
		Source: `CodeDeploy User Guide, CodeDeploy quotas: "Associated alarms per deployment group | 50 | Yes" (https://docs.aws.amazon.com/codedeploy/latest/userguide/limits.html); the API Reference's AlarmConfiguration still says "A maximum of 10 alarms can be added", and synth notes a group above 10`},
	{Key: FunctionPolicy, Limit: 20_480, Unit: "bytes of the function's resource-based policy (estimated per statement)", Of: "function",
		Fix:    "grant fewer principals one by one (a source account or organization condition)",
		Source: lambdaQuotasURL + `: "Function resource-based policy | 20 KB"`},
	{Key: Environment, Limit: 4_096, Unit: "bytes of all environment variables, keys and values", Of: "function",
		Fix:    "move large values to a file in the code, SSM Parameter Store or Secrets Manager",
		Source: lambdaQuotasURL + `: "Function environment variables | 4 KB, for all environment variables associated with the function, in aggregate"`},
	{Key: TopicPolicy, Limit: 30_720, Unit: "bytes of the topic's access policy", Of: "topic policy",
		Fix:    "grant fewer principals one by one",
		Source: `Amazon SNS Developer Guide, Amazon SNS API, policy statement quotas: "Bytes | 30 kb" (https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-language-api-permissions-reference.html)`},
	{Key: KeyPolicy, Limit: 32_768, Unit: "bytes of the key policy", Of: "KMS key",
		Fix:    "grant fewer principals one by one",
		Source: `AWS KMS Developer Guide, Resource quotas: "Key policy document size | 32 KB (32,768 bytes)" (https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html)`},
	{Key: DashboardWidgets, Limit: 500, Unit: "widgets", Of: "dashboard",
		Fix:    "split the dashboard",
		Source: `Amazon CloudWatch API Reference, Dashboard Body Structure and Syntax: "an array of between 0 and 500 widget objects"`},
	{Key: DashboardMetrics, Limit: 2_500, Unit: "metrics, those used only in math included", Of: "dashboard",
		Fix:    "split the dashboard",
		Source: cloudWatchQuotasURL + `: "Up to 2500 metrics per dashboard, across all widgets … These quotas cannot be changed."`},
	{Key: MetricsPerAlarm, Limit: 10, Unit: "metrics", Of: "alarm",
		Fix:    "use fewer metrics in the alarm's math expression",
		Source: cloudWatchQuotasURL + `: "Alarms based on metric math expressions can have up to 10 metrics."`},
	{Key: ActionsPerAlarmState, Limit: 5, Unit: "actions for one state", Of: "alarm",
		Fix:    "notify one topic that fans out",
		Source: cloudWatchQuotasURL + `: "Alarm actions | 5/alarm. This quota cannot be changed."`},
}

// Lookup returns the quota of Table named key.
func Lookup(key Key) (Quota, bool) {
	for _, q := range Table {
		if q.Key == key {
			return q, true
		}
	}
	return Quota{}, false
}

// WarningID is the id of the warning synth gives for a resource above 80 % of the quota key;
// Annotations.AcknowledgeWarning takes it.
func WarningID(key Key) string {
	return "lambda-bluegreen:quota:" + string(key)
}

// Limits are the quotas in force: Table's defaults, raised where an account has had them raised.
type Limits map[Key]int

// Raise returns l with the quota key raised to value, or an error naming what is wrong: an unknown or
// unadjustable quota, a value below AWS's default or above the highest AWS documents.
func (l Limits) Raise(key Key, value int) error {
	q, ok := Lookup(key)
	switch {
	case !ok:
		return fmt.Errorf("quota %q is not one the check knows (see quota.Table)", key)
	case !q.Adjustable:
		return fmt.Errorf("quota %s (%d %s per %s) is not adjustable: AWS does not raise it", key, q.Limit, q.Unit, q.Of)
	case value < q.Limit:
		return fmt.Errorf("quota %s can only be raised: got %d, below AWS's default %d", key, value, q.Limit)
	case q.Max > 0 && value > q.Max:
		return fmt.Errorf("quota %s can be raised to at most %d (AWS's documented maximum), got %d", key, q.Max, value)
	}
	l[key] = value
	return nil
}

// limit returns the quota key in force.
func (l Limits) limit(key Key) int {
	if v, ok := l[key]; ok {
		return v
	}
	q, _ := Lookup(key)
	return q.Limit
}

// Markdown returns Table as a Markdown table: the quota, AWS's value, what it applies to, whether it can be raised,
// and its source. docs/service.md holds it.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| Quota (`quota.Key`) | AWS's value | Per | Raise with `quota.Raise` | Source |\n| --- | --- | --- | --- | --- |\n")
	for _, q := range Table {
		raise := "no"
		switch {
		case q.Adjustable && q.Max > 0:
			raise = fmt.Sprintf("yes, up to %d", q.Max)
		case q.Adjustable:
			raise = "yes"
		}
		fmt.Fprintf(&b, "| `%s` | %d %s | %s | %s | %s |\n", q.Key, q.Limit, q.Unit, q.Of, raise,
			strings.ReplaceAll(q.Source, "|", "\\|"))
	}
	return b.String()
}
