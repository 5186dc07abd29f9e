package discover

import (
	"encoding/json"
	"time"
)

// Result is what Discover found for one address. It marshals to the JSON that
// `postfach discover --json` prints.
type Result struct {
	// Address is the address as looked up: trimmed, the domain lower-cased and in ASCII
	// (IDNA) form.
	Address string `json:"address"`
	// Candidates are the servers found, best first (Rank 1), without duplicates.
	Candidates []Candidate `json:"candidates"`
	// Log has one entry per question asked (each URL, DNS name, probe), in a stable order.
	Log []LogEntry `json:"log"`
}

// Best returns the best candidate for protocol (ProtocolIMAP or ProtocolPOP3), or false when
// there is none. It never returns an unencrypted candidate. It may return one that needs
// confirmation (when nothing better was found): the caller must then ask the user before
// using it.
func (r *Result) Best(protocol string) (Candidate, bool) {
	for _, c := range r.Candidates {
		if c.Protocol == protocol && c.Security != SecurityNone {
			return c, true
		}
	}
	return Candidate{}, false
}

// Candidate is one incoming server a source suggested.
type Candidate struct {
	Protocol string `json:"protocol"` // ProtocolIMAP or ProtocolPOP3
	Host     string `json:"host"`     // lower-case ASCII host name, no trailing dot
	Port     int    `json:"port"`
	Security string `json:"security"` // SecurityTLS, SecuritySTARTTLS or SecurityNone
	// Username is the login name, with the autoconfig placeholders (%EMAILADDRESS%,
	// %EMAILLOCALPART%, %EMAILDOMAIN%) already replaced.
	Username string `json:"username"`
	// Source is the best source that suggested this server (Source… constants).
	Source string `json:"source"`
	// Detail says exactly where it came from: the URL, the SRV name, the MX host, the probe.
	Detail string `json:"detail,omitempty"`
	// Provider is the provider's name, when the source knows it.
	Provider string `json:"provider,omitempty"`
	// NeedsConfirmation is set when the user must confirm the server before Postfach sends a
	// password to it; ConfirmReason says why in English, ConfirmCodes as Reason… codes the
	// GUI can translate. TLS must then still validate for the confirmed host.
	NeedsConfirmation bool     `json:"needs_confirmation"`
	ConfirmReason     string   `json:"confirm_reason,omitempty"`
	ConfirmCodes      []string `json:"confirm_codes,omitempty"`
	// Auth lists the authentication methods an autoconfig document named
	// ("password-cleartext", "OAuth2", …), when it named any.
	Auth []string `json:"auth,omitempty"`
	// Authentication is how the user signs in to this server: AuthPassword, AuthOAuth2
	// (passwords are refused: the wizard shows "Sign in with …" instead of a password
	// field) or AuthPasswordOrOAuth2 (either works; the wizard offers both). Sources that
	// cannot know (SRV, guessing) say AuthPassword.
	Authentication string `json:"authentication"`
	// OAuthProvider names the sign-in for AuthOAuth2 and AuthPasswordOrOAuth2 when
	// Postfach knows it, as the accounts/oauth package names providers ("microsoft",
	// "google"); empty otherwise.
	OAuthProvider string `json:"oauth_provider,omitempty"`
	// Notes are the provider's hints (app passwords, settings to switch on).
	Notes []Note `json:"notes,omitempty"`
	// AlsoFoundBy names the other sources that suggested the same protocol, host and port.
	AlsoFoundBy []string `json:"also_found_by,omitempty"`
	// Rank is the position in Result.Candidates, starting at 1.
	Rank int `json:"rank"`
}

// Values of Candidate.Authentication.
const (
	AuthPassword         = "password"
	AuthOAuth2           = "oauth2"
	AuthPasswordOrOAuth2 = "password-or-oauth2"
)

// Reasons a candidate needs confirmation, for Candidate.ConfirmCodes.
const (
	// ReasonHTTP: the settings came over plain HTTP, which anyone on the network can change.
	ReasonHTTP = "http"
	// ReasonOtherDomain: the host is outside the address's domain and its MX provider's.
	ReasonOtherDomain = "other-domain"
	// ReasonPlaintext: the server is offered only without encryption.
	ReasonPlaintext = "plaintext"
)

