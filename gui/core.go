package gui

import (
	"context"
	"net/url"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/discover"
	"github.com/postfach/postfach/accounts/oauth"
	"github.com/postfach/postfach/backup"
)

// Core is everything the desktop app needs from Postfach's core packages. The GUI never
// speaks POP3 or IMAP and never touches the keyring or the config file itself: it calls
// these methods, from goroutines (they may block on the network, the disk or the
// keyring), and shows the results. gui/realcore implements it with the account service
// (backup/service), which the CLI uses too; the GUI tests use a fake.
//
// Errors are the core's own vocabulary (accounts.ErrProtocolSwitch, mailerr.ErrAuthFailed,
// *trust.CertError, secrets.ErrUnavailable, backup.ErrFolderMissing, …); explain.go
// switches on their kind (backup.KindOf).
type Core interface {
	// ListAccounts returns the configured accounts in the order they were added.
	ListAccounts() ([]accounts.Account, error)
	// AddAccount stores a new account and its password (in the keyring) and returns the
	// account as stored (with its ID). If the password cannot be stored, nothing is.
	AddAccount(ctx context.Context, acct accounts.Account, password string) (accounts.Account, error)
	// UpdateAccount saves changed settings. An empty password keeps the stored one. The
	// protocol of an existing account cannot change (accounts.ErrProtocolSwitch).
	UpdateAccount(ctx context.Context, acct accounts.Account, password string) error
	// RemoveAccount removes an account from the config; the backup folder and the keyring
	// entry are deleted only if the user asked for it. A running backup of the account is
	// stopped first; a folder another account uses is never deleted
	// (accounts.ErrFolderShared), and a folder a run elsewhere holds (backup.ErrBusy)
	// leaves everything as it was.
	RemoveAccount(ctx context.Context, id string, keepBackup, keepPassword bool) error

	// SignInOffer says whether the address's provider signs in through its own page
	// (OAuth2), from the built-in provider table without the network; nil means a
	// password.
	SignInOffer(ctx context.Context, email string) (*SignInOffer, error)
	// SignIn signs acct (Auth oauth2, OAuthProvider set) in: open shows the provider's
	// page in the system browser, and SignIn waits for the answer on a loopback
	// redirect (until ctx ends, at most ten minutes). Nothing is stored yet.
	SignIn(ctx context.Context, acct accounts.Account, open func(*url.URL) error) (*oauth.Token, error)
	// TestSignedIn is TestConnection for an OAuth2 account being added: it logs in with
	// the access token of tok.
	TestSignedIn(ctx context.Context, acct accounts.Account, tok *oauth.Token) (*ConnReport, error)
	// Reauthorize signs a saved OAuth2 account in again (as SignIn) and stores the new
	// refresh token, after the old one expired or was revoked (kind reauth-required).
	Reauthorize(ctx context.Context, id string, open func(*url.URL) error) error
	// AddSignedIn stores a new OAuth2 account and the refresh token of tok (in the
	// keyring) and returns the account as stored; like AddAccount, all or nothing.
	AddSignedIn(ctx context.Context, acct accounts.Account, tok *oauth.Token) (accounts.Account, error)

	// Discover looks up the incoming server settings for an address (autoconfig, SRV
	// records, provider lists). An error or no candidates means "guess".
	Discover(ctx context.Context, email string) (*Discovery, error)
	// TestConnection connects and logs in with acct's settings without saving anything.
	// Only the connection settings (acct.Connection()) need to be complete: a new account
	// has no backup folder yet. An empty password means the one stored for acct.ID
	// (editing a saved account). For IMAP accounts the report includes the quota when the
	// server reports one, read in the same session.
	TestConnection(ctx context.Context, acct accounts.Account, password string) (*ConnReport, error)

	// Quota reads the mailbox usage of a saved IMAP account; with folders, also the size
	// of each folder (slower: one request per folder).
	Quota(ctx context.Context, id string, folders bool) (*QuotaReport, error)
	// BackupNow backs up a saved POP3 account now. progress is called from the running
	// goroutine.
	BackupNow(ctx context.Context, id string, progress func(backup.Progress)) (*backup.Result, error)
	// Verify re-reads the backup folder and checks every message against the index.
	Verify(ctx context.Context, id string) (*VerifyReport, error)
	// History returns the account's past backup runs, newest last.
	History(id string) ([]backup.Result, error)

	// BackupBrowser searches, reads and exports a backup (browser.go).
	BackupBrowser

	// DefaultBackupDir proposes a backup folder for a new POP3 account.
	DefaultBackupDir(email string) string
	// OnSystemDisk reports whether path (or its nearest existing parent) is on the same
	// physical disk as the operating system; known is false when that cannot be told.
	OnSystemDisk(path string) (same, known bool)
}

