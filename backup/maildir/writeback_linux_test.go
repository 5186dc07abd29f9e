package maildir_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/postfach/postfach/backup/maildir"
)

// TestWriteBackFailure makes the disk fail under a batch for real: an ext4 image of
// 64 MiB on a tmpfs of 8 MiB accepts the writes into the page cache, and the kernel's
// write-back then fails (EIO) when the image outgrows its tmpfs. The batch's sync must
// say so, and nothing may be published. It needs root (mount, loop devices) and skips
// otherwise, unless POSTFACH_REQUIRE_MOUNT=1 makes that a failure.
func TestWriteBackFailure(t *testing.T) {
	dir := t.TempDir()
	back, mnt := filepath.Join(dir, "back"), filepath.Join(dir, "mnt")
	for _, d := range []string{back, mnt} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	cannot := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("POSTFACH_REQUIRE_MOUNT") == "1" {
			t.Fatalf(format, args...)
		}
		t.Skipf(format+" (needs root and loop devices; POSTFACH_REQUIRE_MOUNT=1 makes this a failure)", args...)
	}
	if err := syscall.Mount("tmpfs", back, "tmpfs", 0, "size=8m"); err != nil {
		cannot("mount tmpfs: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(back, syscall.MNT_DETACH) })
	img := filepath.Join(back, "img")
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	err = f.Truncate(64 << 20) // sparse: it takes tmpfs space only as ext4 writes to it
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mkfs.ext4", "-q", "-F", img).CombinedOutput(); err != nil {
		cannot("mkfs.ext4: %v: %s", err, out)
	}
	if out, err := exec.Command("mount", "-o", "loop", img, mnt).CombinedOutput(); err != nil {
		cannot("mount -o loop: %v: %s", err, out)
	}
	t.Cleanup(func() { syscall.Unmount(mnt, syscall.MNT_DETACH) })

	d, err := maildir.Create(filepath.Join(mnt, "backup"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	msg := make([]byte, 70<<10)
	for i := range msg {
		msg[i] = byte(i * 7)
	}
	// 256 messages of 70 KiB: twice what the tmpfs under the image can hold.
	var batch []*maildir.Pending
	err = func() error {
		for i := range 256 {
			p, err := d.Create(maildir.Key{UIDL: fmt.Sprint(i)}, time.Unix(1700000000, 0))
			if err != nil {
				return err
			}
			batch = append(batch, p)
			if _, err := p.Write(msg); err != nil {
				return err
			}
			if err := p.Finish(); err != nil {
				return err
			}
		}
		return d.Commit(batch)
	}()
	if err == nil {
		t.Fatal("a batch the disk could not store was committed")
	}
	// The loop driver reports the full tmpfs under the image as EIO or, on some kernels
	// and timings, passes ENOSPC through; EROFS once ext4 gave up. Each is the write-back
	// failure reaching fdatasync.
	if !errors.Is(err, syscall.EIO) && !errors.Is(err, syscall.EROFS) && !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("error = %v, want EIO, ENOSPC or EROFS from the failed write-back", err)
	}
	t.Logf("error: %.300s", err)
	for _, p := range batch {
		p.Abort()
	}
	if ents, err := os.ReadDir(filepath.Join(d.Path(), maildir.New)); err != nil || len(ents) != 0 {
		t.Errorf("new/ holds %d files (%v) after a failed sync", len(ents), err)
	}
	assertNoneOpen(t, d)
}
