package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/internal/testkit/desktop"
	"github.com/postfach/postfach/internal/testkit/mailgen"
)

// Where the overview's first card has its "Browse backup" button, and the browser its
// search field and first row, on the 1280x800 screen (window at 0,0, no window manager).
const (
	browseX, browseY     = 220, 291
	searchX, searchY     = 300, 30
	firstRowX, firstRowY = 300, 130
)

// TestBrowser opens the backup browser of a backup of POSTFACH_BROWSE_MESSAGES mailgen
// messages (default 10,000; kept in POSTFACH_BROWSE_MAILBOX when set) in the real
// binary, searches and selects a message, and takes screenshots. It logs how long the
// window took to appear after the click (xdotool polls every 200 ms).
func TestBrowser(t *testing.T) {
	desktop.Skip(t)
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("POSTFACH_BROWSE_MESSAGES")); err == nil && v > 0 {
		n = v
	}
	root := os.Getenv("POSTFACH_BROWSE_MAILBOX")
	if root == "" {
		root = t.TempDir()
	}
	if _, err := os.Stat(filepath.Join(root, "cur")); err != nil {
		if _, err := mailgen.New(1).Fill(root, 0, n); err != nil {
			t.Fatal(err)
		}
	}
	// The marker a backup run leaves: the browser only opens folders that hold a backup.
	marker := filepath.Join(root, ".postfach", "store.json")
	if _, err := os.Stat(marker); err != nil {
		if err := os.MkdirAll(filepath.Dir(marker), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(marker, []byte(`{"format":1,"id":"e2e","mailbox":"anna@pop.example.org"}`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	home := t.TempDir()
	off, _ := accounts.ParseSchedule("off")
	store := accounts.OpenStore(home)
	acct, err := store.Add(accounts.Account{
		Name: "Archive", Email: "anna@example.org", Protocol: accounts.POP3,
		Host: "pop.example.org", Port: 995, Security: accounts.TLS, Username: "anna",
		Backup: &accounts.BackupPolicy{Dir: root, Schedule: off, Retention: accounts.Retention{Mode: accounts.KeepForever}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The history of one run (backup/state.go's file): "Browse backup" needs a backup.
	state := fmt.Sprintf(`{"dir":%q,"store_id":"e2e","history":[{"account_id":%q,"started":%q,"new":%d}]}`,
		root, acct.ID, time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), n)
	if err := os.MkdirAll(store.StateDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(store.StateDir(), acct.ID+".json"), []byte(state), 0o600); err != nil {
		t.Fatal(err)
	}
	s := desktop.Start(t, desktop.Options{Binary: binary(t), Home: home})
	s.WaitWindow("^Postfach$", 30*time.Second)
	time.Sleep(2 * time.Second)
	s.Screenshot("overview")

	start := time.Now()
	s.Click(browseX, browseY)
	s.WaitWindow("^Backup of Archive$", 60*time.Second)
	t.Logf("browser window visible %v after the click", time.Since(start).Round(time.Millisecond))
	time.Sleep(3 * time.Second) // a first indexing of a fresh folder shows its progress
	s.Screenshot("browser")

	s.Click(searchX, searchY)
	s.Type("koeln rechnung") // xdotool types no umlauts on this display; koeln finds Köln
	s.Key("Return")
	time.Sleep(2 * time.Second)
	s.Click(firstRowX, firstRowY)
	time.Sleep(2 * time.Second)
	s.Screenshot("browser-search")
	s.Stop(15 * time.Second)
}
