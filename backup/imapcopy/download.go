package imapcopy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/postfach/postfach/accounts/atomicfile"
	"github.com/postfach/postfach/accounts/imap"
	"github.com/postfach/postfach/backup/maildir"
)

// Batch bounds of Download: a batch is one UID FETCH command and one durable commit
// (the files' syncs issued together, then one directory sync). Large enough to amortise the sync, small
// enough that an interruption repeats little.
const (
	defaultBatchMessages = 500
	defaultBatchBytes    = 64 << 20
)

// ErrFolderClash means two IMAP folders map to directories that a case-insensitive file
// system (Windows, macOS) cannot tell apart ("Sent" and "sent"). Nothing is downloaded.
var ErrFolderClash = errors.New("two folders differ only in case")

// DownloadOptions tune Download. A nil *DownloadOptions is the same as the zero value:
// every selectable folder, default batches, no progress reports.
type DownloadOptions struct {
	// Folders are the IMAP mailbox names to download; empty means every selectable
	// mailbox the server lists.
	Folders []string
	// Progress, if set, is called after every durable batch, on the caller's goroutine.
	Progress func(Progress)
	// BatchMessages and BatchBytes bound a batch; zero means the defaults.
	BatchMessages int
	BatchBytes    int64
	// Now is the clock for temporary file names; nil means time.Now.
	Now func() time.Time
	// Select, if set, downloads only the messages it returns true for (the free-space
	// assistant's choice: older than, larger than). The folder journal is then left
	// alone, so a later full download still fetches the rest.
	Select func(imap.MessageInfo) bool

	// failpoint, if set, is called at each durability step of a batch ("after-sync",
	// "after-rename", "after-dir-sync", "after-journal"); the crash tests kill there.
	failpoint func(step string)
}

// Progress reports how far a copy has come in one folder.
type Progress struct {
	Folder string
	// Done and Total count messages of this run in this folder; Bytes and TotalBytes
	// their sizes.
	Done, Total       int
	Bytes, TotalBytes int64
}

// FolderResult is what Download did for one IMAP folder.
type FolderResult struct {
	Mailbox string
	// Dir is the Maildir's path relative to the download root ("" for INBOX).
	Dir         string
	UIDValidity uint32
	// Fetched and Bytes count the messages this run stored; Present those found on disk
	// already (a previous run stored them, and its journal entry was lost in a crash).
	Fetched int
	Bytes   int64
	Present int
	// UIDs are the messages (under UIDValidity) this run found durably stored, fetched
	// or present, among those listed and selected; Archive deletes exactly these.
	UIDs []uint32
}

// folderJournal is the state file of one downloaded folder: every message with a UID up
// to DoneThrough (under UIDValidity) is durably in the Maildir.
type folderJournal struct {
	Mailbox     string `json:"mailbox"`
	UIDValidity uint32 `json:"uidvalidity"`
	DoneThrough uint32 `json:"done_through"`
}

// Download copies IMAP folders into the Maildir++ tree at root: INBOX into root itself,
// every other folder into the subdirectory FolderDir names. Messages are fetched with
// BODY.PEEK[] (nothing is marked read) on an EXAMINEd mailbox and stored byte-exact, in
// cur/ with their flags as Maildir info and INTERNALDATE as file time. A run fetches only
// what earlier runs did not store (by UIDVALIDITY and UID), so a second run over an
// unchanged mailbox fetches nothing. Flags changed on the server after a message was
// stored are not updated: the tree is an archive, not a sync.
//
// sess must be logged in; its deadline bounds the whole run. On error the results so
// far are returned with it, and a new run resumes.
func Download(ctx context.Context, sess *imap.Session, root string, opts *DownloadOptions) ([]FolderResult, error) {
	var o DownloadOptions
	if opts != nil {
		o = *opts
	}
	if o.BatchMessages <= 0 {
		o.BatchMessages = defaultBatchMessages
	}
	if o.BatchBytes <= 0 {
		o.BatchBytes = defaultBatchBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.failpoint == nil {
		o.failpoint = func(string) {}
	}
	boxes, err := sess.Mailboxes(ctx)
	if err != nil {
		return nil, fmt.Errorf("download: %w", err)
	}
	boxes, err = chooseFolders(boxes, o.Folders)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(root, StateDir), 0o700); err != nil {
		return nil, fmt.Errorf("download: %w", err)
	}
	var results []FolderResult
	for _, mb := range boxes {
		res, err := downloadFolder(ctx, sess, root, mb, &o)
		results = append(results, res)
		if err != nil {
			return results, fmt.Errorf("download %s: %w", mb.Name, err)
		}
	}
	return results, nil
}

