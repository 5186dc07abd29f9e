package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/postfach/postfach/accounts/mailerr"
)

// Token is what a sign-in or a refresh yields. Only RefreshToken is stored (in the
// keyring, by TokenSource); the access token lives in memory until it expires.
type Token struct {
	AccessToken  string
	RefreshToken string
	// Expiry is when the access token stops working; zero means the provider did not say.
	Expiry time.Time
}

// String hides the secrets, so a Token printed by mistake leaks nothing.
func (t Token) String() string {
	return fmt.Sprintf("oauth.Token{AccessToken: %s, RefreshToken: %s, Expiry: %s}",
		redact(t.AccessToken), redact(t.RefreshToken), t.Expiry.Format(time.RFC3339))
}

// GoString is String, for %#v.
func (t Token) GoString() string { return t.String() }

func redact(s string) string {
	if s == "" {
		return `""`
	}
	return "(redacted)"
}

// config is the x/oauth2 view of the provider for one redirect URI.
func (p Provider) config(redirectURL string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     p.ClientID,
		ClientSecret: p.ClientSecret,
		Endpoint: oauth2.Endpoint{
			AuthURL:  p.AuthURL,
			TokenURL: p.TokenURL,
			// A public client sends client_id in the body; probing with HTTP Basic first
			// (AutoDetect) would cost a round trip and an error in the provider's logs.
			AuthStyle: oauth2.AuthStyleInParams,
		},
		RedirectURL: redirectURL,
		Scopes:      p.Scopes,
	}
}

// exchange trades the code for tokens (RFC 6749 section 4.1.3) with the PKCE verifier
// (RFC 7636 section 4.5). A sign-in without a refresh token is an error: scheduled
// backups would stop within the hour.
func exchange(ctx context.Context, p Provider, r resolved, redirectURL, code, verifier string) (*Token, error) {
	ctx, cancel := r.requestContext(ctx)
	defer cancel()
	ctx = context.WithValue(ctx, oauth2.HTTPClient, r.client)
	t, err := p.config(redirectURL).Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, wrapf(p, "token", classify(ctx, err))
	}
	if t.RefreshToken == "" {
		return nil, wrapf(p, "token", errors.New("the provider returned no refresh token (offline access not granted)"))
	}
	return fromOAuth2(t), nil
}

// refresh gets a new access token (RFC 6749 section 6). The provider may also rotate the
// refresh token (Microsoft does); the returned Token then carries the new one, else the
// old one.
func refresh(ctx context.Context, p Provider, r resolved, refreshToken string) (*Token, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	ctx, cancel := r.requestContext(ctx)
	defer cancel()
	ctx = context.WithValue(ctx, oauth2.HTTPClient, r.client)
	// x/oauth2 refreshes because the token has no access token; it keeps the old refresh
	// token when the answer has none.
	t, err := p.config("").TokenSource(ctx, &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return nil, wrapf(p, "refresh", classify(ctx, err))
	}
	return fromOAuth2(t), nil
}

func fromOAuth2(t *oauth2.Token) *Token {
	return &Token{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, Expiry: t.Expiry}
}

// classify turns an x/oauth2 or network error into the package's vocabulary, without the
// response body (it is the provider's text, not ours to show unfiltered).
func classify(ctx context.Context, err error) error {
	var re *oauth2.RetrieveError
	switch {
	case errors.As(err, &re) && re.ErrorCode != "":
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		return tokenError(re.ErrorCode, re.ErrorDescription, status)
	case errors.As(err, &re) && re.Response != nil && re.Response.StatusCode >= 500:
		return fmt.Errorf("%w: token endpoint answered %s", mailerr.ErrTemporary, re.Response.Status)
	case errors.As(err, &re) && re.Response != nil:
		return fmt.Errorf("%w: token endpoint answered %s", mailerr.ErrProtocol, re.Response.Status)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("%w: %w", mailerr.ErrTimeout, ctx.Err())
	}
	return mailerr.Classify(err)
}

// Revoke asks the provider to invalidate token (RFC 7009), used when an account is
// removed. Providers without a revocation endpoint (Microsoft) return nil: the user
// removes the app's access in the account settings; the caller deletes the keyring entry
// either way.
func Revoke(ctx context.Context, p Provider, token string, opts *Options) error {
	if p.RevocationURL == "" {
		return nil
	}
	if err := p.check(); err != nil {
		return err
	}
	r := resolve(opts)
	ctx, cancel := r.requestContext(ctx)
	defer cancel()
	form := url.Values{"token": {token}, "token_type_hint": {"refresh_token"}, "client_id": {p.ClientID}}
	if p.ClientSecret != "" {
		form.Set("client_secret", p.ClientSecret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.RevocationURL, strings.NewReader(form.Encode()))
	if err != nil {
		return wrapf(p, "revoke", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := r.client.Do(req)
	if err != nil {
		return wrapf(p, "revoke", classify(ctx, err))
	}
	resp.Body.Close()
	// RFC 7009 section 2.2: 200 also for a token that was already invalid.
	switch {
	case resp.StatusCode >= 500:
		return wrapf(p, "revoke", fmt.Errorf("%w: revocation endpoint answered %s", mailerr.ErrTemporary, resp.Status))
	case resp.StatusCode != http.StatusOK:
		return wrapf(p, "revoke", fmt.Errorf("revocation endpoint answered %s", resp.Status))
	}
	return nil
}
