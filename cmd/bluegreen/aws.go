package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/safeship/lambda-bluegreen/internal/block"
)

// clients are the AWS APIs the commands use: CloudFormation for the stacks (rollback of a finished release,
// recover), SSM for the release blocks, S3 for a rollback template too large for a request, STS for who blocks a
// release.
type clients struct {
	lambda         *lambda.Client
	codedeploy     *codedeploy.Client
	cloudwatch     *cloudwatch.Client
	cloudformation *cloudformation.Client
	ssm            *ssm.Client
	s3             *s3.Client
	sts            *sts.Client
	// now is the clock the windows of listed deployments count back from (time.Now when nil).
	now func() time.Time
}

func (c clients) clock() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}

// connect builds the clients from the standard credential chain, with an optional profile and region.
type connector func(ctx context.Context, profile, region string) (clients, error)

func connectAWS(ctx context.Context, profile, region string) (clients, error) {
	var opts []func(*config.LoadOptions) error
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return clients{}, err // an unknown profile among others: explain says what to do
	}
	if cfg.Region == "" {
		return clients{}, errNoRegion
	}
	// The chain is read at the first call; its failure is marked so that explain can tell it from an API error.
	if cfg.Credentials != nil {
		cfg.Credentials = markedCredentials{cfg.Credentials}
	}
	// Throttling: the clients keep the SDK's standard retryer ("By default, service clients use retry.Standard",
	// 3 attempts, exponential backoff of at most 20 s, ThrottlingException and the other throttle codes retried:
	// AWS SDK for Go v2 Developer Guide, "Retries and Timeouts"). CodeDeploy documents no request rate for its
	// API; AWS support is reported saying the limits are dynamic and advising retries with backoff (GetDeployment
	// ThrottlingException, devpeace.com/python/55016714). watch keeps going when a poll is throttled anyway.
	return newClients(cfg), nil
}

func newClients(cfg aws.Config) clients {
	return clients{lambda: lambda.NewFromConfig(cfg), codedeploy: codedeploy.NewFromConfig(cfg),
		cloudwatch: cloudwatch.NewFromConfig(cfg), cloudformation: cloudformation.NewFromConfig(cfg),
		ssm: ssm.NewFromConfig(cfg), s3: s3.NewFromConfig(cfg), sts: sts.NewFromConfig(cfg)}
}

// Status is what status reports.
type Status struct {
	Function string `json:"function"`
	Alias    string `json:"alias"`
	// Version is the version the alias points at: blue while a shift runs, with BlueWeight of the traffic;
	// Weights are the other versions it sends traffic to (green while a shift runs), by version.
	Version    string             `json:"version"`
	BlueWeight float64            `json:"blueWeight"`
	Weights    map[string]float64 `json:"greenWeights,omitempty"`
	Deployment *DeploymentStatus  `json:"deployment,omitempty"`
	// AlarmsEnabled is false when the group's alarm monitoring is off (an emergency bypass).
	AlarmsEnabled bool              `json:"alarmsEnabled"`
	Alarms        map[string]string `json:"alarms,omitempty"`
	// RollbackTarget is the version bluegreen rollback would send all traffic to: blue while a deployment runs
	// or the alias has weights, otherwise the newest release of a successful deployment before the one serving.
	// RollbackNote says why there is none (or why it could not be read).
	RollbackTarget string `json:"rollbackTarget,omitempty"`
	RollbackNote   string `json:"rollbackNote,omitempty"`
	// Pinned is the version a rollback pinned the alias to in its stack's deployed template (until the next
	// ordinary deploy), and Stack that stack; empty when the template is an ordinary one or cannot be read.
	Pinned string `json:"pinnedByRollback,omitempty"`
	Stack  string `json:"stack,omitempty"`
	// Blocked are the function's releases that rollback blocked, newest first; BlockedNote says why they could not
	// be read.
	Blocked     []block.Entry `json:"blocked,omitempty"`
	BlockedNote string        `json:"blockedNote,omitempty"`
}

// DeploymentStatus is the newest CodeDeploy deployment of the group.
type DeploymentStatus struct {
	ID      string           `json:"id"`
	Status  string           `json:"status"`
	Created time.Time        `json:"created"`
	Events  []LifecycleEvent `json:"lifecycleEvents,omitempty"`
}

// LifecycleEvent is one step of a Lambda deployment, in order.
type LifecycleEvent struct {
	Name   string `json:"name"`
	Status string `json:"status"`
}

