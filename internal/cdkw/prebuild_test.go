package cdkw

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// fakeGo is a go command for prebuild.bash and cdkw, driven by FAKE_* variables: go list prints FAKE_STALE (or fails
// like a missing module under GOPROXY=off until go mod download ran, with FAKE_MISSING=1, or with FAKE_LIST_ERROR),
// go list -find and go list -e list the packages of an app whose cdk.json runs go run . (example.com/app and its
// handler), go mod download writes a 2 MB zip into the module cache after FAKE_SLEEP seconds, and go build -v prints the
// |-separated FAKE_BUILD lines, sleeping FAKE_SLEEP seconds at each SLEEP, and exits with FAKE_BUILD_STATUS. Each
// call's arguments go to FAKE_CALLS, and its Go environment to FAKE_CALLS.env.
const fakeGo = `#!/usr/bin/env bash
echo "$*" >>"$FAKE_CALLS"
echo "GOOS=${GOOS:-} GOARCH=${GOARCH:-} CGO_ENABLED=${CGO_ENABLED:-} GOFLAGS=${GOFLAGS:-} $1 $2" >>"$FAKE_CALLS.env"
case "$1 $2" in
"env GOMODCACHE") echo "$FAKE_MODCACHE" ;;
"env GOCACHE") echo /fake/go-build ;;
"list -deps")
  if [ -n "${FAKE_LIST_ERROR:-}" ]; then echo "$FAKE_LIST_ERROR" >&2; exit 1; fi
  if [ "${FAKE_MISSING:-}" = 1 ] && [ "${GOPROXY:-}" = off ] && [ ! -e "$FAKE_MODCACHE/downloaded" ]; then
    echo "go: github.com/aws/aws-cdk-go/awscdk/v2@v2.276.0: module lookup disabled by GOPROXY=off" >&2
    exit 1
  fi
  printf '%s\n' "$FAKE_STALE" ;;
"mod download")
  echo "# get https://proxy.golang.org/example.com/big/@v/v1.0.0.zip" >&2
  sleep "$FAKE_SLEEP"
  mkdir -p "$FAKE_MODCACHE/cache/download"
  head -c 2097152 /dev/zero >"$FAKE_MODCACHE/cache/download/big.zip"
  echo "# get https://proxy.golang.org/example.com/big/@v/v1.0.0.zip: 200 OK (3.0s)" >&2
  touch "$FAKE_MODCACHE/downloaded" ;;
"list -find") echo example.com/app ;;
"list -e") printf 'example.com/app\nexample.com/app/handler\n' ;;
"build -v")
  IFS='|' read -ra lines <<<"$FAKE_BUILD"
  for l in "${lines[@]}"; do
    if [ "$l" = SLEEP ]; then sleep "$FAKE_SLEEP"; else echo "$l" >&2; fi
  done
  exit "${FAKE_BUILD_STATUS:-0}" ;;
*) echo "fake go: unexpected $*" >&2; exit 2 ;;
esac
`

const (
	app   = "github.com/safeship/lambda-bluegreen/examples/app"
	stale = "runtime\ngithub.com/aws/aws-cdk-go/awscdk/v2\n\n" + app + " main"
	// The interval the tests ask for (CDKW_PROGRESS_INTERVAL), the fake's sleeps, and the longest silence allowed:
	// the interval, plus prebuild.bash's 1 s poll, plus slack for a busy machine.
	interval  = 1
	fakeSleep = "4.5"
	maxSilent = 3500 * time.Millisecond
)

type line struct {
	at   time.Duration // since the command started
	text string
}

type fake struct {
	env   []string
	calls string
	bin   string // the folder first on the fake's PATH
}

// bash is the bash the fake's PATH finds: CDKW_TEST_BASH's when set.
func (f fake) bash() string {
	if b := os.Getenv("CDKW_TEST_BASH"); b != "" {
		return b
	}
	return "bash"
}

