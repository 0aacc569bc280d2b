//go:build !unix

package main

import "os/exec"

// interruptGroup leaves cmd as it is where process groups do not exist: its cancellation kills it
// (exec.CommandContext), and cmdWaitDelay bounds the wait for its output.
func interruptGroup(*exec.Cmd) {}
