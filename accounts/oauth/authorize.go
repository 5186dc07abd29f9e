package oauth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// Browser shows the sign-in page at authURL to the user. The GUI opens the system
// browser; the CLI prints the URL (and opens a browser when there is a display). It
// should return once the page is handed over, not when the sign-in ends. The URL holds
// no secret (only the PKCE challenge), but it is long: show it whole.
type Browser func(ctx context.Context, authURL string) error

// Authorize signs the user in with the authorization code grant (RFC 6749 section 4.1),
// PKCE S256 (RFC 7636) and a loopback redirect on 127.0.0.1 with a port the system picks
// (RFC 8252 section 7.3). It calls browser with the sign-in URL, accepts exactly one
// answer at the redirect URI, and exchanges its code for tokens.
//
// It returns when the tokens are in hand, when the answer is refused (ErrBadState,
// ErrMissingCode, ErrMalformedRedirect, an *AuthError; ErrDenied if the user said no),
// or when ctx ends; without a deadline on ctx, DefaultSignInTimeout applies. The caller
// stores the result with TokenSource.Store.
func Authorize(ctx context.Context, p Provider, browser Browser, opts *Options) (*Token, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	if browser == nil {
		return nil, wrapf(p, "sign-in", errors.New("no browser function given"))
	}
	r := resolve(opts)
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultSignInTimeout)
		defer cancel()
	}
	state, err := randomState()
	if err != nil {
		return nil, wrapf(p, "sign-in", err)
	}
	lb, err := listenLoopback(p, state)
	if err != nil {
		return nil, wrapf(p, "sign-in", err)
	}
	defer lb.close()

	verifier := oauth2.GenerateVerifier()
	params := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
	for k, v := range p.AuthParams {
		params = append(params, oauth2.SetAuthURLParam(k, v))
	}
	if r.loginHint != "" {
		params = append(params, oauth2.SetAuthURLParam("login_hint", r.loginHint))
	}
	authURL := p.config(lb.redirectURL).AuthCodeURL(state, params...)
	if err := browser(ctx, authURL); err != nil {
		return nil, wrapf(p, "open the sign-in page", err)
	}
	var code string
	select {
	case a := <-lb.answer:
		if a.err != nil {
			return nil, wrapf(p, "sign-in", a.err)
		}
		code = a.code
	case <-ctx.Done():
		return nil, wrapf(p, "sign-in", fmt.Errorf("no answer from the browser: %w", context.Cause(ctx)))
	}
	return exchange(ctx, p, r, lb.redirectURL, code, verifier)
}

// randomState returns 256 random bits, URL-safe (RFC 6749 section 10.10).
func randomState() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random state: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// answer is what the one accepted request to the loopback listener carried.
type answer struct {
	code string
	err  error
}

// loopback is the redirect listener of one sign-in. Its goroutine is owned by the
// sign-in: close stops it and waits for it.
type loopback struct {
	p           Provider
	state       string
	host        string // "127.0.0.1:PORT", the only Host header accepted
	redirectURL string
	srv         *http.Server
	served      chan struct{}
	answer      chan answer // buffered: the handler never waits for the sign-in

	mu      sync.Mutex
	decided bool
}

func listenLoopback(p Provider, state string) (*loopback, error) {
	// 127.0.0.1, not "localhost": a name could resolve elsewhere, and the listener must
	// not be reachable from the network (RFC 8252 section 8.3).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("loopback listener: %w", err)
	}
	lb := &loopback{
		p: p, state: state, host: ln.Addr().String(),
		served: make(chan struct{}), answer: make(chan answer, 1),
	}
	lb.redirectURL = "http://" + lb.host
	lb.srv = &http.Server{
		Handler:           lb,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
	go func() {
		defer close(lb.served)
		lb.srv.Serve(ln) // returns http.ErrServerClosed after close
	}()
	return lb, nil
}

// close stops the listener and waits until its goroutine is gone. The page is already
// written and flushed when the answer arrives (ServeHTTP), so closing at once loses
// nothing the browser needs.
func (lb *loopback) close() {
	lb.srv.Close()
	<-lb.served
}

// ServeHTTP decides the sign-in with the first request at the redirect path; every later
// one (a replay, a reload) is refused and changes nothing.
func (lb *loopback) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	if req.Host != lb.host {
		// A page on another name that resolves to 127.0.0.1 (DNS rebinding) is not the
		// provider's redirect.
		http.Error(w, "wrong host", http.StatusMisdirectedRequest)
		return
	}
	code, err := parseRedirect(req.Method, req.URL.Path, req.URL.RawQuery, lb.p, lb.state)
	if errors.Is(err, errNotRedirect) {
		http.NotFound(w, req)
		return
	}
	lb.mu.Lock()
	first := !lb.decided
	lb.decided = true
	lb.mu.Unlock()
	if !first {
		page(w, http.StatusGone, "This sign-in is already finished. Return to Postfach.")
		return
	}
	// The page goes out before the answer: once Authorize has its answer it may finish
	// and close the listener at once, and the browser would see a dropped connection
	// instead of the page (found by the wizard's end-to-end run).
	if err != nil {
		page(w, http.StatusBadRequest, "Sign-in failed: "+err.Error()+". Return to Postfach and try again.")
	} else {
		page(w, http.StatusOK, "Signed in. You can close this window and return to Postfach.")
	}
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	lb.answer <- answer{code: code, err: err}
}

// page writes a minimal self-contained HTML page: no scripts, styles or links.
func page(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Postfach</title></head><body><p>%s</p></body></html>\n",
		html.EscapeString(text))
}
