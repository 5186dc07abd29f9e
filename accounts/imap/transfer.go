package imap

import (
	"context"
	"errors"
	"fmt"

	goimap "github.com/emersion/go-imap/v2"
)

// Errors of the transfer commands (APPEND, FETCH of message bodies) that a caller acts on:
// they stop a copy cleanly, or skip one message, rather than being retried.
var (
	// ErrOverQuota means the server refused to store a message because the mailbox is
	// full ([OVERQUOTA], RFC 5530 section 3). Retrying does not help until space is freed.
	ErrOverQuota = errors.New("mailbox over quota")
	// ErrTooBig means the server refused one message because of its size ([TOOBIG],
	// RFC 7889 section 4, or larger than the announced APPENDLIMIT). Other messages may
	// still fit.
	ErrTooBig = errors.New("message larger than the server accepts")
	// ErrLimit means the server refused an operation because an administrative limit was
	// hit ([LIMIT], RFC 5530 section 3: too many messages, too many commands). It is
	// temporary but not to be hammered: stop and try again later.
	ErrLimit = errors.New("server limit reached")
)

// transferSlack is what a transfer session may read per message on top of the message
// itself: the FETCH response line with flags, date and size.
const transferSlack = 4096

// grant raises the session's read budget by n bytes. A quota session may read at most
// maxSessionBytes (see conn.go); a transfer announces what it expects (the sizes of the
// messages it is about to fetch), so a hostile server still cannot make go-imap buffer
// more than the transfer accounts for.
func (s *Session) grant(n int64) {
	if n <= 0 {
		return
	}
	s.guard.mu.Lock()
	s.guard.limit += n
	s.guard.mu.Unlock()
}

// opContext ties one command to ctx: when ctx ends before the command returns, the
// connection is closed, which is the only way to unblock go-imap. The returned function
// must be called when the command is done; after a cancellation the Session is unusable.
func (s *Session) opContext(ctx context.Context) (stop func() bool) {
	return context.AfterFunc(ctx, func() { s.guard.Conn.Close() })
}

// wrapOp is wrap for a command bound to ctx: a cancelled or expired ctx is reported as
// such, and the response codes of a full or refusing mailbox become ErrOverQuota,
// ErrTooBig or ErrLimit (with the server's text still in the chain).
func (s *Session) wrapOp(ctx context.Context, op string, err error) error {
	if cerr := ctxErr(ctx, nil); cerr != nil {
		return fmt.Errorf("imap %s: %s: %w", s.addr, op, cerr)
	}
	var ie *goimap.Error
	if errors.As(err, &ie) {
		var kind error
		switch ie.Code {
		case goimap.ResponseCodeOverQuota:
			kind = ErrOverQuota
		case goimap.ResponseCodeTooBig:
			kind = ErrTooBig
		case goimap.ResponseCodeLimit:
			kind = ErrLimit
		}
		if kind != nil {
			return fmt.Errorf("imap %s: %w: %w", s.addr, kind, s.serverError(op, ie))
		}
	}
	return s.wrap(op, err)
}

// AppendLimit returns the largest message the server accepts (APPENDLIMIT=n, RFC 7889
// section 2); ok is false when the server announces no limit or APPENDLIMIT without a
// value (then the limit differs per mailbox and is learnt from a refusal).
func (s *Session) AppendLimit() (limit int64, ok bool) {
	l, has := s.caps.AppendLimit()
	if !has || l == nil {
		return 0, false
	}
	return int64(*l), true
}

// HasUIDPlus reports whether APPEND answers with the new message's UID (RFC 4315).
func (s *Session) HasUIDPlus() bool { return s.caps.Has(goimap.CapUIDPlus) }
