package githubactions

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/safeship/lambda-bluegreen/internal/check"
)

// Repository is matched against the subject claim of GitHub's OIDC token, which names the repository as
// "repo:OWNER/NAME:…" ("Syntax: repo:<orgName/repoName>:environment:<environmentName>", "Syntax:
// repo:<orgName/repoName>:ref:refs/heads/branchName", GitHub Docs, "OpenID Connect", Example subject claims,
// https://docs.github.com/en/actions/concepts/security/openid-connect). The trust policy compares it with
// StringEquals, so anything but OWNER/NAME exactly as the claim spells it (a URL, a clone address, a ".git"
// suffix) yields a role no workflow can assume.
var (
	// GitHub user and organization names: letters, digits and single hyphens, not at either end, at most 39
	// characters (the rules GitHub's sign-up form enforces, collected in dead-claudia/github-limits).
	ownerPattern = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9]|-[A-Za-z0-9]){0,38}$`)
	// Repository names: ASCII letters, digits, '.', '-' and '_', at most 100 characters ("The repository name
	// can only contain ASCII letters, digits, and the characters ., -, and _", "Name cannot be more than 100
	// characters", GitHub's messages as quoted in github/docs#44518). A name never ends in ".git": "The .git
	// extension will be removed" when a repository is created (same issue), and GitHub's REST API names a
	// repository "without the .git extension" (REST API reference, path parameter repo).
	repoPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)
	// The CDK bootstrap template's AllowedPattern for its Qualifier parameter.
	qualifierPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,10}$`)
	accountPattern   = regexp.MustCompile(`^[0-9]{12}$`)
	regionPattern    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
)

// Limits IAM sets on a role.
const (
	minSessionDuration = time.Hour
	maxSessionDuration = 12 * time.Hour
	maxDescription     = 1000
)

// wildcard reports whether s holds a character that IAM's StringLike treats as a wildcard. The trust policy
// compares with StringEquals, where they are literal, but a name holding one is a mistake, most often an attempt
// to let more in than one repository, branch or environment.
func wildcard(s string) bool {
	return strings.ContainsAny(s, "*?")
}

// validate returns every problem in p, joined.
func (p DeployRoleProps) validate() error {
	var errs []error
	errs = append(errs, validateRepository(p.Repository)...)
	if len(p.Branches) == 0 && len(p.Environments) == 0 {
		//lint:ignore ST1005 it starts with the Go name of the field it is about (STYLE: errors name the field)
		errs = append(errs, errors.New("Branches or Environments must name at least one branch or GitHub environment "+
			"whose jobs may assume the role, got none"))
	}
	seen := map[string]bool{}
	for i, b := range p.Branches {
		field := fmt.Sprintf("Branches[%d]", i)
		if err := validateBranch(b); err != nil {
			errs = append(errs, fmt.Errorf("%s %w", field, err))
		} else if seen[b] {
			errs = append(errs, fmt.Errorf("%s: branch %q is listed twice", field, b))
		}
		seen[b] = true
	}
	seen = map[string]bool{}
	for i, e := range p.Environments {
		field := fmt.Sprintf("Environments[%d]", i)
		if err := validateEnvironment(e); err != nil {
			errs = append(errs, fmt.Errorf("%s %w", field, err))
		} else if seen[e] {
			errs = append(errs, fmt.Errorf("%s: environment %q is listed twice", field, e))
		}
		seen[e] = true
	}
	if p.Qualifier != nil && !check.IsToken(*p.Qualifier) && !qualifierPattern.MatchString(*p.Qualifier) {
		//lint:ignore ST1005 it starts with the Go name of the field it is about (STYLE: errors name the field)
		errs = append(errs, fmt.Errorf("Qualifier must be the CDK bootstrap qualifier, 1 to 10 letters, digits, "+
			"'_' or '-', got %q", *p.Qualifier))
	}
	errs = append(errs, validateList("Accounts", "an AWS account id of 12 digits", p.Accounts, accountPattern)...)
	errs = append(errs, validateList("Regions", "an AWS region such as eu-west-1", p.Regions, regionPattern)...)
	if d := p.MaxSessionDuration; d != 0 && (d < minSessionDuration || d > maxSessionDuration || d%time.Second != 0) {
		errs = append(errs, fmt.Errorf("MaxSessionDuration must be whole seconds between 1 and 12 hours, got %s", d))
	}
	if p.Description != nil && len(*p.Description) > maxDescription {
		//lint:ignore ST1005 it starts with the Go name of the field it is about (STYLE: errors name the field)
		errs = append(errs, fmt.Errorf("Description must be at most %d characters, got %d", maxDescription,
			len(*p.Description)))
	}
	return errors.Join(errs...)
}

