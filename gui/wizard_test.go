package gui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/mailerr"
	"github.com/postfach/postfach/accounts/trust"
)

// fillAddress completes the first page and moves on to the decision.
func fillAddress(t *testing.T, u *UI) {
	t.Helper()
	w := u.wizard
	if w == nil {
		t.Fatal("the wizard is not open")
	}
	test.Type(w.address.address, "anna@example.org")
	test.Type(w.address.name, "Anna")
	test.Type(w.address.password, "secret")
	tap(t, u.win, "Next")
}

func TestWizardOpensByItselfWithoutAccounts(t *testing.T) {
	u, _ := newTestUI(t, newFakeCore())
	if u.wizard == nil {
		t.Fatal("no account, but no wizard")
	}
	assertShows(t, u.win, "Which mail address?", "Step 1 of 3")
	assertNotShows(t, u.win, "Cancel") // nothing to go back to
	if !u.wizard.address.password.Password {
		t.Error("the password must be masked")
	}
	if u.wizard.next.Disabled() == false {
		t.Error("Next must wait for address and password")
	}
	test.Type(u.wizard.address.address, "anna@")
	test.Type(u.wizard.address.address, "example")
	if !u.wizard.next.Disabled() {
		t.Error("an incomplete address must not pass")
	}
}

func TestWizardNotShownWithAccounts(t *testing.T) {
	core := newFakeCore()
	core.accts = []accounts.Account{imapAccount("i1")}
	u, _ := newTestUI(t, core)
	if u.wizard != nil {
		t.Fatal("wizard opened although an account exists")
	}
	tap(t, u.win, "Add account")
	if u.wizard == nil {
		t.Fatal("Add account did not open the wizard")
	}
	tap(t, u.win, "Cancel")
	if u.wizard != nil {
		t.Fatal("Cancel did not close the wizard")
	}
}

func TestDecisionHasNoPreselectionAndNeedsAClick(t *testing.T) {
	u, _ := newTestUI(t, newFakeCore())
	fillAddress(t, u)
	d := u.wizard.decision
	assertShows(t, u.win, "POP3 or IMAP", "Step 2 of 3",
		"Choose with care: switching later is hard",
		"Going from POP3 to IMAP means uploading every mail",
		"Answer the questions for a recommendation.",
		"Use IMAP for this address", "Use POP3 for this address")
	if d.protocol != "" {
		t.Fatalf("protocol preselected: %q", d.protocol)
	}
	if d.chooseIMAP.Importance != widget.MediumImportance || d.choosePOP3.Importance != widget.MediumImportance {
		t.Error("neither choice may look selected before the click")
	}
	if !u.wizard.next.Disabled() {
		t.Fatal("Next must wait for the user's choice")
	}
	// A recommendation alone does not choose.
	d.devices.SetSelected(d.devices.Options[1])
	assertShows(t, u.win, "Our recommendation: IMAP.")
	if d.protocol != "" || !u.wizard.next.Disabled() {
		t.Fatal("the recommendation must not choose for the user")
	}
	tap(t, u.win, "Use POP3 for this address")
	if d.protocol != accounts.POP3 || d.chosenAt.IsZero() {
		t.Fatalf("choice not recorded: %q %v", d.protocol, d.chosenAt)
	}
	if d.choosePOP3.Importance != widget.HighImportance {
		t.Error("the chosen side should stand out")
	}
	assertShows(t, u.win, "You chose POP3", "Step 2 of 4")
	if u.wizard.next.Disabled() {
		t.Error("Next should be enabled after the choice")
	}
}

