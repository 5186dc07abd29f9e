package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/filelock"
	"github.com/postfach/postfach/backup/index"
	"github.com/postfach/postfach/backup/maildir"
)

// Batch limits for group commit: a batch is made durable when it reaches either.
// batchMessages is a variable only so that the crash tests can make batches small and
// every per-batch durability step frequent; nothing else changes it.
var batchMessages = 256

const batchBytes = 64 << 20

// Run backs up one POP3 account once: download what is new, then apply the retention
// policy. It always returns a Result (also stored in the account's history when
// Options.StateDir is set); the error is the one that ended the run early.
func Run(ctx context.Context, acct accounts.Account, password string, opts *Options) (*Result, error) {
	o := withDefaults(opts)
	r := &runner{acct: &acct, password: password, o: o}
	r.res = &Result{AccountID: acct.ID, Account: acct.Name, Started: o.Now().UTC()}
	if acct.Backup != nil {
		r.res.Dir = acct.Backup.Dir
	}
	err := r.run(ctx)
	r.res.Duration = o.Now().Sub(r.res.Started)
	if err != nil {
		err = fmt.Errorf("backup %s: %w", acct.Name, err)
		r.res.Err = err.Error()
	}
	if r.state != nil {
		r.state.History = append(r.state.History, *r.res)
		if serr := saveState(o.StateDir, acct.ID, r.state); serr != nil && err == nil {
			err = serr
			r.res.Err = err.Error()
		}
	}
	return r.res, err
}

// runner holds one run's working state.
type runner struct {
	acct     *accounts.Account
	password string
	o        Options
	res      *Result
	state    *accountState
	f        *folder
	ix       *index.Index
	sess     session
	// rebuilt means the index was rebuilt from the files this run: deletions wait for
	// the next run, when the rebuilt index has been reconciled with the server once.
	rebuilt bool
	// rekeyable maps the content hash of backed-up messages the server no longer lists
	// under their old UIDL. A download with the same content is the same message under
	// a new UIDL (a server migration): it is recorded against the existing file rather
	// than stored twice, and deletions wait for the next run.
	rekeyable map[[32]byte]index.Entry
	rekeyed   int
	// adopted are index records that need no new file (re-keyed messages); they are
	// committed with the next batch.
	adopted   []index.Record
	pending   []*maildir.Pending
	pendBytes int64
}

func withDefaults(opts *Options) Options {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Timeout == 0 {
		o.Timeout = 60 * time.Second
	}
	if o.MaxDeletes == 0 {
		o.MaxDeletes = DefaultMaxDeletes
	}
	return o
}

// failpoint marks a durability step. Tests set Options.failpoint to kill the process at
// each step in turn and check that the next run recovers (see crash_test.go).
func (r *runner) failpoint(name string) {
	if r.o.failpoint != nil {
		r.o.failpoint(name)
	}
}

func (r *runner) progress(p Progress) {
	if r.o.Progress != nil {
		r.o.Progress(p)
	}
}

func (r *runner) run(ctx context.Context) error {
	if r.acct.Protocol != accounts.POP3 || r.acct.Backup == nil {
		return ErrNotPOP3
	}
	st, err := loadState(r.o.StateDir, r.acct.ID)
	if err != nil {
		return err
	}
	r.state = st
	r.f, err = openFolder(r.acct, st, true)
	if err != nil {
		return err
	}
	defer r.f.md.Close()
	lock, err := filelock.TryLock(r.f.metaPath("lock"))
	if errors.Is(err, filelock.ErrLocked) {
		return ErrBusy
	}
	if err != nil {
		return err
	}
	defer lock.Unlock()
	// Remember the folder's identity before touching the server, so that a later run
	// notices if this folder disappears or is swapped.
	if st.Dir != r.f.root || st.StoreID != r.f.marker.ID {
		st.Dir, st.StoreID = r.f.root, r.f.marker.ID
		if err := saveState(r.o.StateDir, r.acct.ID, st); err != nil {
			return err
		}
	}
	if err := r.f.md.CleanTmp(); err != nil {
		return err
	}
	if err := r.openIndex(); err != nil {
		return err
	}
	defer r.ix.Close()

	r.progress(Progress{Phase: PhaseConnect})
	r.sess, err = dialSession(ctx, r.acct, r.password, &r.o)
	if err != nil {
		return err
	}
	// Until the end of the run proves otherwise, drop the connection without QUIT: the
	// server then rolls back any DELE and does not mark messages as downloaded.
	quitted := false
	defer func() {
		if !quitted {
			r.sess.Close()
		}
	}()

	r.progress(Progress{Phase: PhaseList})
	list, err := listMailbox(ctx, r.sess)
	if err != nil {
		return err
	}
	for _, u := range slices.Sorted(maps.Keys(list.dup)) {
		r.res.Errors = append(r.res.Errors, MessageError{UIDL: u,
			Err: "the server lists this message ID more than once; one copy is backed up and none is deleted"})
	}
	if err := r.reconcile(list); err != nil {
		return err
	}
	todo, err := r.plan(list)
	if err != nil {
		return err
	}
	if len(todo) > 0 {
		if err := addSizes(ctx, r.sess, todo); err != nil {
			return err
		}
	}
	if err := r.download(ctx, list, todo); err != nil {
		r.abortPending()
		return err
	}
	dels, err := r.deleteEligible(ctx, list)
	if err != nil {
		return err
	}
	r.progress(Progress{Phase: PhaseDone, Done: r.res.New, Total: len(todo), Bytes: r.res.Bytes})
	quitted = true
	r.failpoint("before-quit")
	err = r.sess.Quit(ctx)
	r.failpoint("after-quit")
	if err != nil {
		r.sess.Close()
		if len(dels) > 0 {
			// The deletions were not applied; the next run sees the messages still
			// listed and withdraws the requests.
			return fmt.Errorf("server did not confirm the deletions (they will be retried): %w", err)
		}
		return nil
	}
	return r.confirmDeletions(dels)
}

