package gui

import (
	"context"
	"errors"
	"strings"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"github.com/postfach/postfach/backup/search"
)

// Exports from the backup browser: the results of the current search as one mbox file
// or as .eml files in a folder, with progress and a Stop button. Exports only read the
// backup.

// saveDialog asks where to save a new file named name; write gets the open file.
func (b *backupBrowser) saveDialog(name string, write func(fyne.URIWriteCloser)) {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			b.showProblem(err)
			return
		}
		if w != nil {
			write(w)
		}
	}, b.win)
	d.SetFileName(name)
	d.Resize(fyne.NewSize(800, 560))
	d.Show()
}

// folderDialog asks for a folder; use gets its path.
func (b *backupBrowser) folderDialog(use func(dir string)) {
	d := dialog.NewFolderOpen(func(l fyne.ListableURI, err error) {
		if err != nil {
			b.showProblem(err)
			return
		}
		if l != nil {
			use(l.Path())
		}
	}, b.win)
	d.Resize(fyne.NewSize(800, 560))
	d.Show()
}

// writeInBackground fills a file chosen in a save dialog off the UI thread and closes
// it; a file that could not be written completely is removed again.
func (b *backupBrowser) writeInBackground(w fyne.URIWriteCloser, write func(fyne.URIWriteCloser) error) {
	b.u.async(func() {
		err := write(w)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			_ = storage.Delete(w.URI())
		}
		fyne.Do(func() {
			if err != nil {
				b.showProblem(err)
			}
		})
	})
}

// exportJob shows an export's progress with a Stop button and runs it off the UI
// thread; run returns the number of messages written.
func (b *backupBrowser) exportJob(run func(ctx context.Context, progress func(done, total int)) (int, error), done func(n int, err error)) {
	ctx, stop := context.WithCancel(b.ctx)
	bar := widget.NewProgressBar()
	text := widget.NewLabel(lang.L("Exporting…"))
	d := dialog.NewCustom(lang.L("Exporting messages"), lang.L("Stop"), sized(container.NewVBox(text, bar), 420, 0), b.win)
	d.SetOnClosed(stop)
	d.Show()
	b.exportMbox.Disable()
	b.exportEML.Disable()
	b.u.async(func() {
		n, err := run(ctx, func(done, total int) {
			fyne.Do(func() {
				if total > 0 {
					bar.SetValue(float64(done) / float64(total))
				}
				text.SetText(lang.L("{{.Done}} of {{.Total}} messages exported", map[string]any{"Done": done, "Total": total}))
			})
		})
		stop()
		fyne.Do(func() {
			d.Hide()
			b.exportMbox.Enable()
			b.exportEML.Enable()
			done(n, err)
		})
	})
}

// exportQuery is the current search without paging: an export takes every hit.
func (b *backupBrowser) exportQuery() search.Query {
	q := b.query
	q.Offset, q.Limit = 0, -1
	return q
}

func (b *backupBrowser) onExportMbox() {
	q, id := b.exportQuery(), b.acct.ID
	b.saveFile(safeName(b.acct.Name)+".mbox", func(w fyne.URIWriteCloser) {
		b.exportJob(func(ctx context.Context, progress func(done, total int)) (int, error) {
			n, err := b.u.core.ExportMbox(ctx, id, w, q, progress)
			if cerr := w.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				_ = storage.Delete(w.URI()) // never leave an mbox that looks whole
			}
			return n, err
		}, b.exportDone)
	})
}

func (b *backupBrowser) onExportEML() {
	q, id := b.exportQuery(), b.acct.ID
	b.chooseFolder(func(dir string) {
		b.exportJob(func(ctx context.Context, progress func(done, total int)) (int, error) {
			return b.u.core.ExportEML(ctx, id, dir, q, progress)
		}, b.exportDone)
	})
}

// exportDone reports how an export ended.
func (b *backupBrowser) exportDone(n int, err error) {
	switch {
	case errors.Is(err, context.Canceled):
		b.status.SetText(lang.L("Export stopped."))
	case err != nil:
		b.showProblem(err)
	default:
		b.status.SetText(lang.N("{{.Count}} messages exported.", n, map[string]any{"Count": n}))
	}
}

// emlFileName proposes a file name for one message: its date and subject.
func emlFileName(h search.Hit) string {
	name := h.Date.Local().Format("2006-01-02")
	if s := safeName(oneLine(h.Subject)); s != "" {
		name += " " + s
	}
	return name + ".eml"
}

// safeName keeps a name usable as a file name on Windows, macOS and Linux, at most 60
// runes.
func safeName(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n >= 60 {
			break
		}
		if strings.ContainsRune(`<>:"/\|?*`, r) || unicode.IsControl(r) {
			r = '_'
		}
		b.WriteRune(r)
		n++
	}
	return strings.Trim(b.String(), " .")
}
