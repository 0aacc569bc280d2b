package deployment

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/safeship/lambda-bluegreen/internal/appspec"
)

// CodeDeployAPI is the part of the CodeDeploy client that reads one deployment, its targets and its group.
// *codedeploy.Client implements it.
type CodeDeployAPI interface {
	GetDeployment(ctx context.Context, in *codedeploy.GetDeploymentInput, opts ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentOutput, error)
	GetApplicationRevision(ctx context.Context, in *codedeploy.GetApplicationRevisionInput, opts ...func(*codedeploy.Options)) (*codedeploy.GetApplicationRevisionOutput, error)
	GetDeploymentGroup(ctx context.Context, in *codedeploy.GetDeploymentGroupInput, opts ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentGroupOutput, error)
	ListDeploymentTargets(ctx context.Context, in *codedeploy.ListDeploymentTargetsInput, opts ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentTargetsOutput, error)
	GetDeploymentTarget(ctx context.Context, in *codedeploy.GetDeploymentTargetInput, opts ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentTargetOutput, error)
}

// HistoryAPI is the part of the CodeDeploy client that lists a group's deployments. *codedeploy.Client implements
// it.
type HistoryAPI interface {
	codedeploy.ListDeploymentsAPIClient
	BatchGetDeployments(ctx context.Context, in *codedeploy.BatchGetDeploymentsInput, opts ...func(*codedeploy.Options)) (*codedeploy.BatchGetDeploymentsOutput, error)
}

// CloudWatchAPI is the part of the CloudWatch client that reads the state of alarms. *cloudwatch.Client implements
// it.
type CloudWatchAPI interface {
	DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
}

// Reader reads CodeDeploy deployments. CodeDeploy is needed by every method; History only by those that list a
// group's deployments, CloudWatch only by those that read alarm states.
type Reader struct {
	CodeDeploy CodeDeployAPI
	History    HistoryAPI
	CloudWatch CloudWatchAPI
	// Now is the clock the windows of listed deployments count back from. Default: time.Now.
	Now func() time.Time
}

func (r Reader) clock() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Get reads one deployment as it is now. Its error names the call (GetDeployment and the id) and wraps the API's
// error; an answer without a deployment is an error too.
func (r Reader) Get(ctx context.Context, id string) (*cdtypes.DeploymentInfo, error) {
	out, err := r.CodeDeploy.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: &id})
	if err != nil {
		return nil, fmt.Errorf("GetDeployment %s: %w", id, err)
	}
	if out.DeploymentInfo == nil {
		return nil, fmt.Errorf("GetDeployment %s returned no deployment", id)
	}
	return out.DeploymentInfo, nil
}

// AppSpec reads a deployment's AppSpec text: from the deployment's revision, or, when that carries only the
// content's hash (as CloudFormation's deployments may), from GetApplicationRevision of the deployment's
// application (app when the deployment names none). It returns "" without an error when the deployment has no
// revision, or the revision no content.
func (r Reader) AppSpec(ctx context.Context, app string, d cdtypes.DeploymentInfo) (string, error) {
	if d.ApplicationName != nil {
		app = *d.ApplicationName
	}
	content := appspec.Content(d.Revision)
	if content != "" || d.Revision == nil {
		return content, nil
	}
	in := &codedeploy.GetApplicationRevisionInput{Revision: d.Revision}
	if app != "" {
		in.ApplicationName = &app
	}
	rev, err := r.CodeDeploy.GetApplicationRevision(ctx, in)
	if err != nil {
		return "", fmt.Errorf("GetApplicationRevision of %s: %w", aws.ToString(d.DeploymentId), err)
	}
	return appspec.Content(rev.Revision), nil
}

// Function reads the Lambda resource of a deployment's AppSpec: the function, the alias, blue (CurrentVersion) and
// green (TargetVersion). A deployment without AppSpec content is an error.
func (r Reader) Function(ctx context.Context, app string, d cdtypes.DeploymentInfo) (appspec.Function, error) {
	content, err := r.AppSpec(ctx, app, d)
	if err != nil {
		return appspec.Function{}, err
	}
	return parseFunction(aws.ToString(d.DeploymentId), content)
}

// parseFunction reads the Lambda resource of deployment id's AppSpec content; no content is an error.
func parseFunction(id, content string) (appspec.Function, error) {
	if content == "" {
		return appspec.Function{}, fmt.Errorf("deployment %s has no AppSpec content", id)
	}
	f, err := appspec.Parse(content)
	if err != nil {
		return appspec.Function{}, fmt.Errorf("deployment %s: %w", id, err)
	}
	return f, nil
}
