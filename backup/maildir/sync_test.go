package maildir_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postfach/postfach/backup/maildir"
)

// errInjected stands for a write-back error (EIO, ENOSPC) reported by a file's sync.
var errInjected = errors.New("injected write-back error")

// assertNoneOpen checks that d holds no message file open, by its own count and, where
// the system shows it, by the process's descriptors.
func assertNoneOpen(t *testing.T, d *maildir.Dir) {
	t.Helper()
	if n := maildir.OpenFiles(d); n != 0 {
		t.Errorf("Dir holds %d message files open, want 0", n)
	}
	if n := openUnder(t, d.Path()); n > 0 {
		t.Errorf("process has %d descriptors open under %s, want 0", n, d.Path())
	}
}

func TestSyncDataErrors(t *testing.T) {
	tests := []struct {
		name string
		// sync replaces the file sync of message i (nil: the real one).
		sync    func(i int, f *os.File) error
		failing []int // messages whose error must be reported
		wantIs  error
		wantMsg string
	}{
		{name: "all durable"},
		{
			name:    "one sync fails",
			sync:    failFor(3),
			failing: []int{3},
			wantIs:  errInjected,
			wantMsg: "1 of 8 messages not durable",
		},
		{
			name:    "several syncs fail",
			sync:    failFor(0, 5, 7),
			failing: []int{0, 5, 7},
			wantIs:  errInjected,
			wantMsg: "3 of 8 messages not durable",
		},
		{
			name:    "every sync fails",
			sync:    func(int, *os.File) error { return errInjected },
			failing: []int{0, 1, 2, 3, 4, 5, 6, 7},
			wantIs:  errInjected,
			wantMsg: "8 of 8 messages not durable",
		},
		{
			// A close that fails after a good sync (NFS reports write-back errors there).
			name: "close fails",
			sync: func(i int, f *os.File) error {
				if i == 2 {
					f.Close()
				}
				return nil
			},
			failing: []int{2},
			wantIs:  os.ErrClosed,
			wantMsg: "maildir close",
		},
		{
			name: "sync panics",
			sync: func(i int, f *os.File) error {
				if i == 6 {
					panic("bad sync")
				}
				return nil
			},
			failing: []int{6},
			wantMsg: "panic: bad sync",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newMaildir(t)
			var batch []*maildir.Pending
			for i := range 8 {
				batch = append(batch, deliver(t, d, maildir.Key{UIDL: fmt.Sprint("m", i)}, []byte(fmt.Sprint("message ", i)), when))
			}
			var mu sync.Mutex
			var files []*os.File
			maildir.SetSyncFile(d, func(f *os.File) error {
				mu.Lock()
				files = append(files, f)
				mu.Unlock()
				if tt.sync == nil {
					return f.Sync()
				}
				i, ok := indexOf(batch, f)
				if !ok {
					return errors.New("sync of a file that is not in the batch")
				}
				return tt.sync(i, f)
			})
			err := d.Commit(batch)
			if len(files) != len(batch) {
				t.Errorf("%d files synced, want %d", len(files), len(batch))
			}
			// Every descriptor is closed, failed or not. An empty write asks without
			// touching the file, and reports os.ErrClosed on every system (Stat does not:
			// Windows answers "invalid handle").
			for _, f := range files {
				if _, werr := f.Write(nil); !errors.Is(werr, os.ErrClosed) {
					t.Errorf("%s still open after SyncData (Write = %v)", f.Name(), werr)
				}
			}
			assertNoneOpen(t, d)
			if len(tt.failing) == 0 {
				if err != nil {
					t.Fatalf("Commit = %v", err)
				}
				if got := ls(t, d, maildir.New); len(got) != len(batch) {
					t.Errorf("new/ holds %d files, want %d", len(got), len(batch))
				}
				return
			}
			if err == nil {
				t.Fatal("Commit succeeded although a sync failed")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("Commit = %v, want it to wrap %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Commit = %q, want it to say %q", err, tt.wantMsg)
			}
			for i, p := range batch {
				if named := strings.Contains(err.Error(), p.Name); named != contains(tt.failing, i) {
					t.Errorf("error names %s: %v, want %v", p.Name, named, contains(tt.failing, i))
				}
			}
			// Nothing is published on a failed sync, not even the messages that synced.
			if got := ls(t, d, maildir.New); len(got) != 0 {
				t.Errorf("new/ holds %q after a failed sync", got)
			}
			if err := d.Publish(batch); err == nil {
				t.Error("Publish of a batch whose sync failed succeeded")
			}
			if err := d.SyncData(batch); err == nil {
				t.Error("a second SyncData took a failed sync for a good one")
			}
			for _, p := range batch {
				p.Abort()
			}
			if got := ls(t, d, maildir.Tmp); len(got) != 0 {
				t.Errorf("tmp/ holds %q after Abort", got)
			}
		})
	}
}

