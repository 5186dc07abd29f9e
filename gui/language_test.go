package gui

import (
	"os"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"github.com/postfach/postfach/assets"
	"github.com/postfach/postfach/backup/tr"
)

func TestOverrideCatalog(t *testing.T) {
	for _, tc := range []struct {
		want   string
		system fyne.Locale
		file   string
	}{
		{tr.German, "de-DE", ""},
		{tr.English, "en-US", ""},
		{tr.English, "fr-FR", ""}, // Fyne falls back to English by itself
		{tr.German, "en-US", "de.json"},
		{tr.German, "fr-FR", "de.json"},
		{tr.English, "de-AT", "en.json"},
		{tr.English, "de", "en.json"},
	} {
		file, ok := overrideCatalog(tc.want, tc.system)
		if file != tc.file || ok != (tc.file != "") {
			t.Errorf("overrideCatalog(%s, %s) = %q, %v; want %q", tc.want, tc.system, file, ok, tc.file)
		}
	}
}

// TestAppFollowsPostfachLang: POSTFACH_LANG=de makes the app German under an English
// locale, as it makes the command line German.
func TestAppFollowsPostfachLang(t *testing.T) {
	t.Setenv("POSTFACH_LANG", tr.German) // restores the variable at the very end
	setLang(t, "en_US.UTF-8")
	// Cleanups run last first: this one, before setLang's reload, takes the override
	// away and puts the English catalog back under the tag the override used.
	t.Cleanup(func() {
		os.Unsetenv("POSTFACH_LANG")
		data, _ := assets.Translations.ReadFile("translations/en.json")
		_ = lang.AddTranslationsForLocale(data, lang.SystemLocale())
	})
	if got := lang.L("Back up now"); got == "Back up now" {
		t.Errorf("with POSTFACH_LANG=de the app says %q", got)
	}
}
