package maildir

import (
	"bufio"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"time"
)

// Pending is a message being written to tmp/. Write the message, then Finish it, then
// hand it to Commit (or SyncData and Publish) with others. Its file stays open until
// SyncData or Abort (see the package doc for why).
type Pending struct {
	Key    Key
	Name   string // base file name in tmp/ and, after Commit, in new/
	Size   int64
	SHA256 [32]byte
	f      *os.File
	w      *bufio.Writer
	h      hash.Hash
	dir    *Dir
	state  state
}

// state is where a Pending is on its way from Create to Publish.
type state uint8

const (
	writing  state = iota // created, taking Writes
	finished              // flushed and hashed, file open, not yet durable
	synced                // durable, file closed; Publish may rename it
	closed                // aborted, released by Dir.Close, or its sync failed
)

// errState reports a Pending used out of order (say, written after Finish, or published
// before its sync succeeded): a bug in the caller, never a disk condition.
var errState = errors.New("message is not in the right state for this step")

// writeBuffer batches the small writes the POP3 reader hands over (one per run of text
// between dot-stuffed lines): 10,000 messages made 211,000 write calls without it.
const writeBuffer = 64 << 10

// Create starts writing a message for key into tmp/. The file is created 0600.
func (d *Dir) Create(k Key, now time.Time) (*Pending, error) {
	name := FileName(k, now)
	f, err := os.OpenFile(filepath.Join(d.path, Tmp, name), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("maildir create: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	w := d.spare
	d.spare = nil
	if w == nil {
		w = bufio.NewWriterSize(f, writeBuffer)
	} else {
		w.Reset(f)
	}
	p := &Pending{Key: k, Name: name, f: f, w: w, h: sha256.New(), dir: d}
	if d.open == nil {
		d.open = make(map[*Pending]struct{})
	}
	d.open[p] = struct{}{}
	return p, nil
}

// Write appends message bytes, hashing them on the way.
func (p *Pending) Write(b []byte) (int, error) {
	if p.state != writing {
		return 0, fmt.Errorf("write to backup folder: %s: %w", p.Name, errState)
	}
	n, err := p.w.Write(b)
	p.h.Write(b[:n])
	p.Size += int64(n)
	if err != nil {
		// Say where: inside a RETR, a bare "no space left" reads like a server problem.
		err = fmt.Errorf("write to backup folder: %w", err)
	}
	return n, err
}

// Finish ends a message after it was written whole: it records the hash and hands the
// buffered bytes to the file. The file stays open for SyncData, which makes it durable.
func (p *Pending) Finish() error {
	if p.state != writing {
		return fmt.Errorf("maildir write %s: %w", p.Name, errState)
	}
	copy(p.SHA256[:], p.h.Sum(nil))
	if err := p.w.Flush(); err != nil {
		return fmt.Errorf("maildir write %s: %w", p.Name, err)
	}
	p.w.Reset(nil)
	p.dir.mu.Lock()
	p.dir.spare = p.w
	p.dir.mu.Unlock()
	p.w, p.h = nil, nil
	p.state = finished
	return nil
}

// Abort closes and removes an unfinished or uncommitted message. It may be called more
// than once, and after a failed Commit.
func (p *Pending) Abort() {
	if p.f != nil {
		p.f.Close()
		p.f = nil
		p.dir.mu.Lock()
		delete(p.dir.open, p)
		p.dir.mu.Unlock()
	}
	p.w, p.h, p.state = nil, nil, closed
	os.Remove(filepath.Join(p.dir.path, Tmp, p.Name))
}
