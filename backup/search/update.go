package search

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/postfach/postfach/backup/maildir"
	"github.com/postfach/postfach/backup/mailparse"
)

// Progress reports how far Update is. Done counts messages read so far, Total those to
// index in this run. Done == Total is reported once they are all committed.
type Progress struct {
	Done, Total int
}

// Stats says what an Update did.
type Stats struct {
	Added   int // messages indexed
	Removed int // entries dropped because their file is gone
	Moved   int // entries whose file moved (a mail program moved it from new/ to cur/)
	// Skipped counts files that could not be read now (removed or moved while indexing,
	// or unreadable); the next Update tries them again.
	Skipped int
	Damaged int // messages indexed only in part (see mailparse.Message.Defects)
	Total   int // messages in the index afterwards
}

// batchSize is how many messages one transaction adds. Each commit keeps the work done
// so far if the update is cancelled, and lets searches see the progress. Larger batches
// give FTS5 fewer segments to merge (see hashsize in index.go).
const batchSize = 500

// progressEvery is how often (in messages) Update reports progress between commits.
const progressEvery = 100

// Update brings the index up to date with the Maildir: it indexes messages not indexed
// yet and drops entries whose file is gone. It only reads the Maildir. Damaged messages
// are indexed as far as they parse. progress (may be nil) is called from Update's
// goroutine after each batch. When ctx is cancelled, Update returns ctx's error and
// keeps the batches it committed. A damaged index is rebuilt from scratch.
func (ix *Index) Update(ctx context.Context, progress func(Progress)) (Stats, error) {
	st, err := ix.update(ctx, progress)
	if errors.Is(err, ErrCorrupt) {
		if err := ix.recreate(); err != nil {
			return Stats{}, err
		}
		return ix.update(ctx, progress)
	}
	return st, err
}

type indexed struct {
	id   int64
	file string
}

func (ix *Index) update(ctx context.Context, progress func(Progress)) (Stats, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	var st Stats
	md, err := maildir.Open(ix.root)
	if err != nil {
		return st, fmt.Errorf("search index: %w", err)
	}
	files, err := md.Scan()
	if err != nil {
		return st, fmt.Errorf("search index: %w", err)
	}
	have, err := ix.indexedKeys(ctx)
	if err != nil {
		return st, err
	}
	if err := ix.dropAndMove(ctx, files, have, &st); err != nil {
		return st, err
	}
	var todo []job
	for k, rel := range files {
		if _, ok := have[k]; !ok {
			todo = append(todo, job{key: k, rel: rel})
		}
	}
	// Oldest first (file names start with the delivery time), so an interrupted first
	// indexing already covers a contiguous stretch of the mail.
	sort.Slice(todo, func(i, j int) bool { return filepath.Base(todo[i].rel) < filepath.Base(todo[j].rel) })
	if err := ix.add(ctx, todo, progress, &st); err != nil {
		return st, err
	}
	if err := ix.db.QueryRowContext(ctx, "SELECT count(*) FROM msg").Scan(&st.Total); err != nil {
		return st, wrap("count", err)
	}
	return st, nil
}

func (ix *Index) indexedKeys(ctx context.Context) (map[maildir.Key]indexed, error) {
	rows, err := ix.db.QueryContext(ctx, "SELECT id, uidl, gen, file FROM msg")
	if err != nil {
		return nil, wrap("read", err)
	}
	defer rows.Close()
	have := make(map[maildir.Key]indexed)
	for rows.Next() {
		var k maildir.Key
		var e indexed
		if err := rows.Scan(&e.id, &k.UIDL, &k.Gen, &e.file); err != nil {
			return nil, wrap("read", err)
		}
		have[k] = e
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("read", err)
	}
	return have, nil
}

// dropAndMove deletes entries whose message is gone and follows files that moved.
func (ix *Index) dropAndMove(ctx context.Context, files map[maildir.Key]string, have map[maildir.Key]indexed, st *Stats) error {
	changed := false
	for k, e := range have {
		if rel, ok := files[k]; !ok || rel != e.file {
			changed = true
			break
		}
	}
	if !changed {
		return nil
	}
	tx, err := ix.db.BeginTx(ctx, nil)
	if err != nil {
		return wrap("begin", err)
	}
	defer tx.Rollback()
	for k, e := range have {
		rel, ok := files[k]
		switch {
		case !ok:
			if _, err := tx.ExecContext(ctx, "DELETE FROM msg WHERE id = ?", e.id); err != nil {
				return wrap("delete", err)
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM fts WHERE rowid = ?", e.id); err != nil {
				return wrap("delete", err)
			}
			st.Removed++
		case rel != e.file:
			if _, err := tx.ExecContext(ctx, "UPDATE msg SET file = ? WHERE id = ?", rel, e.id); err != nil {
				return wrap("move", err)
			}
			st.Moved++
		}
	}
	if err := tx.Commit(); err != nil {
		return wrap("commit", err)
	}
	return nil
}

// job is one message to index; doc is filled in by a parse worker.
type job struct {
	key maildir.Key
	rel string
	doc *document
	err error
}

