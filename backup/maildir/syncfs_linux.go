package maildir

import (
	"os"

	"golang.org/x/sys/unix"
)

// haveSyncFS: on Linux one syncfs(2) flushes every file of a batch, far cheaper than an
// fsync per message (each fsync is a journal commit). It reports writeback errors since
// Linux 5.8.
const haveSyncFS = true

func syncFS(f *os.File) error { return unix.Syncfs(int(f.Fd())) }
