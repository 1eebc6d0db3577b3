//go:build unix

package lexical

import (
	"syscall"
	"time"
)

// cpuTime is the process's user + system CPU time: on a shared machine it
// measures work where wall-clock time measures the neighbours too.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
