package backup

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/postfach/postfach/backup/index"
)

// damagedDir is where copies that failed their hash are kept, inside .postfach so that
// mail programs reading the Maildir do not show them; Postfach never deletes them.
const damagedDir = "damaged"

// checkSuspects re-hashes the files Verify found changed. A copy that still fails is
// moved aside and forgotten, so that plan downloads the message again if the server has
// it; one that now matches (a read error that went away) stays.
func (r *runner) checkSuspects(names []string) error {
	r.checked = make(map[string]bool, len(names))
	r.healing = make(map[string]bool)
	if len(names) == 0 {
		return nil
	}
	byFile := make(map[string]index.Entry)
	for _, e := range r.ix.Entries() {
		byFile[e.File] = e
	}
	var forget []index.Record
	for _, name := range names {
		r.checked[name] = true
		e, ok := byFile[name]
		rel := r.files[name]
		if !ok || rel == "" {
			continue // no longer current, or already missing: plan handles it
		}
		size, sum, err := r.f.md.HashFile(rel)
		if err == nil && size == e.Size && sum == e.SHA256 {
			continue
		}
		note, err := r.moveAside(asideCopy{rel, e.UIDL})
		if err != nil {
			return err
		}
		delete(r.files, name)
		r.res.Errors = append(r.res.Errors, note)
		forget = append(forget, index.Record{Op: 'L', Entry: e})
		r.healing[e.UIDL] = true
	}
	// The forgotten entries' files are gone from the Maildir now, so plan finds the
	// UIDLs unknown and downloads them (with a new generation) if the server has them.
	return r.ix.Append(forget...)
}

// moveAside moves a damaged stored copy out of the Maildir into .postfach/damaged, never
// overwriting anything there, and returns the note for the run's result. It touches no
// runner state, so the committing goroutine may call it.
func (r *runner) moveAside(c asideCopy) (MessageError, error) {
	dst, err := r.f.md.SetAside(c.rel, r.f.metaPath(damagedDir))
	if err != nil {
		return MessageError{}, fmt.Errorf("set damaged copy aside: %w", err)
	}
	return MessageError{UIDL: c.uidl, Err: "the damaged copy was moved to " + dst}, nil
}

// fileHeadDigest computes headDigest over a stored file's header block.
func fileHeadDigest(path string) ([32]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return [32]byte{}, err
	}
	defer f.Close()
	d := newHeadDigest()
	br := bufio.NewReader(f)
	for !d.done {
		line, err := br.ReadSlice('\n')
		d.Write(line)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return [32]byte{}, err
		}
	}
	return d.Sum(), nil
}
