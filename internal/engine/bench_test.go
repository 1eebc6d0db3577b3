package engine

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/recommend-dev/recommend/embeddings"
	"github.com/recommend-dev/recommend/embeddings/cache"
	"github.com/recommend-dev/recommend/embeddings/uselite"
	"github.com/recommend-dev/recommend/internal/bundled"
	"github.com/recommend-dev/recommend/internal/paper"
	"github.com/recommend-dev/recommend/internal/store"
	"github.com/recommend-dev/recommend/internal/synth"
)

// Service-level benchmarks of the engine. The index-level ones (vecindex
// against chromem-go, recall, memory) are in internal/vecindex.
//
// BenchmarkQuery times Related and Search in every mode over the bundled
// corpus (the real encoder behind the same bbolt embeddings cache as
// `recommend serve`, warmed, so that retrieval is measured; the encoder's
// own time per query is the search/embed-uncached line) and over synthetic
// corpora of 10k and 100k papers of 512 dimensions (internal/synth; query
// texts are held-out titles whose vectors a table embedder knows). Each
// corpus is loaded from a bbolt store with Engine.Load, as at start-up, and
// the chromem/related and chromem/search lines are chromem-go's raw
// QueryEmbedding over the very collection the engine holds, in the same
// run. BenchmarkLoad times start-up from a store; BenchmarkPut the import
// rate through Engine.Put in batches of 1000, embedding excluded.
//
//	go test ./internal/engine -run '^$' -bench . -benchtime 300x
//	RECOMMEND_BENCH_LARGE=1 go test ./internal/engine -run '^$' -bench 'n=100k' -benchtime 300x -timeout 30m
//	RECOMMEND_BENCH_1M=1 go test ./internal/engine -run '^$' -bench 'n=1M' -benchtime 100x -timeout 60m
//
// Metrics: p50-ms and p99-ms of the recorded per-operation latencies;
// cpu-ms/op, the process's CPU time per operation (the vector scans use
// every core, so it can exceed the wall time; on a shared machine it is the
// steadier figure); x-chromem, the p50 over chromem-go's p50 for the same
// kind of query (related or search) in the same run; x-semantic, a hybrid
// p50 over the semantic p50 of the same kind in the same run.

// benchK is the number of results every benchmark query asks for.
const benchK = 10

// benchDims is the dimension of the synthetic corpora (the built-in
// encoder's, and the issue's).
const benchDims = 512

// benchModel is the model name the synthetic vectors are stored under.
const benchModel = "synth-table"

// benchQueries is the number of distinct queries of each kind a synthetic
// benchmark cycles through.
const benchQueries = 200

// benchSize is one corpus size of the synthetic benchmarks, with the
// environment variable that enables it ("" for always).
type benchSize struct {
	name string
	n    int
	env  string
}

var benchSizes = []benchSize{
	{"n=10k", 10_000, ""},
	{"n=100k", 100_000, "RECOMMEND_BENCH_LARGE"},
	{"n=1M", 1_000_000, "RECOMMEND_BENCH_1M"},
}

// skipUnlessEnabled skips a large benchmark unless its variable is 1.
func (s benchSize) skipUnlessEnabled(b *testing.B) {
	b.Helper()
	if s.env != "" && os.Getenv(s.env) != "1" {
		b.Skipf("set %s=1 to run the %s benchmarks", s.env, s.name)
	}
}

var benchLog = slog.New(slog.DiscardHandler)

// tableEmbedder embeds the texts it was given vectors for, at the cost of a
// map look-up, and fails on any other: the benchmarks measure the engine,
// not an encoder, and a text the benchmark did not plan for is a bug.
type tableEmbedder struct {
	model string
	dims  int
	mu    sync.RWMutex
	vecs  map[string][]float32
}

func newTableEmbedder(model string, dims int) *tableEmbedder {
	return &tableEmbedder{model: model, dims: dims, vecs: map[string][]float32{}}
}

func (t *tableEmbedder) Model() string   { return t.model }
func (t *tableEmbedder) Dimensions() int { return t.dims }

