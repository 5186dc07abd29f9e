package accounts

import (
	"path/filepath"
	"testing"
)

// Runs on macOS only (vetted here with GOOS=darwin; the release workflow runs it on a
// hosted Mac): the settings live in ~/Library/Application Support/postfach, the backups
// in ~/Postfach-Backups (backuproot_other.go says why not in Documents).
func TestDarwinFolders(t *testing.T) {
	const home = "/Users/Jürgen Groß"
	t.Setenv("HOME", home)
	t.Setenv(HomeEnv, "")
	dir, err := DefaultDir()
	if want := filepath.Join(home, "Library", "Application Support", "postfach"); err != nil || dir != want {
		t.Errorf("DefaultDir() = %q, %v; want %q", dir, err, want)
	}
	if got, want := DefaultBackupRoot(), filepath.Join(home, BackupRootName); got != want {
		t.Errorf("DefaultBackupRoot() = %q, want %q", got, want)
	}
}