func TestRecommendation(t *testing.T) {
	setLang(t, "en_US.UTF-8")
	tests := []struct {
		a      answers
		want   accounts.Protocol
		reason string
	}{
		{answers{}, "", ""},
		{answers{devices: oneDevice}, "", ""},
		{answers{shared: sharedAddress}, accounts.IMAP, "answered"},
		{answers{devices: oneDevice, shared: sharedAddress, storage: tight}, accounts.IMAP, "answered"},
		{answers{devices: manyDevices}, accounts.IMAP, "same mail"},
		{answers{devices: manyDevices, storage: tight}, accounts.IMAP, "archive"},
		{answers{devices: oneDevice, shared: onlyMe, storage: tight}, accounts.POP3, "server empty"},
		{answers{devices: oneDevice, shared: onlyMe, storage: roomy}, accounts.IMAP, "nothing is lost"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%+v", tt.a), func(t *testing.T) {
			p, reason, ok := recommend(tt.a)
			if p != tt.want || ok != (tt.want != "") || !strings.Contains(reason, tt.reason) {
				t.Errorf("recommend = %q, %q, %v; want %q with %q", p, reason, ok, tt.want, tt.reason)
			}
		})
	}
}

func TestWizardIMAPShowsQuotaAfterTestAndSaves(t *testing.T) {
	core := newFakeCore()
	core.discovery = &Discovery{Candidates: []Candidate{
		{Protocol: accounts.POP3, Host: "pop.provider.net", Port: 995, Security: accounts.TLS, Source: "autoconfig"},
		{Protocol: accounts.IMAP, Host: "imap.provider.net", Port: 993, Security: accounts.TLS, Username: "anna", Source: "autoconfig", Provider: "Provider"},
	}}
	core.testResults = []testResult{{rep: &ConnReport{TLSVersion: "TLS 1.3",
		Quota: &QuotaReport{Supported: true, Used: 4_200_000_000, Limit: 5_000_000_000}}}}
	u, _ := newTestUI(t, core)
	fillAddress(t, u)
	tap(t, u.win, "Use IMAP for this address")
	tap(t, u.win, "Next")

	s := u.wizard.server
	assertShows(t, u.win, "Incoming mail server", "Step 3 of 3", "the provider's own settings")
	if s.form.host.Text != "imap.provider.net" || s.form.port.Text != "993" || s.form.user.Text != "anna" {
		t.Fatalf("not prefilled from discovery: %q %q %q", s.form.host.Text, s.form.port.Text, s.form.user.Text)
	}
	if !u.wizard.next.Disabled() {
		t.Fatal("saving must wait for a passed connection test")
	}
	tap(t, u.win, "Test connection")
	assertShows(t, u.win, "Connected and logged in.", "encrypted (TLS 1.3)",
		"Mailbox storage: 4.2 GB of 5 GB used.", "Filling up")
	if u.wizard.next.Text != "Save account" || u.wizard.next.Disabled() {
		t.Fatal("Save account should be enabled after the test")
	}
	// Changing a setting invalidates the test.
	test.Type(s.form.host, "x")
	if !u.wizard.next.Disabled() {
		t.Fatal("a changed server must be tested again")
	}
	assertShows(t, u.win, "please test again")
	s.form.host.SetText("imap.provider.net")
	tap(t, u.win, "Test connection")
	tap(t, u.win, "Save account")

	if u.wizard != nil {
		t.Fatal("the wizard should close after saving")
	}
	if len(core.accts) != 1 {
		t.Fatalf("saved %d accounts", len(core.accts))
	}
	a := core.accts[0]
	if a.Protocol != accounts.IMAP || a.Name != "Anna" || a.Host != "imap.provider.net" || a.Username != "anna" ||
		a.Backup != nil || a.ProtocolChosenAt.IsZero() || core.passwords[a.ID] != "secret" {
		t.Errorf("saved %+v", a)
	}
	// The card shows the quota read by the connection test at once.
	assertShows(t, u.win, "Anna", "anna@example.org", "IMAP", "4.2 GB of 5 GB used.")
}

