package deployment

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// ErrNoRelease is returned by PreviousRelease when no successful deployment shows a version to roll back to.
var ErrNoRelease = errors.New("nothing to roll back to")

// Release is the version a finished release rolls back to, and why.
type Release struct {
	Version string
	// Why names the successful deployment the version served around ("served before successful deployment d-…").
	Why string
	// Skipped says which candidates were passed over because they were deleted.
	Skipped []string
}

// PreviousRelease returns the version that last held all of the alias's traffic around a successful deployment of
// the group, other than serving. It walks the group's Succeeded deployments newest first; each one's AppSpec names
// two versions that served all traffic: TargetVersion after it ("the version of a Lambda function that production
// traffic points to after the Lambda function is deployed", CodeDeploy API reference, LambdaFunctionInfo), and
// CurrentVersion before it (the version the alias served when it started: CodeDeploy refuses a deployment whose
// CurrentVersion the alias does not serve, DESIGN.md "The release lifecycle"). CurrentVersion matters for the
// first release of a stack: the version the stack was created with was never a deployment's target. The first
// candidate that is not serving, was not rolled back from, and still exists (exists, asked once per version) is
// the target.
//
// A version that only a failed or stopped deployment shifted to is never a candidate: CodeDeploy put the alias
// back on blue, so it served no release. A version a later successful deployment moved away from to an older one
// (a pinned rollback: TargetVersion below CurrentVersion) was rolled back by an operator and is skipped too, so a
// second rollback goes further back rather than forward to the version just abandoned. That relies on version
// numbers growing with each publish: Lambda documents that each publish creates a new version and shows them
// numbered 1, 2, 3…, but states no ordering rule; a function replaced under the same name would restart them (our
// constructs set no function names, so a replacement has another name and its deployments are skipped).
//
// With no candidate, the error wraps ErrNoRelease and says what was looked at.
func (r Reader) PreviousRelease(ctx context.Context, fn, alias, app, group, serving string,
	exists func(ctx context.Context, version string) (bool, error)) (Release, error) {
	var rel Release
	rolledBack := map[string]bool{}
	checked := map[string]bool{} // versions already looked up
	// The Succeeded deployments newest first, a window of history at a time (historyWindows): most functions find
	// their previous release in the last week, and the older windows are read only when it is not there.
	err := r.Walk(ctx, app, group, []cdtypes.DeploymentStatus{cdtypes.DeploymentStatusSucceeded},
		func(ds []cdtypes.DeploymentInfo) (bool, error) {
			for _, d := range ds {
				id := aws.ToString(d.DeploymentId)
				f, err := r.Function(ctx, app, d)
				if err != nil {
					return false, err
				}
				if !SameFunction(f.Name, fn) || (f.Alias != "" && f.Alias != alias) {
					continue // the group deployed another function or alias
				}
				if Older(f.TargetVersion, f.CurrentVersion) {
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
					ok, err := exists(ctx, v)
					if err != nil {
						return false, err
					}
					if !ok {
						rel.Skipped = append(rel.Skipped, fmt.Sprintf("version %s (%s) was deleted", v, cand.why))
						continue
					}
					rel.Version, rel.Why = v, cand.why
					return true, nil
				}
			}
			return false, nil
		})
	if err != nil {
		return Release{}, err
	}
	if rel.Version != "" {
		return rel, nil
	}
	why := fmt.Sprintf("no successful deployment of %s/%s shows a version of %s:%s other than %s", app, group, fn, alias, serving)
	if len(rel.Skipped) > 0 {
		why += " that still exists (" + strings.Join(rel.Skipped, "; ") + ")"
	}
	return Release{}, fmt.Errorf("%w: %s", ErrNoRelease, why)
}

// SameFunction compares function names given as a name, a partial ARN or an ARN (Lambda accepts all three,
// "Name formats", Lambda API reference).
func SameFunction(a, b string) bool {
	return FunctionName(a) == FunctionName(b)
}

// FunctionName is the function's name in a name, a partial ARN or an ARN, qualified or not.
func FunctionName(s string) string {
	if i := strings.LastIndex(s, "function:"); i >= 0 {
		s = s[i+len("function:"):]
		if j := strings.Index(s, ":"); j >= 0 {
			s = s[:j] // a qualified ARN names a version or alias after the name
		}
	}
	return s
}

// Older reports whether version a is numbered below version b.
func Older(a, b string) bool {
	x, errA := strconv.Atoi(a)
	y, errB := strconv.Atoi(b)
	return errA == nil && errB == nil && x < y
}
