package gui

import (
	"context"
	"errors"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/backup/search"
)

// pageSize is how many hits one search asks for. The list shows only the rows on screen
// as widgets and fetches the page a row falls into when it scrolls into view, so a
// backup of 100,000 messages costs no more than one of a thousand.
const pageSize = 200

// maxPages caps the pages kept in memory; scrolling far drops the others.
const maxPages = 20

// backupBrowser is the "Browse backup" window of one POP3 account: a search field and
// filters, the list of the messages found (date, sender, subject, size), newest first,
// and a reader for the selected one (browser_reader.go). All reading and searching runs
// off the UI thread; closing the window cancels what still runs.
type backupBrowser struct {
	u    *UI
	acct accounts.Account
	win  fyne.Window
	ctx  context.Context
	stop context.CancelFunc

	words      *widget.Entry
	from       *widget.Entry
	since      *widget.Entry
	before     *widget.Entry
	attachment *widget.Check
	searchBtn  *widget.Button
	list       *widget.List
	status     *widget.Label
	indexBar   *widget.ProgressBar
	indexText  *widget.Label
	stopIndex  *widget.Button
	indexRow   *fyne.Container
	exportMbox *widget.Button
	exportEML  *widget.Button
	reader     *messageReader

	// Owned by the UI thread. gen grows with each new query, so that pages of an older
	// query that arrive late are dropped.
	query   search.Query
	gen     int
	total   int
	pages   map[int][]search.Hit
	pending map[int]bool

	// Seams for tests: where an export or a saved file goes (file dialogs by default).
	saveFile     func(name string, write func(fyne.URIWriteCloser))
	chooseFolder func(use func(dir string))
}

// showBrowser opens the backup browser of a POP3 account.
func (u *UI) showBrowser(id string) *backupBrowser {
	st := u.status[id]
	if st == nil || st.acct.Backup == nil {
		return nil
	}
	ctx, stop := context.WithCancel(u.ctx)
	b := &backupBrowser{u: u, acct: st.acct, ctx: ctx, stop: stop, pages: map[int][]search.Hit{}, pending: map[int]bool{}}
	b.win = u.app.NewWindow(lang.L("Backup of {{.Name}}", map[string]any{"Name": st.acct.Name}))
	b.saveFile, b.chooseFolder = b.saveDialog, b.folderDialog
	b.win.SetContent(b.buildUI())
	b.win.Resize(fyne.NewSize(1100, 720))
	b.win.SetOnClosed(stop)
	b.win.Show()
	b.startIndex()
	return b
}

func (b *backupBrowser) buildUI() fyne.CanvasObject {
	b.words = &widget.Entry{PlaceHolder: lang.L("Search words, e.g. invoice köln"), OnSubmitted: func(string) { b.onSearch() }}
	b.from = &widget.Entry{PlaceHolder: lang.L("Sender"), OnSubmitted: func(string) { b.onSearch() }}
	b.since = &widget.Entry{PlaceHolder: lang.L("From date (YYYY-MM-DD)"), OnSubmitted: func(string) { b.onSearch() }}
	b.before = &widget.Entry{PlaceHolder: lang.L("To date (YYYY-MM-DD)"), OnSubmitted: func(string) { b.onSearch() }}
	b.attachment = &widget.Check{Text: lang.L("With attachment"), OnChanged: func(bool) { b.onSearch() }}
	b.searchBtn = &widget.Button{Text: lang.L("Search"), Icon: theme.SearchIcon(), Importance: widget.HighImportance, OnTapped: b.onSearch}
	filters := container.NewGridWithColumns(4, b.from, b.since, b.before, b.attachment)
	top := container.NewVBox(container.NewBorder(nil, nil, nil, b.searchBtn, b.words), filters)

	b.indexBar = widget.NewProgressBar()
	b.indexText = &widget.Label{Importance: widget.LowImportance}
	b.stopIndex = &widget.Button{Text: lang.L("Stop"), Icon: theme.CancelIcon()}
	b.indexRow = container.NewBorder(nil, nil, nil, b.stopIndex, container.NewVBox(b.indexText, b.indexBar))
	b.indexRow.Hide()

	b.list = &widget.List{Length: func() int { return b.total }, CreateItem: newHitRow, UpdateItem: b.updateRow, OnSelected: b.onSelect}
	b.list.ExtendBaseWidget(b.list)
	b.status = &widget.Label{Importance: widget.LowImportance, Truncation: fyne.TextTruncateEllipsis}
	b.exportMbox = &widget.Button{Text: lang.L("Export results as mbox…"), Icon: theme.DocumentSaveIcon(), OnTapped: b.onExportMbox}
	b.exportEML = &widget.Button{Text: lang.L("Export results as .eml files…"), Icon: theme.FolderOpenIcon(), OnTapped: b.onExportEML}
	bottom := container.NewBorder(nil, nil, nil, container.NewHBox(b.exportMbox, b.exportEML), b.status)

	b.reader = newMessageReader(b)
	split := container.NewHSplit(container.NewBorder(nil, bottom, nil, nil, b.list), b.reader.buildUI())
	split.Offset = 0.55
	return container.NewBorder(container.NewVBox(top, b.indexRow), nil, nil, nil, split)
}

