package export

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode"
)

// EML writes each message to dir (created if needed) as its own .eml file, a
// byte-identical copy of the stored message, named "YYYY-MM-DD_HHMMSS_Subject.eml"
// (UTC) so that a file list sorted by name is sorted by date. Existing files are never
// overwritten: a name already taken gets a number. On cancellation or error the files
// already written stay (each complete) and are listed in the returned Stats.
func EML(ctx context.Context, dir string, msgs []Message, opt *Options) (Stats, error) {
	var st Stats
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return st, fmt.Errorf("export: %w", err)
	}
	rep := newReporter(opt, len(msgs))
	for i, m := range msgs {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		name, n, err := copyNew(dir, emlName(m), m.File)
		if err != nil {
			return st, err
		}
		st.Messages++
		st.Bytes += n
		st.Files = append(st.Files, name)
		rep.report(i + 1)
	}
	return st, nil
}

// emlName is the date-sortable base name of a message, without ".eml".
func emlName(m Message) string {
	date := m.Date
	if date.IsZero() {
		if fi, err := os.Stat(m.File); err == nil {
			date = fi.ModTime()
		}
	}
	name := date.UTC().Format("2006-01-02_150405")
	if s := slug(m.Subject); s != "" {
		name += "_" + s
	}
	return name
}

// slug keeps the letters and digits of a subject, words joined by '-', at most 40 runes:
// safe as a file name on Windows, macOS and Linux.
func slug(s string) string {
	var b strings.Builder
	n, dash := 0, false
	for _, r := range s {
		if n >= 40 {
			break
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
				n++
			}
			b.WriteRune(r)
			n++
			dash = false
		} else {
			dash = true
		}
	}
	return b.String()
}

// copyNew copies src to a new file dir/base.eml (or base_2.eml, ...) and returns its path.
// A partly written file is removed.
func copyNew(dir, base, src string) (string, int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", 0, wrapFile("read", src, err)
	}
	defer in.Close()
	var out *os.File
	var path string
	for k := 1; ; k++ {
		path = filepath.Join(dir, base+".eml")
		if k > 1 {
			path = filepath.Join(dir, fmt.Sprintf("%s_%d.eml", base, k))
		}
		out, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) || k > 10000 {
			return "", 0, wrapFile("write", path, err)
		}
	}
	n, err := io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return "", 0, wrapFile("copy", src, err)
	}
	return path, n, nil
}
