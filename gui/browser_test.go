package gui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"

	"github.com/postfach/postfach/backup"
)

// openBrowser opens the backup browser of a POP3 account with n messages, with its file
// dialogs replaced: saved files go into a temporary folder, which it returns.
func openBrowser(t *testing.T, n int) (*UI, *fakeCore, *backupBrowser, string, *[]string) {
	t.Helper()
	core := newFakeCore()
	core.accts = append(core.accts, pop3Account("p1"))
	core.withBackup(n)
	core.history["p1"] = []backup.Result{{AccountID: "p1", Started: now.Add(-time.Hour), New: n}}
	u, opened := newTestUI(t, core)
	tap(t, u.win, "Browse backup")
	wins := u.app.Driver().AllWindows()
	if len(wins) < 2 || wins[len(wins)-1].Title() != "Backup of Mail p1" {
		t.Fatalf("no browser window; windows %d", len(wins))
	}
	b := u.showBrowser("p1")
	b.win.Resize(fyne.NewSize(1100, 720))
	out := t.TempDir()
	var saved []string
	b.saveFile = func(name string, write func(fyne.URIWriteCloser)) {
		path := filepath.Join(out, name)
		w, err := storage.Writer(storage.NewFileURI(path))
		if err != nil {
			t.Fatal(err)
		}
		saved = append(saved, path)
		write(w)
	}
	b.chooseFolder = func(use func(string)) { use(out) }
	t.Cleanup(func() {
		for _, l := range *opened {
			if l.Scheme == "file" {
				os.Remove(l.Path)
			}
		}
	})
	return u, core, b, out, &saved
}

func TestBrowserSearchSelectExport(t *testing.T) {
	_, core, b, out, saved := openBrowser(t, 1000)
	fb := core.backups
	if !fb.indexed || b.total != 1000 {
		t.Fatalf("indexed %v, total %d", fb.indexed, b.total)
	}
	assertShows(t, b.win, "1000 messages", "Select a message to read it.")
	// Only pages are asked for, never the whole list.
	for _, q := range fb.queries {
		if q.Limit <= 0 || q.Limit > pageSize {
			t.Errorf("query asks for %d rows", q.Limit)
		}
	}

	// Search and filters.
	test.Type(b.words, "köln")
	test.Tap(b.searchBtn)
	if b.total != 250 {
		t.Errorf("köln: %d hits, want 250", b.total)
	}
	test.Type(b.from, "anna3")
	b.attachment.SetChecked(true)
	if want := len(core.selected(b.query)); b.total != want || want == 0 || want >= 250 {
		t.Errorf("filtered: %d hits, fake says %d", b.total, want)
	}
	b.from.SetText("")
	b.attachment.SetChecked(false)
	b.since.SetText("nonsense")
	test.Tap(b.searchBtn)
	assertShows(t, b.win, "Please write dates as YYYY-MM-DD")
	b.since.SetText("")
	test.Tap(b.searchBtn)

	// Select: the reader shows the message.
	b.list.Select(0)
	first := b.pages[0][0]
	assertShows(t, b.win, first.Subject, "From: Anna <anna@example.de>", "To: ich@example.org", "Viele Grüße aus Köln",
		"Save rechnung.pdf (4 bytes)…", "Open in browser")

	// One message as .eml, byte-identical; its attachment; open in the mail program.
	tap(t, b.win, "Save as .eml…")
	tap(t, b.win, "Save rechnung.pdf (4 bytes)…")
	if len(*saved) != 2 {
		t.Fatalf("saved %v", *saved)
	}
	if got, _ := os.ReadFile((*saved)[0]); string(got) != fb.raw[first.File] || !strings.HasSuffix((*saved)[0], ".eml") {
		t.Errorf(".eml %s holds %q", (*saved)[0], got)
	}
	if got, _ := os.ReadFile((*saved)[1]); string(got) != "%PDF" {
		t.Errorf("attachment holds %q", got)
	}
	tap(t, b.win, "Open in mail program")
	tap(t, b.win, "Open in browser")

	// The results as mbox and as .eml files.
	tap(t, b.win, "Export results as mbox…")
	mbox, _ := os.ReadFile((*saved)[2])
	if n := strings.Count(string(mbox), "From MAILER-DAEMON"); n != 250 {
		t.Errorf("mbox holds %d messages, want 250", n)
	}
	assertShows(t, b.win, "250 messages exported.")
	tap(t, b.win, "Export results as .eml files…")
	if files, _ := filepath.Glob(filepath.Join(out, "0*.eml")); len(files) != 250 {
		t.Errorf("%d .eml files, want 250", len(files))
	}
}

