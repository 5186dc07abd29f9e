package pop3

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/postfach/postfach/accounts/mailerr"
)

// UID is one line of a UIDL listing (RFC 1939 section 7): a message number, valid only in
// this session, and the server's unique-id for the message, stable across sessions.
type UID struct {
	Num int
	UID string
}

// Size is one line of a LIST scan listing (RFC 1939 section 5). Octets is the server's
// count with every line ending as CRLF; it may differ from what RETR delivers (Dovecot
// adds CRLF to a message without a final line ending and does not count it), so it is a
// hint, not a check.
type Size struct {
	Num    int
	Octets int64
}

// Stat returns the number of messages and their total size in octets (RFC 1939 section
// 5, "drop listing"). Messages marked for deletion are not counted.
func (c *Client) Stat(ctx context.Context) (count int, size int64, err error) {
	err = c.run(ctx, "STAT", func() error {
		r, err := c.simple("STAT", "STAT")
		if err != nil {
			return err
		}
		count, size, err = parseStat(r.text)
		if err != nil {
			return c.fail("STAT", err)
		}
		return nil
	})
	return count, size, err
}

// UIDL returns the unique-id listing of all messages not marked as deleted (RFC 1939
// section 7). Duplicate unique-ids are returned as the server sent them: deciding what
// they mean is the caller's business. A -ERR reply wraps mailerr.ErrNoUIDL (and
// mailerr.ErrTemporary if the response code says so): without UIDL there is no stable
// identity, so incremental backup and delete-after-N-days are impossible.
func (c *Client) UIDL(ctx context.Context) ([]UID, error) {
	var list []UID
	err := c.run(ctx, "UIDL", func() error {
		if err := c.send("UIDL", "UIDL"); err != nil {
			return err
		}
		r, err := c.readReply("UIDL", false)
		if err != nil {
			return err
		}
		if r.status == statusErr {
			return fmt.Errorf("%w: %w", mailerr.ErrNoUIDL, serverError("UIDL", r, kindFor(r.code)))
		}
		c.dc.idle = true
		if list, err = readUIDLListing(c.br); err != nil {
			return c.fail("UIDL", err)
		}
		return nil
	})
	return list, err
}

// List returns the scan listing of all messages not marked as deleted (RFC 1939 section 5).
func (c *Client) List(ctx context.Context) ([]Size, error) {
	var list []Size
	err := c.run(ctx, "LIST", func() error {
		if _, err := c.simple("LIST", "LIST"); err != nil {
			return err
		}
		c.dc.idle = true
		var err error
		if list, err = readSizeListing(c.br); err != nil {
			return c.fail("LIST", err)
		}
		return nil
	})
	return list, err
}

// Bounds on listings. A unique-id is at most 70 octets (RFC 1939 section 7), so a UIDL
// line is under 100; LIST lines may carry extra text after the size. The total bounds
// memory: about ten million Dovecot-style UIDL lines.
const (
	maxListingLine  = 1 << 10
	maxListingBytes = 256 << 20
	maxUIDLen       = 70
)

