package main

import (
	"slices"
	"testing"
	"time"
)

// BenchmarkStartup starts `recommend serve` on an empty data directory once
// per iteration and reports how long it takes to be ready:
//
//	go test ./cmd/recommend -run '^$' -bench Startup -benchtime 10x
//
// The bundled line loads the bundled corpus with its shipped vectors (no
// encoder run); the empty line (--bundled=false) is the baseline of the same
// run: process start, the built-in encoder's weights, the store and the
// HTTP listener, with an empty index. Metrics, all from the recorded starts:
// ready-p50-ms and ready-max-ms, the start-up time the service logs with its
// "ready" line (from flag parsing to index loaded); wall-p50-ms, from
// starting the process to reading that line; cpu-ms, the process's CPU time
// over its whole life (start, ready, shutdown) per start; x-empty, the
// bundled ready-p50 over the empty one.
func BenchmarkStartup(b *testing.B) {
	readyP50 := map[string]float64{}
	for _, c := range []struct {
		name  string
		flags []string
	}{
		{"empty", []string{"--bundled=false"}},
		{"bundled", nil},
	} {
		b.Run(c.name, func(b *testing.B) {
			var ready, wall, cpu []time.Duration
			papers := -1
			for b.Loop() {
				dir := b.TempDir()
				t0 := time.Now()
				s := startService(b, dir, c.flags...)
				wall = append(wall, time.Since(t0))
				ready = append(ready, s.ready)
				var h struct {
					Papers int `json:"papers"`
				}
				if got := s.do("GET", "/readyz", nil, &h); got != 200 {
					b.Fatalf("GET /readyz: status %d after the ready line", got)
				}
				if want0 := c.name == "empty"; (h.Papers == 0) != want0 {
					b.Fatalf("%s start serves %d papers", c.name, h.Papers)
				}
				s.stop()
				if st := s.cmd.ProcessState; st != nil {
					cpu = append(cpu, st.UserTime()+st.SystemTime())
				}
				papers = h.Papers
			}
			ms := func(ds []time.Duration, p float64) float64 {
				s := slices.Clone(ds)
				slices.Sort(s)
				return float64(s[min(len(s)-1, int(p*float64(len(s))))].Microseconds()) / 1e3
			}
			readyP50[c.name] = ms(ready, 0.5)
			b.ReportMetric(ms(ready, 0.5), "ready-p50-ms")
			b.ReportMetric(ms(ready, 1), "ready-max-ms")
			b.ReportMetric(ms(wall, 0.5), "wall-p50-ms")
			if len(cpu) > 0 {
				var sum time.Duration
				for _, d := range cpu {
					sum += d
				}
				b.ReportMetric(float64(sum.Microseconds())/1e3/float64(len(cpu)), "cpu-ms")
			}
			if base := readyP50["empty"]; c.name != "empty" && base > 0 {
				b.ReportMetric(readyP50[c.name]/base, "x-empty")
			}
			b.Logf("%s: %d starts, %d papers served; ready %v", c.name, len(ready), papers, ready)
		})
	}
}
