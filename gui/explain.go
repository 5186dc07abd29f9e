package gui

import (
	"context"
	"errors"
	"strings"
	"time"

	"fyne.io/fyne/v2/lang"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/mailerr"
	"github.com/postfach/postfach/accounts/secrets"
	"github.com/postfach/postfach/accounts/trust"
	"github.com/postfach/postfach/backup"
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
// notes are provider hints from discovery.
func explain(err error, acct accounts.Account, notes []string) problem {
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
	switch {
	case errors.As(err, &certErr):
		p.Cert = certErr
		p.Fix = fixTrustCert
		data["Host"] = certErr.Host
		if certErr.PinMismatch {
			p.Title = lang.L("The server's certificate has changed")
			p.Text = lang.L("{{.Host}} no longer shows the certificate you chose to trust. Either the server got a new certificate, or someone is trying to read your mail on the way.", data)
			p.Hints = []string{
				lang.L("Ask your provider whether they changed the certificate, and compare the fingerprint below."),
				lang.L("Only if they confirm it, trust the new certificate."),
			}
			break
		}
		p.Title = lang.L("The server's certificate is not trusted")
		p.Text = lang.L("{{.Host}} identified itself with a certificate that no known authority vouches for, or that is made out to another name. That is normal for a server you run yourself and a warning sign anywhere else.", data)
		if !certErr.NotAfter.IsZero() && certErr.NotAfter.Before(time.Now()) {
			p.Text += " " + lang.L("The certificate expired on {{.Date}}.", map[string]any{"Date": formatDate(certErr.NotAfter)})
		}
		p.Hints = []string{
			lang.L("Check the server name: your provider's help page names the right one."),
			lang.L("Trust exactly this certificate only if it is your own server or your provider confirms the fingerprint below."),
		}
	case errors.Is(err, trust.ErrUntrusted):
		// Only the text survived (run history): no certificate details to show here.
		p.Title = lang.L("The server's certificate is not trusted")
		p.Text = lang.L("{{.Host}} showed a certificate Postfach does not trust, or not the one you chose to trust.", data)
		p.Hints = []string{lang.L("Open “Edit” and test the connection: Postfach then shows the certificate and lets you decide.")}
	case errors.Is(err, mailerr.ErrAuthFailed), errors.Is(err, secrets.ErrNotFound):
		p.Fix = fixPassword
		p.Title = lang.L("The server did not accept the user name or password")
		p.Text = lang.L("{{.Host}} answered, but refused the login for {{.User}}.", data)
		if errors.Is(err, secrets.ErrNotFound) {
			p.Title = lang.L("No password stored")
			p.Text = lang.L("The system keyring has no password for this account.")
		}
		p.Hints = append(providerNotes(acct.Email), notes...)
		p.Hints = append(p.Hints,
			lang.L("Check the password; capital and small letters count."),
			lang.L("The user name is usually the full e-mail address; some providers use a customer number instead."),
			lang.L("Many providers want a separate password for mail programs (an “app password”)."),
		)
	case errors.Is(err, mailerr.ErrStartTLSRefused):
		p.Fix = fixUseTLS
		p.Title = lang.L("The server refused to encrypt the connection")
		p.Text = lang.L("Postfach asked {{.Host}} to switch on encryption (STARTTLS) and it did not. Nothing was sent, not even your user name.", data)
		p.Hints = []string{
			lang.L("Use encryption from the start (TLS, port {{.TLSPort}}) instead; most providers offer it.", data),
			lang.L("If that fails too, ask your provider for its encrypted server settings."),
		}
	case errors.Is(err, mailerr.ErrPlaintextRefused), errors.Is(err, accounts.ErrPlaintextNotAllowed):
		p.Fix = fixAcceptPlaintext
		p.Title = lang.L("This setting would send your password unencrypted")
		p.Text = lang.L("Without encryption your password and every mail cross the network readable by anyone on the way: in a public Wi-Fi, at your internet provider, at the mail provider.")
		p.Hints = []string{
			lang.L("Choose “Encrypted (TLS)”: almost every provider supports it."),
			lang.L("Accept the risk only for your own server in your own network."),
		}
	case errors.Is(err, mailerr.ErrUnreachable):
		p.Fix = fixServer
		p.Title = lang.L("The server could not be reached")
		p.Text = lang.L("No answer from {{.Host}} on port {{.Port}}: the name may be misspelt or unknown, or the port is blocked.", data)
		p.Hints = []string{
			lang.L("Check the server name against your provider's help page."),
			lang.L("Check that this PC is online."),
			lang.L("Some networks (hotels, offices) block mail ports; try another network."),
		}
	case errors.Is(err, mailerr.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		p.Fix = fixServer
		p.Title = lang.L("The server did not answer in time")
		p.Text = lang.L("{{.Host}} stopped answering. The server or the network may be slow or overloaded.", data)
		p.Hints = []string{
			lang.L("Try again in a few minutes."),
			lang.L("If it keeps happening, check the port and the encryption setting."),
		}
	case errors.Is(err, mailerr.ErrTemporary):
		p.Title = lang.L("The server is busy")
		p.Text = lang.L("{{.Host}} cannot serve the mailbox right now; another program may be fetching mail, or the provider limits how often you may log in.", data)
		p.Hints = []string{lang.L("Try again in a few minutes.")}
	case errors.Is(err, mailerr.ErrNoUIDL):
		p.Title = lang.L("This server cannot be backed up with POP3")
		p.Text = lang.L("The server gives its messages no stable names (UIDL), so Postfach cannot tell new mail from old and could never delete safely.")
		p.Hints = []string{lang.L("Use IMAP for this address, or ask your provider about it.")}
	case errors.Is(err, mailerr.ErrProtocol):
		p.Fix = fixServer
		p.Title = lang.L("The server answered in an unexpected way")
		p.Text = lang.L("The program at {{.Host}} port {{.Port}} does not speak {{.Protocol}} as expected.", data)
		p.Hints = []string{lang.L("Check port and encryption: {{.Protocol}} normally uses port {{.TLSPort}} with TLS.", data)}
	case errors.Is(err, secrets.ErrUnavailable):
		p.Title = lang.L("The system keyring is not available")
		p.Text = lang.L("Postfach keeps passwords only in the system keyring, and no keyring answered.")
		p.Hints = []string{lang.L("Start a keyring (GNOME Keyring, KDE Wallet or KeePassXC with Secret Service) and unlock it, then try again.")}
	case errors.Is(err, backup.ErrFolderMissing):
		p.Title = lang.L("The backup folder is missing")
		p.Text = lang.L("{{.Dir}} is not there. Is the external drive unplugged, or the network folder not connected?", data)
		p.Hints = []string{lang.L("Connect the drive and try again. Nothing was downloaded and nothing deleted.")}
	case errors.Is(err, backup.ErrFolderReplaced):
		p.Title = lang.L("The backup folder was replaced")
		p.Text = lang.L("{{.Dir}} is not the folder earlier backups were written to.", data)
		p.Hints = []string{lang.L("Connect the right drive, or choose a new folder under “Edit”. Nothing was deleted from the server.")}
	case errors.Is(err, backup.ErrFolderForeign):
		p.Title = lang.L("The backup folder belongs to another mailbox")
		p.Text = lang.L("{{.Dir}} holds the backup of a different account.", data)
		p.Hints = []string{lang.L("Choose a folder of its own for this account under “Edit”.")}
	case errors.Is(err, backup.ErrBusy):
		p.Title = lang.L("A backup is already running")
		p.Text = lang.L("Another Postfach, perhaps the command line, is backing up this folder right now.")
		p.Hints = []string{lang.L("Wait until it has finished.")}
	case errors.Is(err, accounts.ErrDuplicate):
		p.Title = lang.L("An account with this name already exists")
		p.Text = lang.L("Each account needs a name of its own.")
		p.Hints = []string{lang.L("Choose another display name.")}
	default:
		p.Title = lang.L("Something went wrong")
		p.Text = err.Error()
	}
	return p
}

// providerNotes are hints for providers whose login rules trip people up.
func providerNotes(email string) []string {
	_, domain, _ := strings.Cut(strings.ToLower(email), "@")
	switch domain {
	case "gmail.com", "googlemail.com":
		return []string{lang.L("Gmail: mail programs need an app password (Google account → Security → App passwords); your normal password does not work.")}
	case "t-online.de", "magenta.de":
		return []string{lang.L("Telekom: mail programs need the separate “E-Mail-Passwort” from the Telekom customer centre, not your login password.")}
	case "outlook.com", "hotmail.com", "hotmail.de", "live.com", "live.de", "msn.com":
		return []string{lang.L("Microsoft: use an app password, and check that POP and IMAP are enabled in the Outlook.com settings.")}
	case "gmx.de", "gmx.net", "gmx.at", "gmx.ch", "web.de":
		return []string{lang.L("GMX and WEB.DE: first allow “POP3/IMAP access” in the settings of the web mailer.")}
	case "icloud.com", "me.com", "mac.com":
		return []string{lang.L("iCloud: mail programs need an app-specific password from your Apple account.")}
	case "yahoo.com", "yahoo.de":
		return []string{lang.L("Yahoo: mail programs need an app password from the account security settings.")}
	}
	return nil
}

// isTemporary reports failures that fix themselves (network, busy server): the scheduler
// retries them, so a notification for each would only nag.
func isTemporary(err error) bool {
	return mailerr.IsTemporary(err) || errors.Is(err, context.DeadlineExceeded)
}

// knownErrors are the sentinels errorFromText recognises.
var knownErrors = []error{
	mailerr.ErrAuthFailed, mailerr.ErrTemporary, mailerr.ErrStartTLSRefused, mailerr.ErrPlaintextRefused,
	mailerr.ErrUnreachable, mailerr.ErrTimeout, mailerr.ErrProtocol, mailerr.ErrNoUIDL,
	secrets.ErrNotFound, secrets.ErrUnavailable,
	backup.ErrFolderMissing, backup.ErrFolderReplaced, backup.ErrFolderForeign, backup.ErrBusy,
}

// textError is an error read back from the run history, where only its text survives.
type textError struct {
	text string
	kind error
}

func (e *textError) Error() string { return e.text }
func (e *textError) Unwrap() error { return e.kind }

// errorFromText rebuilds an error from its text so that explain can still say what to do
// about a failure from an earlier session: the text of a wrapped sentinel contains the
// sentinel's own text.
func errorFromText(s string) error {
	e := &textError{text: s}
	if strings.Contains(s, "certificate of ") && (strings.Contains(s, " not trusted") || strings.Contains(s, " changed")) {
		e.kind = trust.ErrUntrusted // the wording of trust.CertError.Error
		return e
	}
	for _, k := range knownErrors {
		if strings.Contains(s, k.Error()) {
			e.kind = k
			break
		}
	}
	return e
}
