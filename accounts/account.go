// Package accounts holds what Postfach knows about a user's mail accounts: the account
// model, its validation, the versioned config file, and the rules for changing it.
//
// It has no GUI and no protocol code. Passwords are not part of it: they live in the OS
// keyring (package accounts/secrets). Sub-packages hold the protocol clients (pop3, quota),
// the TLS trust rules (trust) and the shared error vocabulary (mailerr).
package accounts

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/postfach/postfach/accounts/trust"
)

// Protocol is how Postfach talks to the incoming mail server. There is deliberately no
// default: the user makes this choice explicitly, because switching later is hard.
type Protocol string

// The protocols Postfach supports.
const (
	POP3 Protocol = "pop3"
	IMAP Protocol = "imap"
)

// Security is how the connection is protected.
type Security string

// Connection security settings. TLS (implicit TLS, RFC 8314) is the default; None needs
// Account.AllowPlaintext, the user's explicit and warned opt-in.
const (
	TLS      Security = "tls"
	StartTLS Security = "starttls"
	None     Security = "none"
)

// AuthMethod is how an account signs in to its server.
type AuthMethod string

// Sign-in methods. An empty AuthMethod is AuthPassword, so configs written before
// OAuth2 existed load unchanged.
const (
	// AuthPassword logs in with a password from the keyring (LOGIN, USER/PASS).
	AuthPassword AuthMethod = "password"
	// AuthOAuth2 logs in with an OAuth2 access token (XOAUTH2 or OAUTHBEARER), refreshed
	// with a refresh token from the keyring (accounts/oauth, docs/oauth.md).
	AuthOAuth2 AuthMethod = "oauth2"
)

// Validation errors callers branch on.
var (
	// ErrProtocolSwitch is returned when an update changes an account's protocol without
	// an explicit request to switch.
	ErrProtocolSwitch = errors.New("the protocol of an existing account cannot be changed: " +
		"mail would be left behind on the server (IMAP to POP3) or on this PC (POP3 to IMAP); " +
		"ask for an explicit switch if you really mean it")
	// ErrPlaintextNotAllowed is returned for security "none" without AllowPlaintext.
	ErrPlaintextNotAllowed = errors.New("an unencrypted connection needs the user's explicit opt-in: " +
		"your password and mail would cross the network readable by anyone on the way")
	// ErrNotFound is returned when no account matches a name or ID.
	ErrNotFound = errors.New("no such account")
	// ErrDuplicate is returned when an account with the same name already exists.
	ErrDuplicate = errors.New("an account with this name already exists")
	// ErrFolderShared is returned when a backup folder cannot be removed because another
	// account backs up into it too.
	ErrFolderShared = errors.New("another account backs up into this folder")
)

// Account is one mail account. Every field is stored in the config file; nothing secret is.
type Account struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Email    string   `json:"email"`
	Protocol Protocol `json:"protocol"`
	Host     string   `json:"host"`
	Port     int      `json:"port"`
	Security Security `json:"security"`
	Username string   `json:"username"`
	// AllowPlaintext records the user's explicit opt-in to Security None.
	AllowPlaintext bool `json:"allow_plaintext,omitempty"`
	// PinnedSHA256 is the fingerprint of a certificate the user chose to trust for exactly
	// this host:port (self-signed servers). Empty means normal verification.
	PinnedSHA256 string `json:"pinned_sha256,omitempty"`
	// Auth is the sign-in method; empty means AuthPassword.
	Auth AuthMethod `json:"auth,omitempty"`
	// OAuthProvider names the OAuth2 provider of an AuthOAuth2 account: microsoft,
	// microsoft-consumers, microsoft-organizations, google, or an https issuer URL.
	OAuthProvider string `json:"oauth_provider,omitempty"`
	// OAuthClientID replaces the provider's built-in public client ID (not a secret);
	// an issuer URL always needs one.
	OAuthClientID string `json:"oauth_client_id,omitempty"`
	// ProtocolChosenAt is when the user made the POP3-or-IMAP decision.
	ProtocolChosenAt time.Time `json:"protocol_chosen_at"`
	// Backup is the backup policy; set for POP3 accounts only.
	Backup *BackupPolicy `json:"backup,omitempty"`
	// Switches are the account's protocol changes, oldest first (see ProtocolChange).
	Switches []ProtocolChange `json:"switches,omitempty"`
	// ArchiveDir is where the free-space assistant moved this IMAP account's mail (a
	// Maildir++ tree); empty until the first archive run.
	ArchiveDir string `json:"archive_dir,omitempty"`
}

// Addr returns host:port for dialling.
func (a *Account) Addr() string {
	if strings.Contains(a.Host, ":") && !strings.HasPrefix(a.Host, "[") {
		return fmt.Sprintf("[%s]:%d", a.Host, a.Port)
	}
	return fmt.Sprintf("%s:%d", a.Host, a.Port)
}

// TrustOptions returns the TLS trust settings for this account.
func (a *Account) TrustOptions() *trust.Options {
	return &trust.Options{PinnedSHA256: a.PinnedSHA256}
}

// DefaultPort returns the standard port for a protocol and security setting.
func DefaultPort(p Protocol, s Security) int {
	switch {
	case p == POP3 && s == TLS:
		return 995
	case p == POP3:
		return 110
	case p == IMAP && s == TLS:
		return 993
	default:
		return 143
	}
}

