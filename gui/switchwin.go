package gui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/postfach/postfach/accounts"
)

// switchScreen is the switch assistant: it explains what will happen, asks for the new
// server, shows the plan, copies with progress (pause = stop; starting again resumes)
// and ends with the account on the other protocol. Only the core changes the protocol,
// and only after every message is verified.
type switchScreen struct {
	u    *UI
	as   Assistants
	acct accounts.Account
	to   accounts.Protocol
	win  fyne.Window

	server    *serverForm
	password  *widget.Entry
	dir       *widget.Entry
	retention *widget.RadioGroup
	planText  *widget.Label
	status    *widget.Label
	progress  *widget.ProgressBar
	planBtn   *widget.Button
	startBtn  *widget.Button
	pauseBtn  *widget.Button

	plan   *SwitchPlan
	cancel context.CancelFunc
}

// switchScreens maps open assistant windows to their screens (UI thread only); tests
// reach the screen of a window through it.
var switchScreens = map[fyne.Window]*switchScreen{}

// showSwitch opens the switch assistant for an account, if the core offers it.
func (u *UI) showSwitch(acct accounts.Account) {
	as, ok := u.core.(Assistants)
	if !ok {
		return
	}
	s := &switchScreen{u: u, as: as, acct: acct, to: accounts.IMAP}
	if acct.Protocol == accounts.IMAP {
		s.to = accounts.POP3
	}
	s.win = u.app.NewWindow(lang.L("Switch {{.Account}} to {{.Protocol}}", map[string]any{"Account": acct.Name, "Protocol": protocolName(s.to)}))
	s.win.SetContent(s.buildUI())
	s.win.Resize(fyne.NewSize(640, 620))
	switchScreens[s.win] = s
	s.win.SetOnClosed(func() {
		if s.cancel != nil {
			s.cancel()
		}
		delete(switchScreens, s.win)
	})
	s.win.Show()
}

func (s *switchScreen) buildUI() fyne.CanvasObject {
	a := s.acct
	var explain string
	if s.to == accounts.IMAP {
		explain = lang.L("Postfach first backs up the mail still on the server (and leaves it there), then uploads every message of the backup into the INBOX on the IMAP server, checking each one. Only when all of them are there does the account become IMAP. Your backup folder stays as it is; Postfach never deletes it.")
	} else {
		explain = lang.L("Postfach first downloads every folder from the server into the backup folder and checks each message. Only then does the account become POP3. Mail that Postfach later removes from the server disappears from your other devices and from everyone who shares this address.")
	}
	host := a.Host
	if s.to == accounts.IMAP && strings.HasPrefix(host, "pop.") {
		host = "imap." + strings.TrimPrefix(host, "pop.")
	} else if s.to == accounts.POP3 && strings.HasPrefix(host, "imap.") {
		host = "pop." + strings.TrimPrefix(host, "imap.")
	}
	s.server = newServerForm(s.onChanged)
	s.server.set(s.to, host, 0, a.Security, a.Username, a.AllowPlaintext)
	s.password = widget.NewPasswordEntry()
	s.password.SetPlaceHolder(lang.L("unchanged"))
	s.password.OnChanged = func(string) { s.onChanged() }
	s.server.form.Append(lang.L("Password"), s.password)
	body := container.NewVBox(&widget.Label{Text: explain, Wrapping: fyne.TextWrapWord},
		heading(lang.L("New incoming mail server")), s.server.box)
	if s.to == accounts.POP3 {
		s.dir = &widget.Entry{Text: s.u.core.DefaultBackupDir(a.Email)}
		s.dir.OnChanged = func(string) { s.onChanged() }
		s.retention = widget.NewRadioGroup([]string{
			lang.L("Keep all mail on the server"),
			lang.L("Delete from the server 14 days after the backup"),
		}, func(string) { s.onChanged() })
		s.retention.SetSelected(lang.L("Keep all mail on the server"))
		body.Add(heading(lang.L("Backup folder")))
		body.Add(s.dir)
		body.Add(heading(lang.L("Mail on the server")))
		body.Add(s.retention)
	}
	s.planText = &widget.Label{Wrapping: fyne.TextWrapWord}
	s.status = &widget.Label{Wrapping: fyne.TextWrapWord}
	s.progress = &widget.ProgressBar{}
	s.progress.Hide()
	body.Add(widget.NewSeparator())
	body.Add(s.planText)
	body.Add(s.progress)
	body.Add(s.status)
	s.planBtn = &widget.Button{Text: lang.L("Show the plan"), Icon: theme.SearchIcon(), OnTapped: s.onPlan}
	s.startBtn = &widget.Button{Text: lang.L("Switch now"), Importance: widget.HighImportance, OnTapped: s.onStart}
	s.startBtn.Disable()
	s.pauseBtn = &widget.Button{Text: lang.L("Pause"), Icon: theme.MediaPauseIcon(), OnTapped: s.onPause}
	s.pauseBtn.Hide()
	closeBtn := &widget.Button{Text: lang.L("Close"), OnTapped: s.win.Close}
	return container.NewBorder(nil,
		container.NewVBox(widget.NewSeparator(), container.NewPadded(container.NewHBox(layoutSpacer(), closeBtn, s.pauseBtn, s.planBtn, s.startBtn))),
		nil, nil, container.NewVScroll(container.NewPadded(body)))
}

