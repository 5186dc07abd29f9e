package oauthmock

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestIntrospection checks the three ways Dovecot's oauth2 passdb presents a token, and
// that an unknown token is inactive. (The sign-in itself is tested by accounts/oauth.)
func TestIntrospection(t *testing.T) {
	s := Start(t, Config{})
	// Issue a token the short way: a refresh grant needs a sign-in, so plant one.
	s.mu.Lock()
	s.refresh["rt"] = &refreshGrant{scope: "openid"}
	s.mu.Unlock()
	resp, err := s.HTTPClient().PostForm(s.URL+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"rt"}, "client_id": {s.ClientID()}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if tok.AccessToken == "" || !s.Active(tok.AccessToken) {
		t.Fatal("no active access token")
	}
	ask := func(req *http.Request) map[string]any {
		t.Helper()
		resp, err := s.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return out
	}
	post, _ := http.NewRequest("POST", s.IntrospectionURL(), strings.NewReader("token="+tok.AccessToken))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	auth, _ := http.NewRequest("GET", s.IntrospectionURL(), nil)
	auth.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	get, _ := http.NewRequest("GET", s.IntrospectionURL()+"?token="+tok.AccessToken, nil)
	for name, req := range map[string]*http.Request{"post": post, "auth": auth, "get": get} {
		if out := ask(req); out["active"] != true || out["email"] != "alice@example.test" {
			t.Errorf("%s: %v", name, out)
		}
	}
	s.ExpireAccessTokens()
	get2, _ := http.NewRequest("GET", s.IntrospectionURL()+"?token="+tok.AccessToken, nil)
	if out := ask(get2); out["active"] != false {
		t.Errorf("expired token: %v", out)
	}
	block, _ := pem.Decode(s.CertPEM())
	if block == nil {
		t.Fatal("CertPEM is not PEM")
	}
	if _, err := x509.ParseCertificate(block.Bytes); err != nil {
		t.Fatal(err)
	}
}