// set records the vector of text.
func (t *tableEmbedder) set(text string, vec []float32) {
	t.mu.Lock()
	t.vecs[text] = vec
	t.mu.Unlock()
}

// forget drops every recorded vector.
func (t *tableEmbedder) forget() {
	t.mu.Lock()
	clear(t.vecs)
	t.mu.Unlock()
}

func (t *tableEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([][]float32, len(texts))
	for i, s := range texts {
		v, ok := t.vecs[s]
		if !ok {
			return nil, fmt.Errorf("table embedder: no vector for text %d (%.40q...)", i, s)
		}
		out[i] = v
	}
	return out, nil
}

// modelOnlyEmbedder names a model and refuses to embed: an engine built on
// it must find every vector in the store.
type modelOnlyEmbedder struct {
	model string
	dims  int
}

func (m modelOnlyEmbedder) Model() string   { return m.model }
func (m modelOnlyEmbedder) Dimensions() int { return m.dims }
func (m modelOnlyEmbedder) Embed(context.Context, []string) ([][]float32, error) {
	return nil, fmt.Errorf("model-only embedder: asked to embed during a benchmark that must not embed")
}

// openBenchStore opens a new store in dir.
func openBenchStore(tb testing.TB, dir string) *store.Store {
	tb.Helper()
	st, err := store.Open(filepath.Join(dir, "recommend.db"), &store.Options{Logger: benchLog})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// synthBatch returns papers [lo, hi) of c and their vectors, generated on
// every core.
func synthBatch(c *synth.Corpus, lo, hi int) ([]paper.Paper, [][]float32) {
	ps := make([]paper.Paper, hi-lo)
	vs := make([][]float32, hi-lo)
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(ps); i += workers {
				ps[i] = c.Paper(lo + i)
				vs[i] = c.Vector(lo+i, nil)
			}
		})
	}
	wg.Wait()
	return ps, vs
}

