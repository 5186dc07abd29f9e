// Package index records which POP3 messages a backup folder holds, under which file, with
// which SHA-256, and which of them Postfach asked the server to delete.
//
// The index is an append-only journal (one line per event, fsynced per batch) rather than
// a file rewritten on every change: appending a batch of records costs one fsync, and a
// crash can at worst leave a torn last line, which was never acknowledged and is dropped
// on the next open. The journal is compacted by an atomic rewrite when it has grown much
// larger than its content.
//
// Format (text, one record per line, fields separated by a single space; a UIDL is 1-70
// printable ASCII characters without spaces, RFC 1939 section 7):
//
//	postfach-index 2
//	S <uidl> <gen> <file> <size> <sha256 hex> <unix seconds> <octets> <head>   saved (durable in the Maildir)
//	P <uidl> <octets> <head>                  proven: the server's message under uidl is this copy
//	R <uidl> <unix seconds>                   DELE sent, awaiting QUIT
//	C <uidl> <unix seconds>                   deletion confirmed by the server
//	U <uidl>                                  deletion request withdrawn
//	V <uidl> <unix seconds>                   vanished: the server stopped listing uidl on its own
//	L <uidl>                                  local copy missing or set aside: forget the entry
//	G <uidl> <gen>                            highest generation used (kept by compaction)
//
// <octets> is the size the server listed (LIST) and <head> the hex SHA-256 of the
// message's header block as retrieved (see backup's identity.go); both are "-" for an
// unproven entry: one whose bytes were hashed from the disk (a rebuilt index, an adopted
// file, an index of format 1) rather than retrieved from the server under that UIDL.
// Format 1 had 7-field S records and no P or V; it is read and rewritten as format 2 on
// open.
//
// An S record for a UIDL that already has an entry of another generation retires that
// entry: the server's message under the UIDL is now a different one, and the earlier copy
// stays in the backup (Retired lists it for Verify).
package index

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/postfach/postfach/accounts/atomicfile"
)

// ErrCorrupt means the index cannot be read; callers rebuild it from the Maildir.
var ErrCorrupt = errors.New("backup index is damaged")

const (
	header   = "postfach-index 2"
	headerV1 = "postfach-index 1"
)

// Entry is what the index knows about one stored copy.
type Entry struct {
	UIDL   string
	Gen    int    // raised when the server's message under a UIDL is a different one
	File   string // base file name in the Maildir (without info flags)
	Size   int64
	SHA256 [32]byte
	Saved  time.Time // when the message became durable in the backup
	// Octets and Head identify the server's message this copy was retrieved from: its
	// LIST size and the digest of its header block. A zero Head means unproven.
	Octets int64
	Head   [32]byte
	// DeleteRequested is set while a DELE was sent but not yet confirmed by QUIT +OK.
	DeleteRequested time.Time
	// Deleted is set once the server confirmed the deletion; the backup still holds it.
	Deleted time.Time
	// Gone is set when the server stopped listing the UIDL without Postfach deleting it
	// (another client did); a later message under the same UIDL is a new one.
	Gone time.Time
}

// Proven reports whether the entry's bytes were retrieved from the server under its UIDL
// (by this index), so that Octets and Head describe the server's message.
func (e *Entry) Proven() bool { return e.Head != [32]byte{} }

// OnServer reports whether the server held the message at the last listing: neither
// deleted by Postfach nor vanished.
func (e *Entry) OnServer() bool { return e.Deleted.IsZero() && e.Gone.IsZero() }

// Index is an open journal. It is not safe for concurrent use; the backup run's lock
// keeps other processes out.
type Index struct {
	path    string
	f       *os.File
	entries map[string]*Entry // the current entry per UIDL
	retired []*Entry          // earlier generations, still in the backup
	gens    map[string]int    // highest generation seen per UIDL, including forgotten entries
	lines   int
	version int
}

// Record is one journal line to append.
type Record struct {
	Op    byte // 'S', 'P', 'R', 'C', 'U', 'V', 'L' or 'G'
	Entry Entry
	At    time.Time
}

