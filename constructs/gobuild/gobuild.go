package gobuild

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
)

// Options tune how a Go main package is built into a Lambda bootstrap. A nil *Options uses every default.
type Options struct {
	// Arch is the CPU architecture to build for: "arm64" or "amd64" (the GOARCH value).
	//
	// Default: "arm64" (Graviton: cheaper per millisecond than x86_64).
	Arch string

	// Tags are extra build tags, added to "lambda.norpc" (which leaves the unused net/rpc entry point of
	// github.com/aws/aws-lambda-go out of the binary).
	//
	// Default: only "lambda.norpc".
	Tags []string

	// GoCommand is the go command to run.
	//
	// Default: "go" from PATH.
	GoCommand string

	// Files are extra files (name → content) placed beside bootstrap in the asset folder, such as a configuration
	// the handler reads at start. They are part of the folder's name, so changing one changes the asset hash.
	//
	// Default: none.
	Files map[string][]byte

	// CacheDir is where built binaries are kept, one folder per distinct binary (named by the SHA-256 of its
	// bytes), so that CDK hashes the same asset folder for the same binary.
	//
	// Default: "lambda-bluegreen/gobuild" under os.UserCacheDir(), or under os.TempDir() when there is no user
	// cache directory.
	CacheDir string
}

// BuildOnce is Build, once per process for each working directory, entry and set of options: later calls return
// the first call's folder (or error) without running the go command again. Constructs that build the same handler
// for many resources (every hook of a stack runs one binary) use it; a go build costs about 0.4 s even when Go's
// build cache holds the result. The folder must not be changed: copy it first (AddFiles does).
func BuildOnce(entry string, opts *Options) (string, error) {
	cwd, _ := os.Getwd() // a relative entry, and an import path, resolve against the working directory
	v, _ := builds.LoadOrStore(fmt.Sprintf("%s %s %+v", cwd, entry, withDefaults(opts)), &build{})
	b := v.(*build)
	b.once.Do(func() { b.dir, b.err = Build(entry, opts) })
	return b.dir, b.err
}

// builds holds BuildOnce's builds: key cwd, entry and options → *build.
var builds sync.Map

type build struct {
	once sync.Once
	dir  string
	err  error
}

