package imapcopy

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestUploadJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j")
	j, err := openUploadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	a := uploadEntry{Key: "1.M1.host name", UIDValidity: 7, UID: 3, Size: 99, SHA256: [32]byte{1}}
	b := uploadEntry{Key: "2.M2.host", UIDValidity: 7, UID: 4, Size: 10, SHA256: [32]byte{2}}
	for _, e := range []uploadEntry{a, b} {
		if err := j.add(e); err != nil {
			t.Fatal(err)
		}
	}
	j.close()
	// A crash in the middle of a third line leaves it torn.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("1 7 5 12 abcd")
	f.Close()

	ro, err := openUploadJournalReadOnly(path)
	if err != nil || len(ro) != 2 || ro[a.Key] != a || ro[b.Key] != b {
		t.Fatalf("read-only = %+v, %v", ro, err)
	}
	j, err = openUploadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	c := uploadEntry{Key: "3", UIDValidity: 7, UID: 5, Size: 12}
	if err := j.add(c); err != nil {
		t.Fatal(err)
	}
	j.close()
	ro, _ = openUploadJournalReadOnly(path)
	if len(ro) != 3 || ro[c.Key] != c {
		t.Fatalf("after repair: %+v", ro)
	}
}

func TestParseEntryRejects(t *testing.T) {
	for _, line := range []string{"", "2 1 1 1 00 00", "1 1 0 1 " + string(make([]byte, 0)) + " 00", "1 x 1 1 00 00", "1 1 1 -1 00 00"} {
		if _, ok := parseEntry(line); ok {
			t.Errorf("parseEntry(%q) accepted", line)
		}
	}
}

func TestFlags(t *testing.T) {
	if got := infoSuffix([]string{`\Seen`, `\Flagged`, `$Junk`, `\Answered`, `\seen`}); got != string(infoSep)+"2,FRS" {
		t.Errorf("infoSuffix = %q", got)
	}
	for _, c := range []struct {
		name, unique string
		flags        []string
	}{
		{"1.M1.h:2,RS", "1.M1.h", []string{`\Answered`, `\Seen`}},
		{"1.M1.h:2,DFT", "1.M1.h", []string{`\Draft`, `\Flagged`}},
		{"1.M1.h!2,S", "1.M1.h", []string{`\Seen`}},
		{"1.M1.h", "1.M1.h", nil},
		{"1.M1.h:1,x", "1.M1.h:1,x", nil},
	} {
		u, f := splitInfo(c.name)
		if u != c.unique || !slices.Equal(f, c.flags) {
			t.Errorf("splitInfo(%q) = %q %v, want %q %v", c.name, u, f, c.unique, c.flags)
		}
	}
	for _, c := range []struct {
		name   string
		v, uid uint32
		ok     bool
	}{
		{storedName(timeZero, 5, 9, []string{`\Seen`}), 5, 9, true},
		{"1.V5U0.postfach:2,", 0, 0, false},
		{"1.V5U9.other:2,", 0, 0, false},
		{"1.M1.h:2,S", 0, 0, false},
	} {
		v, u, ok := parseStoredName(c.name)
		if v != c.v || u != c.uid || ok != c.ok {
			t.Errorf("parseStoredName(%q) = %d %d %v", c.name, v, u, ok)
		}
	}
}

var timeZero = time.Unix(0, 0)
