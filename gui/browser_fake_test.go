package gui

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/postfach/postfach/backup/mailparse"
	"github.com/postfach/postfach/backup/search"
)

// fakeBackups is the fake core's backup of every POP3 account: n generated messages,
// newest first, searched by substring. It records the queries the browser sends.
type fakeBackups struct {
	hits    []search.Hit
	raw     map[string]string // file -> message bytes
	indexed bool
	queries []search.Query
	// indexDone, when set, is what IndexBackup reports before returning indexErr.
	indexDone []int
	indexErr  error
}

// fakeSubjects cycle through the generated messages.
var fakeSubjects = []string{"Treffen in Köln", "Rechnung März", "Urlaubsgrüße", "Protokoll"}

// withBackup gives the fake core a backup of n messages, one every hour back from now.
func (f *fakeCore) withBackup(n int) *fakeBackups {
	fb := &fakeBackups{raw: map[string]string{}}
	for i := range n {
		file := fmt.Sprintf("/backup/cur/%06d", i)
		h := search.Hit{ID: int64(i + 1), MessageID: fmt.Sprintf("m%d@example.org", i), Date: now.Add(-time.Duration(i) * time.Hour),
			From: fmt.Sprintf("Anna %d <anna%d@example.de>", i%7, i%7), Subject: fmt.Sprintf("%s %d", fakeSubjects[i%len(fakeSubjects)], i),
			File: file}
		if i%5 == 0 {
			h.Attachments = 1
		}
		fb.raw[file] = fmt.Sprintf("From: %s\r\nSubject: %s\r\n\r\nText %d\r\n", h.From, h.Subject, i)
		h.Size = int64(len(fb.raw[file]))
		fb.hits = append(fb.hits, h)
	}
	f.mu.Lock()
	f.backups = fb
	f.mu.Unlock()
	return fb
}

func (f *fakeCore) backup() *fakeBackups {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.backups == nil {
		f.backups = &fakeBackups{raw: map[string]string{}}
	}
	return f.backups
}

func (f *fakeCore) IndexBackup(ctx context.Context, id string, progress func(done, total int)) error {
	fb := f.backup()
	for _, d := range fb.indexDone {
		progress(d, len(fb.hits))
	}
	fb.indexed = true
	return fb.indexErr
}

func (f *fakeCore) selected(q search.Query) []search.Hit {
	fb := f.backup()
	var out []search.Hit
	for _, h := range fb.hits {
		if w := strings.ToLower(q.Words); w != "" && !strings.Contains(strings.ToLower(h.Subject), w) {
			continue
		}
		if q.From != "" && !strings.Contains(strings.ToLower(h.From), strings.ToLower(q.From)) {
			continue
		}
		if !q.Since.IsZero() && h.Date.Before(q.Since) || !q.Before.IsZero() && !h.Date.Before(q.Before) {
			continue
		}
		if q.HasAttachment && h.Attachments == 0 {
			continue
		}
		out = append(out, h)
	}
	return out
}

func (f *fakeCore) SearchBackup(ctx context.Context, id string, q search.Query) (search.Result, error) {
	fb := f.backup()
	f.mu.Lock()
	fb.queries = append(fb.queries, q)
	f.mu.Unlock()
	all := f.selected(q)
	res := search.Result{Total: len(all)}
	from := min(q.Offset, len(all))
	to := len(all)
	if q.Limit >= 0 {
		to = min(from+q.Limit, len(all))
	}
	res.Hits = all[from:to]
	return res, nil
}

func (f *fakeCore) ReadMessage(ctx context.Context, id, file string) (*mailparse.Message, error) {
	fb := f.backup()
	for _, h := range fb.hits {
		if h.File == file {
			m := &mailparse.Message{Subject: h.Subject, From: []mailparse.Address{{Name: "Anna", Addr: "anna@example.de"}},
				To: []mailparse.Address{{Addr: "ich@example.org"}}, Text: "Viele Grüße aus Köln", HTML: "<p>Viele Grüße</p>"}
			if h.Attachments > 0 {
				m.Attachments = []mailparse.Attachment{{Name: "rechnung.pdf", ContentType: "application/pdf", Size: 4, Data: []byte("%PDF")}}
			}
			return m, nil
		}
	}
	return nil, os.ErrNotExist
}

func (f *fakeCore) CopyMessage(ctx context.Context, id, file string, w io.Writer) error {
	raw, ok := f.backup().raw[file]
	if !ok {
		return os.ErrNotExist
	}
	_, err := io.WriteString(w, raw)
	return err
}

func (f *fakeCore) ExportEML(ctx context.Context, id, dir string, q search.Query, progress func(done, total int)) (int, error) {
	all := f.selected(q)
	for i, h := range all {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%06d.eml", i)), []byte(f.backup().raw[h.File]), 0o600); err != nil {
			return i, err
		}
		progress(i+1, len(all))
	}
	return len(all), nil
}

func (f *fakeCore) ExportMbox(ctx context.Context, id string, w io.Writer, q search.Query, progress func(done, total int)) (int, error) {
	all := f.selected(q)
	for i, h := range all {
		if err := ctx.Err(); err != nil {
			return i, err
		}
		if _, err := io.WriteString(w, "From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n"+f.backup().raw[h.File]+"\n"); err != nil {
			return i, err
		}
		progress(i+1, len(all))
	}
	return len(all), nil
}