func TestBrowserOpensFilesWithTheSystem(t *testing.T) {
	core := newFakeCore()
	core.accts = append(core.accts, pop3Account("p1"))
	fb := core.withBackup(3)
	u, opened := newTestUI(t, core)
	b := u.showBrowser("p1")
	b.list.Select(1)
	tap(t, b.win, "Open in mail program")
	tap(t, b.win, "Open in browser")
	if len(*opened) != 2 {
		t.Fatalf("opened %v", *opened)
	}
	for i, want := range []string{fb.raw[fb.hits[1].File], "<p>Viele Grüße</p>"} {
		l := (*opened)[i]
		got, err := os.ReadFile(l.Path)
		if err != nil || string(got) != want {
			t.Errorf("%s holds %q (%v), want %q", l, got, err, want)
		}
		os.Remove(l.Path)
	}
	if !strings.HasSuffix((*opened)[0].Path, ".eml") || !strings.HasSuffix((*opened)[1].Path, ".html") {
		t.Errorf("opened %v", *opened)
	}
}

// TestBrowserPages scrolls a long list: rows are fetched page by page as they come into
// view, and only a few pages are kept.
func TestBrowserPages(t *testing.T) {
	_, core, b, _, _ := openBrowser(t, 100000)
	fb := core.backups
	if b.total != 100000 {
		t.Fatalf("total %d", b.total)
	}
	b.list.ScrollToBottom()
	last := (100000 - 1) / pageSize * pageSize
	var sawLast bool
	for _, q := range fb.queries {
		if q.Limit != pageSize {
			t.Errorf("query with limit %d", q.Limit)
		}
		sawLast = sawLast || q.Offset == last
	}
	if !sawLast {
		t.Errorf("scrolling to the bottom did not fetch the last page (offset %d)", last)
	}
	for p := range 30 {
		b.keepPage(p*10, nil)
	}
	if len(b.pages) > maxPages {
		t.Errorf("%d pages kept", len(b.pages))
	}
}

func TestBrowserIndexProgressAndStop(t *testing.T) {
	core := newFakeCore()
	core.accts = append(core.accts, pop3Account("p1"))
	fb := core.withBackup(10)
	fb.indexDone = []int{5}
	u, _ := newTestUI(t, core)
	b := u.showBrowser("p1")
	if b.indexRow.Visible() || b.total != 10 {
		t.Errorf("after indexing: row visible %v, total %d", b.indexRow.Visible(), b.total)
	}
	if b.indexBar.Value != 0.5 {
		t.Errorf("progress %v, want 0.5", b.indexBar.Value)
	}
}

func TestBrowseNeedsABackup(t *testing.T) {
	core := newFakeCore()
	core.accts = append(core.accts, pop3Account("p1"))
	u, _ := newTestUI(t, core)
	if !button(t, u.win, "Browse backup").Disabled() {
		t.Error("Browse backup is enabled before the first backup")
	}
}

func TestBrowserGerman(t *testing.T) {
	setLang(t, "de_DE.UTF-8")
	core := newFakeCore()
	core.accts = append(core.accts, pop3Account("p1"))
	core.withBackup(5)
	u, _ := newTestUI(t, core)
	assertShows(t, u.win, "Sicherung durchsuchen")
	b := u.showBrowser("p1")
	b.list.Select(0)
	assertShows(t, b.win, "5 Nachrichten", "Als .eml speichern…", "Im Mailprogramm öffnen", "Im Browser öffnen")
}
