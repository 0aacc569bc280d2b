package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// shortLived keeps what an acceptance run leaves behind small and short-lived, for every resource of the stack,
// the library's constructs' included: log groups keep one day of logs and are deleted with the stack, and a KMS
// key waits the least KMS allows (7 days) before its deletion once the stack is deleted. Its fields are the
// numbers it sets (a jsii object must not be an empty struct: every pointer to one may be the same).
type shortLived struct {
	retentionDays, pendingWindowDays float64
}

// Visit applies shortLived to one construct.
func (a *shortLived) Visit(node constructs.IConstruct) {
	switch r := node.(type) {
	case awslogs.CfnLogGroup:
		r.SetRetentionInDays(jsii.Number(a.retentionDays))
		r.ApplyRemovalPolicy(awscdk.RemovalPolicy_DESTROY, nil)
	case awskms.CfnKey:
		r.SetPendingWindowInDays(jsii.Number(a.pendingWindowDays))
	}
}
