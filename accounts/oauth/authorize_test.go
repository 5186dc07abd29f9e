package oauth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/postfach/postfach/internal/testkit/oauthmock"
)

func TestAuthorizeFullFlow(t *testing.T) {
	m, p, opts := mockProvider(t, oauthmock.Config{ClientSecret: "not-so-secret"})
	b := m.Browser()
	var authURL string
	browser := func(ctx context.Context, u string) error { authURL = u; return b.Open(ctx, u) }
	tok, err := Authorize(context.Background(), p, browser, &Options{HTTPClient: opts.HTTPClient, LoginHint: "alice@example.test"})
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.Expiry.Before(time.Now().Add(50*time.Minute)) {
		t.Fatalf("token incomplete: %v", tok)
	}
	if !m.Active(tok.AccessToken) || !m.RefreshTokenValid(tok.RefreshToken) {
		t.Error("the mock does not know the tokens")
	}
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for k, want := range map[string]string{
		"response_type": "code", "code_challenge_method": "S256", "client_id": p.ClientID,
		"scope": "openid email offline_access", "login_hint": "alice@example.test",
	} {
		if got := q.Get(k); got != want {
			t.Errorf("auth URL %s = %q, want %q", k, got, want)
		}
	}
	if r := q.Get("redirect_uri"); !strings.HasPrefix(r, "http://127.0.0.1:") || strings.Count(r, "/") != 2 {
		t.Errorf("redirect_uri = %q, want http://127.0.0.1:PORT", r)
	}
	if len(q.Get("state")) < 43 || len(q.Get("code_challenge")) != 43 {
		t.Errorf("state %q or challenge %q too short", q.Get("state"), q.Get("code_challenge"))
	}
	if v := b.Visits(); len(v) != 1 || v[0].Status != 200 || !strings.Contains(v[0].Body, "Signed in") {
		t.Errorf("browser visits = %+v", v)
	}
}

// TestAuthorizeRefuses runs the sign-in with answers that must not be accepted. The
// browser tampers with the redirect the mock sends; the mock itself never saw them.
func TestAuthorizeRefuses(t *testing.T) {
	setParam := func(k, v string) func(*url.URL) {
		return func(u *url.URL) { q := u.Query(); q.Set(k, v); u.RawQuery = q.Encode() }
	}
	delParam := func(k string) func(*url.URL) {
		return func(u *url.URL) { q := u.Query(); q.Del(k); u.RawQuery = q.Encode() }
	}
	for _, tc := range []struct {
		name       string
		mutate     func(*url.URL)
		failAuth   string
		want       error
		wantStatus int
	}{
		{name: "bad state", mutate: setParam("state", "forged"), want: ErrBadState, wantStatus: 400},
		{name: "no state", mutate: delParam("state"), want: ErrBadState, wantStatus: 400},
		{name: "no code", mutate: delParam("code"), want: ErrMissingCode, wantStatus: 400},
		{name: "empty code", mutate: setParam("code", ""), want: ErrMissingCode, wantStatus: 400},
		{name: "two codes", mutate: func(u *url.URL) { u.RawQuery += "&code=second" }, want: ErrMalformedRedirect, wantStatus: 400},
		{name: "two states", mutate: func(u *url.URL) { u.RawQuery += "&state=x" }, want: ErrMalformedRedirect, wantStatus: 400},
		{name: "other issuer", mutate: setParam("iss", "https://evil.example"), want: ErrMalformedRedirect, wantStatus: 400},
		{name: "no issuer", mutate: delParam("iss"), want: ErrMalformedRedirect, wantStatus: 400},
		{name: "control char in code", mutate: setParam("code", "a\x1bb"), want: ErrMalformedRedirect, wantStatus: 400},
		{name: "access denied", failAuth: "access_denied", want: ErrDenied, wantStatus: 400},
		{name: "server error answer", failAuth: "server_error", want: &AuthError{}, wantStatus: 400},
		{name: "wrong code", mutate: setParam("code", "not-issued"), want: ErrReauthRequired, wantStatus: 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, p, opts := mockProvider(t, oauthmock.Config{})
			m.FailNextAuthorize(tc.failAuth)
			b := m.Browser()
			b.Mutate = tc.mutate
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			tok, err := Authorize(ctx, p, b.Open, opts)
			if tok != nil {
				t.Fatalf("got a token: %v", tok)
			}
			var ae *AuthError
			if wantAE, ok := tc.want.(*AuthError); ok && wantAE != nil {
				if !errors.As(err, &ae) || errors.Is(err, ErrDenied) {
					t.Fatalf("err = %v, want an *AuthError", err)
				}
			} else if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if v := b.Visits(); len(v) != 1 || v[0].Status != tc.wantStatus {
				t.Errorf("browser visits = %+v, want one with status %d", v, tc.wantStatus)
			}
			if m.TokenRequests("authorization_code") > 0 && tc.wantStatus != 200 {
				t.Error("a refused answer reached the token endpoint")
			}
		})
	}
}

