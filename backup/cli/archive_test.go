package cli

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/postfach/postfach/internal/testkit/dovecottest"
)

// TestDovecotArchiveCommand: `postfach archive --older-than 2y` on an IMAP account
// with mail from three years ago and from last week: the dry run prices exactly the old
// mail and changes nothing; the run moves it into the archive folder and off the server.
func TestDovecotArchiveCommand(t *testing.T) {
	srv := dovecottest.Start(t)
	u := srv.AddUser(t, "cliarchive", "pw", 20)
	c, err := imapclient.DialTLS(srv.IMAPSAddr(), &imapclient.Options{TLSConfig: srv.TLSConfig()})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(u.Name, u.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	for i, m := range dovecottest.Ordinary(10, 9) {
		date := time.Now().AddDate(-3, 0, -i)
		if i%2 == 1 {
			date = time.Now().AddDate(0, 0, -7-i)
		}
		body := dovecottest.WireForm(m.Stored)
		w := c.Append("INBOX", int64(len(body)), &imap.AppendOptions{Time: date})
		if _, err := w.Write(body); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	_ = c.Logout().Wait()
	c.Close()

	env := newEnv(t)
	env.Roots = srv.CertPool
	r := runCLI(t, env, u.Password, "account", "add", "--name", "Work", "--email", u.Name+"@example.org",
		"--protocol", "imap", "--host", srv.Host, "--port", strconv.Itoa(srv.IMAPSPort), "--username", u.Name, "--password-stdin")
	if r.code != 0 {
		t.Fatalf("add: %+v", r)
	}
	dir := filepath.Join(t.TempDir(), "archive")
	r = runCLI(t, env, "", "archive", "Work", "--older-than", "2y", "--archive-dir", dir, "--dry-run", "--json")
	var plan archiveJSON
	if err := json.Unmarshal([]byte(r.stdout), &plan); err != nil || r.code != 0 || plan.Plan == nil || plan.Plan.Messages != 5 {
		t.Fatalf("dry run: %v %+v", err, r)
	}
	if n := u.MessageCount(t); n != 10 {
		t.Fatalf("the dry run removed mail: %d left", n)
	}
	r = runCLI(t, env, "", "archive", "Work", "--older-than", "2y", "--archive-dir", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "Moved 5 messages") {
		t.Fatalf("archive: %+v", r)
	}
	if n := u.MessageCount(t); n != 5 {
		t.Errorf("%d messages left on the server, want 5", n)
	}
}
