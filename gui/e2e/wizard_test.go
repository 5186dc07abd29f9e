package e2e

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/internal/testkit/desktop"
	"github.com/postfach/postfach/internal/testkit/dovecottest"
)

// Screen positions in the 860×720 main window, which sits at (0,0) because Xvfb has no
// window manager. They follow the layout in English; when the layout changes, this test
// fails and its screenshots (one per step, in the artefacts folder) show where.
const (
	nextX, nextY       = 814, 693 // "Next" in the wizard's bottom bar
	saveX, saveY       = 790, 693 // "Save account" (wider, so further left)
	severalX, severalY = 497, 219 // "Several (a phone, a laptop…)"
	usePOP3X, usePOP3Y = 642, 572 // "Use POP3 for this address", after scrolling down (above the Exchange answer)
	hostX, hostY       = 477, 176
	portX, portY       = 477, 254
	userX, userY       = 477, 293
	testX, testY       = 83, 332  // "Test connection"
	trustX, trustY     = 113, 559 // "Trust exactly this certificate", after scrolling down
	trustItX, trustItY = 476, 425 // "Trust it" in the confirmation
)

// TestWizardPOP3Setup sets up a POP3 account through the wizard against a private
// Dovecot with a self-signed certificate: address and password, the decision (after
// answering one question), the server with a failed test (untrusted certificate), trusting
// exactly that certificate, the backup page with its defaults, saving. The first backup
// must then run, land in the backup folder and be announced on the bus.
func TestWizardPOP3Setup(t *testing.T) {
	desktop.Skip(t)
	srv := dovecottest.Start(t)
	user := srv.AddUser(t, "anna", "secret", 0)
	user.Deliver(t, []byte("From: a@example.org\r\nSubject: hello\r\n\r\nfirst\r\n"))
	home := t.TempDir()
	s := desktop.Start(t, desktop.Options{Binary: binary(t), Home: home, Env: []string{"HOME=" + home}})
	s.WaitWindow("set up a mail account", 30*time.Second)
	time.Sleep(time.Second)

	snap := s.Step
	scrollDown := func() { s.ScrollDown(430, 400) }
	replace := func(x, y int, text string) {
		s.Click(x, y)
		s.Key("ctrl+a")
		s.Type(text)
	}

	s.Type("anna@example.org")
	s.Key("Tab")
	s.Type("Anna")
	s.Key("Tab")
	s.Type("secret")
	snap("address")
	s.Click(nextX, nextY)
	snap("decision")
	s.Click(severalX, severalY)
	snap("recommendation")
	scrollDown()
	s.Click(usePOP3X, usePOP3Y)
	snap("chosen")
	s.Click(nextX, nextY)
	time.Sleep(12 * time.Second) // discovery of example.org gives up
	snap("server")
	replace(hostX, hostY, srv.Host)
	replace(portX, portY, strconv.Itoa(srv.POP3SPort))
	replace(userX, userY, "anna")
	s.Click(testX, testY)
	snap("untrusted")
	scrollDown()
	snap("certificate")
	s.Click(trustX, trustY)
	snap("trust-confirm")
	s.Click(trustItX, trustItY)
	snap("connected")
	s.Click(nextX, nextY)
	snap("backup")
	s.Click(saveX, saveY)

	log := s.WaitNotification("Backup finished", 60*time.Second)
	if !strings.Contains(log, "Anna: 1 new message saved") {
		t.Errorf("notification:\n%s", log)
	}
	snap("overview")
	accts, err := accounts.OpenStore(home).List()
	if err != nil || len(accts) != 1 {
		t.Fatalf("stored accounts %v, %v", accts, err)
	}
	a := accts[0]
	if a.Protocol != accounts.POP3 || a.PinnedSHA256 != srv.CertSHA256 || a.Backup == nil ||
		a.Backup.Retention != accounts.DefaultRetention() || a.ProtocolChosenAt.IsZero() {
		t.Errorf("stored %+v %+v", a, a.Backup)
	}
	files, _ := filepath.Glob(filepath.Join(a.Backup.Dir, "*", "*"))
	var mails int
	for _, f := range files {
		if d := filepath.Base(filepath.Dir(f)); d == "new" || d == "cur" {
			mails++
		}
	}
	if mails != 1 {
		t.Errorf("backup folder %s holds %d messages, want 1", a.Backup.Dir, mails)
	}
	s.Stop(15 * time.Second)
}
