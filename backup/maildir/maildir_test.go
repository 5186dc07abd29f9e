package maildir_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/postfach/postfach/backup/maildir"
)

var when = time.Unix(1700000000, 0)

// keys are UIDLs as servers send them (RFC 1939: 1-70 characters 0x21-0x7E), including
// the characters that are special in file names and Maildir names.
var keys = []maildir.Key{
	{UIDL: "a", Gen: 0},
	{UIDL: "000012ab", Gen: 0},
	{UIDL: "with/slash", Gen: 1},
	{UIDL: "with:colon", Gen: 0},
	{UIDL: "with.dot.", Gen: 2},
	{UIDL: "with_underscore_", Gen: 0},
	{UIDL: "with!bang,comma", Gen: 0},
	{UIDL: `\"*?<>|~`, Gen: 0},
	{UIDL: ".", Gen: 0},
	{UIDL: "..", Gen: 0},
	{UIDL: "1700000000.U61_0.postfach", Gen: 0},
	{UIDL: strings.Repeat("z", 70), Gen: 0},
	{UIDL: strings.Repeat("!~", 35), Gen: 12345},
	{UIDL: "gen", Gen: 1 << 30},
}

func TestFileNameRoundTrip(t *testing.T) {
	for _, k := range keys {
		name := maildir.FileName(k, when)
		for _, info := range []string{"", ":2,", ":2,S", ":2,FRS", "!2,S", "!2,"} {
			t.Run(k.UIDL+info, func(t *testing.T) {
				if !strings.HasPrefix(name, "1700000000.U") || !strings.HasSuffix(name, ".postfach") {
					t.Errorf("FileName = %q, want 1700000000.U….postfach", name)
				}
				if strings.ContainsAny(name, "/\\:!") || len(name) > 255 {
					t.Errorf("FileName = %q is not a safe file name", name)
				}
				got, ok := maildir.ParseFileName(name + info)
				if !ok || got != k {
					t.Errorf("ParseFileName(%q) = %+v, %v; want %+v", name+info, got, ok, k)
				}
			})
		}
	}
}

func TestFileNameOrder(t *testing.T) {
	k := maildir.Key{UIDL: "a"}
	a, b := maildir.FileName(k, when), maildir.FileName(k, when.Add(time.Second))
	if a == b || a > b {
		t.Errorf("names not in delivery order: %q, %q", a, b)
	}
	if maildir.FileName(maildir.Key{UIDL: "a", Gen: 1}, when) == a {
		t.Error("a new generation got the same file name")
	}
}

// foreignNames are files other mail programs put in a Maildir, or damaged names; none is
// ours.
var foreignNames = []string{
	"",
	"1700000000.M123P456.host",
	"1700000000.M123P456.host:2,S",
	"1700000000.M123P456.host,S=1234:2,S",
	"1700000000.U61_0.mbsync",
	".postfach",
	"x.postfach",
	"1700000000.postfach",
	"U61_0.postfach",
	"1700000000.U_0.postfach",
	"1700000000.U61.postfach",
	"1700000000.U61_.postfach",
	"1700000000.U61_x.postfach",
	"1700000000.U61_-1.postfach",
	"1700000000.U6_0.postfach",
	"1700000000.Uzz_0.postfach",
	"1700000000.X61_0.postfach",
	"1700000000.1.U61_0.postfach",
	"1700000000.U61_0.postfach.bak",
	"1700000000.U61_0.postfachx:2,S",
	"1700000000.U61_0.postfach~",
	"1700000000.U61_0_1.postfach",
	":2,S",
	"!",
	"1700000000.U61_99999999999999999999.postfach",
}

func TestParseFileNameForeign(t *testing.T) {
	for _, name := range foreignNames {
		if k, ok := maildir.ParseFileName(name); ok {
			t.Errorf("ParseFileName(%q) = %+v, true; want it ignored", name, k)
		}
	}
}

