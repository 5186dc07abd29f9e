package gui

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/postfach/postfach/accounts/discover"
	"github.com/postfach/postfach/accounts/mailerr"
	"github.com/postfach/postfach/backup"
	"github.com/postfach/postfach/backup/tr"
)

// TestEveryKindExplained fails when an error kind has no explanation of its own, in
// English or in German: explain's switch must cover every kind backup.KindOf returns.
func TestEveryKindExplained(t *testing.T) {
	explainAll := func() map[backup.Kind]problem {
		out := map[backup.Kind]problem{}
		for _, k := range backup.Kinds() {
			out[k] = explain(&backup.KindError{Kind: k, Text: "detail"}, pop3Account("p1"), nil)
		}
		return out
	}
	setLang(t, "en_US.UTF-8")
	en := explainAll()
	setLang(t, "de_DE.UTF-8")
	de := explainAll()
	for _, k := range backup.Kinds() {
		if en[k].Title == "" || en[k].Text == "" {
			t.Errorf("%s: no English text: %+v", k, en[k])
		}
		if k != backup.KindUnknown && en[k].Title == en[backup.KindUnknown].Title {
			t.Errorf("%s: falls through to the generic explanation", k)
		}
		if de[k].Title == en[k].Title {
			t.Errorf("%s: German title %q is the English one", k, de[k].Title)
		}
	}
}

// TestExplainUsesKindNotText checks that rewording an error cannot change its
// explanation: only the sentinel in the chain counts.
func TestExplainUsesKindNotText(t *testing.T) {
	setLang(t, "en_US.UTF-8")
	byKind := explain(fmt.Errorf("retr 3: %w", mailerr.ErrProtocol), pop3Account("p1"), nil)
	byText := explain(errors.New("retr 3: "+mailerr.ErrProtocol.Error()), pop3Account("p1"), nil)
	if byKind.Title == byText.Title || byText.Title != "Something went wrong" {
		t.Errorf("by kind %q, by text %q", byKind.Title, byText.Title)
	}
	if !isTemporary(fmt.Errorf("dial: %w", mailerr.ErrUnreachable)) || isTemporary(mailerr.ErrAuthFailed) {
		t.Error("isTemporary")
	}
}

// TestEveryNoteWorded fails when a provider hint from discovery has no wording of its
// own: tr.NoteText, through the app's Fyne translator, must cover every discover.NoteCode, in English and in German, and keep
// the provider's words and link.
func TestEveryNoteWorded(t *testing.T) {
	const fallback = "core's English fallback"
	word := func() map[discover.NoteCode]string {
		out := map[discover.NoteCode]string{}
		for _, c := range discover.NoteCodes {
			out[c] = tr.NoteText(fyneText{}, discover.Note{Code: c, Text: fallback, Detail: "DETAIL", Link: "https://example.org/help"})
		}
		return out
	}
	setLang(t, "en_US.UTF-8")
	en := word()
	setLang(t, "de_DE.UTF-8")
	de := word()
	for _, c := range discover.NoteCodes {
		if strings.Contains(en[c], fallback) || !strings.HasSuffix(en[c], " (https://example.org/help)") {
			t.Errorf("%s: English %q", c, en[c])
		}
		if de[c] == en[c] {
			t.Errorf("%s: no German text (%q)", c, de[c])
		}
	}
	for _, c := range []discover.NoteCode{discover.NoteEnable, discover.NoteHelp, discover.NoteAuthOnly} {
		if !strings.Contains(de[c], "DETAIL") {
			t.Errorf("%s: the provider's words are missing in %q", c, de[c])
		}
	}
}

// TestPasswordHintsFromProviderTable: a refused login of an account set up long ago still
// gets its provider's hints (from the built-in table), in the app's language.
func TestPasswordHintsFromProviderTable(t *testing.T) {
	setLang(t, "de_DE.UTF-8")
	a := pop3Account("p1")
	a.Email = "anna@outlook.de"
	hints := passwordHints(a, nil)
	if len(hints) < 2 || !strings.Contains(hints[0], "Mit Microsoft anmelden") || !strings.Contains(hints[1], "POP") {
		t.Errorf("hints for outlook.de: %q", hints)
	}
}