func newFake(t *testing.T, vars ...string) fake {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(fakeGo), 0o755); err != nil {
		t.Fatal(err)
	}
	// CDKW_TEST_BASH names another bash (macOS's 3.2, say) for cdkw, prebuild.bash and the fake go to run under:
	// it goes first on PATH as bash, which is what #!/usr/bin/env bash and cdkw's bash prebuild.bash run.
	if b := os.Getenv("CDKW_TEST_BASH"); b != "" {
		if err := os.Symlink(b, filepath.Join(bin, "bash")); err != nil {
			t.Fatal(err)
		}
	}
	f := fake{calls: filepath.Join(dir, "calls"), bin: bin}
	f.env = append(os.Environ(),
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"CDKW_PROGRESS_INTERVAL=1",
		"FAKE_CALLS="+f.calls,
		"FAKE_MODCACHE="+filepath.Join(dir, "mod"),
		"FAKE_SLEEP="+fakeSleep,
		"FAKE_STALE="+stale,
	)
	f.env = append(f.env, vars...)
	return f
}

// run runs cmd with the fake's environment and returns its stderr lines, timed as they come, and its error.
func (f fake) run(t *testing.T, cmd *exec.Cmd) ([]line, error) {
	t.Helper()
	cmd.Env = f.env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []line
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		lines = append(lines, line{time.Since(start), sc.Text()})
	}
	err = cmd.Wait()
	lines = append(lines, line{time.Since(start), "(exit)"})
	for _, l := range lines {
		t.Logf("%5.1fs %s", l.at.Seconds(), l.text)
	}
	return lines, err
}

func (f fake) prebuild(t *testing.T) ([]line, error) {
	t.Helper()
	return f.run(t, exec.Command(f.bash(), "prebuild.bash", "./examples/app"))
}

// called reports the fake go calls that start with prefix.
func (f fake) called(t *testing.T, prefix string) []string {
	t.Helper()
	b, err := os.ReadFile(f.calls)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var got []string
	for _, c := range strings.Split(string(b), "\n") {
		if c != "" && strings.HasPrefix(c, prefix) {
			got = append(got, c)
		}
	}
	return got
}

// checkNeverSilent fails the test when more than maxSilent passes without a line, from the start to the exit.
func checkNeverSilent(t *testing.T, lines []line) {
	t.Helper()
	var prev time.Duration
	for _, l := range lines {
		if l.at-prev > maxSilent {
			t.Errorf("nothing printed for %.1fs before %q (at most %v with a %ds interval)",
				(l.at - prev).Seconds(), l.text, maxSilent, interval)
		}
		prev = l.at
	}
}

func find(lines []line, re string) (line, bool) {
	r := regexp.MustCompile(re)
	for _, l := range lines {
		if r.MatchString(l.text) {
			return l, true
		}
	}
	return line{}, false
}

func wantLine(t *testing.T, lines []line, re string) line {
	t.Helper()
	l, ok := find(lines, re)
	if !ok {
		t.Errorf("no line matches %q", re)
	}
	return l
}

func TestPrebuildSlowBuildPrintsProgress(t *testing.T) {
	t.Parallel()
	f := newFake(t, "FAKE_BUILD=runtime|SLEEP|github.com/aws/aws-cdk-go/awscdk/v2|SLEEP|"+app)
	lines, err := f.prebuild(t)
	if err != nil {
		t.Fatalf("prebuild.bash failed: %v", err)
	}
	checkNeverSilent(t, lines)
	wantLine(t, lines, `^cdkw: first build of the app: Go compiles 3 packages`)
	p := wantLine(t, lines, `^cdkw: building the app: 1 of 3 packages compiled, \d+s so far$`)
	if p.at > maxSilent {
		t.Errorf("first progress line at %v, want it within %v (the %ds interval, the poll and some slack)", p.at, maxSilent, interval)
	}
	wantLine(t, lines, `^cdkw: building the app: 2 of 3 packages compiled, \d+s so far$`)
	wantLine(t, lines, `^cdkw: built the app \(3 packages compiled\) in \d+s$`)
	if last := lines[len(lines)-2].text; last != "cdkw: the CDK CLI runs the app now" {
		t.Errorf("last line %q, want it to say the build finished", last)
	}
	if got := f.called(t, "build"); len(got) != 1 || got[0] != "build -v -o /dev/null ./examples/app" {
		t.Errorf("go build calls: %q", got)
	}
}

