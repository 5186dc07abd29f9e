//go:build linux

package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/connect"
	"github.com/postfach/postfach/internal/testkit/dovecottest"
)

// Storage faults: the backup folder on a full filesystem (out of blocks, out of inodes,
// full before the run), on a read-only one, unmounted or replaced by another filesystem or
// a dangling link between runs, and damaged metadata (an index from a newer format, an
// empty index, a damaged state file, a store marker from a newer format). Expected every
// time: a clear error (or, for a rebuilt index, a run that defers deletions), no deletion
// from the server, no partial or empty file taken for a message, and once the fault is
// gone the next run completes with the backup exact.
//
// The filesystem faults need real mounts: they run as root (or with CAP_SYS_ADMIN) and
// skip otherwise, unless POSTFACH_REQUIRE_MOUNT=1 makes that a failure.

// requireMountEnv turns "cannot mount" from a skip into a failure.
const requireMountEnv = "POSTFACH_REQUIRE_MOUNT"

// mount wraps mount(2), skipping the test if mounting is not permitted here.
func mount(t *testing.T, source, target, fstype string, flags uintptr, data string) {
	t.Helper()
	err := syscall.Mount(source, target, fstype, flags, data)
	if err == nil {
		return
	}
	if errors.Is(err, syscall.EPERM) && os.Getenv(requireMountEnv) != "1" {
		t.Skipf("cannot mount %s on %s (%v): these tests need root or CAP_SYS_ADMIN; %s=1 makes this a failure",
			fstype, target, err, requireMountEnv)
	}
	t.Fatalf("mount %s %s (%s, %#x): %v", source, target, data, flags, err)
}

