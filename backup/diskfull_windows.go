package backup

import (
	"errors"
	"syscall"
)

// diskFull reports a full drive: ERROR_HANDLE_DISK_FULL (39) and ERROR_DISK_FULL (112)
// on Windows, where syscall.ENOSPC is never returned by the file system.
func diskFull(err error) bool {
	return errors.Is(err, syscall.Errno(39)) || errors.Is(err, syscall.Errno(112)) || errors.Is(err, syscall.ENOSPC)
}
