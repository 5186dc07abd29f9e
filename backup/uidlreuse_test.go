package backup

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/internal/testkit/dovecottest"
)

// newUIDFixture is newFixture with a Dovecot user whose UIDLs are the bare IMAP UID
// (pop3_uidl_format = %u; %% escapes it in the userdb), so that a reset of the mailbox's UIDVALIDITY makes the real
// server reuse UIDLs, as Courier-style servers do.
func newUIDFixture(t *testing.T, srv *dovecottest.Server, ret accounts.Retention) *fixture {
	t.Helper()
	f := newFixture(t, srv, ret)
	name := f.user.Name + "u"
	f.user = srv.AddUserFields(t, name, "pw-"+name, 200, "userdb_pop3_uidl_format=%%u")
	f.acct.Username, f.acct.Email = name, name+"@example.org"
	return f
}

// storedBytes returns the bytes of every message file of the backup, sorted.
func storedBytes(t *testing.T, f *fixture) []string {
	t.Helper()
	return contents(t, f.acct.Backup.Dir)
}

// TestDovecotReusedUIDLs covers defects 1 to 3 of the deletion gate against a real
// server that reuses UIDLs.
func TestDovecotReusedUIDLs(t *testing.T) {
	srv := dovecottest.Start(t)
	// Equal sizes: a reused UIDL must not be recognised by its size alone.
	msgA := []byte("Message-ID: <a@example.org>\r\nSubject: A\r\n\r\nbody of a\r\n")
	msgB := []byte("Message-ID: <b@example.org>\r\nSubject: B\r\n\r\nbody of b\r\n")
	wire := func(ms ...[]byte) []string {
		var out []string
		for _, m := range ms {
			out = append(out, string(dovecottest.WireForm(m)))
		}
		slices.Sort(out)
		return out
	}

	t.Run("reused UIDL of equal size", func(t *testing.T) {
		f := newUIDFixture(t, srv, accounts.Retention{Mode: accounts.DeleteAfter, Days: 14})
		f.user.Deliver(t, msgA)
		if res := f.run(t); res.New != 1 {
			t.Fatalf("first run: %+v", res)
		}
		// Another client deletes A; the store is rebuilt; B arrives and gets UID 1, so
		// the server lists it under A's UIDL.
		f.user.ExpungeAllAndResetUIDs(t)
		f.user.Deliver(t, msgB)
		f.clock = f.clock.Add(15 * 24 * time.Hour)
		res := f.run(t)
		if res.New != 1 || res.Deleted != 0 || f.user.MessageCount(t) != 1 {
			t.Fatalf("after the reuse: %+v, server keeps %d (want B downloaded, nothing deleted)", res, f.user.MessageCount(t))
		}
		if got := storedBytes(t, f); !slices.Equal(got, wire(msgA, msgB)) {
			t.Fatalf("backup holds %q", got)
		}
		f.clock = f.clock.Add(15 * 24 * time.Hour)
		if res := f.run(t); res.Deleted != 1 || f.user.MessageCount(t) != 0 {
			t.Fatalf("when B is old enough: %+v", res)
		}
		if !srv.LogContains(t, "top=1/") {
			t.Error("no TOP was sent before deleting a message from an earlier session")
		}
		mustVerify(t, f.acct, f.opts, 2)
	})

	t.Run("rebuilt index over a damaged copy", func(t *testing.T) {
		f := newUIDFixture(t, srv, accounts.Retention{Mode: accounts.KeepForever})
		f.user.Deliver(t, msgA, msgB)
		f.run(t)
		os.Remove(filepath.Join(f.acct.Backup.Dir, metaDir, "index"))
		truncateCopy(t, f.acct.Backup.Dir, "2")
		f.acct.Backup.Retention = accounts.Retention{Mode: accounts.DeleteNow}
		if res := f.run(t); res.Deleted != 0 {
			t.Fatalf("the run that rebuilt the index deleted: %+v", res)
		}
		res := f.run(t)
		if res.Deleted != 1 || res.Restored != 1 || f.user.MessageCount(t) != 1 {
			t.Fatalf("the run after the rebuild: %+v, server keeps %d (want the damaged one restored and kept)", res, f.user.MessageCount(t))
		}
		assertKeptAside(t, f.acct.Backup.Dir, 1)
		if res := f.run(t); res.Deleted != 1 || f.user.MessageCount(t) != 0 {
			t.Fatalf("the next run: %+v", res)
		}
		if got := storedBytes(t, f); !slices.Equal(got, wire(msgA, msgB)) {
			t.Fatalf("backup holds %q", got)
		}
		mustVerify(t, f.acct, f.opts, 2)
	})

	t.Run("missing copy", func(t *testing.T) {
		f := newUIDFixture(t, srv, accounts.Retention{Mode: accounts.KeepForever})
		f.user.Deliver(t, msgA, msgB)
		f.run(t)
		removeCopy(t, f.acct.Backup.Dir, "1")
		if res := f.run(t); res.Restored != 1 || res.New != 0 {
			t.Fatalf("%+v (want the missing copy restored)", res)
		}
		if got := storedBytes(t, f); !slices.Equal(got, wire(msgA, msgB)) {
			t.Fatalf("backup holds %q", got)
		}
		mustVerify(t, f.acct, f.opts, 2)
	})
}
