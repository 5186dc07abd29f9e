// Package search keeps a full-text index beside a backup folder, so people can find a
// message among tens of thousands in milliseconds.
//
// The index is a cache, never the truth. The Maildir (new/ and cur/) is the only record
// of the mail; this package only reads it. The index lives in the backup folder's
// .postfach/search.db, a SQLite database with an FTS5 table (through modernc.org/sqlite,
// which keeps the package free of cgo). Because it can always be rebuilt from the
// messages, it is never trusted: Open replaces a missing, unreadable, foreign or
// other-version file with an empty index, and Update then indexes every message again.
// A query that meets a damaged database returns ErrCorrupt; Update rebuilds. Deleting
// the file is always safe.
//
// Update is incremental: it indexes the messages that are not indexed yet and drops the
// entries whose file is gone, in batches committed one by one, so an interrupted update
// keeps its progress. docs/search.md explains the choices (engine, folding, sizes).
//
// Words are matched case-insensitively and German-style: ä, ö, ü and ß are indexed and
// searched as ae, oe, ue and ss, other accents are dropped. So "köln", "Köln" and
// "koeln" find the same messages, and so do "grüße" and "gruesse"; "koln" and "grusse"
// find nothing (see docs/search.md).
package search
