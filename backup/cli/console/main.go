// Command console is Postfach's command line for Windows, shipped there as
// postfach.com next to Postfach.exe, and for Linux, as postfach-cli next to the desktop
// binary, which hands command lines to it (backup/cli/handover).
//
// Postfach.exe is a GUI-subsystem program, so double-clicking it opens no console
// window; the price is that cmd and PowerShell neither wait for it nor show its output
// or exit code. postfach.com is a console program with the same commands (it calls the
// same cli.Main as main.go) and no GUI, built without cgo. Because PATHEXT lists .COM
// before .EXE, typing `postfach backup` in the install folder runs it. See docs/windows.md.
package main

import (
	"os"
	"runtime/debug"

	"github.com/postfach/postfach/backup/cli"
)

// backupGCPercent is the garbage collector's target for `backup`: the heap may grow to
// 1.5 times what is live instead of twice. A backup's live heap is the index and the
// listings (~8 MB for 10,000 messages) and it allocates little besides (~50 MB per
// 10,000 messages), so the extra collections cost milliseconds, and the peak RSS of a
// full backup drops by ~3.5 MiB (bench/memory_test.go). Other commands, such as search
// indexing, keep Go's default.
const backupGCPercent = 50

func main() {
	if len(os.Args) > 1 && os.Args[1] == "backup" {
		debug.SetGCPercent(backupGCPercent)
	}
	os.Exit(cli.Main(os.Args[1:]))
}
