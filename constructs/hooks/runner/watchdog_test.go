package runner_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/safeship/lambda-bluegreen/constructs/hooks/hookconfig"
	"github.com/safeship/lambda-bluegreen/constructs/hooks/runner"
)

// fakeScheduler records the schedules the watchdog creates and deletes.
type fakeScheduler struct {
	mu        sync.Mutex
	created   []*scheduler.CreateScheduleInput
	deleted   []string
	createErr error
}

func (s *fakeScheduler) CreateSchedule(_ context.Context, in *scheduler.CreateScheduleInput, _ ...func(*scheduler.Options)) (*scheduler.CreateScheduleOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.createErr != nil {
		return nil, s.createErr
	}
	s.created = append(s.created, in)
	return &scheduler.CreateScheduleOutput{}, nil
}

func (s *fakeScheduler) DeleteSchedule(_ context.Context, in *scheduler.DeleteScheduleInput, _ ...func(*scheduler.Options)) (*scheduler.DeleteScheduleOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deleted = append(s.deleted, *in.Name)
	return &scheduler.DeleteScheduleOutput{}, nil
}

// A hook arms its watchdog before any check, for a minute after its deadline, and deletes it once it has reported.
func TestWatchdogArmedThenDisarmed(t *testing.T) {
	f := newFake(t)
	h, log := f.hook(pre(hookconfig.TestCase{Name: "root", Payload: raw(`{}`)}))
	s := &fakeScheduler{}
	h.Watchdog = &runner.Watchdog{Scheduler: s, TargetARN: "arn:reporter", RoleARN: "arn:role"}
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(3*time.Second))
	defer cancel()
	deadline, _ := ctx.Deadline()
	if err := h.Handle(ctx, json.RawMessage(event)); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, f.reported(), "Succeeded", log.String())
	if len(s.created) != 1 {
		t.Fatalf("want one watchdog schedule, got %d", len(s.created))
	}
	in := s.created[0]
	if *in.Name != "bluegreen-d-TEST-pre" || *in.Target.Arn != "arn:reporter" || *in.Target.RoleArn != "arn:role" ||
		in.ActionAfterCompletion != "DELETE" || in.FlexibleTimeWindow.Mode != "OFF" {
		t.Errorf("schedule %s → %s as %s, after completion %s, window %s", *in.Name, *in.Target.Arn, *in.Target.RoleArn,
			in.ActionAfterCompletion, in.FlexibleTimeWindow.Mode)
	}
	due, err := time.Parse("2006-01-02T15:04:05", strings.TrimSuffix(strings.TrimPrefix(*in.ScheduleExpression, "at("), ")"))
	if err != nil || due.Before(deadline.Add(time.Minute).Truncate(time.Second)) || due.After(deadline.Add(time.Minute+2*time.Second)) {
		t.Errorf("schedule due %s, want a minute after the hook's deadline %s (%v)", *in.ScheduleExpression, deadline.UTC(), err)
	}
	if len(s.deleted) != 1 || s.deleted[0] != *in.Name {
		t.Errorf("the hook must delete its watchdog once it reported, deleted %v", s.deleted)
	}
}

// A hook that dies after arming its watchdog (killed out of memory: nothing of it runs again) reaches CodeDeploy as
// Failed when the schedule fires, whether CodeDeploy invoked it synchronously or not: the schedule invokes the
// failure reporter with the hook's event.
func TestWatchdogReportsACrashedHook(t *testing.T) {
	f := newFake(t)
	s := &fakeScheduler{}
	w := &runner.Watchdog{Scheduler: s, TargetARN: "arn:reporter", RoleARN: "arn:role"}
	var ev runner.Event
	if err := json.Unmarshal([]byte(event), &ev); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Arm(context.Background(), ev, "post-traffic", "arn:aws:lambda:eu-west-1:1:function:hook", time.Now()); err != nil {
		t.Fatal(err)
	}
	// The hook crashes here. The schedule fires: Scheduler invokes the reporter with the schedule's input.
	r, log := f.reporter()
	if err := r.Handle(context.Background(), json.RawMessage(*s.created[0].Target.Input)); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, f.reported(), "Failed", log.String())
	if !strings.Contains(log.String(), "watchdog fired a minute after the hook's deadline") {
		t.Errorf("the reporter must say the watchdog fired:\n%s", log)
	}
}

// A watchdog that cannot be armed (denied, throttled) does not stop the hook: it runs its checks and reports.
func TestWatchdogThatCannotBeArmed(t *testing.T) {
	f := newFake(t)
	h, log := f.hook(pre(hookconfig.TestCase{Name: "root", Payload: raw(`{}`)}))
	h.Watchdog = &runner.Watchdog{Scheduler: &fakeScheduler{createErr: errors.New("AccessDeniedException")}}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := h.Handle(ctx, json.RawMessage(event)); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, f.reported(), "Succeeded", log.String())
	if !strings.Contains(log.String(), "could not arm the watchdog") {
		t.Errorf("the log must say the watchdog is not armed:\n%s", log)
	}
}
