package maildir_test

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postfach/postfach/backup/maildir"
)

// Stored agrees with Scan on which files are Postfach's, keyed by base name.
func TestStoredMatchesScan(t *testing.T) {
	d, err := maildir.Create(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1700000000, 0)
	for i, name := range []string{
		maildir.FileName(maildir.Key{UIDL: "a"}, now),
		maildir.FileName(maildir.Key{UIDL: "b/c", Gen: 2}, now) + ":2,S",
		maildir.FileName(maildir.Key{UIDL: "d"}, now) + "!2,RS",
		"1700000000.M1P2.other-program",
		"notes.txt",
	} {
		sub := maildir.New
		if i%2 == 1 {
			sub = maildir.Cur
		}
		if err := os.WriteFile(filepath.Join(d.Path(), sub, name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(d.Path(), maildir.New, maildir.FileName(maildir.Key{UIDL: "dir"}, now)), 0o700); err != nil {
		t.Fatal(err)
	}
	keys, err := d.Scan()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, rel := range keys {
		base := filepath.Base(rel)
		if i := strings.IndexAny(base, ":!"); i >= 0 {
			base = base[:i]
		}
		want[base] = rel
	}
	got, err := d.Stored()
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 3 || !maps.Equal(got, want) {
		t.Fatalf("Stored() = %v, want %v", got, want)
	}
}
