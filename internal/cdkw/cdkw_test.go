package cdkw

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// bash4Only are constructs of bash 4 and later, which macOS's bash (3.2, what #!/usr/bin/env bash finds there)
// cannot run: each would stop cdkw, under set -e, in every app bluegreen init made.
var bash4Only = []struct{ what, re string }{
	{"mapfile/readarray", `\b(mapfile|readarray)\b`},
	{"associative, nameref or global declarations", `\b(declare|local|typeset)\s+-[a-zA-Z]*[AngL]`},
	{"case modification ${v,,} ${v^^}", `\$\{[#!]?[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?(,|\^)`},
	{"${v@Q} transformations", `\$\{[^}]*@[QEPAaKkUuL]\}`},
	{"negative array index", `\$\{[A-Za-z_][A-Za-z0-9_]*\[\s*-`},
	{"|& and &>>", `\|&|&>>`},
	{"coproc", `\bcoproc\b`},
	{";& and ;;& in case", `;;?&`},
	{"wait -n/-p", `\bwait\s+-[np]`},
	{"{fd}> redirections", `\{[A-Za-z_][A-Za-z0-9_]*\}[<>]`},
	{"printf %(...)T", `%\(`},
	{"test -v", `(\[\[?|\btest)\s+-v\b`},
	{"bash 4+ variables", `\b(BASHPID|EPOCHSECONDS|EPOCHREALTIME|BASH_ARGV0)\b`},
	{"bash 4+ shell options", `shopt\s+-s\s+(globstar|lastpipe|inherit_errexit|autocd|checkjobs|dirspell)`},
	{"local -", `\blocal\s+-\s*$`},
	{"read -t with a fraction or -i", `\bread\s+(-[a-zA-Z]*\s+)*-(t\s*[0-9]*\.|[a-zA-Z]*i)`},
}

// emptyArray matches "${name[@]}" outside ${name[@]+...}: bash before 4.4 takes it, for an empty array, for an unset
// variable under set -u.
var emptyArray = regexp.MustCompile(`(\$\{([A-Za-z_][A-Za-z0-9_]*)\[@\]\+)?"\$\{([A-Za-z_][A-Za-z0-9_]*)\[@\]\}"`)

// neverEmpty are the arrays of the scripts assigned a literal list of words.
var neverEmpty = map[string]bool{"lambda_env": true, "lambda_flags": true}

// TestScriptsRunOnBash32 reads cdkw and prebuild.bash for what macOS's bash 3.2 cannot run: the bash 4 constructs
// above, and "${a[@]}" of an array that may be empty (to be written ${a[@]+"${a[@]}"}). It is a static check
// because no bash 3.2 comes with this machine, CI's or a Linux developer's; with one (built from bash's source,
// or macOS's /bin/bash), CDKW_TEST_BASH=/path/to/bash go test ./internal/cdkw/ runs every test of cdkw and
// prebuild.bash under it.
func TestScriptsRunOnBash32(t *testing.T) {
	t.Parallel()
	for _, script := range []string{"../../cdkw", "prebuild.bash"} {
		b, err := os.ReadFile(script)
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), "#") {
				continue
			}
			for _, c := range bash4Only {
				if regexp.MustCompile(c.re).MatchString(l) {
					t.Errorf("%s:%d: %s needs bash 4 or later (macOS has 3.2): %s", script, i+1, c.what, l)
				}
			}
			for _, m := range emptyArray.FindAllStringSubmatch(l, -1) {
				if guard, name := m[2], m[3]; guard != name && !neverEmpty[name] {
					t.Errorf("%s:%d: \"${%s[@]}\" fails under set -u on bash before 4.4 when the array is empty;"+
						" write ${%[3]s[@]+\"${%[3]s[@]}\"}: %s", script, i+1, name, l)
				}
			}
		}
	}
}

// TestScriptsRunOnBash32Checks: the patterns above catch what the review found (mapfile, an unguarded empty
// array) and leave the scripts' bash 3.2 forms alone.
func TestScriptsRunOnBash32Checks(t *testing.T) {
	t.Parallel()
	bad := []string{`mapfile -t handlers < <(go list)`, `declare -A seen`, `echo "${v,,}"`, `x="${a[-1]}"`,
		`go build |& tee log`, `coproc go build`, `wait -n`, `exec {fd}>log`, `[[ -v FOO ]]`, `a) x ;&`}
	for _, l := range bad {
		hit := false
		for _, c := range bash4Only {
			hit = hit || regexp.MustCompile(c.re).MatchString(l)
		}
		if !hit {
			t.Errorf("no bash 4 construct found in %q", l)
		}
	}
	for _, l := range []string{`bash "$prebuild" "$pkg" ${handlers[@]+"${handlers[@]}"}`, `env "${lambda_env[@]}" go`,
		`case "$1" in "# "*) ;; esac`, `echo "${k%%[[:space:]]*}"`, `exec 3<"$log"`, `wait "$child" || status=$?`} {
		for _, c := range bash4Only {
			if regexp.MustCompile(c.re).MatchString(l) {
				t.Errorf("%q taken for %s", l, c.what)
			}
		}
		for _, m := range emptyArray.FindAllStringSubmatch(l, -1) {
			if m[2] != m[3] && !neverEmpty[m[3]] {
				t.Errorf("%q taken for an unguarded array", l)
			}
		}
	}
	if m := emptyArray.FindStringSubmatch(`bash "$prebuild" "$pkg" "${handlers[@]}"`); m == nil || m[2] == m[3] {
		t.Error(`"${handlers[@]}" not taken for an unguarded array`)
	}
}

