package backup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/filelock"
	"github.com/postfach/postfach/backup/maildir"
)

// The tests in this file cover the deletion gate of docs/backup.md against a scripted
// server: a UIDL the server reused, an index rebuilt over a damaged copy, local copies
// that went missing, UIDLs that vanish and come back, and runs that overlap.

// movableAccount is fakeAccount with a clock the test moves.
func movableAccount(t *testing.T, ret accounts.Retention, srv *fakeServer) (accounts.Account, *Options, *time.Time) {
	a, o := fakeAccount(t, ret.Mode)
	a.Backup.Retention = ret
	clock := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	o.Now = func() time.Time { return clock }
	useFake(o, srv)
	return a, o, &clock
}

// contents returns the bytes of every message file in the Maildir, sorted.
func contents(t *testing.T, dir string) []string {
	t.Helper()
	md, err := maildir.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	files, err := md.Scan()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, rel := range files {
		b, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	slices.Sort(out)
	return out
}

func sorted(s ...string) []string { slices.Sort(s); return s }

func mustVerify(t *testing.T, a accounts.Account, o *Options, checked int) *VerifyReport {
	t.Helper()
	rep, err := Verify(context.Background(), a, o)
	if err != nil || !rep.Healthy() || rep.Checked != checked {
		t.Fatalf("verify: %v %+v (want %d checked, all healthy)", err, rep, checked)
	}
	return rep
}

const day = 24 * time.Hour

// Defect 1: another client deleted message A; the server gave A's UIDL to a new message
// B of the same size. B must be downloaded and must not be deleted in that run.
func TestReusedUIDLOfEqualSizeIsNotDeleted(t *testing.T) {
	msgA := "Message-ID: <a@example.org>\r\nSubject: A\r\n\r\nbody of a\r\n"
	msgB := "Message-ID: <b@example.org>\r\nSubject: B\r\n\r\nbody of b\r\n"
	if len(msgA) != len(msgB) {
		t.Fatal("the test needs messages of equal size")
	}
	for _, tc := range []struct {
		name  string
		noTop bool
	}{{"server with TOP", false}, {"server without TOP", true}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := &fakeServer{msgs: []fakeMsg{{uid: "1", body: msgA}}, noTop: tc.noTop}
			a, o, clock := movableAccount(t, accounts.Retention{Mode: accounts.DeleteAfter, Days: 14}, srv)
			if res := mustRun(t, a, o); res.New != 1 {
				t.Fatalf("first run: %+v", res)
			}
			srv.msgs = []fakeMsg{{uid: "1", body: msgB}}
			*clock = clock.Add(15 * day)
			srv.retrs, srv.tops = 0, 0
			res := mustRun(t, a, o)
			if res.New != 1 || res.Deleted != 0 || len(srv.msgs) != 1 {
				t.Fatalf("after the reuse: %+v, server keeps %d (want B downloaded, nothing deleted)", res, len(srv.msgs))
			}
			if got := contents(t, a.Backup.Dir); !slices.Equal(got, sorted(msgA, msgB)) {
				t.Fatalf("backup holds %q, want A and B", got)
			}
			if !tc.noTop && (srv.tops != 1 || srv.retrs != 1) {
				t.Errorf("sent %d TOP and %d RETR, want 1 each", srv.tops, srv.retrs)
			}
			mustVerify(t, a, o, 2)
			// B ages in its turn, is proven by TOP (or in full) and deleted.
			*clock = clock.Add(15 * day)
			if res := mustRun(t, a, o); res.Deleted != 1 || res.New != 0 || len(srv.msgs) != 0 {
				t.Fatalf("when B is old enough: %+v, server keeps %d", res, len(srv.msgs))
			}
			if got := contents(t, a.Backup.Dir); !slices.Equal(got, sorted(msgA, msgB)) {
				t.Fatalf("backup holds %q, want A and B", got)
			}
		})
	}
}

