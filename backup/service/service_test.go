package service

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/filelock"
	"github.com/postfach/postfach/accounts/secrets"
	"github.com/postfach/postfach/backup"
)

func pop3Account(name, dir string) accounts.Account {
	return accounts.Account{Name: name, Email: "anna@example.org", Protocol: accounts.POP3,
		Host: "pop.example.org", Username: "anna",
		Backup: &accounts.BackupPolicy{Dir: dir, Schedule: accounts.DefaultSchedule(), Retention: accounts.DefaultRetention()}}
}

func newService(t *testing.T) *Service {
	t.Helper()
	keyring.MockInit()
	return New(accounts.OpenStore(t.TempDir()), nil)
}

// TestAddRollback checks the one rollback rule: password first, and deleted again when
// the config refuses the account; a keyring failure leaves the config untouched.
func TestAddRollback(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	if _, err := s.Add(ctx, pop3Account("Home", t.TempDir()), "pw"); err != nil {
		t.Fatal(err)
	}
	dupID := accounts.NewID()
	s.newID = func() string { return dupID }
	if _, err := s.Add(ctx, pop3Account("home", t.TempDir()), "pw2"); !errors.Is(err, accounts.ErrDuplicate) {
		t.Fatalf("duplicate: %v", err)
	}
	if _, err := secrets.Get(ctx, dupID); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("the refused account's password stayed in the keyring: %v", err)
	}
	s.newID = accounts.NewID
	// A caller's ID is never used: a copy of a saved account adds a new one and leaves
	// the first one's password alone.
	first, err := s.Get("Home")
	if err != nil {
		t.Fatal(err)
	}
	copied := first
	copied.Name = "Copy"
	added, err := s.Add(ctx, copied, "pw3")
	if err != nil || added.ID == first.ID {
		t.Fatalf("copy: %+v %v", added, err)
	}
	if pw, err := secrets.Get(ctx, first.ID); pw != "pw" || err != nil {
		t.Errorf("the first account's password: %q %v", pw, err)
	}

	keyring.MockInitWithError(errors.New("locked"))
	if _, err := s.Add(ctx, pop3Account("Work", t.TempDir()), "pw"); !errors.Is(err, secrets.ErrUnavailable) {
		t.Fatalf("keyring down: %v", err)
	}
	if all, _ := s.List(); len(all) != 2 {
		t.Errorf("accounts after a keyring failure: %+v", all)
	}
}

