package backup

import (
	"context"
	"errors"
	"io/fs"
	"syscall"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/imap"
	"github.com/postfach/postfach/accounts/mailerr"
	"github.com/postfach/postfach/accounts/oauth"
	"github.com/postfach/postfach/accounts/secrets"
	"github.com/postfach/postfach/accounts/trust"
	"github.com/postfach/postfach/backup/imapcopy"
)

// Kind is a stable code for what went wrong, derived from an error's sentinels with
// errors.Is and errors.As. It is stored with each run in the history (Result.Kind), so
// that an explanation survives a restart, and both faces explain a failure by switching
// on it: rewording an error text never changes what the user is told. The codes are part
// of the history file format and of `postfach backup --json`: never rename one.
type Kind string

// The kinds, most specific first in the order KindOf tests them.
const (
	KindNone             Kind = ""                     // no error
	KindCanceled         Kind = "canceled"             // stopped by the user or on quit
	KindCertChanged      Kind = "cert-changed"         // a pinned certificate changed
	KindCertUntrusted    Kind = "cert-untrusted"       // certificate not trusted
	KindAuth             Kind = "auth"                 // user name or password refused
	KindNoPassword       Kind = "no-password"          // no password in the keyring
	KindReauth           Kind = "reauth-required"      // OAuth2 sign-in expired or revoked
	KindOAuthUnavailable Kind = "oauth-not-configured" // no client ID for the provider
	KindKeyring          Kind = "keyring-unavailable"  // no keyring answered
	KindStartTLSRefused  Kind = "starttls-refused"     // the server would not encrypt
	KindPlaintextRefused Kind = "plaintext-refused"    // unencrypted without the opt-in
	KindNotTLS           Kind = "not-tls"              // no TLS on this port
	KindUnreachable      Kind = "unreachable"          // name or port unreachable
	KindTimeout          Kind = "timeout"              // the server stopped answering
	KindServerBusy       Kind = "server-busy"          // mailbox in use, login delay
	KindNoUIDL           Kind = "no-uidl"              // no stable message names
	KindQuotaUnsupported Kind = "quota-unsupported"    // the server reports no quota
	KindProtocol         Kind = "protocol"             // a reply that breaks the protocol
	KindDiskFull         Kind = "disk-full"            // the backup drive is full
	KindNotWritable      Kind = "not-writable"         // read-only or no permission
	KindFolderMissing    Kind = "folder-missing"       // the backup folder is gone
	KindFolderReplaced   Kind = "folder-replaced"      // another folder in its place
	KindFolderForeign    Kind = "folder-foreign"       // another mailbox's backup
	KindFolderShared     Kind = "folder-shared"        // another account uses the folder
	KindBusy             Kind = "backup-running"       // another run holds the folder
	KindNotPOP3          Kind = "not-pop3"             // only POP3 accounts are backed up
	KindConfig           Kind = "config-unreadable"    // damaged or newer config file
	KindNoAccount        Kind = "no-account"           // no account of that name
	KindDuplicate        Kind = "duplicate"            // the name is taken
	KindProtocolSwitch   Kind = "protocol-switch"      // POP3 <-> IMAP on an existing account
	KindWontFit          Kind = "wont-fit"             // the destination's quota is too small
	KindNotVerified      Kind = "not-verified"         // a copy could not be verified
	KindNoUIDPlus        Kind = "no-uidplus"           // the server cannot delete single messages
	KindUnknown          Kind = "unknown"              // none of the above
)

// Kinds returns every kind but KindNone, for tests that check each face explains all.
func Kinds() []Kind {
	return []Kind{
		KindCanceled, KindCertChanged, KindCertUntrusted, KindAuth, KindNoPassword, KindReauth,
		KindOAuthUnavailable, KindKeyring,
		KindStartTLSRefused, KindPlaintextRefused, KindNotTLS, KindUnreachable, KindTimeout,
		KindServerBusy, KindNoUIDL, KindQuotaUnsupported, KindProtocol, KindDiskFull, KindNotWritable,
		KindFolderMissing, KindFolderReplaced, KindFolderForeign, KindFolderShared, KindBusy, KindNotPOP3,
		KindConfig, KindNoAccount, KindDuplicate, KindProtocolSwitch, KindWontFit, KindNotVerified,
		KindNoUIDPlus, KindUnknown,
	}
}

