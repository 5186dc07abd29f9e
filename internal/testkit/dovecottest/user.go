package dovecottest

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// User is a mail account on a Server, created by AddUser.
type User struct {
	// Name is the login name (also the userdb key and the directory name under Dir/home).
	Name string
	// Password is the plaintext password (stored as {PLAIN} in the passwd-file).
	Password string
	// Home is the user's home directory.
	Home string
	// Maildir is the INBOX (mail_location = maildir:~/Maildir); other folders are Maildir++
	// subdirectories such as .Sent.
	Maildir string
	// QuotaMB is the per-user STORAGE limit in MiB; 0 means no limit.
	QuotaMB int

	s       *Server
	mu      sync.Mutex
	lastSec int64
	seq     int
}

// AddUser appends a passwd-file entry and creates the user's Maildir. It may be called
// after Start: Dovecot re-reads the passwd-file when its size or mtime changes. quotaMB
// becomes the user's quota rule (userdb_quota_rule=*:storage=NM); 0 means no limit.
func (s *Server) AddUser(t testing.TB, name, password string, quotaMB int) *User {
	t.Helper()
	return s.AddUserFields(t, name, password, quotaMB)
}

// AddUserFields is AddUser with extra userdb fields, which override Dovecot settings for
// this user only (e.g. "userdb_pop3_uidl_format=%%u" for a server that reuses UIDLs; the passwd-file expands a single %).
func (s *Server) AddUserFields(t testing.TB, name, password string, quotaMB int, fields ...string) *User {
	t.Helper()
	if name == "" || strings.ContainsAny(name, ":/\n\r\t \x00") || name == "." || name == ".." {
		t.Fatalf("dovecottest: AddUser: unusable user name %q", name)
	}
	// ':' separates passwd-file fields and there is no escaping.
	if strings.ContainsAny(password, ":\n\r\x00") {
		t.Fatalf("dovecottest: AddUser: password %q must not contain ':', CR, LF or NUL", password)
	}
	if quotaMB < 0 {
		t.Fatalf("dovecottest: AddUser: negative quota %d", quotaMB)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[name]; ok {
		t.Fatalf("dovecottest: AddUser: user %q exists", name)
	}
	u := &User{
		Name:     name,
		Password: password,
		Home:     filepath.Join(s.Dir, "home", name),
		QuotaMB:  quotaMB,
		s:        s,
	}
	u.Maildir = filepath.Join(u.Home, "Maildir")
	// Home and Maildir are created here rather than left to Dovecot so that Deliver works
	// before the user has ever logged in.
	for _, d := range []string{u.Home, u.Maildir, filepath.Join(u.Maildir, "cur"), filepath.Join(u.Maildir, "new"), filepath.Join(u.Maildir, "tmp")} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatalf("dovecottest: AddUser: %v", err)
		}
		if err := s.chown(d); err != nil {
			t.Fatalf("dovecottest: AddUser: %v", err)
		}
	}
	var extra []string
	if quotaMB > 0 {
		extra = append(extra, fmt.Sprintf("userdb_quota_rule=*:storage=%dM", quotaMB))
	}
	for _, f := range fields {
		if strings.ContainsAny(f, ": \n\r\x00") {
			t.Fatalf("dovecottest: AddUserFields: unusable field %q", f)
		}
		extra = append(extra, f)
	}
	line := fmt.Sprintf("%s:{PLAIN}%s:%d:%d::%s::%s\n", name, password, s.mailUID, s.mailGID, s.hostPath(u.Home), strings.Join(extra, " "))
	// Written to a temporary name and renamed, so a lookup never sees a partial file.
	path := filepath.Join(s.passwdDir, name)
	if err := os.WriteFile(path+".tmp", []byte(line), 0o644); err != nil {
		t.Fatalf("dovecottest: AddUser: %v", err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatalf("dovecottest: AddUser: %v", err)
	}
	s.users[name] = u
	return u
}

// chown hands a file or directory to the mail user; only needed (and only possible) as
// root, because rootless Dovecot accesses mail as the caller anyway.
func (s *Server) chown(path string) error {
	if !s.root {
		return nil
	}
	if s.remote != nil {
		return s.remote.call("chown", []string{s.hostPath(path)}, nil)
	}
	return os.Chown(path, s.mailUID, s.mailGID)
}

