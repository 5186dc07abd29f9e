package backup

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Forget deletes what Postfach remembers about an account's backups outside the backup
// folder (history, the folder's identity). Called when an account is removed.
func Forget(stateDir, accountID string) error {
	if stateDir == "" {
		return nil
	}
	err := os.Remove(statePath(stateDir, accountID))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// RemoveFolder deletes what Postfach wrote into a backup folder: the Maildir (cur, new,
// tmp, and Maildir++ sub-folders, which start with a dot) and its own .postfach. Files
// the user keeps there stay, and with them the folder. A folder without Postfach's
// identity marker is left alone: the setting may point at a folder used for other things.
func RemoveFolder(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, metaDir, "store.json")); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // never backed up, or already gone
		}
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		n := e.Name()
		if n == "cur" || n == "new" || n == "tmp" || (strings.HasPrefix(n, ".") && e.IsDir()) {
			if err := os.RemoveAll(filepath.Join(dir, n)); err != nil {
				return err
			}
		}
	}
	if rest, _ := os.ReadDir(dir); len(rest) > 0 {
		return nil
	}
	return os.Remove(dir)
}
