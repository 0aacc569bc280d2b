package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/safeship/lambda-bluegreen/internal/block"
	"github.com/safeship/lambda-bluegreen/internal/deployment"
	"github.com/safeship/lambda-bluegreen/internal/revert"
)

// maxTemplateBody is the largest template an UpdateStack request may carry in TemplateBody: "a maximum length of
// 51,200 bytes" (CloudFormation API reference, UpdateStack; the CDK CLI uploads any template over 50 KiB for the same
// reason). A larger one goes to S3 and is passed as TemplateURL ("Maximum size of a template body that you can pass
// in an Amazon S3 object ... 1 MB", CloudFormation quotas).
const maxTemplateBody = 51200

// expectedTime is what a finished-release rollback takes, as the operator reads it before approving.
const expectedTime = "about 1–2 minutes: one stack update; CodeDeploy shifts all traffic at once, no alarm is read " +
	"and the hooks pass a return to an earlier release; the next ordinary deploy restores the strategy and alarms"

// stackPin is one alias a finished-release rollback points at an earlier version.
type stackPin struct {
	function, alias, application, group string
	// aliasID is the alias's logical id in the deployed template.
	aliasID string
	// serving is the version serving now and revision the alias's RevisionId when it was read; target is the
	// version to go back to, and why says which deployment shows it.
	serving, revision, target, why string
	// block is the release this rollback takes out of service.
	block blockPlan
}

// templateDest is where a rollback template too large for the request goes: s3://bucket/key, passed as url;
// zero when the template travels in the request. owner is the account the bucket must belong to ("" to not check).
type templateDest struct{ bucket, key, url, owner string }

// destination decides how the rewritten template reaches CloudFormation: in the request when it fits, otherwise
// uploaded to -template-bucket or, by default, to the bucket the template's functions load their code from (the
// CDK's bootstrap assets bucket, whose name the template builds from the account and region: both are read from the
// stack's ARN). The key is named by the template's hash, so a repeated rollback uploads the same object.
func destination(o rollbackOptions, st stackInfo, t *revert.Template, body []byte) (templateDest, error) {
	if len(body) <= maxTemplateBody {
		return templateDest{}, nil
	}
	suffix := "amazonaws.com"
	if strings.HasPrefix(st.partition(), "aws-cn") {
		suffix = "amazonaws.com.cn"
	}
	d := templateDest{bucket: o.templateBucket}
	if d.bucket == "" {
		b, ok := t.CodeBucket(map[string]string{"AWS::AccountId": st.account(), "AWS::Region": st.region(),
			"AWS::Partition": st.partition(), "AWS::URLSuffix": suffix})
		if !ok {
			return d, fmt.Errorf("the rollback template of stack %s is %d bytes, over CloudFormation's limit of %d bytes for a "+
				"template sent in the request (UpdateStack TemplateBody), and none of its functions names a code bucket to upload "+
				"it to: pass -template-bucket with a bucket in %s that you may write to and CloudFormation may read",
				st.name, len(body), maxTemplateBody, st.region())
		}
		d.bucket, d.owner = b, st.account()
	}
	d.key = fmt.Sprintf("lambda-bluegreen/rollback/%s/%x.json", st.name, sha256.Sum256(body))
	// Path-style, as the CDK CLI builds the URL of a template it uploads: a bucket name with dots stays valid.
	d.url = fmt.Sprintf("https://s3.%s.%s/%s/%s", st.region(), suffix, d.bucket, d.key)
	return d, nil
}

