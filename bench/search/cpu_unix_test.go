//go:build unix

package searchbench

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user + system) this process used so far: with other jobs on
// the machine, it says more about the work than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
