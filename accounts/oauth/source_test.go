package oauth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/postfach/postfach/accounts/mailerr"
	"github.com/postfach/postfach/accounts/secrets"
	"github.com/postfach/postfach/internal/testkit/oauthmock"
)

// clock is a settable Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// signedIn runs a sign-in against the mock and stores it in a fresh TokenSource.
func signedIn(t *testing.T, cfg oauthmock.Config) (*oauthmock.Server, *TokenSource, *memKeyring, *clock) {
	t.Helper()
	m, p, opts := mockProvider(t, cfg)
	tok, err := Authorize(context.Background(), p, m.Browser().Open, opts)
	if err != nil {
		t.Fatal(err)
	}
	kr := &memKeyring{}
	clk := &clock{t: time.Now()}
	src := NewTokenSource(p, "acct-1", kr, &Options{HTTPClient: opts.HTTPClient, Now: clk.now})
	if err := src.Store(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	if got, _ := kr.Get(context.Background(), KeyringKey("acct-1")); got != tok.RefreshToken {
		t.Fatalf("keyring holds %q, want the refresh token", got)
	}
	return m, src, kr, clk
}

func TestTokenSourceCachesAndRefreshes(t *testing.T) {
	for _, rotate := range []bool{false, true} {
		name := "keeps refresh token"
		if rotate {
			name = "rotates refresh token"
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			m, src, kr, clk := signedIn(t, oauthmock.Config{AccessTTL: time.Hour, RotateRefreshTokens: rotate})
			first, err := src.AccessToken(ctx)
			if err != nil {
				t.Fatal(err)
			}
			clk.advance(50 * time.Minute)
			if again, _ := src.AccessToken(ctx); again != first || m.TokenRequests("refresh_token") != 0 {
				t.Fatal("a fresh access token was not reused")
			}
			oldRT, _ := kr.Get(ctx, KeyringKey("acct-1"))
			clk.advance(9 * time.Minute) // within the margin of expiry
			second, err := src.AccessToken(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if second == first || m.TokenRequests("refresh_token") != 1 || !m.Active(second) {
				t.Fatalf("no refresh near expiry (requests %d)", m.TokenRequests("refresh_token"))
			}
			newRT, _ := kr.Get(ctx, KeyringKey("acct-1"))
			if rotate != (newRT != oldRT) || !m.RefreshTokenValid(newRT) {
				t.Errorf("keyring refresh token changed=%v, want %v; valid=%v", newRT != oldRT, rotate, m.RefreshTokenValid(newRT))
			}
		})
	}
}

func TestTokenSourceReauth(t *testing.T) {
	ctx := context.Background()
	t.Run("revoked", func(t *testing.T) {
		m, src, _, _ := signedIn(t, oauthmock.Config{})
		m.RevokeAll()
		_, err := src.Refresh(ctx)
		if !errors.Is(err, ErrReauthRequired) {
			t.Fatalf("err = %v, want ErrReauthRequired", err)
		}
		var ae *AuthError
		if !errors.As(err, &ae) || ae.Code != "invalid_grant" {
			t.Errorf("err = %v, want the invalid_grant AuthError", err)
		}
	})
	t.Run("nothing stored", func(t *testing.T) {
		_, src, kr, _ := signedIn(t, oauthmock.Config{})
		kr.Delete(ctx, KeyringKey("acct-1"))
		if _, err := src.Refresh(ctx); !errors.Is(err, ErrReauthRequired) {
			t.Fatalf("err = %v, want ErrReauthRequired", err)
		}
	})
	t.Run("damaged in the keyring", func(t *testing.T) {
		m, p, opts := mockProvider(t, oauthmock.Config{})
		tok, err := Authorize(ctx, p, m.Browser().Open, opts)
		if err != nil {
			t.Fatal(err)
		}
		src := NewTokenSource(p, "acct-1", &damagedKeyring{}, opts)
		_, err = src.Refresh(ctx)
		if !errors.Is(err, ErrReauthRequired) || !strings.Contains(err.Error(), "incomplete") || strings.Contains(err.Error(), tok.RefreshToken) {
			t.Fatalf("err = %v, want ErrReauthRequired for an incomplete token", err)
		}
	})
	t.Run("forgotten", func(t *testing.T) {
		_, src, kr, _ := signedIn(t, oauthmock.Config{})
		if err := src.Forget(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := kr.Get(ctx, KeyringKey("acct-1")); err == nil {
			t.Error("refresh token still in the keyring")
		}
		if _, err := src.AccessToken(ctx); !errors.Is(err, ErrReauthRequired) {
			t.Fatalf("err = %v, want ErrReauthRequired", err)
		}
	})
	t.Run("server error is temporary", func(t *testing.T) {
		m, src, _, _ := signedIn(t, oauthmock.Config{})
		m.FailNextToken("server_error")
		_, err := src.Refresh(ctx)
		if errors.Is(err, ErrReauthRequired) || !mailerr.IsTemporary(err) {
			t.Fatalf("err = %v, want a temporary error", err)
		}
		if _, err := src.Refresh(ctx); err != nil {
			t.Fatalf("retry: %v", err)
		}
	})
	t.Run("unreachable is temporary", func(t *testing.T) {
		p := Provider{Name: "down", ClientID: "x", AuthURL: "https://127.0.0.1:1/a", TokenURL: "https://127.0.0.1:1/t"}
		kr := &memKeyring{}
		kr.Set(ctx, KeyringKey("a"), "rt")
		_, err := NewTokenSource(p, "a", kr, &Options{Timeout: 2 * time.Second}).AccessToken(ctx)
		if errors.Is(err, ErrReauthRequired) || !mailerr.IsTemporary(err) {
			t.Fatalf("err = %v, want a temporary error", err)
		}
	})
}

// TestTokenSourceDo: the server stops accepting a token the client still thinks fresh
// (expired or revoked on its side); Do refreshes once and logs in again.
func TestTokenSourceDo(t *testing.T) {
	ctx := context.Background()
	m, src, _, _ := signedIn(t, oauthmock.Config{})
	var tried []string
	login := func(tok string) error {
		tried = append(tried, tok)
		if !m.Active(tok) {
			return mailerr.NewServerError("AUTH", "", "invalid token", mailerr.ErrAuthFailed)
		}
		return nil
	}
	if err := src.Do(ctx, login); err != nil || len(tried) != 1 {
		t.Fatalf("Do = %v after %d logins", err, len(tried))
	}
	m.ExpireAccessTokens()
	if err := src.Do(ctx, login); err != nil || len(tried) != 3 || tried[1] == tried[2] {
		t.Fatalf("Do after server-side expiry = %v, logins %d", err, len(tried))
	}
	m.RevokeAll()
	err := src.Do(ctx, login)
	if !errors.Is(err, ErrReauthRequired) || len(tried) != 4 {
		t.Fatalf("Do after revocation = %v, logins %d; want ErrReauthRequired after one try", err, len(tried))
	}
	other := errors.New("connection reset")
	if err := src.Do(ctx, func(string) error { return other }); !errors.Is(err, ErrReauthRequired) {
		// The cache was dropped by the failed refresh, so Do must refresh first.
		t.Fatalf("Do = %v", err)
	}
}

func TestRevoke(t *testing.T) {
	ctx := context.Background()
	m, p, opts := mockProvider(t, oauthmock.Config{})
	tok, err := Authorize(ctx, p, m.Browser().Open, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := Revoke(ctx, p, tok.RefreshToken, opts); err != nil {
		t.Fatal(err)
	}
	if m.RefreshTokenValid(tok.RefreshToken) || m.Active(tok.AccessToken) {
		t.Error("tokens still valid after Revoke")
	}
	if err := Revoke(ctx, Microsoft(TenantCommon), "x", nil); err != nil {
		t.Errorf("Microsoft has no revocation endpoint; Revoke = %v", err)
	}
}

func TestTokenStringRedacts(t *testing.T) {
	tok := Token{AccessToken: "AT-SECRET", RefreshToken: "RT-SECRET", Expiry: time.Unix(0, 0)}
	for _, s := range []string{tok.String(), tok.GoString()} {
		if strings.Contains(s, "SECRET") {
			t.Errorf("%s leaks a token", s)
		}
	}
}

// TestSystemKeyring: with no Keyring given, the refresh token goes through
// accounts/secrets (here over go-keyring's in-memory mock) under KeyringKey, and nowhere
// under the account ID itself, where a password account keeps its password.
func TestSystemKeyring(t *testing.T) {
	keyring.MockInit()
	ctx := context.Background()
	m, p, opts := mockProvider(t, oauthmock.Config{})
	tok, err := Authorize(ctx, p, m.Browser().Open, opts)
	if err != nil {
		t.Fatal(err)
	}
	src := NewTokenSource(p, "acct-sys", nil, opts)
	if err := src.Store(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if got, err := secrets.Get(ctx, KeyringKey("acct-sys")); err != nil || got != tok.RefreshToken {
		t.Fatalf("keyring entry = %q, %v", got, err)
	}
	if _, err := secrets.Get(ctx, "acct-sys"); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("the account's password entry was touched: %v", err)
	}
	if _, err := src.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if err := src.Forget(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := secrets.Get(ctx, KeyringKey("acct-sys")); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("after Forget: %v", err)
	}
}

// damagedKeyring holds a refresh token whose parts no longer fit together, as
// accounts/secrets reports it.
type damagedKeyring struct{ memKeyring }

func (*damagedKeyring) Get(context.Context, string) (string, error) {
	return "", fmt.Errorf("read password: %w: part 2 of 3 is missing (%w)", secrets.ErrDamaged, secrets.ErrNotFound)
}