// mountTmpfs mounts a tmpfs with options (e.g. "size=2m") on a new directory and
// unmounts it when the test ends.
func mountTmpfs(t *testing.T, options string) string {
	t.Helper()
	dir := t.TempDir()
	mount(t, "tmpfs", dir, "tmpfs", 0, options)
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// remount changes a mount's flags and options.
func remount(t *testing.T, dir string, flags uintptr, options string) {
	t.Helper()
	mount(t, "", dir, "", syscall.MS_REMOUNT|flags, options)
}

// bindMount mounts src on dst (read-only if ro) and unmounts it when the test ends.
func bindMount(t *testing.T, src, dst string, ro bool) {
	t.Helper()
	mount(t, src, dst, "", syscall.MS_BIND, "")
	t.Cleanup(func() { syscall.Unmount(dst, syscall.MNT_DETACH) })
	if ro {
		remount(t, dst, syscall.MS_BIND|syscall.MS_RDONLY, "")
	}
}

func unmount(t *testing.T, dir string) {
	t.Helper()
	if err := syscall.Unmount(dir, 0); err != nil {
		t.Fatalf("umount %s: %v", dir, err)
	}
}

// storageRig is one mailbox and its backup account for a storage fault.
type storageRig struct {
	mb   *mailbox
	acct accounts.Account
	opts *Options
	pw   string
}

func newStorageRig(t *testing.T, srv *dovecottest.Server, u *dovecottest.User, dir string) *storageRig {
	t.Helper()
	return &storageRig{
		mb:   newMailbox(srv, u),
		acct: faultAccount(t, srv, u, dir, accounts.Retention{Mode: accounts.DeleteNow}),
		opts: &Options{StateDir: t.TempDir(), Conn: &connect.Options{Roots: srv.CertPool, Timeout: 10 * time.Second}},
		pw:   u.Password,
	}
}

func (r *storageRig) run() (*Result, error) {
	return Run(context.Background(), r.acct, r.pw, r.opts)
}

// mustRun runs a backup that must succeed.
func (r *storageRig) mustRun(t *testing.T) *Result {
	t.Helper()
	res, err := r.run()
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return res
}

// mustFail runs a backup that must fail with an error wrapping want (nil: any error),
// deleting nothing and leaving the oracle intact.
func (r *storageRig) mustFail(t *testing.T, want error) *Result {
	t.Helper()
	onServer := len(r.mb.serverHas(t))
	res, err := r.run()
	if err == nil {
		t.Fatalf("run on a broken backup folder succeeded: %+v", res)
	}
	if want != nil && !errors.Is(err, want) {
		t.Fatalf("error %v, want one wrapping %v", err, want)
	}
	t.Logf("refused: %v", err)
	if res.OK() || res.Deleted != 0 {
		t.Errorf("result %+v", res)
	}
	if n := len(r.mb.serverHas(t)); n != onServer {
		t.Fatalf("server held %d messages before the failed run and %d after", onServer, n)
	}
	r.mb.checkNoLoss(t, r.acct.Backup.Dir)
	return res
}

// TestBackupFolderFull fills the backup filesystem during a run (out of space, out of
// inodes) and before one.
func TestBackupFolderFull(t *testing.T) {
	srv := dovecottest.Start(t)
	users := readyUsers(t, srv, 3)

	t.Run("out of space mid-download", func(t *testing.T) {
		mnt := mountTmpfs(t, "size=2m")
		r := newStorageRig(t, srv, users[0], filepath.Join(mnt, "backup"))
		r.mb.deliver(t, tagged("full", 10, 21)...)
		r.mb.deliver(t, largeTagged("full", 3, 700<<10)...)
		r.mb.deliver(t, tagged("full-tail", 5, 22)...)
		res := r.mustFail(t, syscall.ENOSPC)
		if res.New >= len(r.mb.msgs) {
			t.Fatalf("the disk was too big to fill: %+v", res)
		}
		// The message being written when the disk filled was removed, not kept half.
		if v := readBackup(t, r.acct.Backup.Dir); len(v.tmp) != 0 {
			t.Errorf("partial files left in tmp/: %v", v.tmp)
		}
		remount(t, mnt, 0, "size=64m")
		res2 := r.mustRun(t)
		if res2.New != len(r.mb.msgs)-res.New {
			t.Errorf("after freeing space: %d new, want %d (the %d kept earlier not fetched again)", res2.New, len(r.mb.msgs)-res.New, res.New)
		}
		r.mb.checkSettled(t, r.acct, r.opts, 0)
	})

	t.Run("out of inodes mid-download", func(t *testing.T) {
		mnt := mountTmpfs(t, "size=64m,nr_inodes=20")
		r := newStorageRig(t, srv, users[1], filepath.Join(mnt, "backup"))
		r.mb.deliver(t, tagged("inodes", 30, 23)...)
		res := r.mustFail(t, syscall.ENOSPC)
		if res.New >= len(r.mb.msgs) {
			t.Fatalf("the inodes did not run out: %+v", res)
		}
		remount(t, mnt, 0, "nr_inodes=10000")
		r.mustRun(t)
		r.mb.checkSettled(t, r.acct, r.opts, 0)
	})

	t.Run("full before the run", func(t *testing.T) {
		mnt := mountTmpfs(t, "size=4m")
		r := newStorageRig(t, srv, users[2], filepath.Join(mnt, "backup"))
		r.mb.deliver(t, tagged("before", 5, 24)...)
		r.mustRun(t)
		r.mb.deliver(t, tagged("before-new", 5, 25)...)
		filler := filepath.Join(mnt, "filler")
		fill(t, filler)
		r.mustFail(t, syscall.ENOSPC)
		if v := readBackup(t, r.acct.Backup.Dir); len(v.files) != 5 || len(v.tmp) != 0 {
			t.Errorf("on a full disk the backup changed: %d messages, tmp/ %v", len(v.files), v.tmp)
		}
		os.Remove(filler)
		r.mustRun(t)
		r.mb.checkSettled(t, r.acct, r.opts, 0)
	})
}

// fill writes path until the filesystem is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	// Single bytes until even the last partial page is used.
	for {
		if _, err := f.Write(buf[:1]); err != nil {
			return
		}
	}
}

