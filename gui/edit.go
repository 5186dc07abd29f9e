package gui

import (
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/postfach/postfach/accounts"
)

// editScreen changes an existing account in a window of its own. The protocol is shown
// but locked; server changes need a passed connection test before they are saved.
type editScreen struct {
	u    *UI
	orig accounts.Account
	win  fyne.Window

	name     *widget.Entry
	email    *widget.Entry
	password *widget.Entry
	server   *serverForm
	test     *connTest
	backup   *backupForm
	pinned   string
	problem  *widget.Label
	save     *widget.Button

	serverChanged bool
	saving        bool
}

// editScreens maps open edit windows to their screens (UI thread only); tests reach the
// screen of a window through it.
var editScreens = map[fyne.Window]*editScreen{}

// showEdit opens the edit window for an account.
func (u *UI) showEdit(id string) {
	st := u.status[id]
	if st == nil {
		return
	}
	e := &editScreen{u: u, orig: st.acct, pinned: st.acct.PinnedSHA256}
	e.win = u.app.NewWindow(lang.L("Edit {{.Account}}", map[string]any{"Account": st.acct.Name}))
	e.win.SetContent(e.buildUI())
	e.win.Resize(fyne.NewSize(760, 680))
	editScreens[e.win] = e
	e.win.SetOnClosed(func() { delete(editScreens, e.win) })
	e.win.Show()
}

func (e *editScreen) buildUI() fyne.CanvasObject {
	a := e.orig
	e.name = &widget.Entry{Text: a.Name}
	e.email = &widget.Entry{Text: a.Email}
	e.password = widget.NewPasswordEntry()
	e.password.SetPlaceHolder(lang.L("unchanged"))
	e.password.OnChanged = func(string) { e.onServerChanged() }
	e.server = newServerForm(e.onServerChanged)
	e.server.set(a.Protocol, a.Host, a.Port, a.Security, a.Username, a.AllowPlaintext)
	if a.Connection().OAuth2() {
		// The provider's sign-in page stands for the password; the connection test uses
		// the stored sign-in.
		e.server.form.Append(lang.L("Sign-in"), &widget.Label{Wrapping: fyne.TextWrapWord, Text: lang.L(
			"With the sign-in page of {{.Provider}}; Postfach keeps no password for this account.",
			map[string]any{"Provider": oauthProviderName(a.OAuthProvider)})})
	} else {
		e.server.form.Append(lang.L("Password"), e.password)
	}
	e.test = newConnTest(e.u, func() fyne.Window { return e.win })
	e.test.settings = e.settings
	e.test.onResult = func(bool) { e.refresh() }
	e.test.onFix = e.onFix

	lock := &widget.Label{Text: "🔒 " + protocolName(a.Protocol), TextStyle: fyne.TextStyle{Bold: true}}
	why := &widget.Button{Text: lang.L("Why can't I change this?"), Icon: theme.QuestionIcon(), Importance: widget.LowImportance, OnTapped: e.onWhy}
	general := widget.NewForm(
		widget.NewFormItem(lang.L("Name in Postfach"), e.name),
		widget.NewFormItem(lang.L("E-mail address"), e.email),
		widget.NewFormItem(lang.L("Protocol"), container.NewHBox(lock, why)),
	)
	body := container.NewVBox(general, heading(lang.L("Incoming mail server")), e.server.box, e.test.box)
	if a.Protocol == accounts.POP3 && a.Backup != nil {
		e.backup = newBackupForm(e.u, func() fyne.Window { return e.win })
		e.backup.set(*a.Backup)
		body.Add(widget.NewSeparator())
		body.Add(e.backup.content())
	}
	e.problem = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}
	e.problem.Hide()
	e.save = &widget.Button{Text: lang.L("Save"), Icon: theme.DocumentSaveIcon(), Importance: widget.HighImportance, OnTapped: e.onSave}
	cancel := &widget.Button{Text: lang.L("Cancel"), OnTapped: e.win.Close}
	e.refresh()
	return container.NewBorder(nil,
		container.NewVBox(widget.NewSeparator(), container.NewPadded(container.NewBorder(nil, nil, nil, container.NewHBox(cancel, e.save), e.problem))),
		nil, nil, container.NewVScroll(container.NewPadded(body)))
}

