package deployment

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// ActiveStatuses are the statuses of a deployment that has not ended: Created, Queued, InProgress and Ready
// (ListDeployments includeOnlyStatuses, CodeDeploy API reference). The API's DeploymentStatus also lists Baking,
// which CodeDeploy documents for no Lambda deployment; it is not an end either, so it counts as active.
var ActiveStatuses = []cdtypes.DeploymentStatus{cdtypes.DeploymentStatusCreated, cdtypes.DeploymentStatusQueued,
	cdtypes.DeploymentStatusInProgress, cdtypes.DeploymentStatusBaking, cdtypes.DeploymentStatusReady}

// IsActive reports whether a deployment with status s has not ended (ActiveStatuses).
func IsActive(s cdtypes.DeploymentStatus) bool {
	for _, a := range ActiveStatuses {
		if s == a {
			return true
		}
	}
	return false
}

// How far back the group's deployments are read. ListDeployments pages through a group's whole history (CodeDeploy
// keeps every deployment), 100 ids a page, each page a request, and every id is then read (BatchGetDeployments, 25
// a request): a group released for years costs dozens of requests for what is nearly always in its last days. So
// the reader passes a createTimeRange (CodeDeploy API reference, ListDeployments):
const (
	day = 24 * time.Hour
	// ActiveWindow is where a deployment that has not ended can be: its traffic shift lasts at most 48 hours
	// (CodeDeploy's limit, strategy.MaxSchedule) and each of its two hooks at most an hour before CodeDeploy fails it
	// (DESIGN.md), so any deployment created before that has ended. A week leaves room for one left Created or
	// Queued, and for clock skew.
	ActiveWindow = 7 * day
)

// historyWindows are the windows the newest deployment, and the release before the one serving, are looked for in,
// one after the other, back from now, until one has them: the last week (a group that releases weekly or more, the
// usual case, reads only that), then the last 90 days, then what is older (0: the rest of the history, for a
// function released rarely, so that rollback and status find its previous release as before).
var historyWindows = []time.Duration{7 * day, 90 * day, 0}

// List returns the group's deployments with the given statuses (all when nil) created between since and until
// (open where zero), newest first. ListDeployments documents no order, so they are sorted by creation time.
func (r Reader) List(ctx context.Context, app, group string, statuses []cdtypes.DeploymentStatus, since, until time.Time) ([]cdtypes.DeploymentInfo, error) {
	var window *cdtypes.TimeRange
	if !since.IsZero() || !until.IsZero() {
		window = &cdtypes.TimeRange{}
		if !since.IsZero() {
			window.Start = aws.Time(since)
		}
		if !until.IsZero() {
			window.End = aws.Time(until)
		}
	}
	ids, err := r.listIDs(ctx, &codedeploy.ListDeploymentsInput{
		ApplicationName: &app, DeploymentGroupName: &group, IncludeOnlyStatuses: statuses, CreateTimeRange: window,
	})
	if err != nil {
		return nil, err
	}
	var out []cdtypes.DeploymentInfo
	for i := 0; i < len(ids); i += 25 { // BatchGetDeployments takes at most 25 ids
		page, err := r.History.BatchGetDeployments(ctx, &codedeploy.BatchGetDeploymentsInput{DeploymentIds: ids[i:min(i+25, len(ids))]})
		if err != nil {
			return nil, fmt.Errorf("BatchGetDeployments: %w", err)
		}
		out = append(out, page.DeploymentsInfo...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].CreateTime, out[j].CreateTime
		return a != nil && (b == nil || a.After(*b))
	})
	return out, nil
}

// CreatedSince lists the ids of the group's deployments created since the given time, in no documented order.
func (r Reader) CreatedSince(ctx context.Context, app, group string, since time.Time) ([]string, error) {
	return r.listIDs(ctx, &codedeploy.ListDeploymentsInput{
		ApplicationName: &app, DeploymentGroupName: &group, CreateTimeRange: &cdtypes.TimeRange{Start: &since},
	})
}

// listIDs reads every page of ListDeployments.
func (r Reader) listIDs(ctx context.Context, in *codedeploy.ListDeploymentsInput) ([]string, error) {
	var ids []string
	pages := codedeploy.NewListDeploymentsPaginator(r.History, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("ListDeployments %s/%s: %w", aws.ToString(in.ApplicationName), aws.ToString(in.DeploymentGroupName), err)
		}
		ids = append(ids, page.Deployments...)
	}
	return ids, nil
}

// Active returns the group's deployments that have not ended (ActiveStatuses), newest first, from ActiveWindow:
// none older can still run.
func (r Reader) Active(ctx context.Context, app, group string) ([]cdtypes.DeploymentInfo, error) {
	return r.List(ctx, app, group, ActiveStatuses, r.clock().Add(-ActiveWindow), time.Time{})
}

// NewestActive returns the group's newest deployment that has not ended, or nil when there is none.
func (r Reader) NewestActive(ctx context.Context, app, group string) (*cdtypes.DeploymentInfo, error) {
	ds, err := r.Active(ctx, app, group)
	if err != nil || len(ds) == 0 {
		return nil, err
	}
	return &ds[0], nil
}

// Walk calls visit with the group's deployments with the given statuses (all when nil), newest first, one window
// of historyWindows at a time, until visit returns true (found) or the history has been read. The windows meet at
// their ends, which CodeDeploy may count in both: a deployment is visited once.
func (r Reader) Walk(ctx context.Context, app, group string, statuses []cdtypes.DeploymentStatus,
	visit func([]cdtypes.DeploymentInfo) (bool, error)) error {
	now := r.clock()
	seen := map[string]bool{}
	var until time.Time // the first window is open towards the future: clock skew
	for _, back := range historyWindows {
		var since time.Time
		if back > 0 {
			since = now.Add(-back)
		}
		ds, err := r.List(ctx, app, group, statuses, since, until)
		if err != nil {
			return err
		}
		fresh := ds[:0:0]
		for _, d := range ds {
			if id := aws.ToString(d.DeploymentId); !seen[id] {
				seen[id] = true
				fresh = append(fresh, d)
			}
		}
		if found, err := visit(fresh); found || err != nil {
			return err
		}
		if since.IsZero() {
			return nil
		}
		until = since
	}
	return nil
}

// Newest returns the group's newest deployment, or nil when it has none. It may be a rollback: Explain names the
// release it belongs to.
func (r Reader) Newest(ctx context.Context, app, group string) (*cdtypes.DeploymentInfo, error) {
	var newest *cdtypes.DeploymentInfo
	err := r.Walk(ctx, app, group, nil, func(ds []cdtypes.DeploymentInfo) (bool, error) {
		if len(ds) > 0 {
			newest = &ds[0]
		}
		return newest != nil, nil
	})
	return newest, err
}
