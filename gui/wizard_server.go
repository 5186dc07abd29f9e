package gui

import (
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/oauth"
	"github.com/postfach/postfach/backup/tr"
)

// serverStep shows the incoming server (found by discovery or guessed), always
// editable, and requires a passed connection test.
type serverStep struct {
	w *wizard

	form    *serverForm
	test    *connTest
	source  *widget.Label
	notes   *widget.Label
	confirm *widget.Check // shown when discovery's answer must be confirmed before use
	looking *fyne.Container
	// alternatives are further guesses to try when the server is unreachable.
	alternatives *fyne.Container
	// signInRow offers the provider's sign-in when only full discovery found that the
	// provider wants it (the address page had a password field).
	signInRow    *fyne.Container
	signInText   *widget.Label
	signInButton *widget.Button
	usePassword  *widget.Button

	pinned string // fingerprint the user chose to trust
	edited bool   // the user changed the prefilled settings: don't overwrite them
	filled string // "protocol email" the settings were prefilled for
	obj    fyne.CanvasObject
}

func newServerStep(w *wizard) *serverStep {
	s := &serverStep{w: w}
	s.buildUI()
	return s
}

func (s *serverStep) buildUI() {
	s.form = newServerForm(s.onEdited)
	s.test = newConnTest(s.w.u, func() fyne.Window { return s.w.u.win })
	s.test.settings = s.settings
	s.test.token = func() *oauth.Token { return s.w.address.signIn.current() }
	s.test.onResult = func(bool) { s.w.refreshButtons() }
	s.test.onFix = s.onFix
	s.source = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.LowImportance}
	s.notes = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.WarningImportance}
	s.notes.Hide()
	s.confirm = widget.NewCheck("", func(bool) { s.test.reset() })
	s.confirm.Hide()
	bar := widget.NewProgressBarInfinite()
	s.looking = container.NewVBox(widget.NewLabel(lang.L("Looking up the server settings of your provider…")), bar)
	s.looking.Hide()
	s.alternatives = container.NewHBox()
	s.signInText = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.WarningImportance}
	s.signInButton = &widget.Button{Importance: widget.HighImportance, OnTapped: func() { s.w.address.signIn.onSignIn() }}
	s.usePassword = &widget.Button{Text: lang.L("Use the password instead"), Importance: widget.LowImportance,
		OnTapped: func() { s.w.address.signIn.onUsePassword() }}
	s.signInRow = container.NewVBox(s.signInText, container.NewHBox(s.signInButton, s.usePassword))
	s.signInRow.Hide()
	s.obj = container.NewVBox(s.looking, s.source, s.confirm, s.notes, s.signInRow, s.form.box, s.test.box, s.alternatives)
}

func (s *serverStep) title() string              { return lang.L("Incoming mail server") }
func (s *serverStep) content() fyne.CanvasObject { return s.obj }
func (s *serverStep) ready() bool                { return s.test.passed }

func (s *serverStep) enter() {
	s.prefill()
}

func (s *serverStep) onEdited() {
	s.edited = true
	s.confirm.Hide() // the user typed the settings: nothing from discovery to confirm
	s.pinned = ""
	s.test.reset()
}

// protocolChanged re-proposes the server: POP3 and IMAP have different names and ports.
func (s *serverStep) protocolChanged(accounts.Protocol) {
	s.edited = false
	s.pinned = ""
	s.test.reset()
}

// discoveryDone fills in what discovery found, unless the user already typed something.
func (s *serverStep) discoveryDone() {
	if !s.edited {
		s.filled = ""
	}
	if s.w.u.wizard == s.w && s.w.current() == s {
		s.prefill()
	}
}

// prefill proposes settings for the chosen protocol: discovery's best candidate, else
// the usual names of the domain with implicit TLS.
func (s *serverStep) prefill() {
	w := s.w
	email, p := w.address.email(), w.decision.protocol
	if w.discoveryBusy {
		s.looking.Show()
	} else {
		s.looking.Hide()
	}
	key := string(p) + " " + email
	if s.edited || s.filled == key || w.discoveryBusy {
		return
	}
	s.filled = key
	s.pinned = ""
	s.notes.Hide()
	s.confirm.Hide()
	s.confirm.SetChecked(false)
	s.alternatives.Objects = nil
	_, domain, _ := strings.Cut(email, "@")
	if c, ok := w.discovery.Best(p); ok {
		user := c.Username
		if user == "" {
			user = email
		}
		s.form.set(p, c.Host, c.Port, c.Security, user, false)
		s.source.SetText(lang.L("Found in {{.Source}}. You can change these settings.", map[string]any{"Source": sourceText(c)}))
		s.source.Importance = widget.LowImportance
		if c.NeedsConfirmation {
			s.source.SetText(s.source.Text + " " + tr.ConfirmText(fyneText{}, c.ConfirmCodes, c.ConfirmReason))
			s.source.Importance = widget.WarningImportance
			s.confirm.Text = lang.L("I checked that {{.Host}} is my provider's server (for example on its help page)", map[string]any{"Host": c.Host})
			s.confirm.Show()
			s.confirm.Refresh()
		}
		w.address.signIn.adopt(email, c.SignIn)
		s.test.notes = c.Notes
		if len(c.Notes) > 0 {
			texts := make([]string, len(c.Notes))
			for i, n := range c.Notes {
				texts[i] = tr.NoteText(fyneText{}, n)
			}
			s.notes.SetText(strings.Join(texts, "\n"))
			s.notes.Show()
		}
	} else {
		s.form.set(p, guessHosts(p, domain)[0], 0, accounts.TLS, email, false)
		s.source.Importance = widget.MediumImportance
		s.source.SetText(lang.L("Postfach could not find your provider's settings and filled in the usual names. Please compare them with your provider's help page."))
		s.test.notes = nil
	}
	s.source.Refresh()
	s.test.reset()
}

