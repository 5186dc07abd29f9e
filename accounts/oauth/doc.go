// Package oauth signs Postfach in to mail providers that no longer accept passwords for
// IMAP and POP3 (Microsoft 365 / Outlook.com, and Google without app passwords), and to
// self-hosted servers whose OpenID Connect issuer hands out tokens for them.
//
// Protocols: RFC 6749 (OAuth 2.0, the authorization code grant), RFC 7636 (PKCE, always
// with S256), RFC 8252 (OAuth for native apps: the system browser and a loopback
// redirect on 127.0.0.1 with a random port), RFC 9207 (the iss parameter), RFC 7009
// (revocation), OpenID Connect Discovery 1.0 (the issuer's discovery document), RFC 7628
// (the OAUTHBEARER SASL mechanism) and Google's and Microsoft's XOAUTH2.
//
// The pieces, each a thin call for the GUI and the CLI:
//
//   - [Lookup], [Microsoft], [Google] and [DiscoverIssuer] return a [Provider]: the
//     endpoints, the IMAP/POP scopes and the public client ID.
//   - [Authorize] runs the sign-in: it listens on the loopback address, hands the
//     sign-in URL to a [Browser] the caller supplies (the GUI opens the system browser,
//     the CLI prints the URL), accepts exactly one answer at the expected path with the
//     expected state, and exchanges the code for a [Token].
//   - [TokenSource] keeps an account's refresh token in the keyring (never in a file),
//     caches the access token in memory only, refreshes it before each session and once
//     more when the server refuses it ([TokenSource.Do]).
//   - [XOAuth2] and [OAuthBearer] are SASL clients for go-imap's Authenticate and the
//     POP3 client's AUTH; [ChooseMechanism] picks one from the server's list.
//
// Errors callers act on: [ErrNotConfigured] (this build has no client ID for the
// provider), [ErrReauthRequired] (the refresh token is gone, revoked or expired: show
// "sign in again"), [ErrDenied] (the user said no in the browser), [ErrBadState],
// [ErrMissingCode] and [*AuthError] (a bad or hostile answer on the loopback redirect).
// Network failures carry the mailerr vocabulary (ErrUnreachable, ErrTimeout,
// ErrTemporary), so a scheduled backup retries instead of asking the user.
//
// No error text and no log line contains a token, a code or the PKCE verifier; [Token]
// formats itself with the secrets redacted. docs/oauth.md explains the flow, why there
// is no embedded browser, and how a distributor registers the app.
package oauth
