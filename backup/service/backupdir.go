package service

import (
	"os"
	"path/filepath"
	"strings"
)

// DefaultBackupDir proposes ~/Postfach-Backups/<address> for a new POP3 account: one
// folder per account, named so that a user browsing the drive recognises it.
func DefaultBackupDir(email string) string {
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.TempDir()
	}
	name := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || r < ' ' {
			return '_'
		}
		return r
	}, strings.ToLower(strings.TrimSpace(email)))
	return filepath.Join(home, "Postfach-Backups", name)
}