// readUIDLListing reads the lines of a UIDL reply after its +OK.
func readUIDLListing(br *bufio.Reader) ([]UID, error) {
	var list []UID
	err := readMultiLine(br, maxListingLine, maxListingBytes, func(line []byte) error {
		u, err := parseUIDLLine(line)
		list = append(list, u)
		return err
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}

// readSizeListing reads the lines of a LIST reply after its +OK.
func readSizeListing(br *bufio.Reader) ([]Size, error) {
	var list []Size
	err := readMultiLine(br, maxListingLine, maxListingBytes, func(line []byte) error {
		s, err := parseListLine(line)
		list = append(list, s)
		return err
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}

// parseUIDLLine parses "msg-number SP unique-id". The unique-id must be 1 to 70
// characters in 0x21..0x7E (RFC 1939 section 7); anything else is a protocol error rather
// than an id we would store and later fail to match.
func parseUIDLLine(line []byte) (UID, error) {
	numField, rest, ok := bytes.Cut(line, []byte(" "))
	if !ok {
		return UID{}, protoErr("UIDL line %q has no unique-id", clip(line))
	}
	num, err := parseMsgNum(numField)
	if err != nil {
		return UID{}, err
	}
	uid := bytes.Trim(rest, " ")
	if len(uid) == 0 || len(uid) > maxUIDLen {
		return UID{}, protoErr("UIDL line %q: unique-id must be 1 to %d characters", clip(line), maxUIDLen)
	}
	for _, b := range uid {
		if b < 0x21 || b > 0x7e {
			return UID{}, protoErr("UIDL line %q: unique-id contains byte 0x%02x", clip(line), b)
		}
	}
	return UID{Num: num, UID: string(uid)}, nil
}

// parseListLine parses "msg-number SP size", ignoring anything after the size, which RFC
// 1939 section 5 allows.
func parseListLine(line []byte) (Size, error) {
	fields := strings.Fields(string(line))
	if len(fields) < 2 || line[0] == ' ' {
		return Size{}, protoErr("LIST line %q is not \"number size\"", clip(line))
	}
	num, err := parseMsgNum([]byte(fields[0]))
	if err != nil {
		return Size{}, err
	}
	n, err := parseOctets([]byte(fields[1]))
	if err != nil {
		return Size{}, err
	}
	return Size{Num: num, Octets: n}, nil
}

// parseStat parses the text after "+OK" of a STAT reply: "count SP size", possibly
// followed by more text (RFC 1939 section 5).
func parseStat(text string) (int, int64, error) {
	fields := strings.Fields(text)
	if len(fields) < 2 {
		return 0, 0, protoErr("STAT reply %q is not \"count size\"", clip([]byte(text)))
	}
	count, err := parseDecimal([]byte(fields[0]), maxMsgNumDigits)
	if err != nil {
		return 0, 0, err
	}
	size, err := parseOctets([]byte(fields[1]))
	if err != nil {
		return 0, 0, err
	}
	return int(count), size, nil
}

// Digit limits keep every value far from overflow: message numbers fit an int32, sizes
// an int64.
const (
	maxMsgNumDigits = 9
	maxOctetDigits  = 18
)

// parseMsgNum parses a message number: a positive decimal (RFC 1939 section 3).
func parseMsgNum(b []byte) (int, error) {
	n, err := parseDecimal(b, maxMsgNumDigits)
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, protoErr("message number 0")
	}
	return int(n), nil
}

// parseOctets parses a size in octets.
func parseOctets(b []byte) (int64, error) {
	return parseDecimal(b, maxOctetDigits)
}

// parseDecimal accepts only ASCII digits (no sign, no spaces), at most maxDigits of them.
func parseDecimal(b []byte, maxDigits int) (int64, error) {
	if len(b) == 0 || len(b) > maxDigits {
		return 0, protoErr("number %q out of range", clip(b))
	}
	var n int64
	for _, d := range b {
		if d < '0' || d > '9' {
			return 0, protoErr("%q is not a number", clip(b))
		}
		n = n*10 + int64(d-'0')
	}
	return n, nil
}

// readMultiLine reads the lines of a multi-line reply (RFC 1939 section 3) after its
// status line, removes the dot-stuffing, and calls each with every line; the line is
// valid only during the call. It stops after the "." line. Each line is at most maxLine
// bytes and all of them together at most maxTotal, so a hostile server cannot make us
// hold unbounded memory.
func readMultiLine(br *bufio.Reader, maxLine, maxTotal int, each func(line []byte) error) error {
	total := 0
	for {
		line, err := readLine(br, maxLine)
		if err != nil {
			return err
		}
		if total += len(line) + 2; total > maxTotal {
			return protoErr("multi-line reply longer than %d bytes", maxTotal)
		}
		if len(line) > 0 && line[0] == '.' {
			if len(line) == 1 {
				return nil
			}
			line = line[1:]
		}
		if err := each(line); err != nil {
			return err
		}
	}
}
