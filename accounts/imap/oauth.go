package imap

import (
	"fmt"
	"strings"

	goimap "github.com/emersion/go-imap/v2"

	"github.com/postfach/postfach/accounts/mailerr"
	"github.com/postfach/postfach/accounts/oauth"
)

// LoginOAuth2 authenticates with an OAuth2 access token instead of a password:
// AUTHENTICATE OAUTHBEARER (RFC 7628) when the server announces AUTH=OAUTHBEARER, else
// AUTHENTICATE XOAUTH2 (Microsoft offers only that one), RFC 9051 section 6.2.2. host
// and port name the server inside OAUTHBEARER. Then, like Login, it reads the
// capabilities of the authenticated state. A PREAUTH connection skips it.
//
// A refused token fails with an error matching mailerr.ErrAuthFailed: refresh the token
// and try once more (oauth.TokenSource.Do). A server that offers neither mechanism
// fails with a ServerError (code "AUTH") before anything is sent. The token never
// appears in an error, even if the server echoes it.
func (s *Session) LoginOAuth2(user, accessToken, host string, port int) error {
	s.password = accessToken // for scrub
	if s.c.State() != goimap.ConnStateAuthenticated {
		caps, err := s.loadCaps()
		if err != nil {
			return err
		}
		mech, ok := oauth.ChooseMechanism(caps.AuthMechanisms())
		if !ok {
			return fmt.Errorf("imap %s: %w", s.addr, mailerr.NewServerError("authenticate", "AUTH",
				"the server offers no OAuth2 sign-in (AUTH=OAUTHBEARER or AUTH=XOAUTH2); offered: "+strings.Join(caps.AuthMechanisms(), " "), nil))
		}
		sc, err := oauth.NewSASLClient(mech, user, accessToken, host, port)
		if err != nil {
			return fmt.Errorf("imap %s: %w", s.addr, err)
		}
		if err := s.c.Authenticate(sc); err != nil {
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
