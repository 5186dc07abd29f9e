// Package assets holds the files the desktop app embeds: the application icon and the
// German and English translations. They live here, outside gui/, because FyneApp.toml
// and `fyne package` read the icon from this folder too, and go:embed cannot reach
// into a parent directory.
package assets

import "embed"

//go:generate go run mkicon.go

// Icon is the 512×512 application icon (PNG), drawn by mkicon.go.
//
//go:embed icon.png
var Icon []byte

// Translations holds translations/en.json and translations/de.json for
// lang.AddTranslationsFS(Translations, "translations"). Keys are the English texts.
//
//go:embed translations
var Translations embed.FS
