package cli

import (
	"strings"

	"github.com/postfach/postfach/accounts/discover"
)

// noteText words a provider hint from discovery by its code, with the desktop app's
// texts; a code this build does not know keeps the English text it came with.
func noteText(env *Env, n discover.Note) string {
	var s string
	switch n.Code {
	case discover.NoteTelekomPassword:
		s = env.L("Telekom needs the separate “E-Mail-Passwort” for mail programs, which you set in the Telekom E-Mail Center; your Telekom login password does not work here.")
	case discover.NoteGMXAccess:
		s = env.L("If GMX refuses the connection, switch on “POP3 und IMAP Zugriff erlauben” in the GMX web mail settings (POP3 & IMAP).")
	case discover.NoteGMXComAccess:
		s = env.L("If GMX refuses the connection, allow POP3 and IMAP access in the GMX web mail settings.")
	case discover.NoteWebDEAccess:
		s = env.L("WEB.DE only lets mail programs in after you switch on “POP3/IMAP Abruf” in the WEB.DE web mail settings.")
	case discover.NoteGmailPOP:
		s = env.L("POP must first be switched on in Gmail's settings (See all settings → Forwarding and POP/IMAP).")
	case discover.NoteGoogleSignIn:
		s = env.L("Google does not accept your normal password here: sign in with Google, or use an app password created in your Google account's security settings (it needs two-step verification).")
	case discover.NoteOutlookPOP:
		s = env.L("POP must first be switched on in Outlook.com's settings (Mail → Forwarding and IMAP → “Let devices and apps use POP”).")
	case discover.NoteMicrosoftOAuth2:
		s = env.L("Microsoft accepts only “Sign in with Microsoft” for IMAP and POP; passwords and app passwords are refused.")
	case discover.NoteYahooAppPassword:
		s = env.L("Yahoo does not accept your normal password here: use an app password created in your Yahoo account's security settings (it needs two-step verification).")
	case discover.NoteICloudAppPassword:
		s = env.L("iCloud Mail needs an app-specific password created at account.apple.com, not your Apple Account password.")
	case discover.NoteICloudUsername:
		s = env.L("The user name is the part of your iCloud Mail address before the @. If it is refused, try the full address.")
	case discover.NoteICloudNoPOP3:
		s = env.L("iCloud Mail does not offer POP3.")
	case discover.NoteEnable:
		s = env.L("To let mail programs in, your provider says: {{.Text}}", map[string]any{"Text": n.Detail})
	case discover.NoteHelp:
		s = env.L("Your provider's help: {{.Text}}", map[string]any{"Text": n.Detail})
	case discover.NoteAuthOnly:
		s = env.L("Your provider names only these sign-in methods for this server, so a password may not work: {{.Methods}}", map[string]any{"Methods": n.Detail})
	default:
		return n.String()
	}
	if n.Link != "" {
		s += " (" + n.Link + ")"
	}
	return s
}

// confirmText says why a candidate needs the user's confirmation, by its codes; without
// a known code, the English reason it came with.
func confirmText(env *Env, c discover.Candidate) string {
	var out []string
	for _, code := range c.ConfirmCodes {
		switch code {
		case discover.ReasonHTTP:
			out = append(out, env.L("These settings came over an unencrypted connection, so someone on the way could have changed them."))
		case discover.ReasonOtherDomain:
			out = append(out, env.L("The server belongs to a different domain than your address."))
		case discover.ReasonPlaintext:
			out = append(out, env.L("This server is offered only without encryption."))
		}
	}
	if len(out) == 0 {
		return c.ConfirmReason
	}
	return strings.Join(out, " ")
}