// TestBackupFolderReadOnly runs a backup into a read-only folder: new, and one that
// became read-only after earlier backups (root ignores mode bits, so these are real
// read-only mounts).
func TestBackupFolderReadOnly(t *testing.T) {
	srv := dovecottest.Start(t)
	users := readyUsers(t, srv, 2)

	t.Run("read-only from the start", func(t *testing.T) {
		src, mnt := t.TempDir(), t.TempDir()
		bindMount(t, src, mnt, true)
		r := newStorageRig(t, srv, users[0], filepath.Join(mnt, "backup"))
		r.mb.deliver(t, tagged("ro-new", 6, 31)...)
		r.mustFail(t, syscall.EROFS)
		remount(t, mnt, syscall.MS_BIND, "")
		r.mustRun(t)
		r.mb.checkSettled(t, r.acct, r.opts, 0)
	})

	t.Run("read-only after earlier backups", func(t *testing.T) {
		mnt := mountTmpfs(t, "size=16m")
		r := newStorageRig(t, srv, users[1], filepath.Join(mnt, "backup"))
		r.mb.deliver(t, tagged("ro-old", 6, 32)...)
		r.mustRun(t)
		r.mb.deliver(t, tagged("ro-later", 6, 33)...)
		before := snapshot(t, r.acct.Backup.Dir)
		remount(t, mnt, syscall.MS_RDONLY, "")
		r.mustFail(t, syscall.EROFS)
		// Verify only reads, so a write-protected backup can still be checked.
		rep, err := Verify(context.Background(), r.acct, r.opts)
		if err != nil || !rep.Healthy() || rep.Checked != 6 {
			t.Errorf("verify of the read-only backup: %v %+v", err, rep)
		}
		remount(t, mnt, 0, "")
		if after := snapshot(t, r.acct.Backup.Dir); after != before {
			t.Errorf("a run on the read-only folder changed it")
		}
		r.mustRun(t)
		r.mb.checkSettled(t, r.acct, r.opts, 0)
	})
}

// snapshot describes every file under dir (name, size, content hash) so
// two moments can be compared. The lock file's PID is excluded.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		b.WriteString(rel)
		if !d.IsDir() && d.Name() != "lock" {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, " %d %x", len(data), sha256.Sum256(data))
		}
		b.WriteString("\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestBackupFolderGoneBetweenRuns extends TestBackupFolderProblemsStopBeforeDeleting
// (folder removed, replaced by an empty directory) with the ways a real drive goes away:
// unmounted (an empty mount point is left), another empty filesystem mounted in its
// place, and the folder reached through a link whose target vanished. Each time the run
// is refused before the server is touched, nothing is created in the stand-in, and once
// the drive is back the next run completes without downloading anything again.
func TestBackupFolderGoneBetweenRuns(t *testing.T) {
	srv := dovecottest.Start(t)
	users := readyUsers(t, srv, 3)
	cases := []struct {
		name    string
		breakIt func(t *testing.T, data, mnt string) // make the folder unavailable
		fixIt   func(t *testing.T, data, mnt string)
		want    error
	}{
		{"unmounted", func(t *testing.T, data, mnt string) { unmount(t, mnt) },
			func(t *testing.T, data, mnt string) { bindMount(t, data, mnt, false) }, ErrFolderReplaced},
		{"another filesystem mounted in its place", func(t *testing.T, data, mnt string) {
			unmount(t, mnt)
			mount(t, "tmpfs", mnt, "tmpfs", 0, "size=1m")
			t.Cleanup(func() { syscall.Unmount(mnt, syscall.MNT_DETACH) })
		}, func(t *testing.T, data, mnt string) {
			unmount(t, mnt)
			bindMount(t, data, mnt, false)
		}, ErrFolderReplaced},
		{"dangling link", func(t *testing.T, data, mnt string) {
			if err := os.Rename(data, data+".elsewhere"); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T, data, mnt string) {
			if err := os.Rename(data+".elsewhere", data); err != nil {
				t.Fatal(err)
			}
		}, ErrFolderMissing},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "drive")
			if err := os.Mkdir(data, 0o700); err != nil {
				t.Fatal(err)
			}
			mnt := t.TempDir()
			dir := mnt
			if tc.want == ErrFolderMissing {
				// The account names a link to the drive's folder.
				dir = filepath.Join(mnt, "link")
				if err := os.Symlink(data, dir); err != nil {
					t.Fatal(err)
				}
			} else {
				bindMount(t, data, mnt, false)
			}
			r := newStorageRig(t, srv, users[i], dir)
			r.acct.Backup.Retention = accounts.Retention{Mode: accounts.KeepForever}
			r.mb.deliver(t, tagged("gone", 6, int64(40+i))...)
			r.mustRun(t)
			r.acct.Backup.Retention = accounts.Retention{Mode: accounts.DeleteNow}
			r.mb.deliver(t, tagged("gone-later", 3, int64(50+i))...)

			tc.breakIt(t, data, mnt)
			r.mustFail(t, tc.want)
			if tc.want == ErrFolderReplaced {
				if ents, _ := os.ReadDir(mnt); len(ents) != 0 {
					t.Errorf("the run wrote into the stand-in folder: %d entries", len(ents))
				}
			} else if _, err := os.Lstat(data); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the run recreated the link's target: %v", err)
			}
			tc.fixIt(t, data, mnt)
			res := r.mustRun(t)
			if res.New != 3 || res.AlreadyHad != 6 {
				t.Errorf("once the drive is back: %+v", res)
			}
			r.mb.checkSettled(t, r.acct, r.opts, 0)
		})
	}
}

