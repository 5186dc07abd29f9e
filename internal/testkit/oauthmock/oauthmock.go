// Package oauthmock is a local OAuth 2.0 authorization server for tests: HTTPS on
// 127.0.0.1 (httptest), with an OpenID Connect discovery document, the authorization
// endpoint (authorization code with PKCE S256 only, RFC 6749 section 4.1, RFC 7636), the
// token endpoint (code exchange and refresh, section 4.1.3 and 6), revocation (RFC 7009)
// and introspection (RFC 7662, as Dovecot's oauth2 passdb asks it), plus error answers on
// demand. A fake Browser follows the authorization redirect as a real browser would, so
// the whole sign-in runs without the internet.
//
// It checks what a strict provider checks (client ID, redirect URI, PKCE verifier, single
// use of codes, revoked and expired tokens) so that tests fail when the client gets one of
// them wrong.
package oauthmock

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Config sets the server up; the zero Config gets the defaults below.
type Config struct {
	// ClientID is the only client the server knows; default "postfach-test".
	ClientID string
	// ClientSecret, when set, must accompany token requests (as Google requires).
	ClientSecret string
	// User and Email are the identity introspection reports; default "alice" and
	// "alice@example.test".
	User, Email string
	// AccessTTL is the access tokens' lifetime; default one hour.
	AccessTTL time.Duration
	// RotateRefreshTokens makes every refresh return a new refresh token and invalidate
	// the old one, as Microsoft does.
	RotateRefreshTokens bool
}

// Server is the running mock. Its methods are safe for concurrent use.
type Server struct {
	// URL is the issuer: https://127.0.0.1:PORT.
	URL string
	cfg Config
	srv *httptest.Server

	mu        sync.Mutex
	codes     map[string]*codeGrant
	access    map[string]*accessGrant
	refresh   map[string]*refreshGrant
	failAuth  string
	failToken string
	counts    map[string]int // token requests by grant_type
}

type codeGrant struct {
	redirectURI, challenge, scope string
	used                          bool
	issued                        []string // refresh tokens issued from it, revoked on reuse
}

type accessGrant struct {
	refresh string
	scope   string
	expiry  time.Time
	revoked bool
}

type refreshGrant struct {
	scope   string
	revoked bool
}

// Start runs a server until the test ends.
func Start(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.ClientID == "" {
		cfg.ClientID = "postfach-test"
	}
	if cfg.User == "" {
		cfg.User = "alice"
	}
	if cfg.Email == "" {
		cfg.Email = "alice@example.test"
	}
	if cfg.AccessTTL <= 0 {
		cfg.AccessTTL = time.Hour
	}
	s := &Server{
		cfg: cfg, codes: map[string]*codeGrant{}, access: map[string]*accessGrant{},
		refresh: map[string]*refreshGrant{}, counts: map[string]int{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", s.discovery)
	mux.HandleFunc("GET /authorize", s.authorize)
	mux.HandleFunc("POST /token", s.token)
	mux.HandleFunc("POST /revoke", s.revoke)
	mux.HandleFunc("/introspect", s.introspect)
	s.srv = httptest.NewTLSServer(mux) // listens on 127.0.0.1
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// ClientID returns the client ID the server accepts.
func (s *Server) ClientID() string { return s.cfg.ClientID }

// HTTPClient returns a client that trusts the server's certificate.
func (s *Server) HTTPClient() *http.Client { return s.srv.Client() }

// CertPEM returns the server's certificate (self-signed, for 127.0.0.1) in PEM form, for
// a server under test that checks the mock's TLS, such as Dovecot's oauth2 passdb
// (tls_ca_cert_file).
func (s *Server) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw})
}

// IntrospectionURL is the RFC 7662 endpoint, for Dovecot's introspection_url (any of its
// introspection modes post, auth and get with "?token=").
func (s *Server) IntrospectionURL() string { return s.URL + "/introspect" }

