// Package gobuild turns a Go main package into Lambda code for the provided.al2023 runtime without Docker: it runs
// go build locally (linux, arm64 by default, CGO off, reproducible flags) and hands CDK a folder holding the
// resulting bootstrap binary.
//
// Because the build is reproducible, the asset hash, and so the function's published version, changes exactly
// when the binary changes: not on every synth, and not for an edit of a comment's text. Go keeps source line
// numbers in the binary, so an edit that adds or removes lines does publish a new version.
package gobuild
