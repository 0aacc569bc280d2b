package githubactions_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/safeship/lambda-bluegreen/constructs/githubactions"
)

// Two deploy roles for one repository: Dev for jobs on main, Prod for jobs in the GitHub environment prod (which
// waits for its required reviewers). The first defines the account's OIDC provider, the second reuses it.
func ExampleNewDeployRole() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("GitHubAccess"), nil)
	dev := githubactions.NewDeployRole(stack, "Dev", &githubactions.DeployRoleProps{
		Repository: "my-org/my-service",
		Branches:   []string{"main"},
	})
	prod := githubactions.NewDeployRole(stack, "Prod", &githubactions.DeployRoleProps{
		Repository:   "my-org/my-service",
		Environments: []string{"prod"},
		Provider:     dev.Provider(),
	})
	fmt.Println(dev.Subjects()[0])
	fmt.Println(prod.Subjects()[0])
	fmt.Println(len(prod.BootstrapRoleArns()), prod.DefinedProvider() == nil)
	// Output:
	// repo:my-org/my-service:ref:refs/heads/main
	// repo:my-org/my-service:environment:prod
	// 4 true
}
