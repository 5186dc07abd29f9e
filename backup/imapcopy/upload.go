package imapcopy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/postfach/postfach/accounts/imap"
)

// Errors of Upload that the assistants branch on.
var (
	// ErrWontFit means the plan found less free quota than the messages need; nothing
	// was uploaded.
	ErrWontFit = errors.New("the messages do not fit into the free quota")
	// ErrEmptyMessage marks a zero-byte file: IMAP servers refuse to store an empty
	// message (Dovecot: "Can't save a zero byte message"), so it is reported, not sent.
	ErrEmptyMessage = errors.New("empty message (0 bytes) cannot be stored over IMAP")
	// ErrVerify means a message the journal records as uploaded is missing on the server
	// or has another size (deleted or changed by another client since).
	ErrVerify = errors.New("uploaded message not found on the server")
)

// Dial opens a logged-in session. Upload dials again when the server closed the
// connection after refusing one message; the session's deadline bounds each connection.
type Dial func(ctx context.Context) (*imap.Session, error)

// UploadOptions tune Upload.
type UploadOptions struct {
	// Journal is the journal file (created if missing, 0600). It must be the same file
	// for every run of the same upload and must not live on the server being uploaded
	// to. Required.
	Journal string
	// Progress, if set, is called after every message, on the caller's goroutine.
	Progress func(Progress)
	// AllSeen marks every uploaded message read (\Seen), not only those whose Maildir
	// info says so: mail that a POP3 client fetched was read there, while Postfach's own
	// POP3 backups keep every message in new/, unflagged.
	AllSeen bool

	// failpoint, if set, is called at each durability step ("after-append" before the
	// journal line, "after-journal"); the crash tests kill the process there.
	failpoint func(step string)
}

// Skipped is a message Upload did not send, and why.
type Skipped struct {
	File string
	Size int64
	Err  error
}

// UploadResult is what an upload did. Uploaded + Adopted + len(Skipped) + Remaining is
// the plan's Messages + AlreadyOnServer + Duplicates + len(TooBig) + len(Empty).
type UploadResult struct {
	Plan *Plan
	// Uploaded were appended by this run; Adopted were already on the server and only
	// recorded; Bytes is the size of the uploaded ones.
	Uploaded, Adopted int
	Bytes             int64
	Skipped           []Skipped
	// Remaining were not attempted because the run stopped (error, over quota, limit).
	Remaining int
	// Verified counts the journaled messages of this Maildir found on the server with
	// their recorded size after the run.
	Verified int
}

// Upload appends the messages of the Maildir at srcDir to mailbox, following the plan it
// makes first: if the messages do not fit the free quota it returns ErrWontFit before
// sending anything. Messages are sent in the CRLF form (see crlfReader) with \Seen and the
// other flags of their Maildir info, and an INTERNALDATE from their header (see
// messageDate). Each message is recorded in the journal, durably, before the next one
// is sent; a message already on the server is recorded, not sent again.
//
// A message over APPENDLIMIT or refused as too big ([TOOBIG], or [LIMIT] as Dovecot
// says) is skipped and the rest is done; three refusals in a row stop the run. A full
// mailbox ([OVERQUOTA]) stops it with imap.ErrOverQuota, and the result says what is
// left. Any other error also stops it; a new run with the same journal resumes without
// duplicates. At the end every journaled message of this Maildir is checked on the
// server (ErrVerify).
//
// The journal must belong to this pair of source Maildir and target mailbox alone; the
// target mailbox must exist. dial is called once, and again after a refusal that left
// the connection unusable.
func Upload(ctx context.Context, dial Dial, srcDir, mailbox string, opts *UploadOptions) (*UploadResult, error) {
	var o UploadOptions
	if opts != nil {
		o = *opts
	}
	if o.Journal == "" {
		return nil, errors.New("upload: no journal file given")
	}
	j, err := openUploadJournal(o.Journal)
	if err != nil {
		return nil, err
	}
	defer j.close()
	u := &uploader{ctx: ctx, dial: dial, mailbox: mailbox, j: j, res: &UploadResult{}, progress: o.Progress, failpoint: o.failpoint, allSeen: o.AllSeen}
	if u.failpoint == nil {
		u.failpoint = func(string) {}
	}
	defer u.closeSession()
	if err := u.connect(); err != nil {
		return u.res, err
	}
	p, err := plan(ctx, u.sess, u.sel, srcDir, j.entries)
	if err != nil {
		return u.res, err
	}
	u.res.Plan = p
	if !p.Fits {
		u.res.Remaining = len(p.pending)
		return u.res, fmt.Errorf("upload to %s: %w: %d bytes needed, %d free", mailbox, ErrWontFit, p.Bytes, p.QuotaFree)
	}
	for _, path := range p.TooBig {
		u.res.Skipped = append(u.res.Skipped, Skipped{File: path, Err: imap.ErrTooBig})
	}
	for _, path := range p.Empty {
		u.res.Skipped = append(u.res.Skipped, Skipped{File: path, Err: ErrEmptyMessage})
	}
	if err := u.adopt(p); err != nil {
		return u.res, err
	}
	if err := u.sendAll(p); err != nil {
		return u.res, err
	}
	return u.res, u.verify(srcDir)
}

