package oauth

import (
	"context"
	"net/http"
	"time"
)

// Defaults for the zero Options.
const (
	// DefaultTimeout bounds each request to the provider (discovery, token, revocation).
	DefaultTimeout = 30 * time.Second
	// DefaultSignInTimeout bounds Authorize when the caller's context has no deadline:
	// long enough to type a password and answer a second factor, short enough that a
	// forgotten browser tab does not keep a port open all day.
	DefaultSignInTimeout = 10 * time.Minute
)

// Options tunes the package's functions. A nil *Options is equivalent to a zero Options
// value.
type Options struct {
	// HTTPClient talks to the provider's endpoints. Its redirect policy is replaced (no
	// redirects: a token endpoint that redirects is misconfigured or hijacked). Nil means
	// a client with the system's roots and proxy settings.
	HTTPClient *http.Client
	// Timeout bounds each request to the provider; zero means DefaultTimeout.
	Timeout time.Duration
	// LoginHint pre-fills the account on the sign-in page (the e-mail address); optional.
	LoginHint string
	// Now is the clock for token expiry; nil means time.Now. Tests move it forward.
	Now func() time.Time
	// Overrides change providers by name (Lookup): the config file's "oauth_providers".
	Overrides map[string]Override
}

// resolved is Options with the defaults filled in.
type resolved struct {
	client    *http.Client
	timeout   time.Duration
	loginHint string
	now       func() time.Time
}

func resolve(opts *Options) resolved {
	var o Options
	if opts != nil {
		o = *opts
	}
	r := resolved{timeout: o.Timeout, loginHint: o.LoginHint, now: o.Now}
	if r.timeout <= 0 {
		r.timeout = DefaultTimeout
	}
	if r.now == nil {
		r.now = time.Now
	}
	var c http.Client
	if o.HTTPClient != nil {
		c = *o.HTTPClient
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	r.client = &c
	return r
}

// requestContext bounds one request to the provider.
func (r resolved) requestContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, r.timeout)
}
