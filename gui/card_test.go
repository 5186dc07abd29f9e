package gui

import (
	"fmt"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Berlin on machines without a zoneinfo database

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/mailerr"
	"github.com/postfach/postfach/backup"
)

func TestPOP3CardStates(t *testing.T) {
	ok := backup.Result{Started: now.Add(-20 * time.Hour), New: 12, Bytes: 3_400_000}
	failed := backup.Result{Started: now.Add(-2 * time.Hour), Err: fmt.Sprintf("backup: %v", backup.ErrFolderMissing), Kind: backup.KindFolderMissing}
	tests := []struct {
		name    string
		history []backup.Result
		setup   func(u *UI)
		shows   []string
		hides   []string
		imp     widget.Importance
	}{
		{"never backed up", nil, nil,
			[]string{"Last backup: none yet", "Next backup: today at 10:00", "Saved to /backup/p1; mail is deleted from the server 14 days after the backup."},
			[]string{"Saving message"}, widget.MediumImportance},
		{"successful", []backup.Result{ok}, nil,
			[]string{"Last backup: yesterday at 14:00, successful: 12 new messages (3.4 MB)", "Next backup: today at 13:00 (every day at 13:00)"},
			nil, widget.SuccessImportance},
		{"failed", []backup.Result{ok, failed}, nil,
			[]string{"Last backup: today at 08:00, failed", "The backup folder is missing. Connect the drive and try again."},
			nil, widget.DangerImportance},
		{"running", []backup.Result{ok}, func(u *UI) {
			st := u.status["p1"]
			st.running = true
			st.progress = backup.Progress{Phase: backup.PhaseDownload, Done: 3, Total: 12, Bytes: 1_200_000, TotalBytes: 3_400_000}
		}, []string{"Saving message 3 of 12 (1.2 MB of 3.4 MB)"}, nil, widget.SuccessImportance},
		{"overdue", []backup.Result{{Started: now.Add(-10 * 24 * time.Hour), New: 1}}, func(u *UI) { u.status["p1"].overdue = true },
			[]string{"No successful backup for longer than planned."}, nil, widget.SuccessImportance},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core := newFakeCore()
			core.accts = []accounts.Account{pop3Account("p1")}
			core.history["p1"] = tt.history
			u, _ := newTestUI(t, core)
			if tt.setup != nil {
				tt.setup(u)
			}
			u.overview.refreshCard("p1")
			c := u.overview.cards["p1"]
			assertShows(t, u.win, "Mail p1", "p1@example.org", "POP3")
			assertShows(t, u.win, tt.shows...)
			assertNotShows(t, u.win, tt.hides...)
			assertNotShows(t, u.win, "Mailbox storage")
			if c.lastRun.Importance != tt.imp {
				t.Errorf("last run importance %v, want %v", c.lastRun.Importance, tt.imp)
			}
			if st := u.status["p1"]; st.running != c.backupNow.Disabled() {
				t.Error("Back up now must be disabled exactly while running")
			}
		})
	}
}

// TestPOP3CardLocalTime: the history keeps Started in UTC; "last" and "next backup" are
// shown, and the next run computed, on the local wall clock (here Europe/Berlin).
func TestPOP3CardLocalTime(t *testing.T) {
	ber, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		now, last time.Time
	}{
		{"winter", time.Date(2026, 3, 2, 10, 0, 0, 0, ber), time.Date(2026, 3, 1, 13, 0, 0, 0, ber)},
		{"summer", time.Date(2026, 7, 6, 10, 0, 0, 0, ber), time.Date(2026, 7, 5, 13, 0, 0, 0, ber)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core := newFakeCore()
			core.accts = []accounts.Account{pop3Account("p1")}
			core.history["p1"] = []backup.Result{{Started: tt.last.UTC(), New: 1}}
			u, _ := newTestUI(t, core)
			u.now = func() time.Time { return tt.now }
			u.overview.refreshCard("p1")
			assertShows(t, u.win, "Last backup: yesterday at 13:00", "Next backup: today at 13:00 (every day at 13:00)")
		})
	}
}