func TestCreateOpen(t *testing.T) {
	root := filepath.Join(t.TempDir(), "backup")
	if _, err := maildir.Open(root); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(missing) = %v, want fs.ErrNotExist", err)
	}
	d, err := maildir.Create(root)
	if err != nil {
		t.Fatal(err)
	}
	if d.Path() != root {
		t.Errorf("Path() = %q, want %q", d.Path(), root)
	}
	for _, sub := range []string{maildir.Cur, maildir.New, maildir.Tmp} {
		fi, err := os.Stat(filepath.Join(root, sub))
		if err != nil || !fi.IsDir() {
			t.Fatalf("%s: %v", sub, err)
		}
		if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: mode %v, want 0700", sub, fi.Mode().Perm())
		}
	}
	if _, err := maildir.Create(root); err != nil {
		t.Errorf("Create on an existing Maildir = %v", err)
	}
	if d2, err := maildir.Open(root); err != nil || d2.Path() != root {
		t.Errorf("Open = %v, %v", d2, err)
	}

	// A Maildir missing a subdirectory, or with a file in its place, is not opened.
	for _, sub := range []string{maildir.Cur, maildir.New, maildir.Tmp} {
		t.Run("broken "+sub, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "m")
			if _, err := maildir.Create(root); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(filepath.Join(root, sub)); err != nil {
				t.Fatal(err)
			}
			if _, err := maildir.Open(root); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Open without %s = %v, want fs.ErrNotExist", sub, err)
			}
			if err := os.WriteFile(filepath.Join(root, sub), nil, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := maildir.Open(root); err == nil {
				t.Errorf("Open with a file as %s succeeded", sub)
			}
		})
	}
}

func newMaildir(t *testing.T) *maildir.Dir {
	t.Helper()
	d, err := maildir.Create(filepath.Join(t.TempDir(), "backup"))
	if err != nil {
		t.Fatal(err)
	}
	// Release what a test left open before the temporary folder goes: Windows refuses to
	// delete an open file.
	t.Cleanup(func() { d.Close() })
	return d
}

func ls(t *testing.T, d *maildir.Dir, sub string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(d.Path(), sub))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

// deliver writes msg for k through the whole Create/Write/Finish path, in chunks.
func deliver(t *testing.T, d *maildir.Dir, k maildir.Key, msg []byte, now time.Time) *maildir.Pending {
	t.Helper()
	p, err := d.Create(k, now)
	if err != nil {
		t.Fatal(err)
	}
	for rest := msg; len(rest) > 0; {
		n := min(7, len(rest))
		if w, err := p.Write(rest[:n]); err != nil || w != n {
			t.Fatalf("Write = %d, %v", w, err)
		}
		rest = rest[n:]
	}
	if err := p.Finish(); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCommit(t *testing.T) {
	d := newMaildir(t)
	msgs := map[maildir.Key][]byte{
		{UIDL: "a/b:c"}:       []byte("From: a@example.org\r\nSubject: one\r\n\r\nbody\r\n"),
		{UIDL: "x", Gen: 1}:   []byte("Subject: two\r\n\r\n" + strings.Repeat("line\r\n", 1000)),
		{UIDL: "empty"}:       {},
		{UIDL: "binary\x7e!"}: {0, 1, 2, 0xff, '\n'},
	}
	var batch []*maildir.Pending
	for k, m := range msgs {
		p := deliver(t, d, k, m, when)
		if p.Key != k || p.Name != maildir.FileName(k, when) {
			t.Errorf("Pending key, name = %+v, %q", p.Key, p.Name)
		}
		if p.Size != int64(len(m)) || p.SHA256 != sha256.Sum256(m) {
			t.Errorf("%s: Pending size, sha = %d, %x; want %d, %x", k.UIDL, p.Size, p.SHA256, len(m), sha256.Sum256(m))
		}
		batch = append(batch, p)
	}
	if got := ls(t, d, maildir.New); len(got) != 0 {
		t.Errorf("new/ holds %q before Commit; readers must not see unfinished mail", got)
	}
	if got := ls(t, d, maildir.Tmp); len(got) != len(msgs) {
		t.Errorf("tmp/ holds %q, want %d files", got, len(msgs))
	}
	if err := d.Commit(batch); err != nil {
		t.Fatal(err)
	}
	if got := ls(t, d, maildir.Tmp); len(got) != 0 {
		t.Errorf("tmp/ holds %q after Commit", got)
	}
	for _, p := range batch {
		rel := filepath.Join(maildir.New, p.Name)
		got, err := os.ReadFile(filepath.Join(d.Path(), rel))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, msgs[p.Key]) {
			t.Errorf("%s: content differs", rel)
		}
		size, sum, err := d.HashFile(rel)
		if err != nil || size != p.Size || sum != p.SHA256 {
			t.Errorf("HashFile(%s) = %d, %x, %v; want %d, %x", rel, size, sum, err, p.Size, p.SHA256)
		}
		if runtime.GOOS != "windows" {
			if fi, _ := os.Stat(filepath.Join(d.Path(), rel)); fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: mode %v, want 0600", rel, fi.Mode().Perm())
			}
		}
	}
	if err := d.Commit(nil); err != nil {
		t.Errorf("Commit(nil) = %v", err)
	}
}

