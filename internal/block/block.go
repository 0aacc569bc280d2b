// Package block keeps the releases a person rolled back out of service: after `bluegreen rollback`, a deploy that
// would send traffic to the same code and configuration again is refused at deploy time by the release gate of
// the function's bluegreen.Deployment, until a person lifts the block (`bluegreen unblock`).
//
// A release is named by the logical id CDK gives the function's current version ("ApiFunctionCurrentVersion…"):
// CDK derives it from a hash of the function's code and of the configuration that makes Lambda publish a new
// version (aws-cdk-lib, aws-lambda function-hash.ts), so the same commit synthesized again names the same release,
// and any change of code or configuration names another.
//
// The blocks of a function live in one SSM parameter outside every stack, /lambda-bluegreen/blocked/<function
// name>, so that no deploy (from a laptop, CodePipeline or GitHub Actions) can overwrite them: the stack only reads
// them.
package block

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// ParameterPrefix is where the blocks live in SSM Parameter Store: one parameter per function, named
// ParameterPrefix + the function's name. Lambda function names are letters, digits, "-" and "_" (at most 64), all
// of which SSM parameter names allow ("a-zA-Z0-9_.-", AWS Systems Manager User Guide, "Creating Parameter Store
// parameters").
const ParameterPrefix = "/lambda-bluegreen/blocked/"

// GateResourceType is the CloudFormation type of a stack's release gate: one custom resource per stack that every
// protected alias depends on, so that CloudFormation asks it before any alias update starts a traffic shift.
const GateResourceType = "Custom::LambdaBlueGreenReleaseGate"

// Properties of the release gate custom resource: GateReleases holds one entry per protected function, keyed by
// its Deployment's construct path, each with GateFunctionName and GateRelease (and the group's configuration, see
// package guard).
const (
	// GateReleases is the map of entries.
	GateReleases = "Releases"
	// GateFunctionName is the protected function's name (a Ref of the function).
	GateFunctionName = "FunctionName"
	// GateRelease is the release the alias is about to serve (the current version's logical id), or
	// PinnedPrefix + a version number when the alias is pinned to a version (a rollback), which the gate never
	// refuses.
	GateRelease = "Release"
)

// PinnedPrefix starts the gate's Release when the alias is pinned to an existing version.
const PinnedPrefix = "pinned:"

// MaxEntries is how many blocks a function keeps at most: the newest, as many as fit MaxValueBytes.
const MaxEntries = 10

// MaxValueBytes is the most a standard SSM parameter holds: "Standard parameters have a value limit of 4 KB" (AWS
// Systems Manager API Reference, PutParameter, Value).
const MaxValueBytes = 4096

// ParameterName returns the SSM parameter holding function's blocks.
func ParameterName(function string) string { return ParameterPrefix + function }

// Entry is one blocked release.
type Entry struct {
	// Release is the logical id of the version resource in the stack's template.
	Release string `json:"release"`
	// Version is the version number the release had when it was rolled back (a later deploy of the same commit
	// would publish another number).
	Version string `json:"version"`
	// Stack is the CloudFormation stack of the function.
	Stack string `json:"stack,omitempty"`
	// At is when the release was rolled back; By is who rolled it back (the caller's ARN); Reason is what the
	// rollback said.
	At     time.Time `json:"at"`
	By     string    `json:"by,omitempty"`
	Reason string    `json:"reason,omitempty"`
}

// List is every blocked release of one function, newest first.
type List struct {
	Function string  `json:"function"`
	Entries  []Entry `json:"blocked"`
}

// Parse reads a parameter's value. An empty value is an empty list.
func Parse(value string) (List, error) {
	var l List
	if strings.TrimSpace(value) == "" {
		return l, nil
	}
	if err := json.Unmarshal([]byte(value), &l); err != nil {
		return List{}, fmt.Errorf("the release blocks are not readable JSON: %w", err)
	}
	return l, nil
}