// Build compiles the Go main package in the folder entry (or, when entry is not a folder but an import path such
// as "github.com/safeship/lambda-bluegreen/constructs/hooks/handler", that package, resolved by the module in the
// current directory) into a file named "bootstrap" for the provided.al2023 runtime and returns the folder that
// holds it, ready to be a Lambda asset.
//
// A relative entry is resolved against the working directory of the process, not against the Go file that names
// it: the folder holding cdk.json under cdk synth (or ./cdkw), the package's folder under go test. Errors say
// what it resolved to.
//
// The build is reproducible: CGO off, GOOS=linux, -trimpath, -buildvcs=false, -ldflags "-s -w -buildid=", and
// GOFLAGS, GOEXPERIMENT and the GOARM64/GOAMD64 level fixed (so neither your shell nor a CI runner's environment
// changes the bytes). The binary then depends only on the source, its dependencies and the Go toolchain version:
// pin the toolchain (the toolchain line of go.mod) so that laptops and pipelines publish the same version. Two
// builds of unchanged code give the same bytes, and so the same asset hash and no new Lambda version. Editing the
// text of an existing comment gives the same bytes; adding or removing lines moves the line numbers that Go keeps
// in the binary for stack traces, and so gives new bytes, as does any change to what the program does. Build runs
// the go command in entry, so entry must be inside a Go module whose go.mod lists the handler's dependencies, and
// the package there must be a main package.
func Build(entry string, opts *Options) (string, error) {
	o := withDefaults(opts)
	if o.Arch != "arm64" && o.Arch != "amd64" {
		return "", fmt.Errorf("gobuild: arch must be \"arm64\" or \"amd64\", got %q", o.Arch)
	}
	dir, target := "", "."
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("gobuild: entry %q: reading the working directory: %w", entry, err)
	}
	// The go command in entry, or in the working directory for an import path: what entry means here, for errors.
	var where string
	if st, err := os.Stat(entry); err == nil && st.IsDir() {
		if dir, err = filepath.Abs(entry); err != nil {
			return "", fmt.Errorf("gobuild: entry %q: %w", entry, err)
		}
		if !filepath.IsAbs(entry) {
			where = fmt.Sprintf(" (entry %q, resolved against the working directory %s)", entry, wd)
		}
	} else if isImportPath(entry) {
		target, dir = entry, wd
		where = fmt.Sprintf(" (entry %q, an import path resolved by the module of the working directory %s)", entry, wd)
	} else {
		got := fmt.Sprintf("%q", entry)
		if !filepath.IsAbs(entry) {
			got += fmt.Sprintf(", resolved against the working directory %s to %s", wd, filepath.Join(wd, entry))
		}
		return "", fmt.Errorf("gobuild: entry must be a folder holding a Go main package, or its import path, got %s, "+
			"which is not a folder", got)
	}
	if err := os.MkdirAll(o.CacheDir, 0o755); err != nil {
		return "", fmt.Errorf("gobuild: cache dir: %w", err)
	}
	tmp, err := os.MkdirTemp(o.CacheDir, "build-")
	if err != nil {
		return "", fmt.Errorf("gobuild: cache dir: %w", err)
	}
	defer os.RemoveAll(tmp)

	out := filepath.Join(tmp, "bootstrap")
	tags := append([]string{"lambda.norpc"}, o.Tags...)
	cmd := exec.Command(o.GoCommand, "build",
		"-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=",
		"-tags="+strings.Join(tags, ","), "-o", out, target)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+o.Arch,
		"GOFLAGS=", "GOEXPERIMENT=", "GOARM64=v8.0", "GOAMD64=v1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("gobuild: go build in %s%s failed: %w\n%s", dir, where, err,
			strings.TrimSpace(stderr.String()))
	}

	sum, err := checkExecutable(out)
	if err != nil {
		return "", fmt.Errorf("gobuild: %s%s: %w", dir, where, err)
	}
	if err := os.Chmod(out, 0o755); err != nil {
		return "", fmt.Errorf("gobuild: %w", err)
	}
	final, err := settle(tmp, filepath.Join(o.CacheDir, o.Arch+"-"+sum[:32]))
	if err != nil || len(o.Files) == 0 {
		return final, err
	}
	return AddFiles(final, o.Files, &o)
}

// AddFiles returns a folder holding the bootstrap of the asset folder dir (from Build) and files (name →
// content) beside it, named by the SHA-256 of both, in opts.CacheDir. Use it to give one built binary several
// configurations without building it again.
func AddFiles(dir string, files map[string][]byte, opts *Options) (string, error) {
	o := withDefaults(opts)
	binary, err := checkExecutable(filepath.Join(dir, "bootstrap"))
	if err != nil {
		return "", fmt.Errorf("gobuild: %s: %w", dir, err)
	}
	sum := filesSum(binary, files)
	final := filepath.Join(o.CacheDir, o.Arch+"-"+sum[:32])
	if _, err := os.Stat(filepath.Join(final, "bootstrap")); err == nil {
		return final, nil
	}
	tmp, err := os.MkdirTemp(o.CacheDir, "files-")
	if err != nil {
		return "", fmt.Errorf("gobuild: %w", err)
	}
	defer os.RemoveAll(tmp)
	b, err := os.ReadFile(filepath.Join(dir, "bootstrap"))
	if err == nil {
		err = os.WriteFile(filepath.Join(tmp, "bootstrap"), b, 0o755)
	}
	if err != nil {
		return "", fmt.Errorf("gobuild: %w", err)
	}
	for name, content := range files {
		if name == "bootstrap" || name == "" || filepath.Base(name) != name {
			return "", fmt.Errorf("gobuild: Files: %q must be a plain file name other than bootstrap", name)
		}
		if err := os.WriteFile(filepath.Join(tmp, name), content, 0o644); err != nil {
			return "", fmt.Errorf("gobuild: %w", err)
		}
	}
	return settle(tmp, final)
}