func TestPOP3CardActions(t *testing.T) {
	core := newFakeCore()
	core.accts = []accounts.Account{pop3Account("p1")}
	core.verify = &VerifyReport{Checked: 42}
	u, opened := newTestUI(t, core)

	tap(t, u.win, "Back up now")
	assertShows(t, u.win, "Waiting for the other backups to finish")
	runJobs(u)
	assertShows(t, u.win, "Last backup: today at 10:00, successful: 2 new messages (2.4 MB)")

	tap(t, u.win, "Open backup folder")
	if len(*opened) != 1 || (*opened)[0].String() != "file:///backup/p1" {
		t.Errorf("opened %v", *opened)
	}
	tap(t, u.win, "Verify backup")
	assertShows(t, u.win, "All 42 messages in the backup are complete and unchanged.")
	tap(t, u.win, "Close")

	core.verify = &VerifyReport{Checked: 5, Missing: []string{"uidl-1"}}
	tap(t, u.win, "Verify backup")
	assertShows(t, u.win, "Checked 5 messages: 1 missing, 0 changed.", "uidl-1")
	tap(t, u.win, "Close")

	tap(t, u.win, "History")
	assertShows(t, u.win, "Backup history of Mail p1")
}

func TestIMAPCardStates(t *testing.T) {
	tests := []struct {
		name  string
		quota *QuotaReport
		err   error
		shows []string
		level quotaLevel
		bar   bool
	}{
		{"not checked", nil, nil, []string{"Not checked yet."}, quotaOK, false},
		{"unsupported", &QuotaReport{Supported: false, Checked: now}, nil,
			[]string{"Unknown: this server does not report how full the mailbox is.", "Checked today at 10:00"}, quotaOK, false},
		{"fine", &QuotaReport{Supported: true, Used: 1_000_000_000, Limit: 5_000_000_000, Checked: now}, nil,
			[]string{"1 GB of 5 GB used."}, quotaOK, true},
		{"filling up", &QuotaReport{Supported: true, Used: 4_100_000_000, Limit: 5_000_000_000, Checked: now}, nil,
			[]string{"4.1 GB of 5 GB used. Filling up"}, quotaHigh, true},
		{"almost full", &QuotaReport{Supported: true, Used: 4_900_000_000, Limit: 5_000_000_000, Checked: now}, nil,
			[]string{"Almost full: new mail will soon bounce back"}, quotaFull, true},
		{"error", nil, mailerr.ErrAuthFailed, []string{"Could not check: The server did not accept the user name or password"}, quotaOK, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core := newFakeCore()
			core.accts = []accounts.Account{imapAccount("i1")}
			u, _ := newTestUI(t, core)
			u.status["i1"].quota, u.status["i1"].quotaErr = tt.quota, tt.err
			u.overview.refreshCard("i1")
			c := u.overview.cards["i1"]
			assertShows(t, u.win, "Info i1", "i1@example.org", "IMAP", "Mailbox storage")
			assertShows(t, u.win, tt.shows...)
			assertNotShows(t, u.win, "Back up now", "Back up all now")
			if c.quota.over.Visible() != tt.bar {
				t.Errorf("bar visible = %v", c.quota.over.Visible())
			}
			if tt.bar && c.quota.level != tt.level {
				t.Errorf("level %v, want %v", c.quota.level, tt.level)
			}
			if c.folders.Disabled() == (tt.quota != nil && tt.quota.Supported) {
				t.Error("folder sizes only when the server reports quota")
			}
		})
	}
}

func TestQuotaRefreshAndFolderSizes(t *testing.T) {
	core := newFakeCore()
	core.accts = []accounts.Account{imapAccount("i1")}
	core.quota["i1"] = &QuotaReport{Supported: true, Used: 2_000_000, Limit: 10_000_000, Checked: now,
		Folders: []FolderUsage{{"INBOX", 10, 1_500_000}, {"Archive", 3, 500_000}, {"Junk", 1, -1}}}
	u, _ := newTestUI(t, core)
	runJobs(u) // the scheduler refreshes the quota at once
	assertShows(t, u.win, "2 MB of 10 MB used.")
	tap(t, u.win, "Folder sizes")
	assertShows(t, u.win, "Folder sizes of Info i1")
	tap(t, u.win, "Close")
	core.quota["i1"].Used = 5_000_000
	tap(t, u.win, "Check now")
	assertShows(t, u.win, "5 MB of 10 MB used.")
}