// updateSignIn shows the sign-in row while the account signs in with the provider's
// page and has no sign-in yet (the address page shows the same, but the user is here).
func (s *serverStep) updateSignIn() {
	g := s.w.address.signIn
	if !g.active() || g.current() != nil {
		s.signInRow.Hide()
		return
	}
	data := map[string]any{"Provider": g.offer.DisplayName}
	s.signInText.SetText(lang.L("{{.Provider}} signs you in on its own page, not with the password: Postfach opens it in your browser.", data))
	s.signInButton.SetText(lang.L("Sign in with {{.Provider}}", data))
	if g.busy {
		s.signInButton.Disable()
	} else {
		s.signInButton.Enable()
	}
	if g.offer.OAuth2Only {
		s.usePassword.Hide()
	} else {
		s.usePassword.Show()
	}
	s.signInRow.Show()
}

// guessHosts are the usual server names of a domain, most likely first.
func guessHosts(p accounts.Protocol, domain string) []string {
	if p == accounts.POP3 {
		return []string{"pop." + domain, "pop3." + domain, "mail." + domain}
	}
	return []string{"imap." + domain, "mail." + domain}
}

func (s *serverStep) settings() (accounts.Account, string, error) {
	a := s.w.account()
	if err := s.form.apply(&a); err != nil {
		return a, "", err
	}
	if s.confirm.Visible() && !s.confirm.Checked {
		return a, "", errors.New(lang.L("Please confirm the server first: Postfach sends your password only to a server you trust."))
	}
	if s.w.address.signIn.active() {
		if s.w.address.signIn.current() == nil {
			return a, "", errors.New(lang.L("Sign in first: the connection test uses that sign-in."))
		}
		return a, "", nil
	}
	if s.w.address.password.Text == "" {
		return a, "", errors.New(lang.L("Enter the password on the first page."))
	}
	return a, s.w.address.password.Text, nil
}

// onFix carries out a way forward the connection test offered.
func (s *serverStep) onFix(f fix, p problem) {
	switch f {
	case fixTrustCert:
		s.pinned = p.Cert.Fingerprint
		s.test.run()
	case fixUseTLS:
		s.form.useTLS()
		s.test.run()
	case fixAcceptPlaintext:
		s.form.filling = true
		s.form.plaintext.SetChecked(true)
		s.form.filling = false
		s.test.run()
	case fixPassword:
		s.w.show(0)
		s.w.u.win.Canvas().Focus(s.w.address.password)
	case fixServer:
		s.offerAlternatives()
		s.form.focusHost(s.w.u.win)
	}
}

// offerAlternatives shows buttons for the other usual server names of the domain.
func (s *serverStep) offerAlternatives() {
	_, domain, _ := strings.Cut(s.w.address.email(), "@")
	s.alternatives.Objects = nil
	for _, h := range guessHosts(s.w.decision.protocol, domain) {
		if h == strings.TrimSpace(s.form.host.Text) {
			continue
		}
		s.alternatives.Add(&widget.Button{Text: lang.L("Try {{.Host}}", map[string]any{"Host": h}), OnTapped: func() {
			s.form.host.SetText(h)
			s.test.run()
		}})
	}
	s.alternatives.Refresh()
}

// sourceText names a discovery source for people.
func sourceText(c Candidate) string {
	var s string
	switch c.Source {
	case "autoconfig", "autoconfig-wellknown":
		s = lang.L("the provider's own settings")
	case "autoconfig-http":
		s = lang.L("the provider's settings, fetched without encryption")
	case "builtin":
		s = lang.L("Postfach's list of providers")
	case "srv":
		s = lang.L("the domain's DNS records")
	case "mx":
		s = lang.L("the settings of the domain's mail provider")
	case "guess":
		s = lang.L("a test of the usual server names")
	default:
		s = c.Source
	}
	if c.Provider != "" {
		s += " (" + c.Provider + ")"
	}
	return s
}
