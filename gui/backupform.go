package gui

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/postfach/postfach/accounts"
)

// backupForm edits a POP3 account's backup policy: the folder, the schedule and what
// happens to mail on the server. The wizard and the edit dialog share it.
type backupForm struct {
	u   *UI
	win func() fyne.Window

	dir      *widget.Entry
	choose   *widget.Button
	dirHint  *widget.Label
	diskWarn *widget.Label

	kind    *widget.Select
	clock   *widget.Entry
	weekday *widget.Select
	hours   *widget.Select
	when    *fyne.Container

	retention   *choiceList
	days        *widget.Select
	devicesWarn *widget.Label
	// otherDevices is set when the user said other devices read this address.
	otherDevices bool

	diskGen int
}

var (
	hourChoices = []string{"1", "2", "3", "4", "6", "8", "12", "24"}
	dayChoices  = []string{"3", "7", "14", "30", "90", "365"}
)

func newBackupForm(u *UI, win func() fyne.Window) *backupForm {
	f := &backupForm{u: u, win: win}
	f.buildUI()
	return f
}

func (f *backupForm) buildUI() {
	f.dir = &widget.Entry{OnChanged: func(string) { f.checkDisk() }}
	f.choose = &widget.Button{Text: lang.L("Choose…"), Icon: theme.FolderOpenIcon(), OnTapped: f.onChoose}
	f.dirHint = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.LowImportance, Text: lang.L(
		"Best on an external drive or in a folder that is copied elsewhere (a synced cloud folder, a network drive): then a broken disk cannot take your mail and its backup at once.")}
	f.diskWarn = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.WarningImportance, Text: lang.L(
		"This folder is on the same disk as your system. If that disk fails, the mail and its backup are lost together.")}
	f.diskWarn.Hide()

	f.kind = widget.NewSelect([]string{lang.L("Every day"), lang.L("Every week"), lang.L("Every few hours"), lang.L("Only when I click “Back up now”")}, func(string) { f.layoutWhen() })
	f.clock = &widget.Entry{PlaceHolder: "13:00"}
	days := make([]string, 7)
	for i := range days {
		days[i] = weekdayName(time.Weekday((i + 1) % 7)) // Monday first
	}
	f.weekday = widget.NewSelect(days, nil)
	f.hours = widget.NewSelect(hourChoices, nil)
	f.when = container.NewHBox()

	f.days = widget.NewSelect(dayChoices, func(string) { f.updateRetention() })
	f.retention = newChoiceList([]choice{
		{lang.L("Remove from the server some days after the backup (recommended)"),
			lang.L("Your phone and webmail still see recent mail, and the mailbox on the server does not fill up.")},
		{lang.L("Keep on the server forever"),
			lang.L("Nothing is ever removed; the mailbox on the server keeps growing until it is full and new mail bounces.")},
		{lang.L("Remove from the server right after the backup"),
			lang.L("The server stays empty; from then on the only copies of your mail are on this PC and in its backup.")},
	}, func(int) { f.updateRetention() })
	f.retention.extra[0].Add(container.NewHBox(widget.NewLabel(lang.L("Days on the server after the backup:")), f.days))
	f.devicesWarn = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.WarningImportance}
	f.devicesWarn.Hide()
}

// content lays the form out in three titled sections.
func (f *backupForm) content() fyne.CanvasObject {
	return container.NewVBox(
		heading(lang.L("Backup folder")),
		container.NewBorder(nil, nil, nil, f.choose, f.dir),
		f.dirHint, f.diskWarn,
		heading(lang.L("When to back up")),
		f.when,
		heading(lang.L("Mail on the server")),
		f.retention.box, f.devicesWarn,
	)
}

// set shows a policy.
func (f *backupForm) set(p accounts.BackupPolicy) {
	f.dir.SetText(p.Dir)
	clock := fmt.Sprintf("%02d:%02d", p.Schedule.Minute/60, p.Schedule.Minute%60)
	f.clock.SetText(clock)
	f.weekday.SetSelectedIndex((int(p.Schedule.Weekday) + 6) % 7)
	f.hours.SetSelected("6")
	switch p.Schedule.Kind {
	case accounts.Daily:
		f.kind.SetSelectedIndex(0)
	case accounts.Weekly:
		f.kind.SetSelectedIndex(1)
	case accounts.Hourly:
		f.hours.SetSelected(strconv.Itoa(p.Schedule.Hours))
		f.kind.SetSelectedIndex(2)
	default:
		f.kind.SetSelectedIndex(3)
	}
	days := p.Retention.Days
	if days == 0 {
		days = accounts.DefaultKeepDays
	}
	f.days.SetSelected(strconv.Itoa(days))
	switch p.Retention.Mode {
	case accounts.KeepForever:
		f.retention.setSelected(1)
	case accounts.DeleteNow:
		f.retention.setSelected(2)
	default:
		f.retention.setSelected(0)
	}
	f.layoutWhen()
	f.checkDisk()
}