func readStatus(ctx context.Context, c clients, fn, alias, app, group string) (Status, error) {
	s := Status{Function: fn, Alias: alias}
	a, err := c.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: &fn, Name: &alias})
	if err != nil {
		return s, fmt.Errorf("GetAlias %s:%s: %w", fn, alias, err)
	}
	s.Version, s.BlueWeight = aws.ToString(a.FunctionVersion), 1
	if a.RoutingConfig != nil && len(a.RoutingConfig.AdditionalVersionWeights) > 0 {
		s.Weights = a.RoutingConfig.AdditionalVersionWeights
		for _, w := range s.Weights {
			s.BlueWeight -= w
		}
	}
	s.Stack, s.Pinned = rollbackPin(ctx, c, fn, alias, a)
	if l, err := (block.Store{SSM: c.ssm}).Get(ctx, functionName(fn)); err != nil {
		s.BlockedNote = explain(err).Error() // status still shows the rest
	} else {
		s.Blocked = l.Entries
	}
	if app == "" || group == "" {
		return s, nil
	}
	d, err := newestDeployment(ctx, c, app, group)
	if err != nil {
		return s, err
	}
	if d != nil {
		ds := &DeploymentStatus{ID: aws.ToString(d.DeploymentId), Status: string(d.Status)}
		if d.CreateTime != nil {
			ds.Created = *d.CreateTime
		}
		targets, err := c.codedeploy.ListDeploymentTargets(ctx, &codedeploy.ListDeploymentTargetsInput{DeploymentId: d.DeploymentId})
		if err != nil {
			return s, fmt.Errorf("ListDeploymentTargets: %w", err)
		}
		for _, id := range targets.TargetIds {
			t, err := c.codedeploy.GetDeploymentTarget(ctx, &codedeploy.GetDeploymentTargetInput{DeploymentId: d.DeploymentId, TargetId: aws.String(id)})
			if err != nil {
				return s, fmt.Errorf("GetDeploymentTarget: %w", err)
			}
			if t.DeploymentTarget != nil && t.DeploymentTarget.LambdaTarget != nil {
				for _, e := range t.DeploymentTarget.LambdaTarget.LifecycleEvents {
					ds.Events = append(ds.Events, LifecycleEvent{Name: aws.ToString(e.LifecycleEventName), Status: string(e.Status)})
				}
			}
		}
		s.Deployment = ds
	}
	if len(s.Weights) > 0 || (d != nil && isActive(d.Status)) {
		s.RollbackTarget = s.Version // stopping the deployment, or clearing the weights, leaves blue alone
	} else if r, err := findRelease(ctx, c, fn, alias, app, group, s.Version); err != nil {
		s.RollbackNote = err.Error() // status still shows the rest
	} else {
		s.RollbackTarget = r.Version
	}
	names, enabled, err := groupAlarms(ctx, c, app, group)
	if err != nil {
		return s, err
	}
	s.AlarmsEnabled = enabled
	if len(names) > 0 {
		if s.Alarms, err = alarmStates(ctx, c, names); err != nil {
			return s, err
		}
	}
	return s, nil
}

// rollbackPin returns the function's stack and, when its deployed template is a rollback's (revert.MetadataKey),
// the version it pins the alias to. It is best effort: status shows the rest when the stack cannot be read.
func rollbackPin(ctx context.Context, c clients, fn, alias string, a *lambda.GetAliasOutput) (string, string) {
	loc, err := locateFunction(ctx, c, fn, alias, "", a)
	if err != nil {
		return "", ""
	}
	t, err := deployedTemplate(ctx, c, loc.stack)
	if err != nil {
		return loc.stack, ""
	}
	al, err := t.FindAlias(loc.logicalID, alias)
	if err != nil {
		return loc.stack, ""
	}
	for _, p := range t.Pins() {
		if p.AliasLogicalID == al.LogicalID {
			return loc.stack, p.Version
		}
	}
	return loc.stack, ""
}

// alarmStates reads the state of each named alarm: OK, ALARM, INSUFFICIENT_DATA, or MISSING for an alarm the group
// names that CloudWatch does not have (deleted). DescribeAlarms returns metric alarms only unless AlarmTypes asks for
// composite ones too, and takes at most 100 names a call (CloudWatch API reference, DescribeAlarms).
func alarmStates(ctx context.Context, c clients, names []string) (map[string]string, error) {
	states := map[string]string{}
	for _, n := range names {
		states[n] = "MISSING" // attached to the group but not found in CloudWatch
	}
	for i := 0; i < len(names); i += 100 {
		out, err := c.cloudwatch.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{
			AlarmNames: names[i:min(i+100, len(names))],
			AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm},
		})
		if err != nil {
			return nil, fmt.Errorf("DescribeAlarms: %w", err)
		}
		for _, a := range out.MetricAlarms {
			states[aws.ToString(a.AlarmName)] = string(a.StateValue)
		}
		for _, a := range out.CompositeAlarms {
			states[aws.ToString(a.AlarmName)] = string(a.StateValue)
		}
	}
	return states, nil
}