// failFor returns a sync that fails for the messages at the given indexes.
func failFor(idx ...int) func(int, *os.File) error {
	return func(i int, f *os.File) error {
		if contains(idx, i) {
			return errInjected
		}
		return f.Sync()
	}
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// indexOf finds the message of batch whose tmp/ file f is.
func indexOf(batch []*maildir.Pending, f *os.File) (int, bool) {
	for i, p := range batch {
		if filepath.Base(f.Name()) == p.Name {
			return i, true
		}
	}
	return 0, false
}

func TestSyncDataConcurrent(t *testing.T) {
	const n = 256 // the engine's batch
	d := newMaildir(t)
	before := runtime.NumGoroutine()
	var batch []*maildir.Pending
	for i := range n {
		batch = append(batch, deliver(t, d, maildir.Key{UIDL: fmt.Sprint("u", i)}, []byte(fmt.Sprintf("Subject: %d\r\n\r\nbody %d\r\n", i, i)), when))
	}
	if got := maildir.OpenFiles(d); got != n {
		t.Errorf("%d files open before SyncData, want %d (one per message until its sync)", got, n)
	}
	var inFlight, most atomic.Int32
	synced := make([]atomic.Int32, n)
	maildir.SetSyncFile(d, func(f *os.File) error {
		cur := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); cur > m && !most.CompareAndSwap(m, cur); m = most.Load() {
		}
		i, ok := indexOf(batch, f)
		if !ok {
			return errors.New("sync of a file that is not in the batch")
		}
		synced[i].Add(1)
		time.Sleep(time.Millisecond) // let the workers overlap
		return f.Sync()
	})
	if err := d.Commit(batch); err != nil {
		t.Fatal(err)
	}
	for i := range synced {
		if c := synced[i].Load(); c != 1 {
			t.Errorf("message %d synced %d times, want 1", i, c)
		}
	}
	if m := most.Load(); m < 2 || m > maildir.SyncWorkers {
		t.Errorf("at most %d syncs ran at once, want 2..%d", m, maildir.SyncWorkers)
	}
	if got := ls(t, d, maildir.New); len(got) != n {
		t.Errorf("new/ holds %d files, want %d", len(got), n)
	}
	for _, p := range batch {
		size, sum, err := d.HashFile(filepath.Join(maildir.New, p.Name))
		if err != nil || size != p.Size || sum != p.SHA256 {
			t.Errorf("HashFile(%s) = %d, %x, %v", p.Name, size, sum, err)
		}
	}
	assertNoneOpen(t, d)
	// The workers are gone once Commit returned.
	deadline := time.Now().Add(time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := runtime.NumGoroutine(); got > before {
		t.Errorf("%d goroutines after Commit, %d before", got, before)
	}
}

func TestSyncDataWorkers(t *testing.T) {
	for _, workers := range []int{1, 3, 64} {
		t.Run(fmt.Sprint(workers), func(t *testing.T) {
			d := newMaildir(t)
			maildir.SetWorkers(d, workers)
			var inFlight, most atomic.Int32
			maildir.SetSyncFile(d, func(f *os.File) error {
				cur := inFlight.Add(1)
				defer inFlight.Add(-1)
				for m := most.Load(); cur > m && !most.CompareAndSwap(m, cur); m = most.Load() {
				}
				time.Sleep(time.Millisecond)
				return nil
			})
			var batch []*maildir.Pending
			for i := range 20 {
				batch = append(batch, deliver(t, d, maildir.Key{UIDL: fmt.Sprint(i)}, []byte("x"), when))
			}
			if err := d.SyncData(batch); err != nil {
				t.Fatal(err)
			}
			if m := int(most.Load()); m > workers {
				t.Errorf("%d syncs at once, want at most %d", m, workers)
			}
			assertNoneOpen(t, d)
		})
	}
}

// TestOrder: each step refuses a message that is not ready for it, so that nothing is
// published before its sync succeeded.
func TestOrder(t *testing.T) {
	tests := []struct {
		name string
		run  func(d *maildir.Dir, p *maildir.Pending) error
	}{
		{"publish before sync", func(d *maildir.Dir, p *maildir.Pending) error {
			if err := p.Finish(); err != nil {
				return nil
			}
			return d.Publish([]*maildir.Pending{p})
		}},
		{"sync before finish", func(d *maildir.Dir, p *maildir.Pending) error {
			return d.SyncData([]*maildir.Pending{p})
		}},
		{"write after finish", func(d *maildir.Dir, p *maildir.Pending) error {
			if err := p.Finish(); err != nil {
				return nil
			}
			_, err := p.Write([]byte("more"))
			return err
		}},
		{"finish twice", func(d *maildir.Dir, p *maildir.Pending) error {
			if err := p.Finish(); err != nil {
				return nil
			}
			return p.Finish()
		}},
		{"sync after abort", func(d *maildir.Dir, p *maildir.Pending) error {
			if err := p.Finish(); err != nil {
				return nil
			}
			p.Abort()
			return d.SyncData([]*maildir.Pending{p})
		}},
		{"sync by another Dir", func(d *maildir.Dir, p *maildir.Pending) error {
			if err := p.Finish(); err != nil {
				return nil
			}
			other, err := maildir.Open(d.Path())
			if err != nil {
				return nil
			}
			return other.SyncData([]*maildir.Pending{p})
		}},
		{"sync after Dir.Close", func(d *maildir.Dir, p *maildir.Pending) error {
			if err := p.Finish(); err != nil {
				return nil
			}
			if err := d.Close(); err != nil {
				return nil
			}
			return d.SyncData([]*maildir.Pending{p})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newMaildir(t)
			p, err := d.Create(maildir.Key{UIDL: "a"}, when)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Write([]byte("message")); err != nil {
				t.Fatal(err)
			}
			if err := tt.run(d, p); err == nil {
				t.Error("succeeded, want an error")
			}
			if got := ls(t, d, maildir.New); len(got) != 0 {
				t.Errorf("new/ holds %q", got)
			}
			p.Abort()
			assertNoneOpen(t, d)
		})
	}
}

func TestSyncDataTwice(t *testing.T) {
	d := newMaildir(t)
	batch := []*maildir.Pending{deliver(t, d, maildir.Key{UIDL: "a"}, []byte("a"), when)}
	calls := 0
	maildir.SetSyncFile(d, func(f *os.File) error { calls++; return f.Sync() })
	for range 2 {
		if err := d.SyncData(batch); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 1 {
		t.Errorf("%d syncs, want 1: a durable message needs no second one", calls)
	}
	if err := d.Commit(batch); err != nil {
		t.Fatal(err)
	}
}

func TestAbortAndCloseRelease(t *testing.T) {
	tests := []struct {
		name    string
		release func(d *maildir.Dir, batch []*maildir.Pending)
		inTmp   int // files left in tmp/
	}{
		{"Abort while writing and after Finish", func(d *maildir.Dir, batch []*maildir.Pending) {
			for _, p := range batch {
				p.Abort()
			}
		}, 0},
		{"Dir.Close", func(d *maildir.Dir, batch []*maildir.Pending) {
			if err := d.Close(); err != nil {
				panic(err)
			}
		}, 4},
		{"Dir.Close then Abort", func(d *maildir.Dir, batch []*maildir.Pending) {
			d.Close()
			for _, p := range batch {
				p.Abort()
			}
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newMaildir(t)
			var batch []*maildir.Pending
			for i := range 3 {
				batch = append(batch, deliver(t, d, maildir.Key{UIDL: fmt.Sprint(i)}, []byte("x"), when))
			}
			writing, err := d.Create(maildir.Key{UIDL: "writing"}, when)
			if err != nil {
				t.Fatal(err)
			}
			batch = append(batch, writing)
			if n := openUnder(t, d.Path()); n >= 0 && n != 4 {
				t.Errorf("%d descriptors open before release, want 4", n)
			}
			tt.release(d, batch)
			assertNoneOpen(t, d)
			if got := ls(t, d, maildir.Tmp); len(got) != tt.inTmp {
				t.Errorf("tmp/ holds %q, want %d files", got, tt.inTmp)
			}
			if err := d.Close(); err != nil {
				t.Errorf("second Close = %v", err)
			}
		})
	}
}

// TestWriteWhileCommitting: the next batch is written while the previous one is being
// committed on another goroutine, as a pipelined download does (run it with -race).
func TestWriteWhileCommitting(t *testing.T) {
	d := newMaildir(t)
	maildir.SetSyncFile(d, func(f *os.File) error {
		time.Sleep(time.Millisecond)
		return f.Sync()
	})
	const batches, per = 4, 32
	var all []*maildir.Pending
	committed := make(chan error, 1)
	committed <- nil
	for b := range batches {
		var batch []*maildir.Pending
		for i := range per {
			k := maildir.Key{UIDL: fmt.Sprintf("b%d-%d", b, i)}
			batch = append(batch, deliver(t, d, k, []byte(k.UIDL), when))
			if i%8 == 7 { // a message that turned out to be a duplicate
				dup := deliver(t, d, maildir.Key{UIDL: k.UIDL + "dup"}, []byte("dup"), when)
				dup.Abort()
			}
		}
		if err := <-committed; err != nil {
			t.Fatal(err)
		}
		all = append(all, batch...)
		go func() { committed <- d.Commit(batch) }()
	}
	if err := <-committed; err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if got := ls(t, d, maildir.New); len(got) != batches*per {
		t.Errorf("new/ holds %d files, want %d", len(got), batches*per)
	}
	if got := ls(t, d, maildir.Tmp); len(got) != 0 {
		t.Errorf("tmp/ holds %q", got)
	}
	for _, p := range all {
		size, sum, err := d.HashFile(filepath.Join(maildir.New, p.Name))
		if err != nil || size != p.Size || sum != p.SHA256 {
			t.Errorf("HashFile(%s) = %d, %x, %v", p.Name, size, sum, err)
		}
	}
	assertNoneOpen(t, d)
}
