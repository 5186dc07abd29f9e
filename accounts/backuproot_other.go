//go:build !windows

package accounts

import "os"

// userFilesDir is the home folder: on Linux and macOS that is where a user's own files
// and their backups live.
func userFilesDir() string {
	if h, err := os.UserHomeDir(); err == nil {
		return h
	}
	return os.TempDir()
}
