package imap

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"time"

	"github.com/postfach/postfach/accounts/mailerr"
	"github.com/postfach/postfach/accounts/trust"
)

// Connection security values for Options.Security. They are the same strings the accounts
// package stores, so a caller passes string(account.Security) unchanged.
const (
	// SecurityTLS is implicit TLS from the first byte (port 993, RFC 8314). It is the
	// default because nothing, not even the greeting, crosses the network in clear.
	SecurityTLS = "tls"
	// SecurityStartTLS upgrades a plain connection (port 143) with STARTTLS (RFC 2595). It
	// is enforced: if the server does not upgrade, Postfach stops before sending anything.
	SecurityStartTLS = "starttls"
	// SecurityNone is an unencrypted connection. It needs Options.AllowPlaintext.
	SecurityNone = "none"
)

// Dialer opens the TCP connection. *net.Dialer implements it; tests pass a fake that
// returns one end of a net.Pipe.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// Options says how to reach the server. A nil *Options is the same as the zero value:
// implicit TLS verified against the system roots, mailerr.DefaultTimeout, a net.Dialer.
type Options struct {
	// Security is SecurityTLS (also used when empty), SecurityStartTLS or SecurityNone.
	Security string
	// TLSConfig is used for implicit TLS and STARTTLS; it is cloned, never modified. Nil
	// means trust.Config(host, nil): system roots, TLS 1.2 or newer, host name checked.
	// An empty ServerName is filled in with the host of addr.
	TLSConfig *tls.Config
	// AllowPlaintext is the user's explicit opt-in to SecurityNone. Without it a plain
	// connection fails with mailerr.ErrPlaintextRefused before anything is dialled.
	AllowPlaintext bool
	// Timeout bounds the whole session, from dialling to logout: a quota poll that takes
	// longer is better reported as "server timed out" than left hanging in the tray. Zero
	// means mailerr.DefaultTimeout.
	Timeout time.Duration
	// Dialer opens the TCP connection. Nil means a net.Dialer with a 15 s connect
	// timeout (the session deadline still applies on top).
	Dialer Dialer
}

const defaultConnectTimeout = 15 * time.Second

// resolved is Options with every default applied, so the rest of the package never checks
// for zero values.
type resolved struct {
	security  string
	tlsConfig *tls.Config // nil for SecurityNone
	timeout   time.Duration
	dialer    Dialer
}

func resolve(addr string, opts *Options) (*resolved, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	r := &resolved{security: o.Security, timeout: o.Timeout, dialer: o.Dialer}
	if r.security == "" {
		r.security = SecurityTLS
	}
	switch r.security {
	case SecurityTLS, SecurityStartTLS:
	case SecurityNone:
		if !o.AllowPlaintext {
			return nil, fmt.Errorf("imap %s: %w", addr, mailerr.ErrPlaintextRefused)
		}
	default:
		return nil, fmt.Errorf("imap %s: unknown security %q (use tls, starttls or none)", addr, r.security)
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("imap %s: %w", addr, err)
	}
	if r.timeout <= 0 {
		r.timeout = mailerr.DefaultTimeout
	}
	if r.dialer == nil {
		r.dialer = &net.Dialer{Timeout: defaultConnectTimeout}
	}
	if r.security != SecurityNone {
		if o.TLSConfig != nil {
			r.tlsConfig = o.TLSConfig.Clone()
		} else {
			r.tlsConfig = trust.Config(host, nil)
		}
		if r.tlsConfig.ServerName == "" {
			r.tlsConfig.ServerName = host
		}
	}
	return r, nil
}
