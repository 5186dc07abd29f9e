package pop3

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"

	"github.com/postfach/postfach/accounts/mailerr"
	"github.com/postfach/postfach/accounts/trust"
)

// start runs the session set-up for the security mode: TLS handshake, greeting and CAPA
// for implicit TLS; greeting, CAPA, STLS, handshake and CAPA again for StartTLS;
// greeting and CAPA for Plain.
func (c *Client) start(ctx context.Context, sec Security, cfg *tls.Config) error {
	if sec == TLS {
		if err := c.run(ctx, "TLS handshake", func() error { return c.handshake(ctx, cfg) }); err != nil {
			return err
		}
	}
	if err := c.run(ctx, "greeting", c.greeting); err != nil {
		return err
	}
	if sec == StartTLS {
		if err := c.run(ctx, "STLS", func() error { return c.startTLS(ctx, cfg) }); err != nil {
			return err
		}
	}
	// A server without CAPA is a plain RFC 1939 server: no pipelining, USER/PASS.
	err := c.run(ctx, "CAPA", func() error { return c.capa(nil) })
	var se *mailerr.ServerError
	if errors.As(err, &se) {
		err = nil
	}
	return err
}

// greeting reads the server's first line (RFC 1939 section 4). A -ERR greeting is how
// servers say "too busy" or "too many connections", so it counts as temporary unless a
// response code says otherwise.
func (c *Client) greeting() error {
	r, err := c.readReply("greeting", false)
	if err != nil {
		return err
	}
	if r.status == statusErr {
		kind := kindFor(r.code)
		if kind == nil {
			kind = mailerr.ErrTemporary
		}
		return serverError("greeting", r, kind)
	}
	return nil
}

// startTLS upgrades a clear-text session (RFC 2595 section 4). Every way the server can
// avoid encryption — no CAPA, no STLS in CAPA, -ERR to STLS — is ErrStartTLSRefused, and
// so is any byte that arrives after the STLS +OK before the handshake: a man in the
// middle could otherwise inject replies that we would read as coming from inside TLS
// (CVE-2021-39272 class). The capabilities seen in clear text are dropped; the caller
// reads them again over TLS.
func (c *Client) startTLS(ctx context.Context, cfg *tls.Config) error {
	if err := c.capa(mailerr.ErrStartTLSRefused); err != nil {
		return err
	}
	offered := c.caps.STLS()
	c.caps = Caps{}
	if !offered {
		return fmt.Errorf("STLS: %w: the server did not offer STLS in CAPA", mailerr.ErrStartTLSRefused)
	}
	if err := c.send("STLS", "STLS"); err != nil {
		return err
	}
	r, err := c.readReply("STLS", false)
	if err != nil {
		return err
	}
	if r.status == statusErr {
		return serverError("STLS", r, mailerr.ErrStartTLSRefused)
	}
	if n := c.br.Buffered(); n > 0 {
		err := fmt.Errorf("%w: %d bytes arrived after the STLS +OK before encryption started", mailerr.ErrStartTLSRefused, n)
		return c.fail("STLS", err)
	}
	c.dc.rearm() // the handshake gets its own full timeout
	return c.handshake(ctx, cfg)
}

// handshake starts TLS on the dialled connection and replaces the buffers, so nothing
// read in clear text can be mistaken for encrypted data.
func (c *Client) handshake(ctx context.Context, cfg *tls.Config) error {
	tc := tls.Client(c.dc, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return c.fail("TLS handshake", err)
	}
	c.tlsConn = tc
	c.setConn(tc)
	return nil
}

// tlsConfig clones the caller's configuration, or builds Postfach's default for host,
// and makes sure the certificate is checked against host when no name was set.
func tlsConfig(cfg *tls.Config, host string) *tls.Config {
	if cfg == nil {
		return trust.Config(host, nil)
	}
	cfg = cfg.Clone()
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	return cfg
}
