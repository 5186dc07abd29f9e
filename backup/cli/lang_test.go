package cli

import (
	"runtime"
	"strings"
	"testing"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/backup/tr"
)

// TestGermanFromLANG runs commands the way Main sets them up, with a German locale, and
// checks that people read German while exit codes and --json stay as they are.
func TestGermanFromLANG(t *testing.T) {
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANGUAGE", tr.OverrideEnv} {
		t.Setenv(v, "")
	}
	t.Setenv("LANG", "de_DE.UTF-8")
	if runtime.GOOS == "windows" {
		t.Setenv(tr.OverrideEnv, "de") // there the display language decides, not LANG
	}
	t.Setenv(accounts.HomeEnv, t.TempDir())
	env, err := processEnv()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"help"}, ExitOK, "Ohne Argumente öffnet postfach die Desktop-App. Befehle:", ""},
		{[]string{"help"}, ExitOK, "die genannten (oder alle) POP3-Konten jetzt sichern", ""},
		{[]string{"account", "list"}, ExitOK, "Noch keine Konten.", ""},
		{[]string{"account", "list", "--json"}, ExitOK, "[]", ""},
		{[]string{"frobnicate"}, ExitUsage, "", "postfach: unbekannter Befehl \"frobnicate\"\n„postfach help“ zeigt die Bedienung.\n"},
		{[]string{"test"}, ExitUsage, "", "test braucht genau einen Kontonamen"},
		{[]string{"test", "Nobody"}, ExitFail, "", "Es gibt kein Konto mit diesem Namen; siehe „postfach account list“."},
		{[]string{"archive", "X", "--older-than", "soon"}, ExitUsage, "", "\"soon\" ist kein Alter wie 2y"},
	}
	for _, tc := range tests {
		r := runCLI(t, env, "", tc.args...)
		if r.code != tc.code || !strings.Contains(r.stdout, tc.stdout) || !strings.Contains(r.stderr, tc.stderr) {
			t.Errorf("%v: %+v; want code %d, stdout with %q, stderr with %q", tc.args, r, tc.code, tc.stdout, tc.stderr)
		}
	}
}

// TestEnglishByDefault checks that an Env without a language speaks English, as the
// other tests of this package expect.
func TestEnglishByDefault(t *testing.T) {
	r := runCLI(t, newEnv(t), "", "account", "list")
	if !strings.Contains(r.stdout, "No accounts yet.") {
		t.Errorf("got %+v", r)
	}
}
