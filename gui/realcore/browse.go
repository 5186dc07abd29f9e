package realcore

import (
	"context"
	"io"

	"github.com/postfach/postfach/backup/export"
	"github.com/postfach/postfach/backup/mailparse"
	"github.com/postfach/postfach/backup/search"
	"github.com/postfach/postfach/backup/service"
)

// IndexBackup implements gui.BackupBrowser.
func (c *Core) IndexBackup(ctx context.Context, id string, progress func(done, total int)) error {
	var p func(search.Progress)
	if progress != nil {
		p = func(s search.Progress) { progress(s.Done, s.Total) }
	}
	_, err := c.svc.Index(ctx, id, false, p)
	return err
}

// SearchBackup implements gui.BackupBrowser.
func (c *Core) SearchBackup(ctx context.Context, id string, q search.Query) (search.Result, error) {
	return c.svc.Search(ctx, id, q, nil)
}

// ReadMessage implements gui.BackupBrowser.
func (c *Core) ReadMessage(ctx context.Context, id, file string) (*mailparse.Message, error) {
	return c.svc.Message(ctx, id, file, true)
}

// CopyMessage implements gui.BackupBrowser.
func (c *Core) CopyMessage(ctx context.Context, id, file string, w io.Writer) error {
	_, err := c.svc.CopyMessage(ctx, id, file, w)
	return err
}

// ExportEML implements gui.BackupBrowser.
func (c *Core) ExportEML(ctx context.Context, id, dir string, q search.Query, progress func(done, total int)) (int, error) {
	st, err := c.svc.Export(ctx, id, dir, service.FormatEML, q, exportProgress(progress))
	return st.Messages, err
}

// ExportMbox implements gui.BackupBrowser.
func (c *Core) ExportMbox(ctx context.Context, id string, w io.Writer, q search.Query, progress func(done, total int)) (int, error) {
	st, err := c.svc.ExportMboxTo(ctx, id, w, q, exportProgress(progress))
	return st.Messages, err
}

func exportProgress(progress func(done, total int)) func(export.Progress) {
	if progress == nil {
		return nil
	}
	return func(p export.Progress) { progress(p.Done, p.Total) }
}
