// Package tr words Postfach in German or English: the command line through its Printer,
// and both faces through the wordings they share (words.go). It reads the catalogs the
// desktop app reads (assets/translations/*.json, embedded by package assets) with the
// library Fyne's lang package uses underneath (go-i18n), parsed the way
// lang.AddTranslationsFS parses them, so a key is the English text with {{.Name}}
// template fields and a plural carries "one" and "other" forms in both faces alike. It
// does not import Fyne: the Windows console program postfach.com is built without it.
package tr

import (
	"encoding/json"
	"strings"
	"sync"
	"text/template"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"github.com/postfach/postfach/assets"
)

// The languages Postfach speaks.
const (
	English = "en"
	German  = "de"
)

// bundles parse one language's catalog once per process, and only when a text is
// first needed: `--json` runs never pay for it, and a run never parses the other
// language's file (about 4 ms and 2 MB each). A key missing from the catalog falls back
// to the key itself, the English text; the catalog test keeps that from happening.
var bundles = map[string]func() (*i18n.Bundle, error){English: loader(English), German: loader(German)}

func loader(lang string) func() (*i18n.Bundle, error) {
	return sync.OnceValues(func() (*i18n.Bundle, error) {
		b := i18n.NewBundle(language.English)
		b.RegisterUnmarshalFunc("json", json.Unmarshal)
		name := lang + ".json"
		data, err := assets.Translations.ReadFile("translations/" + name)
		if err != nil {
			return b, err
		}
		_, err = b.ParseMessageFileBytes(data, name)
		return b, err
	})
}

// Printer words texts in one language. The zero value is not usable; use New.
type Printer struct {
	lang string
	once sync.Once
	loc  *i18n.Localizer
}

// New returns a printer for lang (German or English; anything else is English).
func New(lang string) *Printer {
	if lang != German {
		lang = English
	}
	return &Printer{lang: lang}
}

// Lang returns the printer's language.
func (p *Printer) Lang() string { return p.lang }

func (p *Printer) localizer() *i18n.Localizer {
	p.once.Do(func() {
		b, _ := bundles[p.lang]() // a broken catalog is caught by the tests; at run time the key's English stands in
		p.loc = i18n.NewLocalizer(b, p.lang)
	})
	return p.loc
}

// L returns the text for key (the English text) in the printer's language, filling the
// template fields from data[0], like Fyne's lang.L.
func (p *Printer) L(key string, data ...any) string {
	return p.localize(key, nil, data)
}

// N is L for a text with plural forms ("one", "other") chosen by count, like Fyne's
// lang.N. The count is not added to the data: pass it as a field too.
func (p *Printer) N(key string, count int, data ...any) string {
	return p.localize(key, count, data)
}

func (p *Printer) localize(key string, count any, data []any) string {
	var d any
	if len(data) > 0 {
		d = data[0]
	}
	s, err := p.localizer().Localize(&i18n.LocalizeConfig{
		DefaultMessage: &i18n.Message{ID: key, Other: key},
		PluralCount:    count,
		TemplateData:   d,
	})
	if err != nil {
		return fill(key, d)
	}
	return s
}

// fill applies data to the key itself, the English text, when the catalog fails.
func fill(key string, data any) string {
	t, err := template.New("").Parse(key)
	if err != nil {
		return key
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return key
	}
	return b.String()
}
