// Package imap is Postfach's IMAP client: it connects (implicit TLS, STARTTLS or an
// allowed plain connection), logs in with a password or OAuth2, reads the storage quota
// and folder sizes for the quota bar and the connection test (quota.go, report.go), and
// offers the primitives the IMAP copy engine (backup/imapcopy) builds on: folders, fetch,
// append, search and expunge (mailbox.go, fetch.go, append.go, search.go, expunge.go,
// transfer.go). It was called quota while reading the quota was all it did.
//
// It speaks IMAP through github.com/emersion/go-imap/v2 (imapclient; the types package is
// imported as goimap) and adds what a tray app polling untrusted servers needs on top:
//
//   - STARTTLS is enforced, done by this package before go-imap takes over, and refused
//     with mailerr.ErrStartTLSRefused on any deviation, always before LOGIN (RFC 2595;
//     see starttls.go for why go-imap's own is not used).
//   - Every session has one deadline that covers dialling, TLS, each command and LOGOUT,
//     and a cap on the bytes read, so a stalling or flooding server cannot hang or bloat
//     the app.
//   - Quota values are normalised: STORAGE arrives in units of 1024 octets (RFC 9208
//     section 5.1) and is reported in bytes, saturating instead of overflowing; a server
//     without quota, or a limit of 0, is "unknown", never 0 %.
//   - Errors match the sentinels of accounts/mailerr (ErrAuthFailed, ErrTimeout, ...) and
//     *trust.CertError, and never contain the password.
//
// The package has no GUI dependency.
package imap
