package imap

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/postfach/postfach/accounts/mailerr"
)

// logoutTimeout bounds LOGOUT in Close: the data is already in hand, so a server that
// does not answer it must not hold the session open for the full deadline.
const logoutTimeout = 3 * time.Second

// statusBatch is how many STATUS commands are pipelined at once on servers without
// LIST-STATUS: fast on high-latency links without flooding the server.
const statusBatch = 32

// Session is one authenticated-or-about-to-be IMAP connection. It is not safe for
// concurrent use. Most callers want Fetch or Check instead.
type Session struct {
	addr     string
	c        *imapclient.Client
	guard    *guardConn
	tlsConn  *tls.Conn // nil on a plaintext connection
	ctx      context.Context
	cancel   context.CancelFunc
	stopKill func() bool
	caps     goimap.CapSet
	password string // only to scrub it from server replies quoted in errors
	closed   bool
}

// Connect dials addr ("host:port"), sets up TLS as opts say and reads the greeting. No
// credential is sent. ctx and Options.Timeout bound the whole session until Close:
// when either ends, the connection is closed and every pending call returns.
//
// With SecurityStartTLS any deviation (no STARTTLS capability, a PREAUTH greeting, a
// refusal, plaintext sent after the server's OK) fails with mailerr.ErrStartTLSRefused
// before TLS, and thus before LOGIN. A certificate that is not trusted fails with a
// *trust.CertError when opts.TLSConfig comes from trust.Config.
func Connect(ctx context.Context, addr string, opts *Options) (*Session, error) {
	r, err := resolve(addr, opts)
	if err != nil {
		return nil, err
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	raw, err := r.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		defer cancel()
		return nil, fmt.Errorf("imap %s: dial: %w", addr, ctxErr(ctx, mailerr.Classify(err)))
	}
	deadline, _ := ctx.Deadline()
	s := &Session{
		addr:   addr,
		guard:  newGuardConn(raw, deadline, maxSessionBytes),
		ctx:    ctx,
		cancel: cancel,
		// Closing the raw connection is the one thing that unblocks every goroutine of
		// go-imap, TLS and our own reads at once.
		stopKill: context.AfterFunc(ctx, func() { raw.Close() }),
	}
	conn, err := s.secure(r)
	if err != nil {
		s.abort()
		if r.security == SecurityTLS {
			redial := func(ctx context.Context) (net.Conn, error) { return r.dialer.DialContext(ctx, "tcp", addr) }
			err = mailerr.ProbeNotTLS(parent, err, redial, "* OK", "* PREAUTH", "* BYE") // the session's ctx ended with abort
		}
		return nil, fmt.Errorf("imap %s: %w", addr, err)
	}
	s.c = imapclient.New(conn, nil) // no DebugWriter: its trace would hold the password
	if err := s.c.WaitGreeting(); err != nil {
		err = s.wrap("greeting", err)
		s.abort()
		return nil, err
	}
	return s, nil
}

// secure returns the connection go-imap will talk over: TLS from the start, TLS after our
// own STARTTLS, or the plain connection.
func (s *Session) secure(r *resolved) (net.Conn, error) {
	switch r.security {
	case SecurityTLS:
		cfg := r.tlsConfig
		if cfg.NextProtos == nil {
			cfg.NextProtos = []string{"imap"} // as imapclient.DialTLS does
		}
		return s.handshake(cfg)
	case SecurityStartTLS:
		if err := startTLS(s.guard); err != nil {
			return nil, ctxErr(s.ctx, err)
		}
		tc, err := s.handshake(r.tlsConfig)
		if err != nil {
			return nil, err
		}
		return &greetingConn{Conn: tc, pending: []byte(syntheticGreeting)}, nil
	default:
		return s.guard, nil
	}
}

func (s *Session) handshake(cfg *tls.Config) (net.Conn, error) {
	tc := tls.Client(s.guard, cfg)
	if err := tc.HandshakeContext(s.ctx); err != nil {
		// A *trust.CertError stays in the chain for errors.As; network failures get
		// their mailerr class.
		return nil, fmt.Errorf("tls: %w", ctxErr(s.ctx, mailerr.Classify(err)))
	}
	s.tlsConn = tc
	return tc, nil
}

