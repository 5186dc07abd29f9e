package maildir

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncData makes a file's data, and the metadata needed to read it back (its size),
// durable with fdatasync(2), skipping the timestamps a full fsync would also write. On
// a failed write-back since the descriptor was opened it returns the error (EIO, ENOSPC,
// EDQUOT, …).
func syncData(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			serr = unix.Fdatasync(int(fd))
			if serr != unix.EINTR { // a signal may interrupt it on network file systems
				return
			}
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		return os.NewSyscallError("fdatasync", serr)
	}
	return nil
}
