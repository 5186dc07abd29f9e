package maildir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/postfach/postfach/accounts/atomicfile"
)

// maxAsideNames bounds the search for a free name in SetAside's destination.
const maxAsideNames = 1000

// SetAside moves a stored message file (rel, relative to the Maildir root, in new/ or
// cur/ as Scan returns it) out of the Maildir into destDir, and returns its new path.
// destDir is created (0700) if needed and must be on the same file system. The file
// keeps its name; if destDir already holds that name, ".1", ".2", … is appended: a file
// already there is never overwritten. The destination is synced before the file leaves
// the Maildir, then the Maildir's directory, so that a crash leaves the file in one place
// or both, never in neither.
func (d *Dir) SetAside(rel, destDir string) (string, error) {
	sub, name := filepath.Split(filepath.Clean(rel))
	sub = filepath.Clean(sub)
	if !filepath.IsLocal(rel) || (sub != New && sub != Cur) || name == "" {
		return "", fmt.Errorf("maildir set aside %s: not a message in new/ or cur/", rel)
	}
	src := filepath.Join(d.path, sub, name)
	if _, err := os.Lstat(src); err != nil {
		return "", fmt.Errorf("maildir set aside: %w", err)
	}
	if err := makeDir(destDir); err != nil {
		return "", fmt.Errorf("maildir set aside: %w", err)
	}
	link := d.link
	if link == nil {
		link = os.Link
	}
	dst, linked, err := moveNoReplace(link, src, destDir, name)
	if err != nil {
		return "", fmt.Errorf("maildir set aside %s: %w", rel, err)
	}
	if err := atomicfile.SyncDir(destDir); err != nil {
		return "", fmt.Errorf("maildir set aside: %w", err)
	}
	if linked {
		if err := os.Remove(src); err != nil {
			return "", fmt.Errorf("maildir set aside: %w", err)
		}
	}
	if err := atomicfile.SyncDir(filepath.Dir(src)); err != nil {
		return "", fmt.Errorf("maildir set aside: %w", err)
	}
	return dst, nil
}

// makeDir creates dir (0700) if it does not exist, and syncs its parent when it did
// not, so that the new directory survives a crash along with what is moved into it.
func makeDir(dir string) error {
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%s is not a directory", dir)
		}
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return atomicfile.SyncDir(filepath.Dir(filepath.Clean(dir)))
}

// moveNoReplace gives src the name dir/name, or name.1, name.2, … if taken, and reports
// whether it did so by a hard link (src must then be removed) or by a rename. A hard
// link fails rather than replace an existing name, so it is tried first; where the file
// system has no hard links (FAT, some network file systems) the name is checked and then
// renamed, which is as safe while only Postfach, holding the folder's lock, writes there.
func moveNoReplace(link func(string, string) error, src, dir, name string) (dst string, linked bool, err error) {
	for n := range maxAsideNames {
		dst = filepath.Join(dir, name)
		if n > 0 {
			dst += "." + strconv.Itoa(n)
		}
		err := link(src, dst)
		if err == nil {
			return dst, true, nil
		}
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if _, serr := os.Lstat(dst); serr == nil {
			continue
		} else if !errors.Is(serr, fs.ErrNotExist) {
			return "", false, serr
		}
		if err := os.Rename(src, dst); err != nil {
			return "", false, err
		}
		return dst, false, nil
	}
	return "", false, fmt.Errorf("%s: no free name in %s after %d tries", name, dir, maxAsideNames)
}
