package search

import "strings"

// germanFolder writes umlauts and ß the way German is typed without them. The index and
// the queries go through it, then through FTS5's unicode61 tokenizer, which folds case
// and drops the remaining accents (remove_diacritics 2).
var germanFolder = strings.NewReplacer(
	"ä", "ae", "ö", "oe", "ü", "ue", "Ä", "Ae", "Ö", "Oe", "Ü", "Ue", "ß", "ss", "ẞ", "SS",
	// Decomposed forms (a + U+0308), as macOS writes them in file names.
	"a\u0308", "ae", "o\u0308", "oe", "u\u0308", "ue", "A\u0308", "Ae", "O\u0308", "Oe", "U\u0308", "Ue",
)

// fold prepares text for the index and for queries.
func fold(s string) string { return germanFolder.Replace(s) }

// foldKey prepares text for substring filters (the sender): folded and lower-case.
func foldKey(s string) string { return strings.ToLower(fold(s)) }
