//go:build !(linux || freebsd || openbsd || netbsd || windows)

package gui

// StartHiddenEnv would make Postfach start in the tray; start at login is only offered on
// Linux, the BSDs and Windows so far.
const StartHiddenEnv = "POSTFACH_START_HIDDEN"

func autostartSupported() bool        { return false }
func autostartEnabled(string) bool    { return false }
func setAutostart(string, bool) error { return nil }
