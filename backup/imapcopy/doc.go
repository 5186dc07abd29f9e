// Package imapcopy moves mail between an IMAP server and local Maildirs without losing or
// doubling a message: Download copies IMAP folders byte-exact into a Maildir++ tree,
// Upload appends the messages of a Maildir (such as a POP3 backup) to an IMAP folder.
// The switch assistant (POP3 ⇄ IMAP) and the free-space assistant are thin callers of
// these two functions and of PlanUpload; docs/imapcopy.md describes the design.
//
// The rule of the backup package holds here too: every message is on the server or
// durably, byte-exactly on disk — never neither, never twice. Concretely:
//
//   - Download writes a message to tmp/, makes it durable, renames it into cur/, syncs
//     cur/, and only then records it in the folder's journal. The file name carries the
//     folder's UIDVALIDITY and the message's UID (RFC 9051 section 2.3.1.1), so a crash
//     between rename and journal is repaired from the files: the message is not fetched
//     again.
//   - Upload records each APPEND in a journal, fsynced, before the next one starts. A
//     message appended but not yet recorded when the process died is recognised on the
//     next run by its Message-ID and size, or by size and content hash when it has no
//     Message-ID, so it is never appended twice.
//
// Every function takes a context; cancelling it closes the connection at once and leaves
// the journal consistent, so the next run resumes where this one stopped.
package imapcopy
