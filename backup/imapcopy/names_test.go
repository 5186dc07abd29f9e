package imapcopy

import (
	"slices"
	"strings"
	"testing"
)

var folderCases = []struct {
	name  string
	delim rune
	dir   string
}{
	{"INBOX", '/', ""},
	{"inbox", '.', ""},
	{"Sent", '/', ".Sent"},
	{"Archive/2024", '/', ".Archive.2024"},
	{"Archive.2024", '.', ".Archive.2024"},
	{"v1.2/notes", '/', ".v1%2E2.notes"},
	{"Ärger & Co", '/', ".Ärger & Co"},
	{"a:b*c?d", '/', ".a%3Ab%2Ac%3Fd"},
	{"100%", '/', ".100%25"},
	{"trailing ", '/', ".trailing%20"},
	{"postfach", '/', ".%70ostfach"},
	{"Postfach", '/', ".%50ostfach"},
	{"postfach/sub", '/', ".postfach.sub"},
	{"a//b", '/', ".a..b"},
	{"tab\there", 0, ".tab%09here"},
	{"back\\slash", '/', ".back%5Cslash"},
}

func TestFolderDir(t *testing.T) {
	for _, c := range folderCases {
		t.Run(c.name, func(t *testing.T) {
			if got := FolderDir(c.name, c.delim); got != c.dir {
				t.Errorf("FolderDir(%q, %q) = %q, want %q", c.name, c.delim, got, c.dir)
			}
		})
	}
}

// FuzzFolderDir: the mapping is reversible (so two folders never share a directory),
// never yields the state directory, and never contains a path separator.
func FuzzFolderDir(f *testing.F) {
	for _, c := range folderCases {
		f.Add(c.name)
	}
	f.Fuzz(func(t *testing.T, name string) {
		dir := FolderDir(name, '/')
		if strings.EqualFold(name, "INBOX") {
			return
		}
		if strings.ContainsAny(dir, `/\:`) || strings.EqualFold(dir, StateDir) || dir == "" {
			t.Fatalf("FolderDir(%q) = %q", name, dir)
		}
		levels, ok := decodeFolderDir(dir)
		if !ok || !slices.Equal(levels, strings.Split(name, "/")) {
			t.Fatalf("decode(FolderDir(%q) = %q) = %q, %v", name, dir, levels, ok)
		}
	})
}
