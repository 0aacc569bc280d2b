package formatter

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// IsRollback reports whether the deployment rolls another one back (Rollback, as deployment.IsRollback decides it),
// or names the deployment it rolls back.
func (n Notice) IsRollback() bool {
	return n.Rollback || n.RollbackOf != ""
}

// Outcome is the notice's state in words: "started", "succeeded", "FAILED", "STOPPED", "ready", or for a rollback
// "rollback started", "rolled back", "rollback FAILED"…
func (n Notice) Outcome() string {
	if n.IsRollback() {
		switch n.State {
		case "START":
			return "rollback started"
		case "SUCCESS":
			return "rolled back"
		case "FAILURE":
			return "rollback FAILED"
		case "STOP":
			return "rollback STOPPED"
		}
	}
	switch n.State {
	case "START":
		return "started"
	case "SUCCESS":
		return "succeeded"
	case "FAILURE":
		return "FAILED"
	case "STOP":
		return "STOPPED"
	case "READY":
		return "ready"
	}
	return strings.ToLower(n.State)
}

// Target names what the deployment shifts, as far as it is known: "my-api (alias live): version 6 → 7".
func (n Notice) Target(arrow string) string {
	what := n.Function
	if what == "" {
		what = "deployment group " + n.Group
		if n.Group == "" {
			what = "deployment " + n.DeploymentID
		}
	}
	if n.Alias != "" {
		what += " (alias " + n.Alias + ")"
	}
	switch {
	case n.FromVersion != "" && n.ToVersion != "":
		what += fmt.Sprintf(": version %s %s %s", n.FromVersion, arrow, n.ToVersion)
	case n.ToVersion != "":
		what += ": version " + n.ToVersion
	}
	return what
}

// Headline is the notice's first line.
func (n Notice) Headline() string {
	line := fmt.Sprintf("Deployment %s: %s", n.Outcome(), n.Target("→"))
	switch {
	case n.State == "FAILURE" || n.State == "STOP":
		if n.IsRollback() {
			line += "; the alias may still serve the new version: check it"
		} else if n.RolledBackBy != "" && n.FromVersion != "" {
			line += "; rolling back to version " + n.FromVersion
		} else if n.RolledBackBy != "" {
			line += "; rolling back"
		}
	case n.State == "SUCCESS" && n.IsRollback() && n.ToVersion != "":
		line += "; the alias serves version " + n.ToVersion + " again"
	}
	return line
}

// Subject is the e-mail subject: SNS, Publish, Subject: "Constraints: Subjects must be text ASCII that begins with
// a letter, number, or punctuation mark; must not include line breaks or control characters; and must be less
// than 100 characters long." Anything else is replaced or cut.
func (n Notice) Subject() string {
	s := fmt.Sprintf("Deployment %s: %s", n.Outcome(), n.Target("->"))
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r > 0x7e:
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	out := b.String()
	if len(out) > 99 {
		out = out[:96] + "..."
	}
	return out
}

// ConsoleURL is the deployment's page in the CodeDeploy console.
func (n Notice) ConsoleURL() string {
	if n.Region == "" {
		return ""
	}
	return fmt.Sprintf("https://%s.console.aws.amazon.com/codesuite/codedeploy/deployments/%s?region=%s",
		n.Region, n.DeploymentID, n.Region)
}

// details are the notice's lines after the headline, as (label, text) pairs.
func (n Notice) details() [][2]string {
	var out [][2]string
	add := func(label, text string) {
		if text != "" {
			out = append(out, [2]string{label, text})
		}
	}
	for _, r := range n.Reasons {
		add("Why", r)
	}
	add("CodeDeploy", strings.Join(compact(n.ErrorCode, n.ErrorMessage), ": "))
	if n.RollbackOf != "" {
		add("Rolls back", n.RollbackOf)
	}
	if n.RolledBackBy != "" {
		add("Rollback", n.RolledBackBy)
	}
	add("Rollback status", n.RollbackMessage)
	group := n.DeploymentID
	if n.Application != "" || n.Group != "" {
		group += fmt.Sprintf(" (application %s, group %s", n.Application, n.Group)
		if n.Config != "" {
			group += ", " + n.Config
		}
		group += ")"
	}
	add("Deployment", group)
	add("Started by", n.Creator)
	if !n.Created.IsZero() {
		when := n.Created.UTC().Format("2006-01-02 15:04:05 UTC")
		if !n.Completed.IsZero() {
			when += fmt.Sprintf(", ended after %s", n.Completed.Sub(n.Created).Round(time.Second))
		}
		add("Created", when)
	}
	for _, p := range n.Problems {
		add("Not known", p)
	}
	add("Console", n.ConsoleURL())
	return out
}

