package accounts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Runs under Wine in CI (.ci/wine/test.sh): the default backup root is in the user's
// Documents, below the profile folder.
func TestDefaultBackupRootInDocuments(t *testing.T) {
	root := DefaultBackupRoot()
	if !filepath.IsAbs(root) || filepath.Base(root) != BackupRootName {
		t.Fatalf("DefaultBackupRoot() = %q, want an absolute path ending in %s", root, BackupRootName)
	}
	profile := os.Getenv("USERPROFILE")
	if profile == "" || !strings.HasPrefix(strings.ToLower(root), strings.ToLower(profile)+`\`) {
		t.Errorf("DefaultBackupRoot() = %q, want it below USERPROFILE %q", root, profile)
	}
	if !strings.EqualFold(filepath.Base(filepath.Dir(root)), "Documents") {
		t.Errorf("DefaultBackupRoot() = %q, want it in Documents", root)
	}
}
