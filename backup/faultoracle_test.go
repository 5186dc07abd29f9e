package backup

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/connect"
	"github.com/postfach/postfach/backup/index"
	"github.com/postfach/postfach/backup/maildir"
	"github.com/postfach/postfach/internal/testkit/dovecottest"
)

// This file holds what the crash, network-fault and storage-fault tests share: a record
// of every message delivered to a Dovecot user, and the oracle checked after every fault
// (docs/backup.md):
//
//   - no loss: every delivered message is on the server, or in the backup with an index
//     entry whose hash matches the file (never neither);
//   - no duplicate: at most one file per UIDL and per content, and no file that is not
//     exactly the wire form of a delivered message (no partial or empty file adopted);
//   - the index only names files that exist with the recorded hash;
//   - after a run that finished: nothing in tmp/, Verify healthy, and the backup holds
//     each delivered message exactly once.
//
// Messages are identified by content: the server side by the bytes Deliver stored, the
// backup side by their WireForm, so the oracle does not trust the engine's own naming.

// mailbox is one Dovecot user and everything ever delivered to it.
type mailbox struct {
	srv      *dovecottest.Server
	user     *dovecottest.User
	msgs     []dovecottest.Message
	wire     map[string]int   // WireForm -> index in msgs
	wireHash map[[32]byte]int // SHA-256 of the WireForm -> index in msgs
	raw      map[string]int   // stored bytes -> index in msgs
}

func newMailbox(srv *dovecottest.Server, u *dovecottest.User) *mailbox {
	return &mailbox{srv: srv, user: u, wire: map[string]int{}, wireHash: map[[32]byte]int{}, raw: map[string]int{}}
}

// deliver puts msgs into the user's INBOX. Contents must be unique (by stored and by wire
// form) so that the oracle can tell messages apart by content alone.
func (m *mailbox) deliver(t testing.TB, msgs ...dovecottest.Message) {
	t.Helper()
	for _, msg := range msgs {
		w := string(dovecottest.WireForm(msg.Stored))
		if _, dup := m.wire[w]; dup {
			t.Fatalf("corpus: %s has the same wire form as an earlier message", msg.Name)
		}
		if _, dup := m.raw[string(msg.Stored)]; dup {
			t.Fatalf("corpus: %s delivered twice", msg.Name)
		}
		m.wire[w] = len(m.msgs)
		m.wireHash[sha256.Sum256([]byte(w))] = len(m.msgs)
		m.raw[string(msg.Stored)] = len(m.msgs)
		m.msgs = append(m.msgs, msg)
		m.user.Deliver(t, msg.Stored)
	}
}

// serverHas returns the indexes of the delivered messages the server's Maildir holds
// now. It reads new/ before cur/, so a message Dovecot moves from new/ to cur/ during the
// scan is seen at least once.
func (m *mailbox) serverHas(t testing.TB) map[int]bool {
	t.Helper()
	has := map[int]bool{}
	for _, sub := range []string{"new", "cur"} {
		dir := filepath.Join(m.user.Maildir, sub)
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatalf("server maildir: %v", err)
		}
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if errors.Is(err, fs.ErrNotExist) {
				continue // expunged or renamed while we looked
			}
			if err != nil {
				t.Fatalf("server maildir: %v", err)
			}
			i, ok := m.raw[string(b)]
			if !ok {
				t.Fatalf("server holds %s, which was never delivered", e.Name())
			}
			has[i] = true
		}
	}
	return has
}

// backupView is a backup folder read without changing anything (index.Open would
// truncate a torn last line; Parse does not).
type backupView struct {
	files map[maildir.Key][]byte // messages in new/ and cur/
	ix    *index.Index           // nil if there is no index (yet)
	tmp   []string               // names in tmp/
}

