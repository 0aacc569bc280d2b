//go:build unix

package main

import (
	"os/exec"
	"syscall"
)

// interruptGroup starts cmd as the leader of a process group of its own, and makes its cancellation an interrupt of
// the whole group: the CDK CLI that ./cdkw starts, go run, the app and its Node.js process all get it, as they would
// from a Ctrl-C in a terminal, instead of only the first process being killed while the others keep its output open.
func interruptGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) }
}