func validateRepository(r string) []error {
	owner, name, ok := strings.Cut(r, "/")
	switch {
	case check.IsToken(r):
		return nil
	case r == "":
		//lint:ignore ST1005 it starts with the Go name of the field it is about (STYLE: errors name the field)
		return []error{errors.New(`Repository must name one repository as "owner/name", got none`)}
	case wildcard(r):
		//lint:ignore ST1005 it starts with the Go name of the field it is about (STYLE: errors name the field)
		return []error{fmt.Errorf("Repository must name one repository, got %q: a wildcard would let other "+
			"repositories assume the role", r)}
	case strings.Contains(r, "://") || strings.HasPrefix(r, "git@") || strings.HasPrefix(r, "github.com/") ||
		strings.HasPrefix(r, "www.github.com/"):
		msg := fmt.Sprintf(`Repository must be "owner/name" as GitHub's subject claim names it (repo:owner/name:…), `+
			`not a URL or clone address, got %q`, r)
		if s := repositoryOf(r); s != "" {
			msg += fmt.Sprintf(`: use %q`, s)
		}
		return []error{errors.New(msg)}
	case !ok || strings.Contains(name, "/"):
		//lint:ignore ST1005 it starts with the Go name of the field it is about (STYLE: errors name the field)
		return []error{fmt.Errorf(`Repository must be "owner/name", got %q`, r)}
	}
	var errs []error
	if !ownerPattern.MatchString(owner) {
		//lint:ignore ST1005 it starts with the Go name of the field it is about (STYLE: errors name the field)
		errs = append(errs, fmt.Errorf("Repository owner must be a GitHub user or organization name (letters, "+
			"digits and single hyphens, not first or last, at most 39), got %q", owner))
	}
	switch {
	case !repoPattern.MatchString(name) || name == "." || name == "..":
		//lint:ignore ST1005 it starts with the Go name of the field it is about (STYLE: errors name the field)
		errs = append(errs, fmt.Errorf("Repository name must be 1 to 100 letters, digits, '.', '-' or '_', got %q", name))
	case strings.HasSuffix(name, ".git"):
		//lint:ignore ST1005 it starts with the Go name of the field it is about (STYLE: errors name the field)
		errs = append(errs, fmt.Errorf("Repository name must not end in \".git\", got %q: GitHub removes the suffix "+
			"from a repository's name and the subject claim names the repository without it, so no workflow could "+
			"assume the role; use %q", name, owner+"/"+strings.TrimSuffix(name, ".git")))
	}
	return errs
}

// repositoryOf returns "owner/name" from the URL or clone address of a github.com repository
// (https://github.com/owner/name, github.com/owner/name, git@github.com:owner/name.git,
// ssh://git@github.com/owner/name.git…), or "" when r is none.
func repositoryOf(r string) string {
	s := r
	if _, rest, ok := strings.Cut(s, "://"); ok {
		s = rest
	}
	s = strings.TrimPrefix(strings.TrimPrefix(s, "git@"), "www.")
	rest, ok := strings.CutPrefix(s, "github.com")
	if !ok || rest == "" || !strings.ContainsRune(":/", rune(rest[0])) {
		return ""
	}
	rest = strings.TrimSuffix(strings.TrimSuffix(rest[1:], "/"), ".git")
	owner, name, ok := strings.Cut(rest, "/")
	if !ok || !ownerPattern.MatchString(owner) || !repoPattern.MatchString(name) || strings.HasSuffix(name, ".git") {
		return ""
	}
	return rest
}

// validateBranch checks b against the rules of git check-ref-format for a branch name, and refuses what would
// change the meaning of the subject: a wildcard, a colon (the subject's separator), or a full ref.
func validateBranch(b string) error {
	switch {
	case check.IsToken(b):
		return nil
	case b == "":
		return errors.New("must name a branch, got an empty string")
	case wildcard(b):
		return fmt.Errorf("must name one branch, got %q: a wildcard would let other branches assume the role", b)
	case strings.HasPrefix(b, "refs/"):
		return fmt.Errorf("must be a branch name such as %q, not a ref, got %q", strings.TrimPrefix(b, "refs/heads/"), b)
	case strings.IndexFunc(b, func(r rune) bool { return r < 0x20 || r == 0x7f || strings.ContainsRune(" ~^:?*[\\", r) }) >= 0:
		return fmt.Errorf("must be a valid git branch name (no space, control character or any of ~^:?*[\\), got %q", b)
	case strings.Contains(b, "..") || strings.Contains(b, "@{") || strings.Contains(b, "//") || b == "@" ||
		strings.HasPrefix(b, "/") || strings.HasSuffix(b, "/") || strings.HasSuffix(b, ".") ||
		strings.HasSuffix(b, ".lock") || strings.HasPrefix(b, ".") || strings.Contains(b, "/."):
		return fmt.Errorf("must be a valid git branch name (see git check-ref-format), got %q", b)
	}
	return nil
}

// validateEnvironment checks a GitHub environment name: at most 255 characters; no wildcard, no colon (the
// subject's separator), no control character, and no space at either end.
func validateEnvironment(e string) error {
	switch {
	case check.IsToken(e):
		return nil
	case e == "":
		return errors.New("must name a GitHub environment, got an empty string")
	case wildcard(e):
		return fmt.Errorf("must name one environment, got %q: a wildcard would let other environments assume the role", e)
	case len(e) > 255:
		return fmt.Errorf("must be at most 255 characters, got %d", len(e))
	case strings.Contains(e, ":") || strings.IndexFunc(e, unicode.IsControl) >= 0 || strings.TrimSpace(e) != e:
		return fmt.Errorf("must be a GitHub environment name without ':', control characters or spaces at either end, got %q", e)
	}
	return nil
}

func validateList(field, what string, values []string, pattern *regexp.Regexp) []error {
	var errs []error
	seen := map[string]bool{}
	for i, v := range values {
		switch {
		case check.IsToken(v):
		case !pattern.MatchString(v):
			errs = append(errs, fmt.Errorf("%s[%d] must be %s, got %q", field, i, what, v))
		case seen[v]:
			errs = append(errs, fmt.Errorf("%s[%d]: %q is listed twice", field, i, v))
		}
		seen[v] = true
	}
	return errs
}
