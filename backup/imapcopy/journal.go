package imapcopy

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/postfach/postfach/accounts/atomicfile"
)

// uploadEntry is one line of the upload journal: the source message key was stored on
// the server as UID under UIDValidity, with Size bytes and content hash SHA256 (of the
// CRLF form that was sent).
type uploadEntry struct {
	Key         string
	UIDValidity uint32
	UID         uint32
	Size        int64
	SHA256      [32]byte
}

// The journal is append-only text, one entry per line:
//
//	1 <uidvalidity> <uid> <size> <sha256 hex> <key hex>
//
// Each line is fsynced before the next APPEND starts. A line torn by a crash (no final
// newline) is cut off when the journal is opened; its message is then found on the
// server by the duplicate check instead.
const journalVersion = "1"

// uploadJournal is an open upload journal.
type uploadJournal struct {
	f       *os.File
	entries map[string]uploadEntry
}

func openUploadJournal(path string) (*uploadJournal, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	// The journal's own directory entry must survive a crash as well as its lines.
	if err := atomicfile.SyncDir(filepath.Dir(path)); err != nil {
		f.Close()
		return nil, fmt.Errorf("journal: %w", err)
	}
	j := &uploadJournal{f: f, entries: map[string]uploadEntry{}}
	data, err := os.ReadFile(path)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("journal: %w", err)
	}
	good := bytes.LastIndexByte(data, '\n') + 1
	j.entries = parseJournal(data[:good])
	if good != len(data) {
		if err := f.Truncate(int64(good)); err != nil {
			f.Close()
			return nil, fmt.Errorf("journal: %w", err)
		}
	}
	if _, err := f.Seek(int64(good), 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("journal: %w", err)
	}
	return j, nil
}

func parseEntry(line string) (uploadEntry, bool) {
	var e uploadEntry
	f := strings.Fields(line)
	if len(f) != 6 || f[0] != journalVersion {
		return e, false
	}
	v, err1 := strconv.ParseUint(f[1], 10, 32)
	u, err2 := strconv.ParseUint(f[2], 10, 32)
	size, err3 := strconv.ParseInt(f[3], 10, 64)
	sum, err4 := hex.DecodeString(f[4])
	key, err5 := hex.DecodeString(f[5])
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil || len(sum) != 32 || u == 0 || size < 0 {
		return e, false
	}
	e = uploadEntry{Key: string(key), UIDValidity: uint32(v), UID: uint32(u), Size: size}
	copy(e.SHA256[:], sum)
	return e, true
}

// add appends e and makes it durable before returning.
func (j *uploadJournal) add(e uploadEntry) error {
	line := fmt.Sprintf("%s %d %d %d %s %s\n", journalVersion, e.UIDValidity, e.UID, e.Size,
		hex.EncodeToString(e.SHA256[:]), hex.EncodeToString([]byte(e.Key)))
	if _, err := j.f.WriteString(line); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	j.entries[e.Key] = e
	return nil
}

func (j *uploadJournal) close() error { return j.f.Close() }

// openUploadJournalReadOnly reads the entries of an existing journal for a plan, without
// repairing or creating anything.
func openUploadJournalReadOnly(path string) (map[string]uploadEntry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	return parseJournal(data[:bytes.LastIndexByte(data, '\n')+1]), nil
}

func parseJournal(data []byte) map[string]uploadEntry {
	entries := map[string]uploadEntry{}
	for _, line := range strings.Split(string(data), "\n") {
		if e, ok := parseEntry(line); ok {
			entries[e.Key] = e
		}
	}
	return entries
}