// TestAuthorizeIgnoresOtherPaths: a request to another path (the browser's favicon, a
// probe) is refused with 404 and does not end the sign-in.
func TestAuthorizeIgnoresOtherPaths(t *testing.T) {
	m, p, opts := mockProvider(t, oauthmock.Config{})
	b := m.Browser()
	b.Mutate = func(u *url.URL) { u.Path = "/favicon.ico" }
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := Authorize(ctx, p, b.Open, opts)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline (still waiting for the real answer)", err)
	}
	if v := b.Visits(); len(v) != 1 || v[0].Status != 404 {
		t.Errorf("visits = %+v, want one 404", v)
	}
}

// TestAuthorizeSingleUse: replaying the redirect after the sign-in used it changes
// nothing and is told so.
func TestAuthorizeSingleUse(t *testing.T) {
	m, p, opts := mockProvider(t, oauthmock.Config{})
	b := m.Browser()
	b.Replays = 2
	if _, err := Authorize(context.Background(), p, b.Open, opts); err != nil {
		t.Fatal(err)
	}
	v := b.Visits()
	if len(v) != 3 || v[0].Status != 200 || v[1].Status != 410 || v[2].Status != 410 {
		t.Errorf("visits = %+v, want 200, 410, 410", v)
	}
	if n := m.TokenRequests("authorization_code"); n != 1 {
		t.Errorf("%d code exchanges, want 1", n)
	}
}

// TestAuthorizeWrongHost: a request whose Host header is not 127.0.0.1:PORT (DNS
// rebinding) is refused and does not decide the sign-in.
func TestAuthorizeWrongHost(t *testing.T) {
	lb, err := listenLoopback(Provider{}, "s")
	if err != nil {
		t.Fatal(err)
	}
	defer lb.close()
	code, err := parseRedirect("GET", "/", "state=s&code=c", Provider{}, "s")
	if err != nil || code != "c" {
		t.Fatalf("parseRedirect = %q, %v", code, err)
	}
	req := newRequest(t, "http://"+lb.host+"/?state=s&code=c")
	req.Host = "rebound.example:80"
	rec := serve(lb, req)
	if rec.Code != 421 {
		t.Errorf("status %d, want 421", rec.Code)
	}
	select {
	case a := <-lb.answer:
		t.Fatalf("wrong host decided the sign-in: %+v", a)
	default:
	}
}

func TestAuthorizeNotConfigured(t *testing.T) {
	for _, p := range []Provider{Microsoft(TenantCommon), Microsoft(TenantOrganizations), Google()} {
		p.ClientID = "" // as in a build without -ldflags
		if p.Configured() {
			t.Errorf("%s: configured without a client ID", p.Name)
		}
		called := false
		_, err := Authorize(context.Background(), p, func(context.Context, string) error { called = true; return nil }, nil)
		if !errors.Is(err, ErrNotConfigured) || called {
			t.Errorf("%s: err = %v, browser called %v; want ErrNotConfigured before the browser", p.Name, err, called)
		}
	}
}

func TestAuthorizeBrowserFails(t *testing.T) {
	_, p, opts := mockProvider(t, oauthmock.Config{})
	boom := errors.New("no display")
	_, err := Authorize(context.Background(), p, func(context.Context, string) error { return boom }, opts)
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
}

// pageFirst is a response writer that notes whether the loopback handler had already
// handed the answer to the sign-in when it wrote the page.
type pageFirst struct {
	*httptest.ResponseRecorder
	lb    *loopback
	early bool
}

func (w *pageFirst) WriteHeader(code int) {
	w.early = w.early || len(w.lb.answer) > 0
	w.ResponseRecorder.WriteHeader(code)
}

func (w *pageFirst) Write(b []byte) (int, error) {
	w.early = w.early || len(w.lb.answer) > 0
	return w.ResponseRecorder.Write(b)
}

// TestLoopbackPageBeforeAnswer: the browser's page goes out before the sign-in gets its
// answer. The sign-in closes the listener as soon as it has exchanged the code, and a
// real browser (started by xdg-open, not waited for) then saw a dropped connection
// instead of "Signed in" now and then — the wizard's end-to-end run found it.
func TestLoopbackPageBeforeAnswer(t *testing.T) {
	_, p, _ := mockProvider(t, oauthmock.Config{})
	for _, query := range []string{"code=abc&state=s", "state=s"} { // a good answer and a refused one
		lb := &loopback{p: p, state: "s", host: "127.0.0.1:1", answer: make(chan answer, 1)}
		if p.Issuer != "" {
			query += "&iss=" + url.QueryEscape(p.Issuer)
		}
		req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:1/?"+query, nil)
		w := &pageFirst{ResponseRecorder: httptest.NewRecorder(), lb: lb}
		lb.ServeHTTP(w, req)
		if w.early || len(lb.answer) != 1 || w.Body.Len() == 0 {
			t.Errorf("%s: answer before the page %v, answers %d, page %q", query, w.early, len(lb.answer), w.Body.String())
		}
	}
}
