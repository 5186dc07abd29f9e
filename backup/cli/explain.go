package cli

import (
	"errors"

	"github.com/postfach/postfach/accounts/trust"
	"github.com/postfach/postfach/backup"
)

// explain turns an error into a plain sentence in env's language with a way forward,
// keeping the technical detail (not translated) at the end for people who need it.
func (env *Env) explain(err error) string {
	advice := env.advise(err)
	if advice == "" {
		return err.Error()
	}
	return advice + " (" + err.Error() + ")"
}

// advise switches on the error's kind (backup.KindOf), never on its text. Every kind
// but KindUnknown has a sentence in German and English: a test fails when one is
// missing.
func (env *Env) advise(err error) string {
	var ce *trust.CertError
	hasCert := errors.As(err, &ce)
	switch backup.KindOf(err) {
	case backup.KindCertChanged:
		if !hasCert {
			return env.L("The server presents a different certificate from the one you trusted. This can be an attack; check with your provider before trusting the new one.")
		}
		return env.L("The server {{.Host}} presents a different certificate from the one you trusted (now SHA-256 {{.Fingerprint}}). This can be an attack; check with your provider before trusting the new one.",
			map[string]any{"Host": ce.Host, "Fingerprint": ce.Fingerprint})
	case backup.KindCertUntrusted:
		if !hasCert {
			return env.L("The server's certificate is not trusted. Run \"postfach test NAME\" to see it.")
		}
		return env.L("The certificate of {{.Host}} is not trusted (subject {{.Subject}}, issuer {{.Issuer}}, valid {{.From}} to {{.To}}, SHA-256 {{.Fingerprint}}). If you know this is your server's certificate, trust exactly it with --trust-fingerprint {{.Fingerprint}}.",
			map[string]any{"Host": ce.Host, "Subject": ce.Subject, "Issuer": ce.Issuer, "From": ce.NotBefore.Format("2006-01-02"),
				"To": ce.NotAfter.Format("2006-01-02"), "Fingerprint": ce.Fingerprint})
	case backup.KindAuth:
		return env.L("The server rejected the user name or password. Check them; some providers need an app password or a separate mail password.")
	case backup.KindReauth:
		return env.L("The sign-in with the provider has expired or was revoked (for example after a password change). Sign in again with \"postfach account signin NAME\"; nothing was deleted.")
	case backup.KindOAuthUnavailable:
		return env.L("This build of Postfach has no client ID for this provider, so signing in with it is not available. Use a build that has one (docs/oauth.md says how distributors add it), or register your own app and give its ID with --oauth-client-id.")
	case backup.KindNoPassword:
		return env.L("No password is stored for this account; remove and add it again.")
	case backup.KindKeyring:
		return env.L("The system keyring is not available.") + " " +
			env.L("Start a keyring (GNOME Keyring, KDE Wallet or KeePassXC with Secret Service) and unlock it, then try again.")
	case backup.KindStartTLSRefused:
		return env.L("The server did not start encryption as required. No password was sent. Use implicit TLS (port 995 or 993) or ask your provider.")
	case backup.KindPlaintextRefused:
		return env.L("An unencrypted connection needs your explicit opt-in (--allow-plaintext).")
	case backup.KindNotTLS:
		return env.L("The server does not speak TLS on this port. Use port 995 (POP3) or 993 (IMAP) for TLS, or --security starttls on 110/143.")
	case backup.KindUnreachable:
		return env.L("The server could not be reached. Check the server name, the port and your internet connection.")
	case backup.KindTimeout:
		return env.L("The server stopped answering. Try again later.")
	case backup.KindServerBusy:
		return env.L("The server is busy or the mailbox is in use by another program; try again in a few minutes.")
	case backup.KindNoUIDL:
		return env.L("The server cannot name messages stably (no UIDL), so Postfach cannot back it up incrementally.")
	case backup.KindQuotaUnsupported:
		return env.L("The server does not report its quota.")
	case backup.KindProtocol:
		return env.L("The server answered in a way its protocol does not allow. Check the port and --security; if they are right, tell your provider.")
	case backup.KindDiskFull:
		return env.L("The drive of the backup folder is full. Free some space and run the backup again; nothing was deleted from the server.")
	case backup.KindNotWritable:
		return env.L("Postfach cannot write to the backup folder (read-only or no permission). Nothing was deleted from the server.")
	case backup.KindFolderMissing:
		return env.L("The backup folder is missing. Connect the drive that holds it, then try again. Nothing was deleted from the server.")
	case backup.KindFolderReplaced:
		return env.L("The backup folder is not the one earlier backups went to (was a drive unmounted?). Nothing was deleted from the server.")
	case backup.KindFolderForeign:
		return env.L("The backup folder holds another mailbox's backup; choose a different folder.")
	case backup.KindFolderShared:
		return env.L("Another account backs up into the same folder, so it was not deleted.")
	case backup.KindBusy:
		return env.L("Another backup of this folder is running; try again when it has finished.")
	case backup.KindNotPOP3:
		return env.L("Only POP3 accounts are backed up; an IMAP account keeps its mail on the server.")
	case backup.KindConfig:
		return env.L("Postfach cannot read its settings and left the file untouched.")
	case backup.KindNoAccount:
		return env.L("There is no account with that name; see \"postfach account list\".")
	case backup.KindDuplicate:
		return env.L("An account with this name already exists; choose another --name.")
	case backup.KindProtocolSwitch:
		return env.L("The protocol of an existing account cannot change by editing; \"postfach switch NAME --to imap|pop3\" moves the mail and then switches.")
	case backup.KindWontFit:
		return env.L("The mail does not fit into the free space on the server. Nothing more was sent; free space there (or ask for more) and run the command again.")
	case backup.KindNotVerified:
		return env.L("Not every message could be verified at its destination, so nothing was switched or deleted for it. Run the command again; it continues where it stopped.")
	case backup.KindNoUIDPlus:
		return env.L("The server cannot delete single messages safely (no UIDPLUS), so Postfach deleted nothing. The archive copy is kept.")
	case backup.KindCanceled:
		return env.L("Stopped before the end. Nothing was lost; the next run continues.")
	}
	return ""
}