// Open reads the journal at path. A missing file returns an error wrapping fs.ErrNotExist;
// a damaged one, ErrCorrupt. A torn last line (no newline) is dropped; a format 1 journal
// is rewritten as format 2.
func Open(path string) (*Index, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	ix, complete, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", path, err)
	}
	if ix.version == 1 {
		return create(path, ix.all(), ix.lostGens())
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	if complete < len(data) {
		if err := f.Truncate(int64(complete)); err != nil {
			f.Close()
			return nil, fmt.Errorf("index: drop torn line: %w", err)
		}
	}
	if _, err := f.Seek(int64(complete), io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("index: %w", err)
	}
	ix.path, ix.f = path, f
	return ix, nil
}

// Create writes a new journal holding entries (atomically, replacing any file at path)
// and opens it. Rebuilds use it. Of several entries for one UIDL, the highest generation
// is current and the others are retired.
func Create(path string, entries []Entry) (*Index, error) {
	return create(path, entries, nil)
}

// create writes entries plus, for UIDLs whose copies were forgotten, the highest
// generation used, so that a new download never reuses an old file name.
func create(path string, entries []Entry, gens map[string]int) (*Index, error) {
	var buf bytes.Buffer
	buf.WriteString(header + "\n")
	// Lower generations first, so that each UIDL's current entry is written last and
	// retires the earlier ones on reading.
	sort.SliceStable(entries, func(i, j int) bool {
		if entries[i].Gen != entries[j].Gen {
			return entries[i].Gen < entries[j].Gen
		}
		if !entries[i].Saved.Equal(entries[j].Saved) {
			return entries[i].Saved.Before(entries[j].Saved)
		}
		return entries[i].UIDL < entries[j].UIDL
	})
	uidls := make([]string, 0, len(gens))
	for u := range gens {
		uidls = append(uidls, u)
	}
	sort.Strings(uidls)
	for _, u := range uidls {
		writeRecord(&buf, Record{Op: 'G', Entry: Entry{UIDL: u, Gen: gens[u]}})
	}
	for _, e := range entries {
		if err := e.check('S'); err != nil {
			return nil, fmt.Errorf("index create: %w", err)
		}
		for _, t := range []time.Time{e.Saved, e.DeleteRequested, e.Deleted, e.Gone} {
			if !t.IsZero() && !timeOK(t) {
				return nil, fmt.Errorf("index create: %s: time %v out of range", e.UIDL, t)
			}
		}
		writeRecord(&buf, Record{Op: 'S', Entry: e, At: e.Saved})
		if !e.DeleteRequested.IsZero() {
			writeRecord(&buf, Record{Op: 'R', Entry: e, At: e.DeleteRequested})
		}
		if !e.Deleted.IsZero() {
			writeRecord(&buf, Record{Op: 'C', Entry: e, At: e.Deleted})
		}
		if !e.Gone.IsZero() {
			writeRecord(&buf, Record{Op: 'V', Entry: e, At: e.Gone})
		}
	}
	if err := atomicfile.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		return nil, fmt.Errorf("index create: %w", err)
	}
	return Open(path)
}

// OpenOrCreate opens the journal, creating an empty one if none exists.
func OpenOrCreate(path string) (*Index, error) {
	ix, err := Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Create(path, nil)
	}
	return ix, err
}

// Get returns the current entry for a UIDL, or nil.
func (ix *Index) Get(uidl string) *Entry { return ix.entries[uidl] }

// NextGen returns the generation a new download of uidl must use so that its file name
// differs from every earlier copy.
func (ix *Index) NextGen(uidl string) int {
	g, ok := ix.gens[uidl]
	if !ok {
		return 0
	}
	return g + 1
}

// Len returns the number of current entries.
func (ix *Index) Len() int { return len(ix.entries) }

