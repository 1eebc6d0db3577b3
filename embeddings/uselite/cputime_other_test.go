//go:build !unix

package uselite

import "time"

// processCPUTime is not available here; benchmarks report 0.
func processCPUTime() time.Duration { return 0 }