// newHitRow is the template of a list row: date, sender, subject, size.
func newHitRow() fyne.CanvasObject {
	date := &widget.Label{Text: "2006-01-02 15:04"}
	size := &widget.Label{Text: "999.9 MB", Alignment: fyne.TextAlignTrailing}
	from := &widget.Label{Truncation: fyne.TextTruncateEllipsis}
	subject := &widget.Label{Truncation: fyne.TextTruncateEllipsis, TextStyle: fyne.TextStyle{Bold: true}}
	return container.NewBorder(nil, nil, date, size, container.NewGridWithColumns(2, from, subject))
}

func (b *backupBrowser) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	row := o.(*fyne.Container)
	grid := row.Objects[0].(*fyne.Container)
	date, size := row.Objects[1].(*widget.Label), row.Objects[2].(*widget.Label)
	from, subject := grid.Objects[0].(*widget.Label), grid.Objects[1].(*widget.Label)
	h, ok := b.hit(i)
	if !ok {
		date.SetText("…")
		from.SetText("")
		subject.SetText("")
		size.SetText("")
		return
	}
	date.SetText(h.Date.Local().Format("2006-01-02 15:04"))
	from.SetText(senderName(h.From))
	subject.SetText(oneLine(h.Subject))
	size.SetText(formatBytes(h.Size))
}

// hit returns row i when its page is loaded, and asks for the page otherwise.
func (b *backupBrowser) hit(i int) (search.Hit, bool) {
	p := i / pageSize
	if hits, ok := b.pages[p]; ok {
		if j := i % pageSize; j < len(hits) {
			return hits[j], true
		}
		return search.Hit{}, false
	}
	b.fetchPage(p)
	return search.Hit{}, false
}

// startIndex brings the index up to date before the first search: the first time, with
// progress and a Stop button; stopping searches what was indexed so far.
func (b *backupBrowser) startIndex() {
	ctx, stop := context.WithCancel(b.ctx)
	b.stopIndex.OnTapped = stop
	b.indexText.SetText(lang.L("Preparing the search…"))
	b.indexBar.SetValue(0)
	b.indexRow.Show()
	b.searchBtn.Disable()
	id := b.acct.ID
	b.u.async(func() {
		err := b.u.core.IndexBackup(ctx, id, func(done, total int) {
			fyne.Do(func() {
				if total > 0 {
					b.indexBar.SetValue(float64(done) / float64(total))
				}
				b.indexText.SetText(lang.L("Indexing the backup for search: {{.Done}} of {{.Total}} messages", map[string]any{"Done": done, "Total": total}))
			})
		})
		stopped := ctx.Err() != nil
		stop()
		fyne.Do(func() {
			b.indexRow.Hide()
			b.searchBtn.Enable()
			if err != nil && !stopped {
				b.showProblem(err)
			}
			b.onSearch()
			if stopped && b.ctx.Err() == nil {
				b.status.SetText(lang.L("Indexing stopped: the results may be incomplete. Opening the browser again continues."))
			}
		})
	})
}

