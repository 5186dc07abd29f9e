package backup

import (
	"fmt"
	"path/filepath"

	"github.com/postfach/postfach/backup/index"
	"github.com/postfach/postfach/backup/maildir"
)

// commitJob is one batch on its way to durability: its files are synced, published into
// new/, the damaged copies it replaces are set aside, and only then are its records
// appended to the index. A job runs on its own goroutine while the next batch downloads;
// the runner starts at most one at a time and always waits for it (waitCommit) before it
// starts another, touches the index, or returns. Everything the job learns for the run
// (notes, file names) is handed back through the job and merged by the waiting goroutine.
type commitJob struct {
	pending []pendingMsg
	records []index.Record
	aside   []asideCopy

	done  chan struct{}
	err   error
	notes []MessageError
	gone  []string // base names set aside
}

// commit makes the current batch durable and waits for it (and for any batch before it).
func (r *runner) commit() error {
	if err := r.startCommit(); err != nil {
		return err
	}
	return r.waitCommit()
}

// startCommit waits for the batch in flight, then hands the current batch to a new
// committing goroutine. A batch with nothing to do starts none.
func (r *runner) startCommit() error {
	if err := r.waitCommit(); err != nil {
		return err
	}
	if len(r.pending) == 0 && len(r.records) == 0 && len(r.aside) == 0 {
		return nil
	}
	j := &commitJob{pending: r.pending, records: r.records, aside: r.aside, done: make(chan struct{})}
	r.pending, r.pendBytes, r.records, r.aside = nil, 0, nil, nil
	r.inflight = j
	go r.runCommit(j)
	return nil
}

// waitCommit waits for the batch in flight, merges what it learned, and returns its
// error. A batch that failed leaves its files in tmp/ (cleaned by the next run) or in
// new/ (adopted by the next run); the server still has every message of it.
func (r *runner) waitCommit() error {
	j := r.inflight
	if j == nil {
		return nil
	}
	<-j.done
	r.inflight = nil
	r.res.Errors = append(r.res.Errors, j.notes...)
	for _, name := range j.gone {
		delete(r.files, name)
	}
	if j.err != nil {
		for _, pm := range j.pending {
			pm.p.Abort()
		}
		return j.err
	}
	for _, pm := range j.pending {
		r.files[pm.p.Name] = filepath.Join(maildir.New, pm.p.Name)
	}
	return nil
}

// runCommit is the committing goroutine's body; a panic becomes the batch's error, so
// that the download side reports it instead of the process dying mid-run.
func (r *runner) runCommit(j *commitJob) {
	defer close(j.done)
	defer func() {
		if p := recover(); p != nil {
			j.err = fmt.Errorf("commit: panic: %v", p)
		}
	}()
	j.err = r.commitBatch(j)
}

// commitBatch makes a batch durable in the Maildir, then records it in the index.
func (r *runner) commitBatch(j *commitJob) error {
	if len(j.pending) > 0 {
		batch := make([]*maildir.Pending, len(j.pending))
		for i, pm := range j.pending {
			batch[i] = pm.p
		}
		if err := r.f.md.SyncData(batch); err != nil {
			return err
		}
		r.failpoint("after-file-sync")
		if err := r.f.md.Publish(batch); err != nil {
			return err
		}
		r.failpoint("after-rename")
		if err := r.f.md.SyncNew(); err != nil {
			return err
		}
		r.failpoint("after-dir-sync")
	}
	// The new copies are durable: move the damaged ones they replace out of the way
	// before the index forgets them, so a crash in between leaves an entry whose file
	// is missing (restored by the next run), never a damaged file nobody tracks.
	for _, c := range j.aside {
		note, err := r.moveAside(c)
		if err != nil {
			return err
		}
		j.gone = append(j.gone, maildir.BaseName(c.rel))
		j.notes = append(j.notes, note)
		r.failpoint("after-set-aside")
	}
	now := r.o.Now()
	recs := j.records
	for _, pm := range j.pending {
		p := pm.p
		recs = append(recs, index.Record{Op: 'S', At: now, Entry: index.Entry{
			UIDL: p.Key.UIDL, Gen: p.Key.Gen, File: p.Name, Size: p.Size, SHA256: p.SHA256, Octets: pm.octets, Head: pm.head}})
	}
	if err := r.ix.Append(recs...); err != nil {
		return err
	}
	if len(j.pending) > 0 {
		r.failpoint("after-index-commit")
	}
	return nil
}

// abortPending waits for the batch in flight and removes the files of the batch that was
// still downloading when the run failed; the server still has those messages.
func (r *runner) abortPending() {
	r.waitCommit()
	for _, pm := range r.pending {
		pm.p.Abort()
	}
	r.pending, r.pendBytes = nil, 0
}