// Entries returns the current entry of every UIDL, oldest first.
func (ix *Index) Entries() []Entry {
	out := make([]Entry, 0, len(ix.entries))
	for _, e := range ix.entries {
		out = append(out, *e)
	}
	sortEntries(out)
	return out
}

// Current yields the current entry of every UIDL in no particular order: for the passes
// of a run that look at every entry but not in order, without Entries' copy and sort.
func (ix *Index) Current() iter.Seq[Entry] {
	return func(yield func(Entry) bool) {
		for _, e := range ix.entries {
			if !yield(*e) {
				return
			}
		}
	}
}

// Retired returns the earlier generations that the backup still holds, oldest first:
// copies of messages the server later listed under the same UIDL as different ones.
func (ix *Index) Retired() []Entry {
	out := make([]Entry, 0, len(ix.retired))
	for _, e := range ix.retired {
		out = append(out, *e)
	}
	sortEntries(out)
	return out
}

// Append writes records and fsyncs the journal; only then are they applied in memory.
// When Append returns nil the records survive a crash.
func (ix *Index) Append(recs ...Record) error {
	if len(recs) == 0 {
		return nil
	}
	var buf bytes.Buffer
	for _, r := range recs {
		if err := r.Entry.check(r.Op); err != nil {
			return fmt.Errorf("index append: %w", err)
		}
		if strings.IndexByte("SRCV", r.Op) >= 0 && !timeOK(r.At) {
			return fmt.Errorf("index append: record %c %s: time %v out of range", r.Op, r.Entry.UIDL, r.At)
		}
		writeRecord(&buf, r)
	}
	if _, err := ix.f.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("index append: %w", err)
	}
	if err := ix.f.Sync(); err != nil {
		return fmt.Errorf("index sync: %w", err)
	}
	for _, r := range recs {
		ix.apply(r)
	}
	ix.lines += len(recs)
	return nil
}

// Compact rewrites the journal when it holds far more lines than entries.
func (ix *Index) Compact() error {
	if ix.lines < 2*(len(ix.entries)+len(ix.retired))+1000 {
		return nil
	}
	// Close first: Windows cannot rename over an open file.
	ix.f.Close()
	n, err := create(ix.path, ix.all(), ix.lostGens())
	if err != nil {
		if re, rerr := Open(ix.path); rerr == nil {
			*ix = *re
		}
		return err
	}
	*ix = *n
	return nil
}

// Close closes the journal file.
func (ix *Index) Close() error {
	if ix.f == nil {
		return nil
	}
	err := ix.f.Close()
	ix.f = nil
	return err
}

// Parse decodes journal bytes. It returns the index and how many bytes form complete
// lines (a torn last line is excluded, not an error).
func Parse(data []byte) (*Index, int, error) {
	complete := bytes.LastIndexByte(data, '\n') + 1
	// Sized up front: an incremental run parses the whole index, and map growth was a
	// large part of that.
	n := bytes.Count(data[:complete], []byte{'\n'})
	ix := &Index{entries: make(map[string]*Entry, n), gens: make(map[string]int, n)}
	sc := bufio.NewScanner(bytes.NewReader(data[:complete]))
	sc.Buffer(make([]byte, 0, 512), 4096)
	for sc.Scan() {
		line := sc.Text()
		if ix.version == 0 {
			switch line {
			case header:
				ix.version = 2
			case headerV1:
				ix.version = 1
			default:
				return nil, 0, fmt.Errorf("%w: unknown header %.40q", ErrCorrupt, line)
			}
			continue
		}
		r, err := parseRecord(line, ix.version)
		if err != nil {
			return nil, 0, fmt.Errorf("%w: line %d: %v", ErrCorrupt, ix.lines+2, err)
		}
		ix.apply(r)
		ix.lines++
	}
	if err := sc.Err(); err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if ix.version == 0 {
		return nil, 0, fmt.Errorf("%w: empty", ErrCorrupt)
	}
	return ix, complete, nil
}

