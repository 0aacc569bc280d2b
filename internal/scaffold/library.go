package scaffold

import (
	"runtime/debug"
	"strings"
)

// ReleasedVersion returns the version of this library that a bluegreen binary was built from, as info records it,
// when a new app can require that version from the module proxy: go install
// github.com/safeship/lambda-bluegreen/cmd/bluegreen@v1.2.3 (or go run …@v1.2.3) records v1.2.3 and no VCS
// settings. It returns "" for a build in a checkout: that records "(devel)", or a version stamped from the
// checkout's commit, with vcs.revision among its settings and +dirty for uncommitted changes, which the proxy may
// not have. It returns "" too for a nil info, or a binary whose main module is not this library.
func ReleasedVersion(info *debug.BuildInfo) string {
	if info == nil || info.Main.Path != LibraryPath {
		return ""
	}
	v := info.Main.Version
	if v == "" || v == "(devel)" || strings.Contains(v, "+dirty") || !versionPattern.MatchString(v) {
		return ""
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" {
			return ""
		}
	}
	return v
}