// groupAlarms returns the names of the group's rollback alarms and whether CodeDeploy watches them.
func groupAlarms(ctx context.Context, c clients, app, group string) ([]string, bool, error) {
	g, err := c.codedeploy.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: &app, DeploymentGroupName: &group})
	if err != nil {
		return nil, false, fmt.Errorf("GetDeploymentGroup %s/%s: %w", app, group, err)
	}
	var names []string
	enabled := false
	if info := g.DeploymentGroupInfo; info != nil && info.AlarmConfiguration != nil {
		enabled = info.AlarmConfiguration.Enabled
		for _, a := range info.AlarmConfiguration.Alarms {
			names = append(names, aws.ToString(a.Name))
		}
	}
	sort.Strings(names)
	return names, enabled, nil
}

// activeStatuses are the statuses of a deployment that has not ended: Created, Queued, InProgress and Ready
// (ListDeployments includeOnlyStatuses, CodeDeploy API reference). The API's DeploymentStatus also lists Baking,
// which CodeDeploy documents for no Lambda deployment; it is not an end either, so it counts as active.
var activeStatuses = []cdtypes.DeploymentStatus{cdtypes.DeploymentStatusCreated, cdtypes.DeploymentStatusQueued,
	cdtypes.DeploymentStatusInProgress, cdtypes.DeploymentStatusBaking, cdtypes.DeploymentStatusReady}

func isActive(s cdtypes.DeploymentStatus) bool {
	for _, a := range activeStatuses {
		if s == a {
			return true
		}
	}
	return false
}

// How far back the group's deployments are read. ListDeployments pages through a group's whole history (CodeDeploy
// keeps every deployment), 100 ids a page, each page a request, and every id is then read (BatchGetDeployments, 25
// a request): a group released for years costs dozens of requests for what is nearly always in its last days. So
// the commands pass a createTimeRange (CodeDeploy API reference, ListDeployments):
const (
	day = 24 * time.Hour
	// activeWindow is where a deployment that has not ended can be: its traffic shift lasts at most 48 hours
	// (CodeDeploy's limit, strategy.MaxSchedule) and each of its two hooks at most an hour before CodeDeploy fails it
	// (DESIGN.md), so any deployment created before that has ended. A week leaves room for one left Created or
	// Queued, and for clock skew.
	activeWindow = 7 * day
)

// historyWindows are the windows the newest deployment, and the release before the one serving, are looked for in,
// one after the other, back from now, until one has them: the last week (a group that releases weekly or more, the
// usual case, reads only that), then the last 90 days, then what is older (0: the rest of the history, for a
// function released rarely, so that rollback and status find its previous release as before).
var historyWindows = []time.Duration{7 * day, 90 * day, 0}