// layoutSpacer pushes the buttons to the right.
func layoutSpacer() fyne.CanvasObject { return container.NewStack() }

// onChanged forgets a plan made for other settings.
func (s *switchScreen) onChanged() {
	if s.plan != nil && s.cancel == nil {
		s.plan = nil
		s.planText.SetText("")
		s.startBtn.Disable()
	}
}

// target reads the form.
func (s *switchScreen) target() (SwitchTarget, error) {
	a := s.acct
	a.Protocol = s.to
	if err := s.server.apply(&a); err != nil {
		return SwitchTarget{}, err
	}
	t := SwitchTarget{Host: a.Host, Port: a.Port, Security: a.Security, Username: a.Username,
		Password: s.password.Text, AllowPlaintext: a.AllowPlaintext}
	if s.to == accounts.POP3 {
		t.Dir = strings.TrimSpace(s.dir.Text)
		t.Retention = accounts.Retention{Mode: accounts.KeepForever}
		if s.retention.Selected != lang.L("Keep all mail on the server") {
			t.Retention = accounts.DefaultRetention()
		}
	}
	return t, nil
}

func (s *switchScreen) onPlan() {
	t, err := s.target()
	if err != nil {
		s.status.SetText(err.Error())
		return
	}
	s.planBtn.Disable()
	s.status.SetText(lang.L("Looking at the mail…"))
	id, u := s.acct.ID, s.u
	u.async(func() {
		plan, err := s.as.PlanSwitch(u.ctx, id, t)
		fyne.Do(func() { s.showPlan(plan, err) })
	})
}

func (s *switchScreen) showPlan(plan *SwitchPlan, err error) {
	s.planBtn.Enable()
	if err != nil {
		s.status.SetText(explain(err, s.acct, nil).summary())
		return
	}
	s.plan = plan
	s.status.SetText("")
	data := map[string]any{"N": plan.Messages, "Size": formatBytes(plan.Bytes), "Free": formatBytes(plan.QuotaFree),
		"Largest": formatBytes(plan.Largest), "Limit": formatBytes(plan.AppendLimit), "There": plan.AlreadyThere, "TooBig": plan.TooBig}
	lines := []string{lang.L("To copy: {{.N}} messages, {{.Size}}.", data)}
	if plan.AlreadyThere > 0 {
		lines = append(lines, lang.L("Already at the destination: {{.There}} messages (they are not copied again).", data))
	}
	switch {
	case plan.QuotaFree >= 0 && plan.Fits:
		lines = append(lines, lang.L("Free on the server: {{.Free}}. It fits.", data))
	case plan.QuotaFree >= 0:
		lines = append(lines, lang.L("Free on the server: {{.Free}}. It does not fit: free space there or ask your provider for more first.", data))
	}
	if plan.AppendLimit > 0 {
		lines = append(lines, lang.L("Largest message: {{.Largest}}; the server accepts up to {{.Limit}}.", data))
	}
	if plan.TooBig > 0 {
		lines = append(lines, lang.L("{{.TooBig}} messages are too big for the server; they stay in the backup.", data))
	}
	s.planText.SetText(strings.Join(lines, "\n"))
	if plan.Fits {
		s.startBtn.Enable()
	} else {
		s.startBtn.Disable()
	}
}

func (s *switchScreen) onStart() {
	t, err := s.target()
	if err != nil {
		s.status.SetText(err.Error())
		return
	}
	ctx, cancel := context.WithCancel(s.u.ctx)
	s.cancel = cancel
	s.startBtn.Disable()
	s.planBtn.Disable()
	s.pauseBtn.Show()
	s.progress.SetValue(0)
	s.progress.Show()
	s.status.SetText(lang.L("Copying… You can pause at any time; starting again continues where it stopped."))
	id, u := s.acct.ID, s.u
	u.async(func() {
		res, err := s.as.Switch(ctx, id, t, func(p CopyProgress) {
			fyne.Do(func() {
				if p.Total > 0 {
					s.progress.SetValue(float64(p.Done) / float64(p.Total))
				}
			})
		})
		cancel()
		fyne.Do(func() { s.done(res, err) })
	})
}

func (s *switchScreen) onPause() {
	if s.cancel != nil {
		s.cancel()
	}
}

func (s *switchScreen) done(res *SwitchResult, err error) {
	s.cancel = nil
	s.pauseBtn.Hide()
	s.planBtn.Enable()
	if err != nil {
		s.startBtn.Enable()
		s.status.SetText(explain(err, s.acct, nil).summary() + "\n" + lang.L("The account was not switched. Start again to continue; nothing is copied twice."))
		return
	}
	s.progress.SetValue(1)
	data := map[string]any{"N": res.Verified, "Account": s.acct.Name}
	if s.to == accounts.IMAP {
		s.status.SetText(lang.L("Done: {{.N}} messages verified on the server. {{.Account}} is now an IMAP account; the old backup folder stays as it is.", data))
	} else {
		s.status.SetText(lang.L("Done: {{.N}} messages verified in the backup folder. {{.Account}} is now a POP3 account.", data))
	}
	s.u.reload(false)
}
