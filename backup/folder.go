package backup

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/atomicfile"
	"github.com/postfach/postfach/accounts/filelock"
	"github.com/postfach/postfach/backup/maildir"
)

// metaDir is where Postfach keeps its own files inside a backup folder. Maildir readers
// ignore dot-directories.
const metaDir = ".postfach"

// marker is the identity of a backup folder, stored in .postfach/store.json. It makes the
// folder self-describing (which mailbox it backs up) and lets a run tell "the folder I
// wrote last time" from "an empty folder where the drive used to be mounted".
type marker struct {
	Format  int       `json:"format"`
	ID      string    `json:"id"`
	Mailbox string    `json:"mailbox"`
	Created time.Time `json:"created"`
}

// folder is an opened backup folder.
type folder struct {
	root   string
	md     *maildir.Dir
	marker marker
	// fresh is true when this run created the folder's identity, so an absent index
	// means "nothing backed up yet" rather than "index lost".
	fresh bool
	// lock is held by a run (not by Verify) from before the marker is read until close.
	lock *filelock.Lock
}

// close releases the Maildir's batch handle and the folder lock.
func (f *folder) close() {
	f.md.Close()
	if f.lock != nil {
		f.lock.Unlock()
	}
}

func (f *folder) metaPath(name string) string { return filepath.Join(f.root, metaDir, name) }

// LockFolder takes the lock that keeps the runs of one backup folder apart, across
// processes (released by the OS if the process dies); ErrBusy while another holds it.
// Runs and RemoveFolder take it; a caller that must keep runs out for a while (the switch
// assistant taking the backup over) holds it too. The folder's .postfach must exist.
func LockFolder(dir string) (*filelock.Lock, error) {
	lock, err := filelock.TryLock(filepath.Join(dir, metaDir, "lock"))
	if errors.Is(err, filelock.ErrLocked) {
		return nil, ErrBusy
	}
	if err != nil {
		return nil, fmt.Errorf("backup folder %s: %w", dir, err)
	}
	return lock, nil
}

// mailboxID names the mailbox a folder backs up: the same user on the same server.
func mailboxID(a *accounts.Account) string {
	return strings.ToLower(a.Username + "@" + a.Host)
}

// openFolder opens (or, on first use, creates) the account's backup folder and checks
// that it is the folder earlier runs wrote to. With create it also takes the folder's
// lock — before the identity marker is read or created, so that two first runs cannot
// both create one — and returns ErrBusy if another run holds it. create=false never
// creates or locks anything (verify).
func openFolder(a *accounts.Account, st *accountState, create bool) (*folder, error) {
	root := a.Backup.Dir
	known := st.StoreID != "" && st.Dir == root
	markerPath := filepath.Join(root, metaDir, "store.json")
	_, err := readMarker(markerPath)
	switch {
	case err == nil:
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("backup folder %s: %w", root, err)
	case known:
		// The folder earlier runs wrote to has no marker: never create one here.
		if _, statErr := os.Stat(root); errors.Is(statErr, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s (is the drive connected?)", ErrFolderMissing, root)
		}
		return nil, fmt.Errorf("%w: %s no longer holds the backup (was the drive unmounted?)", ErrFolderReplaced, root)
	case !create:
		return nil, fmt.Errorf("%w: %s has no backup yet", ErrFolderMissing, root)
	default:
		if err := os.MkdirAll(filepath.Join(root, metaDir), 0o700); err != nil {
			return nil, fmt.Errorf("create backup folder: %w", err)
		}
	}
	f := &folder{root: root}
	if create {
		lock, err := LockFolder(root)
		if err != nil {
			return nil, err
		}
		f.lock = lock
	}
	if err := f.open(a, st, known, create); err != nil {
		if f.lock != nil {
			f.lock.Unlock()
		}
		return nil, err
	}
	return f, nil
}

// open reads (under the lock, when creating) the folder's marker, or creates it.
func (f *folder) open(a *accounts.Account, st *accountState, known, create bool) error {
	mk, err := readMarker(f.metaPath("store.json"))
	switch {
	case err == nil:
		if !strings.EqualFold(mk.Mailbox, mailboxID(a)) {
			return fmt.Errorf("%w: %s holds the backup of %s, not %s", ErrFolderForeign, f.root, mk.Mailbox, mailboxID(a))
		}
		if known && mk.ID != st.StoreID {
			return fmt.Errorf("%w: %s is not the folder earlier backups went to", ErrFolderReplaced, f.root)
		}
		// Verify (create=false) must not write, not even missing subdirectories.
		open := maildir.Open
		if create {
			open = maildir.Create
		}
		md, err := open(f.root)
		if err != nil {
			return err
		}
		f.md, f.marker = md, mk
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("backup folder %s: %w", f.root, err)
	case known || !create:
		// Removed while we waited for the lock.
		return fmt.Errorf("%w: %s no longer holds the backup", ErrFolderReplaced, f.root)
	}
	md, err := maildir.Create(f.root)
	if err != nil {
		return err
	}
	mk = marker{Format: 1, ID: accounts.NewID() + accounts.NewID(), Mailbox: mailboxID(a), Created: time.Now().UTC()}
	data, _ := json.MarshalIndent(mk, "", "  ")
	if err := atomicfile.WriteFile(f.metaPath("store.json"), append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("create backup folder: %w", err)
	}
	if err := atomicfile.SyncDir(f.root); err != nil {
		return err
	}
	f.md, f.marker, f.fresh = md, mk, true
	return nil
}

func readMarker(path string) (marker, error) {
	var mk marker
	data, err := os.ReadFile(path)
	if err != nil {
		return mk, err
	}
	if err := json.Unmarshal(data, &mk); err != nil || mk.ID == "" || mk.Format < 1 {
		return mk, fmt.Errorf("%s is damaged; Postfach will not write into this folder until it is repaired or the account uses another folder", path)
	}
	if mk.Format > 1 {
		return mk, fmt.Errorf("%s was written by a newer Postfach (format %d); please update Postfach", path, mk.Format)
	}
	return mk, nil
}