func TestAbort(t *testing.T) {
	t.Run("while writing", func(t *testing.T) {
		d := newMaildir(t)
		p, err := d.Create(maildir.Key{UIDL: "a"}, when)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Write([]byte("partial")); err != nil {
			t.Fatal(err)
		}
		p.Abort()
		p.Abort() // twice is harmless
		if got := ls(t, d, maildir.Tmp); len(got) != 0 {
			t.Errorf("tmp/ holds %q after Abort", got)
		}
	})
	t.Run("after Finish", func(t *testing.T) {
		d := newMaildir(t)
		p := deliver(t, d, maildir.Key{UIDL: "a"}, []byte("whole"), when)
		p.Abort()
		if got := ls(t, d, maildir.Tmp); len(got) != 0 {
			t.Errorf("tmp/ holds %q after Abort", got)
		}
		if got := ls(t, d, maildir.New); len(got) != 0 {
			t.Errorf("new/ holds %q after Abort", got)
		}
	})
	t.Run("only its own file", func(t *testing.T) {
		d := newMaildir(t)
		keep := deliver(t, d, maildir.Key{UIDL: "keep"}, []byte("keep"), when)
		drop := deliver(t, d, maildir.Key{UIDL: "drop"}, []byte("drop"), when)
		drop.Abort()
		if got := ls(t, d, maildir.Tmp); len(got) != 1 || got[0] != keep.Name {
			t.Errorf("tmp/ holds %q, want only %s", got, keep.Name)
		}
	})
}

func TestCommitMissingFile(t *testing.T) {
	d := newMaildir(t)
	p := deliver(t, d, maildir.Key{UIDL: "a"}, []byte("x"), when)
	p.Abort()
	if err := d.Commit([]*maildir.Pending{p}); err == nil {
		t.Error("Commit of an aborted message succeeded")
	}
}

