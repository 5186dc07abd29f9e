package oauth

import (
	"context"
	"fmt"
	"net/url"
	"strings"
)

// Provider is one authorization server and how Postfach signs in there. The values
// returned by [Microsoft], [Google] and [DiscoverIssuer] are ready to use once ClientID is
// set; callers override ClientID (and ClientSecret) from the config file.
type Provider struct {
	// Name identifies the provider in the account config: "microsoft",
	// "microsoft-consumers", "microsoft-organizations", "google", or the issuer URL.
	Name string
	// DisplayName is what the button says: "Sign in with " + DisplayName.
	DisplayName string
	// Issuer is the issuer identifier. When set, an "iss" parameter on the redirect must
	// equal it (RFC 9207 section 2.4); with RequireIssuer it must be present.
	Issuer        string
	RequireIssuer bool
	// AuthURL, TokenURL and RevocationURL are the endpoints; all must be https.
	// RevocationURL may be empty (then Revoke only forgets the token locally).
	AuthURL, TokenURL, RevocationURL string
	// Scopes are requested at sign-in: IMAP and POP access and the refresh token, nothing
	// more.
	Scopes []string
	// AuthParams are extra parameters for the authorization request (Google needs
	// access_type=offline to hand out a refresh token).
	AuthParams map[string]string
	// ClientID is the public client ID; empty means [ErrNotConfigured].
	ClientID string
	// ClientSecret is sent with token requests when set. Only providers that insist on one
	// for installed apps (Google) get it; it is not a secret (see GoogleClientSecret).
	ClientSecret string
}

// Provider names accepted by Lookup besides an issuer URL.
const (
	NameMicrosoft              = "microsoft"
	NameMicrosoftConsumers     = "microsoft-consumers"
	NameMicrosoftOrganizations = "microsoft-organizations"
	NameGoogle                 = "google"
)

// Microsoft tenants (Microsoft identity platform v2.0 endpoints).
const (
	// TenantCommon signs in both personal (Outlook.com, Hotmail, Live) and work or school
	// (Microsoft 365) accounts; the sign-in page decides which.
	TenantCommon = "common"
	// TenantConsumers signs in personal Microsoft accounts only.
	TenantConsumers = "consumers"
	// TenantOrganizations signs in work or school accounts only.
	TenantOrganizations = "organizations"
)

// Scopes for mail access. Microsoft's resource is outlook.office.com for both personal
// and work accounts; offline_access asks for the refresh token.
var (
	microsoftScopes = []string{
		"https://outlook.office.com/IMAP.AccessAsUser.All",
		"https://outlook.office.com/POP.AccessAsUser.All",
		"offline_access",
	}
	// Google has one scope for IMAP, POP and SMTP; the refresh token comes from
	// access_type=offline instead of a scope.
	googleScopes = []string{"https://mail.google.com/"}
	// oidcScopes are asked from a generic issuer: the identity (Dovecot's oauth2 passdb
	// maps the token to a user by its email or username attribute) and the refresh token.
	oidcScopes = []string{"openid", "email", "offline_access"}
)

// Microsoft returns the Microsoft identity platform for tenant (TenantCommon,
// TenantConsumers, TenantOrganizations, or a directory's ID or domain), with the IMAP and
// POP scopes and MicrosoftClientID.
func Microsoft(tenant string) Provider {
	if tenant == "" {
		tenant = TenantCommon
	}
	name := NameMicrosoft
	switch tenant {
	case TenantConsumers:
		name = NameMicrosoftConsumers
	case TenantOrganizations:
		name = NameMicrosoftOrganizations
	}
	base := "https://login.microsoftonline.com/" + url.PathEscape(tenant) + "/oauth2/v2.0/"
	return Provider{
		Name:        name,
		DisplayName: "Microsoft",
		// The issuer of the multi-tenant endpoints is a template ({tenantid}), so there is
		// nothing fixed to compare an iss parameter with.
		AuthURL:  base + "authorize",
		TokenURL: base + "token",
		// Microsoft has no RFC 7009 endpoint; a user revokes app access in the account
		// settings.
		Scopes:   clone(microsoftScopes),
		ClientID: MicrosoftClientID,
	}
}

// Google returns Google's authorization server with the mail scope, GoogleClientID and
// GoogleClientSecret.
func Google() Provider {
	return Provider{
		Name:          NameGoogle,
		DisplayName:   "Google",
		Issuer:        "https://accounts.google.com",
		AuthURL:       "https://accounts.google.com/o/oauth2/v2/auth",
		TokenURL:      "https://oauth2.googleapis.com/token",
		RevocationURL: "https://oauth2.googleapis.com/revoke",
		Scopes:        clone(googleScopes),
		// prompt=consent makes Google return a refresh token even when the user had
		// granted access before (it otherwise sends one only the first time).
		AuthParams:   map[string]string{"access_type": "offline", "prompt": "consent"},
		ClientID:     GoogleClientID,
		ClientSecret: GoogleClientSecret,
	}
}

// Lookup returns the provider for a name stored in an account's config: one of the Name…
// constants, or an https issuer URL, whose discovery document is then fetched
// ([DiscoverIssuer]), changed by opts.Overrides[name] when the config file has one
// ([Override]). A generic issuer has no built-in client ID: an override or the caller
// sets it.
func Lookup(ctx context.Context, name string, opts *Options) (Provider, error) {
	var p Provider
	switch {
	case name == NameMicrosoft:
		p = Microsoft(TenantCommon)
	case name == NameMicrosoftConsumers:
		p = Microsoft(TenantConsumers)
	case name == NameMicrosoftOrganizations:
		p = Microsoft(TenantOrganizations)
	case name == NameGoogle:
		p = Google()
	case strings.HasPrefix(name, "https://"):
		d, err := DiscoverIssuer(ctx, name, opts)
		if err != nil {
			return Provider{}, err
		}
		p = d
	default:
		return Provider{}, fmt.Errorf("oauth: unknown provider %q (want microsoft, microsoft-consumers, microsoft-organizations, google or an https issuer URL)", name)
	}
	if opts == nil {
		return p, nil
	}
	// An issuer may be written with or without its final slash, here and there.
	for _, key := range []string{name, p.Name, p.Name + "/"} {
		if o, ok := opts.Overrides[key]; ok {
			return applyOverride(ctx, p, o, opts)
		}
	}
	return p, nil
}

// Configured reports whether the provider has a client ID, i.e. whether its sign-in can
// be offered. The wizard shows "not available in this build" otherwise.
func (p Provider) Configured() bool { return p.ClientID != "" }

// check reports why the provider cannot be used: no client ID, or an endpoint that is
// not https (a code or token sent over plain HTTP could be read on the way).
func (p Provider) check() error {
	if p.ClientID == "" {
		return fmt.Errorf("oauth %s: %w", p.Name, ErrNotConfigured)
	}
	if err := p.checkEndpoints(); err != nil {
		return fmt.Errorf("oauth %s: %w", p.Name, err)
	}
	return nil
}

// checkEndpoints requires https for every endpoint the provider has.
func (p Provider) checkEndpoints() error {
	urls := []string{p.AuthURL, p.TokenURL}
	if p.RevocationURL != "" {
		urls = append(urls, p.RevocationURL)
	}
	for _, u := range urls {
		if err := checkHTTPS(u); err != nil {
			return err
		}
	}
	return nil
}

// checkHTTPS accepts an absolute https URL with a host and without user info.
func checkHTTPS(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return fmt.Errorf("endpoint %q is not an https URL", raw)
	}
	return nil
}

func clone(s []string) []string { return append([]string(nil), s...) }
