package atomicfile_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/postfach/postfach/accounts/atomicfile"
)

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
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

func TestWriteFile(t *testing.T) {
	tests := []struct {
		name     string
		existing []byte // nil: no file before
		oldPerm  os.FileMode
		data     []byte
		perm     os.FileMode
	}{
		{name: "new file", data: []byte("hello\n"), perm: 0o600},
		{name: "new empty file", data: []byte{}, perm: 0o600},
		{name: "new file 0644", data: []byte("x"), perm: 0o644},
		{name: "replace longer with shorter", existing: []byte("a much longer old content\n"), oldPerm: 0o600, data: []byte("new"), perm: 0o600},
		{name: "replace shorter with longer", existing: []byte("old"), oldPerm: 0o600, data: []byte("the new and longer content\n"), perm: 0o600},
		{name: "replace with empty", existing: []byte("old"), oldPerm: 0o600, data: nil, perm: 0o600},
		{name: "tighten permissions", existing: []byte("secret"), oldPerm: 0o644, data: []byte("secret"), perm: 0o600},
		{name: "binary", data: []byte{0, 1, 2, 0xff, '\n', '\r'}, perm: 0o600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "config.json")
			if tt.existing != nil {
				if err := os.WriteFile(path, tt.existing, tt.oldPerm); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tt.oldPerm); err != nil {
					t.Fatal(err)
				}
			}
			if err := atomicfile.WriteFile(path, tt.data, tt.perm); err != nil {
				t.Fatalf("WriteFile() = %v", err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(tt.data) {
				t.Errorf("content = %q, want %q", got, tt.data)
			}
			if runtime.GOOS != "windows" {
				fi, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				// The permission is set explicitly, so the umask does not matter.
				if fi.Mode() != tt.perm {
					t.Errorf("mode = %v, want %v", fi.Mode(), tt.perm)
				}
			}
			if got := names(t, dir); len(got) != 1 || got[0] != "config.json" {
				t.Errorf("folder holds %q, want only config.json", got)
			}
		})
	}
}

func TestWriteFileRepeated(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state")
	for _, s := range []string{"one", "two", "three", ""} {
		if err := atomicfile.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(path); string(got) != s {
			t.Fatalf("content = %q, want %q", got, s)
		}
	}
	if got := names(t, dir); len(got) != 1 {
		t.Errorf("folder holds %q, want only state", got)
	}
}

// TestWriteFileReplacesSymlinkNotTarget: the rename replaces the link itself, so a link
// planted in the config folder cannot redirect the write elsewhere.
func TestWriteFileReplacesSymlinkNotTarget(t *testing.T) {
	dir := t.TempDir()
	elsewhere := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(elsewhere, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "config.json")
	if err := os.Symlink(elsewhere, path); err != nil {
		t.Skipf("no symlinks here: %v", err)
	}
	if err := atomicfile.WriteFile(path, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(elsewhere); string(got) != "keep" {
		t.Errorf("symlink target changed to %q", got)
	}
	if fi, err := os.Lstat(path); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("%s is not a regular file after WriteFile (%v)", path, err)
	}
}

func TestWriteFileErrors(t *testing.T) {
	t.Run("missing directory", func(t *testing.T) {
		root := t.TempDir()
		path := filepath.Join(root, "missing", "config.json")
		err := atomicfile.WriteFile(path, []byte("x"), 0o600)
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("WriteFile() = %v, want fs.ErrNotExist", err)
		}
		if got := names(t, root); len(got) != 0 {
			t.Errorf("left %q behind", got)
		}
	})
	t.Run("target is a directory", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "config.json")
		if err := os.Mkdir(path, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(path, "inside"), []byte("keep"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := atomicfile.WriteFile(path, []byte("x"), 0o600); err == nil {
			t.Fatal("WriteFile over a non-empty directory succeeded")
		}
		if got := names(t, dir); len(got) != 1 || got[0] != "config.json" {
			t.Errorf("folder holds %q: the temporary file was left behind", got)
		}
		if got, _ := os.ReadFile(filepath.Join(path, "inside")); string(got) != "keep" {
			t.Error("the directory's content changed")
		}
	})
	t.Run("error names the file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "nope", "config.json")
		err := atomicfile.WriteFile(path, nil, 0o600)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("WriteFile() = %v, want the path in the message", err)
		}
	})
}

func TestSyncDir(t *testing.T) {
	if err := atomicfile.SyncDir(t.TempDir()); err != nil {
		t.Errorf("SyncDir(existing) = %v", err)
	}
	if err := atomicfile.SyncDir(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("SyncDir(missing) = %v, want fs.ErrNotExist", err)
	}
}
