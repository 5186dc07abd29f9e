//go:build !unix

package searchbench

import "time"

// cpuTime is not measured here.
func cpuTime() time.Duration { return 0 }