// Login authenticates with LOGIN (RFC 9051 section 6.2.3), then reads the capabilities
// the server announces to an authenticated client (QUOTA usually appears only then). A
// PREAUTH greeting on implicit TLS or an allowed plaintext connection skips LOGIN: the
// server has already authenticated the connection.
//
// A rejected password fails with an error matching mailerr.ErrAuthFailed; the password
// never appears in the error, even if the server echoes it.
func (s *Session) Login(user, pass string) error {
	s.password = pass
	if s.c.State() != goimap.ConnStateAuthenticated {
		caps, err := s.loadCaps()
		if err != nil {
			return err
		}
		if caps.Has(goimap.CapLoginDisabled) {
			// RFC 9051 section 6.2.3: the client MUST NOT send LOGIN then.
			return fmt.Errorf("imap %s: %w", s.addr, mailerr.NewServerError("login", string(goimap.CapLoginDisabled),
				"the server does not accept a password on this connection", nil))
		}
		if err := s.c.Login(user, pass).Wait(); err != nil {
			return s.wrap("login", err)
		}
	}
	caps, err := s.loadCaps()
	if err != nil {
		return err
	}
	s.caps = caps
	return nil
}

// loadCaps returns the current capabilities, asking the server if go-imap has none
// cached (it drops them after STARTTLS and LOGIN, as RFC 2595 section 3.1 requires).
func (s *Session) loadCaps() (goimap.CapSet, error) {
	if caps := s.c.Caps(); caps != nil {
		return caps.Copy(), nil
	}
	// Caps hides the reason for a failure; asking explicitly returns it.
	caps, err := s.c.Capability().Wait()
	if err != nil {
		return nil, s.wrap("capability", err)
	}
	return caps.Copy(), nil
}

// Caps returns the capabilities announced after Login, sorted.
func (s *Session) Caps() []string {
	out := make([]string, 0, len(s.caps))
	for c := range s.caps {
		out = append(out, string(c))
	}
	slices.Sort(out)
	return out
}

// TLS returns the TLS connection state (certificate, version, cipher), nil on a
// plaintext connection.
func (s *Session) TLS() *tls.ConnectionState {
	if s.tlsConn == nil {
		return nil
	}
	st := s.tlsConn.ConnectionState()
	return &st
}

// Quota returns the quota roots of INBOX (RFC 9208 GETQUOTAROOT, section 4.1.2). Call it
// after Login. Without the QUOTA capability it fails with mailerr.ErrQuotaUnsupported
// without asking the server.
func (s *Session) Quota() ([]Root, error) {
	if !s.caps.Has(goimap.CapQuota) {
		return nil, fmt.Errorf("imap %s: getquotaroot: %w", s.addr, mailerr.ErrQuotaUnsupported)
	}
	data, err := s.c.GetQuotaRoot("INBOX").Wait()
	if err != nil {
		return nil, s.wrap("getquotaroot", err)
	}
	return rootsFromData(data), nil
}

// Folders returns every selectable mailbox with its message count and size, sorted by
// name. It uses one LIST ... RETURN (STATUS ...) (RFC 5819) when the server has
// LIST-STATUS, else LIST and one STATUS per mailbox; SIZE (RFC 8438) is requested only
// when STATUS=SIZE is announced, and Size is -1 otherwise. A STATUS the server refuses
// for one mailbox leaves -1 for it rather than failing the whole list.
func (s *Session) Folders() ([]Folder, error) {
	hasSize := s.caps.Has(goimap.CapStatusSize)
	items := &goimap.StatusOptions{NumMessages: true, Size: hasSize}
	var listOpts *goimap.ListOptions
	if s.caps.Has(goimap.CapListStatus) {
		listOpts = &goimap.ListOptions{ReturnStatus: items}
	}
	list, err := s.c.List("", "*", listOpts).Collect()
	if err != nil {
		return nil, s.wrap("list", err)
	}
	var folders []Folder
	seen := make(map[string]bool, len(list))
	for _, d := range list {
		if seen[d.Mailbox] || slices.Contains(d.Attrs, goimap.MailboxAttrNoSelect) ||
			slices.Contains(d.Attrs, goimap.MailboxAttrNonExistent) {
			continue
		}
		seen[d.Mailbox] = true
		f := Folder{Name: d.Mailbox, Messages: -1, Size: -1}
		if listOpts != nil {
			applyStatus(&f, d.Status, hasSize)
		}
		folders = append(folders, f)
	}
	if listOpts == nil {
		if err := s.statusEach(folders, items); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(folders, func(a, b Folder) int { return cmp.Compare(a.Name, b.Name) })
	return folders, nil
}

// statusEach fills folders with one STATUS each, pipelined in batches.
func (s *Session) statusEach(folders []Folder, items *goimap.StatusOptions) error {
	for start := 0; start < len(folders); start += statusBatch {
		batch := folders[start:min(start+statusBatch, len(folders))]
		cmds := make([]*imapclient.StatusCommand, len(batch))
		for i := range batch {
			cmds[i] = s.c.Status(batch[i].Name, items)
		}
		for i, cmd := range cmds {
			st, err := cmd.Wait()
			var ie *goimap.Error
			if errors.As(err, &ie) {
				continue // this mailbox only: leave -1
			}
			if err != nil {
				return s.wrap("status", err)
			}
			applyStatus(&batch[i], st, items.Size)
		}
	}
	return nil
}

func applyStatus(f *Folder, st *goimap.StatusData, hasSize bool) {
	if st == nil {
		return
	}
	if st.NumMessages != nil {
		f.Messages = int64(*st.NumMessages)
	}
	if hasSize && st.Size != nil && *st.Size >= 0 {
		f.Size = *st.Size
	}
}

// Close sends LOGOUT (waiting at most a few seconds) and closes the connection. It
// returns the LOGOUT error, if any; the connection is closed either way. Calling it again
// does nothing.
func (s *Session) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	s.guard.tighten(time.Now().Add(logoutTimeout))
	var err error
	if s.c.State() != goimap.ConnStateLogout {
		if lerr := s.c.Logout().Wait(); lerr != nil {
			err = s.wrap("logout", lerr)
		}
	}
	_ = s.c.Close() // already closed by the server after LOGOUT in the normal case
	s.stopKill()
	s.cancel()
	s.password = ""
	return err
}

