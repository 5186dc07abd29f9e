package gui

import (
	"fmt"
	"net/url"
	"os"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/postfach/postfach/backup/mailparse"
	"github.com/postfach/postfach/backup/search"
)

// messageReader is the browser's right side: the selected message's headers, its text
// (HTML reduced to text, with "Open in browser" for the HTML itself), its attachments
// with "Save as…", and the actions on it.
type messageReader struct {
	b *backupBrowser

	subject     *widget.Label
	headers     *widget.Label
	body        *widget.Label
	attachments *fyne.Container
	openHTML    *widget.Button
	exportOne   *widget.Button
	openMail    *widget.Button
	actions     *fyne.Container

	hit search.Hit         // the message shown
	msg *mailparse.Message // its parsed form; nil while loading
	gen int                // grows with each selection: a late read of another one is dropped
}

func newMessageReader(b *backupBrowser) *messageReader { return &messageReader{b: b} }

func (r *messageReader) buildUI() fyne.CanvasObject {
	r.subject = &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, Wrapping: fyne.TextWrapWord, SizeName: theme.SizeNameSubHeadingText}
	r.headers = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.LowImportance, Selectable: true}
	r.body = &widget.Label{Wrapping: fyne.TextWrapWord, Selectable: true}
	r.attachments = container.NewVBox()
	r.openHTML = &widget.Button{Text: lang.L("Open in browser"), Icon: theme.ComputerIcon(), OnTapped: r.onOpenHTML}
	r.exportOne = &widget.Button{Text: lang.L("Save as .eml…"), Icon: theme.DocumentSaveIcon(), OnTapped: r.onExportOne}
	r.openMail = &widget.Button{Text: lang.L("Open in mail program"), Icon: theme.MailComposeIcon(), OnTapped: r.onOpenMail}
	r.actions = container.NewHBox(r.exportOne, r.openMail, r.openHTML)
	r.clear()
	head := container.NewVBox(r.subject, r.headers, r.actions, r.attachments, widget.NewSeparator())
	return container.NewBorder(head, nil, nil, nil, container.NewVScroll(r.body))
}

// clear shows an empty reader.
func (r *messageReader) clear() {
	r.gen++
	r.msg = nil
	r.subject.SetText(lang.L("Select a message to read it."))
	r.headers.SetText("")
	r.body.SetText("")
	r.attachments.RemoveAll()
	r.actions.Hide()
}

// show reads the message of h in the background and shows it.
func (r *messageReader) show(h search.Hit) {
	r.clear()
	r.hit = h
	gen, id := r.gen, r.b.acct.ID
	r.subject.SetText(oneLine(h.Subject))
	r.headers.SetText(lang.L("Loading…"))
	r.b.u.async(func() {
		m, err := r.b.u.core.ReadMessage(r.b.ctx, id, h.File)
		fyne.Do(func() {
			if gen != r.gen {
				return
			}
			if err != nil {
				r.headers.SetText(explain(err, r.b.acct, nil).summary())
				return
			}
			r.fill(m)
		})
	})
}

func (r *messageReader) fill(m *mailparse.Message) {
	r.msg = m
	lines := []string{lang.L("From: {{.Who}}", map[string]any{"Who": addresses(m.From)})}
	if len(m.To) > 0 {
		lines = append(lines, lang.L("To: {{.Who}}", map[string]any{"Who": addresses(m.To)}))
	}
	if len(m.Cc) > 0 {
		lines = append(lines, lang.L("Cc: {{.Who}}", map[string]any{"Who": addresses(m.Cc)}))
	}
	lines = append(lines, lang.L("Date: {{.When}}", map[string]any{"When": r.hit.Date.Local().Format("2006-01-02 15:04")}))
	r.headers.SetText(strings.Join(lines, "\n"))
	r.body.SetText(m.Text)
	r.actions.Show()
	if m.HTML != "" {
		r.openHTML.Show()
	} else {
		r.openHTML.Hide()
	}
	for _, a := range m.Attachments {
		if a.Inline {
			continue
		}
		name := a.Name
		if name == "" {
			name = lang.L("Unnamed attachment")
		}
		r.attachments.Add(&widget.Button{Text: lang.L("Save {{.Name}} ({{.Size}})…", map[string]any{"Name": name, "Size": formatBytes(a.Size)}),
			Icon: theme.FileIcon(), Alignment: widget.ButtonAlignLeading, OnTapped: func() { r.onSaveAttachment(a) }})
	}
}

// addresses lists addresses as "Name <address>".
func addresses(list []mailparse.Address) string {
	var out []string
	for _, a := range list {
		out = append(out, a.String())
	}
	return strings.Join(out, ", ")
}

func (r *messageReader) onSaveAttachment(a mailparse.Attachment) {
	name := a.Name
	if name == "" {
		name = "attachment"
	}
	r.b.saveFile(safeName(name), func(w fyne.URIWriteCloser) {
		r.b.writeInBackground(w, func(w fyne.URIWriteCloser) error {
			_, err := w.Write(a.Data)
			return err
		})
	})
}

func (r *messageReader) onExportOne() {
	h, id := r.hit, r.b.acct.ID
	r.b.saveFile(emlFileName(h), func(w fyne.URIWriteCloser) {
		r.b.writeInBackground(w, func(w fyne.URIWriteCloser) error {
			return r.b.u.core.CopyMessage(r.b.ctx, id, h.File, w)
		})
	})
}

// onOpenMail hands a copy of the message, as an .eml file in the temporary folder, to
// the program the system opens .eml files with. A copy: the backup is never handed out
// for writing.
func (r *messageReader) onOpenMail() {
	h, id := r.hit, r.b.acct.ID
	r.openTemp(".eml", func(f *os.File) error { return r.b.u.core.CopyMessage(r.b.ctx, id, h.File, f) })
}

// onOpenHTML shows the HTML part in the default browser, from a file in the temporary
// folder.
func (r *messageReader) onOpenHTML() {
	if r.msg == nil {
		return
	}
	html := r.msg.HTML
	r.openTemp(".html", func(f *os.File) error {
		_, err := f.WriteString(html)
		return err
	})
}

// openTemp writes a temporary file with write (off the UI thread) and opens it with the
// system's program for its suffix. The file stays: the program may read it later.
func (r *messageReader) openTemp(suffix string, write func(*os.File) error) {
	r.b.u.async(func() {
		f, err := os.CreateTemp("", "postfach-*"+suffix)
		if err == nil {
			err = write(f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		var link *url.URL
		if err == nil {
			link, err = url.Parse(storage.NewFileURI(f.Name()).String())
		}
		fyne.Do(func() {
			if err == nil {
				err = r.b.u.openURL(link)
			}
			if err != nil {
				r.b.showProblem(fmt.Errorf("open %s: %w", suffix, err))
			}
		})
	})
}
