package oauth

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/postfach/postfach/internal/testkit/oauthmock"
)

// TestCheckOverride lists overrides the config file may and may not hold.
func TestCheckOverride(t *testing.T) {
	for _, tc := range []struct {
		name, provider string
		o              Override
		want           string // "" accepted, else part of the error
	}{
		{"client ID", NameGoogle, Override{ClientID: "id", ClientSecret: "s"}, ""},
		{"issuer", NameMicrosoft, Override{Issuer: "https://login.example.org/t/v2.0", ClientID: "id"}, ""},
		{"endpoints", NameMicrosoftOrganizations, Override{AuthURL: "https://a.example/auth", TokenURL: "https://a.example/token", RevocationURL: "https://a.example/revoke"}, ""},
		{"scopes", NameMicrosoft, Override{Scopes: []string{"https://outlook.office365.us/IMAP.AccessAsUser.All", "offline_access"}}, ""},
		{"issuer name, client ID", "https://sso.example.org/realms/mail", Override{ClientID: "postfach"}, ""},
		{"unknown name", "yahoo", Override{ClientID: "id"}, "unknown provider"},
		{"http issuer name", "http://sso.example.org", Override{ClientID: "id"}, "unknown provider"},
		{"empty", NameGoogle, Override{}, "changes nothing"},
		{"secret without ID", NameGoogle, Override{ClientSecret: "s"}, "needs the client_id"},
		{"issuer and endpoints", NameMicrosoft, Override{Issuer: "https://a.example", AuthURL: "https://a.example/a", TokenURL: "https://a.example/t"}, "either issuer"},
		{"auth without token", NameMicrosoft, Override{AuthURL: "https://a.example/a"}, "go together"},
		{"revoke only", NameGoogle, Override{RevocationURL: "https://a.example/r"}, "go together"},
		{"http endpoint", NameMicrosoft, Override{AuthURL: "http://a.example/a", TokenURL: "https://a.example/t"}, "not an https URL"},
		{"http issuer", NameMicrosoft, Override{Issuer: "http://a.example"}, "not an https URL"},
		{"issuer name with endpoints", "https://sso.example.org", Override{Issuer: "https://other.example"}, "discovery document"},
		{"scope with space", NameGoogle, Override{Scopes: []string{"a b"}}, "scope token"},
		{"empty scope", NameGoogle, Override{Scopes: []string{""}}, "scope token"},
		{"client ID with newline", NameGoogle, Override{ClientID: "id\n"}, "control character"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckOverride(tc.provider, tc.o)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one with %q", err, tc.want)
			}
		})
	}
}

// TestLookupOverride points the built-in providers elsewhere, as the config file's
// oauth_providers does: Microsoft at the mock's issuer (a sign-in then runs against it
// with the button still saying Microsoft and Microsoft's scopes), Google at explicit
// endpoints with its own client ID and no built-in secret, an issuer URL with a client
// ID; without an override nothing changes.
func TestLookupOverride(t *testing.T) {
	m := oauthmock.Start(t, oauthmock.Config{})
	ctx := context.Background()
	opts := &Options{HTTPClient: m.HTTPClient(), Overrides: map[string]Override{
		NameMicrosoft: {Issuer: m.URL, ClientID: m.ClientID()},
		NameGoogle:    {AuthURL: m.URL + "/authorize", TokenURL: m.URL + "/token", ClientID: "g-id"},
		m.URL + "/":   {ClientID: "issuer-id", Scopes: []string{"openid", "mail"}},
	}}

	p, err := Lookup(ctx, NameMicrosoft, opts)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != NameMicrosoft || p.DisplayName != "Microsoft" || p.Issuer != m.URL || p.AuthURL != m.URL+"/authorize" ||
		p.ClientID != m.ClientID() || !slices.Equal(p.Scopes, microsoftScopes) {
		t.Errorf("microsoft overridden = %+v", p)
	}
	tok, err := Authorize(ctx, p, m.Browser().Open, opts)
	if err != nil || tok.RefreshToken == "" {
		t.Fatalf("sign-in at the overriding issuer: %v", err)
	}

	g, err := Lookup(ctx, NameGoogle, opts)
	if err != nil {
		t.Fatal(err)
	}
	if g.Issuer != "" || g.TokenURL != m.URL+"/token" || g.RevocationURL != "" || g.ClientID != "g-id" || g.ClientSecret != "" ||
		g.AuthParams["access_type"] != "offline" {
		t.Errorf("google overridden = %+v", g)
	}

	i, err := Lookup(ctx, m.URL, opts)
	if err != nil || i.ClientID != "issuer-id" || !slices.Equal(i.Scopes, []string{"openid", "mail"}) {
		t.Errorf("issuer overridden = %+v, %v", i, err)
	}

	plain, err := Lookup(ctx, NameMicrosoftConsumers, opts)
	if err != nil || plain.AuthURL != Microsoft(TenantConsumers).AuthURL {
		t.Errorf("microsoft-consumers without override = %+v, %v", plain, err)
	}

	bad := &Options{Overrides: map[string]Override{NameGoogle: {AuthURL: "http://a.example/a", TokenURL: "https://a.example/t"}}}
	if _, err := Lookup(ctx, NameGoogle, bad); err == nil || !strings.Contains(err.Error(), "config file override") {
		t.Errorf("bad override: %v", err)
	}
}