// TestCdkwQuotesInPaths: a quote and a space in the app's folder (so in cdkw's, .cdk's and cdk.json's paths) and in
// the CLI's install folder reach node as data: cdkw installs the CLI (a fake npm ci), builds the app and runs it.
func TestCdkwQuotesInPaths(t *testing.T) {
	t.Parallel()
	root, cliDir := fakeCLI(t)
	parent := filepath.Join(t.TempDir(), "it's here")
	if err := os.MkdirAll(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	app := newApp(t, root, parent, "go run .")
	// The pinned CLI's folder name, from fakeCLI's, under an install folder that holds a quote, and empty: cdkw
	// installs the CLI there with the fake npm below, which writes the fake CLI into --prefix.
	entries, err := os.ReadDir(cliDir)
	if err != nil || len(entries) != 1 {
		t.Fatalf("fakeCLI's folder: %v %v", entries, err)
	}
	install := filepath.Join(t.TempDir(), "o'neil's cache")
	f := newFake(t, "LAMBDA_BLUEGREEN_CDK_DIR="+install, "HOME="+parent,
		"FAKE_STALE=github.com/aws/aws-cdk-go/awscdk/v2\nexample.com/app main",
		"FAKE_BUILD=github.com/aws/aws-cdk-go/awscdk/v2|example.com/app")
	npm := `#!/bin/sh
prefix=""
while [ $# -gt 0 ]; do
  if [ "$1" = --prefix ]; then prefix="$2"; fi
  shift
done
mkdir -p "$prefix/node_modules/.bin"
printf '#!/bin/sh\necho "fake cdk: $*" >&2\necho "fake cdk in $PWD" >&2\n' >"$prefix/node_modules/.bin/cdk"
chmod +x "$prefix/node_modules/.bin/cdk"
`
	if err := os.WriteFile(filepath.Join(f.bin, "npm"), []byte(npm), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, run := range []string{"installs the CLI", "finds it installed"} {
		cmd := exec.Command(filepath.Join(app, "cdkw"), "synth")
		cmd.Dir = app
		lines, err := f.run(t, cmd)
		if err != nil {
			t.Fatalf("%s: cdkw synth: %v", run, err)
		}
		wantLine(t, lines, `^fake cdk in `+regexp.QuoteMeta(app)+`$`)
		if run == "installs the CLI" {
			wantLine(t, lines, `^cdkw: installing the pinned CDK CLI \(aws-cdk [^)]+\) into `+
				regexp.QuoteMeta(filepath.Join(install, entries[0].Name()))+`$`)
			wantLine(t, lines, `^cdkw: built the app \(`)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(install, ".install-*")); len(left) != 0 {
		t.Errorf("install folders left: %q", left)
	}
}

// TestCdkwThroughSymbolicLinks: a checkout reached through a symbolic link, and cdkw linked from a folder on PATH,
// run the example from the checkout's folders instead of refusing them as outside the repository (or, for the
// link, not finding .cdk).
func TestCdkwThroughSymbolicLinks(t *testing.T) {
	t.Parallel()
	root, cliDir := fakeCLI(t)
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		t.Fatal(err)
	}
	links := t.TempDir()
	checkout := filepath.Join(links, "checkout")
	onPath := filepath.Join(links, "bin")
	if err := os.Symlink(real, checkout); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(onPath, 0o755); err != nil {
		t.Fatal(err)
	}
	// A relative link, as ln -s ../checkout/cdkw makes it, to the checkout's link.
	if err := os.Symlink(filepath.Join("..", "checkout", "cdkw"), filepath.Join(onPath, "cdkw")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, cdkw, dir string }{
		{"the checkout's cdkw, in its folder reached through a link", filepath.Join(real, "cdkw"),
			filepath.Join(checkout, "examples")},
		{"cdkw through the link, in the checkout's folder", filepath.Join(checkout, "cdkw"), filepath.Join(real, "examples")},
		{"cdkw linked on PATH, in the checkout's folder", filepath.Join(onPath, "cdkw"), filepath.Join(real, "examples")},
		{"cdkw linked on PATH, through the link", filepath.Join(onPath, "cdkw"), filepath.Join(checkout, "examples")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// PWD as a shell that cd'ed into dir sets it: the logical path, through the link.
			f := newFake(t, "LAMBDA_BLUEGREEN_CDK_DIR="+cliDir, "PWD="+tc.dir,
				"FAKE_BUILD=runtime|github.com/aws/aws-cdk-go/awscdk/v2|"+app)
			cmd := exec.Command(tc.cdkw, "synth")
			cmd.Dir = tc.dir
			lines, err := f.run(t, cmd)
			if err != nil {
				t.Fatalf("cdkw synth: %v", err)
			}
			wantLine(t, lines, `^fake cdk in `+regexp.QuoteMeta(real)+`$`)
			wantLine(t, lines, `^cdkw: built the app \(`)
			if got := f.called(t, "build"); len(got) == 0 || got[0] != "build -v -o /dev/null ./examples/app" {
				t.Errorf("go builds %q, want the example's", got)
			}
		})
	}
}