// writeSynthStore stores papers [0, N) of c with their vectors under
// benchModel, 1000 per transaction.
func writeSynthStore(b *testing.B, st *store.Store, c *synth.Corpus) {
	b.Helper()
	t0 := time.Now()
	for lo := 0; lo < c.Len(); lo += 1000 {
		ps, vs := synthBatch(c, lo, min(lo+1000, c.Len()))
		if err := st.PutPapers(ps, benchModel, vs); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("stored %d synthetic papers in %v", c.Len(), time.Since(t0).Round(time.Millisecond))
}

// writeBundledStore stores the bundled papers with their shipped vectors
// for the built-in encoder, as `recommend serve` does on an empty data
// directory.
func writeBundledStore(b *testing.B, st *store.Store) int {
	b.Helper()
	ps, err := bundled.Papers()
	if err != nil {
		b.Fatal(err)
	}
	vs, err := bundled.Vectors(uselite.ModelName)
	if err != nil {
		b.Fatal(err)
	}
	if err := st.PutPapers(ps, uselite.ModelName, vs); err != nil {
		b.Fatal(err)
	}
	return len(ps)
}

// boltCached wraps emb in the embeddings cache that `recommend serve` uses:
// a bucket of the store's own bbolt file.
func boltCached(b *testing.B, st *store.Store, emb embeddings.Embedder) embeddings.Embedder {
	b.Helper()
	bc, err := cache.NewBolt(st.DB(), "embeddings-cache")
	if err != nil {
		b.Fatal(err)
	}
	return cache.New(emb, bc, cache.WithLogger(benchLog))
}

// queryCorpus is a loaded engine and the queries a benchmark runs on it.
type queryCorpus struct {
	e        *Engine
	related  []string    // ids of stored papers
	relVecs  [][]float32 // their vectors
	searches []string    // search texts
	qVecs    [][]float32 // their vectors
	uncached embeddings.Embedder
}

// loadEngine builds an engine on st and emb and loads it.
func loadEngine(b *testing.B, st *store.Store, emb embeddings.Embedder) *Engine {
	b.Helper()
	e, err := New(Config{Store: st, NotFound: store.ErrNotFound, Embedder: emb, Logger: benchLog})
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	if err := e.Load(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Logf("loaded %d papers in %v", e.Len(), time.Since(t0).Round(time.Millisecond))
	return e
}

// warm embeds every search text once, so that the cache holds them.
func (qc *queryCorpus) warm(b *testing.B) {
	b.Helper()
	vs, err := qc.e.emb.Embed(context.Background(), qc.searches)
	if err != nil {
		b.Fatal(err)
	}
	qc.qVecs = vs
	for _, id := range qc.related {
		v, ok := qc.e.mem().vix.Vector(id)
		if !ok {
			b.Fatalf("no vector for %s", id)
		}
		qc.relVecs = append(qc.relVecs, v)
	}
}

func bundledQueryCorpus(b *testing.B) *queryCorpus {
	b.Helper()
	st := openBenchStore(b, b.TempDir())
	writeBundledStore(b, st)
	enc, err := uselite.New()
	if err != nil {
		b.Fatal(err)
	}
	qc := &queryCorpus{e: loadEngine(b, st, boltCached(b, st, enc)), uncached: enc}
	ps, _, err := st.List(0, 1000)
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range ps {
		qc.related = append(qc.related, p.ID)
		qc.searches = append(qc.searches, p.Title)
	}
	t0 := time.Now()
	qc.warm(b)
	b.Logf("embedded %d query titles with %s in %v", len(qc.searches), enc.Model(), time.Since(t0).Round(time.Millisecond))
	return qc
}

func synthQueryCorpus(b *testing.B, n int) *queryCorpus {
	b.Helper()
	st := openBenchStore(b, b.TempDir())
	c := synth.New(synth.Config{N: n, Dims: benchDims, Seed: 11})
	writeSynthStore(b, st, c)
	table := newTableEmbedder(benchModel, benchDims)
	qc := &queryCorpus{e: loadEngine(b, st, boltCached(b, st, table))}
	for j := range benchQueries {
		qc.related = append(qc.related, c.ID((j*104729)%n))
		// Held-out papers (ids >= N) are queries from the corpus's own
		// distribution; their titles share the topic's words.
		title := c.Paper(n + j).Title
		table.set(title, c.Vector(n+j, nil))
		qc.searches = append(qc.searches, title)
	}
	qc.warm(b)
	return qc
}

// benchLatencies records per-operation times.
type benchLatencies []time.Duration

// pct returns the p-th quantile (0..1) in ms.
func (l benchLatencies) pct(p float64) float64 {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	return float64(s[min(len(s)-1, int(p*float64(len(s))))].Nanoseconds()) / 1e6
}

// mean returns the mean in ms.
func (l benchLatencies) mean() float64 {
	if len(l) == 0 {
		return 0
	}
	var sum time.Duration
	for _, d := range l {
		sum += d
	}
	return float64(sum.Nanoseconds()) / 1e6 / float64(len(l))
}

// report reports the p50 and p99 in ms and returns the p50.
func (l benchLatencies) report(b *testing.B) float64 {
	if len(l) == 0 {
		return 0
	}
	b.ReportMetric(l.pct(0.50), "p50-ms")
	b.ReportMetric(l.pct(0.99), "p99-ms")
	return l.pct(0.50)
}

// reportCPU reports the CPU time per operation since cpu0.
func reportCPU(b *testing.B, cpu0 time.Duration) {
	if cpu0 == 0 || b.N == 0 {
		return
	}
	b.ReportMetric(float64((benchCPUTime()-cpu0).Nanoseconds())/1e6/float64(b.N), "cpu-ms/op")
}

// queryBench is one line of BenchmarkQuery: op runs query j and returns
// the ids it found; want checks their number. When exact is set, it runs
// query j exhaustively, and the line reports recall@10: the share of the
// exact top 10 that op's top 10 holds, over all queries.
type queryBench struct {
	name     string
	base     string // the line whose p50 x-chromem compares with
	semantic string // for hybrid lines: the semantic line of the same kind
	queries  int
	op       func(j int) ([]string, error)
	exact    func(j int) ([]string, error)
	want     func(got int) bool
}

func exactlyK(got int) bool { return got == benchK }
func someHits(got int) bool { return got > 0 }

func resultIDs(rs []Result, err error) ([]string, error) {
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	return ids, err
}

func hitIDs(hs []Hit, err error) ([]string, error) {
	ids := make([]string, len(hs))
	for i, h := range hs {
		ids[i] = h.ID
	}
	return ids, err
}

// recallAt is the share of want's first k ids that got's first k hold.
func recallAt(k int, got, want []string) float64 {
	want = want[:min(k, len(want))]
	if len(want) == 0 {
		return 1
	}
	n := 0
	for _, id := range got[:min(k, len(got))] {
		if slices.Contains(want, id) {
			n++
		}
	}
	return float64(n) / float64(len(want))
}

// runQueryBenches runs the lines in order, all on one corpus, and reports
// each one's ratios to the lines run before it.
func runQueryBenches(b *testing.B, qc *queryCorpus) {
	ctx := context.Background()
	col := qc.e.mem().col
	nr, ns := len(qc.related), len(qc.searches)
	related := func(mode Mode, exact bool) func(int) ([]string, error) {
		return func(j int) ([]string, error) {
			ids, err := resultIDs(qc.e.Related(ctx, qc.related[j], Query{Limit: benchK, Mode: mode, Exact: exact}))
			if slices.Contains(ids, qc.related[j]) {
				return nil, fmt.Errorf("related %s returned the paper itself", qc.related[j])
			}
			return ids, err
		}
	}
	search := func(mode Mode, exact bool) func(int) ([]string, error) {
		return func(j int) ([]string, error) {
			return resultIDs(qc.e.Search(ctx, qc.searches[j], Query{Limit: benchK, Mode: mode, Exact: exact}))
		}
	}
	chromem := func(vec []float32, self string) ([]string, error) {
		n := benchK
		if self != "" {
			n++ // chromem-go cannot exclude an id: ask for one more.
		}
		res, err := col.QueryEmbedding(ctx, vec, n, nil, nil)
		ids := make([]string, 0, len(res))
		for _, r := range res {
			if r.ID != self && len(ids) < benchK {
				ids = append(ids, r.ID)
			}
		}
		return ids, err
	}
	lines := []queryBench{
		{name: "chromem/related", queries: nr, want: exactlyK, op: func(j int) ([]string, error) {
			return chromem(qc.relVecs[j], qc.related[j])
		}},
		{name: "chromem/search", queries: ns, want: exactlyK, op: func(j int) ([]string, error) {
			return chromem(qc.qVecs[j], "")
		}},
		{name: "related/semantic", base: "chromem/related", queries: nr, want: exactlyK,
			op: related(Semantic, false), exact: related(Semantic, true)},
		{name: "related/hybrid", base: "chromem/related", semantic: "related/semantic", queries: nr, want: exactlyK,
			op: related(Hybrid, false), exact: related(Hybrid, true)},
		{name: "related/lexical", base: "chromem/related", queries: nr, want: someHits, op: related(Lexical, false)},
		{name: "search/semantic", base: "chromem/search", queries: ns, want: exactlyK,
			op: search(Semantic, false), exact: search(Semantic, true)},
		{name: "search/hybrid", base: "chromem/search", semantic: "search/semantic", queries: ns, want: exactlyK,
			op: search(Hybrid, false), exact: search(Hybrid, true)},
		{name: "search/lexical", base: "chromem/search", queries: ns, want: someHits, op: search(Lexical, false)},
	}
	// The parts of a hybrid query, to see where its time goes: each side's
	// candidate search at the depth fusion asks for, and the look-up of the
	// results' papers in the store.
	depth := fusion.candidates(benchK)
	wantDepth := func(got int) bool { return got == depth }
	lines = append(lines,
		queryBench{name: "related/hybrid-parts/semantic-side", queries: nr, want: wantDepth,
			op: func(j int) ([]string, error) {
				return hitIDs(qc.e.semanticSide(ctx, qc.relVecs[j], depth, fusion.rerank(depth), Query{}, map[string]bool{qc.related[j]: true}))
			}},
		queryBench{name: "related/hybrid-parts/lexical-side", queries: nr, want: someHits,
			op: func(j int) ([]string, error) {
				hs, _ := qc.e.lex.Similar(qc.related[j], depth, qc.e.exclude(Query{}, map[string]bool{qc.related[j]: true}))
				return hitIDs(lexHits(hs), nil)
			}},
		queryBench{name: "search/hybrid-parts/semantic-side", queries: ns, want: wantDepth,
			op: func(j int) ([]string, error) {
				return hitIDs(qc.e.semanticSide(ctx, qc.qVecs[j], depth, fusion.rerank(depth), Query{}, nil))
			}},
		queryBench{name: "search/hybrid-parts/lexical-side", queries: ns, want: someHits,
			op: func(j int) ([]string, error) {
				return hitIDs(lexHits(qc.e.lex.Search(qc.searches[j], depth, qc.e.exclude(Query{}, nil))), nil)
			}},
		queryBench{name: "results-lookup", queries: nr, want: exactlyK,
			op: func(j int) ([]string, error) {
				hs := make([]Hit, benchK)
				for i := range hs {
					hs[i] = Hit{ID: qc.related[(j+i)%nr]}
				}
				return resultIDs(qc.e.results(hs))
			}},
	)
	if qc.uncached != nil {
		// The encoder's own time for one query text, which the cache
		// saves on a repeated query.
		lines = append(lines, queryBench{name: "search/embed-uncached", queries: ns, want: func(got int) bool { return got == 1 },
			op: func(j int) ([]string, error) {
				vs, err := qc.uncached.Embed(ctx, qc.searches[j:j+1])
				return make([]string, len(vs)), err
			}})
	}
	p50 := map[string]float64{}
	defer func() {
		// Hybrid against semantic, each pair of queries run back to back so
		// that both see the same load from the rest of the machine.
		for _, kind := range []struct {
			name     string
			n        int
			sem, hyb func(int) ([]string, error)
		}{
			{"related/hybrid-vs-semantic", nr, related(Semantic, false), related(Hybrid, false)},
			{"search/hybrid-vs-semantic", ns, search(Semantic, false), search(Hybrid, false)},
		} {
			b.Run(kind.name, func(b *testing.B) {
				var semLat, hybLat, semCPU, hybCPU benchLatencies
				timed := func(op func(int) ([]string, error), j int, lat, cpu *benchLatencies) {
					t0, c0 := time.Now(), benchCPUTime()
					got, err := op(j)
					*lat = append(*lat, time.Since(t0))
					*cpu = append(*cpu, benchCPUTime()-c0)
					if err != nil || len(got) != benchK {
						b.Fatalf("query %d: %d results, %v", j, len(got), err)
					}
				}
				j := 0
				for b.Loop() {
					// Alternate which goes first.
					if j%2 == 0 {
						timed(kind.sem, j%kind.n, &semLat, &semCPU)
						timed(kind.hyb, j%kind.n, &hybLat, &hybCPU)
					} else {
						timed(kind.hyb, j%kind.n, &hybLat, &hybCPU)
						timed(kind.sem, j%kind.n, &semLat, &semCPU)
					}
					j++
				}
				sp, hp := semLat.pct(0.5), hybLat.pct(0.5)
				b.ReportMetric(sp, "sem-p50-ms")
				b.ReportMetric(hp, "hyb-p50-ms")
				b.ReportMetric(hybLat.pct(0.99), "hyb-p99-ms")
				b.ReportMetric(hp/sp, "x-p50")
				sc, hc := semCPU.mean(), hybCPU.mean()
				if sc > 0 {
					b.ReportMetric(sc, "sem-cpu-ms")
					b.ReportMetric(hc, "hyb-cpu-ms")
					b.ReportMetric(hc/sc, "x-cpu")
				}
			})
		}
	}()
	for _, l := range lines {
		b.Run(l.name, func(b *testing.B) {
			recall := -1.0
			if l.exact != nil {
				recall = 0
				for j := range l.queries {
					got, err := l.op(j)
					if err != nil {
						b.Fatalf("query %d: %v", j, err)
					}
					want, err := l.exact(j)
					if err != nil {
						b.Fatalf("exact query %d: %v", j, err)
					}
					recall += recallAt(benchK, got, want)
				}
				recall /= float64(l.queries)
			}
			var lat benchLatencies
			j := 0
			cpu0 := benchCPUTime()
			for b.Loop() {
				t0 := time.Now()
				got, err := l.op(j % l.queries)
				lat = append(lat, time.Since(t0))
				if err != nil {
					b.Fatalf("query %d: %v", j%l.queries, err)
				}
				if !l.want(len(got)) {
					b.Fatalf("query %d: %d results (k=%d)", j%l.queries, len(got), benchK)
				}
				j++
			}
			reportCPU(b, cpu0)
			p := lat.report(b)
			p50[l.name] = p
			if ref := p50[l.base]; ref > 0 {
				b.ReportMetric(p/ref, "x-chromem")
			}
			if ref := p50[l.semantic]; ref > 0 {
				b.ReportMetric(p/ref, "x-semantic")
			}
			if recall >= 0 {
				b.ReportMetric(recall, "recall@10")
			}
		})
	}
}

// BenchmarkQuery times Related and Search in each mode next to chromem-go's
// QueryEmbedding on the same vectors; see the comment at the top.
func BenchmarkQuery(b *testing.B) {
	b.Run("corpus=bundled", func(b *testing.B) {
		runQueryBenches(b, bundledQueryCorpus(b))
	})
	for _, s := range benchSizes {
		b.Run("corpus=synth/"+s.name, func(b *testing.B) {
			s.skipUnlessEnabled(b)
			qc := synthQueryCorpus(b, s.n)
			runQueryBenches(b, qc)
			runtime.KeepAlive(qc)
		})
	}
}

// heapInUse is the live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkLoad times start-up from a store: Engine.New and Load (papers,
// vectors, the lexical index and the semantic index) over a store holding
// the bundled corpus or a synthetic one. ms/load is the wall time of one
// load, papers/s its rate, cpu-ms/op its CPU time and heap-MB the live heap
// the loaded engine holds; of which vectors-MB are the float32 vectors (in
// chromem-go, shared with vecindex), vecindex-MB vecindex's own codes and
// tables (its Stats) and lexical-est-MB the lexical index's own estimate.
// Each corpus has two lines in the same run: lex=serial fills the lexical
// index one paper at a time on the scanning goroutine (Load before the
// pipeline), lex=pipeline in batches through lexical.AddBatch on a
// goroutine of its own while the scan goes on.
func BenchmarkLoad(b *testing.B) {
	type corpus struct {
		name  string
		env   string
		model string
		fill  func(b *testing.B, st *store.Store) int
	}
	cases := []corpus{{"bundled", "", uselite.ModelName, writeBundledStore}}
	for _, s := range benchSizes {
		cases = append(cases, corpus{s.name, s.env, benchModel, func(b *testing.B, st *store.Store) int {
			writeSynthStore(b, st, synth.New(synth.Config{N: s.n, Dims: benchDims, Seed: 11}))
			return s.n
		}})
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			benchSize{c.name, 0, c.env}.skipUnlessEnabled(b)
			st := openBenchStore(b, b.TempDir())
			n := c.fill(b, st)
			emb := modelOnlyEmbedder{model: c.model, dims: benchDims}
			// lex=serial is the lexical index filled one paper at a time on
			// the scanning goroutine (Load before the pipeline), in the same
			// run as the pipeline.
			for _, serial := range []bool{true, false} {
				name := "lex=pipeline"
				if serial {
					name = "lex=serial"
				}
				b.Run(name, func(b *testing.B) {
					lexLoadSerial = serial
					defer func() { lexLoadSerial = false }()
					benchLoadStore(b, st, emb, n)
				})
			}
		})
	}
}