// listDeployments returns the group's deployments with the given statuses (all when nil) created between since and
// until (open where zero), newest first. ListDeployments documents no order, so they are sorted by creation time.
func listDeployments(ctx context.Context, c clients, app, group string, statuses []cdtypes.DeploymentStatus, since, until time.Time) ([]cdtypes.DeploymentInfo, error) {
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
	var ids []string
	pages := codedeploy.NewListDeploymentsPaginator(c.codedeploy, &codedeploy.ListDeploymentsInput{
		ApplicationName: &app, DeploymentGroupName: &group, IncludeOnlyStatuses: statuses, CreateTimeRange: window,
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("ListDeployments %s/%s: %w", app, group, err)
		}
		ids = append(ids, page.Deployments...)
	}
	var out []cdtypes.DeploymentInfo
	for i := 0; i < len(ids); i += 25 { // BatchGetDeployments takes at most 25 ids
		page, err := c.codedeploy.BatchGetDeployments(ctx, &codedeploy.BatchGetDeploymentsInput{DeploymentIds: ids[i:min(i+25, len(ids))]})
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

// activeDeployments returns the group's deployments that have not ended (activeStatuses), newest first, from
// activeWindow: none older can still run.
func activeDeployments(ctx context.Context, c clients, app, group string) ([]cdtypes.DeploymentInfo, error) {
	return listDeployments(ctx, c, app, group, activeStatuses, c.clock().Add(-activeWindow), time.Time{})
}

// newestActive returns the group's newest deployment that has not ended, or nil when there is none.
func newestActive(ctx context.Context, c clients, app, group string) (*cdtypes.DeploymentInfo, error) {
	ds, err := activeDeployments(ctx, c, app, group)
	if err != nil || len(ds) == 0 {
		return nil, err
	}
	return &ds[0], nil
}

// walkDeployments calls visit with the group's deployments with the given statuses (all when nil), newest first,
// one window of historyWindows at a time, until visit returns true (found) or the history has been read. The
// windows meet at their ends, which CodeDeploy may count in both: a deployment is visited once.
func walkDeployments(ctx context.Context, c clients, app, group string, statuses []cdtypes.DeploymentStatus,
	visit func([]cdtypes.DeploymentInfo) (bool, error)) error {
	now := c.clock()
	seen := map[string]bool{}
	var until time.Time // the first window is open towards the future: clock skew
	for _, back := range historyWindows {
		var since time.Time
		if back > 0 {
			since = now.Add(-back)
		}
		ds, err := listDeployments(ctx, c, app, group, statuses, since, until)
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

// newestDeployment returns the group's newest deployment, or nil when it has none.
func newestDeployment(ctx context.Context, c clients, app, group string) (*cdtypes.DeploymentInfo, error) {
	var newest *cdtypes.DeploymentInfo
	err := walkDeployments(ctx, c, app, group, nil, func(ds []cdtypes.DeploymentInfo) (bool, error) {
		if len(ds) > 0 {
			newest = &ds[0]
		}
		return newest != nil, nil
	})
	return newest, err
}

// getDeployment reads one deployment as it is now.
func getDeployment(ctx context.Context, c clients, id string) (*cdtypes.DeploymentInfo, error) {
	out, err := c.codedeploy.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: &id})
	if err != nil {
		return nil, fmt.Errorf("GetDeployment %s: %w", id, err)
	}
	if out.DeploymentInfo == nil {
		return nil, fmt.Errorf("GetDeployment %s returned no deployment", id)
	}
	return out.DeploymentInfo, nil
}

func (s Status) text(w io.Writer) {
	fmt.Fprintf(w, "%s:%s\n", s.Function, s.Alias)
	if len(s.Weights) == 0 {
		fmt.Fprintf(w, "  serving    version %s (100 %%)\n", s.Version)
	} else {
		var parts []string
		for v, weight := range s.Weights {
			parts = append(parts, fmt.Sprintf("green version %s %.0f %%", v, weight*100))
		}
		sort.Strings(parts)
		fmt.Fprintf(w, "  serving    blue version %s %.0f %%, %s\n", s.Version, s.BlueWeight*100, strings.Join(parts, ", "))
	}
	if d := s.Deployment; d != nil {
		fmt.Fprintf(w, "  deployment %s %s (created %s)\n", d.ID, d.Status, d.Created.UTC().Format(time.RFC3339))
		for _, e := range d.Events {
			fmt.Fprintf(w, "             %-20s %s\n", e.Name, e.Status)
		}
	}
	switch {
	case s.RollbackTarget != "":
		fmt.Fprintf(w, "  rollback   to version %s (bluegreen rollback)\n", s.RollbackTarget)
	case s.RollbackNote != "":
		fmt.Fprintf(w, "  rollback   none: %s\n", s.RollbackNote)
	}
	if s.Pinned != "" {
		fmt.Fprintf(w, "  pinned     to version %s by a rollback of stack %s, until its next ordinary deploy (which restores the strategy and alarms)\n",
			s.Pinned, s.Stack)
	}
	for i, e := range s.Blocked {
		label := ""
		if i == 0 {
			label = "blocked"
		}
		fmt.Fprintf(w, "  %-10s %s\n", label, blockLine(e))
	}
	if s.BlockedNote != "" {
		fmt.Fprintf(w, "  blocked    unreadable: %s\n", s.BlockedNote)
	}
	if len(s.Alarms) > 0 {
		names := make([]string, 0, len(s.Alarms))
		for n := range s.Alarms {
			names = append(names, n)
		}
		sort.Strings(names)
		if s.AlarmsEnabled {
			fmt.Fprintln(w, "  alarms")
		} else {
			fmt.Fprintln(w, "  alarms     (monitoring off: an emergency bypass; CodeDeploy ignores them)")
		}
		for _, n := range names {
			fmt.Fprintf(w, "             %-9s %s\n", s.Alarms[n], n)
		}
	}
}
