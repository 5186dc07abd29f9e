package oauth

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// The loopback redirect (RFC 8252 section 7.3): the browser brings the answer to
// http://127.0.0.1:PORT/ as query parameters (RFC 6749 section 4.1.2). The answer is
// untrusted input: any web page the user visits can make the browser request this URL,
// and any local process can connect to the port. So exactly one request is accepted,
// at the expected path, as a GET, with each parameter at most once and the state this
// sign-in sent.

// redirectPath is the path of the redirect URI. The registered URI is http://127.0.0.1
// without a path; Postfach sends http://127.0.0.1:PORT, which browsers request as "/".
const redirectPath = "/"

// maxCodeLength bounds the authorization code; providers' codes are a few hundred bytes
// (Microsoft's reach about 1.5 KiB).
const maxCodeLength = 4096

// errNotRedirect marks a request that is not the answer at all (another path, such as
// the browser's /favicon.ico): it is refused with 404 and the sign-in keeps waiting.
var errNotRedirect = errors.New("not the redirect path")

// redirectParams are the parameters an answer may carry only once.
var redirectParams = []string{"code", "state", "error", "error_description", "error_uri", "iss"}

// parseRedirect checks one request to the loopback listener and returns the code, or why
// the answer is refused: errNotRedirect, ErrMalformedRedirect, ErrBadState, ErrDenied
// (in an *AuthError) or ErrMissingCode.
func parseRedirect(method, path, rawQuery string, p Provider, state string) (string, error) {
	if path != redirectPath {
		return "", errNotRedirect
	}
	if method != http.MethodGet {
		return "", fmt.Errorf("%w: method %s", ErrMalformedRedirect, safeText(method, 16))
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", fmt.Errorf("%w: query does not parse", ErrMalformedRedirect)
	}
	for _, name := range redirectParams {
		if len(q[name]) > 1 {
			return "", fmt.Errorf("%w: parameter %s given %d times", ErrMalformedRedirect, name, len(q[name]))
		}
	}
	// The state is checked first, also for error answers: an answer with someone else's
	// state tells nothing about this sign-in.
	got := q.Get("state")
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(state)) != 1 {
		return "", ErrBadState
	}
	iss, hasIss := q["iss"]
	switch {
	case hasIss && p.Issuer != "" && iss[0] != p.Issuer:
		return "", fmt.Errorf("%w: issuer %q is not %s (RFC 9207)", ErrMalformedRedirect, safeText(iss[0], 100), p.Issuer)
	case !hasIss && p.RequireIssuer:
		return "", fmt.Errorf("%w: no iss parameter, which %s promised (RFC 9207)", ErrMalformedRedirect, p.Issuer)
	}
	if q.Has("error") {
		if q.Get("error") == "" {
			// An answer that claims to be an error but names none is neither an error
			// nor a code (RFC 6749 section 4.1.2.1 requires the error code).
			return "", fmt.Errorf("%w: empty error parameter", ErrMalformedRedirect)
		}
		return "", redirectError(q.Get("error"), q.Get("error_description"))
	}
	code := q.Get("code")
	switch {
	case code == "":
		return "", ErrMissingCode
	case len(code) > maxCodeLength:
		return "", fmt.Errorf("%w: code longer than %d bytes", ErrMalformedRedirect, maxCodeLength)
	case safeText(code, maxCodeLength) != code:
		return "", fmt.Errorf("%w: code is not printable ASCII", ErrMalformedRedirect)
	}
	return code, nil
}
