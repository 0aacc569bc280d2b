package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/safeship/lambda-bluegreen/internal/appspec"
)

// release is the version a finished release rolls back to, and why.
type release struct {
	Version string
	// Why names the successful deployment the version served around ("served before deployment d-…").
	Why string
	// Skipped says which candidates were passed over because they were deleted.
	Skipped []string
}

// findRelease returns the version that last held all of the alias's traffic around a successful deployment of the
// group, other than serving. It walks the group's Succeeded deployments newest first; each one's AppSpec names two
// versions that served all traffic: TargetVersion after it ("the version of a Lambda function that production
// traffic points to after the Lambda function is deployed", CodeDeploy API reference, LambdaFunctionInfo), and
// CurrentVersion before it (the version the alias served when it started: CodeDeploy refuses a deployment whose
// CurrentVersion the alias does not serve, DESIGN.md "The release lifecycle"). CurrentVersion matters for the
// first release of a stack: the version the stack was created with was never a deployment's target. The first
// candidate that is not serving, was not rolled back from, and still exists is the target.
//
// A version that only a failed or stopped deployment shifted to is never a candidate: CodeDeploy put the alias
// back on blue, so it served no release. A version a later successful deployment moved away from to an older one
// (a pinned rollback: TargetVersion below CurrentVersion) was rolled back by an operator and is skipped too, so a
// second rollback goes further back rather than forward to the version just abandoned. That relies on version
// numbers growing with each publish: Lambda documents that each publish creates a new version and shows them
// numbered 1, 2, 3…, but states no ordering rule; a function replaced under the same name would restart them (our
// constructs set no function names, so a replacement has another name and its deployments are skipped).
func findRelease(ctx context.Context, c clients, fn, alias, app, group, serving string) (release, error) {
	var r release
	rolledBack := map[string]bool{}
	checked := map[string]bool{} // versions already looked up
	// The Succeeded deployments newest first, a window of history at a time (historyWindows): most functions find
	// their previous release in the last week, and the older windows are read only when it is not there.
	err := walkDeployments(ctx, c, app, group, []cdtypes.DeploymentStatus{cdtypes.DeploymentStatusSucceeded},
		func(ds []cdtypes.DeploymentInfo) (bool, error) {
			for _, d := range ds {
				id := aws.ToString(d.DeploymentId)
				f, err := readAppSpec(ctx, c, app, d)
				if err != nil {
					return false, err
				}
				if !sameFunction(f.Name, fn) || (f.Alias != "" && f.Alias != alias) {
					continue // the group deployed another function or alias
				}
				if older(f.TargetVersion, f.CurrentVersion) {
					rolledBack[f.CurrentVersion] = true
				}
				for _, cand := range []struct{ version, why string }{
					{f.TargetVersion, "released by successful deployment " + id},
					{f.CurrentVersion, "served before successful deployment " + id},
				} {
					v := cand.version
					if v == "" || v == serving || rolledBack[v] || checked[v] {
						continue
					}
					checked[v] = true
					exists, err := versionExists(ctx, c, fn, v)
					if err != nil {
						return false, err
					}
					if !exists {
						r.Skipped = append(r.Skipped, fmt.Sprintf("version %s (%s) was deleted", v, cand.why))
						continue
					}
					r.Version, r.Why = v, cand.why
					return true, nil
				}
			}
			return false, nil
		})
	if err != nil {
		return release{}, err
	}
	if r.Version != "" {
		return r, nil
	}
	why := fmt.Sprintf("no successful deployment of %s/%s shows a version of %s:%s other than %s", app, group, fn, alias, serving)
	if len(r.Skipped) > 0 {
		why += " that still exists (" + strings.Join(r.Skipped, "; ") + ")"
	}
	return release{}, fmt.Errorf("%w: %s", errNothing, why)
}

// readAppSpec reads the Lambda resource of a deployment's AppSpec.
func readAppSpec(ctx context.Context, c clients, app string, d cdtypes.DeploymentInfo) (appspec.Function, error) {
	content, err := appSpecContent(ctx, c, app, d)
	if err != nil {
		return appspec.Function{}, err
	}
	f, err := appspec.Parse(content)
	if err != nil {
		return appspec.Function{}, fmt.Errorf("deployment %s: %w", aws.ToString(d.DeploymentId), err)
	}
	return f, nil
}

// appSpecContent reads a deployment's AppSpec: from the deployment's revision, or, when that carries only the
// content's hash (as CloudFormation's deployments may), from GetApplicationRevision.
func appSpecContent(ctx context.Context, c clients, app string, d cdtypes.DeploymentInfo) (string, error) {
	id := aws.ToString(d.DeploymentId)
	if d.ApplicationName != nil {
		app = *d.ApplicationName
	}
	content := appspec.Content(d.Revision)
	if content == "" && d.Revision != nil {
		rev, err := c.codedeploy.GetApplicationRevision(ctx, &codedeploy.GetApplicationRevisionInput{
			ApplicationName: &app, Revision: d.Revision,
		})
		if err != nil {
			return "", fmt.Errorf("GetApplicationRevision of %s: %w", id, err)
		}
		content = appspec.Content(rev.Revision)
	}
	if content == "" {
		return "", fmt.Errorf("deployment %s has no AppSpec content", id)
	}
	return content, nil
}

// versionExists reports whether the function still has the version: a post-traffic hook may prune old ones.
func versionExists(ctx context.Context, c clients, fn, version string) (bool, error) {
	_, err := c.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: &fn, Qualifier: &version})
	var missing *lambdatypes.ResourceNotFoundException
	switch {
	case errors.As(err, &missing):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("GetFunctionConfiguration %s:%s: %w", fn, version, err)
	}
	return true, nil
}

// sameFunction compares function names given as a name, a partial ARN or an ARN (Lambda accepts all three,
// "Name formats", Lambda API reference).
func sameFunction(a, b string) bool {
	return functionName(a) == functionName(b)
}

func functionName(s string) string {
	if i := strings.LastIndex(s, "function:"); i >= 0 {
		s = s[i+len("function:"):]
		if j := strings.Index(s, ":"); j >= 0 {
			s = s[:j] // a qualified ARN names a version or alias after the name
		}
	}
	return s
}

// older reports whether version a is numbered below version b.
func older(a, b string) bool {
	x, errA := strconv.Atoi(a)
	y, errB := strconv.Atoi(b)
	return errA == nil && errB == nil && x < y
}
