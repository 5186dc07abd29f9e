package oauth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Override changes a provider from the config file (config.json's "oauth_providers",
// docs/oauth.md): the public client ID a distributor or an organisation registered,
// other scopes, or another authorization server for a built-in provider — an issuer
// whose discovery document names the endpoints, or the endpoints themselves (a national
// cloud, an organisation's own tenant). Empty fields keep the built-in value, except
// that a new ClientID always comes with its own ClientSecret (empty for none): the
// built-in secret belongs to the built-in client ID.
type Override struct {
	Issuer        string   `json:"issuer,omitempty"`
	AuthURL       string   `json:"auth_url,omitempty"`
	TokenURL      string   `json:"token_url,omitempty"`
	RevocationURL string   `json:"revoke_url,omitempty"`
	Scopes        []string `json:"scopes,omitempty"`
	ClientID      string   `json:"client_id,omitempty"`
	ClientSecret  string   `json:"client_secret,omitempty"`
}

// builtinNames are the provider names an override may change besides issuer URLs.
var builtinNames = []string{NameMicrosoft, NameMicrosoftConsumers, NameMicrosoftOrganizations, NameGoogle}

// CheckOverride reports why o cannot override the provider called name: an unknown
// name, an empty override, endpoints that are not https, an issuer together with
// endpoints, an authorization endpoint without a token endpoint (or the reverse), an
// issuer URL's endpoints (its discovery document names them), or a scope, client ID or
// secret with spaces or control characters.
func CheckOverride(name string, o Override) error {
	issuerName := strings.HasPrefix(name, "https://")
	if !issuerName && !slices.Contains(builtinNames, name) {
		return fmt.Errorf("unknown provider %q (want %s or an https issuer URL)", name, strings.Join(builtinNames, ", "))
	}
	var errs []error
	if issuerName {
		if err := checkHTTPS(name); err != nil {
			errs = append(errs, err)
		}
		if o.Issuer != "" || o.AuthURL != "" || o.TokenURL != "" || o.RevocationURL != "" {
			errs = append(errs, errors.New("an issuer's endpoints come from its discovery document: give only client_id, client_secret or scopes"))
		}
	}
	endpoints := o.AuthURL != "" || o.TokenURL != "" || o.RevocationURL != ""
	switch {
	case o.Issuer != "" && endpoints:
		errs = append(errs, errors.New("give either issuer or auth_url and token_url, not both"))
	case endpoints && (o.AuthURL == "" || o.TokenURL == ""):
		errs = append(errs, errors.New("auth_url and token_url go together"))
	}
	for _, u := range []string{o.Issuer, o.AuthURL, o.TokenURL, o.RevocationURL} {
		if u == "" {
			continue
		}
		if err := checkHTTPS(u); err != nil {
			errs = append(errs, err)
		}
	}
	for _, s := range o.Scopes {
		if !scopeToken(s) {
			errs = append(errs, fmt.Errorf("scope %q is not a scope token (RFC 6749 section 3.3)", s))
		}
	}
	if strings.ContainsFunc(o.ClientID+o.ClientSecret, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		errs = append(errs, errors.New("client_id or client_secret contains a space or control character"))
	}
	if len(errs) == 0 && !endpoints && o.Issuer == "" && len(o.Scopes) == 0 && o.ClientID == "" && o.ClientSecret == "" {
		errs = append(errs, errors.New("the override changes nothing"))
	}
	if o.ClientSecret != "" && o.ClientID == "" {
		errs = append(errs, errors.New("client_secret needs the client_id it belongs to"))
	}
	return errors.Join(errs...)
}

// scopeToken reports whether s is an RFC 6749 scope-token: %x21 / %x23-5B / %x5D-7E.
func scopeToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < 0x21 || r > 0x7e || r == '"' || r == '\\' {
			return false
		}
	}
	return true
}

// applyOverride returns p changed by o (checked with CheckOverride); an issuer is asked
// for its discovery document.
func applyOverride(ctx context.Context, p Provider, o Override, opts *Options) (Provider, error) {
	if err := CheckOverride(p.Name, o); err != nil {
		return Provider{}, fmt.Errorf("oauth %s: config file override: %w", p.Name, err)
	}
	switch {
	case o.Issuer != "":
		d, err := DiscoverIssuer(ctx, o.Issuer, opts)
		if err != nil {
			return Provider{}, err
		}
		p.Issuer, p.RequireIssuer = d.Issuer, d.RequireIssuer
		p.AuthURL, p.TokenURL, p.RevocationURL = d.AuthURL, d.TokenURL, d.RevocationURL
	case o.AuthURL != "":
		// Endpoints without an issuer: nothing to compare an iss parameter with.
		p.Issuer, p.RequireIssuer = "", false
		p.AuthURL, p.TokenURL, p.RevocationURL = o.AuthURL, o.TokenURL, o.RevocationURL
	}
	if len(o.Scopes) > 0 {
		p.Scopes = clone(o.Scopes)
	}
	if o.ClientID != "" {
		p.ClientID, p.ClientSecret = o.ClientID, o.ClientSecret
	}
	return p, nil
}
