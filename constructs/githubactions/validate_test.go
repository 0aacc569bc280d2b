package githubactions

import (
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	ok := DeployRoleProps{Repository: "my-org/my.service_1", Branches: []string{"main", "release/2026-12"},
		Environments: []string{"prod", "Staging EU"}}
	str := func(s string) *string { return &s }
	cases := []struct {
		name  string
		props func(p *DeployRoleProps)
		want  []string // substrings of the error; none means valid
	}{
		{"valid", func(p *DeployRoleProps) {}, nil},
		{"a branch alone", func(p *DeployRoleProps) { p.Environments = nil }, nil},
		{"an environment alone", func(p *DeployRoleProps) { p.Branches = nil }, nil},
		{"tokens are skipped", func(p *DeployRoleProps) {
			p.Repository, p.Accounts, p.Regions = "${Token[TOKEN.1]}", []string{"${Token[TOKEN.2]}"}, []string{"${Token[TOKEN.3]}"}
		}, nil},
		{"explicit targets", func(p *DeployRoleProps) {
			p.Accounts, p.Regions, p.Qualifier = []string{"111111111111", "222222222222"}, []string{"eu-west-1", "us-gov-west-1"}, str("team_a-1")
			p.MaxSessionDuration = 12 * time.Hour
		}, nil},
		{"no repository", func(p *DeployRoleProps) { p.Repository = "" },
			[]string{`Repository must name one repository as "owner/name", got none`}},
		{"owner wildcard", func(p *DeployRoleProps) { p.Repository = "my-org/*" },
			[]string{`Repository must name one repository, got "my-org/*": a wildcard would let other repositories assume the role`}},
		{"question mark", func(p *DeployRoleProps) { p.Repository = "my-org/servic?" }, []string{"a wildcard"}},
		{"no owner", func(p *DeployRoleProps) { p.Repository = "my-service" }, []string{`Repository must be "owner/name", got "my-service"`}},
		{"three parts", func(p *DeployRoleProps) { p.Repository = "a/b/c" }, []string{`Repository must be "owner/name", got "a/b/c"`}},
		{"bad owner", func(p *DeployRoleProps) { p.Repository = "-org/x" }, []string{`Repository owner must be a GitHub user or organization name`, `got "-org"`}},
		{"double hyphen owner", func(p *DeployRoleProps) { p.Repository = "my--org/x" }, []string{`got "my--org"`}},
		{"long owner", func(p *DeployRoleProps) { p.Repository = strings.Repeat("a", 40) + "/x" }, []string{"Repository owner"}},
		{"bad name", func(p *DeployRoleProps) { p.Repository = "my-org/my service" }, []string{`Repository name must be 1 to 100`, `got "my service"`}},
		{"dot name", func(p *DeployRoleProps) { p.Repository = "my-org/.." }, []string{`Repository name`}},
		{"colon in repository", func(p *DeployRoleProps) { p.Repository = "my-org/x:environment:prod" }, []string{`Repository name`}},
		{"a .git suffix", func(p *DeployRoleProps) { p.Repository = "my-org/my-service.git" },
			[]string{`Repository name must not end in ".git", got "my-service.git": GitHub removes the suffix from a ` +
				`repository's name and the subject claim names the repository without it, so no workflow could assume ` +
				`the role; use "my-org/my-service"`}},
		{"an https URL", func(p *DeployRoleProps) { p.Repository = "https://github.com/my-org/my-service" },
			[]string{`Repository must be "owner/name" as GitHub's subject claim names it (repo:owner/name:…), not a URL ` +
				`or clone address, got "https://github.com/my-org/my-service": use "my-org/my-service"`}},
		{"a URL without scheme", func(p *DeployRoleProps) { p.Repository = "github.com/my-org/my-service" },
			[]string{`not a URL or clone address, got "github.com/my-org/my-service": use "my-org/my-service"`}},
		{"an https clone URL", func(p *DeployRoleProps) { p.Repository = "https://github.com/my-org/my-service.git" },
			[]string{`not a URL or clone address`, `use "my-org/my-service"`}},
		{"an ssh clone address", func(p *DeployRoleProps) { p.Repository = "git@github.com:my-org/my-service.git" },
			[]string{`not a URL or clone address, got "git@github.com:my-org/my-service.git": use "my-org/my-service"`}},
		{"a URL of a page of the repository", func(p *DeployRoleProps) { p.Repository = "https://github.com/my-org/my-service/tree/main" },
			[]string{`not a URL or clone address, got "https://github.com/my-org/my-service/tree/main"`}},
		{"another host", func(p *DeployRoleProps) { p.Repository = "https://gitlab.com/my-org/my-service" },
			[]string{`not a URL or clone address, got "https://gitlab.com/my-org/my-service"`}},
		{"git inside a name", func(p *DeployRoleProps) { p.Repository = "my-org/my.github.io" }, nil},
		{"a name that is only .git-like", func(p *DeployRoleProps) { p.Repository = "my-org/.github" }, nil},
		{"nothing trusted", func(p *DeployRoleProps) { p.Branches, p.Environments = nil, nil },
			[]string{"Branches or Environments must name at least one branch or GitHub environment whose jobs may assume the role, got none"}},
		{"branch wildcard", func(p *DeployRoleProps) { p.Branches = []string{"release/*"} },
			[]string{`Branches[0] must name one branch, got "release/*": a wildcard would let other branches assume the role`}},
		{"branch ref", func(p *DeployRoleProps) { p.Branches = []string{"refs/heads/main"} },
			[]string{`Branches[0] must be a branch name such as "main", not a ref, got "refs/heads/main"`}},
		{"branch colon", func(p *DeployRoleProps) { p.Branches = []string{"main:environment:prod"} },
			[]string{`Branches[0] must be a valid git branch name (no space, control character or any of ~^:?*[\)`}},
		{"branch dots", func(p *DeployRoleProps) { p.Branches = []string{"a/../b"} }, []string{`Branches[0] must be a valid git branch name (see git check-ref-format), got "a/../b"`}},
		{"branch lock", func(p *DeployRoleProps) { p.Branches = []string{"x.lock"} }, []string{`Branches[0] must be a valid git branch name`}},
		{"empty branch", func(p *DeployRoleProps) { p.Branches = []string{""} }, []string{`Branches[0] must name a branch, got an empty string`}},
		{"branch twice", func(p *DeployRoleProps) { p.Branches = []string{"main", "main"} }, []string{`Branches[1]: branch "main" is listed twice`}},
		{"environment wildcard", func(p *DeployRoleProps) { p.Environments = []string{"*"} },
			[]string{`Environments[0] must name one environment, got "*": a wildcard would let other environments assume the role`}},
		{"environment colon", func(p *DeployRoleProps) { p.Environments = []string{"prod:x"} }, []string{`Environments[0] must be a GitHub environment name without ':'`}},
		{"environment space", func(p *DeployRoleProps) { p.Environments = []string{" prod"} }, []string{`Environments[0] must be a GitHub environment name`}},
		{"environment long", func(p *DeployRoleProps) { p.Environments = []string{strings.Repeat("e", 256)} }, []string{`Environments[0] must be at most 255 characters, got 256`}},
		{"environment twice", func(p *DeployRoleProps) { p.Environments = []string{"prod", "prod"} }, []string{`Environments[1]: environment "prod" is listed twice`}},
		{"qualifier", func(p *DeployRoleProps) { p.Qualifier = str("toolongqualifier") },
			[]string{`Qualifier must be the CDK bootstrap qualifier, 1 to 10 letters, digits, '_' or '-', got "toolongqualifier"`}},
		{"account", func(p *DeployRoleProps) { p.Accounts = []string{"12345"} }, []string{`Accounts[0] must be an AWS account id of 12 digits, got "12345"`}},
		{"account wildcard", func(p *DeployRoleProps) { p.Accounts = []string{"*"} }, []string{`Accounts[0] must be an AWS account id`}},
		{"account twice", func(p *DeployRoleProps) { p.Accounts = []string{"111111111111", "111111111111"} }, []string{`Accounts[1]: "111111111111" is listed twice`}},
		{"region", func(p *DeployRoleProps) { p.Regions = []string{"eu-west-*"} }, []string{`Regions[0] must be an AWS region such as eu-west-1, got "eu-west-*"`}},
		{"short session", func(p *DeployRoleProps) { p.MaxSessionDuration = 30 * time.Minute },
			[]string{"MaxSessionDuration must be whole seconds between 1 and 12 hours, got 30m0s"}},
		{"long session", func(p *DeployRoleProps) { p.MaxSessionDuration = 13 * time.Hour }, []string{"MaxSessionDuration"}},
		{"description", func(p *DeployRoleProps) { p.Description = str(strings.Repeat("d", 1001)) }, []string{"Description must be at most 1000 characters, got 1001"}},
		{"every problem at once", func(p *DeployRoleProps) {
			p.Repository, p.Branches, p.Environments = "*", []string{"*"}, []string{"a:b"}
		}, []string{"Repository", "Branches[0]", "Environments[0]"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := ok
			p.Branches = append([]string(nil), ok.Branches...)
			p.Environments = append([]string(nil), ok.Environments...)
			tc.props(&p)
			err := p.validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("want no error, got %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want an error with %q, got none", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestSubjectsAndBootstrapRoleArn(t *testing.T) {
	if got, want := BranchSubject("o/r", "main"), "repo:o/r:ref:refs/heads/main"; got != want {
		t.Errorf("BranchSubject = %q, want %q", got, want)
	}
	if got, want := EnvironmentSubject("o/r", "prod"), "repo:o/r:environment:prod"; got != want {
		t.Errorf("EnvironmentSubject = %q, want %q", got, want)
	}
	// The name the CDK bootstrap template gives its roles: cdk-${Qualifier}-KIND-role-${AWS::AccountId}-${AWS::Region}.
	if got, want := BootstrapRoleArn("aws", "111111111111", "eu-west-1", DefaultQualifier, "file-publishing"),
		"arn:aws:iam::111111111111:role/cdk-hnb659fds-file-publishing-role-111111111111-eu-west-1"; got != want {
		t.Errorf("BootstrapRoleArn = %q, want %q", got, want)
	}
}
