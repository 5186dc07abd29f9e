package imapcopy

import (
	"bufio"
	"bytes"
	"io"
	"net/mail"
	"strings"
	"time"
)

// maxHeaderScan bounds how much of a message is read for its header fields: a header
// block larger than this is treated as ending there (the fields we need come first in
// practice, and a hostile file cannot make us read gigabytes).
const maxHeaderScan = 1 << 20

// headerInfo is what Upload needs from a message's header block.
type headerInfo struct {
	// MessageID is the first Message-ID field's "<...>" part (or its trimmed value when
	// it has no angle brackets), "" when absent.
	MessageID string
	// Received is the date after the last ';' of the topmost Received field, zero when
	// absent or unparsable; it is when the receiving server got the message.
	Received time.Time
	// Date is the first Date field, zero when absent or unparsable.
	Date time.Time
}

// parseHeader reads the header block of an RFC 5322 message (up to the first empty
// line, LF or CRLF line ends, folded lines unfolded) from untrusted bytes. It never
// fails: what cannot be parsed stays zero.
func parseHeader(r io.Reader) headerInfo {
	var h headerInfo
	br := bufio.NewReader(io.LimitReader(r, maxHeaderScan))
	var field []byte
	haveReceived, haveDate := false, false
	flush := func() {
		name, value, ok := bytes.Cut(field, []byte(":"))
		field = field[:0]
		if !ok {
			return
		}
		switch strings.ToLower(string(bytes.TrimSpace(name))) {
		case "message-id":
			if h.MessageID == "" {
				h.MessageID = messageID(string(value))
			}
		case "received":
			if !haveReceived {
				haveReceived = true // only the topmost counts, even if its date is broken
				if i := bytes.LastIndexByte(value, ';'); i >= 0 {
					h.Received = parseDate(string(value[i+1:]))
				}
			}
		case "date":
			if !haveDate {
				haveDate = true
				h.Date = parseDate(string(value))
			}
		}
	}
	for {
		line, err := br.ReadSlice('\n')
		for err == bufio.ErrBufferFull {
			// An overlong line: its start (4 KiB) is enough for any date or Message-ID;
			// the rest is skipped.
			_, err = br.ReadSlice('\n')
		}
		if len(line) == 0 {
			break
		}
		trimmed := bytes.TrimRight(line, "\r\n")
		switch {
		case len(trimmed) == 0:
			flush()
			return h // the empty line ends the header block
		case trimmed[0] == ' ' || trimmed[0] == '\t':
			field = append(field, trimmed...) // continuation of a folded field
		default:
			flush()
			field = append(field, trimmed...)
		}
		if err != nil {
			break
		}
	}
	flush()
	return h
}

// messageID returns the "<...>" part of a Message-ID value, or the trimmed value.
func messageID(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j >= 0 {
			return v[i : i+j+1]
		}
	}
	return v
}

// parseDate parses an RFC 5322 date (with the obsolete forms net/mail accepts), after
// dropping a trailing comment such as "(CET)". Dates before 1970 or more than a day in
// the future of the file's own time are nonsense for INTERNALDATE and left zero by the
// caller's sanity check.
func parseDate(v string) time.Time {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, '('); i > 0 {
		v = strings.TrimSpace(v[:i])
	}
	t, err := mail.ParseDate(v)
	if err != nil || t.Year() < 1970 || t.Year() > 9999 {
		return time.Time{}
	}
	return t
}
