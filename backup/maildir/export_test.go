package maildir

import "os"

// SetSyncFile replaces how d makes one file durable, so tests can make a sync fail.
func SetSyncFile(d *Dir, fn func(*os.File) error) { d.syncFile = fn }

// SetWorkers sets how many syncs of a batch d runs at once.
func SetWorkers(d *Dir, n int) { d.workers = n }

// OpenFiles is how many message files d holds open.
func OpenFiles(d *Dir) int { return len(d.open) }

// SyncWorkers is the default bound on a batch's concurrent syncs.
const SyncWorkers = syncWorkers

// SetLink replaces how d makes a hard link, to stand in for a file system without them.
func SetLink(d *Dir, fn func(oldname, newname string) error) { d.link = fn }
