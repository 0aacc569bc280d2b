package notify

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
)

// group stands for a deployment group: validate only checks that one is set.
type group struct {
	awscodedeploy.ILambdaDeploymentGroup
}

func TestValidate(t *testing.T) {
	one := []awscodedeploy.ILambdaDeploymentGroup{group{}}
	zero := 0
	tests := []struct {
		name  string
		props Props
		want  []string // every problem, in order; none for valid props
	}{
		{"one group", Props{DeploymentGroups: one}, nil},
		{"everything", Props{DeploymentGroups: one, Events: []Event{Failed, Stopped, Ready},
			Emails: []string{"team@example.com", "${Token[TOKEN.12]}"},
			Slack:  &SlackChannel{ConfigurationName: "deploy_alerts-1", WorkspaceID: "T0123", ChannelID: "C0123"},
			Teams: &TeamsChannel{ConfigurationName: "deployments", TeamID: "0a1b2c3d-0000-4000-8000-000000000001",
				TenantID: "0A1B2C3D-0000-4000-8000-000000000002", ChannelID: "19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2"}}, nil},
		{"no group", Props{}, []string{"Deployments and DeploymentGroups must name at least one deployment group, got none"}},
		{"nil entries", Props{Deployments: []bluegreen.Deployment{nil}, DeploymentGroups: []awscodedeploy.ILambdaDeploymentGroup{nil}},
			[]string{"Deployments[0] must be set, got nil", "DeploymentGroups[0] must be set, got nil"}},
		{"bad events", Props{DeploymentGroups: one, Events: []Event{"FAILED", Failed, Failed}}, []string{
			`Events[0] must be one of START, SUCCESS, FAILURE, STOP, READY, got "FAILED"`,
			`Events[2] must be unique, got "FAILURE" twice`}},
		{"bad e-mails", Props{DeploymentGroups: one, Emails: []string{"team", "a@b.io", "a@b.io", "x y@b.io"}}, []string{
			`Emails[0] must be an e-mail address, got "team"`,
			`Emails[2] must be unique, got "a@b.io" twice`,
			`Emails[3] must be an e-mail address, got "x y@b.io"`}},
		{"bad slack", Props{DeploymentGroups: one, Slack: &SlackChannel{ConfigurationName: "team alerts"}}, []string{
			`Slack.ConfigurationName must be 1 to 128 letters, digits, "-" and "_", got "team alerts"`,
			"Slack.WorkspaceID must be set, got none", "Slack.ChannelID must be set, got none"}},
		{"bad slack ids", Props{DeploymentGroups: one, Slack: &SlackChannel{ConfigurationName: "a", WorkspaceID: "t0123", ChannelID: "#deploys"}}, []string{
			`Slack.WorkspaceID must be 1 to 255 capital letters and digits, such as T0123ABCD, got "t0123"`,
			`Slack.ChannelID must be letters and digits, such as C0123ABCD, got "#deploys"`}},
		{"bad teams", Props{DeploymentGroups: one, Teams: &TeamsChannel{ConfigurationName: strings.Repeat("a", 129), TeamID: "t",
			ChannelID: "deployments"}}, []string{
			`Teams.ConfigurationName must be 1 to 128 letters, digits, "-" and "_", got "` + strings.Repeat("a", 129) + `"`,
			`Teams.TeamID must be a GUID, such as 00000000-0000-0000-0000-000000000000, got "t"`,
			"Teams.TenantID must be set, got none",
			`Teams.ChannelID must be the URL-encoded id from the channel's link, such as 19%3a…%40thread.tacv2, got "deployments"`}},
		{"no concurrency", Props{DeploymentGroups: one, ReservedConcurrency: &zero},
			[]string{"ReservedConcurrency must be at least 1 (0 throttles every notice), got 0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.props.validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("valid props refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want %q, got no error", tc.want)
			}
			if got := strings.Split(err.Error(), "\n"); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
