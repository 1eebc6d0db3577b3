//go:build unix

package sgemm

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time the test process has used so far, in user
// and system mode, or 0 if it cannot tell.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
