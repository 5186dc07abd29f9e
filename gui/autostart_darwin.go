package gui

import (
	"fmt"
	"os"
)

// Start at login on macOS is a LaunchAgent in ~/Library/LaunchAgents (launchagent.go
// makes, writes and removes it). Since macOS 13 the user can also switch it off under
// System Settings › General › Login Items, which launchd records elsewhere: the switch
// in Postfach then still shows it on.

// StartHiddenEnv starts Postfach in the tray without opening its window, as
// StartHiddenArg (which the LaunchAgent passes) does.
const StartHiddenEnv = "POSTFACH_START_HIDDEN"

func autostartSupported() bool { return true }

// autostartEnabled reports whether our LaunchAgent exists.
func autostartEnabled(appID string) bool {
	home, err := os.UserHomeDir()
	return err == nil && launchAgentExists(home, appID)
}

// setAutostart writes or removes the LaunchAgent, which starts this very executable
// (inside Postfach.app).
func setAutostart(appID string, on bool) error {
	home, err := os.UserHomeDir()
	if err != nil {
		return fmt.Errorf("find home folder: %w", err)
	}
	var exe string
	if on {
		if exe, err = os.Executable(); err != nil {
			return fmt.Errorf("find executable: %w", err)
		}
	}
	return setLaunchAgent(home, appID, exe, on)
}