// policy reads the form.
func (f *backupForm) policy() (accounts.BackupPolicy, error) {
	var p accounts.BackupPolicy
	p.Dir = strings.TrimSpace(f.dir.Text)
	if p.Dir == "" || !filepath.IsAbs(p.Dir) {
		return p, errors.New(lang.L("Choose a backup folder (a full path)."))
	}
	minute := 0
	if i := f.kind.SelectedIndex(); i == 0 || i == 1 {
		// The one time-of-day parser is the config's, reached through its schedule syntax,
		// so that the form accepts exactly what the config file and the CLI accept.
		sc, err := accounts.ParseSchedule("daily " + strings.TrimSpace(f.clock.Text))
		if err != nil {
			return p, errors.New(lang.L("Enter the time of day as hours:minutes, e.g. 13:00."))
		}
		minute = sc.Minute
	}
	switch f.kind.SelectedIndex() {
	case 0:
		p.Schedule = accounts.Schedule{Kind: accounts.Daily, Minute: minute}
	case 1:
		p.Schedule = accounts.Schedule{Kind: accounts.Weekly, Minute: minute, Weekday: time.Weekday((f.weekday.SelectedIndex() + 1) % 7)}
	case 2:
		h, _ := strconv.Atoi(f.hours.Selected)
		p.Schedule = accounts.Schedule{Kind: accounts.Hourly, Hours: max(h, 1)}
	default:
		p.Schedule = accounts.Schedule{Kind: accounts.Off}
	}
	switch f.retention.selected {
	case 1:
		p.Retention = accounts.Retention{Mode: accounts.KeepForever}
	case 2:
		p.Retention = accounts.Retention{Mode: accounts.DeleteNow}
	default:
		d, _ := strconv.Atoi(f.days.Selected)
		p.Retention = accounts.Retention{Mode: accounts.DeleteAfter, Days: max(d, 1)}
	}
	return p, nil
}

func (f *backupForm) layoutWhen() {
	at := widget.NewLabel(lang.L("at"))
	switch f.kind.SelectedIndex() {
	case 0:
		f.when.Objects = []fyne.CanvasObject{f.kind, at, sizedEntry(f.clock, 80)}
	case 1:
		f.when.Objects = []fyne.CanvasObject{f.kind, widget.NewLabel(lang.L("on")), f.weekday, at, sizedEntry(f.clock, 80)}
	case 2:
		f.when.Objects = []fyne.CanvasObject{f.kind, widget.NewLabel(lang.L("every")), f.hours, widget.NewLabel(lang.L("hours"))}
	default:
		f.when.Objects = []fyne.CanvasObject{f.kind}
	}
	f.when.Refresh()
}

// updateRetention shows the warning for other devices when mail is removed from the
// server: a phone using IMAP on the same address loses that mail too.
func (f *backupForm) updateRetention() {
	f.retention.labels[0].SetText(lang.L("Remove from the server some days after the backup (recommended)"))
	d, _ := strconv.Atoi(f.days.Selected)
	switch {
	case !f.otherDevices || f.retention.selected == 1:
		f.devicesWarn.Hide()
	case f.retention.selected == 2:
		f.devicesWarn.SetText(lang.L("You said other devices read this address: mail Postfach removes from the server disappears from them right after the backup."))
		f.devicesWarn.Show()
	default:
		f.devicesWarn.SetText(lang.N("You said other devices read this address: they will no longer see mail older than {{.Count}} days.", d, map[string]any{"Count": d}))
		f.devicesWarn.Show()
	}
}

// checkDisk finds out in the background whether the folder shares the system's disk.
func (f *backupForm) checkDisk() {
	f.diskGen++
	gen := f.diskGen
	dir := strings.TrimSpace(f.dir.Text)
	if dir == "" {
		f.diskWarn.Hide()
		return
	}
	f.u.async(func() {
		same, known := f.u.core.OnSystemDisk(dir)
		fyne.Do(func() {
			if gen != f.diskGen {
				return
			}
			if same && known {
				f.diskWarn.Show()
			} else {
				f.diskWarn.Hide()
			}
		})
	})
}

func (f *backupForm) onChoose() {
	d := dialog.NewFolderOpen(func(uri fyne.ListableURI, err error) {
		if err != nil || uri == nil {
			return
		}
		f.dir.SetText(uri.Path())
	}, f.win())
	if start := strings.TrimSpace(f.dir.Text); start != "" {
		for dir := start; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
			if l, err := storage.ListerForURI(storage.NewFileURI(dir)); err == nil {
				d.SetLocation(l)
				break
			}
		}
	}
	d.Resize(fyne.NewSize(720, 520))
	d.Show()
}

// heading is a section title.
func heading(text string) *widget.Label {
	return &widget.Label{Text: text, TextStyle: fyne.TextStyle{Bold: true}}
}

// sizedEntry keeps a short entry (a time, a port) from shrinking to nothing in an HBox.
func sizedEntry(e *widget.Entry, w float32) fyne.CanvasObject {
	return container.NewGridWrap(fyne.NewSize(w, e.MinSize().Height), e)
}
