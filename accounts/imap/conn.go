package imap

import (
	"errors"
	"net"
	"sync"
	"time"
)

// maxSessionBytes caps what one session reads from the server. A quota poll needs a few
// KiB (a LIST of thousands of folders stays far below 1 MiB); go-imap, however, reads a
// literal of any announced length into memory, so without a cap a hostile server could
// make the tray app allocate gigabytes before the deadline hits.
const maxSessionBytes = 16 << 20

// errTooMuchData is recorded when the server exceeds maxSessionBytes.
var errTooMuchData = errors.New("server sent more data than a quota session can need")

// guardConn is the raw TCP connection as seen by TLS and go-imap. It enforces the session
// deadline even though go-imap keeps resetting its own per-response deadlines (it sets a
// 30 s read deadline before every response and clears it afterwards, see imapclient
// Client.readResponse): every deadline set through it is clamped to the session's. It
// also caps the bytes read and remembers the first I/O error, because go-imap reports
// connection failures as formatted strings that no longer wrap the cause.
type guardConn struct {
	net.Conn
	limit int64 // bytes the session may read

	mu       sync.Mutex
	deadline time.Time // zero: none
	read     int64
	err      error
}

func newGuardConn(c net.Conn, deadline time.Time, limit int64) *guardConn {
	g := &guardConn{Conn: c, deadline: deadline, limit: limit}
	_ = g.SetDeadline(time.Time{}) // arm the session deadline before the first byte
	return g
}

func (g *guardConn) clamp(t time.Time) time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.deadline.IsZero() {
		return t
	}
	if t.IsZero() || t.After(g.deadline) {
		return g.deadline
	}
	return t
}

// SetDeadline implements net.Conn, clamped to the session deadline.
func (g *guardConn) SetDeadline(t time.Time) error { return g.Conn.SetDeadline(g.clamp(t)) }

// SetReadDeadline implements net.Conn, clamped to the session deadline.
func (g *guardConn) SetReadDeadline(t time.Time) error { return g.Conn.SetReadDeadline(g.clamp(t)) }

// SetWriteDeadline implements net.Conn, clamped to the session deadline.
func (g *guardConn) SetWriteDeadline(t time.Time) error {
	return g.Conn.SetWriteDeadline(g.clamp(t))
}

// tighten moves the session deadline earlier (never later) and applies it at once; Close
// uses it so that LOGOUT cannot keep a finished session alive.
func (g *guardConn) tighten(t time.Time) {
	g.mu.Lock()
	if g.deadline.IsZero() || t.Before(g.deadline) {
		g.deadline = t
	}
	d := g.deadline
	g.mu.Unlock()
	_ = g.Conn.SetDeadline(d)
}

// Read implements net.Conn with the byte cap.
func (g *guardConn) Read(b []byte) (int, error) {
	g.mu.Lock()
	left := g.limit - g.read
	g.mu.Unlock()
	if left <= 0 {
		g.record(errTooMuchData)
		return 0, errTooMuchData
	}
	if int64(len(b)) > left {
		b = b[:left]
	}
	n, err := g.Conn.Read(b)
	g.mu.Lock()
	g.read += int64(n)
	g.mu.Unlock()
	g.record(err)
	return n, err
}

// Write implements net.Conn, remembering the first error.
func (g *guardConn) Write(b []byte) (int, error) {
	n, err := g.Conn.Write(b)
	g.record(err)
	return n, err
}

func (g *guardConn) record(err error) {
	if err == nil {
		return
	}
	g.mu.Lock()
	if g.err == nil {
		g.err = err
	}
	g.mu.Unlock()
}

// firstErr returns the first read or write error, nil if every I/O succeeded.
func (g *guardConn) firstErr() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

// syntheticGreeting is what greetingConn replays to go-imap after our own STARTTLS.
// imapclient.New insists on reading a greeting, but after STARTTLS the server sends none
// (RFC 2595 section 3.1: the session continues). It carries no CAPABILITY code on
// purpose, so go-imap asks the server for its capabilities again, over TLS.
const syntheticGreeting = "* OK TLS established\r\n"

// greetingConn replays syntheticGreeting before the TLS stream. Only go-imap's single
// reader goroutine calls Read, so pending needs no lock.
type greetingConn struct {
	net.Conn
	pending []byte
}

// Read implements net.Conn.
func (c *greetingConn) Read(b []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(b, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	return c.Conn.Read(b)
}