func readBackup(t testing.TB, dir string) backupView {
	t.Helper()
	v := backupView{files: map[maildir.Key][]byte{}}
	if _, err := os.Stat(filepath.Join(dir, "new")); errors.Is(err, fs.ErrNotExist) {
		return v // the run failed before creating the Maildir
	}
	md, err := maildir.Open(dir)
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	scan, err := md.Scan()
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	for k, rel := range scan {
		b, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatalf("backup: %v", err)
		}
		v.files[k] = b
	}
	ents, err := os.ReadDir(filepath.Join(dir, "tmp"))
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	for _, e := range ents {
		v.tmp = append(v.tmp, e.Name())
	}
	data, err := os.ReadFile(filepath.Join(dir, metaDir, "index"))
	if err == nil {
		if v.ix, _, err = index.Parse(data); err != nil {
			t.Fatalf("backup index unreadable: %v", err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("backup index: %v", err)
	}
	return v
}

// problems lists every way the pair (server, backup) breaks the oracle right now; an
// empty list means it holds.
func (m *mailbox) problems(t testing.TB, dir string) []string {
	t.Helper()
	onServer := m.serverHas(t)
	v := readBackup(t, dir)
	var probs []string
	// A copy damaged behind Postfach's back (by the test) while the server still has the
	// message is not the engine's doing; the next run sets it aside and restores it.
	damaged := map[maildir.Key]bool{}
	if v.ix != nil {
		for _, e := range v.ix.Entries() {
			k := maildir.Key{UIDL: e.UIDL, Gen: e.Gen}
			b, ok := v.files[k]
			if i, known := m.wireHash[e.SHA256]; ok && known && onServer[i] && sha256.Sum256(b) != e.SHA256 {
				damaged[k] = true
			}
		}
	}
	// Backup files: each is exactly one delivered message, once per UIDL and content.
	inBackup := map[int]maildir.Key{}
	uidls := map[string]int{}
	for k, b := range v.files {
		if damaged[k] {
			continue
		}
		uidls[k.UIDL]++
		i, ok := m.wire[string(b)]
		if !ok {
			probs = append(probs, fmt.Sprintf("backup file %s/%d (%d bytes) is not the wire form of any delivered message (partial or foreign)", k.UIDL, k.Gen, len(b)))
			continue
		}
		if prev, dup := inBackup[i]; dup {
			probs = append(probs, fmt.Sprintf("%s stored twice (UIDL %s and %s)", m.msgs[i].Name, prev.UIDL, k.UIDL))
		}
		inBackup[i] = k
	}
	for u, n := range uidls {
		if n > 1 {
			probs = append(probs, fmt.Sprintf("UIDL %s has %d files", u, n))
		}
	}
	// Index: each entry names a file with the recorded size and hash — except a copy
	// removed or damaged behind Postfach's back while the server still has the message,
	// which the next run restores (checkSettled asserts that it did).
	indexed := map[maildir.Key]bool{}
	if v.ix != nil {
		for _, e := range v.ix.Entries() {
			k := maildir.Key{UIDL: e.UIDL, Gen: e.Gen}
			b, ok := v.files[k]
			i, known := m.wireHash[e.SHA256]
			switch {
			case ok && int64(len(b)) == e.Size && sha256.Sum256(b) == e.SHA256:
				indexed[k] = true
			case known && onServer[i]:
			case !ok:
				probs = append(probs, fmt.Sprintf("index names %s/%d but no file exists", e.UIDL, e.Gen))
			default:
				probs = append(probs, fmt.Sprintf("index hash of %s/%d does not match its file", e.UIDL, e.Gen))
			}
		}
	}
	// No loss.
	for i, msg := range m.msgs {
		if onServer[i] {
			continue
		}
		k, ok := inBackup[i]
		if !ok {
			probs = append(probs, fmt.Sprintf("LOST: %s is neither on the server nor in the backup", msg.Name))
		} else if !indexed[k] {
			probs = append(probs, fmt.Sprintf("%s left the server but its backup copy is not in the index", msg.Name))
		}
	}
	sort.Strings(probs)
	return probs
}

// checkNoLoss asserts the oracle that must hold at every instant, right after a SIGKILL
// included. A violation is re-checked for a moment before failing: Dovecot renames files
// while a session it has not yet noticed is dead winds down, and a directory scan racing
// with a rename can miss a file.
func (m *mailbox) checkNoLoss(t testing.TB, dir string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		probs := m.problems(t, dir)
		if len(probs) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("oracle violated:\n  %s", strings.Join(probs, "\n  "))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkSettled asserts what must hold after a run that returned without error: the
// oracle, nothing in tmp/, Verify healthy, and every delivered message in the backup
// exactly once. wantOnServer is how many messages the server should still hold (-1: do
// not check).
func (m *mailbox) checkSettled(t testing.TB, acct accounts.Account, opts *Options, wantOnServer int) {
	t.Helper()
	dir := acct.Backup.Dir
	m.checkNoLoss(t, dir)
	v := readBackup(t, dir)
	if len(v.tmp) != 0 {
		t.Fatalf("tmp/ not empty after a finished run: %v", v.tmp)
	}
	if len(v.files) != len(m.msgs) {
		t.Fatalf("backup holds %d messages, want all %d delivered", len(v.files), len(m.msgs))
	}
	rep, err := Verify(context.Background(), acct, opts)
	if err != nil || !rep.Healthy() || rep.Checked != len(m.msgs) {
		t.Fatalf("verify: %v %+v", err, rep)
	}
	if wantOnServer >= 0 {
		if n := len(m.serverHas(t)); n != wantOnServer {
			t.Fatalf("server holds %d messages, want %d", n, wantOnServer)
		}
	}
}

// storedSet returns the backup's message contents, sorted, to compare two backups.
func storedSet(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	for _, b := range readBackup(t, dir).files {
		out = append(out, string(b))
	}
	sort.Strings(out)
	return out
}

// smallEdgeCases returns the fidelity corpus without its multi-megabyte message and
// without messages whose wire form repeats another's, so the oracle can tell all apart.
func smallEdgeCases() []dovecottest.Message {
	var out []dovecottest.Message
	seen := map[string]bool{}
	for _, m := range dovecottest.EdgeCases() {
		w := string(dovecottest.WireForm(m.Stored))
		if len(m.Stored) > 200<<10 || seen[w] {
			continue
		}
		seen[w] = true
		out = append(out, m)
	}
	return out
}

// tagged returns Ordinary messages made unique across a whole test by a header naming
// tag, so that mailboxes filled over many rounds never hold two equal messages.
func tagged(tag string, n int, seed int64) []dovecottest.Message {
	msgs := dovecottest.Ordinary(n, seed)
	for i := range msgs {
		msgs[i].Name = fmt.Sprintf("%s-%d", tag, i)
		msgs[i].Stored = append([]byte("X-Postfach-Test: "+msgs[i].Name+"\r\n"), msgs[i].Stored...)
	}
	return msgs
}

// largeTagged returns n large messages of about size bytes, unique by tag.
func largeTagged(tag string, n, size int) []dovecottest.Message {
	out := make([]dovecottest.Message, n)
	for i := range out {
		m := dovecottest.Large(size + i)
		m.Name = fmt.Sprintf("%s-large-%d", tag, i)
		m.Stored = append([]byte("X-Postfach-Test: "+m.Name+"\n"), m.Stored...)
		out[i] = m
	}
	return out
}

var userSeq atomic.Int64

// readyUsers adds n users to srv and returns once Dovecot accepts a login for each (the
// fixture may take a moment to learn about a user; probing here keeps that race out of
// the tests). Logins are probed a few at a time.
func readyUsers(t testing.TB, srv *dovecottest.Server, n int) []*dovecottest.User {
	t.Helper()
	users := make([]*dovecottest.User, n)
	for i := range users {
		name := fmt.Sprintf("f%d-%d", os.Getpid()%1000, userSeq.Add(1))
		users[i] = srv.AddUser(t, name, "pw-"+name, 0)
	}
	errs := make([]error, n)
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = loginWorks(srv, u)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return users
}

// waitLogin fails the test unless u can log in within 10 s.
func waitLogin(t testing.TB, srv *dovecottest.Server, u *dovecottest.User) {
	t.Helper()
	if err := loginWorks(srv, u); err != nil {
		t.Fatal(err)
	}
}

// loginWorks retries a POP3 login until Dovecot accepts it (at most 10 s).
func loginWorks(srv *dovecottest.Server, u *dovecottest.User) error {
	acct := accounts.Account{Protocol: accounts.POP3, Host: srv.Host, Port: srv.POP3SPort, Security: accounts.TLS, Username: u.Name}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := connect.POP3(context.Background(), acct, u.Password, &connect.Options{Roots: srv.CertPool, Timeout: 5 * time.Second})
		if err == nil {
			c.Quit(context.Background())
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("user %s cannot log in: %w", u.Name, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// faultAccount is a POP3 account (implicit TLS) for u, backing up into dir.
func faultAccount(t testing.TB, srv *dovecottest.Server, u *dovecottest.User, dir string, ret accounts.Retention) accounts.Account {
	t.Helper()
	a := accounts.Account{
		Name: "Fault " + u.Name, Email: u.Name + "@example.org", Protocol: accounts.POP3,
		Host: srv.Host, Port: srv.POP3SPort, Security: accounts.TLS, Username: u.Name,
		Backup: &accounts.BackupPolicy{Dir: dir, Schedule: accounts.Schedule{Kind: accounts.Off}, Retention: ret},
	}
	a.Normalize()
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	return a
}

// faultConcurrency is how many fault cases run at once. They mostly wait for child
// processes, Dovecot and fsync, so more than GOMAXPROCS (what t.Parallel allows by
// default) pays off even on two cores.
const faultConcurrency = 6

// forEachConcurrently calls fn(0..n-1), faultConcurrency at a time, and returns when all
// are done. fn may call t.Run.
func forEachConcurrently(n int, fn func(i int)) {
	sem := make(chan struct{}, faultConcurrency)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			fn(i)
		}()
	}
	wg.Wait()
}