// maxRefusedInARow is how many messages in a row the server may refuse (too big, limit)
// before Upload takes it for a limit that refuses everything and stops.
const maxRefusedInARow = 3

// uploader is the state of one Upload run.
type uploader struct {
	ctx       context.Context
	dial      Dial
	mailbox   string
	sess      *imap.Session
	sel       *imap.Selected
	j         *uploadJournal
	res       *UploadResult
	progress  func(Progress)
	failpoint func(string)
	allSeen   bool
}

func (u *uploader) connect() error {
	sess, err := u.dial(u.ctx)
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	u.sess = sess
	sel, err := sess.Select(u.ctx, u.mailbox)
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	if u.sel != nil && sel.UIDValidity != u.sel.UIDValidity {
		return fmt.Errorf("upload: %s was renumbered (UIDVALIDITY %d, was %d) during the upload; run it again",
			u.mailbox, sel.UIDValidity, u.sel.UIDValidity)
	}
	u.sel = sel
	return nil
}

func (u *uploader) closeSession() {
	if u.sess != nil {
		u.sess.Close()
		u.sess = nil
	}
}

// adopt journals the messages the plan found on the server already.
func (u *uploader) adopt(p *Plan) error {
	for _, a := range p.found {
		e := uploadEntry{Key: a.src.Key, UIDValidity: u.sel.UIDValidity, UID: a.uid, Size: a.src.Size, SHA256: a.src.SHA256}
		if err := u.j.add(e); err != nil {
			return err
		}
		u.res.Adopted++
	}
	return nil
}

func (u *uploader) sendAll(p *Plan) error {
	sent := map[[32]byte]uploadEntry{} // content sent in this run -> its entry
	total := p.Messages + p.AlreadyOnServer + p.Duplicates + len(p.TooBig) + len(p.Empty)
	refused := 0
	for i, s := range p.pending {
		if err := u.ctx.Err(); err != nil {
			u.res.Remaining = len(p.pending) - i
			return fmt.Errorf("upload: %w", err)
		}
		if e, ok := sent[s.SHA256]; ok && e.Size == s.Size {
			e.Key = s.Key
			if err := u.j.add(e); err != nil {
				u.res.Remaining = len(p.pending) - i
				return err
			}
			u.res.Adopted++
		} else {
			e, err := u.send(s)
			switch {
			case errors.Is(err, imap.ErrTooBig) || errors.Is(err, imap.ErrLimit):
				// Dovecot refuses a message over quota_max_mail_size with [LIMIT], not
				// [TOOBIG]: both are taken as "this message", until refusals in a row
				// show a limit that refuses everything.
				refused++
				if refused >= maxRefusedInARow {
					u.res.Remaining = len(p.pending) - i
					return fmt.Errorf("upload %s: %d messages in a row refused: %w", s.Path, refused, err)
				}
				u.res.Skipped = append(u.res.Skipped, Skipped{File: s.Path, Size: s.Size, Err: err})
				// A refusal may leave the connection unusable (see imap.Session.Append).
				u.closeSession()
				if err := u.connect(); err != nil {
					u.res.Remaining = len(p.pending) - i - 1
					return err
				}
			case err != nil:
				u.res.Remaining = len(p.pending) - i
				return fmt.Errorf("upload %s: %w", s.Path, err)
			default:
				refused = 0
				sent[s.SHA256] = e
				u.res.Uploaded++
				u.res.Bytes += s.Size
			}
		}
		if u.progress != nil {
			u.progress(Progress{Folder: u.mailbox, Done: u.res.Uploaded + u.res.Adopted + len(u.res.Skipped),
				Total: total, Bytes: u.res.Bytes, TotalBytes: p.Bytes})
		}
	}
	return nil
}

