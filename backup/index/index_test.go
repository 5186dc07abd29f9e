package index_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/postfach/postfach/backup/index"
)

// header is format 1's: most parsing cases are written in it, and format 1 is still read.
// header2 is what the index writes.
const (
	header  = "postfach-index 1\n"
	header2 = "postfach-index 2\n"
)

func sum(s string) [32]byte { return sha256.Sum256([]byte(s)) }

func hexSum(s string) string { h := sum(s); return fmt.Sprintf("%x", h[:]) }

func at(sec int64) time.Time { return time.Unix(sec, 0) }

func entry(uidl string, gen int, saved int64) index.Entry {
	return index.Entry{
		UIDL:   uidl,
		Gen:    gen,
		File:   fmt.Sprintf("%d.U%x_%d.postfach", saved, uidl, gen),
		Size:   int64(100 + len(uidl)),
		SHA256: sum(uidl),
		Saved:  at(saved),
	}
}

func save(e index.Entry) index.Record             { return index.Record{Op: 'S', Entry: e, At: e.Saved} }
func req(e index.Entry, t int64) index.Record     { return index.Record{Op: 'R', Entry: e, At: at(t)} }
func confirm(e index.Entry, t int64) index.Record { return index.Record{Op: 'C', Entry: e, At: at(t)} }
func undo(e index.Entry) index.Record             { return index.Record{Op: 'U', Entry: e} }
func lost(e index.Entry) index.Record             { return index.Record{Op: 'L', Entry: e} }

func newIndex(t *testing.T) (*index.Index, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "index")
	ix, err := index.OpenOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix, path
}