func TestEditLocksProtocol(t *testing.T) {
	core := newFakeCore()
	core.accts = []accounts.Account{pop3Account("p1")}
	u, _ := newTestUI(t, core)
	tap(t, u.win, "Edit")
	w := lastWindow(t, u)
	assertShows(t, w, "🔒 POP3", "Why can't I change this?")
	tap(t, w, "Why can't I change this?")
	assertShows(t, w, "You chose POP3 for this account on 2026-01-31.", "Switching to IMAP means uploading")
	tap(t, w, "Close")

	// A name change saves without a connection test; a server change needs one.
	e := findEdit(t, w)
	e.name.SetText("Office")
	tap(t, w, "Save")
	if len(core.updated) != 1 || core.updated[0].Name != "Office" || core.updated[0].Protocol != accounts.POP3 {
		t.Fatalf("updated %+v", core.updated)
	}

	tap(t, u.win, "Edit")
	w = lastWindow(t, u)
	e = findEdit(t, w)
	e.server.host.SetText("pop3.example.org")
	if !e.save.Disabled() {
		t.Fatal("a changed server must be tested before saving")
	}
	tap(t, w, "Test connection")
	tap(t, w, "Save")
	if got := core.updated[len(core.updated)-1]; got.Host != "pop3.example.org" {
		t.Errorf("host not saved: %+v", got)
	}
}

// TestEditOAuth2Account checks that an account that signs in with its provider's page
// shows that instead of a password field.
func TestEditOAuth2Account(t *testing.T) {
	core := newFakeCore()
	a := imapAccount("i1")
	a.Auth, a.OAuthProvider = accounts.AuthOAuth2, "microsoft"
	core.accts = []accounts.Account{a}
	u, _ := newTestUI(t, core)
	tap(t, u.win, "Edit")
	w := lastWindow(t, u)
	assertShows(t, w, "With the sign-in page of Microsoft; Postfach keeps no password for this account.")
	e := findEdit(t, w)
	walkVisible(w.Content(), func(o fyne.CanvasObject) {
		if o == e.password {
			t.Error("an OAuth2 account shows a password field")
		}
	})
}

func TestRemoveAsksWhatToKeep(t *testing.T) {
	core := newFakeCore()
	core.accts = []accounts.Account{pop3Account("p1"), imapAccount("i1")}
	u, _ := newTestUI(t, core)
	tap(t, u.win, "Remove")
	assertShows(t, u.win, "Remove Mail p1?", "Keep the backup folder with the saved mail (recommended)", "/backup/p1",
		"Keep the password in the system keyring")
	tap(t, u.win, "Remove") // the dialog's button is on top
	if len(core.removed) != 1 || core.removed[0] != "p1+backup" {
		t.Fatalf("removed %v", core.removed)
	}
	if _, ok := u.overview.cards["p1"]; ok {
		t.Error("the card is still there")
	}
}

// lastWindow returns the newest window (the edit window).
func lastWindow(t *testing.T, u *UI) fyne.Window {
	t.Helper()
	ws := u.app.Driver().AllWindows()
	return ws[len(ws)-1]
}

func findEdit(t *testing.T, w fyne.Window) *editScreen {
	t.Helper()
	e, ok := editScreens[w]
	if !ok {
		t.Fatal("not an edit window")
	}
	return e
}

func TestCertificateFailureFromHistory(t *testing.T) {
	core := newFakeCore()
	core.accts = []accounts.Account{pop3Account("p1")}
	core.history["p1"] = []backup.Result{{Started: now.Add(-time.Hour),
		Err:  "connect: certificate of pop.example.org changed: it is not the one you trusted (SHA-256 ab)",
		Kind: backup.KindCertChanged}}
	u, _ := newTestUI(t, core)
	assertShows(t, u.win, "Last backup: today at 09:00, failed",
		"The server's certificate has changed. Open “Edit” and test the connection")
}
