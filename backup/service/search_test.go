package service

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/backup"
	"github.com/postfach/postfach/backup/search"
	"github.com/postfach/postfach/internal/testkit/mailgen"
)

// searchService returns a service with one POP3 account whose folder holds n generated
// messages and the marker of a backup (as a run leaves it).
func searchService(t *testing.T, n int) (*Service, accounts.Account) {
	t.Helper()
	s := newService(t)
	dir := t.TempDir()
	if _, err := mailgen.New(7).Fill(dir, 0, n); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, ".postfach"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".postfach", "store.json"), []byte(`{"format":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := s.Add(context.Background(), pop3Account("Home", dir), "pw")
	if err != nil {
		t.Fatal(err)
	}
	return s, a
}

func TestSearchServiceJobs(t *testing.T) {
	s, a := searchService(t, 40)
	ctx := context.Background()

	// The first search fills the missing index, with progress.
	var last search.Progress
	res, err := s.Search(ctx, a.ID, search.Query{Limit: -1}, func(p search.Progress) { last = p })
	if err != nil || res.Total != 40 || last.Done != 40 {
		t.Fatalf("first search: total %d, progress %+v, %v", res.Total, last, err)
	}
	st, err := s.Index(ctx, a.ID, false, nil)
	if err != nil || st.Added != 0 || st.Total != 40 {
		t.Fatalf("index: %+v %v", st, err)
	}
	if st, err = s.Index(ctx, a.ID, true, nil); err != nil || st.Added != 40 {
		t.Fatalf("rebuild: %+v %v", st, err)
	}

	// Reading and copying a message of the backup; nothing outside it.
	h := res.Hits[0]
	m, err := s.Message(ctx, a.ID, h.File, true)
	if err != nil || m.Subject != h.Subject {
		t.Fatalf("message: %v %+v", err, m)
	}
	var buf bytes.Buffer
	if _, err := s.CopyMessage(ctx, a.ID, h.File, &buf); err != nil {
		t.Fatal(err)
	}
	if want, _ := os.ReadFile(h.File); !bytes.Equal(buf.Bytes(), want) {
		t.Error("CopyMessage changed the bytes")
	}
	outside := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(outside, []byte("x"), 0o600)
	for _, f := range []string{outside, filepath.Join(a.Backup.Dir, "..", "secret")} {
		if _, err := s.Message(ctx, a.ID, f, false); err == nil {
			t.Errorf("read %s outside the backup", f)
		}
	}

	// Exports take every hit, whatever the page.
	dir := t.TempDir()
	est, err := s.Export(ctx, a.ID, filepath.Join(dir, "eml"), FormatEML, search.Query{Limit: 3}, nil)
	if err != nil || est.Messages != 40 {
		t.Fatalf("eml: %+v %v", est, err)
	}
	mbox := filepath.Join(dir, "sub", "all.mbox")
	if est, err = s.Export(ctx, a.ID, mbox, FormatMbox, search.Query{}, nil); err != nil || est.Messages != 40 {
		t.Fatalf("mbox: %+v %v", est, err)
	}
	if _, err = s.Export(ctx, a.ID, mbox, FormatMbox, search.Query{}, nil); err == nil {
		t.Error("an mbox export overwrote a file")
	}
	buf.Reset()
	if est, err = s.ExportMboxTo(ctx, a.ID, &buf, search.Query{}, nil); err != nil || est.Messages != 40 {
		t.Fatalf("mbox to a writer: %+v %v", est, err)
	}
	if _, err := s.Export(ctx, a.ID, dir, "pst", search.Query{}, nil); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestSearchServiceRefuses(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	never, err := s.Add(ctx, pop3Account("Never", filepath.Join(t.TempDir(), "none")), "pw")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Search(ctx, never.ID, search.Query{}, nil); !errors.Is(err, backup.ErrFolderMissing) {
		t.Errorf("no backup yet: %v", err)
	}
	if _, err := s.Index(ctx, "nobody", false, nil); !errors.Is(err, accounts.ErrNotFound) {
		t.Errorf("no account: %v", err)
	}
}

// TestIndexAfterBackup: an existing index follows the folder; a missing one is not
// created; a failing one becomes a note, never an error.
func TestIndexAfterBackup(t *testing.T) {
	s, a := searchService(t, 10)
	ctx := context.Background()
	root := a.Backup.Dir
	if note := s.updateIndexAfterBackup(ctx, root); note != "" {
		t.Errorf("note without an index: %q", note)
	}
	if _, err := os.Stat(filepath.Join(root, ".postfach", search.FileName)); err == nil {
		t.Fatal("an index was created after a backup")
	}
	if _, err := s.Index(ctx, a.ID, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := mailgen.New(8).Fill(root, 10, 5); err != nil {
		t.Fatal(err)
	}
	if note := s.updateIndexAfterBackup(ctx, root); note != "" {
		t.Errorf("note: %q", note)
	}
	if res, err := s.Search(ctx, a.ID, search.Query{}, nil); err != nil || res.Total != 15 {
		t.Errorf("after the update: %d, %v", res.Total, err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := mailgen.New(9).Fill(root, 15, 1); err != nil {
		t.Fatal(err)
	}
	if note := s.updateIndexAfterBackup(cancelled, root); note == "" {
		t.Error("a failed update left no note")
	}
}