// Text is the notice as plain text, for e-mail and the function's log.
func (n Notice) Text() string {
	var b strings.Builder
	b.WriteString("bluegreen: " + n.Headline() + "\n")
	for _, d := range n.details() {
		fmt.Fprintf(&b, "  %-16s %s\n", d[0]+":", d[1])
	}
	return b.String()
}

// chatNotification is an AWS chat custom notification (Amazon Q Developer in chat applications, "Custom
// notifications", Event schema): "version" must be "1.0", "source" must be "custom"; "Only client-markdown
// textType is currently supported."
type chatNotification struct {
	Version  string       `json:"version"`
	Source   string       `json:"source"`
	ID       string       `json:"id,omitempty"`
	Content  chatContent  `json:"content"`
	Metadata chatMetadata `json:"metadata"`
}

type chatContent struct {
	TextType    string   `json:"textType"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	NextSteps   []string `json:"nextSteps,omitempty"`
	Keywords    []string `json:"keywords,omitempty"`
}

type chatMetadata struct {
	// ThreadID groups the notices of one release in one chat thread: a rollback joins the deployment it rolls
	// back ("You can also thread custom notifications using the threadId parameter").
	ThreadID          string            `json:"threadId,omitempty"`
	Summary           string            `json:"summary"`
	EventType         string            `json:"eventType"`
	RelatedResources  []string          `json:"relatedResources,omitempty"`
	AdditionalContext map[string]string `json:"additionalContext,omitempty"`
}

// Chat is the notice as an AWS chat custom notification, JSON.
func (n Notice) Chat() ([]byte, error) {
	icon := map[string]string{"START": "🚀", "SUCCESS": "✅", "FAILURE": "❌", "STOP": "⏹️", "READY": "⏸️"}[n.State]
	if n.IsRollback() && n.State == "SUCCESS" {
		icon = "↩️"
	}
	var desc strings.Builder
	for _, d := range n.details() {
		if d[0] == "Console" {
			continue
		}
		fmt.Fprintf(&desc, "*%s:* %s\n", d[0], d[1])
	}
	c := chatNotification{
		Version: "1.0", Source: "custom", ID: n.EventID,
		Content: chatContent{
			TextType:    "client-markdown",
			Title:       strings.TrimSpace(icon + " " + n.Headline()),
			Description: truncate(desc.String(), 3500),
			Keywords:    compact(n.State, n.Function, n.Alias, n.ErrorCode),
		},
		Metadata: chatMetadata{
			ThreadID:  firstOf(n.RollbackOf, n.DeploymentID),
			Summary:   n.Subject(),
			EventType: n.State,
			AdditionalContext: compactMap(map[string]string{
				"deploymentId": n.DeploymentID, "function": n.Function, "alias": n.Alias,
				"fromVersion": n.FromVersion, "toVersion": n.ToVersion, "errorCode": n.ErrorCode,
			}),
		},
	}
	if url := n.ConsoleURL(); url != "" {
		c.Content.NextSteps = append(c.Content.NextSteps, "Open the deployment: "+url)
	}
	if n.State == "FAILURE" || n.State == "STOP" {
		c.Content.NextSteps = append(c.Content.NextSteps,
			"Read why above (a hook's report is in its log group), fix, and deploy again")
	}
	return json.Marshal(c)
}

// Message is the SNS message: a JSON object with one message per protocol, "default" (the chat notification, for
// HTTPS, SQS, Lambda… subscribers) and "email" (the text).
func (n Notice) Message() (string, error) {
	chat, err := n.Chat()
	if err != nil {
		return "", fmt.Errorf("notify: %w", err)
	}
	b, err := json.Marshal(map[string]string{"default": string(chat), "email": n.Text()})
	if err != nil {
		return "", fmt.Errorf("notify: %w", err)
	}
	return string(b), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - 1
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func compact(s ...string) []string {
	var out []string
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

func compactMap(m map[string]string) map[string]string {
	for k, v := range m {
		if v == "" {
			delete(m, k)
		}
	}
	return m
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
