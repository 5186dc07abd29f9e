//go:build !windows

package backup

import (
	"errors"
	"syscall"
)

// diskFull reports a full drive (ENOSPC) or an exhausted disk quota (EDQUOT).
func diskFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}
