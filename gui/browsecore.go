package gui

import (
	"context"
	"io"

	"github.com/postfach/postfach/backup/mailparse"
	"github.com/postfach/postfach/backup/search"
)

// BackupBrowser is the part of Core the backup browser (browser.go) uses: search, read
// and export the backup of a saved POP3 account. The methods only read the backup (the
// search index beside it is a cache, see docs/search.md) and may block on the disk.
// progress callbacks come from the working goroutine. Errors keep the core's sentinels
// (backup.ErrFolderMissing for an account without a backup yet).
type BackupBrowser interface {
	// IndexBackup brings the account's search index up to date; the first time, that
	// reads every message. Cancelling keeps what was indexed so far.
	IndexBackup(ctx context.Context, id string, progress func(done, total int)) error
	// SearchBackup returns one page of the messages q selects, newest first, and their
	// number.
	SearchBackup(ctx context.Context, id string, q search.Query) (search.Result, error)
	// ReadMessage parses one stored message (a Hit.File of the account) for the reader,
	// with the attachments' bytes.
	ReadMessage(ctx context.Context, id, file string) (*mailparse.Message, error)
	// CopyMessage writes one stored message to w byte for byte (an .eml file).
	CopyMessage(ctx context.Context, id, file string, w io.Writer) error
	// ExportEML writes every message q selects into dir, one .eml file each, and returns
	// how many it wrote.
	ExportEML(ctx context.Context, id, dir string, q search.Query, progress func(done, total int)) (int, error)
	// ExportMbox writes every message q selects to w as one mboxrd file.
	ExportMbox(ctx context.Context, id string, w io.Writer, q search.Query, progress func(done, total int)) (int, error)
}