// send appends one message, learns its UID and journals it.
func (u *uploader) send(s source) (uploadEntry, error) {
	e := uploadEntry{Key: s.Key, Size: s.Size, SHA256: s.SHA256}
	f, err := os.Open(s.Path)
	if err != nil {
		return e, err
	}
	defer f.Close()
	before := u.sel.UIDNext
	flags := s.Flags
	if u.allSeen && !slices.Contains(flags, `\Seen`) {
		flags = append(slices.Clip(flags), `\Seen`)
	}
	a, err := u.sess.Append(u.ctx, u.mailbox, newCRLFReader(f), s.Size, flags, s.Date)
	if err != nil {
		return e, err
	}
	e.UIDValidity, e.UID = a.UIDValidity, a.UID
	if e.UID == 0 {
		// No UIDPLUS: find the new message among those after the old UIDNEXT.
		if e.UIDValidity, e.UID, err = u.locate(s, before); err != nil {
			return e, err
		}
	}
	if e.UIDValidity != u.sel.UIDValidity {
		return e, fmt.Errorf("%s was renumbered (UIDVALIDITY %d, was %d) during the upload; run it again",
			u.mailbox, e.UIDValidity, u.sel.UIDValidity)
	}
	u.failpoint("after-append")
	if err := u.j.add(e); err != nil {
		return e, err
	}
	u.failpoint("after-journal")
	return e, nil
}

// locate finds the message just appended on a server without UIDPLUS: re-select (for a
// fresh UIDNEXT), list the messages from the old UIDNEXT on, and match them — by UID
// SEARCH HEADER Message-ID and size when the message has a Message-ID, else by size and
// content hash.
func (u *uploader) locate(s source, from uint32) (uint32, uint32, error) {
	sel, err := u.sess.Select(u.ctx, u.mailbox)
	if err != nil {
		return 0, 0, err
	}
	u.sel = sel
	if s.MessageID != "" {
		hits, err := sel.SearchMessageID(u.ctx, s.MessageID)
		if err != nil {
			return 0, 0, err
		}
		infos, err := sel.ListMessages(u.ctx, from)
		if err != nil {
			return 0, 0, err
		}
		for _, in := range infos {
			if in.Size == s.Size && slices.Contains(hits, in.UID) {
				return sel.UIDValidity, in.UID, nil
			}
		}
	} else {
		infos, err := sel.ListMessages(u.ctx, from, "Message-ID")
		if err != nil {
			return 0, 0, err
		}
		uid, ok, err := newServerIndex(infos).find(u.ctx, sel, &s)
		if err != nil {
			return 0, 0, err
		}
		if ok {
			return sel.UIDValidity, uid, nil
		}
	}
	return 0, 0, fmt.Errorf("%w: the server accepted the message but does not list it", ErrVerify)
}

// verify checks every journaled message of the Maildir at srcDir against the server.
func (u *uploader) verify(srcDir string) error {
	sel, err := u.sess.Select(u.ctx, u.mailbox)
	if err != nil {
		return fmt.Errorf("upload verify: %w", err)
	}
	infos, err := sel.ListMessages(u.ctx, 1)
	if err != nil {
		return fmt.Errorf("upload verify: %w", err)
	}
	sizes := make(map[uint32]int64, len(infos))
	for _, in := range infos {
		sizes[in.UID] = in.Size
	}
	keys, err := sourceKeys(srcDir)
	if err != nil {
		return fmt.Errorf("upload verify: %w", err)
	}
	var missing []string
	for _, k := range keys {
		e, ok := u.j.entries[k]
		if !ok || e.UIDValidity != sel.UIDValidity {
			continue
		}
		if size, ok := sizes[e.UID]; ok && size == e.Size {
			u.res.Verified++
		} else {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("upload verify: %w: %d messages (first: %s)", ErrVerify, len(missing), missing[0])
	}
	return nil
}
