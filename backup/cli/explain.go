package cli

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/mailerr"
	"github.com/postfach/postfach/accounts/secrets"
	"github.com/postfach/postfach/accounts/trust"
	"github.com/postfach/postfach/backup"
)

// Explain turns an error into a plain sentence with a way forward, keeping the technical
// detail at the end for people who need it.
func Explain(err error) string {
	var ce *trust.CertError
	var advice string
	switch {
	case errors.As(err, &ce) && ce.PinMismatch:
		advice = fmt.Sprintf("The server %s presents a different certificate from the one you trusted (now SHA-256 %s). "+
			"This can be an attack; check with your provider before trusting the new one.", ce.Host, ce.Fingerprint)
	case errors.As(err, &ce):
		advice = fmt.Sprintf("The certificate of %s is not trusted (subject %s, issuer %s, valid %s to %s, SHA-256 %s). "+
			"If you know this is your server's certificate, trust exactly it with --trust-fingerprint %s.",
			ce.Host, ce.Subject, ce.Issuer, ce.NotBefore.Format("2006-01-02"), ce.NotAfter.Format("2006-01-02"), ce.Fingerprint, ce.Fingerprint)
	case errors.Is(err, mailerr.ErrAuthFailed):
		advice = "The server rejected the user name or password. Check them; some providers need an app password or a separate mail password."
	case errors.Is(err, mailerr.ErrTemporary):
		advice = "The server is busy or the mailbox is in use by another program; try again in a few minutes."
	case errors.Is(err, mailerr.ErrStartTLSRefused):
		advice = "The server did not start encryption as required. No password was sent. Use implicit TLS (port 995 or 993) or ask your provider."
	case errors.Is(err, mailerr.ErrPlaintextRefused), errors.Is(err, accounts.ErrPlaintextNotAllowed):
		advice = "An unencrypted connection needs your explicit opt-in (--allow-plaintext)."
	case errors.Is(err, mailerr.ErrNotTLS):
		advice = "The server does not speak TLS on this port. Use port 995 (POP3) or 993 (IMAP) for TLS, or --security starttls on 110/143."
	case errors.Is(err, mailerr.ErrUnreachable):
		advice = "The server could not be reached. Check the server name, the port and your internet connection."
	case errors.Is(err, mailerr.ErrTimeout):
		advice = "The server stopped answering. Try again later."
	case errors.Is(err, mailerr.ErrNoUIDL):
		advice = "The server cannot name messages stably (no UIDL), so Postfach cannot back it up incrementally."
	case errors.Is(err, secrets.ErrNotFound):
		advice = "No password is stored for this account; remove and add it again."
	case errors.Is(err, secrets.ErrUnavailable):
		advice = "The system keyring is not available: " + secrets.Hint + "."
	case errors.Is(err, syscall.ENOSPC):
		advice = "The drive of the backup folder is full. Free some space and run the backup again; nothing was deleted from the server."
	case errors.Is(err, syscall.EROFS), errors.Is(err, syscall.EACCES):
		advice = "Postfach cannot write to the backup folder (read-only or no permission). Nothing was deleted from the server."
	case errors.Is(err, backup.ErrFolderMissing):
		advice = "The backup folder is missing. Connect the drive that holds it, then try again. Nothing was deleted from the server."
	case errors.Is(err, backup.ErrFolderReplaced):
		advice = "The backup folder is not the one earlier backups went to (was a drive unmounted?). Nothing was deleted from the server."
	case errors.Is(err, backup.ErrFolderForeign):
		advice = "The backup folder holds another mailbox's backup; choose a different folder."
	case errors.Is(err, backup.ErrBusy):
		advice = "Another backup of this folder is running; try again when it has finished."
	case errors.Is(err, accounts.ErrCorruptConfig), errors.Is(err, accounts.ErrNewerConfig):
		advice = "Postfach cannot read its settings and left the file untouched."
	case errors.Is(err, accounts.ErrNotFound):
		advice = "There is no account with that name; see \"postfach account list\"."
	}
	if advice == "" {
		return err.Error()
	}
	return advice + " (" + err.Error() + ")"
}
