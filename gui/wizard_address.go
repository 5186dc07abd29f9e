package gui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/postfach/postfach/accounts"
)

// addressStep asks for the address, a display name and the password.
type addressStep struct {
	w *wizard

	address  *widget.Entry
	name     *widget.Entry
	password *widget.Entry
	// keyringHint says where the password is kept; hidden with the password field.
	keyringHint *widget.Label
	signIn      *signIn // replaces the password field for providers with their own sign-in
	invalid     *widget.Label
	form        *widget.Form
	box         *fyne.Container
	obj         fyne.CanvasObject
}

func newAddressStep(w *wizard) *addressStep {
	s := &addressStep{w: w, signIn: newSignIn(w)}
	s.buildUI()
	return s
}

func (s *addressStep) buildUI() {
	changed := func(string) { s.onChanged() }
	s.address = &widget.Entry{PlaceHolder: lang.L("anna@example.org"), OnChanged: changed}
	s.name = &widget.Entry{PlaceHolder: lang.L("e.g. Office mail; the address if left empty"), OnChanged: changed}
	s.password = widget.NewPasswordEntry() // masked; the eye button shows it
	s.password.OnChanged = changed
	s.invalid = &widget.Label{Importance: widget.DangerImportance}
	s.invalid.Hide()
	intro := &widget.Label{Wrapping: fyne.TextWrapWord, Text: lang.L(
		"Postfach looks after your mail account: it backs up mail that comes to this PC, or watches how full the mailbox on the server is. First it needs the address and its password.")}
	s.keyringHint = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.LowImportance, Text: lang.L(
		"The password is kept only in your system's keyring, never in a file.")}
	s.box = container.NewVBox(s.password, s.signIn.box, container.NewHBox(s.signIn.toSignIn))
	s.form = widget.NewForm(
		widget.NewFormItem(lang.L("E-mail address"), container.NewVBox(s.address, s.invalid)),
		widget.NewFormItem(lang.L("Name in Postfach"), s.name),
		widget.NewFormItem(lang.L("Password"), s.box),
	)
	s.obj = container.NewVBox(intro, s.form, s.keyringHint)
	s.signIn.box.Hide() // until the provider table offers a sign-in (signIn.update)
	s.signIn.toSignIn.Hide()
}

// showPassword shows the password field with its row named "Password" and the note on
// where the password is kept, or (false) hides both and names the row "Sign-in", where
// the provider's page replaces the password.
func (s *addressStep) showPassword(on bool) {
	text := lang.L("Sign-in")
	if on {
		text = lang.L("Password")
		s.password.Show()
		s.keyringHint.Show()
	} else {
		s.password.Hide()
		s.keyringHint.Hide()
	}
	if it := s.form.Items[2]; it.Text != text {
		it.Text = text
		s.form.Refresh()
	}
}

func (s *addressStep) title() string              { return lang.L("Which mail address?") }
func (s *addressStep) content() fyne.CanvasObject { return s.obj }
func (s *addressStep) enter()                     { s.w.u.win.Canvas().Focus(s.address) }

func (s *addressStep) email() string { return strings.TrimSpace(s.address.Text) }

func (s *addressStep) displayName() string {
	if n := strings.TrimSpace(s.name.Text); n != "" {
		return n
	}
	return s.email()
}

func (s *addressStep) ready() bool {
	if !accounts.ValidEmail(s.email()) || s.signIn.blocked() {
		return false
	}
	if s.signIn.active() {
		return s.signIn.current() != nil
	}
	return s.password.Text != ""
}

func (s *addressStep) onChanged() {
	e := s.email()
	if e != "" && strings.Contains(e, "@") && !accounts.ValidEmail(e) && strings.Contains(e[strings.Index(e, "@"):], ".") {
		s.invalid.SetText(lang.L("This does not look like an e-mail address."))
		s.invalid.Show()
	} else {
		s.invalid.Hide()
	}
	if accounts.ValidEmail(e) {
		s.signIn.lookup(e)
	}
	s.signIn.update()
	s.w.server.test.reset() // a passed test was for the old address or password
	s.w.refreshButtons()
}