// Marshal renders the list as the parameter's value, keeping the newest entries: at most MaxEntries, and no more
// than fit MaxValueBytes. The oldest blocks go first; the one just added always fits (an entry is far below 4 KB).
func (l List) Marshal() (string, error) {
	entries := append([]Entry(nil), l.Entries...)
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].At.After(entries[j].At) })
	for n := min(len(entries), MaxEntries); ; n-- {
		l.Entries = entries[:n]
		b, err := json.Marshal(l)
		if err != nil || len(b) <= MaxValueBytes || n <= 1 {
			return string(b), err
		}
	}
}

// Find returns the entry of release, if it is blocked.
func (l List) Find(release string) (Entry, bool) {
	for _, e := range l.Entries {
		if e.Release == release {
			return e, true
		}
	}
	return Entry{}, false
}

// With returns the list with e added (replacing an entry of the same release).
func (l List) With(e Entry) List {
	out := List{Function: l.Function}
	out.Entries = append(out.Entries, e)
	for _, old := range l.Entries {
		if old.Release != e.Release {
			out.Entries = append(out.Entries, old)
		}
	}
	return out
}

// Without returns the list without release, and whether it was there.
func (l List) Without(release string) (List, bool) {
	out := List{Function: l.Function}
	found := false
	for _, e := range l.Entries {
		if e.Release == release {
			found = true
			continue
		}
		out.Entries = append(out.Entries, e)
	}
	return out, found
}

// Refusal is what the gate answers, and the deploy shows, when a deploy would send traffic to a blocked release.
func Refusal(function string, e Entry) string {
	who := ""
	if e.By != "" {
		who = " by " + e.By
	}
	return fmt.Sprintf("release %s of %s (version %s when it was rolled back) was rolled back%s at %s and is blocked "+
		"from taking traffic again: deploy a fix (any change of code or configuration is a new release), or release "+
		"it deliberately with: bluegreen unblock -function %s -release %s", e.Release, function, e.Version, who,
		e.At.UTC().Format(time.RFC3339), function, e.Release)
}

// SSMAPI is the part of the SSM client a Store uses.
type SSMAPI interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	PutParameter(ctx context.Context, in *ssm.PutParameterInput, opts ...func(*ssm.Options)) (*ssm.PutParameterOutput, error)
	DeleteParameter(ctx context.Context, in *ssm.DeleteParameterInput, opts ...func(*ssm.Options)) (*ssm.DeleteParameterOutput, error)
}

// Store reads and writes the blocks in SSM Parameter Store.
type Store struct{ SSM SSMAPI }

// Get returns function's blocks; a function without the parameter has none (GetParameter answers
// ParameterNotFound).
func (s Store) Get(ctx context.Context, function string) (List, error) {
	out, err := s.SSM.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(ParameterName(function))})
	var missing *ssmtypes.ParameterNotFound
	if errors.As(err, &missing) {
		return List{Function: function}, nil
	}
	if err != nil {
		return List{}, fmt.Errorf("GetParameter %s: %w", ParameterName(function), err)
	}
	var value string
	if out.Parameter != nil {
		value = aws.ToString(out.Parameter.Value)
	}
	l, err := Parse(value)
	if err != nil {
		return List{}, fmt.Errorf("%s: %w", ParameterName(function), err)
	}
	l.Function = function
	return l, nil
}

// Put writes function's blocks, or deletes the parameter when none is left.
func (s Store) Put(ctx context.Context, function string, l List) error {
	name := ParameterName(function)
	if len(l.Entries) == 0 {
		_, err := s.SSM.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: &name})
		var missing *ssmtypes.ParameterNotFound
		if err != nil && !errors.As(err, &missing) {
			return fmt.Errorf("DeleteParameter %s: %w", name, err)
		}
		return nil
	}
	l.Function = function
	value, err := l.Marshal()
	if err != nil {
		return err
	}
	_, err = s.SSM.PutParameter(ctx, &ssm.PutParameterInput{
		Name: &name, Value: &value, Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true),
		Description: aws.String("lambda-bluegreen: releases of " + function + " rolled back and kept out of service " +
			"(bluegreen unblock lifts one)"),
	})
	if err != nil {
		return fmt.Errorf("PutParameter %s: %w", name, err)
	}
	return nil
}
