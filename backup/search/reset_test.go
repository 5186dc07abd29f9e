package search

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestReset damages the index in the ways a cache can be damaged and checks that it is
// never trusted: Open starts an empty index (and says why), or, for damage only a query
// meets, the query returns ErrCorrupt and Update rebuilds. Every case ends with all
// messages found again.
func TestReset(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, path string)
		want   Reset
	}{
		{"deleted", func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}, ResetMissing},
		{"garbage", func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("this is not a database, just some text"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, ResetDamaged},
		{"empty file", func(t *testing.T, path string) {
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}, ResetDamaged},
		{"truncated", func(t *testing.T, path string) {
			if err := os.Truncate(path, 4096); err != nil {
				t.Fatal(err)
			}
		}, ResetDamaged},
		{"newer version", func(t *testing.T, path string) { execSQL(t, path, "PRAGMA user_version = 99") }, ResetVersion},
		{"foreign database", func(t *testing.T, path string) {
			execSQL(t, path, "PRAGMA application_id = 42")
		}, ResetDamaged},
		{"pages overwritten", func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			fi, err := f.Stat()
			if err != nil {
				t.Fatal(err)
			}
			junk := make([]byte, fi.Size()-8192)
			for i := range junk {
				junk[i] = byte(i * 7)
			}
			if _, err := f.WriteAt(junk, 8192); err != nil {
				t.Fatal(err)
			}
		}, -1}, // found by Open or only by a query: either way rebuilt
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := storeGolden(t)
			ix := openUpdated(t, root)
			if err := ix.Close(); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(root, ".postfach", FileName)
			tt.damage(t, path)

			ix, err := Open(root)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer ix.Close()
			if tt.want >= 0 && ix.Reset() != tt.want {
				t.Errorf("Reset() = %v, want %v", ix.Reset(), tt.want)
			}
			if _, err := ix.Search(context.Background(), Query{Words: "köln"}); err != nil && !errors.Is(err, ErrCorrupt) {
				t.Errorf("search on a damaged index: %v, want ErrCorrupt or no error", err)
			}
			st, err := ix.Update(context.Background(), nil)
			if err != nil {
				t.Fatalf("Update: %v", err)
			}
			if st.Total != goldenCount {
				t.Errorf("after rebuild: %+v, want %d messages", st, goldenCount)
			}
			res, err := ix.Search(context.Background(), Query{Words: "köln"})
			if err != nil || res.Total != 5 {
				t.Errorf("after rebuild: %d hits, %v; want 5", res.Total, err)
			}
		})
	}
}

func TestRebuild(t *testing.T) {
	root := storeGolden(t)
	ix := openUpdated(t, root)
	var last Progress
	st, err := ix.Rebuild(context.Background(), func(p Progress) { last = p })
	if err != nil {
		t.Fatal(err)
	}
	if st.Added != goldenCount || last != (Progress{Done: goldenCount, Total: goldenCount}) {
		t.Errorf("rebuild: %+v, last progress %+v", st, last)
	}
}

func execSQL(t *testing.T, path, stmt string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(stmt); err != nil {
		t.Fatal(err)
	}
}
