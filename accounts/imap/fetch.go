package imap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// maxListedHeader caps the header fields ListMessages keeps per message; a Message-ID
// header is far shorter, and more is not worth holding for thousands of messages.
const maxListedHeader = 8 << 10

// MessageInfo describes one message without its body (RFC 9051 section 7.5.2).
type MessageInfo struct {
	UID uint32
	// Size is RFC822.SIZE: the size of BODY[] as the server sends it (line ends as CRLF).
	Size int64
	// Flags are the system flags and keywords, as the server spells them ("\Seen").
	Flags []string
	// InternalDate is the server's arrival date of the message (APPEND sets it).
	InternalDate time.Time
	// Header holds the header fields requested with ListMessages (at most 8 KiB, raw,
	// CRLF line ends and the closing empty line), nil when none were requested.
	Header []byte
}

// ListMessages returns every message whose UID is at least minUID, in UID order, with
// size, flags, internal date and, when headerFields are given, those header fields
// (BODY.PEEK[HEADER.FIELDS (...)], so \Seen is never set). It is one UID FETCH command.
func (m *Selected) ListMessages(ctx context.Context, minUID uint32, headerFields ...string) ([]MessageInfo, error) {
	s := m.s
	if minUID == 0 {
		minUID = 1
	}
	if m.UIDNext != 0 && minUID >= m.UIDNext {
		// "n:*" with n above the highest UID still matches the last message (RFC 9051
		// section 6.4.9), so ask nothing when nothing can match.
		return nil, nil
	}
	opts := &goimap.FetchOptions{UID: true, RFC822Size: true, Flags: true, InternalDate: true}
	if len(headerFields) > 0 {
		opts.BodySection = []*goimap.FetchItemBodySection{{
			Specifier: goimap.PartSpecifierHeader, HeaderFields: headerFields, Peek: true}}
	}
	s.grant(int64(m.Messages+1) * (transferSlack + maxListedHeader))
	defer s.opContext(ctx)()
	var set goimap.UIDSet
	set.AddRange(goimap.UID(minUID), 0) // 0 is "*"
	cmd := s.c.Fetch(set, opts)
	var out []MessageInfo
	for {
		msg := cmd.Next()
		if msg == nil {
			break
		}
		var info MessageInfo
		for {
			item := msg.Next()
			if item == nil {
				break
			}
			if b, ok := item.(imapclient.FetchItemDataBodySection); ok && b.Literal != nil {
				h, err := io.ReadAll(io.LimitReader(b.Literal, maxListedHeader))
				if err != nil {
					cmd.Close()
					return nil, s.wrapOp(ctx, "uid fetch", err)
				}
				info.Header = h
				continue
			}
			applyItem(&info, item)
		}
		if info.UID >= minUID {
			out = append(out, info)
		}
	}
	if err := cmd.Close(); err != nil {
		return nil, s.wrapOp(ctx, "uid fetch", err)
	}
	return out, nil
}

func applyItem(info *MessageInfo, item imapclient.FetchItemData) {
	switch it := item.(type) {
	case imapclient.FetchItemDataUID:
		info.UID = uint32(it.UID)
	case imapclient.FetchItemDataRFC822Size:
		info.Size = it.Size
	case imapclient.FetchItemDataInternalDate:
		info.InternalDate = it.Time
	case imapclient.FetchItemDataFlags:
		info.Flags = make([]string, len(it.Flags))
		for i, f := range it.Flags {
			info.Flags[i] = string(f)
		}
	}
}

// FetchHandler receives the messages of Fetch. Body is called once per message with the
// literal as it arrives from the network (never held in memory); it must consume r or
// return an error. Done is called after all items of that message, with the complete
// metadata, and the number of body bytes Body consumed.
type FetchHandler struct {
	Body func(uid uint32, size int64, r io.Reader) error
	Done func(info MessageInfo, bodyBytes int64) error
}

// ErrBodyMissing means the server answered a UID FETCH without the message's body
// (typically it was expunged meanwhile by another client, RFC 9051 section 7.5.2).
var ErrBodyMissing = errors.New("server sent no body for the message")

