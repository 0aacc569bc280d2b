package main

import (
	"fmt"
	"io"
	"runtime/debug"
)

// bluegreen version.

// runVersion prints bluegreen's version (version, -version, --version).
func runVersion(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("version", stderr)
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	info, ok := debug.ReadBuildInfo()
	fmt.Fprintln(stdout, "bluegreen", version(info, ok))
	return exitOK
}

// version is the module version the binary was built from (go install …@v1.2.3 records v1.2.3; Go 1.24 and later
// record a pseudo-version from the checkout's commit, +dirty when it had changes), or "(devel)" followed by the
// commit (the vcs.revision setting, with vcs.modified) when the build recorded no version, as go build and
// go run do with -buildvcs=false, or a test binary.
func version(info *debug.BuildInfo, ok bool) string {
	if !ok || info == nil {
		return "(devel)"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	v := "(devel)"
	var revision, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if revision != "" {
		v += " " + revision
		if modified == "true" {
			v += " (modified)"
		}
	}
	return v
}
