//go:build !windows

package mailerr

import "syscall"

// errConnReset is the system's "connection reset by peer" (Windows has its own number).
const errConnReset = syscall.ECONNRESET
