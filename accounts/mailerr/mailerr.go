// Package mailerr is the error vocabulary shared by Postfach's mail protocol code.
//
// Protocol packages wrap these sentinels with context ("pop3: pass: %w"), and the GUI and
// CLI branch on them with errors.Is / errors.As to tell the user, in plain words, what
// went wrong and what to do next. Keeping them in one dependency-free package lets the
// POP3 client, the IMAP quota reader and the connection test speak the same language.
package mailerr

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

// DefaultTimeout is how long a server may stay silent before it counts as ErrTimeout,
// when the caller sets no timeout of its own: the one default of every protocol client
// and of the connection options (connect.Options).
const DefaultTimeout = 60 * time.Second

// Sentinel errors for conditions callers act on.
var (
	// ErrAuthFailed means the server rejected the user name or password. It is permanent:
	// retrying with the same credentials will not help.
	ErrAuthFailed = errors.New("authentication failed")
	// ErrTemporary means the server is busy or the mailbox is locked ([IN-USE],
	// [LOGIN-DELAY], [SYS/TEMP]); the same request may succeed later.
	ErrTemporary = errors.New("temporary server failure")
	// ErrStartTLSRefused means the account requires STARTTLS but the server did not offer
	// it, refused it, or tried to inject data around it. No credential was sent.
	ErrStartTLSRefused = errors.New("server refused to start encryption")
	// ErrPlaintextRefused means an unencrypted connection was attempted without the
	// user's explicit opt-in.
	ErrPlaintextRefused = errors.New("unencrypted connection not allowed")
	// ErrUnreachable means the host name did not resolve or nothing answered on the port.
	ErrUnreachable = errors.New("server unreachable")
	// ErrNotTLS means the server answered in plain text where TLS was expected: usually
	// implicit TLS configured on a STARTTLS or plain port (110/143 instead of 995/993).
	ErrNotTLS = errors.New("the server does not speak TLS on this port")
	// ErrTimeout means the server stopped answering within the deadline.
	ErrTimeout = errors.New("server timed out")
	// ErrProtocol means the server sent a reply that breaks the protocol (malformed,
	// oversized or unexpected). The session is unusable afterwards.
	ErrProtocol = errors.New("malformed server reply")
	// ErrQuotaUnsupported means the IMAP server does not report quota (no QUOTA
	// capability). Callers show "unknown", never 0 %.
	ErrQuotaUnsupported = errors.New("server does not report quota")
	// ErrNoUIDL means the POP3 server cannot name messages stably, so incremental
	// backups and deletion policies are impossible.
	ErrNoUIDL = errors.New("server does not support UIDL")
)

// ServerError is a negative reply from the server (-ERR in POP3, NO/BAD in IMAP), kept
// verbatim so that logs and the GUI can show what the server said.
type ServerError struct {
	Command string // the command that failed, without arguments that may hold secrets
	Code    string // the RFC 2449 / RFC 5530 response code, e.g. "IN-USE", if any
	Text    string // the human-readable text the server sent
	kind    error  // ErrAuthFailed, ErrTemporary or nil
}

// NewServerError returns a ServerError; kind (may be nil) is what errors.Is reports.
func NewServerError(command, code, text string, kind error) *ServerError {
	return &ServerError{Command: command, Code: code, Text: text, kind: kind}
}

func (e *ServerError) Error() string {
	msg := e.Command + ": server said"
	if e.Code != "" {
		msg += " [" + e.Code + "]"
	}
	if e.Text != "" {
		msg += " " + e.Text
	}
	return msg
}

// Unwrap lets errors.Is(err, ErrAuthFailed) and friends see the kind.
func (e *ServerError) Unwrap() error { return e.kind }

// Classify maps a low-level network or handshake error to ErrUnreachable, ErrTimeout or
// ErrNotTLS while keeping the original in the chain. Other errors are returned unchanged.
func Classify(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrTimeout) || errors.Is(err, ErrUnreachable) || errors.Is(err, ErrNotTLS) {
		return err
	}
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) {
		return fmt.Errorf("%w: %w", ErrNotTLS, err)
	}
	var ne net.Error
	if errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	var dnsErr *net.DNSError
	var opErr *net.OpError
	if errors.As(err, &dnsErr) || (errors.As(err, &opErr) && opErr.Op == "dial") {
		return fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	return err
}

// IsTemporary reports whether retrying later may succeed.
func IsTemporary(err error) bool {
	return errors.Is(err, ErrTemporary) || errors.Is(err, ErrTimeout) || errors.Is(err, ErrUnreachable)
}