// abort drops the connection without LOGOUT (nothing useful was established).
func (s *Session) abort() {
	s.closed = true
	if s.c != nil {
		_ = s.c.Close()
	}
	_ = s.guard.Close()
	s.stopKill()
	s.cancel()
	s.password = ""
}

// wrap turns an error from go-imap into Postfach's vocabulary. go-imap formats most
// failures into strings ("in response: ..."), so the cause is recovered from what we
// know: the server's own NO/BAD (*goimap.Error), our context, or the first I/O error the
// guard connection saw. Whatever is left is a reply go-imap could not parse.
func (s *Session) wrap(op string, err error) error {
	var ie *goimap.Error
	if errors.As(err, &ie) {
		return fmt.Errorf("imap %s: %w", s.addr, s.serverError(op, ie)) // names op itself
	}
	if e := ctxErr(s.ctx, nil); e != nil {
		return fmt.Errorf("imap %s: %s: %w", s.addr, op, e)
	}
	if gerr := s.guard.firstErr(); gerr != nil {
		switch {
		case errors.Is(gerr, errTooMuchData):
			return fmt.Errorf("imap %s: %s: %w: %w", s.addr, op, mailerr.ErrProtocol, gerr)
		case errors.Is(gerr, io.EOF), errors.Is(gerr, net.ErrClosed):
			return fmt.Errorf("imap %s: %s: connection closed by the server: %w", s.addr, op, io.ErrUnexpectedEOF)
		}
		return fmt.Errorf("imap %s: %s: %w", s.addr, op, mailerr.Classify(gerr))
	}
	return fmt.Errorf("imap %s: %s: %w: %s", s.addr, op, mailerr.ErrProtocol, s.scrub(err.Error()))
}

// serverError maps a NO/BAD reply to a *mailerr.ServerError whose kind says whether to
// ask the user for another password or to retry later (RFC 5530 response codes).
func (s *Session) serverError(op string, ie *goimap.Error) error {
	var kind error
	switch ie.Code {
	case goimap.ResponseCodeUnavailable, goimap.ResponseCodeInUse, goimap.ResponseCodeLimit:
		kind = mailerr.ErrTemporary
	case goimap.ResponseCodeAuthenticationFailed, goimap.ResponseCodeAuthorizationFailed, goimap.ResponseCodeExpired, "":
		// Servers without RFC 5530 codes answer a bad password with a plain NO.
		if op == "login" && ie.Type == goimap.StatusResponseTypeNo {
			kind = mailerr.ErrAuthFailed
		}
	}
	if op == "greeting" && kind == nil {
		kind = mailerr.ErrTemporary // BYE at connect: overloaded or shutting down
	}
	return mailerr.NewServerError(op, s.scrub(string(ie.Code)), s.scrub(ie.Text), kind)
}

// scrub keeps the password out of text quoted from the server (a broken or hostile one
// may echo the LOGIN command) so that it cannot reach logs or the GUI.
func (s *Session) scrub(text string) string {
	if s.password != "" && strings.Contains(text, s.password) {
		return "(reply withheld: it contained the password)"
	}
	return text
}

// ctxErr reports why ctx ended, as mailerr.ErrTimeout for a deadline, or returns err
// when ctx is still live. A cancelled context stays context.Canceled: the caller asked
// for it and the GUI shows nothing.
func ctxErr(ctx context.Context, err error) error {
	switch cerr := ctx.Err(); {
	case cerr == nil:
		return err
	case errors.Is(cerr, context.DeadlineExceeded):
		if err != nil && errors.Is(err, mailerr.ErrTimeout) {
			return err
		}
		return fmt.Errorf("%w: %w", mailerr.ErrTimeout, cerr)
	default:
		return cerr
	}
}
