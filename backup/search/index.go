package search

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// FileName is the index's file inside the backup folder's .postfach directory.
const FileName = "search.db"

// schemaVersion is stored in the database (PRAGMA user_version). An index written with
// another version is not migrated but rebuilt: it is only a cache.
const schemaVersion = 1

// applicationID marks the file as a Postfach search index (PRAGMA application_id), so
// that a foreign SQLite file at the same path is replaced, not used.
const applicationID = 0x50465358 // "PFSX"

// ErrCorrupt means the index file is damaged. The index is a cache: call Rebuild.
var ErrCorrupt = errors.New("search index is damaged")

// Reset says why Open started a new, empty index; Update then indexes every message.
type Reset int

// Reasons for a reset.
const (
	NotReset     Reset = iota // the existing index was opened
	ResetMissing              // there was no index yet
	ResetDamaged              // the file was not a readable index
	ResetVersion              // the file was written by another version of Postfach
)

// String says the reason in a few words, for logs and status lines.
func (r Reset) String() string {
	switch r {
	case NotReset:
		return "opened"
	case ResetMissing:
		return "no index yet"
	case ResetDamaged:
		return "index damaged"
	case ResetVersion:
		return "index of another version"
	}
	return fmt.Sprintf("Reset(%d)", int(r))
}

// Index is an open search index. Its methods are safe for concurrent use: searches may
// run while Update adds messages (SQLite's WAL mode gives readers a consistent view).
type Index struct {
	root  string // backup folder (the Maildir root)
	path  string // the database file
	reset Reset
	batch int // messages per transaction; batchSize but in tests
	// mu guards db, which Rebuild replaces; queries and updates hold it shared.
	mu sync.RWMutex
	db *sql.DB
}

// schema is the database layout. msg holds what a result list shows; fts holds the
// words. The FTS5 table is contentless (stores no text of its own): the messages are on
// disk anyway, and this keeps the index small. A 32 MiB in-memory term buffer
// (hashsize, default 1 MiB) makes FTS5 write fewer, larger segments: 12 % less CPU
// for a first indexing, since fewer segments need merging.
const schema = `
CREATE TABLE msg(
	id INTEGER PRIMARY KEY,
	uidl TEXT NOT NULL,
	gen INTEGER NOT NULL,
	file TEXT NOT NULL,
	size INTEGER NOT NULL,
	date INTEGER NOT NULL,
	message_id TEXT NOT NULL,
	sender TEXT NOT NULL,
	sender_key TEXT NOT NULL,
	subject TEXT NOT NULL,
	attachments INTEGER NOT NULL,
	UNIQUE(uidl, gen)
);
CREATE INDEX msg_date ON msg(date, id);
CREATE VIRTUAL TABLE fts USING fts5(
	sender, recipients, subject, attachments, body,
	content='', contentless_delete=1,
	tokenize='unicode61 remove_diacritics 2'
);
INSERT INTO fts(fts, rank) VALUES('hashsize', 33554432);
`

// Open opens the index of the backup folder root (the Maildir root), creating
// root/.postfach if needed. A missing, damaged or other-version index is replaced by an
// empty one (see Index.Reset); call Update to fill it.
func Open(root string) (*Index, error) {
	dir := filepath.Join(root, ".postfach")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("search index: %w", err)
	}
	ix := &Index{root: root, path: filepath.Join(dir, FileName), batch: batchSize}
	reset := NotReset
	if _, err := os.Stat(ix.path); errors.Is(err, fs.ErrNotExist) {
		reset = ResetMissing
	}
	if reset == NotReset {
		db, r, err := openExisting(ix.path)
		if err != nil {
			return nil, err
		}
		if r == NotReset {
			ix.db = db
			return ix, nil
		}
		reset = r
	}
	if err := removeFiles(ix.path); err != nil {
		return nil, err
	}
	db, err := create(ix.path)
	if err != nil {
		return nil, err
	}
	ix.db, ix.reset = db, reset
	return ix, nil
}

// Reset says whether, and why, Open started this index empty.
func (ix *Index) Reset() Reset { return ix.reset }

// Close closes the database.
func (ix *Index) Close() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.db.Close()
}

func dsn(path string) string {
	return "file:" + filepath.ToSlash(path) +
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
}

// openExisting opens the file and checks that it is an index of this version. A file
// that is not returns a reset reason and is closed.
func openExisting(path string) (*sql.DB, Reset, error) {
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, 0, fmt.Errorf("search index: %w", err)
	}
	var app, ver int
	err = db.QueryRow("PRAGMA application_id").Scan(&app)
	if err == nil {
		err = db.QueryRow("PRAGMA user_version").Scan(&ver)
	}
	if err == nil && app == applicationID && ver == schemaVersion {
		// Touch both tables: a damaged schema or root page fails here.
		var n int
		err = db.QueryRow("SELECT count(*) FROM msg").Scan(&n)
		if err == nil {
			err = db.QueryRow("SELECT count(*) FROM fts WHERE fts MATCH 'postfach'").Scan(&n)
		}
		if err == nil {
			return db, NotReset, nil
		}
	}
	db.Close()
	switch {
	case err != nil && !isCorrupt(err):
		return nil, 0, fmt.Errorf("search index: %w", err)
	case err != nil || app != applicationID:
		return nil, ResetDamaged, nil
	}
	return nil, ResetVersion, nil
}

// create writes a new, empty index. It is built under a temporary name and renamed, so
// that a crash never leaves a half-made schema under the real name.
func create(path string) (*sql.DB, error) {
	tmp := path + ".new"
	if err := removeFiles(tmp); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(tmp))
	if err != nil {
		return nil, fmt.Errorf("search index: %w", err)
	}
	_, err = db.Exec(schema + fmt.Sprintf("PRAGMA application_id=%d; PRAGMA user_version=%d;", applicationID, schemaVersion))
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		removeFiles(tmp)
		return nil, fmt.Errorf("search index: create: %w", err)
	}
	db, err = sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("search index: %w", err)
	}
	return db, nil
}

// removeFiles deletes a database with its WAL and shared-memory files.
func removeFiles(path string) error {
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("search index: %w", err)
		}
	}
	return nil
}

// isCorrupt reports whether err is SQLite saying the file is damaged or no database.
func isCorrupt(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return true
	}
	return false
}

// wrap adds context to a database error and marks damage as ErrCorrupt.
func wrap(op string, err error) error {
	if isCorrupt(err) {
		return fmt.Errorf("search index: %s: %w: %v", op, ErrCorrupt, err)
	}
	return fmt.Errorf("search index: %s: %w", op, err)
}

// Rebuild throws the index away and indexes every message again.
func (ix *Index) Rebuild(ctx context.Context, progress func(Progress)) (Stats, error) {
	if err := ix.recreate(); err != nil {
		return Stats{}, err
	}
	return ix.Update(ctx, progress)
}

func (ix *Index) recreate() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if err := ix.db.Close(); err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	if err := removeFiles(ix.path); err != nil {
		return err
	}
	db, err := create(ix.path)
	if err != nil {
		return err
	}
	ix.db = db
	return nil
}
