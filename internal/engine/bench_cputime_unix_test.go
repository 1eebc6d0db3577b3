//go:build unix

package engine

import (
	"syscall"
	"time"
)

// benchCPUTime is the process's user + system CPU time: on a machine shared
// with other work it measures a benchmark's own work, where wall-clock time
// also measures the wait for a core.
func benchCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
