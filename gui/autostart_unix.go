//go:build linux || freebsd || openbsd || netbsd

package gui

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Start at login on Linux and the BSDs is an XDG autostart entry
// (specifications.freedesktop.org/autostart-spec): a .desktop file in
// $XDG_CONFIG_HOME/autostart that the desktop session runs at login.

// StartHiddenEnv is set by the autostart entry: Postfach then starts in the tray
// without opening its window, since nobody asked to see it.
const StartHiddenEnv = "POSTFACH_START_HIDDEN"

func autostartSupported() bool { return true }

func autostartFile(appID string) (string, error) {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "autostart", appID+".desktop"), nil
}

// autostartEnabled reports whether our entry exists and is not switched off.
func autostartEnabled(appID string) bool {
	path, err := autostartFile(appID)
	if err != nil {
		return false
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	s := string(data)
	return !strings.Contains(s, "\nHidden=true") && !strings.Contains(s, "X-GNOME-Autostart-enabled=false")
}

// setAutostart writes or removes the entry. The entry runs this very executable, so it
// follows wherever the user installed Postfach.
func setAutostart(appID string, on bool) error {
	path, err := autostartFile(appID)
	if err != nil {
		return err
	}
	if !on {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	entry := fmt.Sprintf(`[Desktop Entry]
Type=Application
Name=Postfach
Comment=Backs up your mail in the background
Exec=env %s=1 %s
Icon=%s
Terminal=false
X-GNOME-Autostart-enabled=true
`, StartHiddenEnv, desktopQuote(exe), appID)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(entry), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// desktopQuote quotes an Exec argument as the Desktop Entry spec asks: inside double
// quotes, backslash-escape ", `, $ and \ — and then escape the backslashes again,
// because the value itself is a string with its own escapes.
func desktopQuote(s string) string {
	if !strings.ContainsAny(s, " \t\n\"'\\><~|&;$*?#()`") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "`", "\\`", `$`, `\$`)
	q := `"` + r.Replace(s) + `"`
	return strings.ReplaceAll(q, `\`, `\\`)
}
