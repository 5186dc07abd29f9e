package imap

import (
	"context"
	"crypto/tls"
	"errors"

	"github.com/postfach/postfach/accounts/mailerr"
)

// Fetch logs in to the IMAP server at addr ("host:port") and returns its quota for
// INBOX, plus per-folder message counts and sizes when withFolders is set. A server
// without quota support is not an error: the Report says Supported == false. Errors
// match the mailerr sentinels; the connection is always closed before Fetch returns.
func Fetch(ctx context.Context, addr, user, pass string, opts *Options, withFolders bool) (*Report, error) {
	return FetchAuth(ctx, addr, PasswordAuth(user, pass), opts, withFolders)
}

// FetchAuth is Fetch with another way to log in, e.g. OAuth2Auth.
func FetchAuth(ctx context.Context, addr string, auth Auth, opts *Options, withFolders bool) (*Report, error) {
	r, _, err := session(ctx, addr, auth, opts, withFolders, false)
	return r, err
}

// Check is the account wizard's connection test: connect, TLS (verified as opts say),
// LOGIN, capabilities, quota, LOGOUT, in one session. It returns the report (with the
// capabilities announced after login) and the TLS state (nil on a plaintext connection)
// so the wizard can show what was negotiated. Unlike Fetch, a failed LOGOUT fails it.
func Check(ctx context.Context, addr, user, pass string, opts *Options) (*Report, *tls.ConnectionState, error) {
	return CheckAuth(ctx, addr, PasswordAuth(user, pass), opts)
}

// CheckAuth is Check with another way to log in, e.g. OAuth2Auth.
func CheckAuth(ctx context.Context, addr string, auth Auth, opts *Options) (*Report, *tls.ConnectionState, error) {
	return session(ctx, addr, auth, opts, false, true)
}

// Auth logs a freshly connected session in: PasswordAuth or OAuth2Auth.
type Auth func(s *Session) error

// PasswordAuth logs in with LOGIN (Session.Login).
func PasswordAuth(user, pass string) Auth {
	return func(s *Session) error { return s.Login(user, pass) }
}

// OAuth2Auth logs in with an access token (Session.LoginOAuth2).
func OAuth2Auth(user, accessToken, host string, port int) Auth {
	return func(s *Session) error { return s.LoginOAuth2(user, accessToken, host, port) }
}

// session runs one logged-in session for Fetch and Check.
func session(ctx context.Context, addr string, auth Auth, opts *Options, withFolders, strictLogout bool) (*Report, *tls.ConnectionState, error) {
	s, err := Connect(ctx, addr, opts)
	if err != nil {
		return nil, nil, err
	}
	defer s.Close() // idempotent; a failed LOGOUT does not spoil data already read
	if err := auth(s); err != nil {
		return nil, nil, err
	}
	r := &Report{Caps: s.Caps()}
	state := s.TLS()
	roots, err := s.Quota()
	if err != nil && !quotaUnknown(err) {
		return nil, nil, err
	}
	if err == nil {
		r.Supported, r.Roots = true, roots
	}
	if withFolders {
		if r.Folders, err = s.Folders(); err != nil {
			return nil, nil, err
		}
	}
	if strictLogout {
		if err := s.Close(); err != nil {
			return r, state, err
		}
	}
	return r, state, nil
}

// quotaUnknown reports whether a Quota error means "show unknown" rather than "the
// session failed": no QUOTA capability, or the server refused GETQUOTAROOT with NO/BAD
// (some servers announce QUOTA and then refuse it for certain accounts).
func quotaUnknown(err error) bool {
	var se *mailerr.ServerError
	return errors.Is(err, mailerr.ErrQuotaUnsupported) || errors.As(err, &se)
}
