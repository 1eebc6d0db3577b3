package vecindex

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recommend-dev/recommend/internal/synth"
)

// BenchmarkSearch times one search path on a 50k corpus of 512 dimensions
// without the chromem-go baseline, for profiling.
func BenchmarkSearch(b *testing.B) {
	const n, dims = 50000, 512
	c := synth.New(synth.Config{N: n, Dims: dims, Seed: 4})
	vecs := c.Vectors()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = c.ID(i)
	}
	for _, bits := range []int{8, 4} {
		x := New(dims, WithBits(bits))
		if err := x.AddBatch(ids, vecs); err != nil {
			b.Fatal(err)
		}
		if bits == 8 {
			// Searches while another goroutine keeps replacing 1000
			// vectors at a time: the write lock is held for at most
			// insertBatch rows, so p99 should stay near the plain one.
			b.Run("bits=8/during-adds", func(b *testing.B) {
				var stop atomic.Bool
				done := make(chan int)
				go func() {
					added := 0
					for i := 0; !stop.Load(); i = (i + 1000) % n {
						if err := x.AddBatch(ids[i:i+1000], vecs[i:i+1000]); err != nil {
							panic(err)
						}
						added += 1000
					}
					done <- added
				}()
				var lat latencies
				i := 0
				t0 := time.Now()
				for b.Loop() {
					s := time.Now()
					if _, err := x.Search(vecs[(i*7919)%n], 10, SearchOptions{}); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(s))
					i++
				}
				stop.Store(true)
				added := <-done
				lat.report(b)
				b.ReportMetric(float64(added)/time.Since(t0).Seconds(), "adds/s")
			})
		}
		for _, exact := range []bool{false, true} {
			if exact && bits == 4 {
				continue
			}
			b.Run(fmt.Sprintf("bits=%d/exact=%v", bits, exact), func(b *testing.B) {
				cpu0 := cpuTime()
				var lat latencies
				i := 0
				for b.Loop() {
					s := time.Now()
					if _, err := x.Search(vecs[(i*7919)%n], 10, SearchOptions{Exact: exact}); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(s))
					i++
				}
				reportCPU(b, cpu0)
				lat.report(b)
			})
		}
	}
}

// BenchmarkConcurrentSearch is the load test's situation at the index: 32
// goroutines (b.SetParallelism(16) on 2 cores) search one 100k index of
// 512 dimensions at once, with no admission limit (gate=off, every search
// scans at once) and with the default one (gate=default, one search
// scanning at a time, the others queued in FIFO order), in the same run.
// p50-ms, p99-ms and mean-ms include the wait; queries/s is the
// throughput. With a closed loop of 32 clients the mean is about 32 /
// throughput either way (Little's law): the gate trades a lower median
// for a much lower tail (no search starves while others are served).
//
//	go test ./internal/vecindex -run '^$' -bench ConcurrentSearch -benchtime 2000x
func BenchmarkConcurrentSearch(b *testing.B) {
	const n, dims = 100_000, 512
	c := synth.New(synth.Config{N: n, Dims: dims, Seed: 4})
	vecs := c.Vectors()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = c.ID(i)
	}
	for _, gated := range []bool{false, true} {
		name, opts := "gate=off", []Option{WithMaxConcurrentSearches(0)}
		if gated {
			name, opts = "gate=default", nil
		}
		x := New(dims, opts...)
		if err := x.AddBatch(ids, vecs); err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			var (
				mu   sync.Mutex
				all  latencies
				next atomic.Int64
			)
			b.SetParallelism(16)
			t0 := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				var lat latencies
				for pb.Next() {
					i := int(next.Add(1))
					s := time.Now()
					if _, err := x.Search(vecs[(i*7919)%n], 10, SearchOptions{}); err != nil {
						b.Error(err)
						return
					}
					lat = append(lat, time.Since(s))
				}
				mu.Lock()
				all = append(all, lat...)
				mu.Unlock()
			})
			b.ReportMetric(float64(len(all))/time.Since(t0).Seconds(), "queries/s")
			all.report(b)
			var sum time.Duration
			for _, d := range all {
				sum += d
			}
			if len(all) > 0 {
				b.ReportMetric(float64(sum.Nanoseconds())/1e6/float64(len(all)), "mean-ms")
			}
		})
	}
}
