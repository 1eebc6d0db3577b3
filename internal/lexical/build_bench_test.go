package lexical

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/recommend-dev/recommend/internal/synth"
)

// BenchmarkBuildSynth builds the index from the texts (title and abstract)
// of internal/synth's papers, the corpus the engine's benchmarks load, one
// document at a time with Add and in batches with AddBatch, in the same
// run:
//
//	go test ./internal/lexical -run '^$' -bench BuildSynth -benchtime 1x
//	RECOMMEND_BENCH_1M=1 go test ./internal/lexical -run '^$' -bench 'BuildSynth/n=1M' -benchtime 1x -timeout 30m
//
// batch=4096 feeds AddBatch 4096 documents per call after Grow, as
// Engine.Load does; batch=all passes every document in one call;
// batch=4096/no-bigrams is batch=4096 with WithBigramWeight(0), to show
// what bigrams cost. docs/s is the build rate,
// docs/cpu-s the rate per core-second, heap-MB the live heap the index
// holds after a GC, est-MB its own estimate (Stats.Bytes) and
// bigram-MB the part of that estimate that bigrams take.
func BenchmarkBuildSynth(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		name := fmt.Sprintf("n=%dk", n/1000)
		if n == 1_000_000 {
			name = "n=1M"
		}
		b.Run(name, func(b *testing.B) {
			if n == 1_000_000 && os.Getenv("RECOMMEND_BENCH_1M") != "1" {
				b.Skip("set RECOMMEND_BENCH_1M=1 to run the 1M benchmark (about 4 GB of heap)")
			}
			ids, texts := synthTexts(n)
			for _, m := range []struct {
				name  string
				batch int
				opts  []Option
			}{
				{"add", 1, nil},
				{"batch=4096", 4096, nil},
				{"batch=all", n, nil},
				{"batch=4096/no-bigrams", 4096, []Option{WithBigramWeight(0)}},
			} {
				b.Run(m.name, func(b *testing.B) {
					benchBuildTexts(b, ids, texts, m.batch, m.opts...)
				})
			}
		})
	}
}

var synthTextCache struct {
	sync.Mutex
	n     int
	ids   []string
	texts []string
}

// synthTexts returns the ids and texts of internal/synth's first n papers
// (seed 11, as the engine's BenchmarkLoad), generated on every core.
func synthTexts(n int) ([]string, []string) {
	c := &synthTextCache
	c.Lock()
	defer c.Unlock()
	if c.n == n {
		return c.ids, c.texts
	}
	c.ids, c.texts = nil, nil
	runtime.GC()
	corpus := synth.New(synth.Config{N: n, Seed: 11})
	ids, texts := make([]string, n), make([]string, n)
	w := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for k := range w {
		wg.Go(func() {
			for i := k; i < n; i += w {
				p := corpus.Paper(i)
				ids[i], texts[i] = p.ID, p.Text()
			}
		})
	}
	wg.Wait()
	c.n, c.ids, c.texts = n, ids, texts
	return ids, texts
}

func benchBuildTexts(b *testing.B, ids, texts []string, batch int, opts ...Option) {
	var cpu time.Duration
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		b.StartTimer()
		t0, cpu0 := time.Now(), cpuTime()
		ix := New(opts...)
		if batch > 1 {
			ix.Grow(len(ids)) // as Engine.Load does, knowing the count
		}
		for lo := 0; lo < len(ids); lo += batch {
			hi := min(lo+batch, len(ids))
			var err error
			if batch == 1 {
				err = ix.Add(ids[lo], texts[lo])
			} else {
				err = ix.AddBatch(ids[lo:hi], texts[lo:hi])
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		elapsed += time.Since(t0)
		cpu += cpuTime() - cpu0
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		st := ix.Stats()
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MB")
		b.ReportMetric(float64(st.Bytes)/(1<<20), "est-MB")
		b.ReportMetric(float64(bigramBytes(ix))/(1<<20), "bigram-MB")
		b.ReportMetric(float64(st.Bigrams), "bigrams")
		b.ReportMetric(float64(st.Postings), "postings")
		runtime.KeepAlive(ix)
		b.StartTimer()
	}
	b.ReportMetric(float64(b.N*len(ids))/elapsed.Seconds(), "docs/s")
	if cpu > 0 {
		b.ReportMetric(float64(b.N*len(ids))/cpu.Seconds(), "docs/cpu-s")
	}
}

// bigramBytes is the part of Stats.Bytes that bigrams take: the forward
// index's bigram keys and the document-frequency table.
func bigramBytes(ix *Index) int64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	n := ix.biDF.bytes()
	for _, d := range ix.docs {
		n += int64(cap(d.bigrams)) * 8
	}
	return n
}
