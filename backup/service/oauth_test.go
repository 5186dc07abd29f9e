package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/connect"
	"github.com/postfach/postfach/accounts/oauth"
	"github.com/postfach/postfach/accounts/secrets"
	"github.com/postfach/postfach/backup"
	"github.com/postfach/postfach/internal/testkit/dovecottest"
	"github.com/postfach/postfach/internal/testkit/oauthmock"
)

// oauthService returns a service whose OAuth2 talks go to mock and whose mail
// connections trust srv (nil: the system roots).
func oauthService(t *testing.T, mock *oauthmock.Server, srv *dovecottest.Server) *Service {
	t.Helper()
	keyring.MockInit()
	conn := &connect.Options{Timeout: 20 * time.Second}
	if srv != nil {
		conn.Roots = srv.CertPool
	}
	return New(accounts.OpenStore(t.TempDir()), &Options{Conn: conn, OAuth: &oauth.Options{HTTPClient: mock.HTTPClient()}})
}

// oauthAccount is an account that signs in at mock.
func oauthAccount(mock *oauthmock.Server, name string, p accounts.Protocol, port int) accounts.Account {
	return accounts.Account{Name: name, Email: "alice@example.test", Protocol: p, Host: "127.0.0.1", Port: port,
		Username: "alice", Auth: accounts.AuthOAuth2, OAuthProvider: mock.URL, OAuthClientID: mock.ClientID()}
}

// TestAddOAuth2 checks adding an OAuth2 account: the sign-in goes through the browser,
// the refresh token lands in the keyring (under its own key, not the password's), a
// refused config takes it out again, and removing the account revokes it at the
// provider and deletes it.
func TestAddOAuth2(t *testing.T) {
	mock := oauthmock.Start(t, oauthmock.Config{})
	s := oauthService(t, mock, nil)
	ctx := context.Background()
	a := oauthAccount(mock, "Cloud", accounts.IMAP, 993)
	tok, err := s.SignIn(ctx, a, mock.Browser().Open)
	if err != nil {
		t.Fatal(err)
	}
	added, err := s.AddOAuth2(ctx, a, tok)
	if err != nil {
		t.Fatal(err)
	}
	if rt, err := secrets.Get(ctx, oauth.KeyringKey(added.ID)); err != nil || rt != tok.RefreshToken {
		t.Fatalf("refresh token not in the keyring: %v", err)
	}
	if _, err := secrets.Get(ctx, added.ID); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("an OAuth2 account got a password entry: %v", err)
	}

	// A duplicate name: the config refuses, the token goes again.
	dupID := accounts.NewID()
	s.newID = func() string { return dupID }
	if _, err := s.AddOAuth2(ctx, a, tok); !errors.Is(err, accounts.ErrDuplicate) {
		t.Fatalf("duplicate: %v", err)
	}
	if _, err := secrets.Get(ctx, oauth.KeyringKey(dupID)); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("the refused account's token stayed in the keyring: %v", err)
	}
	s.newID = accounts.NewID

	r, err := s.Remove(ctx, added.ID, RemoveOptions{})
	if err != nil || r.RevokeErr != nil || r.PasswordErr != nil {
		t.Fatalf("remove: %+v %v", r, err)
	}
	if mock.RefreshTokenValid(tok.RefreshToken) {
		t.Error("removing the account did not revoke its sign-in at the provider")
	}
	if _, err := secrets.Get(ctx, oauth.KeyringKey(added.ID)); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("removing the account left its token: %v", err)
	}
}