// openIndex opens the folder's index, rebuilding it from the Maildir when it is missing
// from a folder that already held a backup, or damaged.
func (r *runner) openIndex() error {
	path := r.f.metaPath("index")
	ix, err := index.Open(path)
	switch {
	case err == nil:
		r.ix = ix
		return ix.Compact()
	case errors.Is(err, os.ErrNotExist) && r.f.fresh:
		r.ix, err = index.Create(path, nil)
		return err
	case errors.Is(err, os.ErrNotExist), errors.Is(err, index.ErrCorrupt):
		if errors.Is(err, index.ErrCorrupt) {
			// Keep the damaged file for inspection; it is never read again.
			_ = os.Rename(path, path+".damaged-"+r.o.Now().UTC().Format("20060102T150405"))
		}
		r.rebuilt = true
		r.ix, err = rebuildIndex(r.f, path, r.o.Now())
		return err
	default:
		return err
	}
}

// rebuildIndex recreates the index by hashing every message Postfach stored in the
// Maildir. Their Saved time is now, so a delete-after-N-days policy starts afresh.
func rebuildIndex(f *folder, path string, now time.Time) (*index.Index, error) {
	files, err := f.md.Scan()
	if err != nil {
		return nil, err
	}
	best := make(map[string]index.Entry)
	for k, rel := range files {
		if e, ok := best[k.UIDL]; ok && e.Gen > k.Gen {
			continue
		}
		size, sum, err := f.md.HashFile(rel)
		if err != nil {
			return nil, fmt.Errorf("rebuild index: %w", err)
		}
		best[k.UIDL] = index.Entry{UIDL: k.UIDL, Gen: k.Gen, File: baseName(rel), Size: size, SHA256: sum, Saved: now}
	}
	entries := make([]index.Entry, 0, len(best))
	for _, e := range best {
		entries = append(entries, e)
	}
	return index.Create(path, entries)
}

// reconcile settles deletions requested by an earlier run whose QUIT outcome is unknown:
// a requested UIDL no longer listed was deleted; one still listed was not, and the
// request is withdrawn (it will be re-evaluated under the policy).
func (r *runner) reconcile(list *listing) error {
	var recs []index.Record
	now := r.o.Now()
	for _, e := range r.ix.Entries() {
		if e.DeleteRequested.IsZero() || !e.Deleted.IsZero() {
			continue
		}
		if _, listed := list.byUIDL[e.UIDL]; listed {
			recs = append(recs, index.Record{Op: 'U', Entry: e})
		} else {
			recs = append(recs, index.Record{Op: 'C', Entry: e, At: now})
		}
	}
	return r.ix.Append(recs...)
}

// plan decides which listed messages to download. A file already in the Maildir for a
// UIDL the index lacks (a crash after the rename, before the index write) is adopted,
// not downloaded again.
func (r *runner) plan(list *listing) ([]message, error) {
	var todo []message
	for _, m := range list.msgs {
		e := r.ix.Get(m.UIDL)
		if e != nil && e.Deleted.IsZero() {
			r.res.AlreadyHad++
			continue
		}
		// New, or a UIDL the server reused after we saw it deleted (a different
		// message): either way a generation no earlier copy used.
		m.Gen = r.ix.NextGen(m.UIDL)
		todo = append(todo, m)
	}
	if len(todo) == 0 {
		return nil, nil
	}
	r.rekeyable = make(map[[32]byte]index.Entry)
	for _, e := range r.ix.Entries() {
		if _, listed := list.byUIDL[e.UIDL]; !listed && e.Deleted.IsZero() && e.DeleteRequested.IsZero() {
			r.rekeyable[e.SHA256] = e
		}
	}
	files, err := r.f.md.Scan()
	if err != nil {
		return nil, err
	}
	var adopt []index.Record
	kept := todo[:0]
	for _, m := range todo {
		rel, ok := files[maildir.Key{UIDL: m.UIDL, Gen: m.Gen}]
		if !ok {
			kept = append(kept, m)
			continue
		}
		size, sum, err := r.f.md.HashFile(rel)
		if err != nil {
			return nil, fmt.Errorf("adopt %s: %w", rel, err)
		}
		adopt = append(adopt, index.Record{Op: 'S', At: r.o.Now(), Entry: index.Entry{
			UIDL: m.UIDL, Gen: m.Gen, File: baseName(rel), Size: size, SHA256: sum}})
		r.res.AlreadyHad++
	}
	return kept, r.ix.Append(adopt...)
}

