package maildir_test

import (
	"os"
	"path/filepath"

	"github.com/postfach/postfach/backup/maildir"
	"golang.org/x/sys/unix"
)

// platformVariants adds the way Postfach committed a batch before each file got its own
// sync, as BenchmarkCommit's baseline: one syncfs(2) on a handle opened before the batch
// was written, then the renames and a sync of new/.
func platformVariants() []commitVariant {
	var handle *os.File
	return []commitVariant{{
		name: "syncfs",
		prepare: func(d *maildir.Dir) error {
			// SyncData then only closes the files: syncfs is the only data sync.
			maildir.SetSyncFile(d, func(*os.File) error { return nil })
			h, err := os.Open(filepath.Join(d.Path(), maildir.Tmp))
			handle = h
			return err
		},
		commit: func(d *maildir.Dir, batch []*maildir.Pending) error {
			if err := d.SyncData(batch); err != nil {
				return err
			}
			err := unix.Syncfs(int(handle.Fd()))
			handle.Close()
			if err != nil {
				return err
			}
			if err := d.Publish(batch); err != nil {
				return err
			}
			return d.SyncNew()
		},
	}}
}
