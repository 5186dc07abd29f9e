package oauth

import "errors"

// Public client IDs, set at build time. They are configuration, not secrets: a native
// app cannot keep a secret (RFC 8252 section 8.4), so PKCE, not a client secret, protects
// the code. A distributor registers Postfach with the provider (docs/oauth.md) and builds
// with
//
//	go build -ldflags "-X github.com/postfach/postfach/accounts/oauth.MicrosoftClientID=… \
//	  -X github.com/postfach/postfach/accounts/oauth.GoogleClientID=… \
//	  -X github.com/postfach/postfach/accounts/oauth.GoogleClientSecret=…"
//
// A caller may override them per provider (Provider.ClientID), e.g. from the config file.
// Empty means the sign-in is not available in this build: [ErrNotConfigured].
var (
	// MicrosoftClientID is the application (client) ID of an app registered in Microsoft
	// Entra ID for "personal Microsoft accounts and accounts in any organizational
	// directory", with the redirect URI http://127.0.0.1 (mobile and desktop platform).
	MicrosoftClientID string
	// GoogleClientID is the client ID of a Google OAuth client of type "Desktop app".
	GoogleClientID string
	// GoogleClientSecret is the "client secret" Google issues with a Desktop app client.
	// Google requires it at the token endpoint although, for installed apps, it is not
	// confidential (Google's documentation says so); it is shipped like the client ID.
	GoogleClientSecret string
)

// ErrNotConfigured means the provider has no client ID in this build or the config file,
// so its sign-in cannot be offered. The GUI says so and points to docs/oauth.md.
var ErrNotConfigured = errors.New("sign-in with this provider is not configured in this build (no client ID)")