// Discovery is what the server lookup found for an address.
type Discovery struct {
	// Candidates are the servers found, best first.
	Candidates []Candidate
	// Log lists what was asked and what answered, for the "how was this found?" view.
	Log []string
}

// Best returns the best candidate for a protocol, if any.
func (d *Discovery) Best(p accounts.Protocol) (Candidate, bool) {
	if d == nil {
		return Candidate{}, false
	}
	for _, c := range d.Candidates {
		if c.Protocol == p {
			return c, true
		}
	}
	return Candidate{}, false
}

// Candidate is one server setting found by discovery.
type Candidate struct {
	Protocol accounts.Protocol
	Host     string
	Port     int
	Security accounts.Security
	Username string
	// Source says where the setting came from, as a code: "autoconfig",
	// "autoconfig-wellknown", "autoconfig-http", "builtin", "srv", "mx", "guess".
	Source string
	// Provider is the provider's name, when the source knows it.
	Provider string
	// NeedsConfirmation is set when the user must confirm the server before the password
	// is sent to it. ConfirmCodes say why ("http", "other-domain", "plaintext");
	// ConfirmReason is the same in English for codes the GUI does not know.
	NeedsConfirmation bool
	ConfirmCodes      []string
	ConfirmReason     string
	// Notes are provider hints from discovery, e.g. "needs an app password"; tr.NoteText
	// words them in the app's language.
	Notes []discover.Note
	// SignIn is set when the provider signs in through its own page (OAuth2), e.g. a
	// custom domain whose mail Microsoft 365 handles.
	SignIn *SignInOffer
}

// ConnReport is what a successful connection test learnt.
type ConnReport struct {
	TLSVersion   string   // e.g. "TLS 1.3"; empty without encryption
	CertSHA256   string   // fingerprint of the server certificate
	Capabilities []string // as the server announced them
	// Warnings are things that work now but will matter (in English, from the core).
	Warnings []string
	// Quota is set for IMAP accounts (Supported false when the server reports none); nil
	// if it could not be read.
	Quota *QuotaReport
}

// QuotaReport is the storage use of an IMAP mailbox.
type QuotaReport struct {
	// Supported is false when the server does not report quota: show "unknown", never 0 %.
	Supported bool
	// Used and Limit are bytes; Limit 0 means no storage limit was reported.
	Used, Limit int64
	// Folders is filled only when asked for.
	Folders []FolderUsage
	// Checked is when the numbers were read.
	Checked time.Time
	// FullInDays is the forecast from the hourly readings ("full in about 23 days"); 0
	// when there is none (too few readings, a flat or shrinking trend).
	FullInDays float64
}

// Percent returns Used/Limit in percent, and false when there is no limit.
func (q *QuotaReport) Percent() (float64, bool) {
	if q == nil || !q.Supported || q.Limit <= 0 {
		return 0, false
	}
	return 100 * float64(q.Used) / float64(q.Limit), true
}

// FolderUsage is the size of one IMAP folder.
type FolderUsage struct {
	Name     string
	Messages int
	Size     int64 // bytes; -1 when the server does not say
}

// VerifyReport is the result of re-checking a backup folder.
type VerifyReport struct {
	Checked int
	Missing []string
	Changed []string
	// Restorable are the missing or changed ones the server still had at the last
	// backup (the next backup fetches them again); Lost are the others.
	Restorable []string
	Lost       []string
}

// OK reports whether every message was found intact.
func (v *VerifyReport) OK() bool { return len(v.Missing) == 0 && len(v.Changed) == 0 }

// SignInOffer is how the provider of an address wants users to sign in, as Postfach's
// built-in provider table knows it.
type SignInOffer struct {
	// OAuth2Only is set when the provider accepts no password for IMAP and POP3
	// (Outlook.com, Microsoft 365); otherwise a password works too (Gmail's app
	// passwords).
	OAuth2Only bool
	// Provider names the sign-in for the account config (Account.OAuthProvider), e.g.
	// "microsoft"; DisplayName is what the button says after "Sign in with".
	Provider, DisplayName string
	// Unavailable is set (oauth.ErrNotConfigured) when this build has no client ID for
	// the provider: the wizard says so instead of offering the button.
	Unavailable error
}