func TestWizardPOP3BackupSettings(t *testing.T) {
	core := newFakeCore()
	core.discoverErr = errBoom // nothing found: guesses
	core.systemDisk = true
	u, _ := newTestUI(t, core)
	fillAddress(t, u)
	d := u.wizard.decision
	d.devices.SetSelected(d.devices.Options[1]) // several devices read this address
	tap(t, u.win, "Use POP3 for this address")
	tap(t, u.win, "Next")

	s := u.wizard.server
	if s.form.host.Text != "pop.example.org" || s.form.port.Text != "995" || s.form.selectedSecurity() != accounts.TLS {
		t.Fatalf("guess: %q:%q %v", s.form.host.Text, s.form.port.Text, s.form.selectedSecurity())
	}
	assertShows(t, u.win, "could not find your provider's settings")
	tap(t, u.win, "Test connection")
	tap(t, u.win, "Next")

	f := u.wizard.backup.form
	assertShows(t, u.win, "Backup of your mail", "Step 4 of 4",
		"/home/anna/Postfach-Backups/anna@example.org",
		"external drive",
		"same disk as your system",
		"Remove from the server some days after the backup (recommended)",
		"Keep on the server forever", "Nothing is ever removed",
		"Remove from the server right after the backup", "the only copies of your mail are on this PC",
		"they will no longer see mail older than 14 days")
	if f.retention.selected != 0 || f.days.Selected != "14" || f.kind.SelectedIndex() != 0 || f.clock.Text != "13:00" {
		t.Fatalf("defaults: retention %d, days %s, schedule %d at %s", f.retention.selected, f.days.Selected, f.kind.SelectedIndex(), f.clock.Text)
	}
	f.retention.tap(2)
	assertShows(t, u.win, "disappears from them right after the backup")
	f.retention.tap(1)
	assertNotShows(t, u.win, "You said other devices")
	f.retention.tap(0)
	f.kind.SetSelectedIndex(1)
	f.weekday.SetSelectedIndex(4) // Friday
	// The form accepts exactly the config's times of day (accounts.ParseSchedule).
	for clock, ok := range map[string]bool{"13:5": false, "24:00": false, "1300": false, " 7:05 ": true, "00:00": true} {
		f.clock.SetText(clock)
		if _, err := f.policy(); (err == nil) != ok {
			t.Errorf("time %q: %v", clock, err)
		}
	}
	f.clock.SetText("18:30")
	tap(t, u.win, "Save account")

	if len(core.accts) != 1 {
		t.Fatal("not saved")
	}
	a := core.accts[0]
	want := accounts.BackupPolicy{
		Dir:       "/home/anna/Postfach-Backups/anna@example.org",
		Schedule:  accounts.Schedule{Kind: accounts.Weekly, Weekday: time.Friday, Minute: 18*60 + 30},
		Retention: accounts.Retention{Mode: accounts.DeleteAfter, Days: 14},
	}
	if a.Protocol != accounts.POP3 || a.Backup == nil || *a.Backup != want {
		t.Fatalf("saved %+v %+v", a, a.Backup)
	}
	// The first backup starts right away.
	if !u.sched.Queued(a.ID) {
		t.Error("the first backup should be queued")
	}
	assertShows(t, u.win, "Waiting for the other backups to finish")
	runJobs(u)
	if len(core.backedUp) != 1 {
		t.Fatalf("backups run: %v", core.backedUp)
	}
	assertShows(t, u.win, "Last backup: today at", "2 new", "2.4 MB", "Next backup: Friday")
}

