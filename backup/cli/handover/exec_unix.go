//go:build !windows

package handover

import (
	"os"
	"path/filepath"
	"syscall"
)

// Exec replaces this process with CLIName when it is installed next to the
// executable, so command-line runs keep only this binary's start-up (the dynamic
// libraries and package initialisation, before main) and not its memory through the
// whole run. On Linux the C constructor of constructor_linux.go has usually done so before
// Go started, without even that start-up; this is the fallback where it could not
// (another libc, another Unix). It returns when there is no such file or it cannot be
// executed; the caller then runs the command itself.
func Exec(args []string) {
	exe, err := os.Executable()
	if err != nil {
		return
	}
	sibling := filepath.Join(filepath.Dir(exe), CLIName)
	self, err1 := os.Stat(exe)
	other, err2 := os.Stat(sibling)
	if err1 != nil || err2 != nil || os.SameFile(self, other) || !other.Mode().IsRegular() || other.Mode().Perm()&0o111 == 0 {
		return
	}
	syscall.Exec(sibling, append([]string{sibling}, args...), os.Environ())
}
