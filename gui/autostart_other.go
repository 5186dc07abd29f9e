//go:build !(linux || freebsd || openbsd || netbsd || windows || darwin)

package gui

// StartHiddenEnv would make Postfach start in the tray; start at login is only offered on
// Linux, the BSDs, Windows and macOS so far.
const StartHiddenEnv = "POSTFACH_START_HIDDEN"

func autostartSupported() bool        { return false }
func autostartEnabled(string) bool    { return false }
func setAutostart(string, bool) error { return nil }
