package gui

import (
	"errors"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/postfach/postfach/accounts"
)

// serverForm edits how to reach the incoming server: host, port, security, user name,
// and the explicit opt-in to an unencrypted connection. The wizard and the edit dialog
// share it.
type serverForm struct {
	protocol accounts.Protocol

	host      *widget.Entry
	port      *widget.Entry
	security  *widget.Select
	user      *widget.Entry
	plaintext *widget.Check
	form      *widget.Form
	// box is the form plus the plaintext opt-in below it (a hidden form row would still
	// take up space).
	box *fyne.Container

	secValues []accounts.Security
	lastSec   accounts.Security
	filling   bool
	// onChanged runs after every edit by the user (not by set): a passed connection test
	// no longer applies.
	onChanged func()
}

func newServerForm(onChanged func()) *serverForm {
	f := &serverForm{onChanged: onChanged, secValues: []accounts.Security{accounts.TLS, accounts.StartTLS, accounts.None}}
	f.buildUI()
	return f
}

func (f *serverForm) buildUI() {
	changed := func(string) { f.changed() }
	f.host = &widget.Entry{PlaceHolder: "imap.example.org", OnChanged: changed}
	f.port = &widget.Entry{OnChanged: changed}
	f.user = &widget.Entry{OnChanged: changed}
	f.security = widget.NewSelect([]string{
		lang.L("Encrypted from the start (TLS) — recommended"),
		lang.L("Encrypted after connecting (STARTTLS)"),
		lang.L("Not encrypted"),
	}, f.onSecurity)
	f.plaintext = widget.NewCheck(lang.L("I accept that my password and mail cross the network unencrypted"), func(bool) { f.changed() })
	f.plaintext.Hide()
	f.form = widget.NewForm(
		widget.NewFormItem(lang.L("Server"), f.host),
		widget.NewFormItem(lang.L("Encryption"), f.security),
		widget.NewFormItem(lang.L("Port"), f.port),
		widget.NewFormItem(lang.L("User name"), f.user),
	)
	f.box = container.NewVBox(f.form, f.plaintext)
}

func (f *serverForm) changed() {
	if !f.filling && f.onChanged != nil {
		f.onChanged()
	}
}

// onSecurity moves the port along when it still is the standard port of the previous
// setting, and asks for the plaintext opt-in only when it matters.
func (f *serverForm) onSecurity(string) {
	sec := f.selectedSecurity()
	if p, err := strconv.Atoi(f.port.Text); err == nil && f.lastSec != "" && p == accounts.DefaultPort(f.protocol, f.lastSec) {
		f.port.SetText(strconv.Itoa(accounts.DefaultPort(f.protocol, sec)))
	}
	f.lastSec = sec
	if sec == accounts.None {
		f.plaintext.Show()
	} else {
		f.plaintext.SetChecked(false)
		f.plaintext.Hide()
	}
	f.box.Refresh()
	f.changed()
}

func (f *serverForm) selectedSecurity() accounts.Security {
	if i := f.security.SelectedIndex(); i >= 0 {
		return f.secValues[i]
	}
	return accounts.TLS
}

// set fills the form without counting as a user edit.
func (f *serverForm) set(p accounts.Protocol, host string, port int, sec accounts.Security, user string, allowPlain bool) {
	f.filling = true
	defer func() { f.filling = false }()
	f.protocol = p
	if sec == "" {
		sec = accounts.TLS
	}
	if port == 0 {
		port = accounts.DefaultPort(p, sec)
	}
	f.lastSec = ""
	f.host.SetText(host)
	for i, s := range f.secValues {
		if s == sec {
			f.security.SetSelectedIndex(i)
		}
	}
	f.lastSec = sec
	f.port.SetText(strconv.Itoa(port))
	f.user.SetText(user)
	f.plaintext.SetChecked(allowPlain)
}

// apply copies the form into a; it reports what is missing or malformed.
func (f *serverForm) apply(a *accounts.Account) error {
	host := strings.TrimSpace(f.host.Text)
	if host == "" || strings.ContainsAny(host, " /@") {
		return errors.New(lang.L("Enter the name of the incoming mail server, e.g. imap.example.org."))
	}
	port, err := strconv.Atoi(strings.TrimSpace(f.port.Text))
	if err != nil || port < 1 || port > 65535 {
		return errors.New(lang.L("The port is a number between 1 and 65535."))
	}
	user := strings.TrimSpace(f.user.Text)
	if user == "" {
		return errors.New(lang.L("Enter the user name; usually it is your e-mail address."))
	}
	a.Host, a.Port, a.Security, a.Username = host, port, f.selectedSecurity(), user
	a.AllowPlaintext = a.Security == accounts.None && f.plaintext.Checked
	return nil
}

// useTLS switches to implicit TLS on the standard port (the way out of STARTTLS and
// plaintext trouble).
func (f *serverForm) useTLS() {
	f.security.SetSelectedIndex(0)
	f.port.SetText(strconv.Itoa(accounts.DefaultPort(f.protocol, accounts.TLS)))
}

// focusHost puts the cursor into the server name.
func (f *serverForm) focusHost(w fyne.Window) {
	if w != nil {
		w.Canvas().Focus(f.host)
	}
}
