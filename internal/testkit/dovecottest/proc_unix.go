//go:build unix && !linux

package dovecottest

import (
	"os/exec"
	"syscall"
)

// setProcAttr puts dovecot in its own process group, so stop can kill it with all its
// children.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killGroup kills the master and every child: the group id is the master's pid.
func killGroup(cmd *exec.Cmd) { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