// LogEntry records one question a source asked and what it got.
type LogEntry struct {
	Source   string        // Source… constant
	Target   string        // URL, DNS name or host:port asked
	Duration time.Duration // how long the question took
	Result   string        // what came back, in English ("2 servers", "no record", …)
	Err      string        // the error, if the question failed
	err      error         // the same error, for errors.Is in notFound
}

// MarshalJSON writes the duration in milliseconds, which scripts read more easily than
// nanoseconds.
func (e LogEntry) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Source     string  `json:"source"`
		Target     string  `json:"target,omitempty"`
		DurationMS float64 `json:"duration_ms"`
		Result     string  `json:"result,omitempty"`
		Err        string  `json:"error,omitempty"`
	}{e.Source, e.Target, float64(e.Duration.Microseconds()) / 1000, e.Result, e.Err})
}

// failed returns a log entry for a failed question, keeping the error for notFound.
func failed(source, target string, d time.Duration, result string, err error) LogEntry {
	return LogEntry{Source: source, Target: target, Duration: d, Result: result, Err: err.Error(), err: err}
}

// Note is one hint about a provider. Code says which hint it is, so that each face words
// it in the user's language; Text is the same hint in English, which the command line
// prints. Detail carries the provider's own words or a list for the codes that have one,
// and Link a help page (https only).
type Note struct {
	Code   NoteCode `json:"code"`
	Text   string   `json:"text"`
	Detail string   `json:"detail,omitempty"`
	Link   string   `json:"link,omitempty"`
}

// String is the English hint with its link, as the command line shows it.
func (n Note) String() string {
	if n.Link != "" {
		return n.Text + " (" + n.Link + ")"
	}
	return n.Text
}

// NoteCode names a provider hint.
type NoteCode string

// The hints Postfach knows. Every code is in [NoteCodes], which the faces' tests walk to
// prove that each one has a text in German and English.
const (
	NoteTelekomPassword   NoteCode = "telekom-password"    // the separate E-Mail-Passwort
	NoteGMXAccess         NoteCode = "gmx-access"          // GMX's German "POP3 und IMAP Zugriff erlauben"
	NoteGMXComAccess      NoteCode = "gmx-com-access"      // GMX.com's English setting
	NoteWebDEAccess       NoteCode = "webde-access"        // WEB.DE's "POP3/IMAP Abruf"
	NoteGmailPOP          NoteCode = "gmail-pop"           // POP must be switched on in Gmail
	NoteGoogleSignIn      NoteCode = "google-sign-in"      // sign in with Google or an app password
	NoteOutlookPOP        NoteCode = "outlook-pop"         // POP must be switched on in Outlook.com
	NoteMicrosoftOAuth2   NoteCode = "microsoft-oauth2"    // only "Sign in with Microsoft" works
	NoteYahooAppPassword  NoteCode = "yahoo-app-password"  // Yahoo needs an app password
	NoteICloudAppPassword NoteCode = "icloud-app-password" // iCloud needs an app-specific password
	NoteICloudUsername    NoteCode = "icloud-username"     // the user name is the local part
	NoteICloudNoPOP3      NoteCode = "icloud-no-pop3"      // iCloud has IMAP only
	// NoteEnable is a provider's own instruction for letting mail programs in (autoconfig's
	// <enable>); Detail holds its words.
	NoteEnable NoteCode = "enable"
	// NoteHelp is a provider's help page (autoconfig's <documentation>); Detail holds its
	// title.
	NoteHelp NoteCode = "help"
	// NoteAuthOnly says the provider names only other sign-in methods than a password for
	// the server; Detail lists them.
	NoteAuthOnly NoteCode = "auth-only"
)

// NoteCodes lists every [NoteCode].
var NoteCodes = []NoteCode{
	NoteTelekomPassword, NoteGMXAccess, NoteGMXComAccess, NoteWebDEAccess, NoteGmailPOP,
	NoteGoogleSignIn, NoteOutlookPOP, NoteMicrosoftOAuth2, NoteYahooAppPassword,
	NoteICloudAppPassword, NoteICloudUsername, NoteICloudNoPOP3, NoteEnable, NoteHelp, NoteAuthOnly,
}
