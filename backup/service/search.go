package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/backup"
	"github.com/postfach/postfach/backup/export"
	"github.com/postfach/postfach/backup/mailparse"
	"github.com/postfach/postfach/backup/search"
)

// The search and export jobs of issue 11. Each call opens the account's index
// (backup/search) and closes it again: an open SQLite file would keep Remove from
// deleting the folder on Windows, and opening costs a few milliseconds. The index is a
// cache of the Maildir (docs/search.md): these jobs only read the mail.

// Format is the file format of an export.
type Format string

// The export formats.
const (
	FormatEML  Format = "eml"  // one byte-identical .eml file per message
	FormatMbox Format = "mbox" // one mboxrd file
)

// ParseFormat checks a format name as typed ("eml", "mbox").
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case FormatEML, FormatMbox:
		return f, nil
	}
	return "", fmt.Errorf("unknown export format %q (eml or mbox)", s)
}

// backupRoot returns the backup folder of a POP3 account that has been backed up at
// least once: an account without one is backup.ErrNotPOP3, a folder without the
// backup's marker backup.ErrFolderMissing (never backed up, or the drive is gone).
func (s *Service) backupRoot(id string) (accounts.Account, string, error) {
	a, err := s.store.Get(id)
	if err != nil {
		return a, "", err
	}
	if a.Protocol != accounts.POP3 || a.Backup == nil || a.Backup.Dir == "" {
		return a, "", fmt.Errorf("%s: %w", a.Name, backup.ErrNotPOP3)
	}
	root := a.Backup.Dir
	if _, err := os.Stat(filepath.Join(root, ".postfach", "store.json")); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return a, "", fmt.Errorf("%w: %s has no backup yet (or the drive is not connected)", backup.ErrFolderMissing, root)
		}
		return a, "", fmt.Errorf("backup folder %s: %w", root, err)
	}
	return a, root, nil
}

// openIndex opens the index of an account's backup. fill brings an index that Open had
// to start empty (missing, damaged, other version) up to date first, reporting progress.
func (s *Service) openIndex(ctx context.Context, id string, fill bool, progress func(search.Progress)) (*search.Index, error) {
	a, root, err := s.backupRoot(id)
	if err != nil {
		return nil, err
	}
	ix, err := search.Open(root)
	if err != nil {
		return nil, fmt.Errorf("search %s: %w", a.Name, err)
	}
	if fill && ix.Reset() != search.NotReset {
		if _, err := ix.Update(ctx, progress); err != nil {
			ix.Close()
			return nil, fmt.Errorf("index %s: %w", a.Name, err)
		}
	}
	return ix, nil
}

// Index brings the search index of an account's backup up to date, or with rebuild
// throws it away and indexes every message again. progress (may be nil) is called from
// the indexing goroutine. Cancelling keeps the batches already committed.
func (s *Service) Index(ctx context.Context, id string, rebuild bool, progress func(search.Progress)) (search.Stats, error) {
	ix, err := s.openIndex(ctx, id, false, nil)
	if err != nil {
		return search.Stats{}, err
	}
	defer ix.Close()
	update := ix.Update
	if rebuild {
		update = ix.Rebuild
	}
	st, err := update(ctx, progress)
	if err != nil {
		return st, fmt.Errorf("index: %w", err)
	}
	return st, nil
}

// Search runs a query on an account's backup and returns one page of hits, newest
// first. An index that does not exist yet, or had to be discarded, is filled first
// (progress, may be nil, reports that); otherwise the index is used as the last backup
// or Index left it. A damaged index is rebuilt and the query run again.
func (s *Service) Search(ctx context.Context, id string, q search.Query, progress func(search.Progress)) (search.Result, error) {
	ix, err := s.openIndex(ctx, id, true, progress)
	if err != nil {
		return search.Result{}, err
	}
	defer ix.Close()
	res, err := ix.Search(ctx, q)
	if errors.Is(err, search.ErrCorrupt) {
		if _, err = ix.Update(ctx, progress); err == nil {
			res, err = ix.Search(ctx, q)
		}
	}
	if err != nil {
		return search.Result{}, fmt.Errorf("search: %w", err)
	}
	return res, nil
}

