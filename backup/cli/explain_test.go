package cli

import (
	"errors"
	"fmt"
	"testing"

	"github.com/postfach/postfach/accounts/mailerr"
	"github.com/postfach/postfach/backup"
	"github.com/postfach/postfach/backup/tr"
)

// TestEveryKindExplained fails when an error kind has no sentence of its own, in
// English or in German.
func TestEveryKindExplained(t *testing.T) {
	en, de := &Env{Lang: tr.English}, &Env{Lang: tr.German}
	for _, env := range []*Env{en, de} {
		seen := map[string]backup.Kind{}
		for _, k := range backup.Kinds() {
			err := &backup.KindError{Kind: k, Text: "detail"}
			advice := env.advise(err)
			switch {
			case k == backup.KindUnknown && advice != "":
				t.Errorf("%s: unknown: %q", env.Lang, advice)
			case k != backup.KindUnknown && advice == "":
				t.Errorf("%s: %s: no explanation", env.Lang, k)
			case advice != "" && seen[advice] != "":
				t.Errorf("%s: %s and %s share %q", env.Lang, k, seen[advice], advice)
			case env == de && advice != "" && advice == en.advise(err):
				t.Errorf("%s: not in German: %q", k, advice)
			}
			seen[advice] = k
		}
	}
}

// TestExplainUsesKindNotText checks that only the sentinel in the chain counts.
func TestExplainUsesKindNotText(t *testing.T) {
	env := &Env{}
	if got := env.explain(fmt.Errorf("retr 3: %w", mailerr.ErrProtocol)); got == "retr 3: "+mailerr.ErrProtocol.Error() {
		t.Errorf("protocol error unexplained: %q", got)
	}
	text := "retr 3: " + mailerr.ErrProtocol.Error()
	if got := env.explain(errors.New(text)); got != text {
		t.Errorf("explained by its text: %q", got)
	}
}
