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
	"sync"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/backup/index"
	"github.com/postfach/postfach/backup/maildir"
)

// Batch limits for group commit: a batch is made durable when it reaches either.
const (
	defaultBatchMessages = 256
	batchBytes           = 64 << 20
)

// Run backs up one POP3 account once: download what is new, restore local copies that
// went missing while the server still has them, then apply the retention policy. It
// always returns a Result (also stored in the account's history when Options.StateDir is
// set, except when another run of the folder was busy); the error is the one that ended
// the run early.
func Run(ctx context.Context, acct accounts.Account, password string, opts *Options) (*Result, error) {
	o := withDefaults(opts)
	r := &runner{acct: &acct, password: password, o: o, retrieved: map[string]bool{}, keep: map[string]bool{}}
	r.res = &Result{AccountID: acct.ID, Account: acct.Name, Started: o.Now().UTC()}
	if acct.Backup != nil {
		r.res.Dir = acct.Backup.Dir
	}
	err := r.run(ctx)
	r.res.Duration = o.Now().Sub(r.res.Started)
	if err != nil {
		err = fmt.Errorf("backup %s: %w", acct.Name, err)
		r.res.Err, r.res.Kind = err.Error(), KindOf(err)
	}
	// A run that found the folder busy has done nothing, and the state belongs to the
	// run that holds the lock: write nothing.
	if !errors.Is(err, ErrBusy) && acct.Protocol == accounts.POP3 {
		serr := updateState(o.StateDir, acct.ID, func(st *accountState) {
			if r.f != nil {
				st.Dir, st.StoreID = r.f.root, r.f.marker.ID
			}
			st.Suspect = slices.DeleteFunc(st.Suspect, func(name string) bool { return r.checked[name] })
			st.History = append(st.History, *r.res)
		})
		if serr != nil && err == nil {
			err = serr
			r.res.Err, r.res.Kind = err.Error(), KindOf(err)
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
	f        *folder
	ix       *index.Index
	sess     session
	// files maps base file names (what index entries record) to paths relative to the
	// Maildir, as scanned at the start of the run and kept up to date by it.
	files map[string]string
	// checked are suspect files (from Verify) this run re-hashed; healing are the UIDLs
	// whose copies among them were damaged, forgotten, and are to be downloaded again.
	checked map[string]bool
	healing map[string]bool
	// rebuilt means the index was rebuilt from the files this run: deletions wait for
	// the next run, when the rebuilt index has been reconciled with the server once.
	rebuilt bool
	// rekeyable maps the content hash of backed-up messages the server no longer lists
	// under their old UIDL. A download with the same content is the same message under
	// a new UIDL (a server migration): it is recorded against the existing file rather
	// than stored twice, and deletions wait for the next run.
	rekeyable map[[32]byte]index.Entry
	rekeyed   int
	// retrieved are UIDLs whose message this session retrieved and found stored: the
	// strongest proof that the server's message is the copy the backup holds.
	retrieved map[string]bool
	// keep are UIDLs that must not be deleted in this run: the server's message under
	// them turned out to be a different one than the backup had.
	keep map[string]bool
	// again are messages to retrieve in full before deletions: proofs of unproven
	// copies and replacements of damaged ones.
	again []message
	// records are index records that need no new file (proofs, re-keyed messages,
	// forgotten copies); they are committed before the next batch's own records.
	records   []index.Record
	pending   []pendingMsg
	pendBytes int64
	// inflight is the batch being committed on its own goroutine while the next one
	// downloads (at most one; see commit.go).
	inflight *commitJob
	fpMu     sync.Mutex
	// aside are damaged copies to move out of the Maildir when the batch that replaces
	// them is committed.
	aside []asideCopy
}

// asideCopy is a damaged stored copy: its path relative to the Maildir and its UIDL.
type asideCopy struct{ rel, uidl string }

// pendingMsg is a downloaded message waiting for its batch to be committed.
type pendingMsg struct {
	p      *maildir.Pending
	octets int64
	head   [32]byte
}

func withDefaults(opts *Options) Options {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxDeletes == 0 {
		o.MaxDeletes = DefaultMaxDeletes
	}
	if o.batch == 0 {
		o.batch = defaultBatchMessages
	}
	if o.dial == nil {
		o.dial = dialPOP3
	}
	return o
}

// failpoint marks a durability step. Tests set Options.failpoint to kill the process at
// each step in turn and check that the next run recovers (see crash_test.go).
func (r *runner) failpoint(name string) {
	if r.o.failpoint != nil {
		// Steps happen on the downloading and on the committing goroutine.
		r.fpMu.Lock()
		defer r.fpMu.Unlock()
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
	f, err := openFolder(r.acct, st, true)
	if err != nil {
		return err
	}
	defer f.close()
	r.f = f
	// Remember the folder's identity before touching the server, so that a later run
	// notices if this folder disappears or is swapped.
	if st.Dir != f.root || st.StoreID != f.marker.ID {
		err := updateState(r.o.StateDir, r.acct.ID, func(st *accountState) { st.Dir, st.StoreID = f.root, f.marker.ID })
		if err != nil {
			return err
		}
	}
	if err := f.md.CleanTmp(); err != nil {
		return err
	}
	if err := r.openIndex(); err != nil {
		return err
	}
	defer r.ix.Close()
	// No commit outlives the run, whatever way it ends; deferred after Close, so it
	// runs before it.
	defer r.waitCommit()
	if err := r.scan(); err != nil {
		return err
	}
	if err := r.checkSuspects(st.Suspect); err != nil {
		return err
	}

	r.progress(Progress{Phase: PhaseConnect})
	r.sess, err = r.o.dial(ctx, r.acct, r.password, &r.o)
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
	if err := r.download(ctx, todo, PhaseDownload); err != nil {
		r.abortPending()
		return err
	}
	dels, err := r.deleteEligible(ctx, list)
	if err != nil {
		r.abortPending()
		return err
	}
	r.progress(Progress{Phase: PhaseDone, Done: r.res.New + r.res.Restored, Total: len(todo), Bytes: r.res.Bytes})
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
// Maildir. The entries are unproven: their hashes describe whatever is on the disk, so
// before any deletion the server's message is retrieved and compared in full. Their Saved
// time is now, so a delete-after-N-days policy starts afresh.
func rebuildIndex(f *folder, path string, now time.Time) (*index.Index, error) {
	files, err := f.md.Scan()
	if err != nil {
		return nil, err
	}
	entries := make([]index.Entry, 0, len(files))
	for k, rel := range files {
		size, sum, err := f.md.HashFile(rel)
		if err != nil {
			return nil, fmt.Errorf("rebuild index: %w", err)
		}
		entries = append(entries, index.Entry{UIDL: k.UIDL, Gen: k.Gen, File: maildir.BaseName(rel), Size: size, SHA256: sum, Saved: now})
	}
	return index.Create(path, entries)
}

// scan lists the Maildir once per run: which stored copies exist.
func (r *runner) scan() error {
	files, err := r.f.md.Stored()
	if err != nil {
		return err
	}
	r.files = files
	return nil
}

// reconcile settles deletions requested by an earlier run whose QUIT outcome is unknown
// (a requested UIDL no longer listed was deleted; one still listed was not, and the
// request is withdrawn), and records UIDLs that vanished without Postfach deleting them:
// if one comes back, it names another message.
func (r *runner) reconcile(list *listing) error {
	var recs []index.Record
	now := r.o.Now()
	for e := range r.ix.Current() {
		_, listed := list.byUIDL[e.UIDL]
		switch {
		case !e.Deleted.IsZero():
		case !e.DeleteRequested.IsZero() && listed:
			recs = append(recs, index.Record{Op: 'U', Entry: e})
		case !e.DeleteRequested.IsZero():
			recs = append(recs, index.Record{Op: 'C', Entry: e, At: now})
		case !listed && e.Gone.IsZero():
			recs = append(recs, index.Record{Op: 'V', Entry: e, At: now})
		}
	}
	return r.ix.Append(recs...)
}

// plan decides which listed messages to download:
//   - a UIDL the index does not know, or one the server reused after Postfach deleted
//     its message: new;
//   - a UIDL that vanished and came back, or whose listed size differs from the one
//     recorded at download: probably another message; downloaded and compared with the
//     copy the backup holds (stored only if it differs, and then not deleted this run);
//   - a UIDL whose local copy is missing: downloaded again (self-healing).
//
// A file already in the Maildir for a planned download (a crash after the rename, before
// the index write) is adopted, not downloaded again.
func (r *runner) plan(list *listing) ([]message, error) {
	var todo []message
	var forget []index.Record
	for _, m := range list.msgs {
		e := r.ix.Get(m.UIDL)
		switch {
		case e == nil:
			m.heal = r.healing[m.UIDL]
		case !e.Deleted.IsZero():
		case r.files[e.File] == "":
			forget = append(forget, index.Record{Op: 'L', Entry: *e})
			m.heal = true
			r.res.Errors = append(r.res.Errors, MessageError{UIDL: m.UIDL, Err: "the local copy was missing; it is downloaded again from the server"})
		case !e.Gone.IsZero() || (e.Proven() && e.Octets != m.Octets):
			prev := *e
			m.prev = &prev
		default:
			r.res.AlreadyHad++
			continue
		}
		m.Gen = r.ix.NextGen(m.UIDL)
		todo = append(todo, m)
	}
	if err := r.ix.Append(forget...); err != nil {
		return nil, err
	}
	if len(todo) == 0 {
		return nil, nil
	}
	r.rekeyable = make(map[[32]byte]index.Entry)
	for e := range r.ix.Current() {
		if _, listed := list.byUIDL[e.UIDL]; !listed && e.Deleted.IsZero() && e.DeleteRequested.IsZero() && r.files[e.File] != "" {
			r.rekeyable[e.SHA256] = e
		}
	}
	keys := make(map[maildir.Key]string, len(r.files))
	for base, rel := range r.files {
		if k, ok := maildir.ParseFileName(base); ok {
			keys[k] = rel
		}
	}
	var adopt []index.Record
	kept := todo[:0]
	for _, m := range todo {
		rel, ok := keys[maildir.Key{UIDL: m.UIDL, Gen: m.Gen}]
		if !ok {
			kept = append(kept, m)
			continue
		}
		size, sum, err := r.f.md.HashFile(rel)
		if err != nil {
			return nil, fmt.Errorf("adopt %s: %w", rel, err)
		}
		// Unproven: the bytes are hashed from the disk, not retrieved in this session.
		adopt = append(adopt, index.Record{Op: 'S', At: r.o.Now(), Entry: index.Entry{
			UIDL: m.UIDL, Gen: m.Gen, File: maildir.BaseName(rel), Size: size, SHA256: sum}})
		r.res.AlreadyHad++
	}
	return kept, r.ix.Append(adopt...)
}

// download streams every planned message into the Maildir, committing in batches. A
// message the server refuses to send is reported and skipped; it stays on the server.
// A message with a previous copy (m.prev) is compared with it: the same bytes are a proof,
// not a second copy.
func (r *runner) download(ctx context.Context, todo []message, phase Phase) error {
	if len(todo) == 0 {
		return nil
	}
	var total int64
	nums := make([]int, len(todo))
	for i, m := range todo {
		nums[i] = m.Num
		total += m.Octets
	}
	done := 0
	r.progress(Progress{Phase: phase, Total: len(todo), TotalBytes: total})
	// RetrAll reports the messages in the order of nums, each once: a cursor finds
	// them without a map from number to message (10,000 messages made it ~1 MB of the
	// live heap).
	next := 0
	err := r.sess.RetrAll(ctx, nums, func(num int, body io.Reader, rerr error) error {
		for next < len(todo) && todo[next].Num != num {
			next++
		}
		if next == len(todo) {
			return fmt.Errorf("retr: the session reported message %d, which was not asked for or out of order", num)
		}
		m := todo[next]
		next++
		if rerr != nil {
			r.res.Failed++
			r.res.Errors = append(r.res.Errors, MessageError{UIDL: m.UIDL, Err: rerr.Error()})
			return nil
		}
		if err := r.store(m, body, num); err != nil {
			return err
		}
		done++
		if len(r.pending) >= r.o.batch || r.pendBytes >= batchBytes {
			// The batch becomes durable while the next one downloads.
			if err := r.startCommit(); err != nil {
				return err
			}
		}
		r.progress(Progress{Phase: phase, Done: done, Total: len(todo), Bytes: r.res.Bytes, TotalBytes: total})
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

// store writes one retrieved message to tmp/ and decides what it is: the copy the
// backup already holds (a proof), a re-keyed message (matched by content), or a message
// to add in the next commit.
func (r *runner) store(m message, body io.Reader, num int) error {
	p, err := r.f.md.Create(maildir.Key{UIDL: m.UIDL, Gen: m.Gen}, r.o.Now())
	if err != nil {
		return err
	}
	hd := newHeadDigest()
	if _, err := io.Copy(io.MultiWriter(p, hd), body); err != nil {
		p.Abort()
		return fmt.Errorf("retr %d: %w", num, err)
	}
	if err := p.Finish(); err != nil {
		p.Abort()
		return err
	}
	r.failpoint("after-temp-write")
	head := hd.Sum()
	proof := index.Entry{UIDL: m.UIDL, Octets: m.Octets, Head: head}
	if prev := m.prev; prev != nil {
		if r.files[prev.File] != "" && prev.SHA256 == p.SHA256 && prev.Size == p.Size {
			// The server's message is the copy the backup holds: prove it, store nothing.
			p.Abort()
			r.records = append(r.records, index.Record{Op: 'P', Entry: proof})
			r.retrieved[m.UIDL] = true
			r.res.AlreadyHad++
			return nil
		}
		r.keep[m.UIDL] = true
		if r.damagedCopy(prev, head) {
			m.heal = true
			r.res.Errors = append(r.res.Errors, MessageError{UIDL: m.UIDL, Err: "the local copy was damaged; it was downloaded again and the damaged file kept in .postfach/damaged"})
		} else {
			r.res.Errors = append(r.res.Errors, MessageError{UIDL: m.UIDL, Err: "the server now lists another message under this ID; it was backed up as a new message and is not deleted in this run"})
		}
	}
	if old, ok := r.rekeyable[p.SHA256]; ok && old.Size == p.Size {
		p.Abort()
		delete(r.rekeyable, p.SHA256)
		e := index.Entry{UIDL: m.UIDL, Gen: m.Gen, File: old.File, Size: old.Size, SHA256: old.SHA256, Octets: m.Octets, Head: head}
		r.records = append(r.records, index.Record{Op: 'S', At: r.o.Now(), Entry: e})
		r.rekeyed++
		r.res.AlreadyHad++
		return nil
	}
	r.pending = append(r.pending, pendingMsg{p: p, octets: m.Octets, head: head})
	r.pendBytes += p.Size
	r.retrieved[m.UIDL] = true
	if m.heal {
		r.res.Restored++
	} else {
		r.res.New++
	}
	r.res.Bytes += p.Size
	return nil
}

// damagedCopy decides whether prev, a stored copy whose server message differs from it,
// is a damaged copy of that same message rather than another message: its own bytes no
// longer match its hash, or it was never proven and its header block is the server's
// message's. A damaged copy is forgotten and moved aside when the new copy is committed.
func (r *runner) damagedCopy(prev *index.Entry, serverHead [32]byte) bool {
	rel := r.files[prev.File]
	if rel == "" {
		return false
	}
	size, sum, herr := r.f.md.HashFile(rel)
	damaged := herr != nil || size != prev.Size || sum != prev.SHA256
	if !damaged && !prev.Proven() {
		head, err := fileHeadDigest(filepath.Join(r.f.root, rel))
		damaged = err != nil || head == serverHead
	}
	if damaged {
		r.records = append(r.records, index.Record{Op: 'L', Entry: *prev})
		r.aside = append(r.aside, asideCopy{rel, prev.UIDL})
	}
	return damaged
}
