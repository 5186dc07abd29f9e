package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/discover"
	"github.com/postfach/postfach/accounts/oauth"
)

// connTest is the "Test connection" button and what it found: success (with the
// quota for IMAP) or the failure in plain words with buttons that lead out of it. The
// wizard and the edit dialog both require a passed test before saving server settings.
type connTest struct {
	u   *UI
	win func() fyne.Window

	button  *widget.Button
	status  *widget.Label
	spinner *widget.ProgressBarInfinite
	result  *fyne.Container
	box     *fyne.Container

	// settings returns the account and password to test, or an error to show instead.
	settings func() (accounts.Account, string, error)
	// token, if set and returning a token, logs the test in with it instead of the
	// password (an OAuth2 account in the wizard).
	token func() *oauth.Token
	// onResult runs after every finished test.
	onResult func(ok bool)
	// onFix handles a way-forward button; the problem is the one shown.
	onFix func(f fix, p problem)
	// notes are provider hints from discovery, shown with a failed login.
	notes []discover.Note

	passed   bool
	report   *ConnReport
	lastProb *problem
	gen      int // incremented by reset and run, so a stale result is dropped
}

func newConnTest(u *UI, win func() fyne.Window) *connTest {
	t := &connTest{u: u, win: win}
	t.buildUI()
	return t
}

func (t *connTest) buildUI() {
	t.button = &widget.Button{Text: lang.L("Test connection"), Icon: theme.MailSendIcon(), Importance: widget.HighImportance, OnTapped: t.run}
	t.status = &widget.Label{Wrapping: fyne.TextWrapWord}
	t.status.Hide()
	t.spinner = widget.NewProgressBarInfinite()
	t.spinner.Stop()
	t.spinner.Hide()
	t.result = container.NewVBox()
	t.box = container.NewVBox(container.NewHBox(t.button), t.status, t.spinner, t.result)
}

// reset forgets a previous result because the settings changed.
func (t *connTest) reset() {
	t.gen++
	wasShown := t.passed || t.lastProb != nil
	t.passed, t.report, t.lastProb = false, nil, nil
	t.spinner.Stop()
	t.spinner.Hide()
	t.result.Objects = nil
	t.result.Refresh()
	t.button.Enable()
	t.status.Importance = widget.MediumImportance
	if wasShown {
		t.setStatus(lang.L("The settings changed: please test again."))
	} else {
		t.setStatus("")
	}
	if t.onResult != nil {
		t.onResult(false)
	}
}

// run starts a test in the background.
func (t *connTest) run() {
	acct, password, err := t.settings()
	if err != nil {
		t.reset()
		t.setStatus(err.Error())
		t.status.Importance = widget.DangerImportance
		t.status.Refresh()
		return
	}
	var tok *oauth.Token
	if t.token != nil {
		tok = t.token()
	}
	t.gen++
	gen := t.gen
	t.passed, t.report, t.lastProb = false, nil, nil
	t.status.Importance = widget.MediumImportance
	t.setStatus(lang.L("Connecting to {{.Host}} and logging in…", map[string]any{"Host": acct.Host}))
	t.result.Objects = nil
	t.result.Refresh()
	t.spinner.Show()
	t.spinner.Start()
	t.button.Disable()
	t.u.async(func() {
		var rep *ConnReport
		var err error
		if tok != nil {
			rep, err = t.u.core.TestSignedIn(t.u.ctx, acct, tok)
		} else {
			rep, err = t.u.core.TestConnection(t.u.ctx, acct, password)
		}
		fyne.Do(func() {
			if gen != t.gen {
				return
			}
			t.spinner.Stop()
			t.spinner.Hide()
			t.button.Enable()
			t.setStatus("")
			if err != nil {
				p := explain(err, acct, t.notes)
				t.lastProb = &p
				t.showProblem(p)
			} else {
				t.passed, t.report = true, rep
				t.showSuccess(acct, rep)
			}
			if t.onResult != nil {
				t.onResult(t.passed)
			}
		})
	})
}

func (t *connTest) showSuccess(acct accounts.Account, rep *ConnReport) {
	box := container.NewVBox(&widget.Label{Text: lang.L("Connected and logged in."), TextStyle: fyne.TextStyle{Bold: true}, Importance: widget.SuccessImportance})
	if acct.Security == accounts.None {
		box.Add(&widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.WarningImportance,
			Text: lang.L("The connection is not encrypted, as you accepted.")})
	} else if rep != nil && rep.TLSVersion != "" {
		box.Add(widget.NewLabel(lang.L("The connection is encrypted ({{.Version}}).", map[string]any{"Version": rep.TLSVersion})))
	}
	if acct.Protocol == accounts.IMAP {
		box.Add(quotaSummary(rep))
	}
	t.result.Objects = []fyne.CanvasObject{box}
	t.result.Refresh()
}

