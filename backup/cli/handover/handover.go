// Package handover lets the desktop binary hand command lines to postfach-cli, the
// Fyne-free command line (backup/cli/console) that `make build` and the Linux package put
// next to it, so that a backup from a terminal, a script or a timer never carries the
// desktop app's start-up and memory (docs/decisions.md §16). On Linux with glibc a C
// constructor does it before the Go runtime starts (constructor_linux.go); [Exec] is the
// fallback from main elsewhere. Windows has postfach.com for this and does nothing here.
package handover

// CLIName is the file name of the Fyne-free command line beside the desktop binary.
const CLIName = "postfach-cli"

// AppArg is the one argument with which the desktop binary stays the desktop app (the
// start at login, straight to the tray), as it does without any argument.
const AppArg = "--start-hidden"
