package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/secrets"
	"github.com/postfach/postfach/internal/testkit/desktop"
	"github.com/postfach/postfach/internal/testkit/dovecottest"
	"github.com/postfach/postfach/internal/testkit/oauthmock"
)

func TestMain(m *testing.M) {
	if status, ok := oauthmock.ActAsBrowser(); ok {
		os.Exit(status)
	}
	if ok, err := desktop.RunHelper(secrets.Set); ok {
		if err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "postfach-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// TestWizardAppears starts the app with no account: the wizard must open by itself,
// and SIGTERM must quit cleanly.
func TestWizardAppears(t *testing.T) {
	desktop.Skip(t)
	s := desktop.Start(t, desktop.Options{Binary: binary(t)})
	s.WaitWindow("set up a mail account", 30*time.Second)
	time.Sleep(time.Second) // let the first frame render
	s.Screenshot("wizard")
	s.Stop(15 * time.Second)
}

// TestScheduledPOP3Backup prepares a POP3 account against a private Dovecot (store and
// keyring), starts the app, and waits for the scheduler's catch-up backup: the mail must
// land in the backup folder and the "Backup finished" notification must cross the bus,
// in English and in German.
func TestScheduledPOP3Backup(t *testing.T) {
	desktop.Skip(t)
	for _, tt := range []struct{ lang, title, body, quota string }{
		{"en_US.UTF-8", "Backup finished", "Office: 3 new messages saved", "Mailbox Shared is filling up"},
		{"de_DE.UTF-8", "Sicherung abgeschlossen", "Office: 3 neue Nachrichten gesichert", "Postfach Shared wird voll"},
	} {
		t.Run(tt.lang[:2], func(t *testing.T) { scheduledBackup(t, tt.lang, tt.title, tt.body, tt.quota) })
	}
}

func scheduledBackup(t *testing.T, lang, title, body, quotaTitle string) {
	srv := dovecottest.Start(t)
	user := srv.AddUser(t, "anna", "dovecot-secret", 0)
	user.Deliver(t,
		[]byte("From: a@example.org\r\nSubject: one\r\n\r\nfirst\r\n"),
		[]byte("From: b@example.org\r\nSubject: two\r\n\r\nsecond\r\n"),
		[]byte("From: c@example.org\r\nSubject: three\r\n\r\nthird\r\n"))

	home := t.TempDir()
	backupDir := filepath.Join(t.TempDir(), "Mail backup")
	acct, err := accounts.OpenStore(home).Add(accounts.Account{
		Name: "Office", Email: "anna@example.org", Protocol: accounts.POP3,
		Host: srv.Host, Port: srv.POP3SPort, Security: accounts.TLS, Username: "anna",
		PinnedSHA256: srv.CertSHA256,
		Backup: &accounts.BackupPolicy{Dir: backupDir, Schedule: accounts.DefaultSchedule(),
			Retention: accounts.Retention{Mode: accounts.KeepForever}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// An IMAP account whose 1 MiB mailbox is 85 % full: the card shows an amber meter and
	// the quota notification goes out once.
	bob := srv.AddUser(t, "bob", "bob-secret", 1)
	bob.Deliver(t, []byte("From: a@example.org\r\nSubject: big\r\n\r\n"+strings.Repeat("0123456789abcdef\r\n", 49000)))
	shared, err := accounts.OpenStore(home).Add(accounts.Account{
		Name: "Shared", Email: "info@example.org", Protocol: accounts.IMAP,
		Host: srv.Host, Port: srv.IMAPSPort, Security: accounts.TLS, Username: "bob",
		PinnedSHA256: srv.CertSHA256,
	})
	if err != nil {
		t.Fatal(err)
	}

	s := desktop.Start(t, desktop.Options{
		Binary:  binary(t),
		Home:    home,
		Lang:    lang,
		Env:     []string{"POSTFACH_SCHEDULER_START_DELAY=2s"},
		Prepare: [][]string{desktop.SetPasswordCommand(acct.ID, "dovecot-secret"), desktop.SetPasswordCommand(shared.ID, "bob-secret")},
	})
	s.WaitWindow("^Postfach$", 30*time.Second)
	log := s.WaitNotification(title, 60*time.Second)
	if !strings.Contains(log, body) {
		t.Errorf("notification without %q:\n%s", body, log)
	}
	s.WaitNotification(quotaTitle, 30*time.Second)
	time.Sleep(time.Second)
	s.Screenshot("overview")
	files, _ := filepath.Glob(filepath.Join(backupDir, "new", "*"))
	cur, _ := filepath.Glob(filepath.Join(backupDir, "cur", "*"))
	if n := len(files) + len(cur); n != 3 {
		t.Errorf("backup folder holds %d messages, want 3", n)
	}
	s.Stop(15 * time.Second)
}

var binDir, built string

// binary builds postfach once per test run.
func binary(t *testing.T) string {
	if built == "" {
		built = desktop.Build(t, binDir)
	}
	return built
}
