package oauth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/postfach/postfach/accounts/mailerr"
	"github.com/postfach/postfach/accounts/secrets"
)

// Keyring holds the refresh tokens. [SystemKeyring] is the OS keyring through
// accounts/secrets; tests pass an in-memory one. Get must return an error matching
// secrets.ErrNotFound when nothing is stored.
type Keyring interface {
	Get(ctx context.Context, key string) (string, error)
	Set(ctx context.Context, key, value string) error
	Delete(ctx context.Context, key string) error
}

// SystemKeyring is the OS keyring, with the timeouts and errors of accounts/secrets.
type SystemKeyring struct{}

// Get reads a keyring entry.
func (SystemKeyring) Get(ctx context.Context, key string) (string, error) {
	return secrets.Get(ctx, key)
}

// Set writes a keyring entry.
func (SystemKeyring) Set(ctx context.Context, key, value string) error {
	return secrets.Set(ctx, key, value)
}

// Delete removes a keyring entry; a missing one is not an error.
func (SystemKeyring) Delete(ctx context.Context, key string) error { return secrets.Delete(ctx, key) }

// KeyringKey is the keyring entry (user part, under secrets.Service) that holds the
// refresh token of an account. It is not the account ID itself, which holds the
// password of password accounts, so switching an account between password and OAuth2
// never reads one as the other.
func KeyringKey(accountID string) string { return accountID + "/oauth2-refresh-token" }

// refreshMargin is how long before its expiry an access token is replaced: a session
// that starts with it must not see it expire during login.
const refreshMargin = 2 * time.Minute

// TokenSource hands out access tokens for one account: from memory while they are
// fresh, else by refreshing with the refresh token from the keyring. A rotated refresh
// token is written back to the keyring before the new access token is used. It is safe
// for concurrent use; refreshes are serialised.
type TokenSource struct {
	p         Provider
	accountID string
	kr        Keyring
	r         resolved

	mu     sync.Mutex
	access string // in memory only
	expiry time.Time
}

// NewTokenSource returns the token source of an account. A nil kr means SystemKeyring.
func NewTokenSource(p Provider, accountID string, kr Keyring, opts *Options) *TokenSource {
	if kr == nil {
		kr = SystemKeyring{}
	}
	return &TokenSource{p: p, accountID: accountID, kr: kr, r: resolve(opts)}
}

// Store keeps a freshly signed-in token: the refresh token in the keyring, the access
// token in memory.
func (s *TokenSource) Store(ctx context.Context, t *Token) error {
	if t == nil || t.RefreshToken == "" {
		return fmt.Errorf("oauth %s: store: no refresh token", s.p.Name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.kr.Set(ctx, KeyringKey(s.accountID), t.RefreshToken); err != nil {
		return fmt.Errorf("oauth %s: store: %w", s.p.Name, err)
	}
	s.access, s.expiry = t.AccessToken, t.Expiry
	return nil
}

// AccessToken returns an access token that is valid for at least two more minutes,
// refreshing it when needed. Errors: ErrReauthRequired (no refresh token stored, or the
// provider refused it), ErrNotConfigured, secrets.ErrUnavailable, or a network error of
// the mailerr vocabulary (retry later).
func (s *TokenSource) AccessToken(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.access != "" && (s.expiry.IsZero() || s.r.now().Add(refreshMargin).Before(s.expiry)) {
		return s.access, nil
	}
	return s.refreshLocked(ctx)
}

// Refresh drops the cached access token and gets a new one, e.g. after the server
// refused the cached one.
func (s *TokenSource) Refresh(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshLocked(ctx)
}

func (s *TokenSource) refreshLocked(ctx context.Context) (string, error) {
	s.access, s.expiry = "", time.Time{}
	rt, err := s.kr.Get(ctx, KeyringKey(s.accountID))
	if errors.Is(err, secrets.ErrNotFound) {
		why := "no refresh token stored"
		if errors.Is(err, secrets.ErrDamaged) {
			why = "the stored refresh token is incomplete"
		}
		return "", fmt.Errorf("oauth %s: %w: %s", s.p.Name, ErrReauthRequired, why)
	}
	if err != nil {
		return "", fmt.Errorf("oauth %s: %w", s.p.Name, err)
	}
	t, err := refresh(ctx, s.p, s.r, rt)
	if err != nil {
		return "", err
	}
	if t.RefreshToken != rt {
		// The provider rotated the refresh token; the old one may be dead already, so
		// losing the new one would mean signing in again.
		if err := s.kr.Set(ctx, KeyringKey(s.accountID), t.RefreshToken); err != nil {
			return "", fmt.Errorf("oauth %s: save rotated refresh token: %w", s.p.Name, err)
		}
	}
	s.access, s.expiry = t.AccessToken, t.Expiry
	return s.access, nil
}

// Forget deletes the account's refresh token from the keyring and the access token from
// memory (account removed, or the user signs out). Revoke it at the provider first if
// wanted.
func (s *TokenSource) Forget(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.access, s.expiry = "", time.Time{}
	if err := s.kr.Delete(ctx, KeyringKey(s.accountID)); err != nil {
		return fmt.Errorf("oauth %s: forget: %w", s.p.Name, err)
	}
	return nil
}

// Do runs login with an access token. If the server refuses it (an error matching
// mailerr.ErrAuthFailed), the token is refreshed and login runs once more: a token can
// be revoked or expire early on the server's side without the client knowing. A second
// refusal is returned as it is; a refusal to refresh is ErrReauthRequired.
func (s *TokenSource) Do(ctx context.Context, login func(accessToken string) error) error {
	tok, err := s.AccessToken(ctx)
	if err != nil {
		return err
	}
	err = login(tok)
	if !errors.Is(err, mailerr.ErrAuthFailed) {
		return err
	}
	tok, rerr := s.Refresh(ctx)
	if rerr != nil {
		return rerr
	}
	return login(tok)
}