// kindOf pairs a test with its kind; KindOf returns the first that matches, so the
// order says which sentinel wins when an error carries several (a timeout is also
// "temporary", a certificate error wraps its reason).
var kindOf = []struct {
	kind Kind
	is   func(error) bool
}{
	{KindCanceled, is(context.Canceled)},
	{KindCertChanged, func(err error) bool {
		var ce *trust.CertError
		return errors.As(err, &ce) && ce.PinMismatch
	}},
	{KindCertUntrusted, is(trust.ErrUntrusted)},
	// Before KindAuth: a refused token that could not be refreshed is "sign in again",
	// not "wrong password".
	{KindReauth, is(oauth.ErrReauthRequired)},
	{KindOAuthUnavailable, is(oauth.ErrNotConfigured)},
	{KindAuth, is(mailerr.ErrAuthFailed)},
	{KindNoPassword, is(secrets.ErrNotFound)},
	{KindKeyring, is(secrets.ErrUnavailable)},
	{KindStartTLSRefused, is(mailerr.ErrStartTLSRefused)},
	{KindPlaintextRefused, is(mailerr.ErrPlaintextRefused, accounts.ErrPlaintextNotAllowed)},
	{KindNotTLS, is(mailerr.ErrNotTLS)},
	{KindUnreachable, is(mailerr.ErrUnreachable)},
	{KindTimeout, is(mailerr.ErrTimeout, context.DeadlineExceeded)},
	{KindServerBusy, is(mailerr.ErrTemporary)},
	{KindNoUIDL, is(mailerr.ErrNoUIDL)},
	{KindQuotaUnsupported, is(mailerr.ErrQuotaUnsupported)},
	{KindProtocol, is(mailerr.ErrProtocol)},
	{KindDiskFull, diskFull},
	{KindNotWritable, is(fs.ErrPermission, syscall.EROFS)},
	{KindFolderMissing, is(ErrFolderMissing)},
	{KindFolderReplaced, is(ErrFolderReplaced)},
	{KindFolderForeign, is(ErrFolderForeign)},
	{KindFolderShared, is(accounts.ErrFolderShared)},
	{KindBusy, is(ErrBusy)},
	{KindNotPOP3, is(ErrNotPOP3)},
	{KindConfig, is(accounts.ErrCorruptConfig, accounts.ErrNewerConfig)},
	{KindNoAccount, is(accounts.ErrNotFound)},
	{KindDuplicate, is(accounts.ErrDuplicate)},
	{KindProtocolSwitch, is(accounts.ErrProtocolSwitch)},
	{KindWontFit, is(imapcopy.ErrWontFit, imap.ErrOverQuota)},
	{KindNotVerified, is(imapcopy.ErrVerify, imapcopy.ErrNotArchived)},
	{KindNoUIDPlus, is(imap.ErrNoUIDPlus)},
}

func is(targets ...error) func(error) bool {
	return func(err error) bool {
		for _, t := range targets {
			if errors.Is(err, t) {
				return true
			}
		}
		return false
	}
}

// KindOf classifies an error: KindNone for nil, KindUnknown when no sentinel matches.
func KindOf(err error) Kind {
	if err == nil {
		return KindNone
	}
	var ke *KindError
	if errors.As(err, &ke) {
		return ke.Kind
	}
	for _, k := range kindOf {
		if k.is(err) {
			return k.kind
		}
	}
	return KindUnknown
}

// Temporary reports kinds that may fix themselves (network, busy server): the scheduler
// retries them, so a notification for each would only nag.
func (k Kind) Temporary() bool {
	return k == KindUnreachable || k == KindTimeout || k == KindServerBusy
}

// KindError is an error whose kind is known but whose chain is not: a failure read back
// from the run history, where only its text and kind survive.
type KindError struct {
	Kind Kind
	Text string
}

func (e *KindError) Error() string { return e.Text }

// Failure returns the error that ended a run from its history entry, nil for a run
// that finished; KindOf it is the stored kind (KindUnknown for entries written before
// kinds were stored).
func (r *Result) Failure() error {
	if r.Err == "" {
		return nil
	}
	k := r.Kind
	if k == KindNone {
		k = KindUnknown
	}
	return &KindError{Kind: k, Text: r.Err}
}