func (ix *Index) apply(r Record) {
	u := r.Entry.UIDL
	e := ix.entries[u]
	switch r.Op {
	case 'S':
		n := r.Entry
		n.Saved = r.At
		if e != nil && (e.Gen != n.Gen || e.File != n.File) {
			ix.retired = append(ix.retired, e)
		}
		ix.entries[u] = &n
		if g, ok := ix.gens[u]; !ok || n.Gen > g {
			ix.gens[u] = n.Gen
		}
		return
	case 'G':
		if g, ok := ix.gens[u]; !ok || r.Entry.Gen > g {
			ix.gens[u] = r.Entry.Gen
		}
		return
	case 'L':
		delete(ix.entries, u)
		return
	}
	if e == nil {
		return
	}
	switch r.Op {
	case 'P':
		e.Octets, e.Head = r.Entry.Octets, r.Entry.Head
	case 'R':
		e.DeleteRequested = r.At
	case 'C':
		e.Deleted = r.At
	case 'U':
		e.DeleteRequested = time.Time{}
	case 'V':
		e.Gone = r.At
	}
}

// all returns current and retired entries.
func (ix *Index) all() []Entry { return append(ix.Entries(), ix.Retired()...) }

// lostGens returns the highest generation of UIDLs whose current entry does not carry it
// (its copy was forgotten), for compaction.
func (ix *Index) lostGens() map[string]int {
	lost := make(map[string]int)
	for u, g := range ix.gens {
		if e := ix.entries[u]; e == nil || e.Gen < g {
			lost[u] = g
		}
	}
	return lost
}

func sortEntries(out []Entry) {
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Saved.Equal(out[j].Saved) {
			return out[i].Saved.Before(out[j].Saved)
		}
		if out[i].UIDL != out[j].UIDL {
			return out[i].UIDL < out[j].UIDL
		}
		return out[i].Gen < out[j].Gen
	})
}

// maxUnix bounds times in the journal (year ~36812): anything larger is damage.
const maxUnix = 1 << 40

func timeOK(t time.Time) bool { return t.Unix() >= 0 && t.Unix() <= maxUnix }

// check validates the fields a record of kind op writes, so that Append never
// acknowledges a line the next Open would reject.
func (e *Entry) check(op byte) error {
	if !validUIDL(e.UIDL) {
		return fmt.Errorf("invalid UIDL %q", e.UIDL)
	}
	switch op {
	case 'S':
		if e.File == "" || strings.ContainsAny(e.File, "/\\ \n") || e.Gen < 0 || e.Size < 0 || e.Octets < 0 {
			return fmt.Errorf("record S %s: invalid file, generation or size", e.UIDL)
		}
	case 'P':
		if !e.Proven() || e.Octets < 0 {
			return fmt.Errorf("record P %s: no proof", e.UIDL)
		}
	case 'G':
		if e.Gen < 0 {
			return fmt.Errorf("record G %s: negative generation", e.UIDL)
		}
	case 'R', 'C', 'U', 'V', 'L':
	default:
		return fmt.Errorf("unknown record %q", op)
	}
	return nil
}

func writeRecord(w *bytes.Buffer, r Record) {
	e := r.Entry
	switch r.Op {
	case 'S':
		fmt.Fprintf(w, "S %s %d %s %d %s %d %s\n", e.UIDL, e.Gen, e.File, e.Size, hex.EncodeToString(e.SHA256[:]), r.At.Unix(), proof(&e))
	case 'P':
		fmt.Fprintf(w, "P %s %s\n", e.UIDL, proof(&e))
	case 'R', 'C', 'V':
		fmt.Fprintf(w, "%c %s %d\n", r.Op, e.UIDL, r.At.Unix())
	case 'G':
		fmt.Fprintf(w, "G %s %d\n", e.UIDL, e.Gen)
	default:
		fmt.Fprintf(w, "%c %s\n", r.Op, e.UIDL)
	}
}

// proof formats "<octets> <head>", or "- -" for an unproven entry.
func proof(e *Entry) string {
	if !e.Proven() {
		return "- -"
	}
	return strconv.FormatInt(e.Octets, 10) + " " + hex.EncodeToString(e.Head[:])
}

