package gui

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/mailerr"
	"github.com/postfach/postfach/accounts/oauth"
	"github.com/postfach/postfach/backup"
)

func labels(m *fyne.Menu) []string {
	var out []string
	for _, it := range m.Items {
		if it.IsSeparator {
			out = append(out, "---")
		} else {
			out = append(out, it.Label)
		}
	}
	return out
}

func item(t *testing.T, m *fyne.Menu, label string) *fyne.MenuItem {
	t.Helper()
	for _, it := range m.Items {
		if it.Label == label {
			return it
		}
	}
	t.Fatalf("no menu item %q in %v", label, labels(m))
	return nil
}

func TestTrayMenu(t *testing.T) {
	core := newFakeCore()
	core.accts = []accounts.Account{pop3Account("p1"), pop3Account("p2"), imapAccount("i1"), imapAccount("i2")}
	core.history["p2"] = []backup.Result{{Started: now.Add(-time.Hour), New: 1}}
	core.quota["i1"] = &QuotaReport{Supported: true, Used: 82, Limit: 100}
	core.quota["i2"] = &QuotaReport{Supported: false}
	u, _ := newTestUI(t, core)
	runJobs(u) // p1 was never backed up: due at once; p2 waits for 13:00; quotas refresh
	lines, canBackup := u.trayContent()
	menu := trayMenu(lines, canBackup, u.showMain, u.backupAll)
	want := []string{
		"Mail p1: backed up today at 10:00",
		"Mail p2: backed up today at 09:00",
		"Info i1: mailbox 82 % full",
		"Info i2: mailbox size unknown",
		"---", "Back up all now", "Open Postfach",
	}
	if got := labels(menu); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("menu\n got %q\nwant %q", got, want)
	}

	core.backupErr = fmt.Errorf("pass: %w", mailerr.ErrAuthFailed)
	item(t, menu, "Back up all now").Action()
	if !u.sched.Queued("p1") || !u.sched.Queued("p2") {
		t.Fatal("Back up all now did not queue every POP3 account")
	}
	runJobs(u)
	if len(core.backedUp) != 3 {
		t.Errorf("backups: %v", core.backedUp)
	}
	lines, _ = u.trayContent()
	if lines[0] != "Mail p1: last backup failed" {
		t.Errorf("tray after a failure: %q", lines[0])
	}

	u.win.Hide()
	item(t, menu, "Open Postfach").Action()
	if !u.win.Content().Visible() {
		t.Error("Open Postfach did not show the window")
	}
	item(t, menu, "Info i1: mailbox 82 % full").Action() // status lines open the window too
}

func TestTrayMenuWithoutPOP3(t *testing.T) {
	setLang(t, "en_US.UTF-8")
	m := trayMenu([]string{"Info: mailbox 10 % full"}, false, func() {}, func() {})
	if !item(t, m, "Back up all now").Disabled {
		t.Error("nothing to back up: the item should be disabled")
	}
}

