// Package pop3 is Postfach's POP3 client: small, strict about security, byte-exact about
// messages, built on net, bufio and crypto/tls only.
//
// Protocols: RFC 1939 (POP3), RFC 2449 (CAPA, PIPELINING, RESP-CODES), RFC 3206 (the
// [AUTH] and [SYS/*] response codes), RFC 2595 section 4 (STLS), RFC 5034 with RFC 4616
// (AUTH PLAIN), RFC 8314 (implicit TLS is the default).
//
// Why our own client: the Go POP3 libraries we measured corrupt messages (no
// dot-unstuffing, line breaks inserted into long lines, a '.' at a buffer boundary read as
// the end of the message), have no STLS, no per-command timeouts and buffer whole
// messages (docs/decisions.md section 1). A backup tool must store exactly what the server
// sent.
//
// The rules this package enforces, so that callers cannot get them wrong:
//
//   - Credentials never travel without TLS unless the caller chose [Plain] and set
//     [Options.AllowPlaintext]. With [StartTLS], a server that does not offer STLS,
//     refuses it, or sends data after its "+OK" before the handshake (response
//     injection) makes [Dial] fail with [mailerr.ErrStartTLSRefused]; nothing falls back
//     to clear text. Capabilities seen before TLS are discarded (RFC 2595 section 4).
//   - Every command runs under a deadline ([Options.Timeout]) and its context. Message
//     bodies and listings use an idle deadline that is renewed on every read, so a 50 MB
//     message needs no huge total deadline, while a server that stalls is detected within
//     one Timeout.
//   - A message is streamed, never held in memory, and is exactly the wire bytes minus the
//     status line, the dot-stuffing and the final ".\r\n" line; a connection that ends
//     before that line is an error, never a silently short message.
//   - After any error that leaves the protocol stream out of step (timeout, dropped
//     connection, malformed reply) the [Client] refuses further commands with
//     [ErrUnusable]. A "-ERR" reply leaves it usable.
//   - Deletion is the two-phase commit of RFC 1939 section 6: [Client.Dele] only marks;
//     messages are removed only if [Client.Quit] returns nil. [Client.Close] drops the
//     connection without QUIT, which makes the server forget every mark.
//
// Errors carry the [mailerr] vocabulary, so callers can branch with errors.Is:
// ErrAuthFailed, ErrTemporary, ErrStartTLSRefused, ErrPlaintextRefused, ErrUnreachable,
// ErrTimeout, ErrProtocol, ErrNoUIDL. No error text ever contains a password or an AUTH
// payload.
//
// A Client is used by one goroutine at a time; only Close may be called concurrently, to
// abort a command that is in progress (cancelling its context does the same and keeps
// the error readable).
package pop3
