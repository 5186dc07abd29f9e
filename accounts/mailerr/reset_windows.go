package mailerr

import "syscall"

// errConnReset is Winsock's "connection reset by peer", which Go on Windows reports as
// itself rather than as syscall.ECONNRESET.
const errConnReset = syscall.Errno(10054) // WSAECONNRESET