// Connection is what it takes to reach and log in to an account's server: the settings a
// connection test needs, without the account's name, address and backup policy.
type Connection struct {
	Protocol       Protocol
	Host           string
	Port           int
	Security       Security
	Username       string
	AllowPlaintext bool
	PinnedSHA256   string
	Auth           AuthMethod
	OAuthProvider  string
	OAuthClientID  string
}

// OAuth2 reports whether the connection signs in with OAuth2 instead of a password.
func (c Connection) OAuth2() bool { return c.Auth == AuthOAuth2 }

// Connection returns the account's connection settings.
func (a *Account) Connection() Connection {
	return Connection{Protocol: a.Protocol, Host: a.Host, Port: a.Port, Security: a.Security,
		Username: a.Username, AllowPlaintext: a.AllowPlaintext, PinnedSHA256: a.PinnedSHA256,
		Auth: a.Auth, OAuthProvider: a.OAuthProvider, OAuthClientID: a.OAuthClientID}
}

// Validate checks the connection settings for completeness and consistency.
func (c Connection) Validate() error {
	var errs []error
	switch c.Protocol {
	case POP3, IMAP:
	case "":
		errs = append(errs, errors.New("choose POP3 or IMAP: there is no default, because changing it later is hard"))
	default:
		errs = append(errs, fmt.Errorf("unknown protocol %q (use pop3 or imap)", c.Protocol))
	}
	if strings.TrimSpace(c.Host) == "" || strings.ContainsAny(c.Host, " /\t") {
		errs = append(errs, fmt.Errorf("%q is not a server name", c.Host))
	}
	if c.Port < 1 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("port %d is not between 1 and 65535", c.Port))
	}
	switch c.Security {
	case TLS, StartTLS:
	case None:
		if !c.AllowPlaintext {
			errs = append(errs, ErrPlaintextNotAllowed)
		}
	default:
		errs = append(errs, fmt.Errorf("unknown security %q (use tls, starttls or none)", c.Security))
	}
	if c.Username == "" {
		errs = append(errs, errors.New("the account needs a user name"))
	}
	if c.PinnedSHA256 != "" && !trust.ValidFingerprint(c.PinnedSHA256) {
		errs = append(errs, fmt.Errorf("%q is not a SHA-256 fingerprint (64 hex digits)", c.PinnedSHA256))
	}
	if err := c.validateAuth(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// validateAuth checks the sign-in method and, for OAuth2, that a provider is named.
// Whether the provider is known is accounts/oauth's to say (oauth.Lookup), when it is
// used.
func (c Connection) validateAuth() error {
	switch c.Auth {
	case "", AuthPassword:
		if c.OAuthProvider != "" || c.OAuthClientID != "" {
			return errors.New("an OAuth2 provider or client ID is set, but the account signs in with a password")
		}
		return nil
	case AuthOAuth2:
	default:
		return fmt.Errorf("unknown sign-in method %q (use password or oauth2)", c.Auth)
	}
	p := c.OAuthProvider
	switch {
	case p == "":
		return errors.New("OAuth2 sign-in needs a provider (microsoft, google or an https issuer URL)")
	case strings.Contains(p, "://") && !strings.HasPrefix(p, "https://"):
		return fmt.Errorf("the OAuth2 issuer %q is not an https URL", p)
	case strings.ContainsFunc(p+c.OAuthClientID, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return errors.New("the OAuth2 provider or client ID contains a space or control character")
	}
	return nil
}

// Validate checks an account for completeness and consistency. It fills in nothing; use
// Normalize first for defaults.
func (a *Account) Validate() error {
	var errs []error
	if strings.TrimSpace(a.Name) == "" {
		errs = append(errs, errors.New("the account needs a name"))
	}
	if !ValidEmail(a.Email) {
		errs = append(errs, fmt.Errorf("%q is not an e-mail address", a.Email))
	}
	if err := a.Connection().Validate(); err != nil {
		errs = append(errs, err)
	}
	if a.Protocol == POP3 {
		if a.Backup == nil {
			errs = append(errs, errors.New("a POP3 account needs a backup policy"))
		} else if err := a.Backup.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if a.Protocol == IMAP && a.Backup != nil {
		errs = append(errs, errors.New("backups are for POP3 accounts; an IMAP account keeps its mail on the server"))
	}
	return errors.Join(errs...)
}

// Normalize fills in defaults the user did not have to give: an ID, the standard port,
// the username (the address), the fingerprint's canonical form, and an absolute backup
// folder.
func (a *Account) Normalize() {
	if a.ID == "" {
		a.ID = NewID()
	}
	a.Name = strings.TrimSpace(a.Name)
	a.Email = strings.TrimSpace(a.Email)
	a.Host = strings.TrimSpace(a.Host)
	if a.Security == "" {
		a.Security = TLS
	}
	if a.Port == 0 && a.Protocol != "" {
		a.Port = DefaultPort(a.Protocol, a.Security)
	}
	if a.Username == "" {
		a.Username = a.Email
	}
	if a.PinnedSHA256 != "" {
		a.PinnedSHA256 = trust.NormalizeFingerprint(a.PinnedSHA256)
	}
	if a.ProtocolChosenAt.IsZero() && a.Protocol != "" {
		a.ProtocolChosenAt = time.Now().UTC().Truncate(time.Second)
	}
	if a.Backup != nil && a.Backup.Dir != "" {
		if abs, err := filepath.Abs(a.Backup.Dir); err == nil {
			a.Backup.Dir = abs
		}
	}
}

// NewID returns a random account ID. IDs never change, so renaming an account keeps its
// keyring entry and backup state.
func NewID() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b[:])
}
