package bluegreen

import (
	"reflect"
	"testing"
)

// A resource is counted once: a construct under another one, or given twice, is left to the outer or first one.
func TestStackSizeOutermost(t *testing.T) {
	cases := []struct {
		name  string
		paths []string
		want  []int
	}{
		{"none", nil, nil},
		{"disjoint", []string{"S/A", "S/B", "S/BlueGreenApplication"}, []int{0, 1, 2}},
		{"function defined by its deployment", []string{"S/A", "S/A/Function"}, []int{0}},
		{"inner first", []string{"S/A/Function", "S/A"}, []int{1}},
		{"shared application", []string{"S/A", "S/B", "S/App", "S/App"}, []int{0, 1, 2}},
		{"prefix of a name is not a parent", []string{"S/Api", "S/Api2/Function"}, []int{0, 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := outermost(tc.paths); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("outermost(%q) = %v, want %v", tc.paths, got, tc.want)
			}
		})
	}
}