// document is what the index stores for one message.
type document struct {
	size                    int64
	date                    int64
	messageID, sender, subj string
	senderKey               string
	recipients, attachNames string
	attachments             int
	body                    string
	damaged                 bool
}

// add parses the jobs on all cores and writes them in batches from this goroutine.
func (ix *Index) add(ctx context.Context, todo []job, progress func(Progress), st *Stats) error {
	if len(todo) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel() // stops the feeder; the workers finish the message in hand
		wg.Wait()
	}()
	jobs := make(chan int)
	done := make([]chan struct{}, len(todo))
	for i := range done {
		done[i] = make(chan struct{})
	}
	// ahead bounds the parsed messages waiting for the writer (each holds up to 256 KiB
	// of text): parsing is faster than writing, and 100,000 waiting texts would not fit.
	ahead := make(chan struct{}, 2*ix.batch)
	workers := max(1, runtime.GOMAXPROCS(0))
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				todo[i].doc, todo[i].err = ix.parse(todo[i].rel)
				close(done[i])
			}
		})
	}
	wg.Go(func() {
		defer close(jobs)
		for i := range todo {
			select {
			case ahead <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	})
	for start := 0; start < len(todo); start += ix.batch {
		end := min(start+ix.batch, len(todo))
		for i := start; i < end; i++ {
			select {
			case <-done[i]:
			case <-ctx.Done():
				return ctx.Err()
			}
			if progress != nil && (i+1)%progressEvery == 0 && i+1 < len(todo) {
				progress(Progress{Done: i + 1, Total: len(todo)})
			}
		}
		if err := ix.write(ctx, todo[start:end], st); err != nil {
			return err
		}
		for i := start; i < end; i++ {
			todo[i].doc = nil // let the text go
			<-ahead
		}
		if progress != nil && end == len(todo) {
			progress(Progress{Done: end, Total: len(todo)})
		}
	}
	return nil
}

func (ix *Index) write(ctx context.Context, batch []job, st *Stats) error {
	tx, err := ix.db.BeginTx(ctx, nil)
	if err != nil {
		return wrap("begin", err)
	}
	defer tx.Rollback()
	insMsg, err := tx.PrepareContext(ctx, `INSERT INTO msg(uidl, gen, file, size, date, message_id,
		sender, sender_key, subject, attachments) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return wrap("prepare", err)
	}
	defer insMsg.Close()
	insFTS, err := tx.PrepareContext(ctx, `INSERT INTO fts(rowid, sender, recipients, subject,
		attachments, body) VALUES(?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return wrap("prepare", err)
	}
	defer insFTS.Close()
	for _, j := range batch {
		if j.err != nil {
			st.Skipped++
			continue
		}
		d := j.doc
		res, err := insMsg.ExecContext(ctx, j.key.UIDL, j.key.Gen, j.rel, d.size, d.date, d.messageID,
			d.sender, d.senderKey, d.subj, d.attachments)
		if err != nil {
			return wrap("insert", err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return wrap("insert", err)
		}
		if _, err := insFTS.ExecContext(ctx, id, fold(d.sender), fold(d.recipients), fold(d.subj),
			fold(d.attachNames), fold(d.body)); err != nil {
			return wrap("insert", err)
		}
		st.Added++
		if d.damaged {
			st.Damaged++
		}
	}
	if err := tx.Commit(); err != nil {
		return wrap("commit", err)
	}
	return nil
}

// parse reads one stored message into a document. A panic in the parser (which reads
// untrusted mail) is turned into an entry without text rather than a crashed app.
func (ix *Index) parse(rel string) (d *document, err error) {
	f, err := os.Open(filepath.Join(ix.root, rel))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	d = &document{size: fi.Size(), date: fileTime(rel, fi.ModTime())}
	defer func() {
		if r := recover(); r != nil {
			d.damaged, err = true, nil
		}
	}()
	m, err := mailparse.Parse(f, nil)
	if err != nil {
		return nil, err
	}
	if !m.Date.IsZero() && m.Date.Year() >= 1970 && m.Date.Before(time.Now().AddDate(1, 0, 0)) {
		d.date = m.Date.Unix()
	}
	d.messageID, d.subj, d.body = m.MessageID, m.Subject, m.Text
	d.damaged = len(m.Defects) > 0
	d.sender = joinAddrs(m.From)
	d.senderKey = foldKey(d.sender)
	d.recipients = joinAddrs(m.To) + "\n" + joinAddrs(m.Cc)
	var names []string
	for _, a := range m.Attachments {
		if a.Name != "" {
			names = append(names, a.Name)
		}
		if !a.Inline {
			d.attachments++
		}
	}
	d.attachNames = strings.Join(names, "\n")
	return d, nil
}

func joinAddrs(list []mailparse.Address) string {
	s := make([]string, len(list))
	for i, a := range list {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

// fileTime is the delivery time in a Postfach file name (maildir.FileName starts with
// the Unix time), else the file's modification time. It dates messages without a
// usable Date header.
func fileTime(rel string, mod time.Time) int64 {
	name := filepath.Base(rel)
	if i := strings.IndexByte(name, '.'); i > 0 {
		if t, err := strconv.ParseInt(name[:i], 10, 64); err == nil {
			return t
		}
	}
	return mod.Unix()
}