// describeRevert is what the operator approves: what serves now and the target of each alias, the aliases left
// alone and why, the template's changes, how the template travels, the expected time, and the blocks.
func describeRevert(o rollbackOptions, st stackInfo, pins []stackPin, skipped []string, changes []revert.Change,
	dest templateDest, size int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "roll back stack %s in one update of its deployed template (no synth, no build: the code and "+
		"configuration deployed stay as they are):\n", st.name)
	for _, p := range pins {
		fmt.Fprintf(&b, "  %s:%s serves version %s now → version %s (%s)\n", p.function, p.alias, p.serving, p.target, p.why)
	}
	for _, s := range skipped {
		fmt.Fprintf(&b, "  left alone: %s\n", s)
	}
	b.WriteString("template changes:\n")
	if len(changes) == 0 {
		b.WriteString("  none: the deployed template already holds these versions\n")
	}
	for _, ch := range changes {
		fmt.Fprintf(&b, "  %s\n", ch)
	}
	if dest.bucket == "" {
		fmt.Fprintf(&b, "template: sent in the UpdateStack request (%d bytes)\n", size)
	} else {
		fmt.Fprintf(&b, "template: %d bytes, over the %d bytes a request may carry: uploaded to s3://%s/%s and passed as TemplateURL\n",
			size, maxTemplateBody, dest.bucket, dest.key)
	}
	fmt.Fprintf(&b, "expected time: %s\n", expectedTime)
	for _, p := range pins {
		fmt.Fprintf(&b, "block: %s\n", p.block.promise(o.noBlock))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// revertStack rolls the pinned aliases of stack st back in one update of its deployed template t (see package
// revert), after o.confirm approves, then waits for the update and checks that each alias serves its target alone.
// What the request leaves out or keeps, by the CloudFormation API reference (UpdateStack, Parameter):
//   - every template parameter keeps its value, UsePreviousValue: "use the existing parameter value that the stack
//     is using for a given parameter key" (a parameter left out would fall back to the template's default);
//   - no RoleARN: "If you don't specify a value, CloudFormation uses the role that was previously associated with the
//     stack. If no role is available, CloudFormation uses a temporary session that is generated from your user
//     credentials";
//   - no Tags: "If you don't specify this parameter, CloudFormation doesn't modify the stack's tags"; no
//     NotificationARNs: the reference says only that an empty list removes the topics, not documented further;
//   - the capabilities acknowledge what the deployed template already holds: IAM resources, named or not
//     (CAPABILITY_IAM, CAPABILITY_NAMED_IAM; without them "CloudFormation returns an InsufficientCapabilities
//     error"), and macros (CAPABILITY_AUTO_EXPAND).
func revertStack(ctx context.Context, c clients, o rollbackOptions, st stackInfo, t *revert.Template, pins []stackPin,
	skipped []string) (rollbackResult, error) {
	res := rollbackResult{Stack: st.name, Skipped: skipped}
	var rp []revert.Pin
	for _, p := range pins {
		rp = append(rp, revert.Pin{AliasLogicalID: p.aliasID, Version: p.target})
		res.Pins = append(res.Pins, pinResult{Function: p.function, Alias: p.alias, From: p.serving, To: p.target})
	}
	if len(pins) == 1 {
		res.Target = pins[0].target
	}
	changes, err := t.Rollback(rp)
	if err != nil {
		return res, fmt.Errorf("stack %s: %w", st.name, err)
	}
	for _, ch := range changes {
		res.Changes = append(res.Changes, ch.String())
	}
	body := t.Bytes()
	dest, err := destination(o, st, t, body)
	if err != nil {
		return res, err
	}
	text := describeRevert(o, st, pins, skipped, changes, dest, len(body))
	if o.printOnly {
		fmt.Fprintf(o.out, "would %s\n", text)
		return res, nil
	}
	if !o.confirm(text) {
		return res, errDeclined
	}
	if err := recheckPins(ctx, c, pins); err != nil {
		return res, err
	}
	// Block the releases before the update, so that no outcome of it (a timeout, Ctrl-C, a failed check after it)
	// leaves them deployable: the rollback template's gate lets the pinned versions through, and the gate never
	// refuses while the stack rolls back, so the block cannot stand in the rollback's way.
	var blockErr error
	if !o.noBlock {
		var plans []blockPlan
		for _, p := range pins {
			plans = append(plans, p.block)
		}
		res.Blocked, blockErr = writeBlocks(ctx, c, plans, o.clock(), o.out)
	}
	in := &cloudformation.UpdateStackInput{StackName: aws.String(st.name),
		Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam, cfntypes.CapabilityCapabilityNamedIam,
			cfntypes.CapabilityCapabilityAutoExpand}}
	for _, name := range t.Parameters() {
		in.Parameters = append(in.Parameters, cfntypes.Parameter{ParameterKey: aws.String(name), UsePreviousValue: aws.Bool(true)})
	}
	if dest.bucket == "" {
		in.TemplateBody = aws.String(string(body))
	} else {
		put := &s3.PutObjectInput{Bucket: &dest.bucket, Key: &dest.key, Body: bytes.NewReader(body),
			ContentType: aws.String("application/json")}
		if dest.owner != "" {
			put.ExpectedBucketOwner = &dest.owner // never write to a bucket of that name in another account
		}
		if _, err := c.s3.PutObject(ctx, put); err != nil {
			return res, fmt.Errorf("PutObject s3://%s/%s (the template is over the %d bytes a request may carry; "+
				"-template-bucket names another bucket): %w", dest.bucket, dest.key, maxTemplateBody, err)
		}
		in.TemplateURL = &dest.url
	}
	if _, err := c.cloudformation.UpdateStack(ctx, in); isNoUpdates(err) {
		res.NoChange = true
		fmt.Fprintf(o.out, "stack %s already holds this rollback (CloudFormation: no updates are to be performed); nothing was changed\n", st.name)
		return res, nil
	} else if err != nil {
		return res, fmt.Errorf("UpdateStack %s: %w", st.name, err)
	}
	fmt.Fprintf(o.progress, "updating stack %s (up to %s)\n", st.name, o.wait.timeout)
	end, err := o.wait.wait(ctx, c, st.name)
	if err != nil {
		return res, err
	}
	switch end.status {
	case cfntypes.StackStatusUpdateComplete:
	case cfntypes.StackStatusUpdateRollbackComplete:
		return res, fmt.Errorf("the rollback failed and CloudFormation put stack %s back as it was (UPDATE_ROLLBACK_COMPLETE): %s; "+
			"the aliases serve what they served before (bluegreen status)", st.name, newestFailure(ctx, c, end))
	case cfntypes.StackStatusUpdateRollbackFailed:
		return res, fmt.Errorf("the rollback failed, and so did CloudFormation's rollback of it: stack %s is UPDATE_ROLLBACK_FAILED "+
			"(%s); run bluegreen recover -stack %s", st.name, newestFailure(ctx, c, end), st.name)
	default:
		return res, fmt.Errorf("the update of stack %s ended %s: %s", st.name, end.status, newestFailure(ctx, c, end))
	}
	for _, p := range pins {
		a, err := c.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: &p.function, Name: &p.alias})
		if err != nil {
			return res, fmt.Errorf("GetAlias %s:%s after the update: %w", p.function, p.alias, err)
		}
		if aws.ToString(a.FunctionVersion) != p.target || weighted(a) {
			return res, fmt.Errorf("stack %s was updated but %s:%s %s, not version %s alone", st.name, p.function, p.alias, serving(a), p.target)
		}
	}
	res.Done = true
	for _, p := range pins {
		fmt.Fprintf(o.out, "%s:%s now serves version %s alone (it served %s)\n", p.function, p.alias, p.target, p.serving)
	}
	fmt.Fprintf(o.out, "stack %s holds the rollback until its next ordinary deploy, which restores the strategy and alarms\n", st.name)
	return res, blockErr
}

