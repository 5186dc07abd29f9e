package gui

// StartHiddenArg on the command line starts Postfach in the tray, like StartHiddenEnv.
// Windows needs the argument: a Run registry value is a bare command line and cannot
// set an environment variable. main.go passes it to the desktop app rather than to the
// command line interface.
const StartHiddenArg = "--start-hidden"

// runCommand is the command line that the Windows Run value holds: the executable
// quoted as CommandLineToArgvW expects (a Windows path cannot contain '"', so quoting
// the whole path is enough, spaces and umlauts included), then StartHiddenArg.
func runCommand(exe string) string {
	return `"` + exe + `" ` + StartHiddenArg
}
