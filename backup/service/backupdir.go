package service

import (
	"path/filepath"
	"strings"

	"github.com/postfach/postfach/accounts"
)

// DefaultBackupDir proposes <accounts.DefaultBackupRoot()>/<address> for a new POP3
// account (~/Postfach-Backups on Linux and macOS, Documents\Postfach-Backups on
// Windows): one folder per account, named so that a user browsing the drive recognises it.
func DefaultBackupDir(email string) string {
	name := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || r < ' ' {
			return '_'
		}
		return r
	}, strings.ToLower(strings.TrimSpace(email)))
	return filepath.Join(accounts.DefaultBackupRoot(), name)
}
