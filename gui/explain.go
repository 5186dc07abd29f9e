package gui

import (
	"errors"
	"time"

	"fyne.io/fyne/v2/lang"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/discover"
	"github.com/postfach/postfach/accounts/trust"
	"github.com/postfach/postfach/backup"
	"github.com/postfach/postfach/backup/tr"
)

// fix names the action that best leads out of a problem; the connection test panel
// shows a button for it.
type fix int

const (
	fixNone            fix = iota
	fixPassword            // re-enter the password (or user name)
	fixTrustCert           // trust exactly the presented certificate
	fixUseTLS              // switch to implicit TLS on the standard port
	fixAcceptPlaintext     // explicitly accept an unencrypted connection
	fixServer              // check the server name, try another
)

// problem is an error explained for people: what happened, in plain words, and what to
// do about it.
type problem struct {
	Title  string
	Text   string
	Hints  []string
	Fix    fix
	Cert   *trust.CertError // set for certificate problems: the details to show
	Detail string           // the technical message, for support
}

// summary is the short form for notifications: what happened and the first thing to do.
func (p problem) summary() string {
	if len(p.Hints) == 0 {
		return p.Title + ". " + p.Text
	}
	return p.Title + ". " + p.Hints[0]
}

// explain turns an error from the core into a problem for the account it concerns.
// notes are provider hints from discovery. It switches on the error's kind
// (backup.KindOf), never on its text; a failure read back from the run history
// (backup.Result.Failure) carries its stored kind. Every kind has a case: a test fails
// when one is missing.
func explain(err error, acct accounts.Account, notes []discover.Note) problem {
	data := map[string]any{
		"Host": acct.Host, "Port": acct.Port, "User": acct.Username,
		"Protocol": protocolName(acct.Protocol), "Dir": "",
		"TLSPort": accounts.DefaultPort(acct.Protocol, accounts.TLS),
	}
	if acct.Backup != nil {
		data["Dir"] = acct.Backup.Dir
	}
	p := problem{Detail: err.Error()}
	var certErr *trust.CertError
	if errors.As(err, &certErr) {
		p.Cert = certErr
		p.Fix = fixTrustCert
		data["Host"] = certErr.Host
	}
	switch backup.KindOf(err) {
	case backup.KindCertChanged:
		p.Title = lang.L("The server's certificate has changed")
		p.Text = lang.L("{{.Host}} no longer shows the certificate you chose to trust. Either the server got a new certificate, or someone is trying to read your mail on the way.", data)
		p.Hints = []string{
			lang.L("Ask your provider whether they changed the certificate, and compare the fingerprint below."),
			lang.L("Only if they confirm it, trust the new certificate."),
		}
		if certErr == nil { // read back from the run history: no fingerprint to compare
			p.Hints[0] = lang.L("Open “Edit” and test the connection: Postfach then shows the certificate and lets you decide.")
		}
	case backup.KindCertUntrusted:
		p.Title = lang.L("The server's certificate is not trusted")
		if certErr == nil {
			// Read back from the run history: no certificate details to show here.
			p.Text = lang.L("{{.Host}} showed a certificate Postfach does not trust, or not the one you chose to trust.", data)
			p.Hints = []string{lang.L("Open “Edit” and test the connection: Postfach then shows the certificate and lets you decide.")}
			break
		}
		p.Text = lang.L("{{.Host}} identified itself with a certificate that no known authority vouches for, or that is made out to another name. That is normal for a server you run yourself and a warning sign anywhere else.", data)
		if !certErr.NotAfter.IsZero() && certErr.NotAfter.Before(time.Now()) {
			p.Text += " " + lang.L("The certificate expired on {{.Date}}.", map[string]any{"Date": formatDate(certErr.NotAfter)})
		}
		p.Hints = []string{
			lang.L("Check the server name: your provider's help page names the right one."),
			lang.L("Trust exactly this certificate only if it is your own server or your provider confirms the fingerprint below."),
		}
	case backup.KindAuth:
		p.Fix = fixPassword
		p.Title = lang.L("The server did not accept the user name or password")
		p.Text = lang.L("{{.Host}} answered, but refused the login for {{.User}}.", data)
		p.Hints = passwordHints(acct, notes)
	case backup.KindNoPassword:
		p.Fix = fixPassword
		p.Title = lang.L("No password stored")
		p.Text = lang.L("The system keyring has no password for this account.")
		p.Hints = passwordHints(acct, notes)
	case backup.KindReauth:
		p.Title = lang.L("Sign in again")
		p.Text = lang.L("The sign-in for {{.User}} has expired or was withdrawn, for example after a password change. Postfach cannot reach the mailbox until you sign in again; nothing was deleted.", data)
		p.Hints = []string{lang.L("Choose “Sign in again” on the account's card; the backup and its history stay as they are.")}
	case backup.KindOAuthUnavailable:
		p.Title = lang.L("Sign-in with this provider is not available in this build")
		p.Text = lang.L("This provider accepts only its own sign-in page, and this build of Postfach has no registration (client ID) for it.")
		p.Hints = []string{lang.L("Install Postfach from a distributor that enables Microsoft and Google sign-in, or build it with your own client ID (docs/oauth.md).")}
	case backup.KindKeyring:
		p.Title = lang.L("The system keyring is not available")
		p.Text = lang.L("Postfach keeps passwords only in the system keyring, and no keyring answered.")
		p.Hints = []string{lang.L("Start a keyring (GNOME Keyring, KDE Wallet or KeePassXC with Secret Service) and unlock it, then try again.")}
	case backup.KindStartTLSRefused:
		p.Fix = fixUseTLS
		p.Title = lang.L("The server refused to encrypt the connection")
		p.Text = lang.L("Postfach asked {{.Host}} to switch on encryption (STARTTLS) and it did not. Nothing was sent, not even your user name.", data)
		p.Hints = []string{
			lang.L("Use encryption from the start (TLS, port {{.TLSPort}}) instead; most providers offer it.", data),
			lang.L("If that fails too, ask your provider for its encrypted server settings."),
		}
	case backup.KindPlaintextRefused:
		p.Fix = fixAcceptPlaintext
		p.Title = lang.L("This setting would send your password unencrypted")
		p.Text = lang.L("Without encryption your password and every mail cross the network readable by anyone on the way: in a public Wi-Fi, at your internet provider, at the mail provider.")
		p.Hints = []string{
			lang.L("Choose “Encrypted (TLS)”: almost every provider supports it."),
			lang.L("Accept the risk only for your own server in your own network."),
		}
	case backup.KindNotTLS:
		p.Fix = fixServer
		p.Title = lang.L("The server does not encrypt on this port")
		p.Text = lang.L("{{.Host}} answered on port {{.Port}} without encryption, where Postfach expected TLS from the first byte. Usually the port belongs to the other setting.", data)
		p.Hints = []string{
			lang.L("Use port {{.TLSPort}} with “Encrypted (TLS)”, or keep the port and choose STARTTLS.", data),
		}
	case backup.KindUnreachable:
		p.Fix = fixServer
		p.Title = lang.L("The server could not be reached")
		p.Text = lang.L("No answer from {{.Host}} on port {{.Port}}: the name may be misspelt or unknown, or the port is blocked.", data)
		p.Hints = []string{
			lang.L("Check the server name against your provider's help page."),
			lang.L("Check that this PC is online."),
			lang.L("Some networks (hotels, offices) block mail ports; try another network."),
		}
	case backup.KindTimeout:
		p.Fix = fixServer
		p.Title = lang.L("The server did not answer in time")
		p.Text = lang.L("{{.Host}} stopped answering. The server or the network may be slow or overloaded.", data)
		p.Hints = []string{
			lang.L("Try again in a few minutes."),
			lang.L("If it keeps happening, check the port and the encryption setting."),
		}
	case backup.KindServerBusy:
		p.Title = lang.L("The server is busy")
		p.Text = lang.L("{{.Host}} cannot serve the mailbox right now; another program may be fetching mail, or the provider limits how often you may log in.", data)
		p.Hints = []string{lang.L("Try again in a few minutes.")}
	case backup.KindNoUIDL:
		p.Title = lang.L("This server cannot be backed up with POP3")
		p.Text = lang.L("The server gives its messages no stable names (UIDL), so Postfach cannot tell new mail from old and could never delete safely.")
		p.Hints = []string{lang.L("Use IMAP for this address, or ask your provider about it.")}
	case backup.KindQuotaUnsupported:
		p.Title = lang.L("The server does not report its quota")
		p.Text = lang.L("{{.Host}} does not say how full the mailbox is, so Postfach shows the use as unknown.", data)
		p.Hints = []string{lang.L("Your provider's web mail usually shows how full the mailbox is.")}
	case backup.KindProtocol:
		p.Fix = fixServer
		p.Title = lang.L("The server answered in an unexpected way")
		p.Text = lang.L("The program at {{.Host}} port {{.Port}} does not speak {{.Protocol}} as expected.", data)
		p.Hints = []string{lang.L("Check port and encryption: {{.Protocol}} normally uses port {{.TLSPort}} with TLS.", data)}
	case backup.KindDiskFull:
		p.Title = lang.L("The backup drive is full")
		p.Text = lang.L("There is no room left for new mail in {{.Dir}}.", data)
		p.Hints = []string{lang.L("Free some space on the drive, then back up again. Nothing was deleted from the server.")}
	case backup.KindNotWritable:
		p.Title = lang.L("Postfach cannot write to the backup folder")
		p.Text = lang.L("{{.Dir}} is read-only, or Postfach lacks the permission to write there.", data)
		p.Hints = []string{lang.L("Check the folder's permissions, or choose another folder under “Edit”. Nothing was deleted from the server.")}
	case backup.KindFolderMissing:
		p.Title = lang.L("The backup folder is missing")
		p.Text = lang.L("{{.Dir}} is not there. Is the external drive unplugged, or the network folder not connected?", data)
		p.Hints = []string{lang.L("Connect the drive and try again. Nothing was downloaded and nothing deleted.")}
	case backup.KindFolderReplaced:
		p.Title = lang.L("The backup folder was replaced")
		p.Text = lang.L("{{.Dir}} is not the folder earlier backups were written to.", data)
		p.Hints = []string{lang.L("Connect the right drive, or choose a new folder under “Edit”. Nothing was deleted from the server.")}
	case backup.KindFolderForeign:
		p.Title = lang.L("The backup folder belongs to another mailbox")
		p.Text = lang.L("{{.Dir}} holds the backup of a different account.", data)
		p.Hints = []string{lang.L("Choose a folder of its own for this account under “Edit”.")}
	case backup.KindFolderShared:
		p.Title = lang.L("Another account uses this backup folder")
		p.Text = lang.L("{{.Dir}} also holds the backup of another account, so Postfach did not delete it.", data)
		p.Hints = []string{lang.L("Remove the account and keep the backup folder, or remove the other account first.")}
	case backup.KindBusy:
		p.Title = lang.L("A backup is already running")
		p.Text = lang.L("Another Postfach, perhaps the command line, is backing up this folder right now.")
		p.Hints = []string{lang.L("Wait until it has finished.")}
	case backup.KindNotPOP3:
		p.Title = lang.L("Only POP3 accounts are backed up")
		p.Text = lang.L("An IMAP account keeps its mail on the server; there is nothing for Postfach to back up.")
	case backup.KindConfig:
		p.Title = lang.L("Postfach cannot read its settings")
		p.Text = lang.L("The settings file is damaged or was written by a newer Postfach. Postfach left it untouched.")
		p.Hints = []string{lang.L("Install the newest Postfach, or restore the settings file from a backup.")}
	case backup.KindNoAccount:
		p.Title = lang.L("The account no longer exists")
		p.Text = lang.L("It was removed, perhaps in another Postfach window or on the command line.")
	case backup.KindDuplicate:
		p.Title = lang.L("An account with this name already exists")
		p.Text = lang.L("Each account needs a name of its own.")
		p.Hints = []string{lang.L("Choose another display name.")}
	case backup.KindProtocolSwitch:
		p.Title = lang.L("The protocol of an account cannot change")
		p.Text = lang.L("Switching between POP3 and IMAP would leave mail behind on the server or on this PC.")
		p.Hints = []string{lang.L("Postfach can move your mail for you: use the switch assistant. It takes time and space.")}
	case backup.KindWontFit:
		p.Title = lang.L("The mail does not fit")
		p.Text = lang.L("The free space on the server is smaller than the mail to copy. Nothing more was sent.")
		p.Hints = []string{lang.L("Free space on the server or ask your provider for more, then start again.")}
	case backup.KindNotVerified:
		p.Title = lang.L("Not every message could be verified")
		p.Text = lang.L("Some copies could not be checked at their destination, so nothing was switched or deleted for them.")
		p.Hints = []string{lang.L("Start again; Postfach continues where it stopped and copies nothing twice.")}
	case backup.KindNoUIDPlus:
		p.Title = lang.L("The server cannot delete single messages")
		p.Text = lang.L("It lacks the UIDPLUS extension, so Postfach deleted nothing. The archive copies are kept.")
	case backup.KindCanceled:
		p.Title = lang.L("Stopped")
		p.Text = lang.L("The work was stopped before it finished. Nothing was lost; the next run continues where this one stopped.")
	default: // backup.KindUnknown
		p.Title = lang.L("Something went wrong")
		p.Text = err.Error()
	}
	if p.Cert == nil && p.Fix == fixTrustCert {
		p.Fix = fixNone
	}
	return p
}

// passwordHints are the ways out of a refused or missing password: the provider's hints
// from the wizard's discovery, else those the built-in provider table has for the
// account's address (no network), then the general ones.
func passwordHints(acct accounts.Account, notes []discover.Note) []string {
	if len(notes) == 0 {
		notes = discover.ProviderNotes(acct.Email, string(acct.Protocol))
	}
	var hints []string
	for _, n := range notes {
		hints = append(hints, tr.NoteText(fyneText{}, n))
	}
	return append(hints,
		lang.L("Check the password; capital and small letters count."),
		lang.L("The user name is usually the full e-mail address; some providers use a customer number instead."),
		lang.L("Many providers want a separate password for mail programs (an “app password”)."),
	)
}

// isTemporary reports failures that fix themselves (network, busy server): the scheduler
// retries them, so a notification for each would only nag.
func isTemporary(err error) bool { return backup.KindOf(err).Temporary() }
