package gui

import (
	"errors"
	"net/url"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/postfach/postfach/accounts"
)

// overview is the main window's screen: one card per account, "Add account" and
// "Back up all now", and the start-at-login switch.
type overview struct {
	u *UI

	cards     map[string]*accountCard
	list      *fyne.Container
	empty     *fyne.Container
	failure   *fyne.Container
	failTitle *widget.Label
	failText  *widget.Label
	add       *widget.Button
	backupAll *widget.Button
	autostart *widget.Check
	content   *fyne.Container
}

func newOverview(u *UI) *overview {
	return &overview{u: u, cards: map[string]*accountCard{}}
}

func (o *overview) buildUI() fyne.CanvasObject {
	logo := canvas.NewImageFromResource(Icon())
	logo.SetMinSize(fyne.NewSquareSize(32))
	logo.FillMode = canvas.ImageFillContain
	title := &widget.Label{Text: "Postfach", TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameSubHeadingText}
	o.add = &widget.Button{Text: lang.L("Add account"), Icon: theme.ContentAddIcon(), Importance: widget.HighImportance, OnTapped: o.onAdd}
	o.backupAll = &widget.Button{Text: lang.L("Back up all now"), Icon: theme.DownloadIcon(), OnTapped: o.u.backupAll}
	header := container.NewBorder(nil, nil, container.NewHBox(logo, title), container.NewHBox(o.backupAll, o.add))

	o.list = container.NewVBox()
	o.empty = container.NewCenter(container.NewVBox(
		widget.NewLabelWithStyle(lang.L("No mail account yet."), fyne.TextAlignCenter, fyne.TextStyle{Bold: true}),
		widget.NewLabelWithStyle(lang.L("Add one to back it up or to watch its mailbox."), fyne.TextAlignCenter, fyne.TextStyle{}),
	))
	o.failTitle = &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}
	o.failText = &widget.Label{Wrapping: fyne.TextWrapWord}
	o.failure = container.NewVBox(o.failTitle, o.failText, container.NewHBox(
		&widget.Button{Text: lang.L("Open settings folder"), Icon: theme.FolderOpenIcon(), OnTapped: o.onOpenConfigDir},
		&widget.Button{Text: lang.L("Try again"), Icon: theme.ViewRefreshIcon(), OnTapped: func() { o.u.reload(false) }},
	))

	var footer fyne.CanvasObject = layout.NewSpacer()
	if autostartSupported() {
		o.autostart = widget.NewCheck(lang.L("Start Postfach when I log in (backups then run in the background)"), o.onAutostart)
		o.u.async(func() {
			on := autostartEnabled(o.u.app.UniqueID())
			fyne.Do(func() { o.autostart.Checked = on; o.autostart.Refresh() })
		})
		footer = o.autostart
	}
	o.content = container.NewStack()
	o.refresh()
	return container.NewBorder(
		container.NewVBox(container.NewPadded(header), widget.NewSeparator()),
		container.NewVBox(widget.NewSeparator(), footer),
		nil, nil,
		o.content)
}

// refresh rebuilds the card list after the accounts changed.
func (o *overview) refresh() {
	if o.content == nil {
		return
	}
	u := o.u
	switch {
	case u.loadErr != nil:
		o.failTitle.SetText(lang.L("Postfach could not read its settings"))
		text := u.loadErr.Error()
		switch {
		case errors.Is(u.loadErr, accounts.ErrNewerConfig):
			text = lang.L("They were saved by a newer version of Postfach. Please install that version again; this one leaves the file untouched.") + "\n\n" + text
		case errors.Is(u.loadErr, accounts.ErrCorruptConfig):
			text = lang.L("The settings file is damaged. Postfach leaves it as it is, so nothing more is lost: repair it or restore it from a backup, then try again.") + "\n\n" + text
		}
		o.failText.SetText(text)
		o.content.Objects = []fyne.CanvasObject{container.NewPadded(o.failure)}
		o.add.Disable()
	case len(u.accts) == 0:
		o.content.Objects = []fyne.CanvasObject{o.empty}
		o.add.Enable()
	default:
		o.list.Objects = nil
		seen := map[string]bool{}
		for _, a := range u.accts {
			c := o.cards[a.ID]
			if c == nil {
				c = newAccountCard(u, a.ID)
				o.cards[a.ID] = c
			}
			c.update(u.status[a.ID])
			seen[a.ID] = true
			o.list.Add(c.obj)
		}
		for id := range o.cards {
			if !seen[id] {
				delete(o.cards, id)
			}
		}
		o.content.Objects = []fyne.CanvasObject{container.NewVScroll(container.NewPadded(o.list))}
		o.add.Enable()
	}
	hasPOP3 := false
	for _, a := range u.accts {
		hasPOP3 = hasPOP3 || a.Protocol == accounts.POP3
	}
	if hasPOP3 {
		o.backupAll.Show()
	} else {
		o.backupAll.Hide()
	}
	o.content.Refresh()
}

// refreshCard redraws one account's card.
func (o *overview) refreshCard(id string) {
	if c, st := o.cards[id], o.u.status[id]; c != nil && st != nil {
		c.update(st)
	}
}

func (o *overview) onAdd() { o.u.showWizard(false) }

func (o *overview) onOpenConfigDir() {
	dir := o.u.configDir()
	if dir == "" {
		return
	}
	if link, err := url.Parse(storage.NewFileURI(dir).String()); err == nil {
		if err := o.u.openURL(link); err != nil {
			fyne.LogError("open settings folder", err)
		}
	}
}

func (o *overview) onAutostart(on bool) {
	id := o.u.app.UniqueID()
	o.u.async(func() {
		err := setAutostart(id, on)
		fyne.Do(func() {
			if err != nil {
				o.autostart.Checked = !on
				o.autostart.Refresh()
				o.u.showProblem(problem{Title: lang.L("Could not change the start at login"), Text: err.Error()})
			}
		})
	})
}

// configDir is the folder of the settings file, for "Open settings folder".
func (u *UI) configDir() string {
	dir, err := accounts.DefaultDir()
	if err != nil {
		return ""
	}
	return dir
}
