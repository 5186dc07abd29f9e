package gui

import (
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/postfach/postfach/accounts"
)

// wizardStep is one page of the wizard.
type wizardStep interface {
	title() string
	content() fyne.CanvasObject
	// ready reports whether Next may be pressed; problem says what is missing.
	ready() bool
	// enter runs when the page is shown.
	enter()
}

// wizard sets up a new account in the main window: address and password, the
// POP3-or-IMAP decision, the server with a connection test, and for POP3 the backup.
// It opens by itself when there is no account, and behind "Add account".
type wizard struct {
	u     *UI
	first bool // the first account: there is nothing to go back to, so no Cancel

	address  *addressStep
	decision *decisionStep
	server   *serverStep
	backup   *backupStep
	step     int

	// Discovery runs in the background from the moment the address is known.
	discovery     *Discovery
	discoveryFor  string
	discoveryBusy bool

	heading  *widget.Label
	progress *widget.Label
	body     *fyne.Container
	scroll   *container.Scroll
	problem  *widget.Label
	back     *widget.Button
	next     *widget.Button
	cancel   *widget.Button
	saving   bool
}

// showWizard replaces the main window's content with a new wizard.
func (u *UI) showWizard(first bool) {
	w := &wizard{u: u, first: first}
	w.address = newAddressStep(w)
	w.decision = newDecisionStep(w)
	w.server = newServerStep(w)
	w.backup = newBackupStep(w)
	u.wizard = w
	u.win.SetTitle(lang.L("Postfach – set up a mail account"))
	u.setContent(w.buildUI())
	w.show(0)
}

func (w *wizard) buildUI() fyne.CanvasObject {
	w.heading = &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameSubHeadingText, Wrapping: fyne.TextWrapWord}
	w.progress = &widget.Label{Importance: widget.LowImportance}
	w.body = container.NewStack()
	w.scroll = container.NewVScroll(container.NewPadded(w.body))
	w.problem = &widget.Label{Importance: widget.DangerImportance, Wrapping: fyne.TextWrapWord}
	w.problem.Hide()
	w.back = &widget.Button{Text: lang.L("Back"), Icon: theme.NavigateBackIcon(), OnTapped: w.onBack}
	w.next = &widget.Button{Text: lang.L("Next"), Icon: theme.NavigateNextIcon(), IconPlacement: widget.ButtonIconTrailingText, Importance: widget.HighImportance, OnTapped: w.onNext}
	w.cancel = &widget.Button{Text: lang.L("Cancel"), OnTapped: w.onCancel}
	if w.first {
		w.cancel.Hide()
	}
	logo := canvas.NewImageFromResource(Icon())
	logo.SetMinSize(fyne.NewSquareSize(48))
	logo.FillMode = canvas.ImageFillContain
	top := container.NewVBox(container.NewPadded(container.NewBorder(nil, nil, logo, nil,
		container.New(layout.NewCustomPaddedVBoxLayout(0), w.progress, w.heading))), widget.NewSeparator())
	bottom := container.NewVBox(widget.NewSeparator(), container.NewPadded(container.NewBorder(nil, nil,
		w.cancel, container.NewHBox(w.back, w.next), w.problem)))
	return container.NewBorder(top, bottom, nil, nil, w.scroll)
}

// steps lists the pages for the current choice: the backup page only for POP3.
func (w *wizard) steps() []wizardStep {
	s := []wizardStep{w.address, w.decision, w.server}
	if w.decision.protocol == accounts.POP3 {
		s = append(s, w.backup)
	}
	return s
}

func (w *wizard) current() wizardStep { return w.steps()[w.step] }

func (w *wizard) show(i int) {
	w.step = i
	st := w.steps()[i]
	w.heading.SetText(st.title())
	w.body.Objects = []fyne.CanvasObject{st.content()}
	w.body.Refresh()
	w.scroll.ScrollToTop()
	w.problem.Hide()
	if i == 0 {
		w.back.Hide()
	} else {
		w.back.Show()
	}
	st.enter()
	w.refreshButtons()
}

