package cli

import (
	"testing"

	"github.com/postfach/postfach/accounts/discover"
	"github.com/postfach/postfach/backup/cli/tr"
)

// TestEveryNoteWorded fails when a provider hint or a confirmation reason has no text
// of its own in English or German.
func TestEveryNoteWorded(t *testing.T) {
	en, de := &Env{Lang: tr.English}, &Env{Lang: tr.German}
	const fallback = "fallback text"
	for _, code := range discover.NoteCodes {
		n := discover.Note{Code: code, Text: fallback, Detail: "detail"}
		e, d := noteText(en, n), noteText(de, n)
		if e == fallback || d == fallback || e == d {
			t.Errorf("%s: English %q, German %q", code, e, d)
		}
	}
	for _, code := range []string{discover.ReasonHTTP, discover.ReasonOtherDomain, discover.ReasonPlaintext} {
		c := discover.Candidate{ConfirmCodes: []string{code}, ConfirmReason: fallback}
		e, d := confirmText(en, c), confirmText(de, c)
		if e == fallback || d == fallback || e == d {
			t.Errorf("%s: English %q, German %q", code, e, d)
		}
	}
	if got := noteText(de, discover.Note{Code: "future", Text: fallback, Link: "https://x"}); got != fallback+" (https://x)" {
		t.Errorf("unknown code: %q", got)
	}
}