// download streams every planned message into the Maildir, committing in batches. A
// message the server refuses to send is reported and skipped; it stays on the server.
func (r *runner) download(ctx context.Context, list *listing, todo []message) error {
	if len(todo) == 0 {
		return nil
	}
	var total int64
	nums := make([]int, len(todo))
	byNum := make(map[int]message, len(todo))
	for i, m := range todo {
		nums[i] = m.Num
		byNum[m.Num] = m
		total += m.Octets
	}
	r.progress(Progress{Phase: PhaseDownload, Total: len(todo), TotalBytes: total})
	err := r.sess.RetrAll(ctx, nums, func(num int, body io.Reader, rerr error) error {
		m := byNum[num]
		if rerr != nil {
			r.res.Failed++
			r.res.Errors = append(r.res.Errors, MessageError{UIDL: m.UIDL, Err: rerr.Error()})
			return nil
		}
		p, err := r.f.md.Create(maildir.Key{UIDL: m.UIDL, Gen: m.Gen}, r.o.Now())
		if err != nil {
			return err
		}
		if _, err := io.Copy(p, body); err != nil {
			p.Abort()
			return fmt.Errorf("retr %d: %w", num, err)
		}
		if err := p.Finish(); err != nil {
			p.Abort()
			return err
		}
		r.failpoint("after-temp-write")
		if old, ok := r.rekeyable[p.SHA256]; ok && old.Size == p.Size {
			p.Abort()
			delete(r.rekeyable, p.SHA256)
			r.adopted = append(r.adopted, index.Record{Op: 'S', At: r.o.Now(), Entry: index.Entry{
				UIDL: m.UIDL, Gen: m.Gen, File: old.File, Size: old.Size, SHA256: old.SHA256}})
			r.rekeyed++
			r.res.AlreadyHad++
			return nil
		}
		r.pending = append(r.pending, p)
		r.pendBytes += p.Size
		r.res.New++
		r.res.Bytes += p.Size
		if len(r.pending) >= batchMessages || r.pendBytes >= batchBytes {
			if err := r.commit(); err != nil {
				return err
			}
		}
		r.progress(Progress{Phase: PhaseDownload, Done: r.res.New, Total: len(todo), Bytes: r.res.Bytes, TotalBytes: total})
		return nil
	})
	if err != nil {
		// Messages fully received before the failure are complete: keep them.
		if cerr := r.commit(); cerr != nil {
			return errors.Join(err, cerr)
		}
		return err
	}
	return r.commit()
}

// commit makes the pending batch durable in the Maildir, then records it in the index.
func (r *runner) commit() error {
	if len(r.pending) == 0 {
		err := r.ix.Append(r.adopted...)
		r.adopted = nil
		return err
	}
	if err := r.f.md.SyncData(r.pending); err != nil {
		return err
	}
	r.failpoint("after-file-sync")
	if err := r.f.md.Publish(r.pending); err != nil {
		return err
	}
	r.failpoint("after-rename")
	if err := r.f.md.SyncNew(); err != nil {
		return err
	}
	r.failpoint("after-dir-sync")
	now := r.o.Now()
	recs := r.adopted
	for _, p := range r.pending {
		recs = append(recs, index.Record{Op: 'S', At: now, Entry: index.Entry{
			UIDL: p.Key.UIDL, Gen: p.Key.Gen, File: p.Name, Size: p.Size, SHA256: p.SHA256}})
	}
	if err := r.ix.Append(recs...); err != nil {
		return err
	}
	r.adopted = nil
	r.failpoint("after-index-commit")
	r.pending, r.pendBytes = nil, 0
	return nil
}

// abortPending removes uncommitted files after a failed commit; the server still has
// those messages.
func (r *runner) abortPending() {
	for _, p := range r.pending {
		p.Abort()
	}
	r.pending, r.pendBytes = nil, 0
}

// byFileName indexes a Maildir scan by base file name (without flags), which is what
// index entries record: a re-keyed entry names a file stored under its old UIDL.
func byFileName(files map[maildir.Key]string) map[string]string {
	out := make(map[string]string, len(files))
	for _, rel := range files {
		out[baseName(rel)] = rel
	}
	return out
}

func baseName(rel string) string {
	name := filepath.Base(rel)
	for i := 0; i < len(name); i++ {
		if name[i] == ':' || name[i] == '!' {
			return name[:i]
		}
	}
	return name
}
