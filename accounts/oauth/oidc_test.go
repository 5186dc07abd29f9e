package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/postfach/postfach/accounts/mailerr"
)

// TestDiscoverIssuer serves hand-written discovery documents: only a document for the same
// issuer, with https endpoints and S256, is accepted.
func TestDiscoverIssuer(t *testing.T) {
	var doc map[string]any
	status := http.StatusOK
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/realm/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(doc)
	}))
	defer srv.Close()
	issuer := srv.URL + "/realm"
	good := func() map[string]any {
		return map[string]any{
			"issuer": issuer, "authorization_endpoint": issuer + "/auth", "token_endpoint": issuer + "/token",
			"code_challenge_methods_supported": []string{"plain", "S256"},
		}
	}
	for _, tc := range []struct {
		name   string
		edit   func(map[string]any)
		status int
		want   error // nil: accepted; errAny: any error
	}{
		{name: "good"},
		{name: "no PKCE list", edit: func(d map[string]any) { delete(d, "code_challenge_methods_supported") }},
		{name: "plain only", edit: func(d map[string]any) { d["code_challenge_methods_supported"] = []string{"plain"} }, want: ErrNoPKCE},
		{name: "other issuer", edit: func(d map[string]any) { d["issuer"] = "https://evil.example" }, want: errAny},
		{name: "http token endpoint", edit: func(d map[string]any) { d["token_endpoint"] = "http://127.0.0.1/token" }, want: errAny},
		{name: "no auth endpoint", edit: func(d map[string]any) { delete(d, "authorization_endpoint") }, want: errAny},
		{name: "server error", status: 503, want: mailerr.ErrTemporary},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, status = good(), http.StatusOK
			if tc.edit != nil {
				tc.edit(doc)
			}
			if tc.status != 0 {
				status = tc.status
			}
			p, err := DiscoverIssuer(context.Background(), issuer+"/", &Options{HTTPClient: srv.Client()})
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("err = %v", err)
			case tc.want == nil:
				if p.Name != issuer || p.TokenURL != issuer+"/token" || p.ClientID != "" || !strings.Contains(strings.Join(p.Scopes, " "), "offline_access") {
					t.Errorf("provider = %+v", p)
				}
			case tc.want == errAny && err == nil, tc.want != errAny && !errors.Is(err, tc.want):
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := DiscoverIssuer(context.Background(), "http://127.0.0.1/realm", nil); err == nil {
		t.Error("an http issuer was accepted")
	}
}

var errAny = errors.New("any error")

func TestLookup(t *testing.T) {
	for name, wantTenant := range map[string]string{
		NameMicrosoft: "/common/", NameMicrosoftConsumers: "/consumers/", NameMicrosoftOrganizations: "/organizations/", NameGoogle: "",
	} {
		p, err := Lookup(context.Background(), name, nil)
		if err != nil || p.Name != name || !strings.Contains(p.AuthURL, wantTenant) || p.checkEndpoints() != nil {
			t.Errorf("Lookup(%s) = %+v, %v", name, p, err)
		}
	}
	ms, _ := Lookup(context.Background(), NameMicrosoft, nil)
	if got := strings.Join(ms.Scopes, " "); got != "https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/POP.AccessAsUser.All offline_access" {
		t.Errorf("Microsoft scopes = %s", got)
	}
	if _, err := Lookup(context.Background(), "yahoo", nil); err == nil {
		t.Error("unknown provider accepted")
	}
}