// chooseFolders keeps the selectable mailboxes named in want (all when want is empty)
// and refuses names that would share a directory on a case-insensitive file system.
func chooseFolders(boxes []imap.Mailbox, want []string) ([]imap.Mailbox, error) {
	var out []imap.Mailbox
	dirs := map[string]string{}
	for _, mb := range boxes {
		if !mb.Selectable || (len(want) > 0 && !slices.Contains(want, mb.Name)) {
			continue
		}
		d := strings.ToLower(FolderDir(mb.Name, mb.Delim))
		if other, ok := dirs[d]; ok {
			return nil, fmt.Errorf("download: %q and %q: %w", other, mb.Name, ErrFolderClash)
		}
		dirs[d] = mb.Name
		out = append(out, mb)
	}
	for _, w := range want {
		if !slices.ContainsFunc(out, func(mb imap.Mailbox) bool { return mb.Name == w }) {
			return nil, fmt.Errorf("download: no selectable folder %q on the server", w)
		}
	}
	return out, nil
}

func journalPath(root, dir string) string {
	return filepath.Join(root, StateDir, "folder"+dir+".json")
}

func loadFolderJournal(path string) (folderJournal, error) {
	var j folderJournal
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return j, nil
	}
	if err != nil {
		return j, err
	}
	if err := json.Unmarshal(b, &j); err != nil {
		// A journal is only an optimisation over the file names; a damaged one costs a
		// listing, not a duplicate.
		return folderJournal{}, nil
	}
	return j, nil
}

func downloadFolder(ctx context.Context, sess *imap.Session, root string, mb imap.Mailbox, o *DownloadOptions) (FolderResult, error) {
	dir := FolderDir(mb.Name, mb.Delim)
	res := FolderResult{Mailbox: mb.Name, Dir: dir}
	path := filepath.Join(root, dir)
	md, err := maildir.Create(path)
	if err != nil {
		return res, err
	}
	defer md.Close()
	if err := md.CleanTmp(); err != nil {
		return res, err
	}
	sel, err := sess.Examine(ctx, mb.Name)
	if err != nil {
		return res, err
	}
	res.UIDValidity = sel.UIDValidity
	jpath := journalPath(root, dir)
	j, err := loadFolderJournal(jpath)
	if err != nil {
		return res, err
	}
	if j.UIDValidity != sel.UIDValidity {
		// A new UIDVALIDITY renumbers the mailbox: old UIDs mean nothing any more. Files
		// of the old numbering stay; their names carry the old UIDVALIDITY.
		j = folderJournal{Mailbox: mb.Name, UIDValidity: sel.UIDValidity}
	}
	from := j.DoneThrough + 1
	if o.Select != nil {
		// A selection is about what is on the server now, stored earlier or not: an
		// archive must see (and report) messages a full download already stored.
		from = 1
	}
	if from >= sel.UIDNext && sel.UIDNext != 0 {
		return res, nil
	}
	have, err := storedUIDs(path, sel.UIDValidity)
	if err != nil {
		return res, err
	}
	infos, err := sel.ListMessages(ctx, from)
	if err != nil {
		return res, err
	}
	var todo []imap.MessageInfo
	var total int64
	for _, in := range infos {
		if o.Select != nil && !o.Select(in) {
			continue
		}
		if _, ok := have[in.UID]; ok {
			res.Present++
			res.UIDs = append(res.UIDs, in.UID)
			continue
		}
		todo = append(todo, in)
		total += in.Size
	}
	// last is the highest UID the server had at EXAMINE; old servers may omit UIDNEXT.
	last := sel.UIDNext - 1
	if sel.UIDNext == 0 {
		last = j.DoneThrough
		for _, in := range infos {
			last = max(last, in.UID)
		}
	}
	d := &downloader{ctx: ctx, sel: sel, md: md, dir: path, o: o}
	for start := 0; start < len(todo); {
		end, size := start, int64(0)
		for end < len(todo) && end-start < o.BatchMessages && (end == start || size+todo[end].Size <= o.BatchBytes) {
			size += todo[end].Size
			end++
		}
		uids, bytes, err := d.batch(todo[start:end], size)
		res.Fetched += len(uids)
		res.Bytes += bytes
		res.UIDs = append(res.UIDs, uids...)
		if err != nil {
			return res, err
		}
		if o.Select != nil {
			// A selection leaves gaps below the next UID: the journal stays as it is.
			start = end
			if o.Progress != nil {
				o.Progress(Progress{Folder: mb.Name, Done: res.Fetched, Total: len(todo), Bytes: res.Bytes, TotalBytes: total})
			}
			continue
		}
		// Everything below the next batch's first UID is stored (or was expunged
		// meanwhile); after the last batch, everything below UIDNEXT.
		j.DoneThrough = last
		if end < len(todo) {
			j.DoneThrough = todo[end].UID - 1
		}
		if err := writeJournal(jpath, j); err != nil {
			return res, err
		}
		o.failpoint("after-journal")
		start = end
		if o.Progress != nil {
			o.Progress(Progress{Folder: mb.Name, Done: res.Fetched, Total: len(todo), Bytes: res.Bytes, TotalBytes: total})
		}
	}
	if len(todo) == 0 && o.Select == nil {
		j.DoneThrough = last
		if err := writeJournal(jpath, j); err != nil {
			return res, err
		}
	}
	return res, nil
}