// FailNextAuthorize makes the next authorization request answer error=code on the
// redirect (e.g. "access_denied").
func (s *Server) FailNextAuthorize(code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failAuth = code
}

// FailNextToken makes the next token request answer with the error code (e.g.
// "invalid_grant", or "server_error" which is sent with status 500).
func (s *Server) FailNextToken(code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failToken = code
}

// ExpireAccessTokens makes every access token issued so far expired: introspection
// reports it inactive, as a mail server would see it after an hour.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.access {
		a.expiry = time.Now().Add(-time.Second)
	}
}

// RevokeAll revokes every refresh and access token, as a password change or "remove app
// access" does.
func (s *Server) RevokeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.refresh {
		r.revoked = true
	}
	for _, a := range s.access {
		a.revoked = true
	}
}

// Active reports whether an access token would be accepted now.
func (s *Server) Active(accessToken string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.activeLocked(accessToken) != nil
}

// RefreshTokenValid reports whether a refresh token would be accepted now.
func (s *Server) RefreshTokenValid(refreshToken string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.refresh[refreshToken]
	return r != nil && !r.revoked
}

// TokenRequests returns how many token requests of a grant type ("authorization_code",
// "refresh_token") arrived.
func (s *Server) TokenRequests(grantType string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[grantType]
}

// Issued returns every authorization code, access token and refresh token the server
// has handed out, for tests that search for them where they must not be (the leak
// sweep).
func (s *Server) Issued() (codes, access, refresh []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.codes {
		codes = append(codes, c)
	}
	for a := range s.access {
		access = append(access, a)
	}
	for r := range s.refresh {
		refresh = append(refresh, r)
	}
	return codes, access, refresh
}

func (s *Server) activeLocked(tok string) *accessGrant {
	a := s.access[tok]
	if a == nil || a.revoked || !time.Now().Before(a.expiry) {
		return nil
	}
	if r := s.refresh[a.refresh]; r != nil && r.revoked {
		return nil
	}
	return a
}

func (s *Server) discovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                         s.URL,
		"authorization_endpoint":                         s.URL + "/authorize",
		"token_endpoint":                                 s.URL + "/token",
		"revocation_endpoint":                            s.URL + "/revoke",
		"introspection_endpoint":                         s.URL + "/introspect",
		"response_types_supported":                       []string{"code"},
		"grant_types_supported":                          []string{"authorization_code", "refresh_token"},
		"code_challenge_methods_supported":               []string{"S256"},
		"authorization_response_iss_parameter_supported": true,
		"scopes_supported":                               []string{"openid", "email", "offline_access"},
	})
}

// authorize is the authorization endpoint. A user who is always signed in and always
// consents answers at once with a redirect. Errors about the client or the redirect URI
// are shown, never redirected (RFC 6749 section 4.1.2.1).
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != s.cfg.ClientID {
		http.Error(w, "unknown client", http.StatusBadRequest)
		return
	}
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || redirect.Scheme != "http" || redirect.Hostname() != "127.0.0.1" || redirect.Port() == "" {
		// RFC 8252 section 7.3: a native app's loopback redirect, any port.
		http.Error(w, "redirect_uri is not a loopback URI", http.StatusBadRequest)
		return
	}
	answer := url.Values{"state": {q.Get("state")}, "iss": {s.URL}}
	s.mu.Lock()
	fail := s.failAuth
	s.failAuth = ""
	s.mu.Unlock()
	switch {
	case fail != "":
		answer.Set("error", fail)
	case q.Get("response_type") != "code":
		answer.Set("error", "unsupported_response_type")
	case q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256":
		answer.Set("error", "invalid_request")
		answer.Set("error_description", "PKCE with S256 is required")
	default:
		code := random()
		s.mu.Lock()
		s.codes[code] = &codeGrant{redirectURI: q.Get("redirect_uri"), challenge: q.Get("code_challenge"), scope: q.Get("scope")}
		s.mu.Unlock()
		answer.Set("code", code)
	}
	redirect.RawQuery = answer.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// token is the token endpoint.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenErr(w, "invalid_request")
		return
	}
	f := r.PostForm
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[f.Get("grant_type")]++
	if fail := s.failToken; fail != "" {
		s.failToken = ""
		if fail == "server_error" {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": fail})
			return
		}
		tokenErr(w, fail)
		return
	}
	if f.Get("client_id") != s.cfg.ClientID || (s.cfg.ClientSecret != "" && f.Get("client_secret") != s.cfg.ClientSecret) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	switch f.Get("grant_type") {
	case "authorization_code":
		s.exchangeLocked(w, f)
	case "refresh_token":
		s.refreshLocked(w, f)
	default:
		tokenErr(w, "unsupported_grant_type")
	}
}

