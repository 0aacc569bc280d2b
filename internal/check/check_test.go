package check

import (
	"errors"
	"testing"
)

func TestPrefix(t *testing.T) {
	a, b := errors.New("a"), errors.New("b")
	got := Prefix("F: ", errors.Join(a, b))
	if len(got) != 2 || got[0].Error() != "F: a" || got[1].Error() != "F: b" || !errors.Is(got[1], b) {
		t.Fatalf("got %v", got)
	}
	if one := Prefix("F.", a); len(one) != 1 || one[0].Error() != "F.a" {
		t.Fatalf("got %v", one)
	}
	if Prefix("F: ", nil) != nil {
		t.Fatal("nil error must give nil")
	}
}

func TestIsToken(t *testing.T) {
	if !IsToken("x${Token[TOKEN.12]}") || IsToken("api.example.com") {
		t.Fatal("IsToken")
	}
}
