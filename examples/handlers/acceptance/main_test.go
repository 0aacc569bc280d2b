package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/safeship/lambda-bluegreen/internal/acceptance"
)

func TestAnswer(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		req     acceptance.Request
		want    reply
		wantErr string
	}{
		{"healthy", map[string]string{"AWS_LAMBDA_FUNCTION_VERSION": "3", acceptance.EnvCommit: "c2"},
			acceptance.Request{}, reply{OK: true, Version: "3", Commit: "c2"}, ""},
		{"another version is asked to fail",
			map[string]string{"AWS_LAMBDA_FUNCTION_VERSION": "3", acceptance.EnvCommit: "c2"},
			acceptance.Request{FailVersion: "4"}, reply{OK: true, Version: "3", Commit: "c2"}, ""},
		{"this version is asked to fail",
			map[string]string{"AWS_LAMBDA_FUNCTION_VERSION": "4", acceptance.EnvCommit: "c2"},
			acceptance.Request{FailVersion: "4"}, reply{}, "asks version 4 to fail"},
		{"broken release",
			map[string]string{"AWS_LAMBDA_FUNCTION_VERSION": "2", acceptance.EnvCommit: "c2", acceptance.EnvBroken: "1"},
			acceptance.Request{}, reply{}, "release c2 is broken"},
		{"broken only when set to 1",
			map[string]string{"AWS_LAMBDA_FUNCTION_VERSION": "2", acceptance.EnvCommit: "c2", acceptance.EnvBroken: "0"},
			acceptance.Request{}, reply{OK: true, Version: "2", Commit: "c2"}, ""},
		{"$LATEST and an empty failVersion", map[string]string{"AWS_LAMBDA_FUNCTION_VERSION": "$LATEST"},
			acceptance.Request{}, reply{OK: true, Version: "$LATEST"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := answer(tc.req, func(k string) string { return tc.env[k] })
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
