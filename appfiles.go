// Package lambdabluegreen is the module's root. It holds no constructs: they are in the packages under
// constructs/ (constructs/bluegreen, constructs/strategy, constructs/gobuild and the others). This package only
// embeds the files that `bluegreen init` copies into a new app, so that each has a single source, the one this
// repository itself runs: the CDK CLI pin (.cdk/package.json, .cdk/package-lock.json, .cdk/.npmrc), the cdkw
// wrapper and its build step (internal/cdkw/prebuild.bash), go.mod, whose versions of the AWS CDK's Go modules the
// new app's go.mod requires, and cdk.json, whose values of the feature flags the library relies on the new app's
// cdk.json takes. go:embed reads no file outside the package's folder tree, which is why
// this lives at the module root.
package lambdabluegreen

import (
	"embed"
	"io/fs"
)

//go:embed go.mod cdk.json cdkw .cdk/package.json .cdk/package-lock.json .cdk/.npmrc internal/cdkw/prebuild.bash
var appFiles embed.FS

// AppFiles returns the files a new app copies from this module, by their paths in the repository: "go.mod",
// "cdk.json", "cdkw", ".cdk/package.json", ".cdk/package-lock.json", ".cdk/.npmrc" and "internal/cdkw/prebuild.bash".
func AppFiles() fs.FS { return appFiles }
