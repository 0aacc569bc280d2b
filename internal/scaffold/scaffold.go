// Package scaffold creates a new CDK app in Go that uses this library, as `cdk init app --language go` does for a
// plain CDK app: bluegreen init runs it. The app gets its own copy of the pinned CDK CLI wrapper (cdkw and .cdk/,
// taken byte for byte from this repository's, so that it installs the same CLI into the same cache folder) and a
// go.mod that requires this library and the exact versions of the AWS CDK's Go modules it pins.
package scaffold

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"
	"unicode"

	"golang.org/x/mod/modfile"

	lambdabluegreen "github.com/safeship/lambda-bluegreen"
	"github.com/safeship/lambda-bluegreen/constructs/quota"
)

// LibraryPath is this library's module path.
const LibraryPath = "github.com/safeship/lambda-bluegreen"

// localVersion is the version go.mod requires of a library that its replace directive points at a checkout:
// any version does, the replace decides.
const localVersion = "v0.0.0"

// Library says which version of this library a new app's go.mod requires.
type Library struct {
	// Version is the module version to require, such as v1.2.3 or a pseudo-version.
	Version string
	// Dir, when set, is a checkout of the library: go.mod requires v0.0.0 and replaces it with Dir (absolute).
	Dir string
}

// Options describe the app Create writes.
type Options struct {
	// Dir is the app's folder: created when missing, refused unless empty.
	Dir string
	// Module is the app's module path. Default: the name of Dir.
	Module string
	// Stack is the name of the app's stack. Default: the name of Dir in PascalCase followed by "Stack" (my-app:
	// MyAppStack), as cdk init names it.
	Stack string
	// Library is the version of this library the app requires.
	Library Library
}

// File is one file Create wrote: its path under the app's folder and what it is for.
type File struct {
	Path, About string
}

//go:embed template
var templates embed.FS

// contextKeys are the feature flags of this repository's cdk.json that the library relies on; a new app takes
// their values from there (the only other key it gets is quota.SuppressIndentationContext).
var contextKeys = []string{
	// A removed rollback alarm leaves the deployment group (the construct also turns monitoring off explicitly).
	"@aws-cdk/aws-codedeploy:removeAlarmsFromDeploymentGroup",
	// A change of a function's layers publishes a new version, so CodeDeploy ships it.
	"@aws-cdk/aws-lambda:recognizeLayerVersion",
	// CloudFormation errors fail synth, and error annotations (cdk-nag's) go into validation-report.json.
	"@aws-cdk/core:validateAgainstDefaultRules",
	"@aws-cdk/core:annotationsInValidationReport",
}

// pinnedModules are the modules whose versions a new app's go.mod takes from this library's: the app imports each
// of them directly.
var pinnedModules = []string{
	"github.com/aws/aws-cdk-go/awscdk/v2",
	"github.com/aws/aws-lambda-go",
	"github.com/aws/constructs-go/constructs/v10",
	"github.com/aws/jsii-runtime-go",
}

// Check validates o and returns it with its defaults applied (Dir made absolute). Its errors are the caller's to
// fix: a folder that is not empty, a module path or stack name that is not valid.
func Check(o Options) (Options, error) {
	if o.Dir == "" {
		return o, errors.New("the app's folder must be given, got none")
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return o, fmt.Errorf("app folder %q: %w", o.Dir, err)
	}
	o.Dir = dir
	var problems []error
	if err := checkEmpty(dir); err != nil {
		problems = append(problems, err)
	}
	name := filepath.Base(dir)
	if o.Module == "" {
		if err := CheckModulePath(name); err != nil {
			problems = append(problems, fmt.Errorf("the folder's name %q is not a module path, so give one with -module: %w", name, err))
		}
		o.Module = name
	} else if err := CheckModulePath(o.Module); err != nil {
		problems = append(problems, err)
	}
	if o.Stack == "" {
		o.Stack = stackName(name)
	}
	if !stackPattern.MatchString(o.Stack) {
		problems = append(problems, fmt.Errorf("stack name must be 1 to 128 letters, digits or '-' starting with a letter (CloudFormation's rule), got %q", o.Stack))
	}
	switch {
	case o.Library.Dir != "":
		libDir, err := filepath.Abs(o.Library.Dir)
		if err == nil {
			err = CheckCheckout(libDir)
		}
		if err != nil {
			problems = append(problems, err)
		}
		o.Library = Library{Version: localVersion, Dir: libDir}
	case !versionPattern.MatchString(o.Library.Version):
		problems = append(problems, fmt.Errorf("library version must be a module version such as v1.2.3, got %q", o.Library.Version))
	}
	return o, errors.Join(problems...)
}

// checkEmpty returns an error unless dir is missing or an empty folder.
func checkEmpty(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		if st, serr := os.Stat(dir); serr == nil && !st.IsDir() {
			return fmt.Errorf("%s is a file: the app needs a new or empty folder", dir)
		}
		return fmt.Errorf("reading %s: %w", dir, err)
	case len(entries) > 0:
		names := make([]string, 0, 3)
		for _, e := range entries[:min(3, len(entries))] {
			names = append(names, e.Name())
		}
		if len(entries) > 3 {
			names = append(names, "…")
		}
		return fmt.Errorf("%s is not empty (it holds %s): the app needs a new or empty folder", dir, strings.Join(names, ", "))
	}
	return nil
}

