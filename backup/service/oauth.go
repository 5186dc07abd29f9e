package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/connect"
	"github.com/postfach/postfach/accounts/oauth"
	"github.com/postfach/postfach/accounts/secrets"
)

// Provider returns the OAuth2 provider of an account's connection settings: the
// built-in Microsoft or Google entry, or the discovery document of an issuer URL,
// changed by the config file's oauth_providers (another issuer or endpoints, scopes, a
// client ID; docs/oauth.md), with the account's own client ID when it has one. A
// provider without a client ID fails with oauth.ErrNotConfigured, so a face can say
// "not available in this build" before a browser opens.
func (s *Service) Provider(ctx context.Context, c accounts.Connection) (oauth.Provider, error) {
	cfg, err := s.store.Load()
	if err != nil {
		return oauth.Provider{}, err
	}
	p, err := oauth.Lookup(ctx, c.OAuthProvider, s.oauthOptions(cfg))
	if err != nil {
		return oauth.Provider{}, err
	}
	if c.OAuthClientID != "" {
		p.ClientID = c.OAuthClientID
	}
	if !p.Configured() {
		return p, fmt.Errorf("oauth %s: %w", p.Name, oauth.ErrNotConfigured)
	}
	return p, nil
}

// oauthOptions are the service's OAuth2 options with the config file's provider
// overrides.
func (s *Service) oauthOptions(cfg *accounts.Config) *oauth.Options {
	var o oauth.Options
	if s.oauth != nil {
		o = *s.oauth
	}
	o.Overrides = cfg.OAuthProviders
	return &o
}

// SignIn runs the OAuth2 sign-in for an account being added or signed in again: browser
// shows the provider's page (the GUI opens the system browser, the CLI prints the URL
// too), the answer comes back to a loopback redirect, and the code is exchanged for
// tokens. Nothing is stored; AddOAuth2 or Reauthorize store the token.
func (s *Service) SignIn(ctx context.Context, a accounts.Account, browser oauth.Browser) (*oauth.Token, error) {
	a.Normalize()
	if !a.Connection().OAuth2() {
		return nil, errors.New("sign in: the account does not use OAuth2")
	}
	p, err := s.Provider(ctx, a.Connection())
	if err != nil {
		return nil, err
	}
	o := oauth.Options{LoginHint: a.Email}
	if s.oauth != nil {
		o.HTTPClient, o.Timeout = s.oauth.HTTPClient, s.oauth.Timeout
	}
	return oauth.Authorize(ctx, p, browser, &o)
}

// AddOAuth2 stores a new OAuth2 account with the token of its sign-in and returns the
// account as stored. It follows Add's rollback rule: the refresh token goes into the
// keyring first, then the account into the config; if the config refuses it, the token
// is deleted again.
func (s *Service) AddOAuth2(ctx context.Context, a accounts.Account, tok *oauth.Token) (accounts.Account, error) {
	a.ID = s.newID()
	a.Normalize()
	if err := a.Validate(); err != nil {
		return accounts.Account{}, err
	}
	if !a.Connection().OAuth2() {
		return accounts.Account{}, errors.New("add account: the account does not use OAuth2")
	}
	src, err := s.tokens(ctx, a)
	if err != nil {
		return accounts.Account{}, fmt.Errorf("add account %q: %w", a.Name, err)
	}
	if err := src.Store(ctx, tok); err != nil {
		return accounts.Account{}, fmt.Errorf("add account %q: %w", a.Name, err)
	}
	saved, err := s.store.Add(a)
	if err != nil {
		if derr := src.Forget(ctx); derr != nil {
			err = errors.Join(err, fmt.Errorf("delete the sign-in again: %w", derr))
		}
		s.dropTokens(a.ID)
		return accounts.Account{}, err
	}
	return saved, nil
}

// Reauthorize stores the token of a new sign-in for a saved OAuth2 account, after the
// old one was revoked or expired (kind reauth-required).
func (s *Service) Reauthorize(ctx context.Context, id string, tok *oauth.Token) error {
	a, err := s.store.Get(id)
	if err != nil {
		return err
	}
	src, err := s.tokens(ctx, a)
	if err != nil {
		return fmt.Errorf("sign in %q again: %w", a.Name, err)
	}
	if err := src.Store(ctx, tok); err != nil {
		return fmt.Errorf("sign in %q again: %w", a.Name, err)
	}
	return nil
}

// credential returns what a saved account logs in with: its password from the keyring,
// or its token source.
func (s *Service) credential(ctx context.Context, a accounts.Account) (connect.Credential, error) {
	if a.Connection().OAuth2() {
		src, err := s.tokens(ctx, a)
		if err != nil {
			return connect.Credential{}, fmt.Errorf("account %q: %w", a.Name, err)
		}
		return connect.Credential{Tokens: src}, nil
	}
	pw, err := secrets.Get(ctx, a.ID)
	if err != nil {
		return connect.Credential{}, fmt.Errorf("account %q: %w", a.Name, err)
	}
	return connect.Password(pw), nil
}

// tokenKey is what a cached token source depends on: another provider, client ID or
// override in the config file needs another source.
type tokenKey struct{ id, provider, clientID, overrides string }

// tokens returns the account's token source. Sources are kept for the service's
// lifetime, so an access token serves every session until shortly before it expires
// and an issuer's discovery document is read once.
func (s *Service) tokens(ctx context.Context, a accounts.Account) (*oauth.TokenSource, error) {
	cfg, err := s.store.Load()
	if err != nil {
		return nil, err
	}
	overrides, err := json.Marshal(cfg.OAuthProviders) // map keys sorted: a stable key
	if err != nil {
		return nil, fmt.Errorf("encode oauth_providers: %w", err)
	}
	key := tokenKey{a.ID, a.OAuthProvider, a.OAuthClientID, string(overrides)}
	s.mu.Lock()
	src := s.sources[key]
	s.mu.Unlock()
	if src != nil {
		return src, nil
	}
	p, err := s.Provider(ctx, a.Connection())
	if err != nil {
		return nil, err
	}
	src = oauth.NewTokenSource(p, a.ID, nil, s.oauth)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.sources[key]; old != nil {
		return old, nil
	}
	for k := range s.sources {
		if k.id == a.ID { // settings changed: the old source is not used again
			delete(s.sources, k)
		}
	}
	s.sources[key] = src
	return src, nil
}

// dropTokens forgets the cached token sources of an account (removed, or not added).
func (s *Service) dropTokens(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.sources {
		if k.id == id {
			delete(s.sources, k)
		}
	}
}