func TestNotifications(t *testing.T) {
	core := newFakeCore()
	core.accts = []accounts.Account{pop3Account("p1"), imapAccount("i1")}
	u, _ := newTestUI(t, core)
	p1, i1 := core.accts[0], core.accts[1]
	n := u.notify

	test.AssertNotificationSent(t, fyne.NewNotification("Backup finished", "Mail p1: 12 new messages saved (3.4 MB)."), func() {
		n.backupFinished(p1, &backup.Result{New: 12, Bytes: 3_400_000}, nil, false)
	})
	test.AssertNotificationSent(t, nil, func() {
		n.backupFinished(p1, &backup.Result{New: 0}, nil, false) // nothing new: stay quiet
	})
	test.AssertNotificationSent(t, fyne.NewNotification("Backup of Mail p1 failed",
		"The backup folder is missing. Connect the drive and try again. Nothing was downloaded and nothing deleted."), func() {
		n.backupFinished(p1, nil, fmt.Errorf("run: %w", backup.ErrFolderMissing), false)
	})
	test.AssertNotificationSent(t, nil, func() { // the same failure again the same day: quiet
		n.backupFinished(p1, nil, fmt.Errorf("run: %w", backup.ErrFolderMissing), false)
	})
	test.AssertNotificationSent(t, nil, func() { // a temporary failure of a scheduled run: the scheduler retries
		n.backupFinished(p1, nil, fmt.Errorf("dial: %w", mailerr.ErrUnreachable), false)
	})
	test.AssertNotificationSent(t, fyne.NewNotification("Backup of Mail p1 failed",
		"The server could not be reached. Check the server name against your provider's help page."), func() {
		n.backupFinished(p1, nil, fmt.Errorf("dial: %w", mailerr.ErrUnreachable), true) // but the user asked
	})

	test.AssertNotificationSent(t, fyne.NewNotification("Backup overdue",
		"The last successful backup of Mail p1 was Wednesday at 10:00. Open Postfach to see why."), func() {
		n.overdue(p1, now.Add(-5*24*time.Hour))
	})
	test.AssertNotificationSent(t, nil, func() { n.overdue(p1, now.Add(-5*24*time.Hour)) })

	q := func(used int64) *QuotaReport { return &QuotaReport{Supported: true, Used: used, Limit: 1_000_000_000} }
	test.AssertNotificationSent(t, nil, func() { n.quota(i1, q(500_000_000)) })
	test.AssertNotificationSent(t, fyne.NewNotification("Mailbox Info i1 is filling up",
		"81 % used (810 MB of 1 GB). Delete or archive old mail before it is full."), func() { n.quota(i1, q(810_000_000)) })
	test.AssertNotificationSent(t, nil, func() { n.quota(i1, q(820_000_000)) })
	test.AssertNotificationSent(t, fyne.NewNotification("Mailbox Info i1 is almost full",
		"96 % used (960 MB of 1 GB). When it is full, new mail bounces back to the senders. Delete or archive mail now."),
		func() { n.quota(i1, q(960_000_000)) })
	test.AssertNotificationSent(t, nil, func() { n.quota(i1, q(970_000_000)) })
	test.AssertNotificationSent(t, nil, func() { n.quota(i1, q(400_000_000)) })
	test.AssertNotificationSent(t, fyne.NewNotification("Mailbox Info i1 is filling up",
		"85 % used (850 MB of 1 GB). Delete or archive old mail before it is full."), func() { n.quota(i1, q(850_000_000)) })
	test.AssertNotificationSent(t, nil, func() { n.quota(i1, &QuotaReport{Supported: false}) })
}

func TestSchedulerEventsNotify(t *testing.T) {
	core := newFakeCore()
	core.accts = []accounts.Account{pop3Account("p1")}
	u, _ := newTestUI(t, core)
	test.AssertNotificationSent(t, fyne.NewNotification("Backup finished", "Mail p1: 2 new messages saved (2.4 MB)."), func() {
		runJobs(u) // never backed up: due at once
	})
	test.AssertNotificationSent(t, nil, func() { runJobs(u) }) // nothing due any more
}

