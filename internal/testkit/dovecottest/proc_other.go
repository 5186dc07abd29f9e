//go:build !unix

package dovecottest

import "os/exec"

// Dovecot does not run on these systems; the functions only keep the package compiling
// so that tests importing it build everywhere (Start skips, or attaches to a server on
// the Linux side, before using them).
func setProcAttr(cmd *exec.Cmd) {}

func killGroup(cmd *exec.Cmd) { cmd.Process.Kill() }
