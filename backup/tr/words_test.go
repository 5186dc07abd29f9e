package tr

import (
	"testing"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/discover"
)

// TestEveryNoteWorded fails when a provider hint or a confirmation reason has no text
// of its own in English or German.
func TestEveryNoteWorded(t *testing.T) {
	en, de := New(English), New(German)
	const fallback = "fallback text"
	for _, code := range discover.NoteCodes {
		n := discover.Note{Code: code, Text: fallback, Detail: "detail", Link: "https://x"}
		e, d := NoteText(en, n), NoteText(de, n)
		if e == fallback || d == fallback || e == d {
			t.Errorf("%s: English %q, German %q", code, e, d)
		}
	}
	for _, code := range []string{discover.ReasonHTTP, discover.ReasonOtherDomain, discover.ReasonPlaintext} {
		e, d := ConfirmText(en, []string{code}, fallback), ConfirmText(de, []string{code}, fallback)
		if e == fallback || d == fallback || e == d {
			t.Errorf("%s: English %q, German %q", code, e, d)
		}
	}
	if got := NoteText(de, discover.Note{Code: "future", Text: fallback, Link: "https://x"}); got != fallback+" (https://x)" {
		t.Errorf("unknown code: %q", got)
	}
	if got := ConfirmText(de, []string{"future"}, fallback); got != fallback {
		t.Errorf("unknown reason: %q", got)
	}
}

func TestRetentionText(t *testing.T) {
	for _, tc := range []struct {
		r    accounts.Retention
		lang string
		want string
	}{
		{accounts.Retention{Mode: accounts.DeleteAfter, Days: 14}, English, "deleted from the server 14 days after the backup"},
		{accounts.Retention{Mode: accounts.DeleteAfter, Days: 1}, English, "deleted from the server 1 day after the backup"},
		{accounts.Retention{Mode: accounts.DeleteNow}, English, "deleted from the server right after the backup"},
		{accounts.Retention{Mode: accounts.KeepForever}, English, "kept on the server"},
	} {
		if got := RetentionText(New(tc.lang), tc.r); got != tc.want {
			t.Errorf("RetentionText(%+v) = %q, want %q", tc.r, got, tc.want)
		}
	}
	if got := RetentionText(New(German), accounts.Retention{Mode: accounts.KeepForever}); got == "kept on the server" {
		t.Errorf("German retention text is English: %q", got)
	}
}
