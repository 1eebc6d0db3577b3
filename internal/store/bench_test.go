package store

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/recommend-dev/recommend/internal/paper"
)

// benchDims is the dimension used in benchmarks (the 512-d case).
const benchDims = 512

// benchPageSize lets a benchmark run compare page sizes:
// RECOMMEND_STORE_BENCH_PAGESIZE=4096 go test -bench ...
func benchPageSize() int {
	n, _ := strconv.Atoi(os.Getenv("RECOMMEND_STORE_BENCH_PAGESIZE"))
	return n
}

// BenchmarkPutPapers stores batches of new papers with 512-d vectors into a
// growing store (fsync on every batch, as in production) and reports
// papers/s.
func BenchmarkPutPapers(b *testing.B) {
	for _, size := range []int{100, 1000} {
		for _, order := range []string{"sequential", "random"} {
			b.Run(fmt.Sprintf("batch=%d/ids=%s", size, order), func(b *testing.B) {
				s := openTemp(b, &Options{PageSize: benchPageSize()})
				r := rand.New(rand.NewPCG(1, 1))
				ps, vs := makeBatch(r, "x", size, benchDims)
				w0 := writtenBytes()
				b.ResetTimer()
				n := 0
				for i := range b.N {
					for j := range ps {
						if order == "sequential" {
							ps[j].ID = fmt.Sprintf("p%09d", i*size+j)
						} else {
							ps[j].ID = fmt.Sprintf("p%016x", r.Uint64())
						}
					}
					if err := s.PutPapers(ps, "m", vs); err != nil {
						b.Fatal(err)
					}
					n += size
				}
				b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "papers/s")
				if w1 := writtenBytes(); w1 > 0 && n > 0 {
					b.ReportMetric(float64(w1-w0)/float64(n), "written_bytes/paper")
				}
				if st, err := os.Stat(s.Path()); err == nil && n > 0 {
					b.ReportMetric(float64(st.Size())/float64(n), "file_bytes/paper")
				}
			})
		}
	}
}

// writtenBytes returns the bytes this process has passed to write
// syscalls (wchar in /proc/self/io), or 0 where that is not available. It is
// a noise-free measure of a write path's I/O volume on a shared machine.
func writtenBytes() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "wchar: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

var (
	scanOnce sync.Once
	scanPath string
	scanErr  error
)

// scanFixture builds (once per process) a closed store of 100k papers with
// 512-d vectors in a directory removed at the end of the benchmark run.
func scanFixture(b *testing.B) string {
	const n = 100_000
	scanOnce.Do(func() {
		dir, err := os.MkdirTemp("", "store-bench-")
		if err != nil {
			scanErr = err
			return
		}
		scanPath = filepath.Join(dir, "bench.db")
		s, err := Open(scanPath, &Options{Logger: quiet, PageSize: benchPageSize()})
		if err != nil {
			scanErr = err
			return
		}
		r := rand.New(rand.NewPCG(2, 2))
		const batch = 5000
		ps, vs := makeBatch(r, "x", batch, benchDims)
		start := time.Now()
		for i := 0; i < n; i += batch {
			for j := range ps {
				ps[j].ID = fmt.Sprintf("arxiv:%02d%02d.%05d", 10+(i+j)/40000, 1+(i+j)/4000%10, (i+j)%100000)
			}
			if scanErr = s.PutPapers(ps, "m", vs); scanErr != nil {
				return
			}
		}
		fmt.Fprintf(os.Stderr, "scan fixture: %d papers stored in %v (%.0f papers/s)\n", n, time.Since(start), n/time.Since(start).Seconds())
		scanErr = s.Close()
	})
	if scanErr != nil {
		b.Fatal(scanErr)
	}
	return scanPath
}

// BenchmarkScan reads 100k papers with their 512-d vectors, as the index
// rebuild at start-up does, and reports papers/s and the projected time for
// 1M papers.
func BenchmarkScan(b *testing.B) {
	path := scanFixture(b)
	s, err := Open(path, &Options{Logger: quiet, ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.Run("papers+vectors", func(b *testing.B) {
		n := 0
		for range b.N {
			if err := s.Scan("m", func(p paper.Paper, vec []float32) error {
				if len(vec) != benchDims {
					return fmt.Errorf("paper %s: %d dims", p.ID, len(vec))
				}
				n++
				return nil
			}); err != nil {
				b.Fatal(err)
			}
		}
		rate := float64(n) / b.Elapsed().Seconds()
		b.ReportMetric(rate, "papers/s")
		b.ReportMetric(1e6/rate, "s/1M_papers")
	})
	b.Run("vectors-only", func(b *testing.B) {
		n := 0
		for range b.N {
			if err := s.ScanVectors("m", func(string, []float32) error { n++; return nil }); err != nil {
				b.Fatal(err)
			}
		}
		rate := float64(n) / b.Elapsed().Seconds()
		b.ReportMetric(rate, "papers/s")
		b.ReportMetric(1e6/rate, "s/1M_papers")
	})
}

// BenchmarkOpen opens the 100k-paper store, with and without Verify.
func BenchmarkOpen(b *testing.B) {
	path := scanFixture(b)
	for _, verify := range []bool{false, true} {
		b.Run("verify="+strconv.FormatBool(verify), func(b *testing.B) {
			for range b.N {
				s, err := Open(path, &Options{Logger: quiet, Verify: verify})
				if err != nil {
					b.Fatal(err)
				}
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