// TestDamagedMetadata covers metadata a run cannot read. An index it cannot parse (from a
// newer Postfach, or empty) is set aside and rebuilt from the Maildir by hashing, with
// deletions deferred one run: nothing is lost or fetched twice, and the unreadable file
// is kept for the newer version. A damaged account state is set aside and the run goes on
// (the folder is self-describing). A store marker of a newer format stops the run with an
// error naming the file, before anything is downloaded or deleted; once the file is dealt
// with, the next run completes.
func TestDamagedMetadata(t *testing.T) {
	srv := dovecottest.Start(t)
	cases := []struct {
		name     string
		damage   func(t *testing.T, r *storageRig) // after a first backup
		rebuild  bool                              // the run rebuilds the index
		setAside bool                              // the run sets the state aside and goes on
		repair   func(t *testing.T, r *storageRig) // what the user does after a failure
	}{
		{name: "index from a newer format", rebuild: true, damage: func(t *testing.T, r *storageRig) {
			p := filepath.Join(r.acct.Backup.Dir, metaDir, "index")
			b, _ := os.ReadFile(p)
			b = bytes.Replace(b, []byte("postfach-index 2\n"), []byte("postfach-index 3\nX future-record\n"), 1)
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "index empty", rebuild: true, damage: func(t *testing.T, r *storageRig) {
			if err := os.Truncate(filepath.Join(r.acct.Backup.Dir, metaDir, "index"), 0); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "state file damaged", setAside: true, damage: func(t *testing.T, r *storageRig) {
			p := statePath(r.opts.StateDir, r.acct.ID)
			b, _ := os.ReadFile(p)
			if err := os.WriteFile(p, b[:len(b)/2], 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "store marker from a newer format", damage: func(t *testing.T, r *storageRig) {
			p := filepath.Join(r.acct.Backup.Dir, metaDir, "store.json")
			b, _ := os.ReadFile(p)
			var mk map[string]any
			json.Unmarshal(b, &mk)
			mk["format"] = 2
			b, _ = json.Marshal(mk)
			if err := os.WriteFile(p+".v2", b, 0o600); err != nil {
				t.Fatal(err)
			}
			swap(t, p, p+".v2")
		}, repair: func(t *testing.T, r *storageRig) {
			p := filepath.Join(r.acct.Backup.Dir, metaDir, "store.json")
			swap(t, p, p+".v2") // back to the format this version knows
		}},
	}
	users := readyUsers(t, srv, len(cases))
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newStorageRig(t, srv, users[i], filepath.Join(t.TempDir(), "backup"))
			r.acct.Backup.Retention = accounts.Retention{Mode: accounts.KeepForever}
			r.mb.deliver(t, tagged("meta", 6, int64(60+i))...)
			r.mustRun(t)
			r.acct.Backup.Retention = accounts.Retention{Mode: accounts.DeleteNow}
			tc.damage(t, r)
			indexPath := filepath.Join(r.acct.Backup.Dir, metaDir, "index")
			damaged, _ := os.ReadFile(indexPath)

			if tc.setAside {
				kept := statePath(r.opts.StateDir, r.acct.ID)
				res := r.mustRun(t)
				if aside, _ := filepath.Glob(kept + ".damaged-*"); len(aside) != 1 {
					t.Fatalf("the damaged state was not set aside: %v", aside)
				}
				if res.New != 0 || res.Deleted != len(r.mb.msgs) {
					t.Fatalf("the run with a damaged state: %+v (want nothing fetched again, all deleted)", res)
				}
				r.mb.checkSettled(t, r.acct, r.opts, 0)
				return
			}
			if tc.rebuild {
				res := r.mustRun(t)
				if res.New != 0 || res.Deleted != 0 || len(res.Errors) == 0 {
					t.Fatalf("the run that rebuilt the index: %+v (want nothing fetched, nothing deleted, a note)", res)
				}
				if n := len(r.mb.serverHas(t)); n != len(r.mb.msgs) {
					t.Fatalf("the run that rebuilt the index deleted %d messages", len(r.mb.msgs)-n)
				}
				kept, _ := filepath.Glob(indexPath + ".damaged-*")
				if len(kept) != 1 {
					t.Fatalf("the unreadable index was not kept aside: %v", kept)
				}
				if b, _ := os.ReadFile(kept[0]); !bytes.Equal(b, damaged) {
					t.Errorf("the index kept aside differs from the unreadable one")
				}
				r.mb.checkNoLoss(t, r.acct.Backup.Dir)
			} else {
				before := snapshot(t, r.acct.Backup.Dir)
				r.mustFail(t, nil)
				if after := snapshot(t, r.acct.Backup.Dir); after != before {
					t.Errorf("the refused run changed the backup folder")
				}
				tc.repair(t, r)
			}
			res := r.mustRun(t)
			if res.New != 0 || res.Deleted != len(r.mb.msgs) {
				t.Errorf("the run after: %+v (want nothing fetched again, all %d deleted)", res, len(r.mb.msgs))
			}
			r.mb.checkSettled(t, r.acct, r.opts, 0)
		})
	}
}

// TestVerifyOnlyReads checks Verify's promise to change nothing, on an index whose last
// line was torn by a crash (index.Open would cut it off) — the read-only mount case is in
// TestBackupFolderReadOnly.
func TestVerifyOnlyReads(t *testing.T) {
	srv := dovecottest.Start(t)
	u := readyUsers(t, srv, 1)[0]
	r := newStorageRig(t, srv, u, filepath.Join(t.TempDir(), "backup"))
	r.acct.Backup.Retention = accounts.Retention{Mode: accounts.KeepForever}
	r.mb.deliver(t, tagged("verify", 4, 70)...)
	r.mustRun(t)
	f, err := os.OpenFile(filepath.Join(r.acct.Backup.Dir, metaDir, "index"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("R 0000") // a record cut short by a crash
	f.Close()
	before := snapshot(t, r.acct.Backup.Dir)
	rep, err := Verify(context.Background(), r.acct, r.opts)
	if err != nil || !rep.Healthy() || rep.Checked != 4 {
		t.Fatalf("verify: %v %+v", err, rep)
	}
	if snapshot(t, r.acct.Backup.Dir) != before {
		t.Fatal("Verify changed the backup folder")
	}
}

// swap exchanges two files' contents by renaming.
func swap(t *testing.T, a, b string) {
	t.Helper()
	tmp := a + ".swap"
	for _, mv := range [][2]string{{a, tmp}, {b, a}, {tmp, b}} {
		if err := os.Rename(mv[0], mv[1]); err != nil {
			t.Fatal(err)
		}
	}
}