// Deliver drops each message into the user's Maildir/new exactly as given (no "From "
// line, no Return-Path, no CRLF conversion), the way a delivery agent writing raw files
// would. Dovecot picks the files up on the next access and assigns UIDs in the order of
// msgs, because the file names sort (by Dovecot's time-then-name rule) in that order.
func (u *User) Deliver(t testing.TB, msgs ...[]byte) {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	host, _ := os.Hostname()
	host = strings.NewReplacer("/", "_", ":", "_").Replace(host)
	if host == "" {
		host = "localhost"
	}
	for _, m := range msgs {
		// Dovecot orders new files by the leading seconds, then by the M (microseconds)
		// field. A per-user sequence number in the M field keeps delivery order even when
		// many messages share one second; seconds never go backwards.
		sec := time.Now().Unix()
		if sec < u.lastSec {
			sec = u.lastSec
		}
		u.lastSec = sec
		u.seq++
		name := fmt.Sprintf("%d.M%dP%dQ%d.%s", sec, u.seq, os.Getpid(), u.seq, host)
		tmp := filepath.Join(u.Maildir, "tmp", name)
		// Written in tmp/ and renamed, as Maildir requires, so Dovecot never indexes a
		// half-written file.
		if err := os.WriteFile(tmp, m, 0o600); err != nil {
			t.Fatalf("dovecottest: Deliver: %v", err)
		}
		if err := u.s.chown(tmp); err != nil {
			t.Fatalf("dovecottest: Deliver: %v", err)
		}
		if err := os.Rename(tmp, filepath.Join(u.Maildir, "new", name)); err != nil {
			t.Fatalf("dovecottest: Deliver: %v", err)
		}
	}
}

// ExpungeAllAndResetUIDs removes every message from the INBOX behind Dovecot's back and
// deletes its UID list and indexes, so that the next access starts a new UIDVALIDITY and
// numbers messages from 1 again — what a server migration or a rebuilt mail store does,
// and how a server with UID-only UIDLs comes to reuse them.
func (u *User) ExpungeAllAndResetUIDs(t testing.TB) {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, sub := range []string{"new", "cur"} {
		ents, err := os.ReadDir(filepath.Join(u.Maildir, sub))
		if err != nil {
			t.Fatalf("dovecottest: ExpungeAllAndResetUIDs: %v", err)
		}
		for _, e := range ents {
			if err := os.Remove(filepath.Join(u.Maildir, sub, e.Name())); err != nil {
				t.Fatalf("dovecottest: ExpungeAllAndResetUIDs: %v", err)
			}
		}
	}
	ents, err := os.ReadDir(u.Maildir)
	if err != nil {
		t.Fatalf("dovecottest: ExpungeAllAndResetUIDs: %v", err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "dovecot-uidlist") || strings.HasPrefix(e.Name(), "dovecot.index") {
			if err := os.Remove(filepath.Join(u.Maildir, e.Name())); err != nil {
				t.Fatalf("dovecottest: ExpungeAllAndResetUIDs: %v", err)
			}
		}
	}
}

// QuotaStorageKiB returns the STORAGE usage and limit in KiB as Dovecot reports them (the
// numbers IMAP GETQUOTAROOT returns), from `doveadm quota get`. limit is -1 when the user
// has no limit.
func (u *User) QuotaStorageKiB(t testing.TB) (usage, limit int64) {
	t.Helper()
	out := u.s.Doveadm(t, "-f", "tab", "quota", "get", "-u", u.Name)
	// Columns: Quota name, Type, Value, Limit, %.
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 4 || f[1] != "STORAGE" {
			continue
		}
		usage, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			t.Fatalf("dovecottest: quota get: bad usage in %q", line)
		}
		if f[3] == "-" {
			return usage, -1
		}
		limit, err := strconv.ParseInt(f[3], 10, 64)
		if err != nil {
			t.Fatalf("dovecottest: quota get: bad limit in %q", line)
		}
		return usage, limit
	}
	t.Fatalf("dovecottest: quota get -u %s: no STORAGE line in:\n%s", u.Name, out)
	return 0, 0
}

// MessageCount returns the number of messages in the user's INBOX as Dovecot sees it
// (after syncing the Maildir), e.g. to check what a POP3 DELE + QUIT really removed.
func (u *User) MessageCount(t testing.TB) int {
	t.Helper()
	return u.MailboxMessages(t, "INBOX")
}

// MailboxMessages is MessageCount for any mailbox ("Sent", "Trash", ...).
func (u *User) MailboxMessages(t testing.TB, mailbox string) int {
	t.Helper()
	out := u.s.Doveadm(t, "-f", "tab", "mailbox", "status", "-u", u.Name, "messages", mailbox)
	// Output: a header line ("mailbox", "messages") and one value line, tab-separated.
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	col := -1
	if len(lines) == 2 {
		col = slices.Index(strings.Split(lines[0], "\t"), "messages")
	}
	vals := strings.Split(lines[len(lines)-1], "\t")
	if col < 0 || col >= len(vals) {
		t.Fatalf("dovecottest: mailbox status -u %s %s: unexpected output %q", u.Name, mailbox, out)
	}
	n, err := strconv.Atoi(vals[col])
	if err != nil {
		t.Fatalf("dovecottest: mailbox status: %v", err)
	}
	return n
}