// benchLoadStore is one line of BenchmarkLoad: it loads st, which holds n
// papers, into a new engine per iteration.
func benchLoadStore(b *testing.B, st *store.Store, emb embeddings.Embedder, n int) {
	var (
		lat, ready benchLatencies
		heap       uint64
		cpu        time.Duration
		last       *Engine
	)
	for b.Loop() {
		b.StopTimer()
		last = nil
		h0 := heapInUse()
		b.StartTimer()
		t0, c0 := time.Now(), benchCPUTime()
		e, err := New(Config{Store: st, NotFound: store.ErrNotFound, Embedder: emb, Logger: benchLog})
		if err != nil {
			b.Fatal(err)
		}
		// Queries may run (Ready) before Load returns: the lexical index
		// finishes in the background. Note when.
		readyAt := make(chan time.Duration, 1)
		go func() {
			for !e.Ready() {
				time.Sleep(200 * time.Microsecond)
			}
			readyAt <- time.Since(t0)
		}()
		if err := e.Load(context.Background()); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
		ready = append(ready, <-readyAt)
		cpu += benchCPUTime() - c0
		b.StopTimer()
		if e.Len() != n {
			b.Fatalf("loaded %d papers, want %d", e.Len(), n)
		}
		heap = max(heap, heapInUse()-h0)
		last = e
		b.StartTimer()
	}
	var total time.Duration
	for _, d := range lat {
		total += d
	}
	mean := total / time.Duration(len(lat))
	b.ReportMetric(float64(mean.Microseconds())/1e3, "ms/load")
	var readyTotal time.Duration
	for _, d := range ready {
		readyTotal += d
	}
	b.ReportMetric(float64((readyTotal/time.Duration(len(ready))).Microseconds())/1e3, "ms/ready")
	b.ReportMetric(float64(n)/mean.Seconds(), "papers/s")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/1e3/float64(len(lat)), "cpu-ms/op")
	}
	b.ReportMetric(float64(heap)/1e6, "heap-MB")
	b.ReportMetric(float64(n*benchDims*4)/1e6, "vectors-MB")
	if last != nil {
		vs := last.mem().vix.Stats()
		b.ReportMetric(float64(vs.CodeBytes+vs.OverheadBytes)/1e6, "vecindex-MB")
		b.ReportMetric(float64(last.lex.Stats().Bytes)/1e6, "lexical-est-MB")
	}
}

