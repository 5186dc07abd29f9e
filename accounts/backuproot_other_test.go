//go:build !windows

package accounts

import (
	"path/filepath"
	"testing"
)

func TestDefaultBackupRootInHome(t *testing.T) {
	t.Setenv("HOME", "/home/jürgen groß")
	if got, want := DefaultBackupRoot(), filepath.Join("/home/jürgen groß", BackupRootName); got != want {
		t.Errorf("DefaultBackupRoot() = %q, want %q", got, want)
	}
}
