package gui

import "github.com/postfach/postfach/backup/cli/handover"

// StartHiddenArg on the command line starts Postfach in the tray, like StartHiddenEnv.
// Windows needs the argument: a Run registry value is a bare command line and cannot
// set an environment variable. It is the argument the command-line handover leaves to
// the desktop app (main.go, backup/cli/handover).
const StartHiddenArg = handover.AppArg

// runCommand is the command line that the Windows Run value holds: the executable
// quoted as CommandLineToArgvW expects (a Windows path cannot contain '"', so quoting
// the whole path is enough, spaces and umlauts included), then StartHiddenArg.
func runCommand(exe string) string {
	return `"` + exe + `" ` + StartHiddenArg
}
