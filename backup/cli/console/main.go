// Command console is Postfach's command line for Windows, shipped there as
// postfach.com next to Postfach.exe.
//
// Postfach.exe is a GUI-subsystem program, so double-clicking it opens no console
// window; the price is that cmd and PowerShell neither wait for it nor show its output
// or exit code. postfach.com is a console program with the same commands (it calls the
// same cli.Main as main.go) and no GUI, built without cgo. Because PATHEXT lists .COM
// before .EXE, typing `postfach backup` in the install folder runs it. See docs/windows.md.
package main

import (
	"os"

	"github.com/postfach/postfach/backup/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:]))
}
