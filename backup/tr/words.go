package tr

import (
	"strings"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/discover"
)

// Translator words a catalog key: the command line's [Printer], and in the desktop app a
// thin adapter over Fyne's lang.L and lang.N (both read the same catalogs). The wordings
// below take one, so that the app and the command line say the same thing the same way
// from one switch each.
type Translator interface {
	L(key string, data ...any) string
	N(key string, count int, data ...any) string
}

// NoteText words a provider hint from discovery by its code (every discover.NoteCode has
// a case; the tests walk discover.NoteCodes); a code this build does not know keeps the
// English text it came with.
func NoteText(t Translator, n discover.Note) string {
	var s string
	switch n.Code {
	case discover.NoteTelekomPassword:
		s = t.L("Telekom needs the separate “E-Mail-Passwort” for mail programs, which you set in the Telekom E-Mail Center; your Telekom login password does not work here.")
	case discover.NoteGMXAccess:
		s = t.L("If GMX refuses the connection, switch on “POP3 und IMAP Zugriff erlauben” in the GMX web mail settings (POP3 & IMAP).")
	case discover.NoteGMXComAccess:
		s = t.L("If GMX refuses the connection, allow POP3 and IMAP access in the GMX web mail settings.")
	case discover.NoteWebDEAccess:
		s = t.L("WEB.DE only lets mail programs in after you switch on “POP3/IMAP Abruf” in the WEB.DE web mail settings.")
	case discover.NoteGmailPOP:
		s = t.L("POP must first be switched on in Gmail's settings (See all settings → Forwarding and POP/IMAP).")
	case discover.NoteGoogleSignIn:
		s = t.L("Google does not accept your normal password here: sign in with Google, or use an app password created in your Google account's security settings (it needs two-step verification).")
	case discover.NoteOutlookPOP:
		s = t.L("POP must first be switched on in Outlook.com's settings (Mail → Forwarding and IMAP → “Let devices and apps use POP”).")
	case discover.NoteMicrosoftOAuth2:
		s = t.L("Microsoft accepts only “Sign in with Microsoft” for IMAP and POP; passwords and app passwords are refused.")
	case discover.NoteYahooAppPassword:
		s = t.L("Yahoo does not accept your normal password here: use an app password created in your Yahoo account's security settings (it needs two-step verification).")
	case discover.NoteICloudAppPassword:
		s = t.L("iCloud Mail needs an app-specific password created at account.apple.com, not your Apple Account password.")
	case discover.NoteICloudUsername:
		s = t.L("The user name is the part of your iCloud Mail address before the @. If it is refused, try the full address.")
	case discover.NoteICloudNoPOP3:
		s = t.L("iCloud Mail does not offer POP3.")
	case discover.NoteEnable:
		s = t.L("To let mail programs in, your provider says: {{.Text}}", map[string]any{"Text": n.Detail})
	case discover.NoteHelp:
		s = t.L("Your provider's help: {{.Text}}", map[string]any{"Text": n.Detail})
	case discover.NoteAuthOnly:
		s = t.L("Your provider names only these sign-in methods for this server, so a password may not work: {{.Methods}}", map[string]any{"Methods": n.Detail})
	default:
		return n.String()
	}
	if n.Link != "" {
		s += " (" + n.Link + ")"
	}
	return s
}

// ConfirmText says why a discovered server needs the user's confirmation, from its
// codes (discover.Reason…); without a code it knows, the English reason it came with.
func ConfirmText(t Translator, codes []string, english string) string {
	var out []string
	for _, code := range codes {
		switch code {
		case discover.ReasonHTTP:
			out = append(out, t.L("These settings came over an unencrypted connection, so someone on the way could have changed them."))
		case discover.ReasonOtherDomain:
			out = append(out, t.L("The server belongs to a different domain than your address."))
		case discover.ReasonPlaintext:
			out = append(out, t.L("This server is offered only without encryption."))
		}
	}
	if len(out) == 0 {
		return english
	}
	return strings.Join(out, " ")
}

// RetentionText says in words what happens to backed-up mail on the server.
func RetentionText(t Translator, r accounts.Retention) string {
	switch r.Mode {
	case accounts.DeleteAfter:
		return t.N("deleted from the server {{.Count}} days after the backup", r.Days, map[string]any{"Count": r.Days})
	case accounts.DeleteNow:
		return t.L("deleted from the server right after the backup")
	default:
		return t.L("kept on the server")
	}
}
