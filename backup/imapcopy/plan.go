package imapcopy

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/postfach/postfach/accounts/imap"
	"github.com/postfach/postfach/accounts/mailerr"
)

// Plan is what an upload would do, for the assistant to show before it starts.
type Plan struct {
	Mailbox string
	// Messages and Bytes are what will be uploaded (the CRLF form, which the quota is
	// charged), without the messages over the limit.
	Messages int
	Bytes    int64
	// AlreadyUploaded are recorded in the journal of an earlier run; AlreadyOnServer
	// were found on the server (same Message-ID and size, or same size and content).
	AlreadyUploaded int
	AlreadyOnServer int
	// Duplicates are files whose content equals an earlier file's; they are recorded
	// under its UID, not sent.
	Duplicates int
	// Largest is the largest message still to upload, LargestFile its path.
	Largest     int64
	LargestFile string
	// AppendLimit is the server's APPENDLIMIT (RFC 7889), 0 when it announces none.
	AppendLimit int64
	// TooBig are the files larger than AppendLimit: they will be reported, not sent.
	TooBig []string
	// Empty are zero-byte files, which IMAP cannot store: reported, not sent.
	Empty []string
	// QuotaFree is the free storage in bytes, -1 when the server does not report quota.
	QuotaFree int64
	// Fits is false only when the quota is known and Bytes exceeds QuotaFree.
	Fits bool

	pending []source
	found   []adoptable // messages already on the server
}

// adoptable is a source message found on the server, to be journaled under uid.
type adoptable struct {
	src source
	uid uint32
}

// PlanUpload reads the Maildir at srcDir, the journal and the target mailbox, and says
// what Upload would do. It changes nothing anywhere.
func PlanUpload(ctx context.Context, sess *imap.Session, srcDir, mailbox, journal string) (*Plan, error) {
	entries, err := readUploadJournal(journal)
	if err != nil {
		return nil, err
	}
	sel, err := sess.Examine(ctx, mailbox) // read-only: a plan changes nothing
	if err != nil {
		return nil, fmt.Errorf("plan upload: %w", err)
	}
	return plan(ctx, sess, sel, srcDir, entries)
}

func plan(ctx context.Context, sess *imap.Session, sel *imap.Selected, srcDir string, done map[string]uploadEntry) (*Plan, error) {
	srcs, err := scanSource(srcDir)
	if err != nil {
		return nil, fmt.Errorf("plan upload: %w", err)
	}
	infos, err := sel.ListMessages(ctx, 1, "Message-ID")
	if err != nil {
		return nil, fmt.Errorf("plan upload: %w", err)
	}
	idx := newServerIndex(infos)
	p := &Plan{Mailbox: sel.Name, QuotaFree: -1, Fits: true}
	p.AppendLimit, _ = sess.AppendLimit()
	planned := map[[32]byte]bool{}
	for i := range srcs {
		s := &srcs[i]
		if e, ok := done[s.Key]; ok && e.UIDValidity == sel.UIDValidity {
			p.AlreadyUploaded++
			continue
		}
		uid, ok, err := idx.find(ctx, sel, s)
		if err != nil {
			return nil, fmt.Errorf("plan upload: %w", err)
		}
		if ok {
			p.AlreadyOnServer++
			p.found = append(p.found, adoptable{*s, uid})
			continue
		}
		if s.Size == 0 {
			p.Empty = append(p.Empty, s.Path)
			continue
		}
		if p.AppendLimit > 0 && s.Size > p.AppendLimit {
			p.TooBig = append(p.TooBig, s.Path)
			continue
		}
		p.pending = append(p.pending, *s)
		if planned[s.SHA256] {
			// The same content in a second file is one message: it is recorded under
			// the UID the first copy gets, not sent again.
			p.Duplicates++
			continue
		}
		planned[s.SHA256] = true
		p.Messages++
		p.Bytes += s.Size
		if s.Size > p.Largest {
			p.Largest, p.LargestFile = s.Size, s.Path
		}
	}
	roots, err := sess.Quota()
	switch {
	case errors.Is(err, mailerr.ErrQuotaUnsupported):
	case err != nil:
		return nil, fmt.Errorf("plan upload: %w", err)
	default:
		rep := imap.Report{Supported: true, Roots: roots}
		if used, limit, ok := rep.Storage(); ok {
			p.QuotaFree = max(limit-used, 0)
			p.Fits = p.Bytes <= p.QuotaFree
		}
	}
	return p, nil
}

func readUploadJournal(path string) (map[string]uploadEntry, error) {
	if path == "" {
		return nil, errors.New("upload: no journal file given")
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return map[string]uploadEntry{}, nil
	}
	return openUploadJournalReadOnly(path)
}