// fieldCount is the number of fields of each record kind, per format version.
var fieldCount = [3]map[byte]int{
	1: {'S': 7, 'R': 3, 'C': 3, 'U': 2, 'L': 2, 'G': 3},
	2: {'S': 9, 'P': 4, 'R': 3, 'C': 3, 'U': 2, 'V': 3, 'L': 2, 'G': 3},
}

func parseRecord(line string, version int) (Record, error) {
	var fields [10]string
	f := splitFields(line, fields[:0])
	if len(f) < 2 || len(f[0]) != 1 || !validUIDL(f[1]) {
		return Record{}, errors.New("malformed record")
	}
	r := Record{Op: f[0][0], Entry: Entry{UIDL: f[1]}}
	want := fieldCount[version][r.Op]
	if want == 0 || len(f) != want {
		return Record{}, fmt.Errorf("record %q: wrong field count", f[0])
	}
	var err error
	switch r.Op {
	case 'S':
		r.Entry.Gen, err = strconv.Atoi(f[2])
		if err != nil || r.Entry.Gen < 0 {
			return Record{}, errors.New("bad generation")
		}
		r.Entry.File = f[3]
		if f[3] == "" || strings.ContainsAny(f[3], "/\\") {
			return Record{}, errors.New("bad file name")
		}
		r.Entry.Size, err = strconv.ParseInt(f[4], 10, 64)
		if err != nil || r.Entry.Size < 0 {
			return Record{}, errors.New("bad size")
		}
		if r.Entry.SHA256, err = parseSum(f[5]); err != nil {
			return Record{}, err
		}
		if r.At, err = parseUnix(f[6]); err != nil {
			return Record{}, err
		}
		if version >= 2 {
			err = parseProof(f[7], f[8], &r.Entry, true)
		}
	case 'P':
		err = parseProof(f[2], f[3], &r.Entry, false)
	case 'R', 'C', 'V':
		r.At, err = parseUnix(f[2])
	case 'G':
		r.Entry.Gen, err = strconv.Atoi(f[2])
		if err != nil || r.Entry.Gen < 0 {
			return Record{}, errors.New("bad generation")
		}
	}
	return r, err
}

// parseProof reads "<octets> <head>"; "- -" (allowed where unproven is) leaves e unproven.
func parseProof(octets, head string, e *Entry, allowNone bool) error {
	if octets == "-" && head == "-" && allowNone {
		return nil
	}
	n, err := strconv.ParseInt(octets, 10, 64)
	if err != nil || n < 0 {
		return errors.New("bad octets")
	}
	sum, err := parseSum(head)
	if err != nil || sum == [32]byte{} {
		return errors.New("bad header digest")
	}
	e.Octets, e.Head = n, sum
	return nil
}

func parseSum(s string) ([32]byte, error) {
	var sum [32]byte
	if len(s) != 64 {
		return sum, errors.New("bad sha256")
	}
	if _, err := hex.Decode(sum[:], []byte(s)); err != nil {
		return sum, errors.New("bad sha256")
	}
	return sum, nil
}

// splitFields splits a record at single spaces into buf, without allocating; more than
// cap(buf) fields are reported as cap(buf)+1 so the count check rejects them.
func splitFields(line string, buf []string) []string {
	for len(buf) < cap(buf)-1 {
		i := strings.IndexByte(line, ' ')
		if i < 0 {
			return append(buf, line)
		}
		buf = append(buf, line[:i])
		line = line[i+1:]
	}
	return append(buf, line, "")
}

func parseUnix(s string) (time.Time, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > maxUnix {
		return time.Time{}, errors.New("bad time")
	}
	return time.Unix(n, 0), nil
}

// validUIDL reports whether s is a RFC 1939 unique-id: 1 to 70 characters in 0x21-0x7E.
func validUIDL(s string) bool {
	if len(s) == 0 || len(s) > 70 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
