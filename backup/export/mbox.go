package export

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/postfach/postfach/accounts/atomicfile"
)

// Mbox writes the messages, in the given order, into a new mboxrd file at path. The
// file appears only when the export is complete (written as path.part, synced,
// renamed); if path exists, Mbox returns ErrExists and writes nothing.
func Mbox(ctx context.Context, path string, msgs []Message, opt *Options) (Stats, error) {
	var st Stats
	if _, err := os.Lstat(path); err == nil {
		return st, fmt.Errorf("%w: %s", ErrExists, path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return st, fmt.Errorf("export: %w", err)
	}
	tmp := path + ".part"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return st, fmt.Errorf("export: %w", err)
	}
	st, err = WriteMbox(ctx, f, msgs, opt)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = atomicfile.SyncDir(filepath.Dir(path))
	}
	if err != nil {
		os.Remove(tmp)
		return Stats{}, fmt.Errorf("export mbox %s: %w", path, err)
	}
	st.Files = []string{path}
	return st, nil
}

// WriteMbox writes the messages in mboxrd format to w, for callers that supply their
// own destination (a file chosen in a save dialog). On error, w holds a partial mbox.
func WriteMbox(ctx context.Context, w io.Writer, msgs []Message, opt *Options) (Stats, error) {
	var st Stats
	bw := bufio.NewWriterSize(w, 256<<10)
	rep := newReporter(opt, len(msgs))
	for i, m := range msgs {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		n, err := writeOne(bw, m)
		if err != nil {
			return st, err
		}
		st.Messages++
		st.Bytes += n
		rep.report(i + 1)
	}
	if err := bw.Flush(); err != nil {
		return st, fmt.Errorf("export mbox: %w", err)
	}
	return st, nil
}

// fromLine is the separator: "From " sender, then the date in asctime form (UTC).
func fromLine(m Message) string {
	date := m.Date
	if date.IsZero() {
		date = time.Unix(0, 0)
	}
	return "From " + envelopeSender(m.From) + " " + date.UTC().Format("Mon Jan _2 15:04:05 2006") + "\n"
}

// writeOne writes one message: the separator line, the message with every line that
// matches ^>*From  quoted by one more '>', a line end if the message lacks a final one,
// and an empty line.
func writeOne(w *bufio.Writer, m Message) (int64, error) {
	f, err := os.Open(m.File)
	if err != nil {
		return 0, wrapFile("read", m.File, err)
	}
	defer f.Close()
	if _, err := w.WriteString(fromLine(m)); err != nil {
		return 0, fmt.Errorf("export mbox: %w", err)
	}
	r := bufio.NewReaderSize(f, 64<<10)
	n, last, err := quoteCopy(w, r)
	if err != nil {
		return n, wrapFile("copy", m.File, err)
	}
	end := "\n"
	if last != '\n' {
		end = "\n\n"
	}
	if _, err := w.WriteString(end); err != nil {
		return n, fmt.Errorf("export mbox: %w", err)
	}
	return n, nil
}

// quoteCopy copies r to w, adding one '>' to each line matching ^>*From . It returns
// the message bytes read and the last byte. Quoting only needs the start of each line:
// a run of '>' is copied, and if "From " follows, one more '>' is written after it.
func quoteCopy(w *bufio.Writer, r *bufio.Reader) (int64, byte, error) {
	var n int64
	var last byte
	for {
		// At the start of a line.
		for {
			c, err := r.ReadByte()
			if err == io.EOF {
				return n, last, nil
			}
			if err != nil {
				return n, last, err
			}
			if c != '>' {
				r.UnreadByte()
				break
			}
			w.WriteByte(c)
			n++
			last = c
		}
		if p, _ := r.Peek(5); string(p) == "From " {
			w.WriteByte('>')
		}
		for {
			line, err := r.ReadSlice('\n')
			w.Write(line)
			n += int64(len(line))
			if len(line) > 0 {
				last = line[len(line)-1]
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err == io.EOF {
				return n, last, nil
			}
			if err != nil {
				return n, last, err
			}
			break
		}
	}
}
