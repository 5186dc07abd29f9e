package oauthmock

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// Browser plays the user's browser: it opens the sign-in URL at the mock, takes the
// redirect it answers with, optionally tampers with it, and requests it from the
// loopback listener, Replays more times after the first. Pass its Open method as the
// sign-in's browser function.
type Browser struct {
	srv *Server
	// Mutate, if set, changes the redirect URL before it is requested (a forged state, a
	// missing code, another path …).
	Mutate func(*url.URL)
	// Replays is how many times the redirect is requested again after the first time.
	Replays int

	mu     sync.Mutex
	visits []Visit
}

// Visit is one request the browser made to the loopback listener.
type Visit struct {
	URL    string
	Status int
	Body   string
}

// Browser returns a fake browser for this server.
func (s *Server) Browser() *Browser { return &Browser{srv: s} }

// Visits returns the requests made to the loopback listener so far.
func (b *Browser) Visits() []Visit {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Visit(nil), b.visits...)
}

// Open follows the sign-in URL as a browser does. It returns an error only when the
// mock does not redirect or a request cannot be made.
func (b *Browser) Open(ctx context.Context, authURL string) error {
	c := *b.srv.HTTPClient()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := get(ctx, &c, authURL)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return fmt.Errorf("oauthmock browser: authorization endpoint answered %s", resp.Status)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return fmt.Errorf("oauthmock browser: %w", err)
	}
	if b.Mutate != nil {
		b.Mutate(loc)
	}
	for range 1 + b.Replays {
		resp, err := get(ctx, http.DefaultClient, loc.String())
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		b.mu.Lock()
		b.visits = append(b.visits, Visit{URL: loc.String(), Status: resp.StatusCode, Body: string(body)})
		b.mu.Unlock()
	}
	return nil
}

func get(ctx context.Context, c *http.Client, u string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("oauthmock browser: %w", err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("oauthmock browser: %w", err)
	}
	return resp, nil
}

// FollowSignIn does with a sign-in URL at the mock what the user's browser does when
// the user approves: it requests the URL and then the loopback redirect the mock
// answers with. A test binary standing in for the system browser (a link named
// xdg-open on the app's PATH) calls it with a client that trusts the mock through
// SSL_CERT_FILE, as the app does.
func FollowSignIn(ctx context.Context, client *http.Client, authURL string) error {
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := get(ctx, &c, authURL)
	if err != nil {
		return err
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || loc == "" {
		return fmt.Errorf("oauthmock browser: authorization endpoint answered %s", resp.Status)
	}
	if resp, err = get(ctx, &c, loc); err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("oauthmock browser: the loopback listener answered %s", resp.Status)
	}
	return nil
}

// BrowserName is the name under which a test binary plays the system browser for a
// Postfach process it starts: Fyne's OpenURL and the command line both run xdg-open on
// Linux.
const BrowserName = "xdg-open"

// ActAsBrowser is for a test binary's TestMain: when the binary was started as
// BrowserName with one URL, it approves the sign-in there (FollowSignIn, trusting the
// mock through SSL_CERT_FILE as the app does), says "browser: signed in" on standard
// error when it did, and returns the exit status with true.
func ActAsBrowser() (status int, ok bool) {
	if filepath.Base(os.Args[0]) != BrowserName || len(os.Args) != 2 {
		return 0, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := FollowSignIn(ctx, http.DefaultClient, os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "browser:", err)
		return 1, true
	}
	fmt.Fprintln(os.Stderr, "browser: signed in") // tests count these lines in the app's log
	return 0, true
}

// BrowserEnv prepares the stand-in browser for a process under test, in a folder of its
// own (outside any folder a test scans for leaks): binDir holds a link named BrowserName
// to this test binary, to put first on the process's PATH, and certFile the mock's
// certificate followed by extraPEM (e.g. Dovecot's), for its SSL_CERT_FILE.
func (s *Server) BrowserEnv(t testing.TB, extraPEM []byte) (binDir, certFile string) {
	t.Helper()
	binDir = t.TempDir()
	certFile = filepath.Join(binDir, "certs.pem")
	if err := os.WriteFile(certFile, append(slices.Clone(extraPEM), s.CertPEM()...), 0o600); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self, filepath.Join(binDir, BrowserName)); err != nil {
		t.Fatal(err)
	}
	return binDir, certFile
}
