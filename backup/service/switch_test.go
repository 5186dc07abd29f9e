package service

import (
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/zalando/go-keyring"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/connect"
	"github.com/postfach/postfach/accounts/secrets"
	"github.com/postfach/postfach/backup"
	"github.com/postfach/postfach/backup/imapcopy"
	"github.com/postfach/postfach/internal/testkit/dovecottest"
)

// dovecotService is a service on a fresh store that trusts srv's certificate.
func dovecotService(t *testing.T, srv *dovecottest.Server) *Service {
	t.Helper()
	keyring.MockInit()
	return New(accounts.OpenStore(t.TempDir()), &Options{Conn: &connect.Options{Roots: srv.CertPool, Timeout: time.Minute}})
}

// addPOP3 adds a POP3 account for u whose backups delete mail from the server at once.
func addPOP3(t *testing.T, s *Service, srv *dovecottest.Server, u *dovecottest.User) accounts.Account {
	t.Helper()
	a, err := s.Add(context.Background(), accounts.Account{Name: u.Name, Email: u.Name + "@example.org",
		Protocol: accounts.POP3, Host: srv.Host, Port: srv.POP3SPort, Username: u.Name,
		Backup: &accounts.BackupPolicy{Dir: filepath.Join(t.TempDir(), "backup"), Schedule: accounts.DefaultSchedule(),
			Retention: accounts.Retention{Mode: accounts.DeleteNow}}}, u.Password)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// addIMAP adds an IMAP account for u.
func addIMAP(t *testing.T, s *Service, srv *dovecottest.Server, u *dovecottest.User) accounts.Account {
	t.Helper()
	a, err := s.Add(context.Background(), accounts.Account{Name: u.Name, Email: u.Name + "@example.org",
		Protocol: accounts.IMAP, Host: srv.Host, Port: srv.IMAPSPort, Username: u.Name}, u.Password)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// serverCopies downloads u's folders and counts each distinct content: a message
// present twice shows up as a count of 2.
func serverCopies(t *testing.T, s *Service, srv *dovecottest.Server, u *dovecottest.User) map[[32]byte]int {
	t.Helper()
	a := accounts.Account{Protocol: accounts.IMAP, Host: srv.Host, Port: srv.IMAPSPort, Security: accounts.TLS, Username: u.Name}
	ctx := context.Background()
	sess, err := s.dialIMAP(a, connect.Password(u.Password))(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	root := t.TempDir()
	if _, err := imapcopy.Download(ctx, sess, root, nil); err != nil {
		t.Fatal(err)
	}
	seen := map[[32]byte]int{}
	err = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Base(filepath.Dir(p)) != "cur" {
			return err
		}
		b, err := os.ReadFile(p)
		seen[sha256.Sum256(b)]++
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return seen
}

// checkOnce fails unless the server holds want distinct messages, each once.
func checkOnce(t *testing.T, seen map[[32]byte]int, want int) {
	t.Helper()
	for _, n := range seen {
		if n != 1 {
			t.Errorf("a message is on the server %d times", n)
		}
	}
	if len(seen) != want {
		t.Errorf("%d distinct messages on the server, want %d", len(seen), want)
	}
}

// TestDovecotSwitchToIMAP: a POP3 account whose backups deleted everything from the
// server, plus mail that arrived since (only on the server), switches to IMAP on the
// same mailbox: the backup is uploaded, what is still there is adopted, every message is
// in the INBOX exactly once, the account is IMAP with the change recorded, and the old
// backup stays verifiable.
func TestDovecotSwitchToIMAP(t *testing.T) {
	srv := dovecottest.Start(t)
	u := srv.AddUser(t, "switcher", "pw", 100)
	s := dovecotService(t, srv)
	ctx := context.Background()
	a := addPOP3(t, s, srv, u)
	edge := dovecottest.EdgeCases()
	for _, m := range edge {
		u.Deliver(t, m.Stored)
	}
	if res, err := s.Backup(ctx, a.ID, nil); err != nil || res.New != len(edge) || res.Deleted != len(edge) {
		t.Fatalf("backup: %+v %v", res, err)
	}
	late := dovecottest.Ordinary(3, 7)
	for _, m := range late {
		u.Deliver(t, m.Stored)
	}
	opts := &SwitchOptions{Target: Target{Port: srv.IMAPSPort}, Reason: "test"}
	plan, err := s.PlanSwitch(ctx, a.ID, opts)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Backup == nil || plan.Backup.New != len(late) || plan.Backup.Deleted != 0 || !plan.Fits ||
		plan.Upload.AlreadyOnServer != len(late) || plan.Messages+plan.Upload.Duplicates+len(plan.Upload.Empty) != len(edge) {
		t.Fatalf("plan: %d messages, %d duplicates, %d empty, %d on the server, backup %+v",
			plan.Messages, plan.Upload.Duplicates, len(plan.Upload.Empty), plan.Upload.AlreadyOnServer, plan.Backup)
	}
	if got, _ := s.Get(a.ID); got.Protocol != accounts.POP3 || u.MessageCount(t) != len(late) {
		t.Fatal("the plan changed something")
	}
	var progressed int
	opts.Progress = func(imapcopy.Progress) { progressed++ }
	res, err := s.Switch(ctx, a.ID, opts)
	if err != nil {
		t.Fatalf("switch: %v", err)
	}
	if !res.Switched || res.Upload.Uploaded != plan.Messages || res.Upload.Adopted != len(late)+plan.Upload.Duplicates || progressed == 0 {
		t.Fatalf("switch result: switched %v, uploaded %d, adopted %d, %d progress calls",
			res.Switched, res.Upload.Uploaded, res.Upload.Adopted, progressed)
	}
	// Two files of the corpus have the same content: the server holds it once.
	checkOnce(t, serverCopies(t, s, srv, u), len(edge)+len(late)-len(plan.Upload.Empty)-plan.Upload.Duplicates)

	got, err := s.Get(a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Protocol != accounts.IMAP || got.Backup != nil || got.Port != srv.IMAPSPort || len(got.Switches) != 1 {
		t.Fatalf("account after the switch: %+v", got)
	}
	ch := got.Switches[0]
	if ch.From != accounts.POP3 || ch.To != accounts.IMAP || ch.Reason != "test" || ch.BackupDir != a.Backup.Dir || ch.At.IsZero() {
		t.Errorf("recorded change: %+v", ch)
	}
	if err := s.Update(ctx, withProtocol(got, accounts.POP3), ""); !errors.Is(err, accounts.ErrProtocolSwitch) {
		t.Errorf("an ordinary edit switched the protocol back: %v", err)
	}
	reps, err := s.VerifyRetired(ctx, a.ID)
	if err != nil || len(reps) != 1 || !reps[0].Healthy() || reps[0].Checked != len(edge)+len(late) {
		t.Fatalf("old backup: %+v %v", reps, err)
	}
	if _, err := s.Remove(ctx, a.ID, RemoveOptions{DeleteBackup: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(a.Backup.Dir, ".postfach", "index")); err != nil {
		t.Errorf("removing the switched account touched the old backup: %v", err)
	}
}

func withProtocol(a accounts.Account, p accounts.Protocol) accounts.Account {
	a.Protocol = p
	a.Port = 0
	a.Backup = &accounts.BackupPolicy{Dir: "/tmp/x", Schedule: accounts.DefaultSchedule(), Retention: accounts.DefaultRetention()}
	return a
}

// TestDovecotSwitchResumes: a switch cancelled in the middle of the upload leaves the
// account POP3; the next run finishes with every message once.
func TestDovecotSwitchResumes(t *testing.T) {
	srv := dovecottest.Start(t)
	u := srv.AddUser(t, "resumer", "pw", 100)
	s := dovecotService(t, srv)
	a := addPOP3(t, s, srv, u)
	msgs := dovecottest.Ordinary(40, 3)
	for _, m := range msgs {
		u.Deliver(t, m.Stored)
	}
	if _, err := s.Backup(context.Background(), a.ID, nil); err != nil {
		t.Fatal(err)
	}
	for _, stopAt := range []int{5, 17} {
		ctx, cancel := context.WithCancel(context.Background())
		opts := &SwitchOptions{Target: Target{Port: srv.IMAPSPort}, Progress: func(p imapcopy.Progress) {
			if p.Done >= stopAt-5 {
				cancel()
			}
		}}
		res, err := s.Switch(ctx, a.ID, opts)
		cancel()
		if !errors.Is(err, context.Canceled) || backup.KindOf(err) != backup.KindCanceled || res.Switched {
			t.Fatalf("cancelled switch: %v %+v", err, res)
		}
		if got, _ := s.Get(a.ID); got.Protocol != accounts.POP3 {
			t.Fatal("a cancelled switch changed the protocol")
		}
		checkOnce(t, serverCopies(t, s, srv, u), u.MessageCount(t))
	}
	res, err := s.Switch(context.Background(), a.ID, &SwitchOptions{Target: Target{Port: srv.IMAPSPort}})
	if err != nil || !res.Switched {
		t.Fatalf("resumed switch: %v %+v", err, res)
	}
	if res.Upload.Uploaded+res.Upload.Adopted+res.Plan.Upload.AlreadyUploaded < len(msgs) || res.Upload.Uploaded == len(msgs) {
		t.Errorf("resume did not continue: %+v, plan %+v", res.Upload, res.Plan.Upload)
	}
	checkOnce(t, serverCopies(t, s, srv, u), len(msgs))
}

// TestDovecotSwitchWontFit: a backup larger than the new mailbox's quota is refused by
// the plan before anything is uploaded, and the account stays POP3.
func TestDovecotSwitchWontFit(t *testing.T) {
	srv := dovecottest.Start(t)
	u := srv.AddUser(t, "bigpop", "pw", 0)
	small := srv.AddUser(t, "smallimap", "pw2", 1)
	s := dovecotService(t, srv)
	a := addPOP3(t, s, srv, u)
	for i := 0; i < 3; i++ {
		u.Deliver(t, dovecottest.Large(600_000+i).Stored)
	}
	if _, err := s.Backup(context.Background(), a.ID, nil); err != nil {
		t.Fatal(err)
	}
	opts := &SwitchOptions{Target: Target{Port: srv.IMAPSPort, Username: small.Name, Password: small.Password}}
	plan, err := s.PlanSwitch(context.Background(), a.ID, opts)
	if err != nil || plan.Fits || plan.Messages != 3 {
		t.Fatalf("plan: %+v %v", plan, err)
	}
	res, err := s.Switch(context.Background(), a.ID, opts)
	if !errors.Is(err, imapcopy.ErrWontFit) || backup.KindOf(err) != backup.KindWontFit || res.Switched || res.Upload != nil {
		t.Fatalf("switch: %v %+v", err, res)
	}
	if n := small.MessageCount(t); n != 0 {
		t.Errorf("%d messages uploaded despite the refusal", n)
	}
	if got, _ := s.Get(a.ID); got.Protocol != accounts.POP3 || got.Username != u.Name {
		t.Errorf("account changed: %+v", got)
	}
	if pw, err := secrets.Get(context.Background(), a.ID); pw != u.Password || err != nil {
		t.Errorf("the POP3 password changed: %v", err)
	}
}

// appendMail stores messages in u's folders through IMAP APPEND, with the given dates.
func appendMail(t *testing.T, srv *dovecottest.Server, u *dovecottest.User, box string, date time.Time, body []byte) {
	t.Helper()
	c, err := imapclient.DialTLS(srv.IMAPSAddr(), &imapclient.Options{TLSConfig: srv.TLSConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(u.Name, u.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	_ = c.Create(box, nil).Wait() // exists already: fine
	w := c.Append(box, int64(len(body)), &imap.AppendOptions{Time: date})
	if _, err := w.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Wait(); err != nil {
		t.Fatalf("append to %s: %v", box, err)
	}
	_ = c.Logout().Wait()
}

// TestDovecotSwitchToPOP3: an IMAP account with several folders becomes POP3 only
// after every folder is downloaded and checked; the retention defaults to keep, and a
// POP3 backup works right after.
func TestDovecotSwitchToPOP3(t *testing.T) {
	srv := dovecottest.Start(t)
	u := srv.AddUser(t, "imapper", "pw", 100)
	s := dovecotService(t, srv)
	a := addIMAP(t, s, srv, u)
	boxes := map[string]int{"INBOX": 4, "Sent": 3, "Archive/2024": 2}
	total := 0
	for box, n := range boxes {
		for i, m := range dovecottest.Ordinary(n, int64(len(box))) {
			appendMail(t, srv, u, box, time.Date(2024, 3, 1+i, 0, 0, 0, 0, time.UTC), dovecottest.WireForm(m.Stored))
			total++
		}
	}
	dir := filepath.Join(t.TempDir(), "pop3-backup")
	opts := &SwitchOptions{Target: Target{Port: srv.POP3SPort}, Dir: dir}
	plan, err := s.PlanSwitch(context.Background(), a.ID, opts)
	if err != nil || plan.Messages != total || len(plan.Folders) < 3 {
		t.Fatalf("plan: %+v %v", plan, err)
	}
	res, err := s.Switch(context.Background(), a.ID, opts)
	if err != nil || !res.Switched || res.Verified != total {
		t.Fatalf("switch: %v %+v", err, res)
	}
	got, _ := s.Get(a.ID)
	if got.Protocol != accounts.POP3 || got.Backup == nil || got.Backup.Dir != dir ||
		got.Backup.Retention.Mode != accounts.KeepForever || len(got.Switches) != 1 || got.Switches[0].CopyDir != CopyDir(dir) {
		t.Fatalf("account after the switch: %+v", got)
	}
	for box, n := range boxes {
		sub := imapcopy.FolderDir(box, '.')
		if box == "Archive/2024" {
			sub = ".Archive.2024"
		}
		ents, err := os.ReadDir(filepath.Join(CopyDir(dir), sub, "cur"))
		if err != nil || len(ents) != n {
			t.Errorf("%s: %d files, want %d (%v)", box, len(ents), n, err)
		}
	}
	if u.MessageCount(t) != boxes["INBOX"] {
		t.Error("the switch removed mail from the server")
	}
	if r, err := s.Backup(context.Background(), a.ID, nil); err != nil || r.New != boxes["INBOX"] || r.Deleted != 0 {
		t.Fatalf("first POP3 backup: %+v %v", r, err)
	}
}

// TestDovecotSwitchToPOP3WrongServer: a POP3 server that refuses the login stops the
// switch at the plan; nothing is downloaded and the account stays IMAP.
func TestDovecotSwitchToPOP3WrongServer(t *testing.T) {
	srv := dovecottest.Start(t)
	u := srv.AddUser(t, "imapwrong", "pw", 10)
	s := dovecotService(t, srv)
	a := addIMAP(t, s, srv, u)
	dir := filepath.Join(t.TempDir(), "pop3")
	res, err := s.Switch(context.Background(), a.ID, &SwitchOptions{Target: Target{Port: srv.POP3SPort, Password: "wrong"}, Dir: dir})
	if backup.KindOf(err) != backup.KindAuth || res != nil && res.Switched {
		t.Fatalf("switch: %v %+v", err, res)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the refused switch created %s", dir)
	}
	if got, _ := s.Get(a.ID); got.Protocol != accounts.IMAP {
		t.Errorf("account switched: %+v", got)
	}
}
