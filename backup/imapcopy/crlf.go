package imapcopy

import (
	"bufio"
	"io"
)

// crlfReader reads a message with every bare LF turned into CRLF: the one change Upload
// makes to a message. IMAP hands messages out with CRLF line ends (RFC 9051 sections 2.3.4
// and 6.3.12; Dovecot converts a bare LF itself), so the size given in APPEND, the quota
// charge and RFC822.SIZE only agree when the client sends that form. Every other byte,
// bare CR included, passes unchanged.
type crlfReader struct {
	r         *bufio.Reader
	prevCR    bool
	pendingLF bool
}

func newCRLFReader(r io.Reader) *crlfReader { return &crlfReader{r: bufio.NewReaderSize(r, 64<<10)} }

func (c *crlfReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if c.pendingLF {
			p[n] = '\n'
			n++
			c.pendingLF, c.prevCR = false, false
			continue
		}
		b, err := c.r.ReadByte()
		if err != nil {
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		if b == '\n' && !c.prevCR {
			p[n] = '\r'
			n++
			c.pendingLF = true
			continue
		}
		p[n] = b
		n++
		c.prevCR = b == '\r'
	}
	return n, nil
}
