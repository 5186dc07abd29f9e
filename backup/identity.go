package backup

import (
	"crypto/sha256"
	"hash"
)

// headDigest hashes a message's header block: the lines before the first empty line,
// each without its line ending. Postfach records it when it retrieves a message and
// compares it with the server's answer to "TOP n 0" before deleting a message that was
// retrieved in an earlier session, so that a server that gave the UIDL to another
// message (RFC 1939 section 7 allows reuse once the first message is gone) cannot make it
// delete a message that was never downloaded. Header blocks of different messages differ
// in Message-ID, Received and Date.
//
// Line endings are left out so that a server that sends TOP and RETR with different line
// endings still matches; anything else that differs counts as another message, which
// costs a full retrieval for comparison and never a deletion.
type headDigest struct {
	h       hash.Hash
	line    []byte // the current line so far (a header line is short; capped)
	long    bool   // the current line exceeded the cap and is hashed piecewise
	started bool   // the current line has content
	done    bool
}

// maxHeadLine caps the bytes buffered for one line; longer lines are hashed in pieces.
const maxHeadLine = 4096

func newHeadDigest() *headDigest { return &headDigest{h: sha256.New()} }

// Write consumes message bytes; after the header block it ignores the rest cheaply.
func (d *headDigest) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 && !d.done {
		i := 0
		for i < len(p) && p[i] != '\n' {
			i++
		}
		d.add(p[:i])
		if i == len(p) {
			break
		}
		d.endLine()
		p = p[i+1:]
	}
	return n, nil
}

func (d *headDigest) add(b []byte) {
	if len(b) == 0 {
		return
	}
	d.started = true
	d.line = append(d.line, b...)
	if len(d.line) > maxHeadLine {
		// Keep the last byte back: it may be the CR of a CRLF.
		d.h.Write(d.line[:len(d.line)-1])
		d.line = append(d.line[:0], d.line[len(d.line)-1])
		d.long = true
	}
}

func (d *headDigest) endLine() {
	line := d.line
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	if len(line) == 0 && !d.long {
		d.done = true // the empty line that ends the header block
		return
	}
	d.h.Write(line)
	d.h.Write([]byte{'\n'})
	d.line, d.long, d.started = d.line[:0], false, false
}

// Sum returns the digest. A block without an empty line (a message of headers only) ends
// with its last, possibly unterminated, line.
func (d *headDigest) Sum() [32]byte {
	if !d.done && d.started {
		d.endLine()
	}
	var s [32]byte
	copy(s[:], d.h.Sum(nil))
	return s
}
