package imapcopy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/postfach/postfach/accounts/imap"
)

// ErrNotArchived means a message chosen for the archive has no verified copy on disk
// (missing, or another size than the server reports); it stays on the server.
var ErrNotArchived = errors.New("message has no verified copy in the archive")

// ArchiveResult is what Archive did for one folder.
type ArchiveResult struct {
	FolderResult
	// Deleted counts the messages removed from the server, Freed their size.
	Deleted int
	Freed   int64
	// Kept are the chosen messages left on the server because their copy could not be
	// verified (ErrNotArchived).
	Kept []uint32
}

// Archive moves the messages opts.Select chooses from the server into the Maildir++ tree
// at root: Download them (see Download; the same layout and durability), then check
// every copy on disk against the server's size, and only then delete exactly those UIDs
// on the server (UID EXPUNGE, which needs UIDPLUS: imap.ErrNoUIDPlus otherwise). A
// message whose copy does not check out stays on the server. Interrupted at any point, a
// new run with the same selection finishes the job without fetching anything twice.
func Archive(ctx context.Context, sess *imap.Session, root string, opts *DownloadOptions) ([]ArchiveResult, error) {
	if opts == nil || opts.Select == nil {
		return nil, errors.New("archive: no selection")
	}
	if !sess.HasUIDPlus() {
		return nil, fmt.Errorf("archive: %w", imap.ErrNoUIDPlus)
	}
	downloaded, err := Download(ctx, sess, root, opts)
	out := make([]ArchiveResult, len(downloaded))
	for i, r := range downloaded {
		out[i].FolderResult = r
	}
	if err != nil {
		return out, fmt.Errorf("archive: %w", err)
	}
	for i := range out {
		if err := deleteArchived(ctx, sess, root, &out[i]); err != nil {
			return out, fmt.Errorf("archive %s: %w", out[i].Mailbox, err)
		}
	}
	return out, nil
}

// deleteArchived deletes the archived messages of one folder whose copies check out.
func deleteArchived(ctx context.Context, sess *imap.Session, root string, r *ArchiveResult) error {
	if len(r.UIDs) == 0 {
		return nil
	}
	sel, err := sess.Select(ctx, r.Mailbox)
	if err != nil {
		return err
	}
	if sel.UIDValidity != r.UIDValidity {
		return fmt.Errorf("the folder was renumbered during the archive; nothing deleted, run it again")
	}
	infos, err := sel.ListMessages(ctx, slices.Min(r.UIDs))
	if err != nil {
		return err
	}
	dir := filepath.Join(root, r.Dir)
	have, err := storedUIDs(dir, sel.UIDValidity)
	if err != nil {
		return err
	}
	chosen := make(map[uint32]bool, len(r.UIDs))
	for _, u := range r.UIDs {
		chosen[u] = true
	}
	var del []uint32
	var freed int64
	for _, in := range infos {
		if !chosen[in.UID] {
			continue
		}
		rel, ok := have[in.UID]
		fi, err := os.Stat(filepath.Join(dir, rel))
		if !ok || err != nil || fi.Size() != in.Size {
			r.Kept = append(r.Kept, in.UID)
			continue
		}
		del = append(del, in.UID)
		freed += in.Size
	}
	if err := sel.Delete(ctx, del); err != nil {
		return err
	}
	r.Deleted, r.Freed = len(del), freed
	return nil
}
