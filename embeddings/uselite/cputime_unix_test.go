//go:build unix

package uselite

import (
	"syscall"
	"time"
)

// processCPUTime returns the CPU time (user + system) the process has used,
// so that benchmarks can report CPU cost next to wall time on a shared
// machine.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
