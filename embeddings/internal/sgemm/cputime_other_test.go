//go:build !unix

package sgemm

import "time"

// processCPU cannot tell the process's CPU time on this system.
func processCPU() time.Duration { return 0 }
