package maildir

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/postfach/postfach/accounts/atomicfile"
)

// Dir is a Maildir on disk. It is not safe for concurrent use, with one exception that
// lets a caller download the next batch while the previous one is made durable: while a
// goroutine commits a batch (SyncData, Publish, SyncNew, Commit or SetAside), another may create,
// write, finish and abort the messages of the next one. A Pending belongs to one
// goroutine at a time, and Close comes last.
type Dir struct {
	path string
	// mu guards open (the writing and the committing goroutine both change it) and spare.
	mu sync.Mutex
	// open holds the messages whose file is still open (created, not yet synced or
	// aborted), so that Close can release them when a run ends early.
	open map[*Pending]struct{}
	// spare is the write buffer of the last finished message, reused by the next Create.
	spare *bufio.Writer
	// rootSynced is set once SyncNew has synced the Maildir's own directory, which holds
	// the entries of new/, cur/ and tmp/. Only the committing side touches it, one
	// commit at a time.
	rootSynced bool
	// syncFile makes one file's data durable; nil means syncData. Tests set it to make
	// a sync fail.
	syncFile func(*os.File) error
	// workers bounds the syncs of a batch that run at once; zero means syncWorkers.
	workers int
	// link is os.Link unless a test stands in for a file system without hard links.
	link func(oldname, newname string) error
}

// Subdirectories of a Maildir.
const (
	Cur = "cur"
	New = "new"
	Tmp = "tmp"
)

const suffix = ".postfach"

// Create makes the Maildir's subdirectories (0700) if they do not exist, makes their
// entries durable when it created any, and returns it. When all three exist it syncs
// nothing: a run that publishes nothing, such as an incremental backup with nothing new,
// then waits for no directory sync (13 ms of a 0.1 s run in bench/memory_test.go), and
// SyncNew syncs the directory before the first message relies on new/ (in case they
// were made by a process that crashed before its sync).
func Create(path string) (*Dir, error) {
	created := false
	for _, sub := range []string{Cur, New, Tmp} {
		dir := filepath.Join(path, sub)
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			continue
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("maildir %s: %w", path, err)
		}
		created = true
	}
	if created {
		if err := atomicfile.SyncDir(path); err != nil {
			return nil, err
		}
	}
	return &Dir{path: path, rootSynced: created}, nil
}

// Open returns the Maildir at path; it fails if a subdirectory is missing.
func Open(path string) (*Dir, error) {
	for _, sub := range []string{Cur, New, Tmp} {
		fi, err := os.Stat(filepath.Join(path, sub))
		if err != nil {
			return nil, fmt.Errorf("maildir %s: %w", path, err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("maildir %s: %s is not a directory", path, sub)
		}
	}
	return &Dir{path: path}, nil
}

// Close releases the files of messages that were created but neither synced nor
// aborted, when a run ends early. Their files stay in tmp/ until CleanTmp: they were
// never published, so the server still holds those messages.
func (d *Dir) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var errs []error
	for p := range d.open {
		if err := p.f.Close(); err != nil {
			errs = append(errs, fmt.Errorf("maildir close %s: %w", p.Name, err))
		}
		p.f, p.state = nil, closed
	}
	clear(d.open)
	return errors.Join(errs...)
}

// Path returns the Maildir's root.
func (d *Dir) Path() string { return d.path }

// Key identifies a downloaded message: its UIDL and a generation that is raised when a
// server reuses a UIDL for a different message after Postfach deleted the first one.
type Key struct {
	UIDL string
	Gen  int
}

// FileName returns the base name (without flags) under which a message is stored:
// "<unix time>.U<hex uidl>_<gen>.postfach". The time prefix keeps names in delivery
// order, as Maildir readers expect.
func FileName(k Key, t time.Time) string {
	return fmt.Sprintf("%d.U%s_%d%s", t.Unix(), hex.EncodeToString([]byte(k.UIDL)), k.Gen, suffix)
}