var (
	stackPattern   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,127}$`)
	versionPattern = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$`)
)

// CheckModulePath returns an error unless p is a valid module path for go mod init: slash-separated elements of
// ASCII letters, digits and "-._~", none empty or beginning or ending with a dot.
func CheckModulePath(p string) error {
	if p == "" {
		return errors.New("module path must not be empty")
	}
	for _, elem := range strings.Split(p, "/") {
		bad := elem == "" || strings.HasPrefix(elem, ".") || strings.HasSuffix(elem, ".")
		for _, r := range elem {
			if r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("-._~", r)) {
				bad = true
			}
		}
		if bad {
			return fmt.Errorf("module path must be slash-separated elements of letters, digits and '-._~', none "+
				"empty or beginning or ending with '.', such as example.com/my-app, got %q", p)
		}
	}
	return nil
}

// stackName is name in PascalCase followed by "Stack": my-app and my_app give MyAppStack.
func stackName(name string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(name, func(r rune) bool {
		return r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r))
	}) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	s := b.String()
	if s == "" || !unicode.IsLetter(rune(s[0])) {
		s = "App" + s
	}
	return s + "Stack"
}

// CheckCheckout returns an error unless dir holds a checkout of this library (its go.mod names LibraryPath).
func CheckCheckout(dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return fmt.Errorf("library folder must be a checkout of %s, got %s: %w", LibraryPath, dir, err)
	}
	if p := modulePath(b); p != LibraryPath {
		return fmt.Errorf("library folder must be a checkout of %s, got %s, whose go.mod is module %q", LibraryPath, dir, p)
	}
	return nil
}

