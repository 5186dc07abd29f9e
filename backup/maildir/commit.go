package maildir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/postfach/postfach/accounts/atomicfile"
)

// syncWorkers is how many file syncs of a batch run at once. A journaling file system
// folds concurrent syncs into one journal commit, so a few in flight cost little more
// than one; more than this gained nothing in BenchmarkCommit.
const syncWorkers = 16

// Commit makes a batch of finished messages durable and visible: SyncData, Publish,
// SyncNew. When it returns nil, every message of the batch survives a crash or power
// loss. On error, messages may be in tmp/ or new/; both are safe (tmp/ is cleaned, new/
// is found again by Scan).
func (d *Dir) Commit(batch []*Pending) error {
	if err := d.SyncData(batch); err != nil {
		return err
	}
	if err := d.Publish(batch); err != nil {
		return err
	}
	return d.SyncNew()
}

// SyncData makes the content of a batch of finished messages durable: each file is
// synced on its own descriptor, several at a time, and then closed. Every failed sync or
// close is returned, naming its file; the batch is durable only if SyncData returns nil.
// Messages synced by an earlier call are skipped; a message whose sync failed cannot be
// synced again (its write-back error is spent): Abort it and download it anew.
func (d *Dir) SyncData(batch []*Pending) error {
	todo := make([]*Pending, 0, len(batch))
	for _, p := range batch {
		switch {
		case p.dir != d:
			return fmt.Errorf("maildir sync %s: message was created by another Dir", p.Name)
		case p.state == synced:
			continue
		case p.state != finished:
			return fmt.Errorf("maildir sync %s: %w", p.Name, errState)
		}
		todo = append(todo, p)
	}
	// From here the files are this call's: Close (which releases what is left open when
	// a run ends early) no longer sees them.
	d.mu.Lock()
	for _, p := range todo {
		delete(d.open, p)
	}
	d.mu.Unlock()
	syncFile := d.syncFile
	if syncFile == nil {
		syncFile = syncData
	}
	errs := d.forEach(len(todo), func(i int) error { return syncAndClose(todo[i], syncFile) })
	var failed []error
	for i, p := range todo {
		p.f = nil
		p.state = synced
		if errs[i] != nil {
			p.state = closed
			failed = append(failed, errs[i])
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("maildir sync: %d of %d messages not durable: %w", len(failed), len(todo), errors.Join(failed...))
	}
	return nil
}

// syncAndClose syncs a message's file and closes it, whatever happens. A close can
// report a write-back error too (NFS, SMB): it counts as a failure. A panic (a sync
// function gone wrong) becomes this message's error rather than killing the process.
func syncAndClose(p *Pending, syncFile func(*os.File) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
		if err != nil {
			err = fmt.Errorf("maildir sync %s: %w", p.Name, err)
		}
		if cerr := p.f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("maildir close %s: %w", p.Name, cerr)
		}
	}()
	return syncFile(p.f)
}

// forEach calls fn(0) … fn(n-1) on at most d.workers goroutines (syncWorkers if unset)
// and returns their errors by index once every call has returned: no goroutine
// outlives it. fn must not panic (syncAndClose recovers).
func (d *Dir) forEach(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	workers := d.workers
	if workers <= 0 {
		workers = syncWorkers
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for i := range next {
				errs[i] = fn(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return errs
}

// Publish renames durable messages from tmp/ into new/, where mail readers see them. It
// refuses a message whose SyncData did not succeed.
func (d *Dir) Publish(batch []*Pending) error {
	for _, p := range batch {
		if p.dir != d || p.state != synced {
			return fmt.Errorf("maildir commit %s: not durable: %w", p.Name, errState)
		}
		if err := os.Rename(filepath.Join(d.path, Tmp, p.Name), filepath.Join(d.path, New, p.Name)); err != nil {
			return fmt.Errorf("maildir commit %s: %w", p.Name, err)
		}
	}
	return nil
}

// SyncNew makes the renames into new/ durable. tmp/ needs no sync: a file's entry there
// only ever matters until its rename, and the rename is made durable here. The first call
// also syncs the Maildir's directory, so that new/ itself is durable (whoever created it,
// this process or one that crashed before syncing) before anything relies on a message
// in it.
func (d *Dir) SyncNew() error {
	if !d.rootSynced {
		if err := atomicfile.SyncDir(d.path); err != nil {
			return err
		}
		d.rootSynced = true
	}
	return atomicfile.SyncDir(filepath.Join(d.path, New))
}
