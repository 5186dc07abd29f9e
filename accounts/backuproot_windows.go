package accounts

import (
	"os"

	"golang.org/x/sys/windows"
)

// userFilesDir is the user's Documents folder, looked up as a known folder rather than
// put together from %USERPROFILE%, because users and companies move it (OneDrive,
// another drive) and Windows knows where.
func userFilesDir() string {
	if d, err := windows.KnownFolderPath(windows.FOLDERID_Documents, windows.KF_FLAG_DEFAULT); err == nil && d != "" {
		return d
	}
	if h, err := os.UserHomeDir(); err == nil {
		return h
	}
	return os.TempDir()
}