// A TOP answer that differs from the RETR header (a server that rewrites headers for TOP)
// costs a full comparison, never a second copy and never a kept-back deletion.
func TestDifferingTopIsSettledByFullComparison(t *testing.T) {
	body := "Subject: one\r\nX-Spam: no\r\n\r\ntext\r\n"
	srv := &fakeServer{msgs: []fakeMsg{{uid: "u", body: body, top: "Subject: one\r\nStatus: RO\r\n\r\n"}}}
	a, o, clock := movableAccount(t, accounts.Retention{Mode: accounts.DeleteAfter, Days: 14}, srv)
	mustRun(t, a, o)
	*clock = clock.Add(15 * day)
	res := mustRun(t, a, o)
	if res.Deleted != 1 || res.New != 0 || len(srv.msgs) != 0 || srv.retrs != 2 {
		t.Fatalf("%+v, server keeps %d, %d RETR (want deleted after one full comparison)", res, len(srv.msgs), srv.retrs)
	}
	if got := contents(t, a.Backup.Dir); !slices.Equal(got, []string{body}) {
		t.Fatalf("backup holds %q", got)
	}
}

// Defect 2: an index rebuilt from the files hashes whatever is on the disk. A damaged
// copy must not pass "re-hash before DELE" by being compared with itself.
func TestRebuiltIndexDoesNotTrustDamagedCopy(t *testing.T) {
	b := bodies(3, "rebuilt")
	srv := &fakeServer{msgs: []fakeMsg{{uid: "a", body: b[0]}, {uid: "b", body: b[1]}, {uid: "c", body: b[2]}}}
	a, o, _ := movableAccount(t, accounts.Retention{Mode: accounts.KeepForever}, srv)
	mustRun(t, a, o)
	os.Remove(filepath.Join(a.Backup.Dir, metaDir, "index"))
	truncateCopy(t, a.Backup.Dir, "b")

	a.Backup.Retention = accounts.Retention{Mode: accounts.DeleteNow}
	if res := mustRun(t, a, o); res.Deleted != 0 {
		t.Fatalf("the run that rebuilt the index deleted: %+v", res)
	}
	res := mustRun(t, a, o)
	if res.Deleted != 2 || res.Restored != 1 || res.New != 0 || len(srv.msgs) != 1 || srv.msgs[0].uid != "b" {
		t.Fatalf("the run after the rebuild: %+v, server keeps %+v (want a, c deleted, b restored and kept)", res, srv.msgs)
	}
	if got := contents(t, a.Backup.Dir); !slices.Equal(got, sorted(b...)) {
		t.Fatalf("backup holds %q", got)
	}
	assertKeptAside(t, a.Backup.Dir, 1)
	if res := mustRun(t, a, o); res.Deleted != 1 || len(srv.msgs) != 0 {
		t.Fatalf("the next run: %+v", res)
	}
	mustVerify(t, a, o, 3)
}

// Defect 2, adoption: a file found under a UIDL the index does not know is adopted
// unproven, and a damaged one is replaced, not trusted, when delete-after-backup would
// remove the server copy in the same run.
func TestAdoptedDamagedCopyIsReplaced(t *testing.T) {
	b := bodies(2, "adopt")
	srv := &fakeServer{msgs: []fakeMsg{{uid: "a", body: b[0]}}}
	a, o, clock := movableAccount(t, accounts.Retention{Mode: accounts.KeepForever}, srv)
	mustRun(t, a, o)
	// A copy of "b" that the index never recorded, and damaged: its body cut short.
	name := maildir.FileName(maildir.Key{UIDL: "b"}, *clock)
	if err := os.WriteFile(filepath.Join(a.Backup.Dir, maildir.New, name), []byte(b[1][:len(b[1])-4]), 0o600); err != nil {
		t.Fatal(err)
	}
	srv.msgs = append(srv.msgs, fakeMsg{uid: "b", body: b[1]})
	a.Backup.Retention = accounts.Retention{Mode: accounts.DeleteNow}
	res := mustRun(t, a, o)
	if res.Deleted != 1 || res.Restored != 1 || len(srv.msgs) != 1 || srv.msgs[0].uid != "b" {
		t.Fatalf("%+v, server keeps %+v (want a deleted, b restored and kept)", res, srv.msgs)
	}
	if got := contents(t, a.Backup.Dir); !slices.Equal(got, sorted(b...)) {
		t.Fatalf("backup holds %q", got)
	}
	assertKeptAside(t, a.Backup.Dir, 1)
	mustVerify(t, a, o, 2)
}

