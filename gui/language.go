package gui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"github.com/postfach/postfach/assets"
	"github.com/postfach/postfach/backup/tr"
)

// followLanguage makes the app speak the language the command line speaks (tr.Detect):
// POSTFACH_LANG when set, on Windows the display language, else the locale. Fyne decides
// from the system locale alone — on Windows that is the regional format
// (GetUserDefaultLocaleName), so someone with English Windows and German number formats
// would get German. Where the two differ, the wanted catalog is registered under the
// system locale's own tag, which Fyne then prefers to the language-only catalogs.
func followLanguage() {
	sys := lang.SystemLocale()
	file, ok := overrideCatalog(tr.Detect(), sys)
	if !ok {
		return
	}
	data, err := assets.Translations.ReadFile("translations/" + file)
	if err == nil {
		err = lang.AddTranslationsForLocale(data, sys)
	}
	if err != nil {
		fyne.LogError("follow the display language", err)
	}
}

// overrideCatalog returns the catalog to register under the system locale's tag so that
// the app speaks want, or false when Fyne picks want by itself: German for a German system
// locale, English for every other.
func overrideCatalog(want string, system fyne.Locale) (file string, ok bool) {
	sysLang, _, _ := strings.Cut(strings.ToLower(string(system)), "-")
	picked := tr.English
	if sysLang == tr.German {
		picked = tr.German
	}
	if want == picked || sysLang == want {
		return "", false
	}
	return want + ".json", true
}
