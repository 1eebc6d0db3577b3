package vecindex

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/philippgille/chromem-go"

	"github.com/recommend-dev/recommend/internal/synth"
)

// The scale benchmarks build, per corpus size, one chromem-go collection
// and one Index over the very same []float32 vectors, then time the same
// queries against chromem-go's QueryEmbedding (the baseline), the exact
// path and the approximate path with 8-bit (approx) and 4-bit (approx4)
// codes:
//
//	go test ./internal/vecindex -run '^$' -bench Scale -benchtime 200x -timeout 60m
//	RECOMMEND_BENCH_1M=1 go test ./internal/vecindex -run '^$' -bench 'Scale/n=1M' -benchtime 100x -timeout 60m
//
// Metrics: p50-ms and p99-ms from the recorded per-query latencies,
// recall@10 of the approximate path against the exact one over all bench
// queries, mem-ratio = (float32 vectors + index heap) / float32 vectors as
// measured by the heap (Stats().Ratio() is reported as stats-ratio),
// add-vec/s for AddBatch in batches of 1000 and chromem-add-vec/s for
// chromem-go's AddDocument.

const benchDims = 512

type benchCorpus struct {
	n        int
	corpus   *synth.Corpus
	ids      []string
	vecs     [][]float32
	col      *chromem.Collection
	idx      *Index
	idx4     *Index // 4-bit codes
	queries  []benchQuery
	exact    [][]Hit // exact answers per query, for recall
	addRate  float64
	addRate4 float64
	idxHeap4 uint64
	colRate  float64
	idxHeap  uint64
	colHeap  uint64
	rawBytes uint64
}

// benchQuery is one query: a vector and, for a related-papers query, the
// id of the stored paper it comes from (excluded from the results).
type benchQuery struct {
	vec  []float32
	self string
}

var (
	benchMu      sync.Mutex
	benchCorpora = map[int]*benchCorpus{}
)