// quotaSummary is the mailbox fill level right after the connection test, so that a
// user choosing IMAP sees at once how much room the server gives.
func quotaSummary(rep *ConnReport) fyne.CanvasObject {
	var q *QuotaReport
	if rep != nil {
		q = rep.Quota
	}
	label := &widget.Label{Wrapping: fyne.TextWrapWord}
	pct, ok := q.Percent()
	switch {
	case q == nil:
		label.SetText(lang.L("Mailbox storage: could not be read this time; the overview will show it."))
		return label
	case !q.Supported:
		label.SetText(lang.L("Mailbox storage: unknown. This server does not report how full the mailbox is."))
		return label
	case !ok:
		label.SetText(lang.L("Mailbox storage: {{.Used}} used, no limit reported.", map[string]any{"Used": formatBytes(q.Used)}))
		return label
	}
	bar := newQuotaBar()
	bar.set(pct)
	label.SetText(lang.L("Mailbox storage: {{.Used}} of {{.Limit}} used.", map[string]any{"Used": formatBytes(q.Used), "Limit": formatBytes(q.Limit)}))
	switch levelOf(pct) {
	case quotaFull:
		label.Importance = widget.DangerImportance
		label.Text += " " + lang.L("Almost full: new mail will soon bounce back to the senders. Delete or archive mail now.")
	case quotaHigh:
		label.Importance = widget.WarningImportance
		label.Text += " " + lang.L("Filling up: delete or archive old mail before it is full.")
	}
	return container.NewVBox(label, bar.over)
}

func (t *connTest) showProblem(p problem) {
	var extra []fyne.CanvasObject
	if c := p.Cert; c != nil {
		validity := lang.L("{{.From}} to {{.To}}", map[string]any{"From": formatDate(c.NotBefore), "To": formatDate(c.NotAfter)})
		fp := &widget.Label{Text: fingerprintText(c.Fingerprint), TextStyle: fyne.TextStyle{Monospace: true}, Selectable: true}
		extra = append(extra, widget.NewForm(
			widget.NewFormItem(lang.L("Issued to"), &widget.Label{Text: c.Subject, Wrapping: fyne.TextWrapWord}),
			widget.NewFormItem(lang.L("Issued by"), &widget.Label{Text: c.Issuer, Wrapping: fyne.TextWrapWord}),
			widget.NewFormItem(lang.L("Valid"), widget.NewLabel(validity)),
			widget.NewFormItem("SHA-256", fp),
		))
	}
	buttons := container.NewHBox()
	add := func(label string, imp widget.Importance, f fix) {
		buttons.Add(&widget.Button{Text: label, Importance: imp, OnTapped: func() { t.fix(f, p) }})
	}
	switch p.Fix {
	case fixTrustCert:
		add(lang.L("Trust exactly this certificate"), widget.WarningImportance, fixTrustCert)
	case fixPassword:
		add(lang.L("Enter the password again"), widget.HighImportance, fixPassword)
	case fixUseTLS:
		add(lang.L("Use encryption from the start (TLS)"), widget.HighImportance, fixUseTLS)
	case fixAcceptPlaintext:
		add(lang.L("Use encryption from the start (TLS)"), widget.HighImportance, fixUseTLS)
		add(lang.L("Accept the risk…"), widget.DangerImportance, fixAcceptPlaintext)
	case fixServer:
		add(lang.L("Check the server name"), widget.MediumImportance, fixServer)
	}
	buttons.Add(&widget.Button{Text: lang.L("Test again"), Icon: theme.ViewRefreshIcon(), OnTapped: t.run})
	t.result.Objects = []fyne.CanvasObject{problemView(p, append(extra, buttons)...)}
	t.result.Refresh()
}

// fix asks before the two fixes that lower protection, then hands over to onFix.
func (t *connTest) fix(f fix, p problem) {
	switch f {
	case fixTrustCert:
		msg := lang.L("Postfach will accept exactly this certificate for {{.Host}} and refuse any other, until you change it. Only do this if you compared the fingerprint with one your provider published, or if it is your own server.",
			map[string]any{"Host": p.Cert.Host})
		confirmWrapped(lang.L("Trust this certificate?"), msg, lang.L("Trust it"), t.win(), func() { t.onFix(f, p) })
	case fixAcceptPlaintext:
		confirmWrapped(lang.L("Send password and mail unencrypted?"),
			lang.L("Anyone on the network path can then read your password and every mail. Accept this only for your own server in your own network."),
			lang.L("Accept the risk"), t.win(), func() { t.onFix(f, p) })
	default:
		t.onFix(f, p)
	}
}

// confirmWrapped is a confirmation dialog whose message wraps at a readable width.
func confirmWrapped(title, msg, confirm string, w fyne.Window, ok func()) {
	d := dialog.NewCustomConfirm(title, confirm, lang.L("Cancel"),
		sized(&widget.Label{Text: msg, Wrapping: fyne.TextWrapWord}, 460, 0),
		func(yes bool) {
			if yes {
				ok()
			}
		}, w)
	d.Show()
}

// setStatus shows a status line, or hides it when empty so it takes no room.
func (t *connTest) setStatus(s string) {
	t.status.SetText(s)
	if s == "" {
		t.status.Hide()
	} else {
		t.status.Show()
	}
}
