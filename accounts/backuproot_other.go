//go:build !windows

package accounts

import "os"

// userFilesDir is the home folder: on Linux and macOS that is where a user's own files
// and their backups live. On macOS deliberately not ~/Documents: an app touching it
// needs the user's consent (a privacy prompt since 10.15), and with iCloud's "Desktop &
// Documents Folders" and "Optimize Mac Storage" switched on, macOS may replace files
// there by placeholders in the cloud — a local backup must stay local.
func userFilesDir() string {
	if h, err := os.UserHomeDir(); err == nil {
		return h
	}
	return os.TempDir()
}
