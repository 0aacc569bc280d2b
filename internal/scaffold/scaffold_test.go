package scaffold

import (
	"bytes"
	"encoding/json"
	"go/format"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

// repoRoot is this repository's root, seen from the package's folder.
const repoRoot = "../.."

func mkdir(t *testing.T, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCheck(t *testing.T) {
	release := Library{Version: "v1.2.3"}
	full := mkdir(t, "main.go", "go.mod", "notes.txt", "z.txt")
	file := filepath.Join(mkdir(t, "a-file"), "a-file")
	cases := []struct {
		name  string
		opts  Options
		check func(t *testing.T, o Options)
		want  []string // parts of the error; none: no error
	}{
		{"a new folder: module and stack from its name", Options{Dir: filepath.Join(t.TempDir(), "my-app"), Library: release},
			func(t *testing.T, o Options) {
				if o.Module != "my-app" || o.Stack != "MyAppStack" || !filepath.IsAbs(o.Dir) {
					t.Errorf("got module %q, stack %q, dir %q", o.Module, o.Stack, o.Dir)
				}
			}, nil},
		{"an empty folder, a given module and stack", Options{Dir: t.TempDir(), Module: "example.com/team/orders",
			Stack: "Orders-Prod", Library: release}, func(t *testing.T, o Options) {
			if o.Module != "example.com/team/orders" || o.Stack != "Orders-Prod" {
				t.Errorf("got module %q, stack %q", o.Module, o.Stack)
			}
		}, nil},
		{"a name starting with a digit", Options{Dir: filepath.Join(t.TempDir(), "9lives_api"), Library: release},
			func(t *testing.T, o Options) {
				if o.Stack != "App9livesApiStack" {
					t.Errorf("stack %q", o.Stack)
				}
			}, nil},
		{"a folder that is not empty", Options{Dir: full, Library: release}, nil,
			[]string{full + " is not empty (it holds go.mod, main.go, notes.txt, …): the app needs a new or empty folder"}},
		{"a file", Options{Dir: file, Library: release}, nil, []string{file + " is a file"}},
		{"a folder name that is no module path", Options{Dir: filepath.Join(t.TempDir(), "my app"), Library: release}, nil,
			[]string{`the folder's name "my app" is not a module path, so give one with -module`}},
		{"a bad module path", Options{Dir: t.TempDir(), Module: "example.com//app", Library: release}, nil,
			[]string{`module path must be slash-separated elements`, `got "example.com//app"`}},
		{"a module path with a trailing dot", Options{Dir: t.TempDir(), Module: "example.", Library: release}, nil,
			[]string{`got "example."`}},
		{"a module path with a non-ASCII letter", Options{Dir: t.TempDir(), Module: "exämple.com/app", Library: release}, nil,
			[]string{`got "exämple.com/app"`}},
		{"a bad stack name", Options{Dir: t.TempDir(), Module: "app", Stack: "my_stack", Library: release}, nil,
			[]string{`stack name must be 1 to 128 letters, digits or '-' starting with a letter (CloudFormation's rule), got "my_stack"`}},
		{"no library version", Options{Dir: t.TempDir(), Module: "app"}, nil,
			[]string{`library version must be a module version such as v1.2.3, got ""`}},
		{"a library folder that is no checkout", Options{Dir: t.TempDir(), Module: "app", Library: Library{Dir: full}}, nil,
			[]string{"library folder must be a checkout of github.com/safeship/lambda-bluegreen, got " + full}},
		{"a checkout", Options{Dir: t.TempDir(), Module: "app", Library: Library{Dir: repoRoot}},
			func(t *testing.T, o Options) {
				if o.Library.Version != "v0.0.0" || !filepath.IsAbs(o.Library.Dir) {
					t.Errorf("library %+v", o.Library)
				}
			}, nil},
		{"several problems at once", Options{Dir: full, Module: "a b", Stack: "-x", Library: release}, nil,
			[]string{"is not empty", "\nmodule path must be", "\nstack name must be"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, err := Check(tc.opts)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				tc.check(t, o)
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestCreateWritesNothingWhenRefused(t *testing.T) {
	dir := mkdir(t, "keep.txt")
	if _, err := Create(Options{Dir: dir, Module: "app", Library: Library{Version: "v1.2.3"}}); err == nil {
		t.Fatal("no error for a folder that is not empty")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the folder holds %d entries, want only keep.txt", len(entries))
	}
}

func TestCreate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "orders")
	files, err := Create(Options{Dir: dir, Module: "example.com/orders", Library: Library{Version: "v1.4.0"}})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range files {
		paths = append(paths, f.Path)
		if f.About == "" {
			t.Errorf("%s: no description", f.Path)
		}
	}
	want := "go.mod main.go handler/main.go cdk.json .gitignore README.md cdkw .cdk/package.json .cdk/package-lock.json .cdk/.npmrc .cdk/prebuild.bash"
	if got := strings.Join(paths, " "); got != want {
		t.Errorf("wrote %s\nwant  %s", got, want)
	}
	read := func(path string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, path))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	t.Run("Go files are gofmt-formatted", func(t *testing.T) {
		for _, f := range []string{"main.go", "handler/main.go"} {
			src := read(f)
			formatted, err := format.Source([]byte(src))
			if err != nil || !bytes.Equal(formatted, []byte(src)) {
				t.Errorf("%s is not gofmt-formatted (%v):\n%s", f, err, src)
			}
		}
		if !strings.Contains(read("main.go"), `NewStack(app, "OrdersStack", nil)`) {
			t.Errorf("main.go does not name the stack OrdersStack:\n%s", read("main.go"))
		}
	})

	// The pin and the wrapper are this repository's files byte for byte: the same CLI, and cdkw's cache folder,
	// keyed by their hash, is the one this repository's cdkw installs into.
	t.Run("cdkw and the pin are the repository's", func(t *testing.T) {
		for from, to := range map[string]string{"cdkw": "cdkw", ".cdk/package.json": ".cdk/package.json",
			".cdk/package-lock.json": ".cdk/package-lock.json", ".cdk/.npmrc": ".cdk/.npmrc",
			"internal/cdkw/prebuild.bash": ".cdk/prebuild.bash"} {
			b, err := os.ReadFile(filepath.Join(repoRoot, from))
			if err != nil {
				t.Fatal(err)
			}
			if read(to) != string(b) {
				t.Errorf("%s differs from the repository's %s", to, from)
			}
		}
		if st, err := os.Stat(filepath.Join(dir, "cdkw")); err != nil || st.Mode().Perm()&0o111 == 0 {
			t.Errorf("cdkw is not executable: %v", err)
		}
	})

	t.Run("go.mod requires the library's versions", func(t *testing.T) {
		repo, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
		if err != nil {
			t.Fatal(err)
		}
		goVersion, versions, err := pins(repo)
		if err != nil {
			t.Fatal(err)
		}
		gomod := read("go.mod")
		for _, line := range []string{"module example.com/orders\n", "\ngo " + goVersion + "\n",
			"\tgithub.com/safeship/lambda-bluegreen v1.4.0\n"} {
			if !strings.Contains(gomod, line) {
				t.Errorf("go.mod lacks %q:\n%s", line, gomod)
			}
		}
		for _, m := range pinnedModules {
			if !strings.Contains(gomod, "\t"+m+" "+versions[m]+"\n") {
				t.Errorf("go.mod does not require %s %s:\n%s", m, versions[m], gomod)
			}
		}
		if strings.Contains(gomod, "replace") {
			t.Errorf("go.mod replaces the library though a version was given:\n%s", gomod)
		}
	})

	t.Run("cdk.json runs go run . with the repository's flags", func(t *testing.T) {
		var app, repo struct {
			App     string                 `json:"app"`
			Context map[string]interface{} `json:"context"`
		}
		b, err := os.ReadFile(filepath.Join(repoRoot, "cdk.json"))
		if err == nil {
			err = json.Unmarshal(b, &repo)
		}
		if err == nil {
			err = json.Unmarshal([]byte(read("cdk.json")), &app)
		}
		if err != nil {
			t.Fatal(err)
		}
		if app.App != "go run ." {
			t.Errorf("app %q", app.App)
		}
		for _, k := range contextKeys {
			if app.Context[k] != repo.Context[k] {
				t.Errorf("%s: %v, the repository's cdk.json has %v", k, app.Context[k], repo.Context[k])
			}
		}
		if len(app.Context) != len(contextKeys)+1 || app.Context["@aws-cdk/core:suppressTemplateIndentation"] != true {
			t.Errorf("context %v", app.Context)
		}
	})
}

func TestCreateWithACheckout(t *testing.T) {
	dir := t.TempDir()
	if _, err := Create(Options{Dir: dir, Module: "app", Library: Library{Dir: repoRoot}}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(repoRoot)
	for _, want := range []string{"\tgithub.com/safeship/lambda-bluegreen v0.0.0\n", "\nreplace github.com/safeship/lambda-bluegreen => " + abs + "\n"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("go.mod lacks %q:\n%s", want, b)
		}
	}
	readme, _ := os.ReadFile(filepath.Join(dir, "README.md"))
	if strings.Contains(string(readme), "v0.0.0") {
		t.Errorf("the README names v0.0.0, which only the replace resolves:\n%s", readme)
	}
}

func TestReleasedVersion(t *testing.T) {
	info := func(path, version string, settings ...string) *debug.BuildInfo {
		i := &debug.BuildInfo{Main: debug.Module{Path: path, Version: version}}
		for _, s := range settings {
			k, v, _ := strings.Cut(s, "=")
			i.Settings = append(i.Settings, debug.BuildSetting{Key: k, Value: v})
		}
		return i
	}
	for _, tc := range []struct {
		name string
		info *debug.BuildInfo
		want string
	}{
		{"go install @v1.2.3", info(LibraryPath, "v1.2.3"), "v1.2.3"},
		{"go install @a commit", info(LibraryPath, "v0.0.0-20261201120000-abcdefabcdef"), "v0.0.0-20261201120000-abcdefabcdef"},
		{"a build in a checkout without VCS stamping", info(LibraryPath, "(devel)"), ""},
		{"a build in a checkout, stamped", info(LibraryPath, "v0.0.0-20261201120000-abcdefabcdef", "vcs.revision=abcdef"), ""},
		{"a build with changes", info(LibraryPath, "v1.2.4-0.20261201120000-abcdefabcdef+dirty"), ""},
		{"another module's binary", info("example.com/tool", "v1.0.0"), ""},
		{"no build information", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ReleasedVersion(tc.info); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFindCheckout(t *testing.T) {
	abs, _ := filepath.Abs(repoRoot)
	if got := FindCheckout(filepath.Join(abs, "internal", "scaffold")); got != abs {
		t.Errorf("from this package: %q, want %q", got, abs)
	}
	if got := FindCheckout(t.TempDir()); got != "" {
		t.Errorf("from a temporary folder: %q, want none", got)
	}
}

// TestGoModReplaceAnyFolder: the replace names the checkout exactly whatever its folder holds, also what go.mod's
// syntax gives a meaning (parentheses, a comma, // or /* that start a comment, brackets), not only spaces and quotes.
func TestGoModReplaceAnyFolder(t *testing.T) {
	versions := map[string]string{}
	for _, m := range pinnedModules {
		versions[m] = "v1.0.0"
		if _, major, ok := module.SplitPathVersion(m); ok && major != "" {
			versions[m] = major[1:] + ".0.0"
		}
	}
	for _, dir := range []string{"/srv/lib", "/home/me/My Projects/lib", "/home/me/it's", "/tmp/a(b)/lib",
		"/tmp/(lib)", "/tmp/a,b", "/srv//lib", "/srv/a/*b*/lib", "/tmp/[x]{y}", `/tmp/q"uote`, "/tmp/back`tick",
		"/tmp/tab\there", "/tmp/ünïcode"} {
		b := goMod(Options{Module: "example.com/app", Library: Library{Version: "v0.0.0", Dir: dir}}, "1.26", versions)
		f, err := modfile.Parse("go.mod", b, nil)
		if err != nil {
			t.Errorf("-library-dir %q: go.mod does not parse: %v\n%s", dir, err, b)
			continue
		}
		var got []string
		for _, r := range f.Replace {
			got = append(got, r.Old.Path+" => "+r.New.Path)
		}
		if want := LibraryPath + " => " + dir; len(got) != 1 || got[0] != want {
			t.Errorf("-library-dir %q: replaces %q, want %q\n%s", dir, got, want, b)
		}
	}
}
