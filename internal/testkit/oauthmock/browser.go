package oauthmock

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
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
