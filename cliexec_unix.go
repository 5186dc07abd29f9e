//go:build !windows

package main

import (
	"os"
	"path/filepath"
	"syscall"
)

// cliName is the Fyne-free command line (backup/cli/console) that `make build` and the
// Linux package put next to this binary. It runs the same cli.Main without cgo, the GL
// and X11 libraries or the desktop app's packages: a full backup peaks at about 20 MiB
// less resident memory than it does in this binary (bench/memory_test.go).
const cliName = "postfach-cli"

// execCLI replaces this process with cliName when it is installed next to the
// executable, so command-line runs keep only this binary's start-up (the dynamic
// libraries and package initialisation, before main) and not its memory through the
// whole run. On Linux the C constructor of cliexec_linux.go has usually done so before
// Go started, without even that start-up; this is the fallback where it could not
// (another libc, another Unix). It returns when there is no such file or it cannot be
// executed; the caller then runs the command itself.
func execCLI(args []string) {
	exe, err := os.Executable()
	if err != nil {
		return
	}
	sibling := filepath.Join(filepath.Dir(exe), cliName)
	self, err1 := os.Stat(exe)
	other, err2 := os.Stat(sibling)
	if err1 != nil || err2 != nil || os.SameFile(self, other) || !other.Mode().IsRegular() || other.Mode().Perm()&0o111 == 0 {
		return
	}
	syscall.Exec(sibling, append([]string{sibling}, args...), os.Environ())
}
