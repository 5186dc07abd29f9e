// Package filelock provides an advisory, cross-process lock on a file.
//
// The lock is held through an open file descriptor (flock on Unix, LockFileEx on Windows),
// so the operating system releases it when the holder exits for any reason, kill -9
// included: a crashed run never leaves a stale lock behind that blocks the next one.
package filelock

import (
	"errors"
	"fmt"
	"os"
	"strconv"
)

// ErrLocked is returned by TryLock when another process (or another Lock in this
// process) holds the lock.
var ErrLocked = errors.New("locked by another run")

// Lock is a held lock. Release it with Unlock.
type Lock struct {
	f *os.File
}

// TryLock takes the lock on path without waiting. The file is created if needed (0600)
// and gets the holder's PID written into it, for people investigating.
func TryLock(path string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := tryLock(f); err != nil {
		f.Close()
		if errors.Is(err, ErrLocked) {
			return nil, fmt.Errorf("lock %s: %w", path, ErrLocked)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f}, nil
}

// Unlock releases the lock. The file stays, so that the next holder locks the same inode.
func (l *Lock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := unlock(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}