// readQuery builds the query from the search field and the filters.
func (b *backupBrowser) readQuery() (search.Query, error) {
	q := search.Query{Words: strings.TrimSpace(b.words.Text), From: strings.TrimSpace(b.from.Text), HasAttachment: b.attachment.Checked}
	var err error
	if q.Since, err = parseDay(b.since.Text); err != nil {
		return q, err
	}
	if q.Before, err = parseDay(b.before.Text); err != nil {
		return q, err
	}
	if !q.Before.IsZero() {
		q.Before = q.Before.AddDate(0, 0, 1) // "to" includes that day
	}
	return q, nil
}

var errBadDate = errors.New("bad date")

// parseDay reads a day as people type it: 2024-03-01 or, in German, 1.3.2024. Empty is
// the zero time.
func parseDay(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{"2006-01-02", "2.1.2006", "02.01.2006"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errBadDate
}

// onSearch runs the query of the search field and filters and shows its first page.
func (b *backupBrowser) onSearch() {
	q, err := b.readQuery()
	if err != nil {
		b.status.SetText(lang.L("Please write dates as YYYY-MM-DD, e.g. 2024-03-01."))
		return
	}
	b.query = q
	b.gen++
	b.pages = map[int][]search.Hit{}
	b.pending = map[int]bool{}
	b.list.UnselectAll()
	b.reader.clear()
	b.status.SetText(lang.L("Searching…"))
	b.fetchPage(0)
}

// fetchPage loads page p of the current query in the background.
func (b *backupBrowser) fetchPage(p int) {
	if b.pending[p] {
		return
	}
	b.pending[p] = true
	gen, q, id := b.gen, b.query, b.acct.ID
	q.Offset, q.Limit = p*pageSize, pageSize
	b.u.async(func() {
		res, err := b.u.core.SearchBackup(b.ctx, id, q)
		fyne.Do(func() {
			if gen != b.gen {
				return
			}
			delete(b.pending, p)
			if err != nil {
				if b.ctx.Err() == nil {
					b.status.SetText(explain(err, b.acct, nil).summary())
				}
				return
			}
			b.keepPage(p, res.Hits)
			b.total = res.Total
			b.status.SetText(lang.N("{{.Count}} messages", res.Total, map[string]any{"Count": res.Total}))
			b.list.Refresh()
		})
	})
}

// keepPage stores a page and forgets the pages farthest from it beyond maxPages.
func (b *backupBrowser) keepPage(p int, hits []search.Hit) {
	b.pages[p] = hits
	for len(b.pages) > maxPages {
		far, dist := -1, -1
		for k := range b.pages {
			if d := abs(k - p); d > dist {
				far, dist = k, d
			}
		}
		delete(b.pages, far)
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func (b *backupBrowser) onSelect(i widget.ListItemID) {
	if h, ok := b.hit(i); ok {
		b.reader.show(h)
	}
}

// showProblem explains an error in the browser's window.
func (b *backupBrowser) showProblem(err error) {
	p := explain(err, b.acct, nil)
	dialog.NewCustom(p.Title, lang.L("Close"), sized(problemView(p), 520, 0), b.win).Show()
}

// senderName is the name part of "Name <address>", or the address.
func senderName(from string) string {
	if i := strings.Index(from, " <"); i > 0 {
		return strings.Trim(from[:i], `"`)
	}
	return strings.Trim(from, "<>")
}

// oneLine joins a folded header onto one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