// Defect 3: a local copy removed by hand while the server still has the message is
// downloaded again — and with a server that re-keyed its UIDLs, matched by content only
// against copies that exist, so the run after deletes and the one after that is quiet.
func TestMissingCopyIsDownloadedAgain(t *testing.T) {
	b := bodies(3, "missing")
	t.Run("same UIDLs", func(t *testing.T) {
		srv := &fakeServer{msgs: []fakeMsg{{uid: "a", body: b[0]}, {uid: "b", body: b[1]}, {uid: "c", body: b[2]}}}
		a, o, _ := movableAccount(t, accounts.Retention{Mode: accounts.KeepForever}, srv)
		mustRun(t, a, o)
		removeCopy(t, a.Backup.Dir, "b")
		if res := mustRun(t, a, o); res.Restored != 1 || res.New != 0 || res.AlreadyHad != 2 {
			t.Fatalf("%+v (want b restored)", res)
		}
		if got := contents(t, a.Backup.Dir); !slices.Equal(got, sorted(b...)) {
			t.Fatalf("backup holds %q", got)
		}
		mustVerify(t, a, o, 3)
		if res := mustRun(t, a, o); res.Restored != 0 || res.New != 0 {
			t.Fatalf("a quiet run fetched: %+v", res)
		}
	})
	t.Run("re-keyed UIDLs", func(t *testing.T) {
		srv := &fakeServer{msgs: []fakeMsg{{uid: "old-a", body: b[0]}, {uid: "old-b", body: b[1]}, {uid: "old-c", body: b[2]}}}
		a, o, _ := movableAccount(t, accounts.Retention{Mode: accounts.KeepForever}, srv)
		mustRun(t, a, o)
		removeCopy(t, a.Backup.Dir, "old-b")
		for i := range srv.msgs {
			srv.msgs[i].uid = strings.Replace(srv.msgs[i].uid, "old", "new", 1)
		}
		a.Backup.Retention = accounts.Retention{Mode: accounts.DeleteNow}
		if res := mustRun(t, a, o); res.Deleted != 0 || res.New != 1 || res.AlreadyHad != 2 {
			t.Fatalf("the re-keyed run: %+v (want b downloaded, a and c matched, deletions waiting)", res)
		}
		if res := mustRun(t, a, o); res.Deleted != 3 || len(srv.msgs) != 0 {
			t.Fatalf("the run after: %+v", res)
		}
		if res := mustRun(t, a, o); res.New != 0 || res.Deleted != 0 {
			t.Fatalf("the run after that: %+v", res)
		}
		if got := contents(t, a.Backup.Dir); !slices.Equal(got, sorted(b...)) {
			t.Fatalf("backup holds %q", got)
		}
	})
}

