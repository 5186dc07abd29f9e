package accounts

import "path/filepath"

// BackupRootName is the folder that holds one backup folder per account by default.
const BackupRootName = "Postfach-Backups"

// DefaultBackupRoot returns the folder in which new accounts get their backup folder
// (<root>/<address>): where the user keeps their own files, so that they find it and
// their own backup of the computer includes it. See backuproot_*.go for the place.
func DefaultBackupRoot() string {
	return filepath.Join(userFilesDir(), BackupRootName)
}
