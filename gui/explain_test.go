package gui

import (
	"errors"
	"fmt"
	"testing"

	"github.com/postfach/postfach/accounts/mailerr"
	"github.com/postfach/postfach/backup"
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
