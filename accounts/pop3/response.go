package pop3

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/postfach/postfach/accounts/mailerr"
)

// maxStatusLine bounds a status line. RFC 2449 section 4 limits responses to 512 octets;
// we allow more for chatty servers, but never an unbounded line.
const maxStatusLine = 8 << 10

// status is the kind of a status line (RFC 1939 section 3).
type status int

const (
	statusOK   status = iota // "+OK"
	statusErr                // "-ERR"
	statusCont               // "+ " continuation, only during AUTH (RFC 5034 section 4)
)

// reply is a parsed status line.
type reply struct {
	status status
	code   string // RFC 2449 section 8 response code without brackets, upper case; "" if none
	text   string // the rest, made safe to show and log
}

// parseStatus parses one status line without its line end. Anything but "+OK", "-ERR" or
// "+", followed by a space or the end of the line, is a protocol error. The indicators
// are matched case-insensitively: RFC 1939 requires upper case, but accepting "+ok" costs
// nothing and decides nothing security-relevant.
func parseStatus(line []byte) (reply, error) {
	var r reply
	var rest []byte
	switch {
	case hasIndicator(line, "+OK"):
		r.status, rest = statusOK, line[3:]
	case hasIndicator(line, "-ERR"):
		r.status, rest = statusErr, line[4:]
	case hasIndicator(line, "+"):
		r.status, rest = statusCont, line[1:]
	default:
		return reply{}, protoErr("status line %q is neither +OK nor -ERR", clip(line))
	}
	rest = bytes.TrimLeft(rest, " ")
	if r.status != statusCont {
		r.code, rest = splitCode(rest)
	}
	r.text = sanitize(rest)
	return r, nil
}

// hasIndicator reports whether line starts with ind followed by a space or nothing.
func hasIndicator(line []byte, ind string) bool {
	if len(line) < len(ind) || !strings.EqualFold(string(line[:len(ind)]), ind) {
		return false
	}
	return len(line) == len(ind) || line[len(ind)] == ' '
}

// splitCode separates a leading response code "[LEVEL/LEVEL...]" (RFC 2449 section 8)
// from the text. A malformed code is left in the text: it is information for humans then.
func splitCode(text []byte) (code string, rest []byte) {
	if len(text) == 0 || text[0] != '[' {
		return "", text
	}
	end := bytes.IndexByte(text, ']')
	if end < 0 {
		return "", text
	}
	inner := text[1:end]
	for level := range bytes.SplitSeq(inner, []byte("/")) {
		if len(level) == 0 {
			return "", text
		}
		for _, b := range level {
			if b <= ' ' || b >= 0x7f || b == '[' || b == ']' {
				return "", text
			}
		}
	}
	return strings.ToUpper(string(inner)), bytes.TrimLeft(text[end+1:], " ")
}

// sanitize makes server text safe to put into logs and dialogs: valid UTF-8 and no
// control characters, so a hostile server cannot forge log lines or terminal escapes.
func sanitize(b []byte) string {
	s := strings.ToValidUTF8(string(b), string(utf8.RuneError))
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '?'
		}
		return r
	}, s)
}

// kindFor maps a response code to the mailerr sentinel the GUI branches on (RFC 2449
// section 8.1 for IN-USE and LOGIN-DELAY, RFC 3206 for SYS/TEMP, SYS/PERM and AUTH).
func kindFor(code string) error {
	first, sub, _ := strings.Cut(code, "/")
	switch {
	case first == "IN-USE", first == "LOGIN-DELAY":
		return mailerr.ErrTemporary
	case first == "SYS" && (sub == "TEMP" || strings.HasPrefix(sub, "TEMP/")):
		return mailerr.ErrTemporary
	case first == "AUTH":
		return mailerr.ErrAuthFailed
	}
	return nil
}

// authKind is kindFor for replies to USER, PASS and AUTH: any -ERR there means the
// credentials were refused unless the code says the refusal is temporary (RFC 3206
// section 4 — a locked mailbox or a busy server must not be shown as "wrong password").
func authKind(code string) error {
	if k := kindFor(code); k != nil {
		return k
	}
	return mailerr.ErrAuthFailed
}

// serverError turns a -ERR reply into a *mailerr.ServerError. command must not contain
// secrets: callers pass the bare command name or a message number.
func serverError(command string, r reply, kind error) *mailerr.ServerError {
	return mailerr.NewServerError(command, r.code, r.text, kind)
}

// readLine reads one line of at most limit bytes, without its line end. CRLF is what RFC
// 1939 section 3 prescribes; a bare LF is accepted since status and listing lines carry no
// message data. An over-long line is a protocol error, not a reason to keep reading.
func readLine(br *bufio.Reader, limit int) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return nil, protoErr("line longer than %d bytes", limit)
	case errors.Is(err, io.EOF):
		return nil, unexpectedEOF("connection closed in the middle of a reply")
	case err != nil:
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if len(line) > limit {
		return nil, protoErr("line longer than %d bytes", limit)
	}
	return line, nil
}

// protoErr is a protocol violation: the session cannot continue.
func protoErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{mailerr.ErrProtocol}, args...)...)
}

// unexpectedEOF is a connection that ended where the protocol needs more.
func unexpectedEOF(what string) error {
	return fmt.Errorf("%w: %s: %w", mailerr.ErrProtocol, what, io.ErrUnexpectedEOF)
}

// clip shortens server bytes quoted in an error.
func clip(b []byte) string {
	const n = 64
	if len(b) > n {
		return sanitize(b[:n]) + "..."
	}
	return sanitize(b)
}

// readReply reads and parses a status line for command op. A continuation is accepted
// only when cont is true (inside AUTH). Any failure leaves the stream out of step and
// breaks the client.
func (c *Client) readReply(op string, cont bool) (reply, error) {
	line, err := readLine(c.br, maxStatusLine)
	if err != nil {
		return reply{}, c.fail(op, err)
	}
	r, err := parseStatus(line)
	if err == nil && r.status == statusCont && !cont {
		err = protoErr("unexpected continuation %q", clip(line))
	}
	if err != nil {
		return reply{}, c.fail(op, err)
	}
	return r, nil
}

// send writes one command line. line must not contain CR or LF (callers pass numbers or
// validated strings) and, for error texts, op names it without secrets.
func (c *Client) send(op, line string) error {
	c.bw.WriteString(line)
	c.bw.WriteString("\r\n")
	if err := c.bw.Flush(); err != nil {
		return c.fail(op, err)
	}
	return nil
}

// simple sends a command with a single-line reply and returns the reply; -ERR becomes a
// ServerError of kind kindFor(code).
func (c *Client) simple(op, line string) (reply, error) {
	if err := c.send(op, line); err != nil {
		return reply{}, err
	}
	r, err := c.readReply(op, false)
	if err != nil {
		return reply{}, err
	}
	if r.status == statusErr {
		return r, serverError(op, r, kindFor(r.code))
	}
	return r, nil
}
