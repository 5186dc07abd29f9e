package index_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/postfach/postfach/backup/index"
)

func proven(e index.Entry, octets int64, head string) index.Entry {
	e.Octets, e.Head = octets, sum(head)
	return e
}

// TestFormat2Records covers what format 2 adds: proofs on S and P, vanished UIDLs, and
// earlier generations kept as retired entries — across reopen and compaction.
func TestFormat2Records(t *testing.T) {
	ix, path := newIndex(t)
	a := proven(entry("a", 0, 100), 4711, "head a")
	b := entry("b", 0, 101) // unproven (rebuilt or adopted)
	c0 := proven(entry("c", 0, 102), 10, "head c0")
	c1 := proven(entry("c", 1, 103), 11, "head c1")
	if err := ix.Append(save(a), save(b), save(c0),
		index.Record{Op: 'V', Entry: a, At: at(200)},
		index.Record{Op: 'P', Entry: proven(b, 99, "head b")},
		save(c1)); err != nil {
		t.Fatal(err)
	}
	wantA := a
	wantA.Gone = at(200)
	wantB := proven(b, 99, "head b")
	check := func(ix *index.Index) {
		t.Helper()
		checkEntries(t, ix, []index.Entry{wantA, wantB, c1})
		if got := ix.Retired(); !reflect.DeepEqual(got, []index.Entry{c0}) {
			t.Errorf("Retired() = %s, want %s", dump(got), dump([]index.Entry{c0}))
		}
		if !ix.Get("b").Proven() || ix.Get("a").OnServer() || !ix.Get("c").OnServer() {
			t.Errorf("Proven/OnServer wrong: %+v %+v", ix.Get("b"), ix.Get("a"))
		}
		if g := ix.NextGen("c"); g != 2 {
			t.Errorf("NextGen(c) = %d, want 2", g)
		}
	}
	check(ix)
	ix = reopen(t, ix, path)
	check(ix)
	// Create (what compaction and rebuilds write) keeps all of it.
	ix.Close()
	n, err := index.Create(path, append(ix.Entries(), ix.Retired()...))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	check(n)
	// L forgets the current entry of a UIDL, not its retired copies.
	if err := n.Append(index.Record{Op: 'L', Entry: c1}); err != nil {
		t.Fatal(err)
	}
	if n.Get("c") != nil || len(n.Retired()) != 1 || n.NextGen("c") != 2 {
		t.Errorf("after L: %+v, retired %d, next gen %d", n.Get("c"), len(n.Retired()), n.NextGen("c"))
	}
}

// TestFormat1IsUpgraded: a journal written by format 1 opens, its entries unproven, and
// is rewritten as format 2 so that appended records never mix formats.
func TestFormat1IsUpgraded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index")
	a := entry("a", 0, 100)
	v1 := header + "S a 0 " + a.File + " 101 " + hexSum("a") + " 100\nR a 150\nL b\n"
	if err := os.WriteFile(path, []byte(v1), 0o600); err != nil {
		t.Fatal(err)
	}
	ix, err := index.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	a.DeleteRequested = at(150)
	checkEntries(t, ix, []index.Entry{a})
	if ix.Get("a").Proven() {
		t.Error("a format 1 entry must be unproven")
	}
	data, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(data), header2) || !strings.Contains(string(data), " 100 - -\nR a 150\n") {
		t.Errorf("not rewritten as format 2:\n%s", data)
	}
}

func TestFormat2Corrupt(t *testing.T) {
	sha := hexSum("x")
	for _, tt := range []struct{ name, data string }{
		{"S with 7 fields", "S a 0 f 1 " + sha + " 5"},
		{"S with one proof field", "S a 0 f 1 " + sha + " 5 -"},
		{"S with half a proof", "S a 0 f 1 " + sha + " 5 12 -"},
		{"S with zero head", "S a 0 f 1 " + sha + " 5 12 " + strings.Repeat("0", 64)},
		{"S with negative octets", "S a 0 f 1 " + sha + " 5 -3 " + sha},
		{"P without proof", "P a - -"},
		{"P with bad head", "P a 12 zz"},
		{"P too few fields", "P a 12"},
		{"V without time", "V a"},
		{"V with bad time", "V a -1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := index.Parse([]byte(header2 + tt.data + "\n")); !errors.Is(err, index.ErrCorrupt) {
				t.Errorf("Parse = %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestAppendRefusesEmptyProof(t *testing.T) {
	ix, _ := newIndex(t)
	e := entry("a", 0, 100)
	if err := ix.Append(index.Record{Op: 'P', Entry: e}); err == nil {
		t.Error("a P record without proof was accepted")
	}
}