// BenchmarkPut is the import rate: papers stored (one bbolt transaction,
// fsynced, per batch) and indexed (lexical and semantic) per second through
// Engine.Put in batches of 1000 new papers, into a store that grows by a
// batch per operation, embedding excluded (a table of precomputed vectors).
// The embedder=table+cache line puts the embeddings cache of `recommend
// serve` in front of the table, so its misses are written to bbolt too, as
// in a real import. Goal: >= 5,000 papers/s.
func BenchmarkPut(b *testing.B) {
	const batch = 1000
	c := synth.New(synth.Config{N: 200_000, Dims: benchDims, Seed: 13})
	for _, cached := range []bool{false, true} {
		name := "embedder=table"
		if cached {
			name = "embedder=table+cache"
		}
		b.Run("batch=1000/"+name, func(b *testing.B) {
			if b.N*batch > c.Len() {
				b.Fatalf("b.N=%d batches need more than the corpus's %d papers; use a smaller -benchtime", b.N, c.Len())
			}
			st := openBenchStore(b, b.TempDir())
			table := newTableEmbedder(benchModel, benchDims)
			var emb embeddings.Embedder = table
			if cached {
				emb = boltCached(b, st, table)
			}
			e, err := New(Config{Store: st, NotFound: store.ErrNotFound, Embedder: emb, Logger: benchLog})
			if err != nil {
				b.Fatal(err)
			}
			if err := e.Load(context.Background()); err != nil {
				b.Fatal(err)
			}
			var (
				lat benchLatencies
				cpu time.Duration
			)
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				ps, vs := synthBatch(c, i*batch, (i+1)*batch)
				table.forget()
				for k, p := range ps {
					table.set(p.Text(), vs[k])
				}
				b.StartTimer()
				t0, c0 := time.Now(), benchCPUTime()
				if err := e.Put(context.Background(), ps); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
				cpu += benchCPUTime() - c0
			}
			b.StopTimer()
			if e.Len() != b.N*batch {
				b.Fatalf("index holds %d papers after %d batches of %d", e.Len(), b.N, batch)
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "papers/s")
			if cpu > 0 {
				b.ReportMetric(float64(b.N*batch)/cpu.Seconds(), "papers/cpu-s")
			}
			lat.report(b)
		})
	}
}
