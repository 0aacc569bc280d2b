package guard_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/safeship/lambda-bluegreen/internal/block"
)

// fakeAWS is an in-memory account for the guard's unit tests: the blocked releases, the stack's status, and one
// CodeDeploy application's groups and deployments.
type fakeAWS struct {
	mu          sync.Mutex
	blocks      map[string]block.List
	blocksErr   error
	stackStatus string
	groups      map[string]*fakeGroup
	deployments map[string]*fakeDeployment
	stopped     []string
	updates     []string
}

type fakeGroup struct {
	config  string
	enabled bool
	alarms  []string
}

type fakeDeployment struct {
	group, status   string
	current, target string
	creator         cdtypes.DeploymentCreator
	rollbackOf      string
}

func newFake() *fakeAWS {
	return &fakeAWS{blocks: map[string]block.List{}, stackStatus: "UPDATE_IN_PROGRESS",
		groups: map[string]*fakeGroup{}, deployments: map[string]*fakeDeployment{}}
}

func (f *fakeAWS) Get(_ context.Context, fn string) (block.List, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.blocksErr != nil {
		return block.List{}, f.blocksErr
	}
	l := f.blocks[fn]
	l.Function = fn
	return l, nil
}

func (f *fakeAWS) DescribeStacks(_ context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	return &cloudformation.DescribeStacksOutput{Stacks: []cftypes.Stack{{StackName: in.StackName,
		StackStatus: cftypes.StackStatus(f.stackStatus)}}}, nil
}

func (f *fakeAWS) GetDeploymentGroup(_ context.Context, in *codedeploy.GetDeploymentGroupInput, _ ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentGroupOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g, ok := f.groups[*in.DeploymentGroupName]
	if !ok {
		return nil, fmt.Errorf("DeploymentGroupDoesNotExistException: %s", *in.DeploymentGroupName)
	}
	return &codedeploy.GetDeploymentGroupOutput{DeploymentGroupInfo: &cdtypes.DeploymentGroupInfo{
		DeploymentGroupName: in.DeploymentGroupName, DeploymentConfigName: aws.String(g.config),
		AlarmConfiguration: &cdtypes.AlarmConfiguration{Enabled: g.enabled, Alarms: alarms(g.alarms)},
	}}, nil
}

func alarms(names []string) []cdtypes.Alarm {
	var out []cdtypes.Alarm
	for _, n := range names {
		out = append(out, cdtypes.Alarm{Name: aws.String(n)})
	}
	return out
}

func (f *fakeAWS) UpdateDeploymentGroup(_ context.Context, in *codedeploy.UpdateDeploymentGroupInput, _ ...func(*codedeploy.Options)) (*codedeploy.UpdateDeploymentGroupOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g := f.groups[*in.CurrentDeploymentGroupName]
	if in.DeploymentConfigName != nil {
		g.config = *in.DeploymentConfigName
	}
	if ac := in.AlarmConfiguration; ac != nil {
		g.enabled = ac.Enabled
		var names []string
		for _, a := range ac.Alarms {
			names = append(names, *a.Name)
		}
		if strings.Join(names, ",") != strings.Join(g.alarms, ",") {
			return nil, fmt.Errorf("the update changed the group's alarms from %v to %v", g.alarms, names)
		}
	}
	f.updates = append(f.updates, fmt.Sprintf("%s %s alarms=%v", *in.CurrentDeploymentGroupName, g.config, g.enabled))
	return &codedeploy.UpdateDeploymentGroupOutput{}, nil
}

func (f *fakeAWS) ListDeploymentGroups(_ context.Context, _ *codedeploy.ListDeploymentGroupsInput, _ ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentGroupsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var names []string
	for n := range f.groups {
		names = append(names, n)
	}
	sort.Strings(names)
	return &codedeploy.ListDeploymentGroupsOutput{DeploymentGroups: names}, nil
}

func (f *fakeAWS) ListDeployments(_ context.Context, in *codedeploy.ListDeploymentsInput, _ ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for id, d := range f.deployments {
		if d.group != *in.DeploymentGroupName {
			continue
		}
		for _, s := range in.IncludeOnlyStatuses {
			if string(s) == d.status {
				ids = append(ids, id)
			}
		}
	}
	sort.Strings(ids)
	return &codedeploy.ListDeploymentsOutput{Deployments: ids}, nil
}

func (f *fakeAWS) GetDeployment(_ context.Context, in *codedeploy.GetDeploymentInput, _ ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.deployments[*in.DeploymentId]
	if !ok {
		return nil, fmt.Errorf("DeploymentDoesNotExistException: %s", *in.DeploymentId)
	}
	info := &cdtypes.DeploymentInfo{DeploymentId: in.DeploymentId, ApplicationName: aws.String("app"),
		DeploymentGroupName: aws.String(d.group), Status: cdtypes.DeploymentStatus(d.status), Creator: d.creator,
		Revision: &cdtypes.RevisionLocation{RevisionType: cdtypes.RevisionLocationTypeAppSpecContent,
			AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String(fmt.Sprintf(`{"version":0.0,"Resources":[{"fn":{"Type":`+
				`"AWS::Lambda::Function","Properties":{"Name":"%s","Alias":"live","CurrentVersion":"%s","TargetVersion":"%s"}}}]}`,
				d.group, d.current, d.target))}}}
	if d.rollbackOf != "" {
		info.RollbackInfo = &cdtypes.RollbackInfo{RollbackTriggeringDeploymentId: aws.String(d.rollbackOf)}
	}
	return &codedeploy.GetDeploymentOutput{DeploymentInfo: info}, nil
}

func (f *fakeAWS) GetApplicationRevision(_ context.Context, _ *codedeploy.GetApplicationRevisionInput, _ ...func(*codedeploy.Options)) (*codedeploy.GetApplicationRevisionOutput, error) {
	return nil, fmt.Errorf("not expected: the fake's deployments carry their AppSpec")
}

func (f *fakeAWS) StopDeployment(_ context.Context, in *codedeploy.StopDeploymentInput, _ ...func(*codedeploy.Options)) (*codedeploy.StopDeploymentOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := f.deployments[*in.DeploymentId]
	if d.status == "Succeeded" || d.status == "Failed" || d.status == "Stopped" {
		return nil, &cdtypes.DeploymentAlreadyCompletedException{Message: aws.String("The deployment is already complete")}
	}
	if !aws.ToBool(in.AutoRollbackEnabled) {
		return nil, fmt.Errorf("the guard must stop with automatic rollback")
	}
	d.status = "Stopped"
	f.stopped = append(f.stopped, *in.DeploymentId)
	return &codedeploy.StopDeploymentOutput{Status: cdtypes.StopStatusSucceeded}, nil
}