func writeJournal(path string, j folderJournal) error {
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

// downloader fetches batches of one folder.
type downloader struct {
	ctx context.Context
	sel *imap.Selected
	md  *maildir.Dir
	dir string
	o   *DownloadOptions
	seq int
}

type fetched struct {
	p    *maildir.Pending
	uid  uint32
	date time.Time // INTERNALDATE, the file's modification time
	name string    // final name in cur/
}

// batch fetches msgs, stores them durably in cur/ and returns the UIDs it stored. A
// message the server no longer has is skipped.
func (d *downloader) batch(msgs []imap.MessageInfo, size int64) ([]uint32, int64, error) {
	uids := make([]uint32, len(msgs))
	for i, m := range msgs {
		uids[i] = m.UID
	}
	var done []fetched
	var cur *maildir.Pending
	defer func() {
		if cur != nil {
			cur.Abort()
		}
		for _, f := range done {
			f.p.Abort() // no-op for files already renamed into cur/
		}
	}()
	err := d.sel.Fetch(d.ctx, uids, size, imap.FetchHandler{
		Body: func(_ uint32, _ int64, r io.Reader) error {
			d.seq++
			p, err := d.md.Create(maildir.Key{UIDL: "fetch-" + strconv.Itoa(d.seq)}, d.o.Now())
			if err != nil {
				return err
			}
			cur = p
			_, err = io.Copy(p, r)
			return err
		},
		Done: func(info imap.MessageInfo, n int64) error {
			p := cur
			cur = nil
			if err := p.Finish(); err != nil {
				p.Abort()
				return err
			}
			if p.Size != n {
				p.Abort()
				return fmt.Errorf("uid %d: stored %d bytes of %d", info.UID, p.Size, n)
			}
			done = append(done, fetched{p: p, uid: info.UID, date: info.InternalDate, name: storedName(info.InternalDate, d.sel.UIDValidity, info.UID, info.Flags)})
			return nil
		},
	})
	if err != nil {
		return nil, 0, err
	}
	pend := make([]*maildir.Pending, len(done))
	for i, f := range done {
		pend[i] = f.p
	}
	if err := d.md.SyncData(pend); err != nil {
		return nil, 0, err
	}
	// The file time is set once the file is closed (SyncData closes it): on Windows,
	// closing a handle that wrote data may set the modification time again. The date is
	// in the file name as well, so a crash that loses this metadata loses nothing.
	for _, f := range done {
		if f.date.IsZero() {
			continue
		}
		if err := os.Chtimes(filepath.Join(d.dir, maildir.Tmp, f.p.Name), f.date, f.date); err != nil {
			return nil, 0, err
		}
	}
	d.o.failpoint("after-sync")
	var bytes int64
	for _, f := range done {
		if err := os.Rename(filepath.Join(d.dir, maildir.Tmp, f.p.Name), filepath.Join(d.dir, maildir.Cur, f.name)); err != nil {
			return nil, 0, fmt.Errorf("store: %w", err)
		}
		bytes += f.p.Size
		d.o.failpoint("after-rename")
	}
	if err := atomicfile.SyncDir(filepath.Join(d.dir, maildir.Cur)); err != nil {
		return nil, 0, err
	}
	d.o.failpoint("after-dir-sync")
	stored := make([]uint32, len(done))
	for i, f := range done {
		stored[i] = f.uid
	}
	done = nil
	return stored, bytes, nil
}