func TestCleanTmp(t *testing.T) {
	d := newMaildir(t)
	tmp := filepath.Join(d.Path(), maildir.Tmp)
	ours := []string{maildir.FileName(maildir.Key{UIDL: "a"}, when), maildir.FileName(maildir.Key{UIDL: "b", Gen: 3}, when), "anything.postfach"}
	foreign := []string{"1700000000.M1P2.host", "1700000000.U61_0.postfach.part", "notes.txt"}
	for _, n := range append(append([]string{}, ours...), foreign...) {
		if err := os.WriteFile(filepath.Join(tmp, n), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// A file of ours that something still holds open (on Windows, say, a virus scanner
	// reading it): Unix removes it; Windows refuses, and CleanTmp leaves it for a later
	// run instead of failing this one — it was never published, the server has the mail.
	p, err := d.Create(maildir.Key{UIDL: "open"}, when)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Abort()
	if err := d.CleanTmp(); err != nil {
		t.Fatal(err)
	}
	want := append([]string{}, foreign...)
	if runtime.GOOS == "windows" {
		want = append(want, p.Name)
	}
	sort.Strings(want)
	if got := ls(t, d, maildir.Tmp); !reflect.DeepEqual(got, want) {
		t.Errorf("tmp/ after CleanTmp = %q, want only the foreign files %q", got, want)
	}
	if err := d.CleanTmp(); err != nil {
		t.Errorf("CleanTmp with nothing to do = %v", err)
	}
}

func TestCleanTmpLeavesNewAndCur(t *testing.T) {
	d := newMaildir(t)
	p := deliver(t, d, maildir.Key{UIDL: "a"}, []byte("x"), when)
	if err := d.Commit([]*maildir.Pending{p}); err != nil {
		t.Fatal(err)
	}
	if err := d.CleanTmp(); err != nil {
		t.Fatal(err)
	}
	if got := ls(t, d, maildir.New); len(got) != 1 {
		t.Errorf("new/ holds %q after CleanTmp", got)
	}
}

func TestScan(t *testing.T) {
	d := newMaildir(t)
	kNew, kRead, kBang, kTmp := maildir.Key{UIDL: "new/1"}, maildir.Key{UIDL: "read:2", Gen: 1}, maildir.Key{UIDL: "bang.3"}, maildir.Key{UIDL: "tmp"}
	var batch []*maildir.Pending
	for _, k := range []maildir.Key{kNew, kRead, kBang} {
		batch = append(batch, deliver(t, d, k, []byte("msg "+k.UIDL), when))
	}
	if err := d.Commit(batch); err != nil {
		t.Fatal(err)
	}
	pending := deliver(t, d, kTmp, []byte("not committed"), when)
	defer pending.Abort()

	// A mail reader moves two messages to cur/ and flags them.
	move := func(k maildir.Key, info string) string {
		name := maildir.FileName(k, when)
		to := filepath.Join(maildir.Cur, name+info)
		if err := os.Rename(filepath.Join(d.Path(), maildir.New, name), filepath.Join(d.Path(), to)); err != nil {
			t.Fatal(err)
		}
		return to
	}
	readPath := move(kRead, ":2,RS")
	bangPath := move(kBang, "!2,S")

	// Other programs' files, a directory with one of our names, a symlink.
	write := func(rel string) {
		if err := os.WriteFile(filepath.Join(d.Path(), rel), []byte("foreign"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(maildir.New, "1700000000.M1P2.host"))
	write(filepath.Join(maildir.Cur, "1700000000.M3P4.host:2,S"))
	write(filepath.Join(maildir.Cur, ".hidden"))
	if err := os.Mkdir(filepath.Join(d.Path(), maildir.Cur, maildir.FileName(maildir.Key{UIDL: "dir"}, when)), 0o700); err != nil {
		t.Fatal(err)
	}
	_ = os.Symlink(filepath.Join(d.Path(), maildir.New, maildir.FileName(kNew, when)),
		filepath.Join(d.Path(), maildir.Cur, maildir.FileName(maildir.Key{UIDL: "link"}, when)))

	got, err := d.Scan()
	if err != nil {
		t.Fatal(err)
	}
	want := map[maildir.Key]string{
		kNew:  filepath.Join(maildir.New, maildir.FileName(kNew, when)),
		kRead: readPath,
		kBang: bangPath,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Scan() = %v, want %v", got, want)
	}
	for k, rel := range got {
		size, sum, err := d.HashFile(rel)
		msg := []byte("msg " + k.UIDL)
		if err != nil || size != int64(len(msg)) || sum != sha256.Sum256(msg) {
			t.Errorf("HashFile(%s) = %d, %x, %v", rel, size, sum, err)
		}
	}
}

func TestScanEmptyAndBroken(t *testing.T) {
	d := newMaildir(t)
	got, err := d.Scan()
	if err != nil || len(got) != 0 {
		t.Errorf("Scan() of an empty Maildir = %v, %v", got, err)
	}
	if err := os.Remove(filepath.Join(d.Path(), maildir.Cur)); err != nil {
		t.Fatal(err)
	}
	// A Maildir that lost cur/ is an error, never "no messages" (absence is not deletion).
	if _, err := d.Scan(); err == nil {
		t.Error("Scan() without cur/ succeeded")
	}
}

func TestHashFile(t *testing.T) {
	d := newMaildir(t)
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"small", []byte("hello\r\n")},
		{"large", bytes.Repeat([]byte("0123456789abcdef"), 1<<16)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rel := filepath.Join(maildir.Cur, tt.name)
			if err := os.WriteFile(filepath.Join(d.Path(), rel), tt.data, 0o600); err != nil {
				t.Fatal(err)
			}
			size, sum, err := d.HashFile(rel)
			if err != nil || size != int64(len(tt.data)) || sum != sha256.Sum256(tt.data) {
				t.Errorf("HashFile = %d, %x, %v", size, sum, err)
			}
		})
	}
	if _, _, err := d.HashFile(filepath.Join(maildir.Cur, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("HashFile(missing) = %v, want fs.ErrNotExist", err)
	}
}

// FuzzParseFileName: ParseFileName never panics, accepts only keys FileName can produce,
// and every valid key survives FileName + ParseFileName, with or without info flags.
func FuzzParseFileName(f *testing.F) {
	for _, k := range keys {
		f.Add(maildir.FileName(k, when)+":2,S", k.UIDL, k.Gen, when.Unix())
	}
	for _, n := range foreignNames {
		f.Add(n, "x", 0, int64(0))
	}
	f.Add("1.U61_0.postfach!2,", "", -1, int64(-1))
	f.Fuzz(func(t *testing.T, name, uidl string, gen int, unix int64) {
		if k, ok := maildir.ParseFileName(name); ok {
			if k.UIDL == "" || k.Gen < 0 {
				t.Fatalf("ParseFileName(%q) = %+v, an invalid key", name, k)
			}
			again, ok := maildir.ParseFileName(maildir.FileName(k, time.Unix(unix, 0)))
			if !ok || again != k {
				t.Fatalf("round trip of %+v from %q = %+v, %v", k, name, again, ok)
			}
		}
		if uidl == "" || gen < 0 {
			return
		}
		k := maildir.Key{UIDL: uidl, Gen: gen}
		base := maildir.FileName(k, time.Unix(unix, 0))
		if strings.ContainsAny(base, "/\\:!") {
			t.Fatalf("FileName(%+v) = %q contains a separator", k, base)
		}
		for _, info := range []string{"", ":2,S", "!2,S"} {
			if got, ok := maildir.ParseFileName(base + info); !ok || got != k {
				t.Fatalf("ParseFileName(%q) = %+v, %v; want %+v", base+info, got, ok, k)
			}
		}
	})
}
