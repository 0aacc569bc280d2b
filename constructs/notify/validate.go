package notify

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/safeship/lambda-bluegreen/internal/check"
)

// configurationName is the pattern of a chat configuration's name (AWS::Chatbot::SlackChannelConfiguration and
// AWS::Chatbot::MicrosoftTeamsChannelConfiguration, ConfigurationName: "Pattern: ^[A-Za-z0-9-_]+$", "Minimum: 1",
// "Maximum: 128").
var configurationName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// The ids' patterns in the chat configurations' CloudFormation resource schemas (as aws-cdk-lib's CloudFormation
// validator reports them): a Slack workspace id "^[0-9A-Z]{1,255}$" and channel id "^[A-Za-z0-9]+$"; a Microsoft
// Teams team and tenant id, a GUID; a Teams channel id, URL-encoded ("…%3a…%40…").
var (
	slackWorkspaceID = regexp.MustCompile(`^[0-9A-Z]{1,255}$`)
	slackChannelID   = regexp.MustCompile(`^[A-Za-z0-9]{1,256}$`)
	guid             = regexp.MustCompile(`^[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}$`)
	teamsChannelID   = regexp.MustCompile(`^[a-zA-Z0-9-_=+/.,]*%3[aA][a-zA-Z0-9-_=+/.,]*%40[a-zA-Z0-9-_=+/.,]*$`)
)

// email is a loose check of an e-mail address: one "@", no spaces, a dot in the domain. SNS checks the rest by
// sending its confirmation.
var email = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

// validate returns every problem with p (errors.Join), or nil.
func (p Props) validate() error {
	var errs []error
	if len(p.Deployments)+len(p.DeploymentGroups) == 0 {
		//lint:ignore ST1005 it starts with the Go name of the field it is about (STYLE: errors name the field)
		errs = append(errs, errors.New("Deployments and DeploymentGroups must name at least one deployment group, got none"))
	}
	for i, d := range p.Deployments {
		if d == nil {
			//lint:ignore ST1005 it starts with the Go name of the field it is about (STYLE: errors name the field)
			errs = append(errs, fmt.Errorf("Deployments[%d] must be set, got nil", i))
		}
	}
	for i, g := range p.DeploymentGroups {
		if g == nil {
			errs = append(errs, fmt.Errorf("DeploymentGroups[%d] must be set, got nil", i))
		}
	}
	seen := map[Event]bool{}
	for i, e := range p.Events {
		switch e {
		case Started, Succeeded, Failed, Stopped, Ready:
		default:
			//lint:ignore ST1005 it starts with the Go name of the field it is about (STYLE: errors name the field)
			errs = append(errs, fmt.Errorf("Events[%d] must be one of START, SUCCESS, FAILURE, STOP, READY, got %q", i, e))
		}
		if seen[e] {
			//lint:ignore ST1005 it starts with the Go name of the field it is about (STYLE: errors name the field)
			errs = append(errs, fmt.Errorf("Events[%d] must be unique, got %q twice", i, e))
		}
		seen[e] = true
	}
	addresses := map[string]bool{}
	for i, a := range p.Emails {
		if check.IsToken(a) {
			continue
		}
		if !email.MatchString(a) {
			//lint:ignore ST1005 it starts with the Go name of the field it is about (STYLE: errors name the field)
			errs = append(errs, fmt.Errorf("Emails[%d] must be an e-mail address, got %q", i, a))
		}
		if addresses[a] {
			//lint:ignore ST1005 it starts with the Go name of the field it is about (STYLE: errors name the field)
			errs = append(errs, fmt.Errorf("Emails[%d] must be unique, got %q twice", i, a))
		}
		addresses[a] = true
	}
	if s := p.Slack; s != nil {
		errs = append(errs, chatErrors("Slack", s.ConfigurationName, []chatID{
			{"WorkspaceID", s.WorkspaceID, slackWorkspaceID, "1 to 255 capital letters and digits, such as T0123ABCD"},
			{"ChannelID", s.ChannelID, slackChannelID, "letters and digits, such as C0123ABCD"},
		})...)
	}
	if t := p.Teams; t != nil {
		errs = append(errs, chatErrors("Teams", t.ConfigurationName, []chatID{
			{"TeamID", t.TeamID, guid, "a GUID, such as 00000000-0000-0000-0000-000000000000"},
			{"TenantID", t.TenantID, guid, "a GUID, such as 00000000-0000-0000-0000-000000000000"},
			{"ChannelID", t.ChannelID, teamsChannelID, "the URL-encoded id from the channel's link, such as 19%3a…%40thread.tacv2"},
		})...)
	}
	if r := p.ReservedConcurrency; r != nil && *r < 1 {
		errs = append(errs, fmt.Errorf("ReservedConcurrency must be at least 1 (0 throttles every notice), got %d", *r))
	}
	return errors.Join(errs...)
}

// chatID is one id of a chat channel and the form it must have.
type chatID struct {
	field, value string
	pattern      *regexp.Regexp
	form         string
}

// chatErrors checks a chat channel's name and ids.
func chatErrors(field, name string, ids []chatID) []error {
	var errs []error
	if !check.IsToken(name) && !configurationName.MatchString(name) {
		errs = append(errs, fmt.Errorf("%s.ConfigurationName must be 1 to 128 letters, digits, \"-\" and \"_\", got %q", field, name))
	}
	for _, id := range ids {
		switch {
		case id.value == "":
			errs = append(errs, fmt.Errorf("%s.%s must be set, got none", field, id.field))
		case !check.IsToken(id.value) && !id.pattern.MatchString(id.value):
			errs = append(errs, fmt.Errorf("%s.%s must be %s, got %q", field, id.field, id.form, id.value))
		}
	}
	return errs
}
