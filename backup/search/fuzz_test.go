package search

import (
	"context"
	"testing"
)

// FuzzQuery feeds arbitrary typed text to Search: whatever people type, the FTS5 query
// built from it must be valid (no syntax error reaches the user) and Search must not fail.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{"köln", `"neues Jahr"`, "frühst*", `köln OR NOT "`, "-- !", `a"b`, `"*`,
		"NEAR(a b)", "col:word", "^start", "a AND", "(", "\x00", `""`, "*", "x*y", "ß*"} {
		f.Add(s, "müller")
	}
	ix := openUpdated(f, storeGolden(f))
	f.Fuzz(func(t *testing.T, words, from string) {
		if _, err := ix.Search(context.Background(), Query{Words: words, From: from, Limit: 5}); err != nil {
			t.Errorf("Search(%q, from %q): %v", words, from, err)
		}
	})
}
