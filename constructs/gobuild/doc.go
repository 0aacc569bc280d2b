// Package gobuild turns a Go main package into Lambda code for the provided.al2023 runtime without Docker: it runs
// go build locally (linux, arm64 by default, CGO off, reproducible flags) and hands CDK a folder holding the
// resulting bootstrap binary. NewFunction defines a function running it; FunctionProps and Code give the props
// or the code for a function you define; Build gives the folder.
//
// A relative entry is resolved against the working directory of the process that synthesizes (the folder holding
// cdk.json under cdk synth), not against the Go file that names it.
//
// Because the build is reproducible, the asset hash, and so the function's published version, changes exactly
// when the binary changes: not on every synth, and not for an edit of a comment's text. Go keeps source line
// numbers in the binary, so an edit that adds or removes lines does publish a new version.
package gobuild
