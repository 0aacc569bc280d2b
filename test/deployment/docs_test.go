package deployment

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/safeship/lambda-bluegreen/constructs/bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/dnsswitch"
	"github.com/safeship/lambda-bluegreen/constructs/githubactions"
	"github.com/safeship/lambda-bluegreen/constructs/gobuild"
	"github.com/safeship/lambda-bluegreen/constructs/notify"
	"github.com/safeship/lambda-bluegreen/constructs/pipeline"
	"github.com/safeship/lambda-bluegreen/test/testkit"
)

// TestDocsExamplesCompile type-checks the Go examples of the README and the guides (every ```go block that
// starts with an import), so that the docs keep matching the code. Each block becomes a file of a package that
// exists only in a go build overlay: nothing is written into the repository.
func TestDocsExamplesCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build; skipped with -short")
	}
	var blocks [][][]byte
	for _, f := range docFiles(t) {
		blocks = append(blocks, regexp.MustCompile("(?s)```go\n(import .*?)```").FindAllSubmatch(readDoc(t, f), -1)...)
	}
	if len(blocks) == 0 {
		t.Fatal("the docs have no Go example starting with an import")
	}
	root, err := filepath.Abs(testkit.RepoRoot)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	replace := map[string]string{}
	for i, b := range blocks {
		src := filepath.Join(tmp, fmt.Sprintf("example%d.go", i))
		if err := os.WriteFile(src, append([]byte("package readme\n\n"), b[1]...), 0o644); err != nil {
			t.Fatal(err)
		}
		replace[filepath.Join(root, "readmecheck", filepath.Base(src))] = src
	}
	overlay, _ := json.Marshal(map[string]interface{}{"Replace": replace})
	overlayFile := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(overlayFile, overlay, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "build", "-overlay", overlayFile, "-o", os.DevNull, "./readmecheck")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("a Go example of the docs does not compile: %v\n%s", err, out)
	}
}

// TestDocsPropsTables checks that the guides' props tables list every field of the props structs, so a new prop
// cannot go undocumented.
func TestDocsPropsTables(t *testing.T) {
	var docs []byte
	for _, f := range docFiles(t) {
		docs = append(docs, readDoc(t, f)...)
	}
	for _, typ := range []reflect.Type{
		reflect.TypeOf(bluegreen.DeploymentProps{}), reflect.TypeOf(gobuild.Options{}), reflect.TypeOf(pipeline.Props{}),
		reflect.TypeOf(dnsswitch.EnvironmentProps{}), reflect.TypeOf(dnsswitch.SwitchProps{}),
		reflect.TypeOf(notify.Props{}), reflect.TypeOf(githubactions.DeployRoleProps{}), reflect.TypeOf(gobuild.Props{}),
	} {
		for i := 0; i < typ.NumField(); i++ {
			if row := "| `" + typ.Field(i).Name + "` |"; !strings.Contains(string(docs), row) {
				t.Errorf("no guide has a table row for %s.%s", typ.Name(), typ.Field(i).Name)
			}
		}
	}
}

// docFiles lists the repository's documentation: the README, the changelog, the contributor notes and every guide
// under docs/, as paths relative to the repository root.
func docFiles(t testing.TB) []string {
	t.Helper()
	guides, err := filepath.Glob(filepath.Join(testkit.RepoRoot, "docs", "*.md"))
	if err != nil || len(guides) == 0 {
		t.Fatalf("no guides under docs/ (%v)", err)
	}
	files := []string{"README.md", "CHANGELOG.md", "CONTRIBUTING.md"}
	for _, g := range guides {
		rel, _ := filepath.Rel(testkit.RepoRoot, g)
		files = append(files, rel)
	}
	return files
}

