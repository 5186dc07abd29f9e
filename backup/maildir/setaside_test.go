package maildir_test

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"

	"github.com/postfach/postfach/backup/maildir"
)

// infoSep separates a file's name from its flags in cur/: ':' as Maildir has it, '!' on
// Windows, where NTFS would read ':' as the start of a stream name.
func infoSep() string {
	if runtime.GOOS == "windows" {
		return "!"
	}
	return ":"
}

func TestSetAside(t *testing.T) {
	msg := []byte("Subject: damaged\r\n\r\nbody\r\n")
	tests := []struct {
		name string
		// move places the stored message (in new/ after Commit) where the case needs it
		// and returns its path relative to the Maildir.
		move func(t *testing.T, d *maildir.Dir, name string) string
		// existing are files already in the destination, which must survive unchanged.
		existing []string
		fresh    bool   // the destination does not exist yet
		noLinks  bool   // the file system has no hard links (FAT, some network ones)
		wantName string // "" means the stored name
	}{
		{name: "from new", move: func(t *testing.T, d *maildir.Dir, name string) string {
			return filepath.Join(maildir.New, name)
		}},
		{name: "from new into a new folder", fresh: true, move: func(t *testing.T, d *maildir.Dir, name string) string {
			return filepath.Join(maildir.New, name)
		}},
		{name: "from cur with flags", move: func(t *testing.T, d *maildir.Dir, name string) string {
			rel := filepath.Join(maildir.Cur, name+infoSep()+"2,S")
			if err := os.Rename(filepath.Join(d.Path(), maildir.New, name), filepath.Join(d.Path(), rel)); err != nil {
				t.Fatal(err)
			}
			return rel
		}},
		{name: "name taken", existing: []string{""}, wantName: ".1", move: func(t *testing.T, d *maildir.Dir, name string) string {
			return filepath.Join(maildir.New, name)
		}},
		{name: "name and next taken", existing: []string{"", ".1", ".3"}, wantName: ".2", move: func(t *testing.T, d *maildir.Dir, name string) string {
			return filepath.Join(maildir.New, name)
		}},
		{name: "no hard links", noLinks: true, move: func(t *testing.T, d *maildir.Dir, name string) string {
			return filepath.Join(maildir.New, name)
		}},
		{name: "no hard links, names taken", noLinks: true, existing: []string{"", ".1"}, wantName: ".2", move: func(t *testing.T, d *maildir.Dir, name string) string {
			return filepath.Join(maildir.New, name)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newMaildir(t)
			p := deliver(t, d, maildir.Key{UIDL: "a"}, msg, when)
			if err := d.Commit([]*maildir.Pending{p}); err != nil {
				t.Fatal(err)
			}
			rel := tt.move(t, d, p.Name)
			if tt.noLinks {
				maildir.SetLink(d, func(string, string) error { return syscall.EPERM })
			}
			dest := filepath.Join(t.TempDir(), "aside")
			if tt.fresh {
				dest = filepath.Join(dest, "deeper")
			} else if err := os.Mkdir(dest, 0o700); err != nil {
				t.Fatal(err)
			}
			for _, suffix := range tt.existing {
				if err := os.WriteFile(filepath.Join(dest, filepath.Base(rel)+suffix), []byte("earlier "+suffix), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, err := d.SetAside(rel, dest)
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(dest, filepath.Base(rel)+tt.wantName); got != want {
				t.Errorf("SetAside = %q, want %q", got, want)
			}
			if b, err := os.ReadFile(got); err != nil || !bytes.Equal(b, msg) {
				t.Errorf("set-aside file = %q, %v; want the message", b, err)
			}
			if _, err := os.Lstat(filepath.Join(d.Path(), rel)); !os.IsNotExist(err) {
				t.Errorf("%s still in the Maildir (%v)", rel, err)
			}
			if found, err := d.Scan(); err != nil || len(found) != 0 {
				t.Errorf("Scan after SetAside = %v, %v; want nothing", found, err)
			}
			for _, suffix := range tt.existing {
				b, err := os.ReadFile(filepath.Join(dest, filepath.Base(rel)+suffix))
				if err != nil || string(b) != "earlier "+suffix {
					t.Errorf("existing %q overwritten: %q, %v", filepath.Base(rel)+suffix, b, err)
				}
			}
			if fi, err := os.Stat(dest); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o700) {
				t.Errorf("destination: %v, %v; want a 0700 directory", fi.Mode(), err)
			}
		})
	}
}

// TestSetAsideTwice: the same name set aside again (a message damaged, downloaded anew,
// damaged again) keeps every earlier copy.
func TestSetAsideTwice(t *testing.T) {
	d := newMaildir(t)
	dest := filepath.Join(t.TempDir(), "aside")
	var got []string
	for i := range 3 {
		content := []byte{byte('a' + i)}
		p := deliver(t, d, maildir.Key{UIDL: "a"}, content, when)
		if err := d.Commit([]*maildir.Pending{p}); err != nil {
			t.Fatal(err)
		}
		path, err := d.SetAside(filepath.Join(maildir.New, p.Name), dest)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, path)
	}
	for i, path := range got {
		b, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(b, []byte{byte('a' + i)}) {
			t.Errorf("copy %d at %s = %q, %v", i, path, b, err)
		}
	}
}

func TestSetAsideRefuses(t *testing.T) {
	d := newMaildir(t)
	p := deliver(t, d, maildir.Key{UIDL: "a"}, []byte("x"), when)
	if err := d.Commit([]*maildir.Pending{p}); err != nil {
		t.Fatal(err)
	}
	inTmp := deliver(t, d, maildir.Key{UIDL: "t"}, []byte("t"), when)
	defer inTmp.Abort()
	stored := filepath.Join(maildir.New, p.Name)
	fileDest := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(fileDest, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, rel, dest string
	}{
		{"outside the Maildir", filepath.Join("..", "x"), t.TempDir()},
		{"absolute", filepath.Join(d.Path(), stored), t.TempDir()},
		{"in tmp", filepath.Join(maildir.Tmp, inTmp.Name), t.TempDir()},
		{"a subdirectory", maildir.New, t.TempDir()},
		{"missing", filepath.Join(maildir.Cur, "missing.postfach"), t.TempDir()},
		{"destination is a file", stored, fileDest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := d.SetAside(tt.rel, tt.dest); err == nil {
				t.Errorf("SetAside(%q) = %q, want an error", tt.rel, got)
			}
			if got := ls(t, d, maildir.New); len(got) != 1 || got[0] != p.Name {
				t.Errorf("new/ holds %q, want the stored message untouched", got)
			}
		})
	}
}