// TestOAuth2NotConfigured checks that a provider without a client ID in this build says
// so before any browser opens, with its own kind for both faces.
func TestOAuth2NotConfigured(t *testing.T) {
	if oauth.GoogleClientID != "" {
		t.Skip("this build has a Google client ID")
	}
	s := newService(t)
	a := accounts.Account{Name: "Gmail", Email: "anna@gmail.com", Protocol: accounts.IMAP, Host: "imap.gmail.com",
		Auth: accounts.AuthOAuth2, OAuthProvider: oauth.NameGoogle}
	opened := false
	_, err := s.SignIn(context.Background(), a, func(context.Context, string) error { opened = true; return nil })
	if !errors.Is(err, oauth.ErrNotConfigured) || backup.KindOf(err) != backup.KindOAuthUnavailable || opened {
		t.Fatalf("sign-in without client ID: %v (kind %q, browser opened %v)", err, backup.KindOf(err), opened)
	}
}

// TestOAuth2Dovecot runs OAuth2 accounts end to end against Dovecot's oauth2 passdb,
// which asks the mock authorization server about every token: an IMAP and a POP3
// account are added with a sign-in, tested, quota-read and backed up; after the server
// expired every access token, the next runs refresh once and go on; after the provider
// revoked everything, the backup fails with kind reauth-required, and so says the
// history.
func TestOAuth2Dovecot(t *testing.T) {
	mock := oauthmock.Start(t, oauthmock.Config{})
	srv := dovecottest.StartOAuth2(t, dovecottest.OAuth2{IntrospectionURL: mock.IntrospectionURL(), CACertPEM: mock.CertPEM()})
	user := srv.AddUser(t, "alice", "not-used-by-this-test", 50)
	user.Deliver(t, message(1), message(2))
	s := oauthService(t, mock, srv)
	ctx := context.Background()

	add := func(a accounts.Account) accounts.Account {
		t.Helper()
		tok, err := s.SignIn(ctx, a, mock.Browser().Open)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.TestToken(ctx, a, tok); err != nil {
			t.Fatalf("test %s: %v", a.Protocol, err)
		}
		added, err := s.AddOAuth2(ctx, a, tok)
		if err != nil {
			t.Fatal(err)
		}
		return added
	}
	im := add(oauthAccount(mock, "Cloud IMAP", accounts.IMAP, srv.IMAPSPort))
	pa := oauthAccount(mock, "Cloud POP3", accounts.POP3, srv.POP3SPort)
	pa.Backup = &accounts.BackupPolicy{Dir: t.TempDir(), Schedule: accounts.DefaultSchedule(), Retention: accounts.Retention{Mode: accounts.KeepForever}}
	pop := add(pa)

	quota := func() error {
		rep, err := s.Quota(ctx, im.ID, false)
		if err == nil && !rep.Supported {
			err = errors.New("no quota reported")
		}
		return err
	}
	run := func(wantNew int) {
		t.Helper()
		res, err := s.Backup(ctx, pop.ID, nil)
		if err != nil || res.New != wantNew {
			t.Fatalf("backup: %+v %v", res, err)
		}
	}
	if err := quota(); err != nil {
		t.Fatal(err)
	}
	run(2)
	if _, err := s.Test(ctx, pop, ""); err != nil {
		t.Fatalf("test of the saved POP3 account: %v", err)
	}

	// Expired on the server's side while our copy still looks fresh: one refresh each.
	mock.ExpireAccessTokens()
	user.Deliver(t, message(3))
	before := mock.TokenRequests("refresh_token")
	if err := quota(); err != nil {
		t.Fatalf("quota across an expiry: %v", err)
	}
	run(1)
	if n := mock.TokenRequests("refresh_token") - before; n != 2 {
		t.Errorf("%d refreshes across the expiry, want 2 (one per account)", n)
	}

	// Revoked: "sign in again", in the result, the history and the quota.
	mock.RevokeAll()
	res, err := s.Backup(ctx, pop.ID, nil)
	if !errors.Is(err, oauth.ErrReauthRequired) || res == nil || res.Kind != backup.KindReauth {
		t.Fatalf("backup after revocation: %+v %v", res, err)
	}
	hist, err := s.History(pop.ID)
	if err != nil || len(hist) == 0 || hist[len(hist)-1].Kind != backup.KindReauth {
		t.Fatalf("history after revocation: %+v %v", hist, err)
	}
	if err := quota(); backup.KindOf(err) != backup.KindReauth {
		t.Errorf("quota after revocation: %v (kind %q)", err, backup.KindOf(err))
	}

	// Signing in again repairs the account.
	tok, err := s.SignIn(ctx, pop, mock.Browser().Open)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Reauthorize(ctx, pop.ID, tok); err != nil {
		t.Fatal(err)
	}
	run(0)
}

