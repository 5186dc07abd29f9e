package pop3

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/postfach/postfach/accounts/mailerr"
)

// Auth logs in, moving the session to the TRANSACTION state (RFC 1939 section 4). It
// uses AUTH PLAIN (RFC 5034 section 4, RFC 4616) when CAPA lists "SASL PLAIN", and
// USER/PASS (RFC 1939 section 7) otherwise. It refuses to send anything if the connection
// is not encrypted, unless the client was dialled with Plain and AllowPlaintext.
//
// A refusal is a ServerError wrapping mailerr.ErrAuthFailed, or mailerr.ErrTemporary when
// the server says the mailbox is locked or it is busy ([IN-USE], [LOGIN-DELAY],
// [SYS/TEMP]; RFC 2449 section 8.1, RFC 3206), so the GUI does not ask for a new password
// when waiting would do. After success the capabilities are read again, because servers
// may announce more of them in the TRANSACTION state (RFC 2449 section 5).
func (c *Client) Auth(ctx context.Context, user, pass string) error {
	if c.tlsConn == nil && !c.plainOK {
		return fmt.Errorf("pop3: auth: %w", mailerr.ErrPlaintextRefused)
	}
	if strings.ContainsAny(user, "\r\n\x00") || strings.ContainsAny(pass, "\r\n\x00") {
		// A line break would end the command early and let the rest run as a command
		// of its own; NUL cannot be encoded in SASL PLAIN.
		return fmt.Errorf("pop3: auth: %w: user name or password contains a line break or NUL", mailerr.ErrAuthFailed)
	}
	var err error
	if c.caps.HasSASL("PLAIN") {
		err = c.run(ctx, "AUTH PLAIN", func() error { return c.authPlain(user, pass) })
	} else {
		err = c.run(ctx, "USER", func() error { return c.userPass(user, pass) })
	}
	if err != nil {
		return err
	}
	err = c.run(ctx, "CAPA", func() error { return c.capa(nil) })
	var se *mailerr.ServerError
	if errors.As(err, &se) {
		err = nil // keep the capabilities we have
	}
	return err
}

// maxCommandLine is the longest command a server must accept, CRLF included (RFC 2449
// section 4, repeated for AUTH by RFC 5034 section 4).
const maxCommandLine = 255

// authPlain sends AUTH PLAIN with the credentials as initial response when the command
// fits in 255 octets, else waits for the server's "+ " and sends them on their own line.
// An unexpected further challenge is cancelled with "*" (RFC 5034 section 4).
func (c *Client) authPlain(user, pass string) error {
	const op = "AUTH PLAIN"
	payload := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))
	initial := op + " " + payload
	if len(initial)+2 > maxCommandLine {
		if err := c.send(op, op); err != nil {
			return err
		}
		r, err := c.readReply(op, true)
		if err != nil {
			return err
		}
		switch r.status {
		case statusErr:
			return authReply(op, r)
		case statusOK:
			return c.fail(op, protoErr("server accepted AUTH PLAIN before any credentials"))
		}
		initial = payload
	}
	if err := c.send(op, initial); err != nil {
		return err
	}
	r, err := c.readReply(op, true)
	if err != nil {
		return err
	}
	if r.status == statusCont {
		if err := c.send(op, "*"); err != nil {
			return err
		}
		if r, err = c.readReply(op, false); err != nil {
			return err
		}
		if r.status == statusOK {
			return c.fail(op, protoErr("server accepted a cancelled AUTH"))
		}
	}
	return authReply(op, r)
}

// userPass logs in with USER and PASS. A -ERR to USER ends the attempt before the
// password is sent: some servers reject unknown users there.
func (c *Client) userPass(user, pass string) error {
	for _, step := range []struct{ op, line string }{{"USER", "USER " + user}, {"PASS", "PASS " + pass}} {
		if err := c.send(step.op, step.line); err != nil {
			return err
		}
		r, err := c.readReply(step.op, false)
		if err != nil {
			return err
		}
		if err := authReply(step.op, r); err != nil {
			return err
		}
	}
	return nil
}

// authReply turns the final reply to an authentication command into nil or a
// ServerError of kind authKind.
func authReply(op string, r reply) error {
	switch r.status {
	case statusOK:
		return nil
	case statusErr:
		return serverError(op, r, authKind(r.code))
	}
	return protoErr("%s: unexpected continuation", op)
}