func (s *Server) exchangeLocked(w http.ResponseWriter, f url.Values) {
	c := s.codes[f.Get("code")]
	switch {
	case c == nil:
		tokenErr(w, "invalid_grant")
	case c.used:
		// RFC 6749 section 4.1.2: a code used twice revokes what it produced.
		for _, rt := range c.issued {
			s.refresh[rt].revoked = true
		}
		tokenErr(w, "invalid_grant")
	case f.Get("redirect_uri") != c.redirectURI:
		tokenErr(w, "invalid_grant")
	case s256(f.Get("code_verifier")) != c.challenge:
		tokenErr(w, "invalid_grant")
	default:
		c.used = true
		rt := random()
		s.refresh[rt] = &refreshGrant{scope: c.scope}
		c.issued = append(c.issued, rt)
		s.issueLocked(w, rt, c.scope, true)
	}
}

func (s *Server) refreshLocked(w http.ResponseWriter, f url.Values) {
	rt := f.Get("refresh_token")
	g := s.refresh[rt]
	if g == nil || g.revoked {
		tokenErr(w, "invalid_grant")
		return
	}
	if s.cfg.RotateRefreshTokens {
		g.revoked = true
		rt = random()
		s.refresh[rt] = &refreshGrant{scope: g.scope}
	}
	s.issueLocked(w, rt, g.scope, s.cfg.RotateRefreshTokens)
}

// issueLocked answers with a new access token for the refresh token rt, and rt itself
// when withRefresh.
func (s *Server) issueLocked(w http.ResponseWriter, rt, scope string, withRefresh bool) {
	at := random()
	s.access[at] = &accessGrant{refresh: rt, scope: scope, expiry: time.Now().Add(s.cfg.AccessTTL)}
	body := map[string]any{
		"access_token": at, "token_type": "Bearer",
		"expires_in": int(s.cfg.AccessTTL / time.Second), "scope": scope,
	}
	if withRefresh {
		body["refresh_token"] = rt
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, body)
}

// revoke is RFC 7009: a refresh token takes its access tokens with it; unknown tokens
// get 200 as well.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenErr(w, "invalid_request")
		return
	}
	tok := r.PostForm.Get("token")
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.refresh[tok]; g != nil {
		g.revoked = true
	}
	if a := s.access[tok]; a != nil {
		a.revoked = true
	}
	w.WriteHeader(http.StatusOK)
}

// introspect is RFC 7662. It takes the token the three ways Dovecot's oauth2 passdb
// sends it (introspection_mode post, auth and get).
func (s *Server) introspect(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	tok := r.Form.Get("token")
	if h, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		tok = h
	}
	s.mu.Lock()
	a := s.activeLocked(tok)
	s.mu.Unlock()
	if a == nil {
		writeJSON(w, http.StatusOK, map[string]any{"active": false})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"active": true, "client_id": s.cfg.ClientID, "token_type": "Bearer", "scope": a.scope,
		"username": s.cfg.User, "email": s.cfg.Email, "sub": s.cfg.User, "exp": a.expiry.Unix(),
	})
}

func tokenErr(w http.ResponseWriter, code string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": code, "error_description": "mock says " + code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func random() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
