package gui

import (
	"context"
	"math"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/postfach/postfach/accounts"
)

// fullInText is the quota forecast in words.
func fullInText(days float64) string {
	if days < 1 {
		return lang.L("At this rate it is full within a day.")
	}
	return lang.L("At this rate it is full in about {{.Days}} days.", map[string]any{"Days": int(math.Round(days))})
}

// updateFreeSpace offers the free-space assistant on an IMAP card whose quota bar is
// amber or red, when the core has it.
func (c *accountCard) updateFreeSpace(st *accountStatus) {
	_, ok := c.u.core.(Assistants)
	pct, known := st.quota.Percent()
	if ok && known && levelOf(pct) != quotaOK {
		c.freeSpace.Show()
	} else {
		c.freeSpace.Hide()
	}
}

func (c *accountCard) onFreeSpace() {
	if a, ok := c.account(); ok {
		c.u.showFreeSpace(a)
	}
}

// freeSpaceScreen is the free-space assistant: what each choice would free, then the
// chosen mail moved into the archive folder (each copy verified before the server copy
// is deleted), and the freed amount.
type freeSpaceScreen struct {
	u    *UI
	as   Assistants
	acct accounts.Account
	win  fyne.Window

	choices  *widget.RadioGroup
	status   *widget.Label
	progress *widget.ProgressBar
	move     *widget.Button

	plan *ArchivePlan
}

// freeSpaceScreens maps open free-space windows to their screens (UI thread only).
var freeSpaceScreens = map[fyne.Window]*freeSpaceScreen{}

// showFreeSpace opens the free-space assistant for an IMAP account.
func (u *UI) showFreeSpace(acct accounts.Account) {
	as, ok := u.core.(Assistants)
	if !ok {
		return
	}
	s := &freeSpaceScreen{u: u, as: as, acct: acct}
	s.win = u.app.NewWindow(lang.L("Free up space in {{.Account}}", map[string]any{"Account": acct.Name}))
	s.win.SetContent(s.buildUI())
	s.win.Resize(fyne.NewSize(560, 420))
	freeSpaceScreens[s.win] = s
	s.win.SetOnClosed(func() { delete(freeSpaceScreens, s.win) })
	s.win.Show()
	s.load()
}

func (s *freeSpaceScreen) buildUI() fyne.CanvasObject {
	intro := &widget.Label{Wrapping: fyne.TextWrapWord, Text: lang.L(
		"Postfach moves the mail you choose into an archive folder on this PC, checks every copy, and only then deletes it on the server. Drafts are left alone. The archive is a normal mail folder you can open like a backup.")}
	s.choices = widget.NewRadioGroup(nil, func(string) { s.refresh() })
	s.status = &widget.Label{Wrapping: fyne.TextWrapWord}
	s.progress = &widget.ProgressBar{}
	s.progress.Hide()
	s.move = &widget.Button{Text: lang.L("Move to the archive"), Importance: widget.HighImportance, OnTapped: s.onMove}
	s.move.Disable()
	closeBtn := &widget.Button{Text: lang.L("Close"), OnTapped: s.win.Close}
	return container.NewBorder(nil,
		container.NewPadded(container.NewHBox(layoutSpacer(), closeBtn, s.move)), nil, nil,
		container.NewVScroll(container.NewPadded(container.NewVBox(intro, s.choices, s.progress, s.status))))
}

// optionLabel describes a ready-made choice with what it frees.
func optionLabel(o ArchiveOption) string {
	data := map[string]any{"N": o.Messages, "Size": formatBytes(o.Bytes)}
	if o.Choice.LargerThan > 0 {
		data["Limit"] = formatBytes(o.Choice.LargerThan)
		return lang.L("Mail larger than {{.Limit}}: {{.N}} messages, {{.Size}}", data)
	}
	data["Years"] = int(math.Round(o.Choice.OlderThan.Hours() / 24 / 365))
	if data["Years"] == 1 {
		return lang.L("Mail older than one year: {{.N}} messages, {{.Size}}", data)
	}
	return lang.L("Mail older than {{.Years}} years: {{.N}} messages, {{.Size}}", data)
}

func (s *freeSpaceScreen) load() {
	s.status.SetText(lang.L("Looking at the mail…"))
	id, u := s.acct.ID, s.u
	u.async(func() {
		plan, err := s.as.PlanArchive(u.ctx, id, ArchiveChoice{OlderThan: 2 * 365 * 24 * time.Hour})
		fyne.Do(func() {
			if err != nil {
				s.status.SetText(explain(err, s.acct, nil).summary())
				return
			}
			s.plan = plan
			var labels []string
			for _, o := range plan.Options {
				labels = append(labels, optionLabel(o))
			}
			s.choices.Options = labels
			s.choices.Refresh()
			s.status.SetText(lang.L("Choose what to move. The archive folder is {{.Dir}}.", map[string]any{"Dir": plan.Dir}))
			s.refresh()
		})
	})
}

// chosen returns the selected option.
func (s *freeSpaceScreen) chosen() (ArchiveOption, bool) {
	if s.plan == nil {
		return ArchiveOption{}, false
	}
	for i, l := range s.choices.Options {
		if l == s.choices.Selected && i < len(s.plan.Options) {
			return s.plan.Options[i], true
		}
	}
	return ArchiveOption{}, false
}

func (s *freeSpaceScreen) refresh() {
	if o, ok := s.chosen(); ok && o.Messages > 0 {
		s.move.Enable()
	} else {
		s.move.Disable()
	}
}

func (s *freeSpaceScreen) onMove() {
	o, ok := s.chosen()
	if !ok {
		return
	}
	s.move.Disable()
	s.progress.SetValue(0)
	s.progress.Show()
	s.status.SetText(lang.L("Moving… Closing the window stops it safely; starting again continues."))
	ctx, cancel := context.WithCancel(s.u.ctx)
	s.win.SetOnClosed(func() {
		cancel()
		delete(freeSpaceScreens, s.win)
	})
	id, u := s.acct.ID, s.u
	u.async(func() {
		res, err := s.as.Archive(ctx, id, o.Choice, func(p CopyProgress) {
			fyne.Do(func() {
				if p.Total > 0 {
					s.progress.SetValue(float64(p.Done) / float64(p.Total))
				}
			})
		})
		fyne.Do(func() { s.done(res, err) })
	})
}

func (s *freeSpaceScreen) done(res *ArchiveResult, err error) {
	if err != nil {
		s.status.SetText(explain(err, s.acct, nil).summary())
		s.refresh()
		return
	}
	s.progress.SetValue(1)
	s.status.SetText(lang.L("Moved {{.N}} messages into {{.Dir}}, each checked before it was deleted on the server. Freed {{.Size}}.",
		map[string]any{"N": res.Deleted, "Dir": res.Dir, "Size": formatBytes(res.Freed)}))
	s.u.checkQuotaNow(s.acct.ID)
}