func TestConnectionTestFailuresShowAWayForward(t *testing.T) {
	cert := &trust.CertError{Host: "imap.example.org", Subject: "CN=imap.example.org", Issuer: "CN=Home CA",
		NotBefore: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		Fingerprint: strings.Repeat("ab", 32)}
	tests := []struct {
		name  string
		err   error
		shows []string
		fix   string
		check func(t *testing.T, u *UI, core *fakeCore)
	}{
		{"wrong password", fmt.Errorf("test: %w", mailerr.ErrAuthFailed),
			[]string{"did not accept the user name or password", "app password"},
			"Enter the password again",
			func(t *testing.T, u *UI, _ *fakeCore) {
				if u.wizard.step != 0 {
					t.Error("should go back to the password")
				}
			}},
		{"unreachable", fmt.Errorf("dial: %w", mailerr.ErrUnreachable),
			[]string{"could not be reached", "Check the server name", "Check that this PC is online"},
			"Check the server name",
			func(t *testing.T, u *UI, core *fakeCore) {
				tap(t, u.win, "Try mail.example.org")
				if last := core.tested[len(core.tested)-1]; last.Host != "mail.example.org" {
					t.Errorf("tried %s", last.Host)
				}
			}},
		{"timeout", mailerr.ErrTimeout, []string{"did not answer in time", "Try again in a few minutes"}, "Test again", nil},
		{"certificate", cert,
			[]string{"certificate is not trusted", "CN=imap.example.org", "CN=Home CA", "2025-01-01 to 2027-01-01", "AB:AB:AB"},
			"Trust exactly this certificate",
			func(t *testing.T, u *UI, core *fakeCore) {
				tap(t, u.win, "Trust it") // the confirmation
				last := core.tested[len(core.tested)-1]
				if last.PinnedSHA256 != cert.Fingerprint {
					t.Errorf("retest without the pin: %q", last.PinnedSHA256)
				}
				assertShows(t, u.win, "Connected and logged in.")
			}},
		{"starttls refused", mailerr.ErrStartTLSRefused,
			[]string{"refused to encrypt", "Nothing was sent"},
			"Use encryption from the start (TLS)",
			func(t *testing.T, _ *UI, core *fakeCore) {
				last := core.tested[len(core.tested)-1]
				if last.Security != accounts.TLS || last.Port != 993 {
					t.Errorf("retest with %s:%d", last.Security, last.Port)
				}
			}},
		{"plaintext refused", mailerr.ErrPlaintextRefused,
			[]string{"send your password unencrypted", "readable by anyone"},
			"Accept the risk…",
			func(t *testing.T, u *UI, core *fakeCore) {
				tap(t, u.win, "Accept the risk")
				last := core.tested[len(core.tested)-1]
				if !last.AllowPlaintext {
					t.Error("retest without the explicit opt-in")
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core := newFakeCore()
			core.discoverErr = errBoom
			core.testResults = []testResult{{err: tt.err}, {rep: &ConnReport{TLSVersion: "TLS 1.3"}}}
			u, _ := newTestUI(t, core)
			fillAddress(t, u)
			tap(t, u.win, "Use IMAP for this address")
			tap(t, u.win, "Next")
			if tt.name == "plaintext refused" || tt.name == "starttls refused" {
				u.wizard.server.form.security.SetSelectedIndex(map[bool]int{true: 2, false: 1}[tt.name == "plaintext refused"])
				if got := u.wizard.server.form.port.Text; got != "143" {
					t.Fatalf("port should follow the security setting, got %s", got)
				}
			}
			tap(t, u.win, "Test connection")
			assertShows(t, u.win, tt.shows...)
			assertShows(t, u.win, "What you can do:")
			if !u.wizard.next.Disabled() {
				t.Fatal("a failed test must not allow saving")
			}
			tap(t, u.win, tt.fix)
			if tt.check != nil {
				tt.check(t, u, core)
			}
		})
	}
}

func TestWizardSaveFailureIsExplained(t *testing.T) {
	core := newFakeCore()
	core.addErr = fmt.Errorf("save password: %w", errKeyring)
	u, _ := newTestUI(t, core)
	fillAddress(t, u)
	tap(t, u.win, "Use IMAP for this address")
	tap(t, u.win, "Next")
	tap(t, u.win, "Test connection")
	tap(t, u.win, "Save account")
	if u.wizard == nil {
		t.Fatal("the wizard must stay open when saving failed")
	}
	assertShows(t, u.win, "The system keyring is not available", "GNOME Keyring")
}
