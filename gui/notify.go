package gui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/backup"
)

// Quota thresholds: the meter turns amber at 80 % and red at 95 % (Thunderbird and KMail
// use the same numbers); a notification goes out once per upward crossing.
const (
	quotaWarn     = 80.0
	quotaCritical = 95.0
)

// renotifyAfter is how long the same overdue or failure notice stays quiet: once a day is
// a reminder, more is nagging.
const renotifyAfter = 24 * time.Hour

// notifier decides which desktop notifications to send. What it already said survives
// restarts in the app's preferences, so a tray app started every morning does not
// repeat yesterday's warnings. Methods run on the UI thread; the sending itself (a
// synchronous D-Bus call) happens off it.
type notifier struct {
	u *UI
}

func (n *notifier) send(title, content string) {
	note := fyne.NewNotification(title, content)
	n.u.async(func() { n.u.app.SendNotification(note) })
}

// backupFinished sends one summary per run with new mail, and explains failures. A
// temporary failure of a scheduled run stays quiet: the scheduler retries, and the
// overdue notice speaks up if it never works.
func (n *notifier) backupFinished(acct accounts.Account, r *backup.Result, err error, manual bool) {
	if err != nil {
		if isTemporary(err) && !manual {
			return
		}
		p := explain(err, acct, nil)
		if !manual && !n.due("failed/"+acct.ID+"/"+p.Title) {
			return
		}
		title := lang.L("Backup of {{.Account}} failed", map[string]any{"Account": acct.Name})
		if backup.KindOf(err) == backup.KindReauth {
			// A scheduled backup must not stop silently: say what the user has to do.
			title = lang.L("Sign in to {{.Account}} again", map[string]any{"Account": acct.Name})
		}
		n.send(title, p.summary())
		return
	}
	n.u.app.Preferences().RemoveValue("overdue/" + acct.ID)
	if r == nil || r.New == 0 {
		return
	}
	n.send(lang.L("Backup finished"),
		lang.N("{{.Account}}: {{.Count}} new messages saved ({{.Size}}).", r.New,
			map[string]any{"Account": acct.Name, "Count": r.New, "Size": formatBytes(r.Bytes)}))
}

// signInAgain says, at most once a day, that an IMAP account's sign-in expired (its
// quota reading ended with kind reauth-required); backups say it in backupFinished.
func (n *notifier) signInAgain(acct accounts.Account) {
	if !n.due("reauth/" + acct.ID) {
		return
	}
	data := map[string]any{"Account": acct.Name}
	n.send(lang.L("Sign in to {{.Account}} again", data),
		lang.L("The sign-in has expired or was withdrawn, so Postfach cannot check this mailbox. Open Postfach and choose “Sign in again”.", data))
}

// overdue reminds, at most once a day, that an account has not been backed up.
func (n *notifier) overdue(acct accounts.Account, last time.Time) {
	if !n.due("overdue/" + acct.ID) {
		return
	}
	content := lang.L("{{.Account}} has never been backed up successfully. Open Postfach to see why.", map[string]any{"Account": acct.Name})
	if !last.IsZero() {
		content = lang.L("The last successful backup of {{.Account}} was {{.When}}. Open Postfach to see why.",
			map[string]any{"Account": acct.Name, "When": formatWhen(last, n.u.now())})
	}
	n.send(lang.L("Backup overdue"), content)
}

// quota warns when the mailbox crosses 80 % or 95 %, once per crossing: the level is
// remembered, and dropping below resets it so the next rise warns again.
func (n *notifier) quota(acct accounts.Account, q *QuotaReport) {
	pct, ok := q.Percent()
	if !ok {
		return
	}
	level := 0
	switch {
	case pct >= quotaCritical:
		level = 2
	case pct >= quotaWarn:
		level = 1
	}
	key := "quota-level/" + acct.ID
	prefs := n.u.app.Preferences()
	prev := prefs.Int(key)
	prefs.SetInt(key, level)
	if level <= prev {
		return
	}
	data := map[string]any{"Account": acct.Name, "Used": formatBytes(q.Used), "Limit": formatBytes(q.Limit), "Percent": formatPercent(pct)}
	forecast := ""
	if q.FullInDays > 0 {
		forecast = " " + fullInText(q.FullInDays)
	}
	if level == 2 {
		n.send(lang.L("Mailbox {{.Account}} is almost full", data),
			lang.L("{{.Percent}} used ({{.Used}} of {{.Limit}}). When it is full, new mail bounces back to the senders. Delete or archive mail now.", data)+forecast)
		return
	}
	n.send(lang.L("Mailbox {{.Account}} is filling up", data),
		lang.L("{{.Percent}} used ({{.Used}} of {{.Limit}}). Delete or archive old mail before it is full.", data)+forecast)
}

// due reports whether a notice with this key may be sent now, and records it if so.
func (n *notifier) due(key string) bool {
	prefs := n.u.app.Preferences()
	now := n.u.now()
	if last := prefs.Int(key); last != 0 && now.Sub(time.Unix(int64(last), 0)) < renotifyAfter {
		return false
	}
	prefs.SetInt(key, int(now.Unix()))
	return true
}
