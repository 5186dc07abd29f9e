package imapcopy

import (
	"bufio"
	"io"
)

// crlfReader reads a message in the form an IMAP server stores and hands out: the one
// change Upload makes to a message. IMAP messages have CRLF line ends (RFC 9051 sections
// 2.3.4 and 6.3.12), and servers rewrite what is not: Dovecot turns a bare LF into CRLF,
// a run of CRs before LF into one CRLF ("\r\r\n" -> "\r\n"), and drops CRs at the very
// end. NUL may not appear in an IMAP literal (RFC 3501 section 4.3); Dovecot hands it out
// as 0x80, and so it is sent as 0x80. Sending that form already makes the APPEND size, the
// quota charge, RFC822.SIZE and a later download agree byte for byte. A CR followed by
// anything but LF passes unchanged, as does every other byte.
type crlfReader struct {
	r         *bufio.Reader
	crs       int  // CRs read but not yet written: they may precede an LF
	pendingLF bool // the LF of a CRLF whose CR was written
}

func newCRLFReader(r io.Reader) *crlfReader { return &crlfReader{r: bufio.NewReaderSize(r, 64<<10)} }

func (c *crlfReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if c.pendingLF {
			p[n] = '\n'
			n++
			c.pendingLF = false
			continue
		}
		b, err := c.r.ReadByte()
		if err != nil {
			// CRs at the very end are dropped (see above).
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		switch {
		case b == '\r':
			c.crs++
		case b == '\n':
			c.crs = 0
			p[n] = '\r'
			n++
			c.pendingLF = true
		case c.crs > 0:
			// Bare CRs inside a line: written as they were, then b.
			if err := c.r.UnreadByte(); err != nil {
				return n, err
			}
			p[n] = '\r'
			n++
			c.crs--
		case b == 0:
			p[n] = 0x80
			n++
		default:
			p[n] = b
			n++
		}
	}
	return n, nil
}
