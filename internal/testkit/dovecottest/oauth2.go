package dovecottest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// OAuth2 configures Dovecot's oauth2 passdb, so that IMAP and POP3 accept XOAUTH2 and
// OAUTHBEARER logins whose access tokens an authorization server vouches for through
// RFC 7662 introspection (internal/testkit/oauthmock in Postfach's tests). Passwords
// keep working: the passwd-file passdb comes first, and a token that is not a user's
// password falls through to the oauth2 passdb.
type OAuth2 struct {
	// IntrospectionURL is the authorization server's introspection endpoint
	// (oauthmock.Server.IntrospectionURL); Dovecot POSTs the token there.
	IntrospectionURL string
	// CACertPEM is the certificate Dovecot trusts for that endpoint
	// (oauthmock.Server.CertPEM).
	CACertPEM []byte
	// UsernameAttribute is the introspection answer's field that names the Dovecot
	// user; default "username". The user must exist (AddUser), for its mailbox.
	UsernameAttribute string
}

// StartOAuth2 is Start with Dovecot's oauth2 passdb (the configuration docs/oauth.md
// describes). Dovecot asks the introspection endpoint for every login, so expiring or
// revoking tokens at the authorization server takes effect at once.
func StartOAuth2(t testing.TB, o OAuth2) *Server {
	t.Helper()
	if o.UsernameAttribute == "" {
		o.UsernameAttribute = "username"
	}
	return start(t, &o)
}

// oauth2Mechanisms is what auth_mechanisms gets in addition to plain and login.
func (s *Server) oauth2Mechanisms() string {
	if s.oauth2 == nil {
		return ""
	}
	return " xoauth2 oauthbearer"
}

// oauth2Passdb writes the oauth2 passdb block, after the passwd-file one.
func (s *Server) oauth2Passdb(p func(string, ...any)) {
	if s.oauth2 == nil {
		return
	}
	p("passdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = %s\n}", filepath.Join(s.Dir, "oauth2.conf.ext"))
}

// writeOAuth2 writes the oauth2 passdb's settings and the CA certificate it trusts.
func (s *Server) writeOAuth2() error {
	if s.oauth2 == nil {
		return nil
	}
	ca := filepath.Join(s.Dir, "oauth2-ca.pem")
	if err := os.WriteFile(ca, s.oauth2.CACertPEM, 0o644); err != nil {
		return err
	}
	conf := fmt.Sprintf("introspection_url = %s\nintrospection_mode = post\nusername_attribute = %s\n"+
		"tls_ca_cert_file = %s\nactive_attribute = active\nactive_value = true\n",
		s.oauth2.IntrospectionURL, s.oauth2.UsernameAttribute, ca)
	return os.WriteFile(filepath.Join(s.Dir, "oauth2.conf.ext"), []byte(conf), 0o644)
}
