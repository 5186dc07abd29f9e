package oauth

import (
	"errors"
	"fmt"

	"github.com/postfach/postfach/accounts/mailerr"
)

// Errors of the sign-in and of token use; match them with errors.Is.
var (
	// ErrReauthRequired means the stored refresh token no longer works (revoked, expired,
	// the password was changed, or none is stored): the user must sign in again. The GUI
	// shows "sign in again" on the account's card, in the tray and as a notification.
	ErrReauthRequired = errors.New("sign-in expired: sign in again")
	// ErrDenied means the user (or the provider's policy) refused access on the sign-in
	// page: error=access_denied on the redirect (RFC 6749 section 4.1.2.1).
	ErrDenied = errors.New("access was denied on the sign-in page")
	// ErrBadState means the redirect carried a state that is not the one this sign-in
	// sent (RFC 6749 section 10.12): a forged or stale answer, never accepted.
	ErrBadState = errors.New("sign-in answer does not belong to this sign-in (state mismatch)")
	// ErrMissingCode means the redirect carried neither a code nor an error.
	ErrMissingCode = errors.New("sign-in answer has no authorization code")
	// ErrMalformedRedirect means the redirect was not a single GET with each parameter at
	// most once, or named another issuer (RFC 9207).
	ErrMalformedRedirect = errors.New("malformed sign-in answer")
	// ErrNoPKCE means an issuer's discovery document says it does not support PKCE with
	// S256, which Postfach always uses (RFC 7636).
	ErrNoPKCE = errors.New("the authorization server does not support PKCE (S256)")
)

// AuthError is an error answer from the authorization server: on the redirect
// (RFC 6749 section 4.1.2.1) or from the token endpoint (section 5.2). Code is the
// "error" parameter, checked to be printable ASCII; Description is made safe to show.
// errors.Is(err, ErrDenied) holds for access_denied, errors.Is(err, ErrReauthRequired)
// for the token endpoint's invalid_grant and the OpenID Connect "sign in again" codes,
// and errors.Is(err, mailerr.ErrTemporary) for server errors.
type AuthError struct {
	Code        string
	Description string
	kind        error
}

// Error says what the server answered, without anything the user typed.
func (e *AuthError) Error() string {
	msg := "authorization server said " + e.Code
	if e.Description != "" {
		msg += ": " + e.Description
	}
	return msg
}

// Unwrap lets errors.Is see the kind (ErrDenied, ErrReauthRequired or nil).
func (e *AuthError) Unwrap() error { return e.kind }

// redirectError builds the AuthError for an error= answer on the redirect.
func redirectError(code, desc string) *AuthError {
	e := &AuthError{Code: safeText(code, 64), Description: safeText(desc, 300)}
	if code == "access_denied" {
		e.kind = ErrDenied
	}
	return e
}

// tokenError builds the AuthError for an error answer of the token endpoint. invalid_grant
// is RFC 6749's "the grant is invalid, expired or revoked"; the other three are OpenID
// Connect's (Core section 3.1.2.6) and Microsoft's ways of saying the user must come back
// to the sign-in page. A 5xx answer or RFC 6749's temporary codes are temporary.
func tokenError(code, desc string, status int) *AuthError {
	e := &AuthError{Code: safeText(code, 64), Description: safeText(desc, 300)}
	switch {
	case code == "invalid_grant", code == "interaction_required", code == "login_required", code == "consent_required":
		e.kind = ErrReauthRequired
	case status >= 500, code == "server_error", code == "temporarily_unavailable":
		e.kind = mailerr.ErrTemporary
	}
	return e
}

// safeText cuts s to n bytes and replaces anything but printable ASCII, so that server
// text cannot forge log lines or terminal escapes.
func safeText(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b)
}

// wrapf prefixes err with the provider's name.
func wrapf(p Provider, op string, err error) error {
	return fmt.Errorf("oauth %s: %s: %w", p.Name, op, err)
}