// message returns a small distinct RFC 5322 message.
func message(n int) []byte {
	return fmt.Appendf(nil, "From: bob@example.test\r\nTo: alice@example.test\r\nSubject: %d\r\nMessage-ID: <%d@example.test>\r\n\r\nBody %d\r\n", n, n, n)
}

// TestOAuth2ConfigOverride checks that the config file's oauth_providers reach every
// use of a provider: with "microsoft" pointed at the mock's issuer and client ID, an
// Outlook.com account signs in there, is added, and its token source hands out the mock's tokens;
// a changed override is used without a restart; an invalid one is refused with the
// file's name.
func TestOAuth2ConfigOverride(t *testing.T) {
	mock := oauthmock.Start(t, oauthmock.Config{})
	s := oauthService(t, mock, nil)
	ctx := context.Background()
	write := func(providers string) {
		t.Helper()
		if err := os.WriteFile(s.store.Path(), []byte(`{"version":2,"accounts":[],"oauth_providers":`+providers+`}`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(s.store.Dir(), 0o700); err != nil {
		t.Fatal(err)
	}
	write(fmt.Sprintf(`{"microsoft":{"issuer":%q,"client_id":%q}}`, mock.URL, mock.ClientID()))
	a := accounts.Account{Name: "Outlook", Email: "anna@outlook.com", Protocol: accounts.IMAP, Host: "outlook.office365.com",
		Port: 993, Username: "anna@outlook.com", Auth: accounts.AuthOAuth2, OAuthProvider: oauth.NameMicrosoft}
	p, err := s.Provider(ctx, a.Connection())
	if err != nil || p.TokenURL != mock.URL+"/token" || p.DisplayName != "Microsoft" {
		t.Fatalf("provider = %+v, %v", p, err)
	}
	tok, err := s.SignIn(ctx, a, mock.Browser().Open)
	if err != nil {
		t.Fatal(err)
	}
	added, err := s.AddOAuth2(ctx, a, tok)
	if err != nil {
		t.Fatal(err)
	}
	src, err := s.tokens(ctx, added)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Do(ctx, func(tok string) error {
		if !mock.Active(tok) {
			return errors.New("the access token is not the mock's")
		}
		return nil
	}); err != nil {
		t.Fatalf("token use: %v", err)
	}

	// Another client ID in the file: a new token source, so the next sign-in uses it.
	if err := s.store.Update(added, false); err != nil { // rewrites the file: keeps the overrides
		t.Fatal(err)
	}
	c, err := s.store.Load()
	if err != nil || c.OAuthProviders[oauth.NameMicrosoft].Issuer != mock.URL {
		t.Fatalf("overrides after a rewrite: %+v, %v", c, err)
	}
	data, err := os.ReadFile(s.store.Path())
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(data), mock.ClientID(), "other-client", 1)
	if err := os.WriteFile(s.store.Path(), []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	src2, err := s.tokens(ctx, added)
	if err != nil || src2 == src {
		t.Fatalf("changed override: same source %v, %v", src2 == src, err)
	}
	if p, err := s.Provider(ctx, a.Connection()); err != nil || p.ClientID != "other-client" {
		t.Errorf("changed override: %+v, %v", p, err)
	}

	write(`{"microsoft":{"auth_url":"http://127.0.0.1/authorize","token_url":"https://127.0.0.1/token"}}`)
	if _, err := s.Provider(ctx, a.Connection()); !errors.Is(err, accounts.ErrCorruptConfig) || !strings.Contains(err.Error(), "config.json") {
		t.Errorf("invalid override: %v", err)
	}
}