// FindCheckout returns the folder of the library checkout that holds dir (dir itself or a parent), or "".
func FindCheckout(dir string) string {
	for {
		if CheckCheckout(dir) == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// modulePath is the path the module line of a go.mod names, or "".
func modulePath(gomod []byte) string {
	for _, line := range strings.Split(string(gomod), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`)
		}
	}
	return ""
}

// pins reads the go directive and the required versions of pinnedModules from this library's go.mod.
func pins(gomod []byte) (goVersion string, versions map[string]string, err error) {
	versions = map[string]string{}
	for _, line := range strings.Split(string(gomod), "\n") {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		switch {
		case len(f) == 2 && f[0] == "go":
			goVersion = f[1]
		case len(f) >= 2:
			versions[f[0]] = f[1]
		}
	}
	var missing []string
	for _, m := range pinnedModules {
		if versions[m] == "" {
			missing = append(missing, m)
		}
	}
	if goVersion == "" || len(missing) > 0 {
		return "", nil, fmt.Errorf("the library's go.mod has no go directive or no version of %s", strings.Join(missing, ", "))
	}
	return goVersion, versions, nil
}

// data is what the templates fill in.
type data struct {
	Options
	Command    string // the last element of the module path
	CLIVersion string // the pinned aws-cdk version
	// LibraryVersion and LibraryDir are Options.Library's.
	LibraryVersion, LibraryDir string
}

// copied are the files of this repository that a new app gets byte for byte: its path there → the app's.
var copied = []struct{ from, to, about string }{
	{"cdkw", "cdkw", "runs the pinned CDK CLI (installs it on first use): ./cdkw synth, ./cdkw deploy"},
	{".cdk/package.json", ".cdk/package.json", "pins the CDK CLI version cdkw runs (aws-cdk %s)"},
	{".cdk/package-lock.json", ".cdk/package-lock.json", "locks it"},
	{".cdk/.npmrc", ".cdk/.npmrc", "npm settings for its install"},
	{"internal/cdkw/prebuild.bash", ".cdk/prebuild.bash", "builds the app with progress before the CLI runs it"},
}

// Create writes a new app as Check(o) describes it and returns the files it wrote, in order. It writes nothing
// when Check fails.
func Create(o Options) ([]File, error) {
	o, err := Check(o)
	if err != nil {
		return nil, err
	}
	lib := lambdabluegreen.AppFiles()
	gomod, err := fs.ReadFile(lib, "go.mod")
	if err != nil {
		return nil, err
	}
	goVersion, versions, err := pins(gomod)
	if err != nil {
		return nil, err
	}
	cli, err := cliVersion(lib)
	if err != nil {
		return nil, err
	}
	d := data{Options: o, Command: o.Module[strings.LastIndex(o.Module, "/")+1:], CLIVersion: cli,
		LibraryVersion: o.Library.Version, LibraryDir: o.Library.Dir}

	type file struct {
		File
		body []byte
		mode fs.FileMode
	}
	var files []file
	add := func(path, about string, body []byte, mode fs.FileMode) {
		files = append(files, file{File{path, about}, body, mode})
	}
	add("go.mod", "requires "+LibraryPath+" "+libraryNote(o.Library)+" and the AWS CDK's Go modules at the versions it pins",
		goMod(o, goVersion, versions), 0o644)
	for _, t := range []struct{ tmpl, path, about string }{
		{"main.go.tmpl", "main.go", "the app: stack " + o.Stack + " with one function released blue/green"},
		{"handler/main.go.tmpl", "handler/main.go", "the function's code (gobuild builds it, no Docker)"},
	} {
		body, err := render(t.tmpl, d)
		if err != nil {
			return nil, err
		}
		add(t.path, t.about, body, 0o644)
	}
	cdkJSON, err := appCDKJSON(lib)
	if err != nil {
		return nil, err
	}
	add("cdk.json", "runs go run . with the feature flags the library relies on", cdkJSON, 0o644)
	for _, t := range []struct{ tmpl, path, about string }{
		{"gitignore.tmpl", ".gitignore", "leaves cdk.out out of git"},
		{"README.md.tmpl", "README.md", "what is here and the commands"},
	} {
		body, err := render(t.tmpl, d)
		if err != nil {
			return nil, err
		}
		add(t.path, t.about, body, 0o644)
	}
	for _, c := range copied {
		body, err := fs.ReadFile(lib, c.from)
		if err != nil {
			return nil, err
		}
		mode := fs.FileMode(0o644)
		if c.to == "cdkw" {
			mode = 0o755
		}
		add(c.to, strings.Replace(c.about, "%s", cli, 1), body, mode)
	}

	out := make([]File, 0, len(files))
	for _, f := range files {
		path := filepath.Join(o.Dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return out, err
		}
		if err := os.WriteFile(path, f.body, f.mode); err != nil {
			return out, err
		}
		out = append(out, f.File)
	}
	return out, nil
}

// libraryNote says which library version go.mod requires.
func libraryNote(l Library) string {
	if l.Dir != "" {
		return "through a replace to the checkout " + l.Dir
	}
	return l.Version
}

// goMod is the app's go.mod before go mod tidy: the pinned modules it imports directly, and the library.
func goMod(o Options, goVersion string, versions map[string]string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "module %s\n\ngo %s\n\nrequire (\n", o.Module, goVersion)
	for _, m := range pinnedModules {
		fmt.Fprintf(&b, "\t%s %s\n", m, versions[m])
	}
	fmt.Fprintf(&b, "\t%s %s\n)\n", LibraryPath, o.Library.Version)
	if o.Library.Dir != "" {
		// AutoQuote quotes the folder when go.mod's syntax needs it: not only for a space or a quote, but for
		// (, ), a comma, // or /* (a comment) and the like.
		fmt.Fprintf(&b, "\nreplace %s => %s\n", LibraryPath, modfile.AutoQuote(o.Library.Dir))
	}
	return b.Bytes()
}

// cliVersion is the aws-cdk version .cdk/package.json pins.
func cliVersion(lib fs.FS) (string, error) {
	b, err := fs.ReadFile(lib, ".cdk/package.json")
	if err != nil {
		return "", err
	}
	var pkg struct {
		DevDependencies map[string]string `json:"devDependencies"`
	}
	if err := json.Unmarshal(b, &pkg); err != nil || pkg.DevDependencies["aws-cdk"] == "" {
		return "", fmt.Errorf(".cdk/package.json must pin aws-cdk in devDependencies: %v", err)
	}
	return pkg.DevDependencies["aws-cdk"], nil
}

// appCDKJSON is the app's cdk.json: go run ., the repository's watch settings, the values of contextKeys in the
// repository's cdk.json, and templates without indentation (quota.SuppressIndentationContext: CloudFormation's
// template size quota counts the indentation, about 45 % of a template).
func appCDKJSON(lib fs.FS) ([]byte, error) {
	b, err := fs.ReadFile(lib, "cdk.json")
	if err != nil {
		return nil, err
	}
	var repo struct {
		Watch   json.RawMessage        `json:"watch"`
		Context map[string]interface{} `json:"context"`
	}
	if err := json.Unmarshal(b, &repo); err != nil {
		return nil, fmt.Errorf("the library's cdk.json: %w", err)
	}
	ctx := map[string]interface{}{quota.SuppressIndentationContext: true}
	for _, k := range contextKeys {
		v, ok := repo.Context[k]
		if !ok {
			return nil, fmt.Errorf("the library's cdk.json has no context key %s", k)
		}
		ctx[k] = v
	}
	app := struct {
		App     string                 `json:"app"`
		Watch   json.RawMessage        `json:"watch,omitempty"`
		Context map[string]interface{} `json:"context"`
	}{"go run .", repo.Watch, ctx}
	out, err := json.MarshalIndent(app, "", "  ")
	return append(out, '\n'), err
}

// render fills in the template at path under template/.
func render(path string, d data) ([]byte, error) {
	t, err := template.ParseFS(templates, "template/"+path)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b.Bytes(), nil
}
