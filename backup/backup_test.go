package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/connect"
	"github.com/postfach/postfach/accounts/filelock"
	"github.com/postfach/postfach/backup/maildir"
	"github.com/postfach/postfach/internal/testkit/dovecottest"
)

// fixture is a Dovecot user plus a POP3 account pointing at it.
type fixture struct {
	srv   *dovecottest.Server
	user  *dovecottest.User
	acct  accounts.Account
	opts  *Options
	clock time.Time
}

func newFixture(t *testing.T, srv *dovecottest.Server, retention accounts.Retention) *fixture {
	t.Helper()
	name := fmt.Sprintf("u%d", time.Now().UnixNano()%1e9)
	u := srv.AddUser(t, name, "pw-"+name, 200)
	f := &fixture{srv: srv, user: u, clock: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	f.acct = accounts.Account{
		Name: "Test " + name, Email: name + "@example.org", Protocol: accounts.POP3,
		Host: srv.Host, Port: srv.POP3SPort, Security: accounts.TLS, Username: name,
		Backup: &accounts.BackupPolicy{Dir: filepath.Join(t.TempDir(), "backup"),
			Schedule: accounts.Schedule{Kind: accounts.Off}, Retention: retention},
	}
	f.acct.Normalize()
	if err := f.acct.Validate(); err != nil {
		t.Fatal(err)
	}
	f.opts = &Options{StateDir: t.TempDir(), Conn: &connect.Options{Roots: srv.CertPool, Timeout: 30 * time.Second},
		Now: func() time.Time { return f.clock }}
	return f
}

func (f *fixture) run(t *testing.T) *Result {
	t.Helper()
	res, err := Run(context.Background(), f.acct, f.user.Password, f.opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

// stored returns the content of every message file in the backup, keyed by UIDL.
func stored(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	md, err := maildir.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	files, err := md.Scan()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for k, rel := range files {
		if _, dup := out[k.UIDL]; dup {
			t.Fatalf("two files for UIDL %s", k.UIDL)
		}
		b, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		out[k.UIDL] = b
	}
	return out
}

// assertExact checks that the backup holds exactly the wire form of each message, once.
func assertExact(t *testing.T, dir string, msgs []dovecottest.Message) {
	t.Helper()
	got := stored(t, dir)
	if len(got) != len(msgs) {
		t.Fatalf("backup holds %d messages, want %d", len(got), len(msgs))
	}
	// Different stored forms can share a wire form ("" and "\n" both become "\r\n"),
	// so compare as multisets.
	want := map[string][]string{}
	for _, m := range msgs {
		w := string(dovecottest.WireForm(m.Stored))
		want[w] = append(want[w], m.Name)
	}
	for uidl, b := range got {
		names := want[string(b)]
		if len(names) == 0 {
			t.Errorf("message %s (%d bytes) matches no wire form; starts %q", uidl, len(b), b[:min(len(b), 80)])
			continue
		}
		want[string(b)] = names[1:]
	}
	for _, names := range want {
		for _, name := range names {
			t.Errorf("message %s missing from the backup", name)
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(ents) != 0 {
		t.Errorf("tmp/ not empty: %d files", len(ents))
	}
}

func deliver(t *testing.T, u *dovecottest.User, msgs []dovecottest.Message) {
	t.Helper()
	for _, m := range msgs {
		u.Deliver(t, m.Stored)
	}
}

func TestBackupByteExactAndIncremental(t *testing.T) {
	srv := dovecottest.Start(t)
	f := newFixture(t, srv, accounts.Retention{Mode: accounts.KeepForever})
	msgs := append(dovecottest.EdgeCases(), dovecottest.Ordinary(40, 1)...)
	msgs = append(msgs, dovecottest.Large(50<<20))
	deliver(t, f.user, msgs)

	var last Progress
	f.opts.Progress = func(p Progress) { last = p }
	res := f.run(t)
	if res.New != len(msgs) || res.AlreadyHad != 0 || res.Failed != 0 || res.Deleted != 0 {
		t.Fatalf("first run: %+v", res)
	}
	if last.Phase != PhaseDone || last.Done != len(msgs) {
		t.Errorf("last progress %+v", last)
	}
	assertExact(t, f.acct.Backup.Dir, msgs)

	res = f.run(t)
	if res.New != 0 || res.AlreadyHad != len(msgs) {
		t.Fatalf("second run fetched again: %+v", res)
	}

	more := dovecottest.Ordinary(3, 2)
	deliver(t, f.user, more)
	res = f.run(t)
	if res.New != 3 || res.AlreadyHad != len(msgs) {
		t.Fatalf("third run: %+v", res)
	}
	assertExact(t, f.acct.Backup.Dir, append(msgs, more...))
	if n := f.user.MessageCount(t); n != len(msgs)+3 {
		t.Errorf("server has %d messages, want all %d kept", n, len(msgs)+3)
	}
	h, err := History(f.opts.StateDir, f.acct.ID)
	if err != nil || len(h) != 3 || !h[2].OK() {
		t.Fatalf("history: %v %+v", err, h)
	}
	rep, err := Verify(context.Background(), f.acct, f.opts)
	if err != nil || !rep.Healthy() || rep.Checked != len(msgs)+3 {
		t.Fatalf("verify: %v %+v", err, rep)
	}
}

func TestSecurityModes(t *testing.T) {
	srv := dovecottest.Start(t)
	cases := []struct {
		name     string
		port     int
		security accounts.Security
		plain    bool
		pin      bool
	}{
		{"implicit TLS", srv.POP3SPort, accounts.TLS, false, false},
		{"STLS", srv.POP3Port, accounts.StartTLS, false, false},
		{"pinned self-signed", srv.POP3SPort, accounts.TLS, false, true},
		{"plaintext opt-in", srv.POP3Port, accounts.None, true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, srv, accounts.Retention{Mode: accounts.KeepForever})
			f.acct.Port, f.acct.Security, f.acct.AllowPlaintext = tc.port, tc.security, tc.plain
			if tc.pin {
				f.acct.PinnedSHA256 = srv.CertSHA256
				f.opts.Conn.Roots = nil // trust comes from the pin alone
			}
			msgs := dovecottest.Ordinary(3, 7)
			deliver(t, f.user, msgs)
			if res := f.run(t); res.New != 3 {
				t.Fatalf("%+v", res)
			}
			assertExact(t, f.acct.Backup.Dir, msgs)
		})
	}
}

func TestRetentionDeletesOnlyVerifiedCopies(t *testing.T) {
	srv := dovecottest.Start(t)
	t.Run("after N days", func(t *testing.T) {
		f := newFixture(t, srv, accounts.Retention{Mode: accounts.DeleteAfter, Days: 14})
		msgs := dovecottest.Ordinary(5, 3)
		deliver(t, f.user, msgs)
		if res := f.run(t); res.New != 5 || res.Deleted != 0 {
			t.Fatalf("day 0: %+v", res)
		}
		f.clock = f.clock.Add(13 * 24 * time.Hour)
		if res := f.run(t); res.Deleted != 0 {
			t.Fatalf("day 13 deleted %d", res.Deleted)
		}
		// One local copy is altered: it must stay on the server and come back.
		files := stored(t, f.acct.Backup.Dir)
		var victim string
		for u := range files {
			victim = u
			break
		}
		md, _ := maildir.Open(f.acct.Backup.Dir)
		scan, _ := md.Scan()
		for k, rel := range scan {
			if k.UIDL == victim {
				os.WriteFile(filepath.Join(f.acct.Backup.Dir, rel), []byte("tampered\r\n"), 0o600)
			}
		}
		// It is kept aside and downloaded again in the same run, and not deleted in it.
		f.clock = f.clock.Add(2 * 24 * time.Hour)
		res := f.run(t)
		if res.Deleted != 4 || res.Restored != 1 || res.New != 0 || len(res.Errors) == 0 {
			t.Fatalf("day 15: %+v", res)
		}
		for _, e := range res.Errors {
			if e.UIDL != victim {
				t.Errorf("day 15: a note about another message: %+v", e)
			}
		}
		if n := f.user.MessageCount(t); n != 1 {
			t.Fatalf("server keeps %d, want only the unverified one", n)
		}
		if aside, _ := filepath.Glob(filepath.Join(f.acct.Backup.Dir, metaDir, damagedDir, "*")); len(aside) != 1 {
			t.Fatalf("the damaged copy was not kept aside: %v", aside)
		} else if data, _ := os.ReadFile(aside[0]); string(data) != "tampered\r\n" {
			t.Fatalf("the damaged copy was changed: %q", data)
		}
		if res = f.run(t); res.New != 0 || res.Restored != 0 || res.Deleted != 0 {
			t.Fatalf("the run after: %+v", res)
		}
		rep, err := Verify(context.Background(), f.acct, f.opts)
		if err != nil || !rep.Healthy() {
			t.Fatalf("verify after re-download: %v %+v", err, rep)
		}
		assertExact(t, f.acct.Backup.Dir, msgs)
	})
	t.Run("right after backup", func(t *testing.T) {
		f := newFixture(t, srv, accounts.Retention{Mode: accounts.DeleteNow})
		msgs := dovecottest.EdgeCases()
		deliver(t, f.user, msgs)
		res := f.run(t)
		if res.New != len(msgs) || res.Deleted != len(msgs) {
			t.Fatalf("%+v", res)
		}
		if n := f.user.MessageCount(t); n != 0 {
			t.Fatalf("server still has %d", n)
		}
		assertExact(t, f.acct.Backup.Dir, msgs)
		if res := f.run(t); res.New != 0 || res.Deleted != 0 {
			t.Fatalf("second run: %+v", res)
		}
	})
}

func TestBackupFolderProblemsStopBeforeDeleting(t *testing.T) {
	srv := dovecottest.Start(t)
	setup := func(t *testing.T) *fixture {
		f := newFixture(t, srv, accounts.Retention{Mode: accounts.DeleteNow})
		f.acct.Backup.Retention = accounts.Retention{Mode: accounts.KeepForever}
		deliver(t, f.user, dovecottest.Ordinary(4, 5))
		f.run(t)
		f.acct.Backup.Retention = accounts.Retention{Mode: accounts.DeleteNow}
		return f
	}
	cases := []struct {
		name    string
		breakIt func(dir string)
		want    error
	}{
		{"missing", func(dir string) { os.RemoveAll(dir) }, ErrFolderMissing},
		{"replaced by empty", func(dir string) { os.RemoveAll(dir); os.Mkdir(dir, 0o700) }, ErrFolderReplaced},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t)
			tc.breakIt(f.acct.Backup.Dir)
			res, err := Run(context.Background(), f.acct, f.user.Password, f.opts)
			if !errors.Is(err, tc.want) || res.OK() {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if n := f.user.MessageCount(t); n != 4 {
				t.Fatalf("server lost mail: %d left", n)
			}
		})
	}
	t.Run("foreign", func(t *testing.T) {
		f := setup(t)
		g := newFixture(t, srv, accounts.Retention{Mode: accounts.KeepForever})
		g.acct.Backup.Dir = f.acct.Backup.Dir
		if _, err := Run(context.Background(), g.acct, g.user.Password, g.opts); !errors.Is(err, ErrFolderForeign) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("busy", func(t *testing.T) {
		f := setup(t)
		l, err := filelock.TryLock(filepath.Join(f.acct.Backup.Dir, metaDir, "lock"))
		if err != nil {
			t.Fatal(err)
		}
		defer l.Unlock()
		if _, err := Run(context.Background(), f.acct, f.user.Password, f.opts); !errors.Is(err, ErrBusy) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestIndexLossIsRecoveredWithoutDuplicates(t *testing.T) {
	srv := dovecottest.Start(t)
	cases := []struct {
		name   string
		damage func(path string)
	}{
		{"missing", func(p string) { os.Remove(p) }},
		{"corrupt", func(p string) { os.WriteFile(p, []byte("garbage\x00\n"), 0o600) }},
		{"truncated to header", func(p string) { os.WriteFile(p, []byte("postfach-index 2\n"), 0o600) }},
		{"torn last line", func(p string) {
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)-7], 0o600)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, srv, accounts.Retention{Mode: accounts.KeepForever})
			msgs := dovecottest.Ordinary(6, 9)
			deliver(t, f.user, msgs)
			f.run(t)
			f.acct.Backup.Retention = accounts.Retention{Mode: accounts.DeleteNow}
			tc.damage(filepath.Join(f.acct.Backup.Dir, metaDir, "index"))
			res := f.run(t)
			if res.New != 0 {
				t.Fatalf("downloaded again: %+v", res)
			}
			assertExact(t, f.acct.Backup.Dir, msgs)
			if f.user.MessageCount(t) == 0 && strings.Contains(tc.name, "corrupt") {
				t.Fatal("deleted from the server in the run that rebuilt the index")
			}
			f.run(t)
			if n := f.user.MessageCount(t); n != 0 {
				t.Fatalf("the run after recovery kept %d on the server", n)
			}
		})
	}
}

func TestNewComputerReusesExistingBackup(t *testing.T) {
	srv := dovecottest.Start(t)
	f := newFixture(t, srv, accounts.Retention{Mode: accounts.KeepForever})
	msgs := dovecottest.Ordinary(5, 11)
	deliver(t, f.user, msgs)
	f.run(t)
	// Same mailbox and folder, fresh config: a new PC pointed at the old backup drive.
	f.acct.ID = accounts.NewID()
	f.opts.StateDir = t.TempDir()
	if res := f.run(t); res.New != 0 || res.AlreadyHad != 5 {
		t.Fatalf("%+v", res)
	}
}

func TestVerifyReportsMissingAndChanged(t *testing.T) {
	srv := dovecottest.Start(t)
	f := newFixture(t, srv, accounts.Retention{Mode: accounts.KeepForever})
	deliver(t, f.user, dovecottest.Ordinary(3, 13))
	f.run(t)
	md, _ := maildir.Open(f.acct.Backup.Dir)
	scan, _ := md.Scan()
	var rels []string
	for _, rel := range scan {
		rels = append(rels, rel)
	}
	os.Remove(filepath.Join(f.acct.Backup.Dir, rels[0]))
	b, _ := os.ReadFile(filepath.Join(f.acct.Backup.Dir, rels[1]))
	os.WriteFile(filepath.Join(f.acct.Backup.Dir, rels[1]), bytes.ToUpper(b), 0o600)
	rep, err := Verify(context.Background(), f.acct, f.opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Healthy() || len(rep.Missing) != 1 || len(rep.Changed) != 1 || rep.OK != 1 {
		t.Fatalf("%+v", rep)
	}
}
