package pop3

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/postfach/postfach/accounts/mailerr"
	"github.com/postfach/postfach/accounts/oauth"
)

// SASLClient is the client side of a SASL mechanism (RFC 4422), the interface of
// github.com/emersion/go-sasl's Client: oauth.SASLClient and go-sasl's mechanisms
// implement it.
type SASLClient interface {
	// Start returns the mechanism name and the initial response; a nil response means
	// the mechanism has none.
	Start() (mech string, ir []byte, err error)
	// Next answers a server challenge.
	Next(challenge []byte) (response []byte, err error)
}

// ErrMechanismNotOffered means the server's CAPA SASL list does not include the
// mechanism (for OAuth2: neither OAUTHBEARER nor XOAUTH2), so no AUTH was sent.
var ErrMechanismNotOffered = errors.New("the server does not offer this sign-in method (SASL mechanism)")

// maxSASLRounds bounds the challenges of one AUTH: the mechanisms Postfach uses need at
// most one, so a server that keeps challenging is not making progress.
const maxSASLRounds = 4

// AuthOAuth2 logs in with an OAuth2 access token: OAUTHBEARER (RFC 7628) when CAPA SASL
// offers it, else XOAUTH2, over AUTH (RFC 5034). host and port name the server for
// OAUTHBEARER. A refused token is a ServerError matching mailerr.ErrAuthFailed: refresh
// the token and try once more (oauth.TokenSource.Do does that).
func (c *Client) AuthOAuth2(ctx context.Context, user, accessToken, host string, port int) error {
	mech, ok := oauth.ChooseMechanism(c.caps.SASL())
	if !ok {
		return fmt.Errorf("pop3: auth: %w: OAUTHBEARER or XOAUTH2 (offered: %s)", ErrMechanismNotOffered, strings.Join(c.caps.SASL(), " "))
	}
	sc, err := oauth.NewSASLClient(mech, user, accessToken, host, port)
	if err != nil {
		return fmt.Errorf("pop3: auth: %w", err)
	}
	return c.AuthSASL(ctx, sc)
}

// AuthSASL logs in with a SASL mechanism over AUTH (RFC 5034 section 4), moving the
// session to the TRANSACTION state. The mechanism must be in CAPA SASL, and credentials
// never travel without TLS unless the client was dialled with Plain and AllowPlaintext.
// The initial response goes on the AUTH line when the line fits in 255 octets, else
// after the server's "+ " (OAuth2 tokens rarely fit). If the client cannot answer a
// challenge, AUTH is cancelled with "*" and its error returned.
//
// A refusal is a ServerError wrapping mailerr.ErrAuthFailed (or mailerr.ErrTemporary for
// [IN-USE], [LOGIN-DELAY], [SYS/TEMP]). Capabilities are read again afterwards, as Auth
// does.
func (c *Client) AuthSASL(ctx context.Context, sc SASLClient) error {
	if c.tlsConn == nil && !c.plainOK {
		return fmt.Errorf("pop3: auth: %w", mailerr.ErrPlaintextRefused)
	}
	mech, ir, err := sc.Start()
	if err != nil {
		return fmt.Errorf("pop3: auth: %w", err)
	}
	mech = strings.ToUpper(mech)
	if !c.caps.HasSASL(mech) {
		return fmt.Errorf("pop3: auth: %w: %s", ErrMechanismNotOffered, sanitize([]byte(mech)))
	}
	if strings.ContainsAny(mech, " \r\n") {
		return fmt.Errorf("pop3: auth: invalid mechanism name %q", mech)
	}
	op := "AUTH " + mech
	if err := c.run(ctx, op, func() error { return c.saslExchange(op, sc, ir) }); err != nil {
		return err
	}
	err = c.run(ctx, "CAPA", func() error { return c.capa(nil) })
	var se *mailerr.ServerError
	if errors.As(err, &se) {
		err = nil // keep the capabilities we have
	}
	return err
}

// saslExchange runs AUTH from the command to the final +OK or -ERR.
func (c *Client) saslExchange(op string, sc SASLClient, ir []byte) error {
	line := op
	if ir != nil {
		// RFC 5034 section 4: an empty initial response is sent as "=".
		enc := "="
		if len(ir) > 0 {
			enc = base64.StdEncoding.EncodeToString(ir)
		}
		if len(op)+1+len(enc)+2 <= maxCommandLine {
			line, ir = op+" "+enc, nil
		}
	}
	if err := c.send(op, line); err != nil {
		return err
	}
	for round := 0; ; round++ {
		r, err := c.readReply(op, true)
		if err != nil {
			return err
		}
		if r.status != statusCont {
			return authReply(op, r)
		}
		if round == maxSASLRounds {
			return c.cancelSASL(op, protoErr("more than %d challenges", maxSASLRounds))
		}
		var resp []byte
		if ir != nil {
			// The "+ " that asks for the initial response we held back.
			resp, ir = ir, nil
		} else {
			challenge, err := base64.StdEncoding.DecodeString(r.text)
			if err != nil {
				return c.cancelSASL(op, protoErr("challenge is not base64"))
			}
			if resp, err = sc.Next(challenge); err != nil {
				return c.cancelSASL(op, err)
			}
		}
		if err := c.send(op, base64.StdEncoding.EncodeToString(resp)); err != nil {
			return err
		}
	}
}

// cancelSASL ends an AUTH exchange with "*" (RFC 5034 section 4) and returns cause. The
// server must answer -ERR; anything else leaves the session out of step.
func (c *Client) cancelSASL(op string, cause error) error {
	if err := c.send(op, "*"); err != nil {
		return err
	}
	r, err := c.readReply(op, false)
	if err != nil {
		return err
	}
	if r.status != statusErr {
		return c.fail(op, protoErr("server accepted a cancelled AUTH"))
	}
	return fmt.Errorf("%s: cancelled: %w", op, cause)
}