func (e *editScreen) onServerChanged() {
	e.serverChanged = true
	e.pinned = ""
	e.test.reset()
	e.refresh()
}

func (e *editScreen) refresh() {
	if e.save == nil {
		return
	}
	if e.serverChanged && !e.test.passed {
		e.problem.SetText(lang.L("You changed the server settings: test the connection before saving."))
		e.problem.Importance = widget.MediumImportance
		e.problem.Show()
		e.save.Disable()
		return
	}
	e.problem.Hide()
	if e.saving {
		e.save.Disable()
	} else {
		e.save.Enable()
	}
}

// account is the edited account.
func (e *editScreen) account() (accounts.Account, error) {
	a := e.orig
	a.Name = strings.TrimSpace(e.name.Text)
	a.Email = strings.TrimSpace(e.email.Text)
	if a.Name == "" {
		return a, errors.New(lang.L("The account needs a name."))
	}
	if !accounts.ValidEmail(a.Email) {
		return a, errors.New(lang.L("This does not look like an e-mail address."))
	}
	if err := e.server.apply(&a); err != nil {
		return a, err
	}
	a.PinnedSHA256 = e.pinned
	if e.backup != nil {
		p, err := e.backup.policy()
		if err != nil {
			return a, err
		}
		a.Backup = &p
	}
	return a, nil
}

func (e *editScreen) settings() (accounts.Account, string, error) {
	a, err := e.account()
	if err != nil {
		return a, "", err
	}
	if e.password.Text == "" {
		// The test needs the password; the core reads the stored one for an empty one.
		return a, "", nil
	}
	return a, e.password.Text, nil
}

func (e *editScreen) onFix(f fix, p problem) {
	switch f {
	case fixTrustCert:
		e.pinned = p.Cert.Fingerprint
	case fixUseTLS:
		e.server.useTLS()
	case fixAcceptPlaintext:
		e.server.filling = true
		e.server.plaintext.SetChecked(true)
		e.server.filling = false
	case fixPassword:
		e.win.Canvas().Focus(e.password)
		return
	case fixServer:
		e.server.focusHost(e.win)
		return
	}
	e.test.run()
}

func (e *editScreen) onWhy() {
	a := e.orig
	data := map[string]any{"Protocol": protocolName(a.Protocol), "Date": formatDate(a.ProtocolChosenAt)}
	text := lang.L("You chose {{.Protocol}} for this account on {{.Date}}.", data) + "\n\n"
	if a.Protocol == accounts.POP3 {
		text += lang.L("Your mail has been coming to this PC since then; some of it may no longer be on the server. Switching to IMAP means uploading that mail to the server, and it may not fit there.")
	} else {
		text += lang.L("Your mail lives on the server and your other devices rely on it. Switching to POP3 would start removing it from the server, and it would disappear from those devices.")
	}
	text += "\n\n" + lang.L("If you really want to switch, Postfach can move your mail for you: the switch assistant copies every message, checks it, and only then switches the account. It takes time and space.")
	content := container.NewVBox(&widget.Label{Text: text, Wrapping: fyne.TextWrapWord})
	d := dialog.NewCustom(lang.L("Why can't I change the protocol?"), lang.L("Close"), sized(content, 480, 0), e.win)
	if _, ok := e.u.core.(Assistants); ok {
		content.Add(&widget.Button{Text: lang.L("Open the switch assistant"), Icon: theme.MailForwardIcon(), OnTapped: func() {
			d.Hide()
			e.u.showSwitch(a)
		}})
	}
	d.Show()
}

func (e *editScreen) onSave() {
	a, err := e.account()
	if err != nil {
		e.problem.SetText(err.Error())
		e.problem.Importance = widget.DangerImportance
		e.problem.Show()
		return
	}
	password := e.password.Text
	e.saving = true
	e.refresh()
	e.u.async(func() {
		err := e.u.core.UpdateAccount(e.u.ctx, a, password)
		fyne.Do(func() {
			e.saving = false
			e.refresh()
			if err != nil {
				p := explain(err, a, nil)
				e.problem.SetText(p.Title + ". " + strings.Join(p.Hints, " "))
				e.problem.Importance = widget.DangerImportance
				e.problem.Show()
				return
			}
			e.win.Close()
			e.u.reload(false)
		})
	})
}
