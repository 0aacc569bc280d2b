package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/safeship/lambda-bluegreen/internal/acceptance"
)

// fakeSystem records what the handler asked of the system: the sleeps and the exits, which it only records.
type fakeSystem struct {
	env    map[string]string
	slept  []time.Duration
	exits  []int
	logged strings.Builder
}

func (f *fakeSystem) system() system {
	return system{
		env: func(k string) string { return f.env[k] },
		sleep: func(ctx context.Context, d time.Duration) error {
			f.slept = append(f.slept, d)
			return ctx.Err()
		},
		exit: func(code int) { f.exits = append(f.exits, code) },
		log:  &f.logged,
	}
}

func TestAnswer(t *testing.T) {
	v := func(version, commit string, more ...string) map[string]string {
		env := map[string]string{"AWS_LAMBDA_FUNCTION_VERSION": version, acceptance.EnvCommit: commit}
		for i := 0; i+1 < len(more); i += 2 {
			env[more[i]] = more[i+1]
		}
		return env
	}
	cases := []struct {
		name    string
		env     map[string]string
		req     acceptance.Request
		want    reply
		wantErr string
		slept   []time.Duration
		exits   []int
	}{
		{name: "healthy", env: v("3", "c2"), want: reply{OK: true, Version: "3", Commit: "c2"}},
		{name: "another version is asked to fail", env: v("3", "c2"), req: acceptance.Request{FailVersion: "4"},
			want: reply{OK: true, Version: "3", Commit: "c2"}},
		{name: "this version is asked to fail", env: v("4", "c2"), req: acceptance.Request{FailVersion: "4"},
			wantErr: "asks version 4 to fail"},
		{name: "errors", env: v("2", "c2", acceptance.EnvFail, "errors"),
			wantErr: "release c2 fails every request with an error (ACCEPTANCE_FAIL=errors): version 2"},
		{name: "latency answers ok after the delay", env: v("2", "c2", acceptance.EnvFail, "latency"),
			want: reply{OK: true, Version: "2", Commit: "c2"}, slept: []time.Duration{acceptance.SlowDelay}},
		{name: "crash exits", env: v("2", "c2", acceptance.EnvFail, "crash"), wantErr: errExitReturned.Error(),
			exits: []int{crashCode}},
		{name: "an unknown mode is an error, not a healthy answer", env: v("2", "c2", acceptance.EnvFail, "throttles"),
			wantErr: `ACCEPTANCE_FAIL="throttles" is no fail mode`},
		{name: "$LATEST and an empty failVersion", env: map[string]string{"AWS_LAMBDA_FUNCTION_VERSION": "$LATEST"},
			want: reply{OK: true, Version: "$LATEST"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeSystem{env: tc.env}
			got, err := answer(context.Background(), tc.req, f.system())
			if len(f.slept) != len(tc.slept) || (len(tc.slept) > 0 && f.slept[0] != tc.slept[0]) {
				t.Errorf("slept %v, want %v", f.slept, tc.slept)
			}
			if len(f.exits) != len(tc.exits) || (len(tc.exits) > 0 && f.exits[0] != tc.exits[0]) {
				t.Errorf("exits %v, want %v", f.exits, tc.exits)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("want an error containing %q, got %v", tc.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// A crashing version says why in its log before it exits.
func TestCrashLogsBeforeExiting(t *testing.T) {
	f := &fakeSystem{env: map[string]string{"AWS_LAMBDA_FUNCTION_VERSION": "5", acceptance.EnvCommit: "c4",
		acceptance.EnvFail: string(acceptance.FailCrash)}}
	_, _ = answer(context.Background(), acceptance.Request{}, f.system())
	if got := f.logged.String(); !strings.Contains(got, "version 5 exits with status 2") {
		t.Errorf("log %q", got)
	}
}

// A slow version whose invocation ends before the delay (Lambda's timeout cancels the context) returns the
// context's error.
func TestLatencyStopsWithTheContext(t *testing.T) {
	f := &fakeSystem{env: map[string]string{acceptance.EnvFail: string(acceptance.FailLatency)}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := answer(ctx, acceptance.Request{}, f.system()); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

// sleep waits the whole delay, or returns as soon as its context is done.
func TestSleep(t *testing.T) {
	start := time.Now()
	if err := sleep(context.Background(), 20*time.Millisecond); err != nil || time.Since(start) < 20*time.Millisecond {
		t.Errorf("sleep returned %v after %v", err, time.Since(start))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	start = time.Now()
	if err := sleep(ctx, time.Hour); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Minute {
		t.Errorf("sleep returned %v after %v", err, time.Since(start))
	}
}

// The answer's JSON is what the pre-traffic test and the traffic generator read: ok, version and commit.
func TestReplyJSON(t *testing.T) {
	b, err := json.Marshal(reply{OK: true, Version: "2", Commit: "c1"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"ok":true,"version":"2","commit":"c1"}`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}
