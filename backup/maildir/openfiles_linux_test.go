package maildir_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// openUnder counts this process's descriptors on files under dir, as /proc/self/fd
// shows them; -1 if it cannot be read.
func openUnder(t *testing.T, dir string) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	n := 0
	for _, e := range ents {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && strings.HasPrefix(target, dir+string(filepath.Separator)) {
			n++
		}
	}
	return n
}