// refreshButtons updates Next: its label on the last page, and whether it may be pressed.
func (w *wizard) refreshButtons() {
	if w.u.wizard != w {
		return
	}
	steps := w.steps()
	w.progress.SetText(lang.L("Step {{.Step}} of {{.Of}}", map[string]any{"Step": w.step + 1, "Of": len(steps)}))
	last := w.step == len(steps)-1
	if last {
		w.next.SetText(lang.L("Save account"))
		w.next.SetIcon(theme.ConfirmIcon())
	} else {
		w.next.SetText(lang.L("Next"))
		w.next.SetIcon(theme.NavigateNextIcon())
	}
	if w.current().ready() && !w.saving {
		w.next.Enable()
	} else {
		w.next.Disable()
	}
}

func (w *wizard) onBack() {
	if w.step > 0 && !w.saving {
		w.show(w.step - 1)
	}
}

func (w *wizard) onNext() {
	if !w.current().ready() || w.saving {
		return
	}
	if w.step == 0 {
		// Look the server up while the user reads about POP3 and IMAP.
		w.startDiscovery(w.address.email())
	}
	if w.step < len(w.steps())-1 {
		w.show(w.step + 1)
		return
	}
	w.save()
}

func (w *wizard) onCancel() {
	if w.saving {
		return
	}
	w.close()
}

// close returns to the overview.
func (w *wizard) close() {
	w.address.signIn.stop()
	w.u.wizard = nil
	w.u.win.SetTitle("Postfach")
	w.u.setContent(w.u.overview.buildUI())
}

// startDiscovery looks up the server settings for the address in the background, once
// per address.
func (w *wizard) startDiscovery(email string) {
	if email == w.discoveryFor {
		return
	}
	w.discoveryFor, w.discovery, w.discoveryBusy = email, nil, true
	w.u.async(func() {
		d, err := w.u.core.Discover(w.u.ctx, email)
		fyne.Do(func() {
			if w.discoveryFor != email {
				return
			}
			w.discoveryBusy = false
			if err == nil {
				w.discovery = d
			}
			w.server.discoveryDone()
		})
	})
}

// account assembles the account from all pages.
func (w *wizard) account() accounts.Account {
	a := accounts.Account{
		Name:             w.address.displayName(),
		Email:            w.address.email(),
		Protocol:         w.decision.protocol,
		ProtocolChosenAt: w.decision.chosenAt,
	}
	_ = w.server.form.apply(&a)
	a.PinnedSHA256 = w.server.pinned
	w.address.signIn.apply(&a)
	if a.Protocol == accounts.POP3 {
		if p, err := w.backup.form.policy(); err == nil {
			a.Backup = &p
		}
	}
	return a
}

func (w *wizard) save() {
	acct := w.account()
	password := w.address.password.Text
	tok := w.address.signIn.current()
	w.saving = true
	w.refreshButtons()
	w.problem.Hide()
	report := w.server.test.report
	w.u.async(func() {
		var saved accounts.Account
		var err error
		if tok != nil {
			saved, err = w.u.core.AddSignedIn(w.u.ctx, acct, tok)
		} else {
			saved, err = w.u.core.AddAccount(w.u.ctx, acct, password)
		}
		fyne.Do(func() {
			w.saving = false
			if err != nil {
				p := explain(err, acct, nil)
				w.problem.SetText(p.Title + ". " + strings.Join(append([]string{p.Text}, p.Hints...), " "))
				w.problem.Show()
				w.refreshButtons()
				return
			}
			w.close()
			w.u.added(saved, report)
		})
	})
}

// added shows a freshly saved account: IMAP with the quota the connection test read,
// POP3 with its first backup started right away.
func (u *UI) added(a accounts.Account, report *ConnReport) {
	u.accts = append(u.accts, a)
	st := &accountStatus{acct: a}
	if report != nil && report.Quota != nil {
		q := *report.Quota
		if q.Checked.IsZero() {
			q.Checked = u.now()
		}
		st.quota = &q
	}
	u.status[a.ID] = st
	u.overview.refresh()
	u.refreshTray()
	if a.Protocol == accounts.POP3 {
		u.sched.BackupNow(a.ID)
		u.overview.refreshCard(a.ID)
	}
	u.reload(false)
}

// now is the wizard's clock (the decision records when it was made).
func (w *wizard) now() time.Time { return w.u.now() }