// recheckPins refuses the update when something changed while the operator read the prompt: a deployment of a
// group started, or an alias moved (its RevisionId or version changed, or it has weights).
func recheckPins(ctx context.Context, c clients, pins []stackPin) error {
	for _, p := range pins {
		if active, err := c.deployments().NewestActive(ctx, p.application, p.group); err != nil {
			return err
		} else if active != nil {
			return fmt.Errorf("%w: deployment %s (%s) of %s/%s started, nothing was changed: run bluegreen rollback again",
				errChanged, aws.ToString(active.DeploymentId), active.Status, p.application, p.group)
		}
		now, err := c.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: &p.function, Name: &p.alias})
		if err != nil {
			return fmt.Errorf("GetAlias %s:%s: %w", p.function, p.alias, err)
		}
		if aws.ToString(now.RevisionId) != p.revision || aws.ToString(now.FunctionVersion) != p.serving || weighted(now) {
			return fmt.Errorf("%w: %s:%s changed since it was read, nothing was changed: run bluegreen rollback again",
				errChanged, p.function, p.alias)
		}
	}
	return nil
}

// releaseBlock names the release that serves version of the function at functionARN in stack (the logical id of
// the stack's AWS::Lambda::Version whose physical id, the version's ARN, is "<function ARN>:<version>"), given the
// logical id the template already names (known) when there is one.
func releaseBlock(ctx context.Context, c clients, function, stack, fnARN, version, known string,
	resources []cfntypes.StackResourceSummary) blockPlan {
	b := blockPlan{function: deployment.FunctionName(function), entry: block.Entry{Version: version, Stack: stack}}
	if known != "" {
		b.entry.Release = known
		return b
	}
	if stack == "" {
		b.note = "its CloudFormation stack is unknown (the function carries no stack tags: -stack names it)"
		return b
	}
	if resources == nil {
		var err error
		if resources, err = listResources(ctx, c, stack); err != nil {
			b.note = err.Error()
			return b
		}
	}
	if b.entry.Release = logicalIDOf(resources, typeVersion, fnARN+":"+version); b.entry.Release == "" {
		b.note = fmt.Sprintf("stack %s has no %s for version %s (%s:%s): its release cannot be named", stack, typeVersion, version, fnARN, version)
	}
	return b
}

func weighted(a *lambda.GetAliasOutput) bool {
	return a.RoutingConfig != nil && len(a.RoutingConfig.AdditionalVersionWeights) > 0
}

func (o rollbackOptions) clock() time.Time {
	if o.now != nil {
		return o.now()
	}
	return time.Now()
}
