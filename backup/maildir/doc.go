// Package maildir writes messages into a standard Maildir (cur/ new/ tmp/) durably, in
// batches, and finds them again by the POP3 UIDL they were downloaded under.
//
// Delivery follows the Maildir protocol so other mail programs can read the folder while
// Postfach writes it: a message is written to tmp/, made durable, and only then renamed
// into new/, so a reader never sees a partial file. A caller records a message as backed
// up only after Commit (or SyncData, Publish and SyncNew in turn) returned nil.
//
// # Durability
//
// Each message file is made durable by its own sync: fdatasync(2) on Linux, File.Sync
// elsewhere (fsync(2) on the BSDs; on macOS Go's File.Sync issues fcntl F_FULLFSYNC, which
// also flushes the drive's cache, and falls back to fsync(2) where the file system refuses
// it, as SMB mounts do; FlushFileBuffers on Windows). The syncs of a batch are issued
// concurrently by a few workers, so the file system can fold them into few journal
// commits; then the batch is renamed into new/ and new/ is synced. Every error is checked
// and returned with the file's name; Publish refuses a message whose sync did not succeed.
//
// A file stays open from Create until its sync. The kernel reports a failed write-back
// only to descriptors open when it happened: a file closed after writing and reopened by
// name for its sync could pass a sync although its data never reached the disk. So a
// batch holds one descriptor per message until SyncData, and the caller bounds the
// descriptors by bounding the batch: the POP3 backup commits every 256 messages (or
// 64 MiB), so even with the next batch written while one commits it stays near 512
// descriptors, and the IMAP download (backup/imapcopy) every 500 — below the usual soft
// limit of 1,024, which Go raises to the hard limit at start-up on Unix anyway; Windows
// has no such small limit.
//
// Postfach once made a batch durable with one syncfs(2). It is gone, not kept as an
// extra: syncfs reports write-back errors only since Linux 5.8, flushes every file of the
// file system (other programs' too), and on FUSE mounts (sshfs, SMB through gvfs) is not
// passed to the server at all, so it could succeed without anything reaching storage —
// and a sync that cannot fail must never let a message be deleted from the server. The
// per-file syncs cover exactly the batch's files and fail where the file system reports a
// failure. What a network file system can still hide is described in docs/backup.md.
//
// File names carry the UIDL (hex-encoded, since a UIDL may contain '/' or ':') so that a
// lost index can be rebuilt from the files alone and a crash between rename and index
// update never leads to a second copy.
package maildir
