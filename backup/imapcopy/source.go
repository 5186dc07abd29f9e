package imapcopy

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/postfach/postfach/backup/maildir"
)

// source is one message of the Maildir an upload reads.
type source struct {
	Key   string // the file name without Maildir info: unique within the Maildir
	Path  string
	Flags []string
	// Size and SHA256 are of the CRLF form that is uploaded.
	Size      int64
	SHA256    [32]byte
	MessageID string
	// Date is the INTERNALDATE to give the message (see messageDate).
	Date time.Time
}

// scanSource reads every message in the Maildir at dir (new/ and cur/), in file name
// order (delivery order for Maildir names, which start with the time).
func scanSource(dir string) ([]source, error) {
	var out []source
	for _, sub := range []string{maildir.New, maildir.Cur} {
		ents, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", dir, err)
		}
		for _, e := range ents {
			if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			s, err := readSource(filepath.Join(dir, sub, e.Name()))
			if err != nil {
				return nil, err
			}
			if sub == maildir.New {
				s.Flags = nil // new/ holds mail nobody has seen; info there is not meaningful
			}
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b source) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

func readSource(path string) (source, error) {
	s := source{Path: path}
	s.Key, s.Flags = splitInfo(filepath.Base(path))
	f, err := os.Open(path)
	if err != nil {
		return s, fmt.Errorf("read message: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return s, fmt.Errorf("read message: %w", err)
	}
	h := parseHeader(f)
	s.MessageID = h.MessageID
	s.Date = messageDate(h, fi.ModTime())
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return s, fmt.Errorf("read message: %w", err)
	}
	sum := sha256.New()
	n, err := io.Copy(sum, newCRLFReader(f))
	if err != nil {
		return s, fmt.Errorf("read message %s: %w", path, err)
	}
	s.Size = n
	copy(s.SHA256[:], sum.Sum(nil))
	return s, nil
}

// messageDate picks the INTERNALDATE for an uploaded message: when the receiving server
// got it (the topmost Received field), else the sender's Date, else the file time. A
// date more than a day after the file time is a forgery or a broken clock and skipped.
func messageDate(h headerInfo, mtime time.Time) time.Time {
	for _, t := range []time.Time{h.Received, h.Date} {
		if !t.IsZero() && t.Before(mtime.Add(24*time.Hour)) {
			return t
		}
	}
	return mtime
}

// sourceKeys lists the keys of the messages in the Maildir at dir without reading them.
func sourceKeys(dir string) ([]string, error) {
	var keys []string
	for _, sub := range []string{maildir.New, maildir.Cur} {
		ents, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
				k, _ := splitInfo(e.Name())
				keys = append(keys, k)
			}
		}
	}
	return keys, nil
}
