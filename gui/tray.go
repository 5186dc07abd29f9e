package gui

import (
	"slices"
	"strings"
	"unicode/utf16"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/systray"

	"github.com/postfach/postfach/accounts"
)

// trayState is the installed tray, if any, and the labels it shows: the menu is only
// rebuilt when a label changes, because every rebuild re-creates the D-Bus menu.
type trayState struct {
	desk   desktop.App
	labels []string
}

// trayMenu builds the tray menu: one status line per account (clicking it opens the
// window), "Back up all now" and "Open Postfach". Fyne appends "Quit" by itself. It is a
// plain function so tests can invoke the items without a tray.
func trayMenu(lines []string, canBackup bool, onOpen, onBackupAll func()) *fyne.Menu {
	var items []*fyne.MenuItem
	for _, l := range lines {
		items = append(items, fyne.NewMenuItem(l, onOpen))
	}
	if len(items) > 0 {
		items = append(items, fyne.NewMenuItemSeparator())
	}
	all := fyne.NewMenuItem(lang.L("Back up all now"), onBackupAll)
	all.Disabled = !canBackup
	items = append(items, all, fyne.NewMenuItem(lang.L("Open Postfach"), onOpen))
	return fyne.NewMenu("Postfach", items...)
}

// trayLine is one account's status in a few words.
func (u *UI) trayLine(st *accountStatus) string {
	data := map[string]any{"Account": st.acct.Name}
	if st.acct.Protocol == accounts.IMAP {
		if st.needsSignIn() {
			return lang.L("{{.Account}}: sign in again", data)
		}
		if pct, ok := st.quota.Percent(); ok {
			data["Percent"] = formatPercent(pct)
			return lang.L("{{.Account}}: mailbox {{.Percent}} full", data)
		}
		if st.quota != nil {
			return lang.L("{{.Account}}: mailbox size unknown", data)
		}
		return st.acct.Name + ": IMAP"
	}
	switch {
	case st.running:
		return lang.L("{{.Account}}: backing up…", data)
	case st.needsSignIn():
		return lang.L("{{.Account}}: sign in again", data)
	case st.last != nil && !st.last.OK():
		return lang.L("{{.Account}}: last backup failed", data)
	case st.overdue:
		return lang.L("{{.Account}}: backup overdue", data)
	case !st.lastOK.IsZero():
		data["When"] = formatWhen(st.lastOK, u.now())
		return lang.L("{{.Account}}: backed up {{.When}}", data)
	}
	return lang.L("{{.Account}}: not backed up yet", data)
}

// lastFailure is the error of the last run: as it happened in this session, else as the
// history recorded it (nil after a good run).
func (st *accountStatus) lastFailure() error {
	if st.lastErr != nil {
		return st.lastErr
	}
	if st.last == nil {
		return nil
	}
	return st.last.Failure()
}

// trayContent returns the current tray lines and whether any account can be backed up.
func (u *UI) trayContent() ([]string, bool) {
	var lines []string
	canBackup := false
	for _, a := range u.accts {
		if st := u.status[a.ID]; st != nil {
			lines = append(lines, u.trayLine(st))
		}
		canBackup = canBackup || a.Protocol == accounts.POP3
	}
	return lines, canBackup
}

// setupTray installs the tray icon and menu when Options.Tray allows it. The main window
// then hides on close instead of quitting.
func (u *UI) setupTray() {
	desk, ok := u.app.(desktop.App)
	if !u.opts.Tray || !ok {
		return
	}
	u.tray = &trayState{desk: desk}
	desk.SetSystemTrayIcon(Icon())
	desk.SetSystemTrayWindow(u.win) // close hides the window
	// A click on the icon shows the window through showMain, which first gives it its
	// content when the app started hidden (Fyne's own handler would show it empty).
	systray.SetOnTapped(func() { fyne.Do(u.showMain) })
	u.win.SetCloseIntercept(u.win.Hide)
	u.refreshTray()
}

// refreshTray updates the tray menu if its text changed.
func (u *UI) refreshTray() {
	if u.tray == nil {
		return
	}
	lines, canBackup := u.trayContent()
	labels := append(slices.Clone(lines), map[bool]string{true: "1", false: "0"}[canBackup], lang.L("Open Postfach"))
	if slices.Equal(labels, u.tray.labels) {
		return
	}
	u.tray.labels = labels
	u.tray.desk.SetSystemTrayMenu(trayMenu(lines, canBackup, u.showMain, u.backupAll))
	// The icon's tooltip shows the same state: where notifications cannot be shown
	// (Windows with scripts blocked by policy runs no toasts), hovering still tells.
	systray.SetTooltip(trayTooltip(lines))
}

// maxTooltip is the longest tooltip Windows shows: NOTIFYICONDATA's szTip holds 128
// UTF-16 units including the terminating zero, and the tray library copies without
// cutting.
const maxTooltip = 127

// trayTooltip is "Postfach" and the accounts' tray lines, cut to what Windows can show.
func trayTooltip(lines []string) string {
	tip := strings.Join(append([]string{"Postfach"}, lines...), "\n")
	if len(utf16.Encode([]rune(tip))) <= maxTooltip {
		return tip
	}
	units := 0
	for i, r := range tip {
		if units += utf16.RuneLen(r); units > maxTooltip-1 { // room for the "…"
			return tip[:i] + "…"
		}
	}
	return tip
}

// backupAll queues a backup of every POP3 account.
func (u *UI) backupAll() {
	u.sched.BackupNow()
	for _, st := range u.status {
		if st.acct.Protocol == accounts.POP3 && !st.running {
			u.overview.refreshCard(st.acct.ID)
		}
	}
}