// BaseName returns a stored file's name (from a name or a path) without the ":2,FLAGS"
// info suffix mail readers add when they move a file to cur/ ('!' on Windows): the name
// FileName gave it, which is what an index records.
func BaseName(rel string) string {
	name := filepath.Base(rel)
	if i := strings.IndexAny(name, ":!"); i >= 0 {
		name = name[:i]
	}
	return name
}

// ParseFileName recovers the key from a file name written by FileName, with or without
// the info suffix (see BaseName).
func ParseFileName(name string) (Key, bool) {
	name = BaseName(name)
	if !strings.HasSuffix(name, suffix) {
		return Key{}, false
	}
	parts := strings.Split(strings.TrimSuffix(name, suffix), ".")
	if len(parts) != 2 || !strings.HasPrefix(parts[1], "U") {
		return Key{}, false
	}
	hexUID, genStr, ok := strings.Cut(parts[1][1:], "_")
	uid, err := hex.DecodeString(hexUID)
	gen, err2 := strconv.Atoi(genStr)
	if !ok || err != nil || err2 != nil || len(uid) == 0 || gen < 0 {
		return Key{}, false
	}
	return Key{UIDL: string(uid), Gen: gen}, true
}

// Scan lists the messages Postfach stored in new/ and cur/, by key, with their paths
// relative to the Maildir root. Files of other programs are ignored.
func (d *Dir) Scan() (map[Key]string, error) {
	found := make(map[Key]string)
	for _, sub := range []string{New, Cur} {
		ents, err := os.ReadDir(filepath.Join(d.path, sub))
		if err != nil {
			return nil, fmt.Errorf("maildir scan: %w", err)
		}
		for _, e := range ents {
			if k, ok := ParseFileName(e.Name()); ok && e.Type().IsRegular() {
				found[k] = filepath.Join(sub, e.Name())
			}
		}
	}
	return found, nil
}

// Stored lists the messages Postfach stored in new/ and cur/ by base file name (without
// the info suffix mail readers add), with their paths relative to the Maildir root. It
// is Scan without decoding the names — what a run needs on every start to see which
// copies exist, for 10,000 messages in a few milliseconds.
func (d *Dir) Stored() (map[string]string, error) {
	found := make(map[string]string)
	for _, sub := range []string{New, Cur} {
		f, err := os.Open(filepath.Join(d.path, sub))
		if err != nil {
			return nil, fmt.Errorf("maildir scan: %w", err)
		}
		ents, err := f.ReadDir(-1) // unsorted, unlike os.ReadDir
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("maildir scan: %w", err)
		}
		for _, e := range ents {
			name := e.Name()
			base := BaseName(name)
			if strings.HasSuffix(base, suffix) && e.Type().IsRegular() {
				found[base] = sub + string(filepath.Separator) + name
			}
		}
	}
	return found, nil
}

// CleanTmp removes files Postfach left in tmp/ when a run was interrupted. They were never
// renamed into new/, so no index entry refers to them and the server still has the mail.
// A file that another program holds open on Windows (which then refuses to delete it)
// stays for a later run rather than failing this one: leaving it loses nothing, and the
// message's next download gets another name, which carries its own time.
func (d *Dir) CleanTmp() error {
	dir := filepath.Join(d.path, Tmp)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("maildir clean tmp: %w", err)
	}
	removed := false
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), suffix) {
			err := os.Remove(filepath.Join(dir, e.Name()))
			if err != nil && !errors.Is(err, fs.ErrNotExist) && !inUse(err) {
				return fmt.Errorf("maildir clean tmp: %w", err)
			}
			removed = true
		}
	}
	if removed {
		return atomicfile.SyncDir(dir)
	}
	return nil
}

// HashFile returns the size and SHA-256 of a stored message (path relative to the root).
func (d *Dir) HashFile(rel string) (int64, [32]byte, error) {
	var sum [32]byte
	f, err := os.Open(filepath.Join(d.path, rel))
	if err != nil {
		return 0, sum, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := f.WriteTo(h)
	if err != nil {
		return 0, sum, err
	}
	copy(sum[:], h.Sum(nil))
	return n, sum, nil
}
