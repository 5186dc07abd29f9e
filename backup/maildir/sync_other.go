//go:build !linux

package maildir

import "os"

// syncData makes a file durable with File.Sync: fsync(2) on the BSDs; on macOS
// fcntl(F_FULLFSYNC), which also empties the drive's write cache (fsync(2) alone does
// not), with fsync(2) as the fallback where the file system refuses it (SMB); on
// Windows FlushFileBuffers.
func syncData(f *os.File) error { return f.Sync() }