// TestSignInAgain checks the "sign in again" state of an OAuth2 account whose refresh
// token was revoked: read back from the history, on the card (with its button) and in
// the tray; from a scheduled run, as a notification that says what to do; and the
// card's button signs in and backs up at once.
func TestSignInAgain(t *testing.T) {
	core := newFakeCore()
	core.accts = []accounts.Account{pop3Account("p1")}
	core.history["p1"] = []backup.Result{{Started: now.Add(-time.Hour),
		Err: "oauth microsoft: refresh: sign-in expired: sign in again", Kind: backup.KindReauth}}
	core.signInURL = "https://login.example/authorize"
	u, opened := newTestUI(t, core)
	assertShows(t, u.win, "Last backup: today at 09:00, failed",
		"Sign in again. Choose “Sign in again” on the account's card")
	if lines, _ := u.trayContent(); lines[0] != "Mail p1: sign in again" {
		t.Errorf("tray: %q", lines[0])
	}
	test.AssertNotificationSent(t, fyne.NewNotification("Sign in to Mail p1 again",
		"Sign in again. Choose “Sign in again” on the account's card; the backup and its history stay as they are."), func() {
		u.notify.backupFinished(core.accts[0], nil, fmt.Errorf("backup: %w", oauth.ErrReauthRequired), false)
	})

	tap(t, u.win, "Sign in again")
	if len(core.reauthed) != 1 || core.reauthed[0] != "p1" || len(*opened) != 1 || (*opened)[0].String() != core.signInURL {
		t.Fatalf("sign in again: %v, opened %v", core.reauthed, *opened)
	}
	runJobs(u)
	if len(core.backedUp) != 1 {
		t.Fatalf("no backup after signing in again: %v", core.backedUp)
	}
	assertNotShows(t, u.win, "Sign in again")
	if lines, _ := u.trayContent(); lines[0] == "Mail p1: sign in again" {
		t.Error("the tray still says sign in again")
	}
}

// TestSignInAgainIMAP checks the same state for an IMAP account, whose quota reading
// found the sign-in expired: the card's button, the tray line and one notification a
// day.
func TestSignInAgainIMAP(t *testing.T) {
	core := newFakeCore()
	core.accts = []accounts.Account{imapAccount("i1")}
	core.quota["i1"] = &QuotaReport{Supported: true, Used: 10, Limit: 100}
	u, _ := newTestUI(t, core)
	expired := fmt.Errorf("quota: %w", oauth.ErrReauthRequired)
	test.AssertNotificationSent(t, fyne.NewNotification("Sign in to Info i1 again",
		"The sign-in has expired or was withdrawn, so Postfach cannot check this mailbox. Open Postfach and choose “Sign in again”."), func() {
		u.setQuota(core.accts[0], nil, expired)
	})
	test.AssertNotificationSent(t, nil, func() { u.setQuota(core.accts[0], nil, expired) })
	assertShows(t, u.win, "Could not check: Sign in again", "Sign in again")
	if lines, _ := u.trayContent(); lines[0] != "Info i1: sign in again" {
		t.Errorf("tray: %q", lines[0])
	}
	tap(t, u.win, "Sign in again")
	if len(core.reauthed) != 1 {
		t.Fatalf("reauthorized %v", core.reauthed)
	}
	if st := u.status["i1"]; st.quotaErr != nil || st.needsSignIn() || st.quota == nil {
		t.Error("the quota was not read again after signing in")
	}
}

func TestTrayTooltip(t *testing.T) {
	if got := trayTooltip([]string{"Mail: backed up today at 10:00"}); got != "Postfach\nMail: backed up today at 10:00" {
		t.Errorf("tooltip %q", got)
	}
	exact := strings.Repeat("x", maxTooltip-len("Postfach\n")) // just fits: no cut
	if got := trayTooltip([]string{exact}); got != "Postfach\n"+exact {
		t.Errorf("a tooltip of exactly %d units was cut: %q", maxTooltip, got)
	}
	if got := trayTooltip([]string{exact + "y"}); len(utf16.Encode([]rune(got))) != maxTooltip || !strings.HasSuffix(got, "x…") {
		t.Errorf("one unit too long: %q", got)
	}
	long := []string{strings.Repeat("Ä", 60), strings.Repeat("😀", 60)} // 😀 is two UTF-16 units
	got := trayTooltip(long)
	if n := len(utf16.Encode([]rune(got))); n > maxTooltip || !strings.HasSuffix(got, "…") || !strings.HasPrefix(got, "Postfach\nÄÄ") {
		t.Errorf("tooltip of %d UTF-16 units: %q", n, got)
	}
}
