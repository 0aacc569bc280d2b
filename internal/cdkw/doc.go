// Package cdkw holds no Go code: it tests ./cdkw and prebuild.bash, the step of ./cdkw that builds the app with
// progress before the CDK CLI runs it, with a fake go command that builds slowly and a fake CDK CLI: which app
// cdkw runs (the working directory's when it has a cdk.json, else the one beside cdkw, and none outside its folder),
// and what it builds first (this repository's example and its handlers, or another app's go run package and its
// other main packages, as in an app bluegreen init made).
package cdkw
