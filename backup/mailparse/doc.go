// Package mailparse reads a stored message (RFC 5322) into the fields people search and
// read: sender, recipients, subject, date, the text of the body and the attachments.
//
// Backups hold whatever a server handed out, so the input is untrusted and often odd:
// 8-bit headers without RFC 2047 encoding, unknown or wrong charsets, broken
// quoted-printable, multiparts without their closing boundary. Parse never gives up on
// such a message: it keeps every field it could read, records what it could not in
// Message.Defects, and returns an error only when the reader itself fails. That is what
// lets the search index cover every message of a backup.
//
// Decoding follows RFC 2045 (transfer encodings), RFC 2046 (multipart, charset applies
// to text/*), RFC 2047 (encoded words in headers) and RFC 2231 (parameter values).
// Headers and multipart boundaries are read with github.com/emersion/go-message's
// textproto package; charsets come from golang.org/x/text. Text whose charset is missing,
// unknown or wrong (not valid in the charset it claims) is read as Windows-1252, the
// superset of ISO-8859-1 that most unlabelled European mail is written in.
package mailparse