func reopen(t *testing.T, ix *index.Index, path string) *index.Index {
	t.Helper()
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	n, err := index.Open(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

func checkEntries(t *testing.T, ix *index.Index, want []index.Entry) {
	t.Helper()
	got := ix.Entries()
	if len(want) == 0 && len(got) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Entries() =\n%s\nwant\n%s", dump(got), dump(want))
	}
	if ix.Len() != len(want) {
		t.Errorf("Len() = %d, want %d", ix.Len(), len(want))
	}
}

func dump(es []index.Entry) string {
	var b strings.Builder
	for _, e := range es {
		fmt.Fprintf(&b, "  %s gen=%d file=%s size=%d saved=%d req=%v del=%v\n", e.UIDL, e.Gen, e.File, e.Size, e.Saved.Unix(), e.DeleteRequested, e.Deleted)
	}
	return b.String()
}

func TestRoundTrip(t *testing.T) {
	a, b, c, d := entry("a", 0, 1000), entry("b/with:odd.chars_", 0, 1001), entry("c", 2, 1002), entry(strings.Repeat("x", 70), 0, 1003)
	tests := []struct {
		name string
		recs []index.Record
		want func() []index.Entry
	}{
		{"empty", nil, func() []index.Entry { return nil }},
		{"saved", []index.Record{save(a), save(b), save(c), save(d)}, func() []index.Entry { return []index.Entry{a, b, c, d} }},
		{"delete requested", []index.Record{save(a), req(a, 2000)}, func() []index.Entry {
			a := a
			a.DeleteRequested = at(2000)
			return []index.Entry{a}
		}},
		{"delete confirmed", []index.Record{save(a), req(a, 2000), confirm(a, 2001)}, func() []index.Entry {
			a := a
			a.DeleteRequested, a.Deleted = at(2000), at(2001)
			return []index.Entry{a}
		}},
		{"delete withdrawn", []index.Record{save(a), req(a, 2000), undo(a)}, func() []index.Entry { return []index.Entry{a} }},
		{"lost", []index.Record{save(a), save(b), lost(a)}, func() []index.Entry { return []index.Entry{b} }},
		{"saved again after loss", []index.Record{save(a), lost(a), save(entry("a", 1, 3000))}, func() []index.Entry {
			return []index.Entry{entry("a", 1, 3000)}
		}},
		{"resave resets deletion state", []index.Record{save(a), req(a, 2000), confirm(a, 2001), save(entry("a", 1, 3000))}, func() []index.Entry {
			return []index.Entry{entry("a", 1, 3000)}
		}},
		{"records for unknown uidls are ignored", []index.Record{req(a, 1), confirm(b, 2), undo(c), lost(d), save(a)}, func() []index.Entry {
			return []index.Entry{a}
		}},
		{"unix epoch is a real time", []index.Record{save(entry("z", 0, 0)), req(entry("z", 0, 0), 0)}, func() []index.Entry {
			z := entry("z", 0, 0)
			z.DeleteRequested = at(0)
			return []index.Entry{z}
		}},
		{"entries sorted by saved then uidl", []index.Record{save(entry("q", 0, 5)), save(entry("p", 0, 5)), save(entry("o", 0, 4))}, func() []index.Entry {
			return []index.Entry{entry("o", 0, 4), entry("p", 0, 5), entry("q", 0, 5)}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix, path := newIndex(t)
			// One record per Append, then all at once in a second index: same result.
			for _, r := range tt.recs {
				if err := ix.Append(r); err != nil {
					t.Fatal(err)
				}
			}
			checkEntries(t, ix, tt.want())
			ix = reopen(t, ix, path)
			checkEntries(t, ix, tt.want())

			ix2, path2 := newIndex(t)
			if err := ix2.Append(tt.recs...); err != nil {
				t.Fatal(err)
			}
			ix2 = reopen(t, ix2, path2)
			checkEntries(t, ix2, tt.want())
			b1, _ := os.ReadFile(path)
			b2, _ := os.ReadFile(path2)
			if !bytes.Equal(b1, b2) {
				t.Errorf("one Append per record and one for all differ:\n%s\n%s", b1, b2)
			}
			for _, e := range tt.want() {
				if g := ix.Get(e.UIDL); g == nil || !reflect.DeepEqual(*g, e) {
					t.Errorf("Get(%q) = %+v, want %+v", e.UIDL, g, e)
				}
			}
		})
	}
}

func TestFormat(t *testing.T) {
	ix, path := newIndex(t)
	e := index.Entry{UIDL: "u1", Gen: 3, File: "f", Size: 42, SHA256: sum("m"), Saved: at(1700000000)}
	if err := ix.Append(save(e), req(e, 1700000100), confirm(e, 1700000200), undo(e), lost(e)); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := header2 +
		"S u1 3 f 42 " + hexSum("m") + " 1700000000 - -\n" +
		"R u1 1700000100\n" +
		"C u1 1700000200\n" +
		"U u1\n" +
		"L u1\n"
	if string(got) != want {
		t.Errorf("journal =\n%s\nwant\n%s", got, want)
	}
}

func TestGetMissing(t *testing.T) {
	ix, _ := newIndex(t)
	if ix.Get("nope") != nil || ix.Len() != 0 {
		t.Error("empty index has entries")
	}
}

func TestNextGen(t *testing.T) {
	e0, e2 := entry("u", 0, 10), entry("u", 2, 20)
	tests := []struct {
		name string
		recs []index.Record
		want int
	}{
		{"never seen", nil, 0},
		{"other uidl only", []index.Record{save(entry("v", 4, 1))}, 0},
		{"saved", []index.Record{save(e0)}, 1},
		{"saved gen 2", []index.Record{save(e2)}, 3},
		{"after L the lost copy's generation stays taken", []index.Record{save(e0), lost(e0)}, 1},
		{"after L of gen 2", []index.Record{save(e2), lost(e2)}, 3},
		{"after deletion", []index.Record{save(e0), req(e0, 30), confirm(e0, 31)}, 1},
		{"after deletion request only", []index.Record{save(e0), req(e0, 30)}, 1},
		{"highest generation wins", []index.Record{save(e2), save(e0)}, 3},
		{"highest generation wins after loss", []index.Record{save(e2), lost(e2), save(e0)}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix, path := newIndex(t)
			if err := ix.Append(tt.recs...); err != nil {
				t.Fatal(err)
			}
			if got := ix.NextGen("u"); got != tt.want {
				t.Errorf("NextGen = %d, want %d", got, tt.want)
			}
			ix = reopen(t, ix, path)
			if got := ix.NextGen("u"); got != tt.want {
				t.Errorf("after reopen NextGen = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestTornLastLine(t *testing.T) {
	a, b := entry("a", 0, 100), entry("b", 0, 101)
	good := header2 + "S a 0 " + a.File + " 101 " + hexSum("a") + " 100 - -\n" +
		"S b 0 " + b.File + " 101 " + hexSum("b") + " 101 - -\n"
	tests := []struct {
		name string
		torn string
	}{
		{"no torn line", ""},
		{"torn R", "R a 20"},
		{"torn S", "S b 0 " + b.File + " 10"},
		{"single byte", "L"},
		{"garbage", "\x00\xff\xfe"},
		{"would be invalid if complete", "X what ever"},
		{"record missing only its newline", "L a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "index")
			if err := os.WriteFile(path, []byte(good+tt.torn), 0o600); err != nil {
				t.Fatal(err)
			}
			_, n, err := index.Parse([]byte(good + tt.torn))
			if err != nil || n != len(good) {
				t.Errorf("Parse = %d, %v; want %d complete bytes", n, err, len(good))
			}
			ix, err := index.Open(path)
			if err != nil {
				t.Fatalf("Open = %v", err)
			}
			defer ix.Close()
			checkEntries(t, ix, []index.Entry{a, b})
			if data, _ := os.ReadFile(path); string(data) != good {
				t.Errorf("file after Open = %q, want the torn line dropped", data)
			}
			// The next record starts on its own line, not glued to the torn one.
			if err := ix.Append(lost(a)); err != nil {
				t.Fatal(err)
			}
			ix = reopen(t, ix, path)
			checkEntries(t, ix, []index.Entry{b})
		})
	}
}

func TestMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index")
	_, err := index.Open(path)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(missing) = %v, want fs.ErrNotExist", err)
	}
	if errors.Is(err, index.ErrCorrupt) {
		t.Errorf("Open(missing) = %v, must not be ErrCorrupt", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Error("Open created the file")
	}
	ix, err := index.OpenOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if data, _ := os.ReadFile(path); string(data) != header2 {
		t.Errorf("new index = %q, want just the header", data)
	}
	if m := fileMode(t, path); m != 0 && m != 0o600 {
		t.Errorf("index mode %v, want 0600", m)
	}
}

// corruptJournals are journals Parse must reject; they seed FuzzParse too.
func corruptJournals() []struct{ name, data string } {
	sha := hexSum("x")
	s := func(rest string) string { return header + rest + "\n" }
	return []struct{ name, data string }{
		{"empty", ""},
		{"header without newline", "postfach-index 1"},
		{"only newline", "\n"},
		{"unknown header", "garbage\n"},
		{"newer header", "postfach-index 3\n"},
		{"header with trailing space", "postfach-index 1 \n"},
		{"no header", "S a 0 f 1 " + sha + " 5\n"},
		{"blank line", s("")},
		{"blank line between records", header + "U a\n\nU b\n"},
		{"unknown op", s("X a")},
		{"lower-case op", s("s a 0 f 1 " + sha + " 5")},
		{"two-letter op", s("SS a 0 f 1 " + sha + " 5")},
		{"op only", s("L")},
		{"double space", s("L  a")},
		{"leading space", s(" L a")},
		{"trailing space", s("L a ")},
		{"tab separator", s("L\ta")},
		{"S too few fields", s("S a 0 f 1 " + sha)},
		{"S too many fields", s("S a 0 f 1 " + sha + " 5 6")},
		{"R without time", s("R a")},
		{"R too many fields", s("R a 5 6")},
		{"C without time", s("C a")},
		{"U with time", s("U a 5")},
		{"L with time", s("L a 5")},
		{"uidl of 71 chars", s("L " + strings.Repeat("u", 71))},
		{"uidl with space", s("R a b 5")},
		{"uidl with control char", s("L a\x01b")},
		{"uidl with DEL", s("L a\x7f")},
		{"uidl with non-ascii", s("L ä")},
		{"uidl with NUL", s("L a\x00")},
		{"bad sha: short", s("S a 0 f 1 " + sha[:62] + " 5")},
		{"bad sha: long", s("S a 0 f 1 " + sha + "00 5")},
		{"bad sha: odd length", s("S a 0 f 1 " + sha[:63] + " 5")},
		{"bad sha: not hex", s("S a 0 f 1 " + "zz" + sha[2:] + " 5")},
		{"bad sha: empty", s("S a 0 f 1  5")},
		{"bad gen: negative", s("S a -1 f 1 " + sha + " 5")},
		{"bad gen: not a number", s("S a x f 1 " + sha + " 5")},
		{"bad gen: overflow", s("S a 99999999999999999999 f 1 " + sha + " 5")},
		{"bad size: negative", s("S a 0 f -1 " + sha + " 5")},
		{"bad size: float", s("S a 0 f 1e3 " + sha + " 5")},
		{"bad size: overflow", s("S a 0 f 99999999999999999999 " + sha + " 5")},
		{"bad R time", s("R a yesterday")},
		{"bad C time", s("C a -1")},
		{"file with slash", s("S a 0 ../f 1 " + sha + " 5")},
		{"file with backslash", s("S a 0 ..\\f 1 " + sha + " 5")},
		{"line too long", s("L " + strings.Repeat("u", 5000))},
		{"corrupt line before good ones", header + "X\nL a\n"},
	}
}

// badSaveTimes are S records whose time is damaged.
func badSaveTimes() []struct{ name, data string } {
	sha := hexSum("x")
	return []struct{ name, data string }{
		{"bad time: negative", header + "S a 0 f 1 " + sha + " -5\n"},
		{"bad time: too far", header + "S a 0 f 1 " + sha + " 1099511627777\n"},
		{"bad time: not a number", header + "S a 0 f 1 " + sha + " now\n"},
	}
}

func TestCorruptSaveTime(t *testing.T) {

	for _, tt := range badSaveTimes() {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := index.Parse([]byte(tt.data)); !errors.Is(err, index.ErrCorrupt) {
				t.Errorf("Parse = %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestCorrupt(t *testing.T) {
	for _, tt := range corruptJournals() {
		t.Run(tt.name, func(t *testing.T) {
			ix, n, err := index.Parse([]byte(tt.data))
			if !errors.Is(err, index.ErrCorrupt) {
				t.Errorf("Parse = %v, %d, %v; want ErrCorrupt", ix, n, err)
			}
			path := filepath.Join(t.TempDir(), "index")
			if err := os.WriteFile(path, []byte(tt.data), 0o600); err != nil {
				t.Fatal(err)
			}
			for name, open := range map[string]func(string) (*index.Index, error){"Open": index.Open, "OpenOrCreate": index.OpenOrCreate} {
				ix, err := open(path)
				if !errors.Is(err, index.ErrCorrupt) {
					if ix != nil {
						ix.Close()
					}
					t.Errorf("%s = %v, want ErrCorrupt", name, err)
				}
				if data, _ := os.ReadFile(path); string(data) != tt.data {
					t.Errorf("%s changed a damaged index: %q", name, data)
				}
			}
		})
	}
}

func TestCorruptErrorNamesLine(t *testing.T) {
	_, _, err := index.Parse([]byte(header + "U a\nU b\nX c\n"))
	if err == nil || !strings.Contains(err.Error(), "line 4") {
		t.Errorf("Parse = %v, want it to name line 4", err)
	}
}

// TestAcceptedOddities pins down lenient parsing that is harmless.
func TestAcceptedOddities(t *testing.T) {
	sha := hexSum("x")
	tests := []struct {
		name string
		data string
		want index.Entry
	}{
		{"upper-case sha", header + "S a 0 f 1 " + strings.ToUpper(sha) + " 5\n", index.Entry{UIDL: "a", File: "f", Size: 1, SHA256: sum("x"), Saved: at(5)}},
		{"CRLF line ends", "postfach-index 1\r\nS a 0 f 1 " + sha + " 5\r\n", index.Entry{UIDL: "a", File: "f", Size: 1, SHA256: sum("x"), Saved: at(5)}},
		{"uidl of 70 chars with every printable kind", header + "S " + strings.Repeat("!~", 35) + " 0 f 1 " + sha + " 5\n", index.Entry{UIDL: strings.Repeat("!~", 35), File: "f", Size: 1, SHA256: sum("x"), Saved: at(5)}},
		{"largest time", header + "S a 0 f 1 " + sha + " 1099511627776\n", index.Entry{UIDL: "a", File: "f", Size: 1, SHA256: sum("x"), Saved: at(1 << 40)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix, _, err := index.Parse([]byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if got := ix.Entries(); len(got) != 1 || !reflect.DeepEqual(got[0], tt.want) {
				t.Errorf("Entries() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index")
	if err := os.WriteFile(path, []byte("old content, replaced"), 0o600); err != nil {
		t.Fatal(err)
	}
	a, b, c := entry("a", 0, 300), entry("b", 1, 100), entry("c", 0, 200)
	b.DeleteRequested = at(150)
	c.DeleteRequested, c.Deleted = at(250), at(260)
	ix, err := index.Create(path, []index.Entry{a, b, c})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	want := []index.Entry{b, c, a}
	checkEntries(t, ix, want)
	if ix.NextGen("b") != 2 {
		t.Errorf("NextGen(b) = %d, want 2", ix.NextGen("b"))
	}
	// The created journal is appendable.
	if err := ix.Append(lost(a)); err != nil {
		t.Fatal(err)
	}
	ix = reopen(t, ix, path)
	checkEntries(t, ix, want[:2])
	if m := fileMode(t, path); m != 0 && m != 0o600 {
		t.Errorf("mode %v, want 0600", m)
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("folder holds %d files, want only the index", len(ents))
	}
}

func fileMode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if os.PathSeparator == '\\' {
		return 0
	}
	return fi.Mode().Perm()
}

// churn returns a journal with n entries and many more lines: request/withdraw pairs,
// confirmed deletions, and a lost entry.
func churn(n, pairs int) ([]index.Record, []index.Entry) {
	var recs []index.Record
	var want []index.Entry
	for i := 0; i < n; i++ {
		recs = append(recs, save(entry(fmt.Sprintf("m%03d", i), i%3, int64(1000+i))))
	}
	for i := 0; i < pairs; i++ {
		e := entry(fmt.Sprintf("m%03d", i%n), (i%n)%3, int64(1000+i%n))
		recs = append(recs, req(e, int64(5000+i)), undo(e))
	}
	recs = append(recs, req(entry("m001", 1, 1001), 9000), confirm(entry("m001", 1, 1001), 9001))
	recs = append(recs, req(entry("m002", 2, 1002), 9002))
	recs = append(recs, lost(entry("m003", 0, 1003)))
	for i := 0; i < n; i++ {
		if i == 3 {
			continue
		}
		e := entry(fmt.Sprintf("m%03d", i), i%3, int64(1000+i))
		switch i {
		case 1:
			e.DeleteRequested, e.Deleted = at(9000), at(9001)
		case 2:
			e.DeleteRequested = at(9002)
		}
		want = append(want, e)
	}
	return recs, want
}

func TestCompact(t *testing.T) {
	ix, path := newIndex(t)
	recs, want := churn(10, 600)
	if err := ix.Append(recs...); err != nil {
		t.Fatal(err)
	}
	ix = reopen(t, ix, path)
	before, _ := os.ReadFile(path)
	checkEntries(t, ix, want)

	if err := ix.Compact(); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(path)
	if len(after) >= len(before)/10 {
		t.Errorf("Compact: %d bytes before, %d after; want it much smaller", len(before), len(after))
	}
	// header + one G for the lost m003 + one S per entry + R for two + C for one.
	if lines := bytes.Count(after, []byte("\n")); lines != 1+1+len(want)+3 {
		t.Errorf("compacted journal has %d lines, want %d:\n%s", lines, 1+1+len(want)+3, after)
	}
	checkEntries(t, ix, want)
	if ix.NextGen("m002") != 3 {
		t.Errorf("NextGen(m002) = %d, want 3", ix.NextGen("m002"))
	}

	// The compacted index keeps working: append, reopen, same content.
	extra := entry("new", 0, 20000)
	if err := ix.Append(save(extra)); err != nil {
		t.Fatal(err)
	}
	ix = reopen(t, ix, path)
	checkEntries(t, ix, append(append([]index.Entry{}, want...), extra))
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("folder holds %d files after Compact, want only the index", len(ents))
	}
}

func TestCompactSmallIsNoop(t *testing.T) {
	ix, path := newIndex(t)
	recs, want := churn(10, 20)
	if err := ix.Append(recs...); err != nil {
		t.Fatal(err)
	}
	ix = reopen(t, ix, path)
	before, _ := os.ReadFile(path)
	fi1, _ := os.Stat(path)
	if err := ix.Compact(); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(path)
	fi2, _ := os.Stat(path)
	if !bytes.Equal(before, after) || !os.SameFile(fi1, fi2) {
		t.Error("Compact rewrote a small journal")
	}
	checkEntries(t, ix, want)
}

// TestCompactKeepsGenerations: after an L record the lost copy's file may still be in the
// Maildir (changed); a new download must not reuse its key, compaction or not.
func TestCompactKeepsGenerations(t *testing.T) {

	ix, path := newIndex(t)
	recs, _ := churn(10, 600)
	recs = append(recs, save(entry("gone", 0, 1)), lost(entry("gone", 0, 1)))
	if err := ix.Append(recs...); err != nil {
		t.Fatal(err)
	}
	ix = reopen(t, ix, path)
	if g := ix.NextGen("gone"); g != 1 {
		t.Fatalf("NextGen before Compact = %d, want 1", g)
	}
	if err := ix.Compact(); err != nil {
		t.Fatal(err)
	}
	if g := ix.NextGen("gone"); g != 1 {
		t.Errorf("NextGen after Compact = %d, want 1", g)
	}
	ix = reopen(t, ix, path)
	if g := ix.NextGen("gone"); g != 1 {
		t.Errorf("NextGen after Compact and reopen = %d, want 1", g)
	}
}

// TestCompactCountsAppendedLines: the size that triggers compaction includes what this
// session appended.
func TestCompactCountsAppendedLines(t *testing.T) {

	ix, path := newIndex(t)
	recs, _ := churn(10, 600)
	if err := ix.Append(recs...); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	if err := ix.Compact(); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(path); len(after) >= len(before) {
		t.Errorf("Compact after %d appended records did nothing", len(recs))
	}
}

// TestAppendRefusesUnreadableRecords: a record Parse would reject must not reach the
// journal, or every later Open fails with ErrCorrupt.
func TestAppendRefusesUnreadableRecords(t *testing.T) {

	good := entry("a", 0, 100)
	tests := []struct {
		name string
		r    index.Record
	}{
		{"uidl with space", save(index.Entry{UIDL: "a b", File: "f", Saved: at(1)})},
		{"empty file", save(index.Entry{UIDL: "a", Saved: at(1)})},
		{"file with slash", save(index.Entry{UIDL: "a", File: "x/y", Saved: at(1)})},
		{"zero time", index.Record{Op: 'S', Entry: good}},
		{"zero R time", index.Record{Op: 'R', Entry: good}},
		{"unknown op", index.Record{Op: 'X', Entry: good}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix, path := newIndex(t)
			if err := ix.Append(save(good)); err != nil {
				t.Fatal(err)
			}
			err := ix.Append(tt.r)
			ix.Close()
			ix2, oerr := index.Open(path)
			if oerr != nil {
				t.Errorf("Append = %v, then Open = %v", err, oerr)
				return
			}
			ix2.Close() // Windows cannot remove the temp folder while the file is open

		})
	}
}

func TestClose(t *testing.T) {
	ix, _ := newIndex(t)
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

// FuzzParse: Parse never panics, its errors are ErrCorrupt, and any index it accepts is
// rebuilt identically by Create (what compaction and rebuilds rely on).
func FuzzParse(f *testing.F) {
	f.Add([]byte(header))
	var buf bytes.Buffer
	buf.WriteString(header)
	recs, _ := churn(5, 3)
	recs = append(recs, save(entry(strings.Repeat("x", 70), 7, 1<<40)))
	for _, r := range recs {
		writeSeed(&buf, r)
	}
	f.Add(buf.Bytes())
	f.Add(append(buf.Bytes(), "R m001 12"...)) // torn
	for _, c := range append(corruptJournals(), badSaveTimes()...) {
		f.Add([]byte(c.data))
	}
	dir := fastTempDir(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		ix, n, err := index.Parse(data)
		if err != nil {
			if !errors.Is(err, index.ErrCorrupt) {
				t.Fatalf("Parse error %v is not ErrCorrupt", err)
			}
			return
		}
		if want := bytes.LastIndexByte(data, '\n') + 1; n != want {
			t.Fatalf("Parse complete = %d, want %d", n, want)
		}
		want := ix.Entries()
		if ix.Len() != len(want) {
			t.Fatalf("Len() = %d, Entries() has %d", ix.Len(), len(want))
		}
		path := filepath.Join(dir, "index")
		c, err := index.Create(path, append([]index.Entry(nil), want...))
		if err != nil {
			t.Fatalf("Create of parsed entries: %v", err)
		}
		c.Close()
		o, err := index.Open(path)
		if err != nil {
			t.Fatalf("Open of created index: %v", err)
		}
		defer o.Close()
		if got := o.Entries(); !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Fatalf("Create+Open changed the entries:\n%s\nwant\n%s", dump(got), dump(want))
		}
	})
}

// fastTempDir returns a temporary folder on tmpfs where there is one: Create fsyncs the
// file and its folder, which on a disk costs FuzzParse most of its executions.
func fastTempDir(f *testing.F) string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if dir, err := os.MkdirTemp("/dev/shm", "postfach-fuzz-index-"); err == nil {
			f.Cleanup(func() { os.RemoveAll(dir) })
			return dir
		}
	}
	return f.TempDir()
}

// writeSeed formats a record as the journal does (kept independent of the package).
func writeSeed(b *bytes.Buffer, r index.Record) {
	e := r.Entry
	switch r.Op {
	case 'S':
		fmt.Fprintf(b, "S %s %d %s %d %x %d\n", e.UIDL, e.Gen, e.File, e.Size, e.SHA256[:], r.At.Unix())
	case 'R', 'C':
		fmt.Fprintf(b, "%c %s %d\n", r.Op, e.UIDL, r.At.Unix())
	default:
		fmt.Fprintf(b, "%c %s\n", r.Op, e.UIDL)
	}
}
