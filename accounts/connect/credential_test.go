package connect

import (
	"context"
	"errors"
	"testing"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/mailerr"
	"github.com/postfach/postfach/accounts/oauth"
	"github.com/postfach/postfach/internal/testkit/dovecottest"
	"github.com/postfach/postfach/internal/testkit/oauthmock"
)

// scriptedTokens hands out tokens in order the way oauth.TokenSource.Do does: the first
// one, and after a refusal (mailerr.ErrAuthFailed) the second one, once.
type scriptedTokens struct {
	tokens []string
	logins int
}

func (s *scriptedTokens) Do(_ context.Context, login func(string) error) error {
	s.logins++
	err := login(s.tokens[0])
	if !errors.Is(err, mailerr.ErrAuthFailed) || len(s.tokens) < 2 {
		return err
	}
	s.logins++
	return login(s.tokens[1])
}

// TestOAuth2Logins checks every connect entry point with OAuth2 tokens against Dovecot's
// oauth2 passdb: a good token logs in at once; a refused one fails with
// mailerr.ErrAuthFailed (the error TokenSource.Do refreshes on), and the retry with a
// fresh token then works, for POP3 and IMAP alike.
func TestOAuth2Logins(t *testing.T) {
	mock := oauthmock.Start(t, oauthmock.Config{})
	srv := dovecottest.StartOAuth2(t, dovecottest.OAuth2{IntrospectionURL: mock.IntrospectionURL(), CACertPEM: mock.CertPEM()})
	srv.AddUser(t, "alice", "unused", 10)
	ctx := context.Background()
	o := &oauth.Options{HTTPClient: mock.HTTPClient()}
	p, err := oauth.DiscoverIssuer(ctx, mock.URL, o)
	if err != nil {
		t.Fatal(err)
	}
	p.ClientID = mock.ClientID()
	tok, err := oauth.Authorize(ctx, p, mock.Browser().Open, o)
	if err != nil {
		t.Fatal(err)
	}
	opts := &Options{Roots: srv.CertPool}
	pop := account(accounts.POP3, srv.Host, srv.POP3SPort, accounts.TLS, "alice")
	imap := account(accounts.IMAP, srv.Host, srv.IMAPSPort, accounts.TLS, "alice")
	entries := []struct {
		name  string
		login func(Credential) error
	}{
		{"POP3Login", func(c Credential) error {
			cl, err := POP3Login(ctx, pop, c, opts)
			if err == nil {
				cl.Close()
			}
			return err
		}},
		{"QuotaLogin", func(c Credential) error { _, err := QuotaLogin(ctx, imap, c, false, opts); return err }},
		{"TestLogin POP3", func(c Credential) error { _, err := TestLogin(ctx, pop, c, opts); return err }},
		{"TestLogin IMAP", func(c Credential) error { _, err := TestLogin(ctx, imap, c, opts); return err }},
	}
	cases := []struct {
		name       string
		tokens     []string
		wantLogins int
		wantAuth   bool
	}{
		{"good token", []string{tok.AccessToken}, 1, false},
		{"refused, then refreshed", []string{"bogus-token", tok.AccessToken}, 2, false},
		{"refused twice", []string{"bogus-token", "also-bogus"}, 2, true},
	}
	for _, e := range entries {
		for _, tc := range cases {
			t.Run(e.name+"/"+tc.name, func(t *testing.T) {
				src := &scriptedTokens{tokens: tc.tokens}
				err := e.login(Credential{Tokens: src})
				if errors.Is(err, mailerr.ErrAuthFailed) != tc.wantAuth || (err != nil) != tc.wantAuth || src.logins != tc.wantLogins {
					t.Fatalf("err %v after %d logins; want auth failure %v after %d", err, src.logins, tc.wantAuth, tc.wantLogins)
				}
			})
		}
	}
}
