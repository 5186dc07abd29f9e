package dovecottest

import (
	"os/exec"
	"syscall"
)

// setProcAttr puts dovecot in its own process group, so stop can kill it with all its
// children, and asks the kernel to SIGTERM it if the test binary dies (timeout, Ctrl-C,
// SIGKILL), so no daemon outlives an aborted test run.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

// killGroup kills the master and every child: the group id is the master's pid.
func killGroup(cmd *exec.Cmd) { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