func TestPrebuildBuildsLambdaHandlersLikeGobuild(t *testing.T) {
	t.Parallel()
	f := newFake(t, "FAKE_STALE=runtime\ngithub.com/aws/aws-lambda-go/lambda\n"+app+" main",
		"FAKE_BUILD=runtime|SLEEP|github.com/aws/aws-lambda-go/lambda|"+app)
	lines, err := f.run(t, exec.Command(f.bash(), "prebuild.bash", "./examples/app", "./h1", "./h2"))
	if err != nil {
		t.Fatalf("prebuild.bash failed: %v", err)
	}
	checkNeverSilent(t, lines)
	wantLine(t, lines, `^cdkw: building the app: 3 packages to compile$`)
	wantLine(t, lines, `^cdkw: built the app \(3 packages compiled\)`)
	wantLine(t, lines, `^cdkw: building the app's Lambda handlers \(linux/arm64\): 3 packages to compile$`)
	wantLine(t, lines, `^cdkw: building the app's Lambda handlers \(linux/arm64\): 1 of 3 packages compiled, \d+s so far$`)
	wantLine(t, lines, `^cdkw: built the app's Lambda handlers \(linux/arm64\) \(3 packages compiled\) in \d+s$`)
	want := []string{"build -v -o /dev/null ./examples/app", "build -v -trimpath -tags=lambda.norpc -buildvcs=false ./h1 ./h2"}
	if got := f.called(t, "build"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("go build calls:\n%q\nwant\n%q", got, want)
	}
	// The handlers' go list and go build run in the environment constructs/gobuild gives its go build.
	b, err := os.ReadFile(f.calls + ".env")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "GOOS=linux GOARCH=arm64 CGO_ENABLED=0 GOFLAGS= "); n != 2 {
		t.Errorf("%d go calls for linux/arm64 with CGO off and GOFLAGS empty, want 2 (list, build):\n%s", n, b)
	}
}

func TestPrebuildNothingStaleIsSilent(t *testing.T) {
	t.Parallel()
	f := newFake(t, "FAKE_STALE=\n"+app+" main\ngithub.com/safeship/lambda-bluegreen/constructs/bluegreen main")
	lines, err := f.prebuild(t)
	if err != nil {
		t.Fatalf("prebuild.bash failed: %v", err)
	}
	if len(lines) != 1 {
		t.Errorf("printed %d lines when only this module's packages are stale, want none", len(lines)-1)
	}
	if got := f.called(t, "build"); len(got) != 0 {
		t.Errorf("built the app when nothing was stale: %q", got)
	}
	if at := lines[len(lines)-1].at; at > 2*time.Second {
		t.Errorf("took %v with nothing to build", at)
	}
}

func TestPrebuildDownloadsMissingModulesWithProgress(t *testing.T) {
	t.Parallel()
	f := newFake(t, "FAKE_MISSING=1", "FAKE_BUILD=runtime|github.com/aws/aws-cdk-go/awscdk/v2|"+app)
	lines, err := f.prebuild(t)
	if err != nil {
		t.Fatalf("prebuild.bash failed: %v", err)
	}
	checkNeverSilent(t, lines)
	wantLine(t, lines, `^cdkw: downloading the Go modules the app and its tests need`)
	wantLine(t, lines, `^cdkw: downloading Go modules: 0 done, 0 MB so far, \d+s$`)
	wantLine(t, lines, `^cdkw: downloaded Go modules \(1, 2 MB\) in \d+s$`)
	wantLine(t, lines, `^cdkw: built the app \(3 packages compiled\)`)
	if _, ok := find(lines, `^# get`); ok {
		t.Error("printed go mod download -x's request lines")
	}
}

func TestPrebuildFailedBuildShowsErrors(t *testing.T) {
	t.Parallel()
	f := newFake(t, "FAKE_BUILD=runtime|# "+app+"|examples/app/main.go:3:1: syntax error", "FAKE_BUILD_STATUS=1")
	lines, err := f.prebuild(t)
	if err == nil {
		t.Fatal("prebuild.bash succeeded after a failed build")
	}
	wantLine(t, lines, `^# `+app+`$`)
	wantLine(t, lines, `^examples/app/main.go:3:1: syntax error$`)
	wantLine(t, lines, `^cdkw: building the app failed after \d+s \(above\)$`)
}

func TestPrebuildLeavesOtherListErrorsToGoRun(t *testing.T) {
	t.Parallel()
	f := newFake(t, "FAKE_LIST_ERROR=examples/app/main.go:1:1: expected 'package', found 'EOF'")
	lines, err := f.prebuild(t)
	if err != nil {
		t.Fatalf("prebuild.bash failed: %v", err)
	}
	if len(lines) != 1 {
		t.Errorf("printed %d lines, want none (go run under the CDK CLI reports the error)", len(lines)-1)
	}
	if got := f.called(t, "build"); len(got) != 0 {
		t.Errorf("built the app after go list failed: %q", got)
	}
}

