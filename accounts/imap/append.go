package imap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	goimap "github.com/emersion/go-imap/v2"
)

// Appended is the server's answer to a successful APPEND.
type Appended struct {
	// UIDValidity and UID name the new message when the server has UIDPLUS (RFC 4315
	// section 3, the APPENDUID response code); both are 0 otherwise.
	UIDValidity uint32
	UID         uint32
}

// Append stores a message of exactly size bytes, read from r, in mailbox (APPEND, RFC
// 9051 section 6.3.12) with the given flags and internal date (zero: the server's
// clock). The message is streamed, never held in memory.
//
// A full mailbox fails with ErrOverQuota, a message the server finds too large with
// ErrTooBig (also without asking, when size exceeds the announced APPENDLIMIT), an
// administrative limit with ErrLimit. On any other failure, including a cancelled ctx,
// the server may or may not have stored the message: the caller must look before
// trying again. After any error the Session must be closed and a new one opened.
func (s *Session) Append(ctx context.Context, mailbox string, r io.Reader, size int64, flags []string, date time.Time) (Appended, error) {
	if limit, ok := s.AppendLimit(); ok && size > limit {
		return Appended{}, fmt.Errorf("imap %s: append: %w (%d bytes, limit %d)", s.addr, ErrTooBig, size, limit)
	}
	defer s.opContext(ctx)()
	opts := &goimap.AppendOptions{Time: date}
	for _, f := range flags {
		opts.Flags = append(opts.Flags, goimap.Flag(f))
	}
	cmd := s.c.Append(mailbox, size, opts)
	n, werr := io.Copy(cmd, io.LimitReader(r, size))
	if werr == nil && n != size {
		werr = fmt.Errorf("message shorter than announced: %d of %d bytes", n, size)
	}
	cerr := cmd.Close()
	if werr != nil {
		// Either the server refused before the literal (its NO cancels the continuation
		// request, and go-imap then closes the client) or the literal is incomplete and
		// the server still waits for bytes: the connection cannot carry another command.
		s.guard.Conn.Close()
		var ie *goimap.Error
		if errors.As(werr, &ie) {
			return Appended{}, s.wrapOp(ctx, "append", werr)
		}
		return Appended{}, fmt.Errorf("imap %s: append: %w", s.addr, ctxErr(ctx, werr))
	}
	data, err := cmd.Wait()
	if err != nil {
		return Appended{}, s.wrapOp(ctx, "append", err)
	}
	if cerr != nil {
		return Appended{}, s.wrapOp(ctx, "append", cerr)
	}
	return Appended{UIDValidity: data.UIDValidity, UID: uint32(data.UID)}, nil
}
