package pop3

import (
	"bufio"
	"bytes"
	"errors"
	"io"

	"github.com/postfach/postfach/accounts/mailerr"
)

// dotReader reads the body of a multi-line reply (RFC 1939 section 3) and yields exactly
// the bytes the server meant: the wire bytes minus the dot-stuffing and minus the final
// ".\r\n" line. Line ends are kept as they are on the wire; bare CR, NUL and 8-bit bytes
// pass through untouched.
//
// It works on the bufio.Reader's buffer directly (Peek/Discard), so a message is never
// copied on its way to a writer (WriteTo) and long runs of lines leave in one Write.
// Lines may be of any length: a line start is only "just after a LF", tracked across
// buffer refills, so a '.' that happens to sit at a buffer boundary in the middle of a
// line is data, not a terminator — the bug that truncated messages in other clients.
//
// Rules at a line start: ".\r\n" ends the body; any other line beginning with '.' loses
// exactly that one '.'. A connection that ends before ".\r\n" is an error wrapping
// mailerr.ErrProtocol and io.ErrUnexpectedEOF. The reader stops right after the
// terminator, so pipelined replies behind it stay in the buffer.
type dotReader struct {
	br        *bufio.Reader
	lineStart bool   // the next byte begins a line
	pending   []byte // bytes of the current run not yet returned by Read; aliases br's buffer
	err       error  // io.EOF after the terminator, else the failure; sticky
}

func newDotReader(br *bufio.Reader) *dotReader {
	return &dotReader{br: br, lineStart: true}
}

// Read implements io.Reader.
func (d *dotReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for len(d.pending) == 0 {
		if d.err != nil {
			return 0, d.err
		}
		d.pending = d.next()
	}
	n := copy(p, d.pending)
	d.pending = d.pending[n:]
	return n, nil
}

// WriteTo implements io.WriterTo: io.Copy uses it to hand the buffer's runs to w without
// an intermediate copy. It returns nil at the terminator.
func (d *dotReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		run := d.pending
		d.pending = nil
		if len(run) == 0 {
			run = d.next()
		}
		if run == nil {
			if d.err == io.EOF {
				return total, nil
			}
			return total, d.err
		}
		n, err := w.Write(run)
		total += int64(n)
		if err == nil && n < len(run) {
			err = io.ErrShortWrite
		}
		if err != nil {
			return total, err
		}
	}
}

// failure returns the error that ended the body early, or nil if the terminator was read
// (or the body is not finished yet).
func (d *dotReader) failure() error {
	if d.err == io.EOF {
		return nil
	}
	return d.err
}

// drain reads and discards the rest of the body, so the next reply can be read. It
// returns failure().
func (d *dotReader) drain() error {
	io.Copy(io.Discard, d)
	return d.failure()
}

// next returns the next run of body bytes: everything up to the end of the buffered data
// or up to a line that starts with '.', whichever comes first. The run aliases the
// bufio buffer and is valid until the next call. At the end or on failure it sets d.err
// and returns nil.
func (d *dotReader) next() []byte {
	for d.err == nil {
		buf := d.buffered()
		if buf == nil {
			return nil
		}
		if d.lineStart && buf[0] == '.' {
			if len(buf) < 3 {
				// ".\r\n" may be split across reads: wait for enough bytes to decide.
				if _, err := d.br.Peek(3); err != nil {
					d.fail(err)
				}
				continue
			}
			if buf[1] == '\r' && buf[2] == '\n' {
				d.br.Discard(3)
				d.err = io.EOF
				return nil
			}
			d.br.Discard(1) // the stuffed dot
			buf = buf[1:]
		}
		n, atStart := scanRun(buf)
		d.lineStart = atStart
		d.br.Discard(n)
		return buf[:n]
	}
	return nil
}

// buffered returns the buffered bytes, reading if there are none; nil on failure.
func (d *dotReader) buffered() []byte {
	if d.br.Buffered() == 0 {
		if _, err := d.br.Peek(1); err != nil {
			d.fail(err)
			return nil
		}
	}
	buf, _ := d.br.Peek(d.br.Buffered())
	return buf
}

// scanRun returns the length of the longest prefix of buf (not empty, which begins
// mid-line or at a line start that is not '.') that contains no line starting with '.',
// and whether that prefix ends at a line start.
func scanRun(buf []byte) (n int, lineStart bool) {
	for {
		i := bytes.IndexByte(buf[n:], '\n')
		if i < 0 {
			return len(buf), false
		}
		n += i + 1
		if n == len(buf) || buf[n] == '.' {
			return n, true
		}
	}
}

// fail records why the body could not be read to its end.
func (d *dotReader) fail(err error) {
	if errors.Is(err, io.EOF) {
		d.err = unexpectedEOF("connection closed before the end of the message")
		return
	}
	d.err = mailerr.Classify(err)
}
