//go:build !windows && !darwin

package cli

import (
	"os"
	"os/exec"
)

// systemBrowser returns the command that opens url in the desktop's browser
// (xdg-open, freedesktop.org's xdg-utils), or nil without a graphical session (a
// server, an SSH login): there the printed address is the way.
func systemBrowser(url string) *exec.Cmd {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return nil
	}
	return exec.Command("xdg-open", url)
}
