package cli

import (
	"errors"
	"fmt"
	"testing"

	"github.com/postfach/postfach/accounts/mailerr"
	"github.com/postfach/postfach/backup"
)

// TestEveryKindExplained fails when an error kind has no sentence of its own.
func TestEveryKindExplained(t *testing.T) {
	seen := map[string]backup.Kind{}
	for _, k := range backup.Kinds() {
		advice := advise(&backup.KindError{Kind: k, Text: "detail"})
		switch {
		case k == backup.KindUnknown && advice != "":
			t.Errorf("unknown: %q", advice)
		case k != backup.KindUnknown && advice == "":
			t.Errorf("%s: no explanation", k)
		case advice != "" && seen[advice] != "":
			t.Errorf("%s and %s share %q", k, seen[advice], advice)
		}
		seen[advice] = k
	}
}

// TestExplainUsesKindNotText checks that only the sentinel in the chain counts.
func TestExplainUsesKindNotText(t *testing.T) {
	if got := Explain(fmt.Errorf("retr 3: %w", mailerr.ErrProtocol)); got == "retr 3: "+mailerr.ErrProtocol.Error() {
		t.Errorf("protocol error unexplained: %q", got)
	}
	text := "retr 3: " + mailerr.ErrProtocol.Error()
	if got := Explain(errors.New(text)); got != text {
		t.Errorf("explained by its text: %q", got)
	}
}
