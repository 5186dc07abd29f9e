// Package connect talks to an account's server with the account's own settings: it turns
// an accounts.Account (host, port, security, pinned certificate, plaintext opt-in) into a
// logged-in POP3 session, IMAP quota options, or a connection test.
//
// It is the one place where account settings meet the protocol clients, so the backup
// engine, the CLI and the GUI all connect the same way. Failures come back as the typed
// errors of accounts/mailerr and accounts/trust, so the wizard can say "wrong password" or
// "certificate not trusted — here is its fingerprint" instead of a network error message.
package connect

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/imap"
	"github.com/postfach/postfach/accounts/mailerr"
	"github.com/postfach/postfach/accounts/pop3"
	"github.com/postfach/postfach/accounts/trust"
)

// Options tunes connections. A nil *Options uses the system roots and
// mailerr.DefaultTimeout.
type Options struct {
	// Roots replaces the system certificate roots (tests with a private CA).
	Roots *x509.CertPool
	// Timeout is the per-command deadline for POP3 and the whole-session bound for IMAP
	// and connection tests.
	Timeout time.Duration
	// Dialer opens every TCP connection; nil means a *net.Dialer. Tests pass one to
	// count, slow down or break connections instead of swapping package variables.
	Dialer Dialer
}

// Dialer opens a connection. *net.Dialer implements it, and so the pop3 and quota
// packages' own Dialer interfaces.
type Dialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

func (o *Options) withDefaults() Options {
	var r Options
	if o != nil {
		r = *o
	}
	if r.Timeout == 0 {
		r.Timeout = mailerr.DefaultTimeout
	}
	return r
}

// tlsConfig returns the TLS configuration for an account's server: its pinned
// certificate, if any, else the roots.
func tlsConfig(a accounts.Account, o Options) *tls.Config {
	return trust.Config(a.Host, &trust.Options{PinnedSHA256: a.PinnedSHA256, Roots: o.Roots})
}

// POP3 connects to a POP3 account's server and logs in with a password. The caller
// owns the client.
func POP3(ctx context.Context, a accounts.Account, password string, opts *Options) (*pop3.Client, error) {
	return POP3Login(ctx, a, Password(password), opts)
}

// pop3Login dials the account's server and runs auth on the new connection.
func pop3Login(ctx context.Context, a accounts.Account, opts *Options, auth func(*pop3.Client) error) (*pop3.Client, error) {
	o := opts.withDefaults()
	c, err := pop3.Dial(ctx, a.Addr(), &pop3.Options{
		Security:       pop3Security(a.Security),
		TLSConfig:      tlsConfig(a, o),
		AllowPlaintext: a.AllowPlaintext,
		Timeout:        o.Timeout,
		Dialer:         o.Dialer,
	})
	if err != nil {
		return nil, err
	}
	if err := auth(c); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// QuotaOptions returns the options for reading an IMAP account's quota.
func QuotaOptions(a accounts.Account, opts *Options) *imap.Options {
	o := opts.withDefaults()
	return &imap.Options{
		Security:       string(a.Security),
		TLSConfig:      tlsConfig(a, o),
		AllowPlaintext: a.AllowPlaintext,
		Timeout:        o.Timeout,
		Dialer:         o.Dialer,
	}
}

// Quota reads an IMAP account's quota (and, with folders, per-folder sizes), logging in
// with a password.
func Quota(ctx context.Context, a accounts.Account, password string, folders bool, opts *Options) (*imap.Report, error) {
	return QuotaLogin(ctx, a, Password(password), folders, opts)
}

func pop3Security(s accounts.Security) pop3.Security {
	switch s {
	case accounts.StartTLS:
		return pop3.StartTLS
	case accounts.None:
		return pop3.Plain
	default:
		return pop3.TLS
	}
}
