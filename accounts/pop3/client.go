package pop3

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/postfach/postfach/accounts/mailerr"
)

// Security says how the connection is protected. The zero value is [TLS], the safe
// default recommended by RFC 8314 section 3.
type Security int

const (
	// TLS starts TLS as soon as the TCP connection is up ("implicit TLS", POP3S, port 995).
	TLS Security = iota
	// StartTLS connects in clear text (port 110) and upgrades with STLS (RFC 2595
	// section 4) before anything else. A server that does not complete the upgrade makes
	// Dial fail with mailerr.ErrStartTLSRefused; there is no fallback to clear text.
	StartTLS
	// Plain never encrypts. It needs Options.AllowPlaintext, because the password and
	// every message cross the network readable by anyone on the path.
	Plain
)

// String returns the name shown in logs and settings.
func (s Security) String() string {
	switch s {
	case TLS:
		return "TLS"
	case StartTLS:
		return "STARTTLS"
	case Plain:
		return "plain"
	}
	return fmt.Sprintf("Security(%d)", int(s))
}

// DefaultTimeout is used when Options.Timeout is zero or negative.
const DefaultTimeout = mailerr.DefaultTimeout

// Dialer opens the TCP connection. *net.Dialer satisfies it; tests and fault-injecting
// proxies provide their own.
type Dialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// Options configures Dial. A nil *Options is equivalent to a zero Options: implicit TLS,
// certificates verified against the system roots for the host in addr, 60 s timeout.
type Options struct {
	// Security selects implicit TLS (the zero value), STARTTLS or no encryption.
	Security Security
	// TLSConfig is used for TLS and StartTLS; Dial clones it, so the caller may reuse it.
	// Build it with trust.Config so certificate checks and pinning follow Postfach's rules.
	// Nil means trust.Config(host of addr, nil). An empty ServerName is set to that host.
	TLSConfig *tls.Config
	// AllowPlaintext must be true for Security == Plain; otherwise Dial fails with
	// mailerr.ErrPlaintextRefused before it connects. It is a separate switch so that a
	// zero or corrupted setting can never mean "send the password in clear text".
	AllowPlaintext bool
	// Timeout bounds every command (the status line must arrive within it) and every
	// single read while a message or listing is streaming (idle deadline). Zero means
	// DefaultTimeout. Use a context for an overall limit.
	Timeout time.Duration
	// Dialer opens the connection; nil means a *net.Dialer. The dial is bounded by Timeout.
	Dialer Dialer
}

// ErrUnusable is returned by every command after the client was closed, quit, or hit an
// error that left the protocol stream out of step (timeout, dropped connection, malformed
// reply). The error also wraps the original cause. Reconnect to continue.
var ErrUnusable = errors.New("connection unusable")

// Client is one POP3 session. Create it with Dial, then Auth. It is not safe for
// concurrent use, except that Close may be called from another goroutine.
type Client struct {
	dc      *deadlineConn // the dialled connection, with deadline control; below TLS
	conn    net.Conn      // what the buffers use: dc, or the *tls.Conn over it
	tlsConn *tls.Conn     // nil while the connection is in clear text
	br      *bufio.Reader
	bw      *bufio.Writer
	timeout time.Duration
	plainOK bool // Security == Plain with AllowPlaintext: credentials may go in clear text
	caps    Caps
	// broken is the error that desynchronised the session; touched only by the goroutine
	// running commands.
	broken error
	closed atomic.Bool
}

// readBufferSize is the bufio buffer size. Message lines longer than this are handled in
// fragments; it only bounds how much one read can return.
const readBufferSize = 64 << 10

