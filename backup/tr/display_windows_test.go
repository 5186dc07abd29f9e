package tr

import "testing"

// TestDisplayLanguages checks that Windows names at least one display language, so
// Detect follows it rather than falling back to the POSIX variables.
func TestDisplayLanguages(t *testing.T) {
	l := displayLanguages()
	if len(l) == 0 {
		t.Fatal("no display language")
	}
	t.Logf("display languages %q → %s", l, Detect())
}
