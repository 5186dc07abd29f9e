package connect

import (
	"context"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/imap"
	"github.com/postfach/postfach/accounts/pop3"
)

// Tokens hands out OAuth2 access tokens for one account; *oauth.TokenSource is the
// real one. Do gives login a fresh token and, when login fails with
// mailerr.ErrAuthFailed, refreshes it and calls login once more; a refresh token that
// no longer works is oauth.ErrReauthRequired.
type Tokens interface {
	Do(ctx context.Context, login func(accessToken string) error) error
}

// Credential is what an account logs in with: the password, or, when Tokens is set,
// OAuth2 access tokens (XOAUTH2 or OAUTHBEARER, whichever the server offers).
type Credential struct {
	Password string
	Tokens   Tokens
}

// Password is the credential of a password account.
func Password(pw string) Credential { return Credential{Password: pw} }

// POP3Login connects to a POP3 account's server and logs in with cred. With Tokens,
// each attempt is a new connection (a server may delay or drop a connection after a
// refused AUTH), and a refused token is refreshed and tried once more. The caller owns
// the client.
func POP3Login(ctx context.Context, a accounts.Account, cred Credential, opts *Options) (*pop3.Client, error) {
	if cred.Tokens == nil {
		return pop3Login(ctx, a, opts, func(c *pop3.Client) error { return c.Auth(ctx, a.Username, cred.Password) })
	}
	var c *pop3.Client
	err := cred.Tokens.Do(ctx, func(token string) error {
		var err error
		c, err = pop3Login(ctx, a, opts, func(c *pop3.Client) error {
			return c.AuthOAuth2(ctx, a.Username, token, a.Host, a.Port)
		})
		return err
	})
	return c, err
}

// QuotaLogin reads an IMAP account's quota (and, with folders, per-folder sizes),
// logging in with cred.
func QuotaLogin(ctx context.Context, a accounts.Account, cred Credential, folders bool, opts *Options) (*imap.Report, error) {
	var rep *imap.Report
	err := imapLogin(ctx, a, cred, func(auth imap.Auth) error {
		var err error
		rep, err = imap.FetchAuth(ctx, a.Addr(), auth, QuotaOptions(a, opts), folders)
		return err
	})
	return rep, err
}

// imapLogin runs session with the imap.Auth for cred: LOGIN with the password, or
// AUTHENTICATE with an access token, refreshed and retried once when refused.
func imapLogin(ctx context.Context, a accounts.Account, cred Credential, session func(imap.Auth) error) error {
	if cred.Tokens == nil {
		return session(imap.PasswordAuth(a.Username, cred.Password))
	}
	return cred.Tokens.Do(ctx, func(token string) error {
		return session(imap.OAuth2Auth(a.Username, token, a.Host, a.Port))
	})
}
