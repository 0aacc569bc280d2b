package block

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// fakeSSM keeps parameters in memory and answers a missing one as SSM does (ParameterNotFound).
type fakeSSM struct{ params map[string]string }

func (f *fakeSSM) GetParameter(_ context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	v, ok := f.params[*in.Name]
	if !ok {
		return nil, &ssmtypes.ParameterNotFound{}
	}
	return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Name: in.Name, Value: &v}}, nil
}

func (f *fakeSSM) PutParameter(_ context.Context, in *ssm.PutParameterInput, _ ...func(*ssm.Options)) (*ssm.PutParameterOutput, error) {
	if len(*in.Value) > 4096 {
		return nil, fmt.Errorf("ParameterMaxVersionLimitExceeded: value of %d bytes", len(*in.Value))
	}
	f.params[*in.Name] = *in.Value
	return &ssm.PutParameterOutput{}, nil
}

func (f *fakeSSM) DeleteParameter(_ context.Context, in *ssm.DeleteParameterInput, _ ...func(*ssm.Options)) (*ssm.DeleteParameterOutput, error) {
	if _, ok := f.params[*in.Name]; !ok {
		return nil, &ssmtypes.ParameterNotFound{}
	}
	delete(f.params, *in.Name)
	return &ssm.DeleteParameterOutput{}, nil
}

func entry(i int) Entry {
	return Entry{Release: fmt.Sprintf("ApiFunctionCurrentVersion%02d%s", i, strings.Repeat("f", 40)), Version: fmt.Sprint(i),
		Stack: strings.Repeat("S", 128), At: time.Date(2026, 12, 1, 0, i, 0, 0, time.UTC),
		By: "arn:aws:sts::123456789012:assumed-role/" + strings.Repeat("r", 64) + "/oncall", Reason: "bluegreen rollback"}
}

// A function without blocks reads as an empty list; blocks written are read back; the last one lifted deletes the
// parameter.
func TestStoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	f := &fakeSSM{params: map[string]string{}}
	s := Store{SSM: f}
	l, err := s.Get(ctx, "svc-api")
	if err != nil || len(l.Entries) != 0 || l.Function != "svc-api" {
		t.Fatalf("no parameter: %+v, %v", l, err)
	}
	if err := s.Put(ctx, "svc-api", l.With(entry(1)).With(entry(2))); err != nil {
		t.Fatal(err)
	}
	l, _ = s.Get(ctx, "svc-api")
	if e, ok := l.Find(entry(1).Release); !ok || e.Version != "1" || len(l.Entries) != 2 || l.Entries[0].Version != "2" {
		t.Fatalf("read back %+v", l)
	}
	l, found := l.Without(entry(2).Release)
	if !found {
		t.Fatal("Without must find the entry")
	}
	l, _ = l.Without(entry(1).Release)
	if err := s.Put(ctx, "svc-api", l); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.params[ParameterName("svc-api")]; ok {
		t.Error("no block left must delete the parameter")
	}
}

// However many releases are blocked, the parameter keeps the newest, at most MaxEntries and within a standard
// parameter's 4 KB, with the longest values an entry can have.
func TestManyBlocksFitAStandardParameter(t *testing.T) {
	l := List{Function: strings.Repeat("f", 64)}
	for i := 0; i < 25; i++ {
		l = l.With(entry(i))
	}
	v, err := l.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if len(v) > 4096 {
		t.Errorf("%d bytes, more than a standard parameter's 4 KB", len(v))
	}
	back, _ := Parse(v)
	if len(back.Entries) < 5 || len(back.Entries) > MaxEntries || back.Entries[0].Version != "24" {
		t.Errorf("kept %d entries, newest %s; want the newest, at least 5 and at most %d", len(back.Entries),
			back.Entries[0].Version, MaxEntries)
	}
}

// The refusal says what was refused, when and by whom it was rolled back, and the command that lifts it.
func TestRefusal(t *testing.T) {
	msg := Refusal("svc-api", entry(3))
	for _, want := range []string{entry(3).Release, "version 3", "2026-12-01T00:03:00Z",
		"bluegreen unblock -function svc-api -release " + entry(3).Release} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
}