// Dial connects to addr ("host:port"), reads the greeting and the capabilities, and
// upgrades to TLS as opts says: for StartTLS it requires STLS in CAPA, issues STLS,
// refuses any byte sent before the handshake, and re-reads CAPA over TLS (RFC 2595
// section 4). The returned client is in the AUTHORIZATION state (RFC 1939 section 4).
func Dial(ctx context.Context, addr string, opts *Options) (*Client, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	switch o.Security {
	case TLS, StartTLS:
	case Plain:
		if !o.AllowPlaintext {
			return nil, fmt.Errorf("pop3: dial %s: %w", addr, mailerr.ErrPlaintextRefused)
		}
	default:
		return nil, fmt.Errorf("pop3: dial %s: unknown security mode %d", addr, int(o.Security))
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("pop3: dial: %w", err)
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	var dialer Dialer = &net.Dialer{}
	if o.Dialer != nil {
		dialer = o.Dialer
	}

	dctx, cancel := context.WithTimeout(ctx, timeout)
	raw, err := dialer.DialContext(dctx, "tcp", addr)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("pop3: dial %s: %w", addr, dialError(ctx, err))
	}

	c := &Client{timeout: timeout, plainOK: o.Security == Plain && o.AllowPlaintext}
	c.dc = &deadlineConn{Conn: raw, timeout: timeout}
	c.setConn(c.dc)
	if err := c.start(ctx, o.Security, tlsConfig(o.TLSConfig, host)); err != nil {
		c.Close()
		if o.Security == TLS {
			redial := func(ctx context.Context) (net.Conn, error) { return dialer.DialContext(ctx, "tcp", addr) }
			err = mailerr.ProbeNotTLS(ctx, err, redial, "+OK")
		}
		return nil, err
	}
	return c, nil
}

// Caps returns the capabilities from the most recent CAPA (RFC 2449 section 5): the one
// after TLS for StartTLS, refreshed after Auth. It is empty if the server has no CAPA.
func (c *Client) Caps() Caps { return c.caps }

// ConnectionState returns the TLS state (negotiated version, peer certificates) and
// true, or false if the connection is not encrypted.
func (c *Client) ConnectionState() (tls.ConnectionState, bool) {
	if c.tlsConn == nil {
		return tls.ConnectionState{}, false
	}
	return c.tlsConn.ConnectionState(), true
}

// Close drops the connection WITHOUT sending QUIT, so the server never enters the UPDATE
// state and forgets every DELE of this session (RFC 1939 section 6). Use it on every error
// path where a retrieved message is not yet safely stored. Calling Close again, or after
// Quit, does nothing and returns nil. It may be called from another goroutine to abort a
// running command.
func (c *Client) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	// Close the TCP connection itself, not the TLS layer: no close_notify that could
	// block on a stalled peer.
	return c.dc.Conn.Close()
}

// setConn makes conn the connection the protocol buffers read and write.
func (c *Client) setConn(conn net.Conn) {
	c.conn = conn
	c.br = bufio.NewReaderSize(conn, readBufferSize)
	c.bw = bufio.NewWriter(conn)
}

// run executes one command exchange under the client's deadline and ctx. op names the
// command for errors that fn did not describe itself. Errors from fn get the "pop3: "
// prefix; if ctx ended while fn was doing I/O the context's error is reported instead of
// the forced deadline's.
func (c *Client) run(ctx context.Context, op string, fn func() error) error {
	if err := c.usable(); err != nil {
		return fmt.Errorf("pop3: %s: %w", op, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pop3: %s: %w", op, err)
	}
	c.dc.arm()
	aborted := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		c.dc.abort()
		close(aborted)
	})
	err := fn()
	if !stop() {
		// The abort ran or is running; wait so it cannot move the deadline of the next
		// command into the past.
		<-aborted
	}
	if err == nil {
		return nil
	}
	if c.broken != nil && ctx.Err() != nil {
		cause := mailerr.Classify(context.Cause(ctx))
		c.broken = fmt.Errorf("%s: %w", op, cause)
		return fmt.Errorf("pop3: %s: %w", op, cause)
	}
	return fmt.Errorf("pop3: %w", err)
}

// usable reports why no command may be sent, or nil.
func (c *Client) usable() error {
	if c.closed.Load() {
		return fmt.Errorf("%w: connection closed", ErrUnusable)
	}
	if c.broken != nil {
		return fmt.Errorf("%w after an earlier error: %w", ErrUnusable, c.broken)
	}
	return nil
}

// fail records err as the reason the session is out of step and returns it with op as
// context. Network errors are classified so errors.Is finds ErrTimeout.
func (c *Client) fail(op string, err error) error {
	c.broken = fmt.Errorf("%s: %w", op, mailerr.Classify(err))
	return c.broken
}

// dialError maps a dial failure to the vocabulary: the caller's cancellation stays a
// context error; anything else means the server could not be reached (a dial timeout
// is also ErrTimeout).
func dialError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w: %w", context.Cause(ctx), err)
	}
	err = mailerr.Classify(err)
	if !errors.Is(err, mailerr.ErrUnreachable) {
		err = fmt.Errorf("%w: %w", mailerr.ErrUnreachable, err)
	}
	return err
}
