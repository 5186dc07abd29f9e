package gui

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/assets"
	"github.com/postfach/postfach/backup"
)

// keySources are the code that words texts from the same catalogs: the desktop app
// through Fyne's lang.L, lang.N and lang.X, the command line through env.L and env.N
// (backup/cli, which cannot import Fyne; package backup/tr loads the catalogs for it),
// and the wordings both faces share through a tr.Translator t (backup/tr/words.go).
var keySources = []struct{ glob, recv string }{
	{"*.go", "lang"},
	{"../backup/cli/*.go", "env"},
	{"../backup/tr/*.go", "t"},
}

// usedKeys returns every literal key passed to the translating calls of keySources,
// with whether it is a plural. A key used as a plural in one place and a plain text in
// another is an error: the catalog holds one form.
func usedKeys(t *testing.T) map[string]bool {
	t.Helper()
	keys := map[string]bool{}
	fset := token.NewFileSet()
	for _, src := range keySources {
		files, _ := filepath.Glob(src.glob)
		if len(files) == 0 {
			t.Fatalf("no files match %s", src.glob)
		}
		for _, f := range files {
			collectKeys(t, fset, f, src.recv, keys)
		}
	}
	return keys
}

// collectKeys adds the literal keys of recv.L, recv.N and recv.X calls in file f.
func collectKeys(t *testing.T, fset *token.FileSet, f, recv string, keys map[string]bool) {
	t.Helper()
	if strings.HasSuffix(f, "_test.go") {
		return
	}
	file, err := parser.ParseFile(fset, f, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	ast.Inspect(file, func(n ast.Node) bool {
		// fyneText only passes the shared wordings' keys on to Fyne; they are checked
		// where they are written (backup/tr).
		if fn, ok := n.(*ast.FuncDecl); ok && fn.Recv != nil && types.ExprString(fn.Recv.List[0].Type) == "fyneText" {
			return false
		}
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || len(call.Args) == 0 {
			return true
		}
		if id, ok := sel.X.(*ast.Ident); !ok || id.Name != recv || !slices.Contains([]string{"L", "N", "X"}, sel.Sel.Name) {
			return true
		}
		lit, ok := call.Args[0].(*ast.BasicLit)
		if !ok {
			t.Errorf("%s: %s.%s needs a literal key so translators and tools find it", fset.Position(call.Pos()), recv, sel.Sel.Name)
			return true
		}
		key, _ := strconv.Unquote(lit.Value)
		plural := sel.Sel.Name == "N"
		if was, ok := keys[key]; ok && was != plural {
			t.Errorf("%s: %q is a plural in one place and a plain text in another", fset.Position(call.Pos()), key)
		}
		keys[key] = plural
		return true
	})
}

func readTranslations(t *testing.T, name string) map[string]any {
	t.Helper()
	data, err := assets.Translations.ReadFile("translations/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

var templateVar = regexp.MustCompile(`\{\{\.[A-Za-z]+\}\}`)

func vars(s string) []string {
	v := templateVar.FindAllString(s, -1)
	slices.Sort(v)
	return slices.Compact(v)
}

// TestTranslationsComplete checks that every text in the code is translated into German
// and English, that no translation is stale, and that translations use the same
// template variables as the key.
func TestTranslationsComplete(t *testing.T) {
	used := usedKeys(t)
	if len(used) < 100 {
		t.Fatalf("found only %d keys: is the parser still looking at the right calls?", len(used))
	}
	for _, lang := range []string{"en.json", "de.json"} {
		tr := readTranslations(t, lang)
		for key, plural := range used {
			v, ok := tr[key]
			if !ok {
				t.Errorf("%s: missing %q", lang, key)
				continue
			}
			forms := map[string]any{"other": v}
			if plural {
				m, ok := v.(map[string]any)
				if !ok || m["one"] == nil || m["other"] == nil {
					t.Errorf("%s: %q needs \"one\" and \"other\" forms", lang, key)
					continue
				}
				forms = m
			}
			for form, text := range forms {
				s, _ := text.(string)
				if s == "" {
					t.Errorf("%s: %q (%s) is empty", lang, key, form)
				}
				if !plural && !slices.Equal(vars(s), vars(key)) && !strings.Contains(key, ".") {
					t.Errorf("%s: %q uses %v, the key %v", lang, key, vars(s), vars(key))
				}
			}
		}
		for key := range tr {
			if _, ok := used[key]; !ok {
				t.Errorf("%s: %q is not used any more", lang, key)
			}
		}
	}
}

func TestGermanWizardAndOverview(t *testing.T) {
	setLang(t, "de_DE.UTF-8")
	core := newFakeCore()
	u, _ := newTestUI(t, core)
	assertShows(t, u.win, "Welche E-Mail-Adresse?", "Schritt 1 von 3", "Schlüsselbund")
	test.Type(u.wizard.address.address, "anna@example.org")
	test.Type(u.wizard.address.password, "geheim")
	tap(t, u.win, "Weiter")
	assertShows(t, u.win, "POP3 oder IMAP: Wo sollen Ihre Mails liegen?",
		"Wählen Sie mit Bedacht: Ein späterer Wechsel ist schwierig",
		"Beantworten Sie die Fragen für eine Empfehlung.")
	d := u.wizard.decision
	d.shared.SetSelected(d.shared.Options[1])
	assertShows(t, u.win, "Unsere Empfehlung: IMAP.")
	tap(t, u.win, "POP3 für diese Adresse verwenden")
	tap(t, u.win, "Weiter")
	assertShows(t, u.win, "Posteingangsserver", "Verbindung testen")
	tap(t, u.win, "Verbindung testen")
	assertShows(t, u.win, "Verbunden und angemeldet.")
	tap(t, u.win, "Weiter")
	assertShows(t, u.win, "Sicherung Ihrer Mails", "Einige Tage nach der Sicherung vom Server entfernen (empfohlen)",
		"Sie haben angegeben, dass weitere Geräte diese Adresse lesen")
	tap(t, u.win, "Konto speichern")
	runJobs(u)
	assertShows(t, u.win, "Letzte Sicherung: heute um 10:00, erfolgreich: 2 neue Nachrichten (2,4 MB)",
		"Jetzt sichern", "Sicherungsordner öffnen", "Konto hinzufügen",
		"Mails werden 14 Tage nach der Sicherung vom Server gelöscht.")
	if got := formatWhen(now.AddDate(0, 0, 10), now); got != "12.03.2026 10:00" {
		t.Errorf("German date: %q", got)
	}
	lines, _ := u.trayContent()
	if len(lines) != 1 || lines[0] != "anna@example.org: gesichert heute um 10:00" {
		t.Errorf("German tray: %q", lines)
	}
	menu := trayMenu(lines, true, func() {}, func() {})
	item(t, menu, "Alle jetzt sichern")
	item(t, menu, "Postfach öffnen")
}

func TestGermanExplanations(t *testing.T) {
	setLang(t, "de_DE.UTF-8")
	p := explain(fmt.Errorf("add: %w", accounts.ErrDuplicate), pop3Account("p1"), nil)
	if p.Title != "Es gibt schon ein Konto mit diesem Namen" {
		t.Errorf("title %q", p.Title)
	}
	p = explain((&backup.Result{Err: "run: " + backup.ErrFolderMissing.Error(), Kind: backup.KindFolderMissing}).Failure(), pop3Account("p1"), nil)
	if p.Title != "Der Sicherungsordner fehlt" || !strings.Contains(p.Text, "/backup/p1") {
		t.Errorf("from history text: %q %q", p.Title, p.Text)
	}
	if got := describeSchedule(accounts.Schedule{Kind: accounts.Hourly, Hours: 1}); got != "stündlich" {
		t.Errorf("hourly: %q", got)
	}
	if got := newMessages(1); got != "1 neue Nachricht" {
		t.Errorf("plural one: %q", got)
	}
}

func TestEnglishIsTheDefaultForOtherLanguages(t *testing.T) {
	setLang(t, "fr_FR.UTF-8")
	if got := newMessages(2); got != "2 new messages" {
		t.Errorf("French falls back to English, got %q", got)
	}
}