// TestCdkwBuildsOnlyItsOwnApp runs ./cdkw with the fake go and a fake CDK CLI in place of the pinned one: the build
// with progress comes before the CLI for synth, and not at all with --app or for --version.
func TestCdkwBuildsOnlyItsOwnApp(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("cdkw needs Node.js")
	}
	root, cliDir := fakeCLI(t)
	for _, tc := range []struct {
		args  []string
		build bool
	}{
		{[]string{"synth", "--quiet"}, true},
		{[]string{"synth", "--app", "cdk.out"}, false},
		{[]string{"deploy", "-a", "cdk.out", "--all"}, false},
		{[]string{"--version"}, false},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			f := newFake(t, "LAMBDA_BLUEGREEN_CDK_DIR="+cliDir, "FAKE_BUILD=runtime|github.com/aws/aws-cdk-go/awscdk/v2|"+app)
			lines, err := f.run(t, exec.Command(filepath.Join(root, "cdkw"), tc.args...))
			if err != nil {
				t.Fatalf("./cdkw failed: %v", err)
			}
			checkNeverSilent(t, lines)
			cli := wantLine(t, lines, `^fake cdk: --no-notices `+regexp.QuoteMeta(strings.Join(tc.args, " "))+`$`)
			built, ok := find(lines, `^cdkw: built the app`)
			if tc.build && (!ok || built.at > cli.at) {
				t.Error("the CLI ran before the app was built")
			}
			if got := f.called(t, ""); !tc.build && len(got) != 0 {
				t.Errorf("ran go with --app or without a synth: %q", got)
			}
		})
	}
}

