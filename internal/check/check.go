// Package check holds what the constructs' props validation shares: recognising unresolved tokens without asking
// Node, prefixing joined errors with the field they belong to, and naming the construct path in an error a
// constructor recovered, and telling stacks apart.
package check

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
)

// IsToken reports whether s holds an unresolved CDK token, whose value is only known at deploy time. It matches
// the string encoding CDK uses ("${Token[...]}") instead of asking Node.
func IsToken(s string) bool {
	return strings.Contains(s, "${Token[")
}

// Prefix returns the errors joined in err (by errors.Join), or err alone, each wrapped with p written before it
// ("Strategy: " gives "Strategy: canary percentage …"). It returns nil for a nil err.
func Prefix(p string, err error) []error {
	if err == nil {
		return nil
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = append([]error(nil), j.Unwrap()...)
	}
	for i, e := range errs {
		errs[i] = fmt.Errorf("%s%w", p, e)
	}
	return errs
}

// WithPath returns r, a value a constructor recovered, as an error prefixed with the construct path of id in
// scope; an error stays wrapped (%w).
func WithPath(scope constructs.Construct, id string, r interface{}) error {
	if err, ok := r.(error); ok {
		return fmt.Errorf("%s/%s: %w", *scope.Node().Path(), id, err)
	}
	return fmt.Errorf("%s/%s: %v", *scope.Node().Path(), id, r)
}

// SameStack reports whether a and b are the same stack (jsii may hand Go two values for one stack: their paths tell).
func SameStack(a, b awscdk.Stack) bool {
	return a == b || *a.Node().Path() == *b.Node().Path()
}
