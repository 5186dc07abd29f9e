package gui

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/windows/registry"
)

// Start at login on Windows is a value named after the app ID under the user's Run key;
// Windows runs its command line (runCommand: this executable with StartHiddenArg) at
// login. The installer's uninstaller removes the same value (assets/windows/installer.nsi).
const runKey = `Software\Microsoft\Windows\CurrentVersion\Run`

// StartHiddenEnv starts Postfach in the tray without opening its window, as
// StartHiddenArg does.
const StartHiddenEnv = "POSTFACH_START_HIDDEN"

func autostartSupported() bool { return true }

// autostartEnabled reports whether our Run value exists.
func autostartEnabled(appID string) bool {
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE)
	if err != nil {
		return false
	}
	defer k.Close()
	_, _, err = k.GetStringValue(appID)
	return err == nil
}

// setAutostart writes or removes the Run value. Writing it again points it at this very
// executable, so it follows a portable copy that was moved.
func setAutostart(appID string, on bool) error {
	k, _, err := registry.CreateKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE|registry.SET_VALUE)
	if err != nil {
		return fmt.Errorf("open run key: %w", err)
	}
	defer k.Close()
	if !on {
		if err := k.DeleteValue(appID); err != nil && !errors.Is(err, registry.ErrNotExist) {
			return fmt.Errorf("remove run value: %w", err)
		}
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find executable: %w", err)
	}
	if err := k.SetStringValue(appID, runCommand(exe)); err != nil {
		return fmt.Errorf("write run value: %w", err)
	}
	return nil
}
