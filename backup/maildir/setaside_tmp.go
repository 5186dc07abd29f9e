package maildir

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/postfach/postfach/accounts/atomicfile"
)

// SetAside moves a stored message (path relative to the root) into destDir, keeping its
// name (made unique if taken) and never overwriting; it returns the new path.
func (d *Dir) SetAside(rel, destDir string) (string, error) {
	if err := os.MkdirAll(destDir, 0o700); err != nil {
		return "", fmt.Errorf("maildir set aside: %w", err)
	}
	base := filepath.Base(rel)
	for i := 0; ; i++ {
		dst := filepath.Join(destDir, base)
		if i > 0 {
			dst += "." + strconv.Itoa(i)
		}
		if _, err := os.Lstat(dst); err == nil {
			continue
		}
		if err := os.Rename(filepath.Join(d.path, rel), dst); err != nil {
			return "", fmt.Errorf("maildir set aside: %w", err)
		}
		if err := atomicfile.SyncDir(destDir); err != nil {
			return "", err
		}
		return dst, atomicfile.SyncDir(filepath.Join(d.path, filepath.Dir(rel)))
	}
}