// Verify tells restorable copies (the server still had them at the last run) from lost
// ones, and the next run restores the changed ones it reported.
func TestVerifyReportsWhatTheNextRunRestores(t *testing.T) {
	b := bodies(2, "verify")
	srv := &fakeServer{msgs: []fakeMsg{{uid: "a", body: b[0]}, {uid: "b", body: b[1]}}}
	a, o, _ := movableAccount(t, accounts.Retention{Mode: accounts.KeepForever}, srv)
	mustRun(t, a, o)
	tamperCopy(t, a.Backup.Dir, "a")
	removeCopy(t, a.Backup.Dir, "b")
	rep, err := Verify(context.Background(), a, o)
	if err != nil || !slices.Equal(rep.Changed, []string{"a"}) || !slices.Equal(rep.Missing, []string{"b"}) ||
		!slices.Equal(sorted(rep.Restorable...), []string{"a", "b"}) || len(rep.Lost) != 0 {
		t.Fatalf("verify: %v %+v", err, rep)
	}
	// Another client deletes b before the next backup: b is lost for good; a comes back.
	srv.msgs = srv.msgs[:1]
	res := mustRun(t, a, o)
	if res.Restored != 1 || res.New != 0 {
		t.Fatalf("%+v (want a restored)", res)
	}
	assertKeptAside(t, a.Backup.Dir, 1)
	rep, err = Verify(context.Background(), a, o)
	if err != nil || len(rep.Changed) != 0 || !slices.Equal(rep.Missing, []string{"b"}) || !slices.Equal(rep.Lost, []string{"b"}) || len(rep.Restorable) != 0 {
		t.Fatalf("verify after: %v %+v", err, rep)
	}
}

// A UIDL that vanished and comes back is compared with the copy: the same message is not
// stored twice, another one is stored as a new generation.
func TestVanishedUIDLComesBack(t *testing.T) {
	b := bodies(2, "vanish")
	srv := &fakeServer{msgs: []fakeMsg{{uid: "x", body: b[0]}}}
	a, o, _ := movableAccount(t, accounts.Retention{Mode: accounts.KeepForever}, srv)
	mustRun(t, a, o)
	srv.msgs = nil
	mustRun(t, a, o)
	srv.msgs = []fakeMsg{{uid: "x", body: b[0]}}
	if res := mustRun(t, a, o); res.New != 0 || res.AlreadyHad != 1 {
		t.Fatalf("the same message back: %+v", res)
	}
	srv.msgs = nil
	mustRun(t, a, o)
	srv.msgs = []fakeMsg{{uid: "x", body: b[1]}}
	if res := mustRun(t, a, o); res.New != 1 {
		t.Fatalf("another message under the UIDL: %+v", res)
	}
	if got := contents(t, a.Backup.Dir); !slices.Equal(got, sorted(b...)) {
		t.Fatalf("backup holds %q", got)
	}
	mustVerify(t, a, o, 2)
}

// Defects 6 and 7: a run that finds the folder locked changes nothing (not even the
// history or a first run's marker), and RemoveFolder waits for the lock.
func TestLockedFolder(t *testing.T) {
	srv := &fakeServer{msgs: []fakeMsg{{uid: "a", body: bodies(1, "lock")[0]}}}
	t.Run("first run", func(t *testing.T) {
		a, o, _ := movableAccount(t, accounts.Retention{Mode: accounts.DeleteNow}, srv)
		lock := holdLock(t, a.Backup.Dir)
		defer lock.Unlock()
		if _, err := Run(context.Background(), a, "pw", o); !errors.Is(err, ErrBusy) {
			t.Fatalf("Run = %v, want ErrBusy", err)
		}
		if _, err := os.Stat(filepath.Join(a.Backup.Dir, metaDir, "store.json")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("a busy first run created the marker: %v", err)
		}
		if _, err := os.Stat(statePath(o.StateDir, a.ID)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("a busy run wrote the state: %v", err)
		}
	})
	t.Run("later run and removal", func(t *testing.T) {
		a, o, _ := movableAccount(t, accounts.Retention{Mode: accounts.KeepForever}, srv)
		mustRun(t, a, o)
		before, _ := os.ReadFile(statePath(o.StateDir, a.ID))
		lock := holdLock(t, a.Backup.Dir)
		if _, err := Run(context.Background(), a, "pw", o); !errors.Is(err, ErrBusy) {
			t.Fatalf("Run = %v, want ErrBusy", err)
		}
		if after, _ := os.ReadFile(statePath(o.StateDir, a.ID)); string(after) != string(before) {
			t.Fatal("a busy run changed the state")
		}
		if err := RemoveFolder(a.Backup.Dir); !errors.Is(err, ErrBusy) {
			t.Fatalf("RemoveFolder during a run = %v, want ErrBusy", err)
		}
		if got := contents(t, a.Backup.Dir); len(got) != 1 {
			t.Fatalf("RemoveFolder during a run removed mail: %q", got)
		}
		lock.Unlock()
		if err := RemoveFolder(a.Backup.Dir); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(a.Backup.Dir); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("folder still there: %v", err)
		}
	})
}