// TestRemoveStopsJobs checks that Remove cancels the account's running job and returns
// only after it has ended, and that no job starts meanwhile.
func TestRemoveStopsJobs(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	a, err := s.Add(ctx, pop3Account("Home", t.TempDir()), "pw")
	if err != nil {
		t.Fatal(err)
	}
	jobCtx, end, err := s.begin(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ended atomic.Bool
	go func() {
		<-jobCtx.Done()
		time.Sleep(50 * time.Millisecond) // a backup finishing its safe step
		ended.Store(true)
		end()
	}()
	if _, err := s.Remove(ctx, a.ID, RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	if !ended.Load() {
		t.Fatal("Remove returned while the job was still running")
	}

	release, err := s.stopJobs(ctx, "other")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.begin(ctx, "other"); !errors.Is(err, accounts.ErrNotFound) {
		t.Errorf("a job started during removal: %v", err)
	}
	release()
	if _, end, err := s.begin(ctx, "other"); err != nil {
		t.Errorf("after removal: %v", err)
	} else {
		end()
	}
}

// TestRemoveSharedFolder checks that a folder another account backs up into is not
// deleted, and that the refusal changes nothing.
func TestRemoveSharedFolder(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	dir := t.TempDir()
	a, err := s.Add(ctx, pop3Account("Home", dir), "pw")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(ctx, pop3Account("Second", dir+string(filepath.Separator)), "pw"); err != nil {
		t.Fatal(err)
	}
	_, err = s.Remove(ctx, a.ID, RemoveOptions{DeleteBackup: true})
	if !errors.Is(err, accounts.ErrFolderShared) || backup.KindOf(err) != backup.KindFolderShared {
		t.Fatalf("shared folder: %v", err)
	}
	if _, err := s.Get(a.ID); err != nil {
		t.Errorf("the refusal removed the account: %v", err)
	}
	if _, err := secrets.Get(ctx, a.ID); err != nil {
		t.Errorf("the refusal removed the password: %v", err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("the refusal removed the folder: %v", err)
	}
	// Keeping the folder is fine, and so is the password when asked.
	r, err := s.Remove(ctx, a.ID, RemoveOptions{KeepPassword: true})
	if err != nil || r.Account.ID != a.ID || r.PasswordErr != nil || r.HistoryErr != nil {
		t.Fatalf("remove: %+v %v", r, err)
	}
	if _, err := secrets.Get(ctx, a.ID); err != nil {
		t.Errorf("KeepPassword deleted the password: %v", err)
	}
}

// TestRemoveBusyFolder checks that a backup folder a run elsewhere holds (another
// process: the lock is what it sees) is not deleted, and that the refusal changes
// nothing: the account and its password stay, so the user can try again.
func TestRemoveBusyFolder(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, ".postfach"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".postfach", "store.json"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	lock, err := filelock.TryLock(filepath.Join(dir, ".postfach", "lock"))
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock()
	a, err := s.Add(ctx, pop3Account("Home", dir), "pw")
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Remove(ctx, a.ID, RemoveOptions{DeleteBackup: true})
	if !errors.Is(err, backup.ErrBusy) || backup.KindOf(err) != backup.KindBusy {
		t.Fatalf("busy folder: %v", err)
	}
	if _, err := s.Get(a.ID); err != nil {
		t.Errorf("the refusal removed the account: %v", err)
	}
	if _, err := secrets.Get(ctx, a.ID); err != nil {
		t.Errorf("the refusal removed the password: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".postfach", "store.json")); err != nil {
		t.Errorf("the refusal touched the folder: %v", err)
	}
}

// TestBackupFailureHasKind checks that a run that cannot start still returns a result
// with the failure's kind, for the history view and the CLI's JSON.
func TestBackupFailureHasKind(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	a, err := s.Add(ctx, pop3Account("Home", t.TempDir()), "pw")
	if err != nil {
		t.Fatal(err)
	}
	if err := secrets.Delete(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	res, err := s.Backup(ctx, a.ID, nil)
	if !errors.Is(err, secrets.ErrNotFound) || res == nil || res.Kind != backup.KindNoPassword || res.Dir != a.Backup.Dir {
		t.Fatalf("backup without password: %+v %v", res, err)
	}
}

// TestTestNeedsOnlyConnection checks that a connection test validates the connection
// settings alone: an account being set up has no name or backup folder yet, and its
// test fails at the network, not at validation.
func TestTestNeedsOnlyConnection(t *testing.T) {
	s := newService(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	a := accounts.Account{Protocol: accounts.POP3, Host: "127.0.0.1", Port: port, Username: "anna"}
	if _, err := s.Test(context.Background(), a, "pw"); backup.KindOf(err) != backup.KindUnreachable {
		t.Errorf("closed port: %v (kind %q)", err, backup.KindOf(err))
	}
	a.Host = ""
	if _, err := s.Test(context.Background(), a, "pw"); err == nil || backup.KindOf(err) == backup.KindUnreachable {
		t.Errorf("no host: %v", err)
	}
}

// TestDefaultBackupDir checks the folder name made from the address, below the root that
// accounts.DefaultBackupRoot finds for the system (home, or Documents on Windows: tested
// in package accounts).
func TestDefaultBackupDir(t *testing.T) {
	tests := []struct{ email, name string }{
		{" Anna@Example.org ", "anna@example.org"},
		{"jürgen.groß@example.de", "jürgen.groß@example.de"},
		{"a/b\\c:d@example.org", "a_b_c_d@example.org"},
		{"tab\there@example.org", "tab_here@example.org"},
	}
	for _, tt := range tests {
		want := filepath.Join(accounts.DefaultBackupRoot(), tt.name)
		if got := DefaultBackupDir(tt.email); got != want {
			t.Errorf("DefaultBackupDir(%q) = %q, want %q", tt.email, got, want)
		}
	}
}