// fakeCLI returns the repository's root and a folder for LAMBDA_BLUEGREEN_CDK_DIR where cdkw finds, in place of
// the pinned CDK CLI, a fake that prints its arguments and its working directory.
func fakeCLI(t *testing.T) (root, cliDir string) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("cdkw needs Node.js")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	pin := filepath.Join(root, ".cdk")
	b, err := os.ReadFile(filepath.Join(pin, "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct {
		DevDependencies map[string]string `json:"devDependencies"`
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for _, n := range []string{"package.json", "package-lock.json", ".npmrc"} {
		b, err := os.ReadFile(filepath.Join(pin, n))
		if err != nil {
			t.Fatal(err)
		}
		h.Write(b)
	}
	cliDir = t.TempDir()
	bin := filepath.Join(cliDir, "aws-cdk-"+pkg.DevDependencies["aws-cdk"]+"-"+hex.EncodeToString(h.Sum(nil))[:16], "node_modules", ".bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	fake := "#!/bin/sh\necho \"fake cdk: $*\" >&2\necho \"fake cdk in $PWD\" >&2\n"
	if err := os.WriteFile(filepath.Join(bin, "cdk"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	return root, cliDir
}

// TestCdkwRunsTheAppOfTheWorkingDirectory: ./cdkw run in another app's folder (one with a cdk.json) runs the CLI
// there, not on this repository's example, and builds nothing of this repository; without a cdk.json outside the
// repository, a command that runs an app is refused, and one that runs none (--version) runs there.
func TestCdkwRunsTheAppOfTheWorkingDirectory(t *testing.T) {
	t.Parallel()
	root, cliDir := fakeCLI(t)
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "cdk.json"), []byte(`{"app": "node app.js"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	for _, tc := range []struct {
		name, dir string
		args      []string
		refused   bool
	}{
		{"an app with its own cdk.json", other, []string{"synth"}, false},
		{"no cdk.json outside the repository", empty, []string{"synth"}, true},
		{"no cdk.json, a command without an app", empty, []string{"--version"}, false},
		{"no cdk.json, a cloud assembly", empty, []string{"deploy", "--app", "cdk.out"}, false},
		{"no cdk.json, bootstrap of an account", empty, []string{"bootstrap", "aws://123456789012/us-east-1"}, false},
		{"no cdk.json, doctor", empty, []string{"doctor"}, false},
		{"no cdk.json, diff", empty, []string{"diff"}, true},
		{"no cdk.json, flags", empty, []string{"flags", "--unstable=flags"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, "LAMBDA_BLUEGREEN_CDK_DIR="+cliDir)
			cmd := exec.Command(filepath.Join(root, "cdkw"), tc.args...)
			cmd.Dir = tc.dir
			lines, err := f.run(t, cmd)
			var exit *exec.ExitError
			if tc.refused {
				if !errors.As(err, &exit) || exit.ExitCode() != 2 {
					t.Fatalf("cdkw %v in a folder without cdk.json: %v, want exit code 2", tc.args, err)
				}
				wantLine(t, lines, `^cdkw: `+regexp.QuoteMeta(tc.dir)+` has no cdk.json, so there is no app to run here`)
				if _, ok := find(lines, `^fake cdk`); ok {
					t.Error("the CLI ran")
				}
				return
			}
			if err != nil {
				t.Fatalf("cdkw %v: %v", tc.args, err)
			}
			wantLine(t, lines, `^fake cdk in `+regexp.QuoteMeta(tc.dir)+`$`)
			if got := f.called(t, ""); len(got) != 0 {
				t.Errorf("ran go for an app that is not a go run: %q", got)
			}
		})
	}
}

// TestCdkwInANewApp: the cdkw bluegreen init copies into a new app, with .cdk beside it and no repository around
// it, builds the app that cdk.json's go run names and its other main packages (its Lambda handlers) with progress
// before the CLI runs, in the app's folder: for bluegreen init's go run . and for cdk init's go mod download &&
// go run FILE.go, whose package (the folder's) is no handler.
func TestCdkwInANewApp(t *testing.T) {
	t.Parallel()
	root, cliDir := fakeCLI(t)
	for _, tc := range []struct{ app, pkg string }{
		{"go run .", "."},
		{"go mod download && go run app.go", "app.go"},
		{"go run ./cmd/app", "./cmd/app"},
	} {
		t.Run(tc.app, func(t *testing.T) {
			t.Parallel()
			app := newApp(t, root, t.TempDir(), tc.app)
			f := newFake(t, "LAMBDA_BLUEGREEN_CDK_DIR="+cliDir, "FAKE_STALE=github.com/aws/aws-cdk-go/awscdk/v2\nexample.com/app main",
				"FAKE_BUILD=github.com/aws/aws-cdk-go/awscdk/v2|example.com/app")
			cmd := exec.Command(filepath.Join(app, "cdkw"), "synth")
			cmd.Dir = app
			lines, err := f.run(t, cmd)
			if err != nil {
				t.Fatalf("cdkw synth: %v", err)
			}
			cli := wantLine(t, lines, `^fake cdk in `+regexp.QuoteMeta(app)+`$`)
			if built, ok := find(lines, `^cdkw: built the app \(`); !ok || built.at > cli.at {
				t.Error("the CLI ran before the app was built")
			}
			wantLine(t, lines, `^cdkw: built the app's Lambda handlers \(linux/arm64\)`)
			builds := f.called(t, "build")
			if len(builds) != 2 || !strings.HasSuffix(builds[0], " "+tc.pkg) || !strings.HasSuffix(builds[1], " example.com/app/handler") {
				t.Errorf("go builds: %q, want the app (%s) and then its handler alone", builds, tc.pkg)
			}
			// The fake's go list -find names example.com/app, the package of the folder: for app.go, cdkw asks
			// for the folder's (.), not for app.go's (command-line-arguments, which no go list ./... names).
			want := tc.pkg
			if want == "app.go" {
				want = "."
			}
			if got := f.called(t, "list -find"); len(got) != 1 || !strings.HasSuffix(got[0], " "+want) {
				t.Errorf("go list -find calls: %q, want one for %s", got, want)
			}
		})
	}
}

// newApp makes dir an app as bluegreen init makes one, with the cdkw and .cdk files of the repository in root, and
// a cdk.json whose app is appCmd; it returns dir.
func newApp(t *testing.T, root, dir, appCmd string) string {
	t.Helper()
	for from, to := range map[string]string{"cdkw": "cdkw", ".cdk/package.json": ".cdk/package.json",
		".cdk/package-lock.json": ".cdk/package-lock.json", ".cdk/.npmrc": ".cdk/.npmrc",
		"internal/cdkw/prebuild.bash": ".cdk/prebuild.bash"} {
		b, err := os.ReadFile(filepath.Join(root, from))
		if err == nil {
			err = os.MkdirAll(filepath.Join(dir, ".cdk"), 0o755)
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, to), b, 0o755)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	cdkJSON, err := json.Marshal(map[string]string{"app": appCmd})
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "cdk.json"), cdkJSON, 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
	return dir
}