// readDoc reads a documentation file given relative to the repository root.
func readDoc(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testkit.RepoRoot, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDocsLinks fails on a relative link of the docs that leads nowhere: a file that does not exist, or an anchor
// that is not a heading of its file (as GitHub names headings).
func TestDocsLinks(t *testing.T) {
	root, err := filepath.Abs(testkit.RepoRoot)
	if err != nil {
		t.Fatal(err)
	}
	files := docFiles(t)
	for _, f := range files {
		for _, problem := range brokenLinks(root, f) {
			t.Errorf("%s: %s", f, problem)
		}
	}
	readme := string(readDoc(t, "README.md"))
	for _, f := range files[1:] {
		if !strings.Contains(readme, "("+f+")") {
			t.Errorf("the README does not link %s", f)
		}
	}
	if n := strings.Count(readme, "\n"); n > 250 {
		t.Errorf("the README has %d lines; keep it at most 250 and move details into a guide under docs/", n)
	}
}

// The link check finds what it is for: a missing file, a missing anchor, in a file and across files; and it
// accepts links that work, links outside the docs and links inside code.
func TestDocsLinksCheckerFindsBrokenLinks(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("docs/guide.md", "# A guide\n\n## `bluegreen.DeploymentProps`\n\n## Roll back, by hand (`cmd/x`)\n")
	write("README.md", strings.Join([]string{
		"# Title", "",
		"[ok](docs/guide.md) [ok](docs/guide.md#bluegreendeploymentprops) [ok](docs/guide.md#roll-back-by-hand-cmdx)",
		"[ok](#title) [ok](https://example.com/x) [ok](docs/) [ok](examples/) `[not a link](nowhere.md)`",
		"[gone](docs/missing.md) [bad anchor](docs/guide.md#nope) [bad here](#nope)",
		"```", "[in code](nowhere.md)", "```",
	}, "\n"))
	write("examples/x.go", "package x\n")
	got := brokenLinks(dir, "README.md")
	want := []string{
		"link docs/missing.md: no such file",
		"link docs/guide.md#nope: docs/guide.md has no heading with the anchor nope",
		"link #nope: README.md has no heading with the anchor nope",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("brokenLinks = %q, want %q", got, want)
	}
}

var (
	mdLink     = regexp.MustCompile(`\[[^\]]*\]\(([^)\s]+)\)`)
	codeSpan   = regexp.MustCompile("`[^`]*`")
	notInSlug  = regexp.MustCompile(`[^\p{L}\p{N}\- _]`)
	mdHeading  = regexp.MustCompile(`^#{1,6} (.*)$`)
	externalRe = regexp.MustCompile(`^[a-z][a-z0-9+.-]*:`)
)

// brokenLinks checks the relative links of the markdown file rel (relative to root), outside code blocks and code
// spans, and describes each one that leads nowhere.
func brokenLinks(root, rel string) []string {
	text, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	for _, line := range proseLines(string(text)) {
		for _, m := range mdLink.FindAllStringSubmatch(codeSpan.ReplaceAllString(line, ""), -1) {
			target := m[1]
			if externalRe.MatchString(target) {
				continue
			}
			path, anchor, _ := strings.Cut(target, "#")
			file := rel
			if path != "" {
				file = filepath.Join(filepath.Dir(rel), path)
				if _, err := os.Stat(filepath.Join(root, file)); err != nil {
					problems = append(problems, fmt.Sprintf("link %s: no such file", target))
					continue
				}
			}
			if anchor == "" {
				continue
			}
			if !anchors(filepath.Join(root, file))[anchor] {
				problems = append(problems, fmt.Sprintf("link %s: %s has no heading with the anchor %s", target, filepath.ToSlash(file), anchor))
			}
		}
	}
	return problems
}

// proseLines returns the lines of a markdown text outside fenced code blocks.
func proseLines(text string) []string {
	var lines []string
	fenced := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
			continue
		}
		if !fenced {
			lines = append(lines, line)
		}
	}
	return lines
}

// anchors returns the anchors GitHub gives the headings of a markdown file: lower case, punctuation but hyphens and
// underscores dropped, spaces made hyphens, and -1, -2… added to a repeated one.
func anchors(file string) map[string]bool {
	text, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	seen := map[string]int{}
	out := map[string]bool{}
	for _, line := range proseLines(string(text)) {
		m := mdHeading.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		slug := strings.ReplaceAll(notInSlug.ReplaceAllString(strings.ToLower(strings.TrimSpace(m[1])), ""), " ", "-")
		if n := seen[slug]; n > 0 {
			out[fmt.Sprintf("%s-%d", slug, n)] = true
		} else {
			out[slug] = true
		}
		seen[slug]++
	}
	return out
}