// Export writes the messages a query selects (all of them, whatever its Offset and
// Limit) out of an account's backup: FormatEML into the folder to, one file per
// message; FormatMbox into the new file to (its folder created if needed), oldest first. Existing files are never
// overwritten (an mbox that exists is export.ErrExists, KindFileExists). progress
// (may be nil) is called from the exporting goroutine.
func (s *Service) Export(ctx context.Context, id, to string, format Format, q search.Query, progress func(export.Progress)) (export.Stats, error) {
	if _, err := ParseFormat(string(format)); err != nil {
		return export.Stats{}, err
	}
	msgs, err := s.exportList(ctx, id, q)
	if err != nil {
		return export.Stats{}, err
	}
	opt := &export.Options{Progress: progress}
	if format == FormatEML {
		return export.EML(ctx, to, msgs, opt)
	}
	slices.Reverse(msgs)
	if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
		return export.Stats{}, fmt.Errorf("export: %w", err)
	}
	return export.Mbox(ctx, to, msgs, opt)
}

// ExportMboxTo writes the messages a query selects (all of them), oldest first, as
// mboxrd to w: for a face that got its destination from a save dialog. On error w holds
// a partial mbox; the caller removes it.
func (s *Service) ExportMboxTo(ctx context.Context, id string, w io.Writer, q search.Query, progress func(export.Progress)) (export.Stats, error) {
	msgs, err := s.exportList(ctx, id, q)
	if err != nil {
		return export.Stats{}, err
	}
	slices.Reverse(msgs)
	return export.WriteMbox(ctx, w, msgs, &export.Options{Progress: progress})
}

// exportList returns the export input for every message q selects, newest first.
func (s *Service) exportList(ctx context.Context, id string, q search.Query) ([]export.Message, error) {
	q.Offset, q.Limit = 0, -1
	res, err := s.Search(ctx, id, q, nil)
	if err != nil {
		return nil, err
	}
	msgs := make([]export.Message, len(res.Hits))
	for i, h := range res.Hits {
		msgs[i] = export.FromHit(h)
	}
	return msgs, nil
}

// Message reads one stored message of an account's backup for a reader: file is a
// Hit.File of that account. withData keeps the attachments' bytes. A path outside the
// backup folder is refused, so a damaged or foreign index cannot make a face read
// other files.
func (s *Service) Message(ctx context.Context, id, file string, withData bool) (*mailparse.Message, error) {
	f, err := s.openMessage(id, file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := mailparse.Parse(f, &mailparse.Options{AttachmentData: withData})
	if err != nil {
		return nil, fmt.Errorf("read message %s: %w", file, err)
	}
	return m, ctx.Err()
}

// CopyMessage writes the stored bytes of one message (a Hit.File of the account) to w,
// unchanged: a single .eml export, or a file for the mail program.
func (s *Service) CopyMessage(ctx context.Context, id, file string, w io.Writer) (int64, error) {
	f, err := s.openMessage(id, file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n, err := io.Copy(w, f)
	if err != nil {
		return n, fmt.Errorf("copy message %s: %w", file, err)
	}
	return n, ctx.Err()
}

func (s *Service) openMessage(id, file string) (*os.File, error) {
	_, root, err := s.backupRoot(id)
	if err != nil {
		return nil, err
	}
	rel, err := filepath.Rel(root, filepath.Clean(file))
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return nil, fmt.Errorf("read message %s: not in the backup folder %s", file, root)
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("read message: %w", err)
	}
	return f, nil
}

// updateIndexAfterBackup brings an existing index up to date after a successful run
// and returns a note for the run's result when that failed. It never fails the backup:
// the index is a cache. A backup without an index (never searched) gets none here, so
// a first backup of a large mailbox does not also pay for its first indexing; the first
// search or Index fills it, with progress.
func (s *Service) updateIndexAfterBackup(ctx context.Context, root string) string {
	if _, err := os.Stat(filepath.Join(root, ".postfach", search.FileName)); err != nil {
		return ""
	}
	ix, err := search.Open(root)
	if err != nil {
		return "search index not updated: " + err.Error()
	}
	defer ix.Close()
	// An index Open had to discard is filled here too (slow, but rare): left empty, it
	// would look valid to the next search.
	if _, err := ix.Update(ctx, nil); err != nil {
		return "search index not updated: " + err.Error()
	}
	return ""
}
