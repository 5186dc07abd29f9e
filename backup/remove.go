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
//
// It takes the folder's lock first and returns ErrBusy while a run holds it (the caller
// cancels the account's run and waits for it). The marker goes first, so a run that
// starts after the lock is released finds no backup to continue rather than half of one.
func RemoveFolder(dir string) error {
	marker := filepath.Join(dir, metaDir, "store.json")
	if _, err := os.Stat(marker); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // never backed up, or already gone
		}
		return err
	}
	lock, err := LockFolder(dir)
	if err != nil {
		return err
	}
	err = removeContents(dir, marker)
	// Unlock before .postfach goes: Windows cannot delete a locked open file.
	lock.Unlock()
	if err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Join(dir, metaDir)); err != nil {
		return err
	}
	if rest, _ := os.ReadDir(dir); len(rest) > 0 {
		return nil
	}
	return os.Remove(dir)
}

// removeContents removes the marker, then the Maildir and its sub-folders; .postfach
// (which holds the lock) stays for the caller.
func removeContents(dir, marker string) error {
	if err := os.Remove(marker); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		n := e.Name()
		if n == metaDir {
			continue
		}
		if n == "cur" || n == "new" || n == "tmp" || (strings.HasPrefix(n, ".") && e.IsDir()) {
			if err := os.RemoveAll(filepath.Join(dir, n)); err != nil {
				return err
			}
		}
	}
	return nil
}