func holdLock(t *testing.T, dir string) *filelock.Lock {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, metaDir), 0o700); err != nil {
		t.Fatal(err)
	}
	lock, err := filelock.TryLock(filepath.Join(dir, metaDir, "lock"))
	if err != nil {
		t.Fatal(err)
	}
	return lock
}

// copyPath returns the path of the stored copy of uidl (the highest generation).
func copyPath(t *testing.T, dir, uidl string) string {
	t.Helper()
	md, err := maildir.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := md.Scan()
	best := -1
	var path string
	for k, rel := range files {
		if k.UIDL == uidl && k.Gen > best {
			best, path = k.Gen, filepath.Join(dir, rel)
		}
	}
	if path == "" {
		t.Fatalf("no copy of %s", uidl)
	}
	return path
}

func removeCopy(t *testing.T, dir, uidl string) {
	t.Helper()
	if err := os.Remove(copyPath(t, dir, uidl)); err != nil {
		t.Fatal(err)
	}
}

// truncateCopy cuts a stored copy after its header block: the damage a disk or a
// careless tool does, which keeps the headers that identify the message.
func truncateCopy(t *testing.T, dir, uidl string) {
	t.Helper()
	p := copyPath(t, dir, uidl)
	data, _ := os.ReadFile(p)
	i := strings.Index(string(data), "\r\n\r\n")
	if err := os.WriteFile(p, data[:i+4], 0o600); err != nil {
		t.Fatal(err)
	}
}

// tamperCopy changes one byte of the body, keeping the size.
func tamperCopy(t *testing.T, dir, uidl string) {
	t.Helper()
	p := copyPath(t, dir, uidl)
	data, _ := os.ReadFile(p)
	data[len(data)-3] ^= 0x20
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func assertKeptAside(t *testing.T, dir string, n int) {
	t.Helper()
	if aside, _ := filepath.Glob(filepath.Join(dir, metaDir, damagedDir, "*")); len(aside) != n {
		t.Fatalf("%d damaged copies kept aside, want %d: %v", len(aside), n, aside)
	}
}

// Batches commit on their own goroutine while the next one downloads; with batches of 3
// every step overlaps a download (run with -race), including a damaged copy replaced in
// the proof pass.
func TestPipelinedCommits(t *testing.T) {
	b := bodies(40, "pipe")
	srv := &fakeServer{}
	for i, body := range b {
		srv.msgs = append(srv.msgs, fakeMsg{uid: fmt.Sprintf("p%02d", i), body: body})
	}
	a, o, clock := movableAccount(t, accounts.Retention{Mode: accounts.DeleteAfter, Days: 14}, srv)
	o.batch = 3
	var steps []string
	o.failpoint = func(step string) { steps = append(steps, step) }
	if res := mustRun(t, a, o); res.New != 40 {
		t.Fatalf("%+v", res)
	}
	if n := strings.Count(strings.Join(steps, " "), "after-index-commit"); n != 14 {
		t.Errorf("%d batches committed, want 14", n)
	}
	tamperCopy(t, a.Backup.Dir, "p07")
	removeCopy(t, a.Backup.Dir, "p21")
	*clock = clock.Add(15 * day)
	res := mustRun(t, a, o)
	if res.Restored != 2 || res.Deleted != 38 || len(srv.msgs) != 2 {
		t.Fatalf("%+v, server keeps %d", res, len(srv.msgs))
	}
	if got := contents(t, a.Backup.Dir); !slices.Equal(got, sorted(b...)) {
		t.Fatalf("backup differs: %d files", len(got))
	}
	assertKeptAside(t, a.Backup.Dir, 1)
	mustVerify(t, a, o, 40)
}