func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func loadBenchCorpus(b *testing.B, n int) *benchCorpus {
	b.Helper()
	benchMu.Lock()
	defer benchMu.Unlock()
	if c, ok := benchCorpora[n]; ok {
		return c
	}
	// Keep one corpus at a time: 1M vectors alone are 2 GB.
	clear(benchCorpora)
	runtime.GC()
	bc := &benchCorpus{n: n, corpus: synth.New(synth.Config{N: n, Dims: benchDims, Seed: 7})}
	t0 := time.Now()
	bc.vecs = bc.corpus.Vectors()
	bc.ids = make([]string, n)
	for i := range bc.ids {
		bc.ids[i] = bc.corpus.ID(i)
	}
	b.Logf("n=%d: generated %d vectors of %d dims in %v", n, n, benchDims, time.Since(t0).Round(time.Millisecond))
	bc.rawBytes = uint64(n) * benchDims * 4

	h0 := heapAlloc()
	db := chromem.NewDB()
	col, err := db.CreateCollection("bench", nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	t0 = time.Now()
	for i, v := range bc.vecs {
		if err := col.AddDocument(ctx, chromem.Document{ID: bc.ids[i], Embedding: v}); err != nil {
			b.Fatal(err)
		}
	}
	bc.colRate = float64(n) / time.Since(t0).Seconds()
	bc.col = col
	h1 := heapAlloc()
	bc.colHeap = h1 - h0

	x := New(benchDims)
	t0 = time.Now()
	for lo := 0; lo < n; lo += 1000 {
		hi := min(lo+1000, n)
		if err := x.AddBatch(bc.ids[lo:hi], bc.vecs[lo:hi]); err != nil {
			b.Fatal(err)
		}
	}
	bc.addRate = float64(n) / time.Since(t0).Seconds()
	bc.idx = x
	h2 := heapAlloc()
	bc.idxHeap = h2 - h1

	x4 := New(benchDims, WithBits(4))
	t0 = time.Now()
	for lo := 0; lo < n; lo += 1000 {
		hi := min(lo+1000, n)
		if err := x4.AddBatch(bc.ids[lo:hi], bc.vecs[lo:hi]); err != nil {
			b.Fatal(err)
		}
	}
	bc.addRate4 = float64(n) / time.Since(t0).Seconds()
	bc.idx4 = x4
	bc.idxHeap4 = heapAlloc() - h2

	// 40% held-out papers near the clusters (search), 40% stored papers
	// (related papers: k+1 asked, the paper itself excluded), 20% random
	// directions.
	for j := range 200 {
		switch j % 5 {
		case 0, 2:
			bc.queries = append(bc.queries, benchQuery{vec: bc.corpus.Vector(n+j, nil)})
		case 1, 3:
			i := (j * 104729) % n
			bc.queries = append(bc.queries, benchQuery{vec: bc.vecs[i], self: bc.ids[i]})
		default:
			bc.queries = append(bc.queries, benchQuery{vec: bc.corpus.RandomVector(j)})
		}
	}
	bc.exact = make([][]Hit, len(bc.queries))
	for j, q := range bc.queries {
		bc.exact[j], err = x.Search(q.vec, 10, q.options(SearchOptions{Exact: true}))
		if err != nil {
			b.Fatal(err)
		}
	}
	// chromem-go keeps the caller's slice when it is already normalised;
	// check that the index and chromem-go share the vectors.
	res, err := col.QueryEmbedding(ctx, bc.queries[0].vec, 10, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range res {
		v, _ := x.Vector(r.ID)
		if unsafe.SliceData(v) != unsafe.SliceData(r.Embedding) {
			b.Logf("n=%d: chromem-go holds a copy of %s's vector, not the caller's slice", n, r.ID)
		}
	}
	s := x.Stats()
	b.Logf("n=%d: 4-bit index AddBatch %.0f vec/s, heap +%.1f MB (%.3fx raw), stats ratio %.4f",
		n, bc.addRate4, float64(bc.idxHeap4)/1e6, float64(bc.idxHeap4)/float64(bc.rawBytes), x4.Stats().Ratio())
	b.Logf("n=%d: chromem AddDocument %.0f vec/s, heap +%.1f MB (%.3fx raw); index AddBatch %.0f vec/s, heap +%.1f MB (%.3fx raw), stats ratio %.4f",
		n, bc.colRate, float64(bc.colHeap)/1e6, float64(bc.colHeap)/float64(bc.rawBytes),
		bc.addRate, float64(bc.idxHeap)/1e6, float64(bc.idxHeap)/float64(bc.rawBytes), s.Ratio())
	benchCorpora[n] = bc
	return bc
}

func (q benchQuery) options(o SearchOptions) SearchOptions {
	if q.self != "" {
		self := q.self
		o.Exclude = func(id string) bool { return id == self }
	}
	return o
}

// cpuTime is the CPU time (user and system) the process has used so far.
// Per query it is a load-independent figure: on a machine shared with other
// work, wall-clock latencies include waiting for a core, CPU time does not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, since time.Duration) {
	b.ReportMetric(float64((cpuTime()-since).Nanoseconds())/1e6/float64(b.N), "cpu-ms/op")
}

// latencies records per-query times and reports their percentiles.
type latencies []time.Duration

func (l latencies) pct(p float64) float64 {
	s := slices.Clone(l)
	slices.Sort(s)
	return float64(s[min(len(s)-1, int(p*float64(len(s))))].Nanoseconds()) / 1e6
}

func (l latencies) report(b *testing.B) {
	if len(l) == 0 {
		return
	}
	b.ReportMetric(l.pct(0.50), "p50-ms")
	b.ReportMetric(l.pct(0.99), "p99-ms")
}

// reportKinds reports the p50 of related-papers queries (a stored paper's
// vector, the paper excluded) and of search queries (other vectors)
// separately; lat[i] is the latency of query i%len(qs).
func reportKinds(b *testing.B, lat latencies, qs []benchQuery) {
	var rel, search latencies
	for i, d := range lat {
		if qs[i%len(qs)].self != "" {
			rel = append(rel, d)
		} else {
			search = append(search, d)
		}
	}
	if len(rel) > 0 && len(search) > 0 {
		b.ReportMetric(rel.pct(0.5), "related-p50-ms")
		b.ReportMetric(search.pct(0.5), "search-p50-ms")
	}
}

func BenchmarkScale(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		name := fmt.Sprintf("n=%dk", n/1000)
		if n == 1_000_000 {
			name = "n=1M"
		}
		b.Run(name, func(b *testing.B) {
			if n == 1_000_000 && os.Getenv("RECOMMEND_BENCH_1M") != "1" {
				b.Skip("set RECOMMEND_BENCH_1M=1 to run the 1M benchmark (about 3.5 GB of heap)")
			}
			bc := loadBenchCorpus(b, n)
			ctx := context.Background()
			const k = 10
			b.Run("chromem", func(b *testing.B) {
				var lat latencies
				i := 0
				cpu0 := cpuTime()
				for b.Loop() {
					q := bc.queries[i%len(bc.queries)]
					i++
					t0 := time.Now()
					nres := k
					if q.self != "" {
						nres++
					}
					res, err := bc.col.QueryEmbedding(ctx, q.vec, nres, nil, nil)
					lat = append(lat, time.Since(t0))
					if err != nil || len(res) != nres {
						b.Fatalf("QueryEmbedding: %d results, %v", len(res), err)
					}
				}
				reportCPU(b, cpu0)
				lat.report(b)
				reportKinds(b, lat, bc.queries)
				b.ReportMetric(bc.colRate, "add-vec/s")
				b.ReportMetric(float64(bc.rawBytes+bc.colHeap)/float64(bc.rawBytes), "mem-ratio")
			})
			for _, mode := range []string{"exact", "approx", "approx4"} {
				idx, heap, rate := bc.idx, bc.idxHeap, bc.addRate
				if mode == "approx4" {
					idx, heap, rate = bc.idx4, bc.idxHeap4, bc.addRate4
				}
				exact := mode == "exact"
				b.Run(mode, func(b *testing.B) {
					var lat latencies
					var recall float64
					for j, q := range bc.queries {
						got, err := idx.Search(q.vec, k, q.options(SearchOptions{Exact: exact}))
						if err != nil {
							b.Fatal(err)
						}
						recall += recallAt(got, bc.exact[j])
					}
					i := 0
					cpu0 := cpuTime()
					for b.Loop() {
						q := bc.queries[i%len(bc.queries)]
						i++
						t0 := time.Now()
						got, err := idx.Search(q.vec, k, q.options(SearchOptions{Exact: exact}))
						lat = append(lat, time.Since(t0))
						if err != nil || len(got) != k {
							b.Fatalf("Search: %d hits, %v", len(got), err)
						}
					}
					reportCPU(b, cpu0)
					lat.report(b)
					reportKinds(b, lat, bc.queries)
					b.ReportMetric(recall/float64(len(bc.queries)), "recall@10")
					b.ReportMetric(rate, "add-vec/s")
					b.ReportMetric(float64(bc.rawBytes+heap)/float64(bc.rawBytes), "mem-ratio")
					b.ReportMetric(idx.Stats().Ratio(), "stats-ratio")
				})
			}
		})
	}
}