// Fetch streams the listed messages (UID FETCH uids (UID FLAGS INTERNALDATE RFC822.SIZE
// BODY.PEEK[])), byte-exact as the server sends them, in the server's order. budget is
// the sum of their sizes as ListMessages reported them: the session reads no more than
// that plus a small allowance per message, so a server cannot flood the client. UIDs the
// server no longer has are skipped (Done is not called for them).
//
// An error from a handler ends the command by closing the connection (draining gigabytes
// to keep it would take longer than reconnecting); the Session is unusable afterwards.
func (m *Selected) Fetch(ctx context.Context, uids []uint32, budget int64, h FetchHandler) error {
	s := m.s
	if len(uids) == 0 {
		return nil
	}
	var set goimap.UIDSet
	for _, u := range uids {
		set.AddNum(goimap.UID(u))
	}
	s.grant(budget + int64(len(uids))*transferSlack)
	defer s.opContext(ctx)()
	cmd := s.c.Fetch(set, &goimap.FetchOptions{UID: true, Flags: true, InternalDate: true, RFC822Size: true,
		BodySection: []*goimap.FetchItemBodySection{{Peek: true}}})
	fail := func(err error) error {
		s.guard.Conn.Close()
		cmd.Close() // safe: no literal of this command is left half-read (see litFail)
		return err
	}
	// litFail ends the command when a body literal was left half-read. go-imap's reader
	// goroutine waits until the literal is read to its end or to an error, and a second
	// read after that error would race with it (go-imap would re-read it in Next or Close
	// to discard it). So: close the connection, read once to the error if the handler
	// has not met one yet, and touch the command no more.
	litFail := func(cr *countReader, err error) error {
		s.guard.Conn.Close()
		if cr.err == nil {
			_, _ = io.Copy(io.Discard, cr)
		}
		return err
	}
	for {
		msg := cmd.Next()
		if msg == nil {
			break
		}
		var info MessageInfo
		var got int64 = -1
		for {
			item := msg.Next()
			if item == nil {
				break
			}
			b, ok := item.(imapclient.FetchItemDataBodySection)
			if !ok {
				applyItem(&info, item)
				continue
			}
			if b.Literal == nil {
				continue // NIL body
			}
			cr := &countReader{r: b.Literal}
			size := b.Literal.Size()
			err := h.Body(info.UID, size, cr)
			op := fmt.Sprintf("uid fetch %d", info.UID)
			switch {
			case err != nil && (ctx.Err() != nil || s.guard.firstErr() != nil):
				// The connection failed or was cancelled under the handler.
				return litFail(cr, s.wrapOp(ctx, op, err))
			case err != nil:
				return litFail(cr, fmt.Errorf("imap %s: %s: %w", s.addr, op, err)) // the handler's own (disk) error
			case cr.n != size:
				// A literal cut short reads as io.EOF, which io.Copy takes for the end.
				return litFail(cr, s.wrapOp(ctx, op, fmt.Errorf("%d of %d bytes: %w", cr.n, size, io.ErrUnexpectedEOF)))
			}
			got = cr.n
		}
		if info.UID == 0 {
			continue // an unsolicited FETCH (flag change) that go-imap passed on
		}
		if got < 0 {
			return fail(fmt.Errorf("imap %s: uid fetch %d: %w", s.addr, info.UID, ErrBodyMissing))
		}
		if err := h.Done(info, got); err != nil {
			return fail(fmt.Errorf("imap %s: uid fetch %d: %w", s.addr, info.UID, err))
		}
	}
	if err := cmd.Close(); err != nil {
		return s.wrapOp(ctx, "uid fetch", err)
	}
	return nil
}

// countReader counts what the handler read from a literal and keeps the first error.
type countReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countReader) Read(b []byte) (int, error) {
	if c.err != nil {
		return 0, c.err // never read a literal again after its error (see litFail)
	}
	n, err := c.r.Read(b)
	c.n += int64(n)
	c.err = err
	return n, err
}
