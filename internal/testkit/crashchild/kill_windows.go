package crashchild

import "syscall"

// Kill ends the calling process at once with TerminateProcess (exit code KilledExitCode):
// no deferred call, no buffered write and no Go cleanup runs, as in a power cut for the
// process (what WriteFile already handed to the system stays). It never returns.
func Kill() {
	if h, err := syscall.GetCurrentProcess(); err == nil {
		syscall.TerminateProcess(h, KilledExitCode)
	}
	select {} // TerminateProcess does not return for the calling process
}