// settle moves the finished folder tmp to its content-addressed place final, unless an equal one is there.
func settle(tmp, final string) (string, error) {
	if _, err := os.Stat(filepath.Join(final, "bootstrap")); err == nil {
		return final, nil
	}
	if err := os.Rename(tmp, final); err != nil {
		// Another build of the same content may have won the race: its folder holds the same bytes.
		if _, statErr := os.Stat(filepath.Join(final, "bootstrap")); statErr == nil {
			return final, nil
		}
		return "", fmt.Errorf("gobuild: %w", err)
	}
	return final, nil
}

// Code builds the Go main package in entry (see Build) and returns it as Lambda asset code for the
// provided.al2023 runtime. It panics with the build error when the package does not build: synthesis cannot go on
// without the code. The returned Code may serve several functions of one stack; CDK refuses to share it across stacks, so for several
// stacks call Build once and give each stack its own awslambda.Code_FromAsset of the folder.
func Code(entry string, opts *Options) awslambda.AssetCode {
	dir, err := Build(entry, opts)
	if err != nil {
		panic(err)
	}
	return awslambda.Code_FromAsset(jsii.String(dir), nil)
}

// FunctionProps returns a copy of base (which may be nil) set up to run the Go main package in entry: Code built
// by Code, Runtime provided.al2023, Handler "bootstrap" and the Architecture the code was built for. Fields of base
// that are set are kept, except Code, Runtime and Architecture, which must match the build. A relative entry is
// resolved against the working directory (see Build). It panics with the build error, which cannot name a
// construct path: NewFunction does.
func FunctionProps(entry string, opts *Options, base *awslambda.FunctionProps) *awslambda.FunctionProps {
	o := withDefaults(opts)
	return functionProps(Code(entry, &o), o, base)
}

// BuiltFunctionProps is FunctionProps for a folder Build, BuildOnce or AddFiles returned: a copy of base running the
// bootstrap in dir, built with opts (whose Arch sets the Architecture). Constructs that build once and define
// several functions from the same folder use it.
func BuiltFunctionProps(dir string, opts *Options, base *awslambda.FunctionProps) *awslambda.FunctionProps {
	return functionProps(awslambda.Code_FromAsset(jsii.String(dir), nil), withDefaults(opts), base)
}

// functionProps returns a copy of base running code built with o.
func functionProps(code awslambda.Code, o Options, base *awslambda.FunctionProps) *awslambda.FunctionProps {
	props := awslambda.FunctionProps{}
	if base != nil {
		props = *base
	}
	props.Code = code
	props.Runtime = awslambda.Runtime_PROVIDED_AL2023()
	if o.Arch == "amd64" {
		props.Architecture = awslambda.Architecture_X86_64()
	} else {
		props.Architecture = awslambda.Architecture_ARM_64()
	}
	if props.Handler == nil {
		props.Handler = jsii.String("bootstrap")
	}
	return &props
}

// isImportPath reports whether entry looks like a Go import path whose first element is a domain.
func isImportPath(entry string) bool {
	first, _, ok := strings.Cut(entry, "/")
	return ok && strings.Contains(first, ".") && !strings.HasPrefix(entry, ".") && !filepath.IsAbs(entry)
}

// filesSum folds the extra files into the binary's hash, so the folder's name covers everything in it.
func filesSum(binary string, files map[string][]byte) string {
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	h := sha256.New()
	io.WriteString(h, binary)
	for _, name := range names {
		fmt.Fprintf(h, "\x00%s\x00%d\x00", name, len(files[name]))
		h.Write(files[name])
	}
	return hex.EncodeToString(h.Sum(nil))
}

func withDefaults(opts *Options) Options {
	o := Options{}
	if opts != nil {
		o = *opts
		o.Tags = append([]string(nil), opts.Tags...)
	}
	if o.Arch == "" {
		o.Arch = "arm64"
	}
	if o.GoCommand == "" {
		o.GoCommand = "go"
	}
	if o.CacheDir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		o.CacheDir = filepath.Join(base, "lambda-bluegreen", "gobuild")
	}
	return o
}

// checkExecutable returns the SHA-256 of the built file, or an error when it is not an executable: go build of a
// package that is not main succeeds too, and writes an archive that Lambda could not run.
func checkExecutable(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	magic := make([]byte, 4)
	if _, err := io.ReadFull(f, magic); err != nil || !bytes.Equal(magic, []byte("\x7fELF")) {
		return "", errors.New("the package is not a main package: go build made no executable")
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
