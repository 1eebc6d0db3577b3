//go:build !unix

package engine

import "time"

// benchCPUTime is not measured on this platform; the CPU metrics are then
// left out.
func benchCPUTime() time.Duration { return 0 }
