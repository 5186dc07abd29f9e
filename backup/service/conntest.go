package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/connect"
	"github.com/postfach/postfach/accounts/imap"
	"github.com/postfach/postfach/accounts/oauth"
)

// Test connects with a's connection settings, logs in and out, and saves nothing. An
// empty password means the one stored for a.ID (a saved account, or one being edited).
// Only the connection settings are checked: an account still being set up may have no
// name or backup folder yet. For IMAP the report includes the quota when the server
// reports one.
func (s *Service) Test(ctx context.Context, a accounts.Account, password string) (*connect.Report, error) {
	a.Normalize()
	if err := a.Connection().Validate(); err != nil {
		return nil, err
	}
	if password != "" {
		return connect.Test(ctx, a, password, &s.conn)
	}
	cred, err := s.credential(ctx, a)
	if err != nil {
		return nil, fmt.Errorf("test %s: %w", a.Addr(), err)
	}
	return connect.TestLogin(ctx, a, cred, &s.conn)
}

// TestToken is Test for an OAuth2 account being added: it logs in with the access
// token of a sign-in that is not stored yet.
func (s *Service) TestToken(ctx context.Context, a accounts.Account, tok *oauth.Token) (*connect.Report, error) {
	a.Normalize()
	if err := a.Connection().Validate(); err != nil {
		return nil, err
	}
	if tok == nil || tok.AccessToken == "" {
		return nil, errors.New("test: no access token: sign in first")
	}
	return connect.TestLogin(ctx, a, connect.Credential{Tokens: staticToken(tok.AccessToken)}, &s.conn)
}

// staticToken is a token source with one access token and nothing to refresh it with.
type staticToken string

// Do runs login once with the token.
func (t staticToken) Do(_ context.Context, login func(string) error) error { return login(string(t)) }

// Quota reads a saved IMAP account's quota; with folders, also the size of each folder
// (slower: one request per folder). Each reading is kept for the forecast (QuotaForecast).
func (s *Service) Quota(ctx context.Context, id string, folders bool) (*imap.Report, error) {
	a, err := s.store.Get(id)
	if err != nil {
		return nil, err
	}
	cred, err := s.credential(ctx, a)
	if err != nil {
		return nil, err
	}
	rep, err := connect.QuotaLogin(ctx, a, cred, folders, &s.conn)
	if err != nil {
		return nil, err
	}
	if used, limit, ok := rep.Storage(); ok {
		// The readings only feed the forecast (forecast.go): a state folder that cannot
		// be written must not turn a good quota reading into a failure.
		_ = s.recordQuota(a.ID, QuotaReading{At: time.Now().UTC(), Used: used, Limit: limit})
	}
	return rep, nil
}
