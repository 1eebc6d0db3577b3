package weaviate

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/philippgille/chromem-go"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"

	"github.com/recommend-dev/recommend/internal/engine"
	"github.com/recommend-dev/recommend/internal/paper"
	"github.com/recommend-dev/recommend/internal/synth"
	"github.com/recommend-dev/recommend/internal/vecindex"
	"github.com/recommend-dev/recommend/internal/weaviatetest"
)

// BenchmarkLarge compares, in one run on the same 100k synthetic papers
// (internal/synth, 512 dimensions, seed 7) and the same 200 queries (40 %
// held-out papers, 40 % stored papers with the paper itself skipped as in
// related-papers, 20 % random directions), k = 10:
//
//   - weaviate: Index.Search, HNSW through gRPC, on one local node;
//   - weaviate-exact: Index.Search with Exact (filtered flat searches);
//   - vecindex: the embedded engine's index (vecindex.New(512), 8-bit
//     codes re-ranked exactly), called in process;
//   - chromem: chromem-go's QueryEmbedding, the brute-force baseline.
//
// Each reports p50-ms and p99-ms per query, recall@10 against the exact
// answer, client CPU per query and, for Weaviate, the server's CPU per
// query. Memory (Weaviate's RSS, our heap growth per index) and the import
// rate are logged, and so are the Store operations at that size (List at
// several offsets, Count, Score two ways, Scan).
//
//	RECOMMEND_BENCH_LARGE=1 go test ./internal/weaviate -run '^$' -bench Large -benchtime 200x -timeout 60m
//
// RECOMMEND_BENCH_N sets another corpus size.
func BenchmarkLarge(b *testing.B) {
	if os.Getenv("RECOMMEND_BENCH_LARGE") != "1" {
		b.Skip("set RECOMMEND_BENCH_LARGE=1 (about 10 minutes)")
	}
	const (
		dims = 512
		k    = 10
	)
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("RECOMMEND_BENCH_N")); err == nil && v > 0 {
		n = v // a smaller trial run
	}
	ctx := context.Background()
	corpus := synth.New(synth.Config{N: n, Dims: dims, Seed: 7})
	t0 := time.Now()
	vecs := corpus.Vectors()
	papers := corpus.Papers()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = corpus.ID(i)
	}
	rawBytes := float64(n * dims * 4)
	b.Logf("generated %d papers and vectors in %v", n, time.Since(t0).Round(time.Millisecond))

	// Weaviate: import through Store.PutPapers, 1000 papers per call.
	node := weaviatetest.Start(b)
	rss0 := procStatus(b, node.PID())
	st, err := Open(ctx, Config{URLs: []string{node.URL()}, GRPCAddrs: []string{node.GRPCAddr()}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	ix := st.Index()
	t0 = time.Now()
	srv0 := procCPU(b, node.PID())
	for lo := 0; lo < n; lo += 1000 {
		hi := min(lo+1000, n)
		if err := st.PutPapers(papers[lo:hi], "synth", vecs[lo:hi]); err != nil {
			b.Fatal(err)
		}
	}
	importTime := time.Since(t0)
	b.Logf("weaviate import: %d papers in %v = %.0f papers/s (server CPU %v); RSS %s before, %s after (peak %s); raw vectors %.0f MB",
		n, importTime.Round(time.Millisecond), float64(n)/importTime.Seconds(), (procCPU(b, node.PID()) - srv0).Round(time.Millisecond),
		rss0["VmRSS"], procStatus(b, node.PID())["VmRSS"], procStatus(b, node.PID())["VmHWM"], rawBytes/1e6)

	// The embedded index and chromem-go, on the same slices.
	h0 := heapAlloc()
	vix := vecindex.New(dims)
	t0 = time.Now()
	for lo := 0; lo < n; lo += 1000 {
		hi := min(lo+1000, n)
		if err := vix.AddBatch(ids[lo:hi], vecs[lo:hi]); err != nil {
			b.Fatal(err)
		}
	}
	vixRate := float64(n) / time.Since(t0).Seconds()
	h1 := heapAlloc()
	col, err := chromem.NewDB().CreateCollection("bench", nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	for i, v := range vecs {
		if err := col.AddDocument(ctx, chromem.Document{ID: ids[i], Embedding: v}); err != nil {
			b.Fatal(err)
		}
	}
	h2 := heapAlloc()
	b.Logf("vecindex: AddBatch %.0f vec/s, heap +%.1f MB over the %.0f MB of vectors it shares; chromem-go: heap +%.1f MB",
		vixRate, float64(h1-h0)/1e6, rawBytes/1e6, float64(h2-h1)/1e6)

	type query struct {
		vec  []float32
		self string
	}
	var queries []query
	for j := range 200 {
		switch j % 5 {
		case 0, 2:
			queries = append(queries, query{vec: corpus.Vector(n+j, nil)})
		case 1, 3:
			i := (j * 104729) % n
			queries = append(queries, query{vec: vecs[i], self: ids[i]})
		default:
			queries = append(queries, query{vec: corpus.RandomVector(j)})
		}
	}
	exact := make([][]string, len(queries))
	for j, q := range queries {
		o := vecindex.SearchOptions{Exact: true}
		if q.self != "" {
			self := q.self
			o.Exclude = func(id string) bool { return id == self }
		}
		hs, err := vix.Search(q.vec, k, o)
		if err != nil {
			b.Fatal(err)
		}
		for _, h := range hs {
			exact[j] = append(exact[j], h.ID)
		}
	}

	type system struct {
		name   string
		search func(q query) ([]string, error)
		server bool   // report the Weaviate server's CPU
		setup  func() // before the runs
	}
	setEF := func(ef int) func() {
		return func() {
			if _, err := Open(ctx, Config{URLs: []string{node.URL()}, GRPCAddrs: []string{node.GRPCAddr()}, EF: ef, Logger: slog.New(slog.DiscardHandler)}); err != nil {
				b.Fatalf("set ef %d: %v", ef, err)
			}
		}
	}
	weaviateSearch := func(exactSearch bool) func(q query) ([]string, error) {
		return func(q query) ([]string, error) {
			o := engine.SearchOptions{Exact: exactSearch}
			if q.self != "" {
				o.Skip = map[string]bool{q.self: true}
			}
			hs, err := ix.Search(ctx, q.vec, k, o)
			out := make([]string, len(hs))
			for i, h := range hs {
				out[i] = h.ID
			}
			return out, err
		}
	}
	systems := []system{
		{"weaviate", weaviateSearch(false), true, nil},
		{"weaviate-ef=128", weaviateSearch(false), true, setEF(128)},
		{"weaviate-ef=256", weaviateSearch(false), true, setEF(256)},
		{"weaviate-ef=512", weaviateSearch(false), true, setEF(512)},
		{"weaviate-exact", weaviateSearch(true), true, setEF(-1)},
		{"vecindex", func(q query) ([]string, error) {
			o := vecindex.SearchOptions{}
			if q.self != "" {
				self := q.self
				o.Exclude = func(id string) bool { return id == self }
			}
			hs, err := vix.Search(q.vec, k, o)
			out := make([]string, len(hs))
			for i, h := range hs {
				out[i] = h.ID
			}
			return out, err
		}, false, nil},
		{"chromem", func(q query) ([]string, error) {
			res, err := col.QueryEmbedding(ctx, q.vec, k+1, nil, nil)
			var out []string
			for _, r := range res {
				if r.ID != q.self && len(out) < k {
					out = append(out, r.ID)
				}
			}
			return out, err
		}, false, nil},
	}
	p50 := map[string]float64{}
	for _, sys := range systems {
		if sys.setup != nil {
			sys.setup()
		}
		b.Run(sys.name, func(b *testing.B) {
			var lat latencies
			found, total := 0, 0
			var foundKind, totalKind [3]int // held-out, stored, random
			cpu0, srv0 := cpuTime(), procCPU(b, node.PID())
			i := 0
			for b.Loop() {
				j := i % len(queries)
				s := time.Now()
				got, err := sys.search(queries[j])
				lat = append(lat, time.Since(s))
				if err != nil {
					b.Fatal(err)
				}
				kind := []int{0, 1, 0, 1, 2}[j%5]
				for _, id := range got {
					if slices.Contains(exact[j], id) {
						found++
						foundKind[kind]++
					}
				}
				total += len(exact[j])
				totalKind[kind] += len(exact[j])
				i++
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/1e6/float64(b.N), "cpu-ms/op")
			if sys.server {
				b.ReportMetric(float64((procCPU(b, node.PID())-srv0).Nanoseconds())/1e6/float64(b.N), "server-cpu-ms/op")
			}
			b.ReportMetric(float64(found)/float64(total), "recall@10")
			for i, name := range []string{"held-out", "stored", "random"} {
				if totalKind[i] > 0 {
					b.ReportMetric(float64(foundKind[i])/float64(totalKind[i]), name+"-recall")
				}
			}
			lat.report(b)
			p50[sys.name] = lat.pct(0.5)
		})
	}
	if p50["vecindex"] > 0 {
		for _, sys := range systems {
			b.Logf("p50 of %s / p50 of vecindex in this run: %.2f", sys.name, p50[sys.name]/p50["vecindex"])
		}
	}
	st0 := procStatus(b, node.PID())
	b.Logf("weaviate RSS after the queries %s (peak %s), %.2fx the raw vectors; vecindex heap %.2fx (it shares the caller's vectors: %.2fx with them)",
		st0["VmRSS"], st0["VmHWM"], kb(st0["VmRSS"])*1024/rawBytes, float64(h1-h0)/rawBytes, (float64(h1-h0)+rawBytes)/rawBytes)

	// Store operations at 100k: the median of a few runs each.
	timedN := func(what string, reps int, f func() error) {
		b.Helper()
		var lat latencies
		for range reps {
			s := time.Now()
			if err := f(); err != nil {
				b.Fatalf("%s: %v", what, err)
			}
			lat = append(lat, time.Since(s))
		}
		b.Logf("%s: %.1f ms (median of %d)", what, lat.pct(0.5), reps)
	}
	timed := func(what string, f func() error) { b.Helper(); timedN(what, 3, f) }
	timed("Count", func() error { _, err := st.Count(); return err })
	for _, off := range []int{0, n / 20, 9980, 10000, n / 2, n - 20} {
		if off < 0 || off+20 > n {
			continue
		}
		for _, way := range []struct {
			name string
			list func(offset, limit int) ([]paper.Paper, int, error)
		}{{"sorted by Weaviate", st.List}, {"by an ID scan", st.listByScan}} {
			timed(fmt.Sprintf("List(%d, 20) %s", off, way.name), func() error {
				ps, total, err := way.list(off, 20)
				if err == nil && (total != n || len(ps) != 20 || ps[0].ID != ids[off]) {
					err = fmt.Errorf("got %d papers from %v, total %d; want 20 from %s, total %d", len(ps), firstID(ps), total, ids[off], n)
				}
				return err
			})
		}
	}
	skip100 := map[string]bool{}
	for _, id := range ids[:100] {
		skip100[id] = true
	}
	for _, f := range []struct {
		name string
		o    engine.SearchOptions
	}{
		{"no filter", engine.SearchOptions{}},
		{"published in 2019", engine.SearchOptions{PublishedAfter: "2019-01-01", PublishedBefore: "2019-12-31"}},
		{"published after 2016", engine.SearchOptions{PublishedAfter: "2016-01-01"}},
		{"100 ids skipped", engine.SearchOptions{Skip: skip100}},
	} {
		var lat latencies
		for _, q := range queries[:50] {
			s := time.Now()
			if _, err := ix.Search(ctx, q.vec, k, f.o); err != nil {
				b.Fatalf("search %s: %v", f.name, err)
			}
			lat = append(lat, time.Since(s))
		}
		b.Logf("weaviate search, %s: p50 %.2f ms, p99 %.2f ms over 50 queries", f.name, lat.pct(0.5), lat.pct(0.99))
	}
	q := queries[0].vec
	for _, m := range []int{10, 100} {
		some := ids[:m]
		var viaFetch, viaNear []float64
		timedN(fmt.Sprintf("Score of %d ids by fetching their vectors", m), 21, func() error {
			var err error
			viaFetch, err = ix.scoreByVectors(ctx, q, some)
			return err
		})
		timedN(fmt.Sprintf("Score of %d ids by a nearVector search restricted to them (Index.Score)", m), 21, func() error {
			var err error
			viaNear, err = ix.Score(ctx, q, some)
			return err
		})
		for i := range some {
			if d := viaFetch[i] - viaNear[i]; d > 1e-5 || d < -1e-5 {
				b.Errorf("Score(%s): %v by fetching, %v by nearVector", some[i], viaFetch[i], viaNear[i])
			}
		}
	}
	timedN("Scan of every paper with its vector", 1, func() error {
		seen := 0
		err := st.Scan("synth", func(_ paper.Paper, v []float32) error {
			if v != nil {
				seen++
			}
			return nil
		})
		if err == nil && seen != n {
			err = fmt.Errorf("saw %d vectors, want %d", seen, n)
		}
		return err
	})
	runtime.KeepAlive(vecs)
}

func firstID(ps []paper.Paper) string {
	if len(ps) == 0 {
		return "(none)"
	}
	return ps[0].ID
}

func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// cpuTime is this process's CPU time (user and system) so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU is the CPU time of process pid so far, from /proc/pid/stat.
func procCPU(b *testing.B, pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Logf("server CPU unknown: %v", err)
		return 0
	}
	// Fields after the command name (which is in parentheses).
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticks
}

// procStatus returns the memory lines of /proc/pid/status ("VmRSS" ->
// "123456 kB").
func procStatus(b *testing.B, pid int) map[string]string {
	out := map[string]string{}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Logf("server memory unknown: %v", err)
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.HasPrefix(k, "Vm") {
			out[k] = strings.TrimSpace(v)
		}
	}
	return out
}

// kb parses "123 kB".
func kb(s string) float64 {
	v, _ := strconv.ParseFloat(strings.TrimSuffix(s, " kB"), 64)
	return v
}

// latencies records per-query times.
type latencies []time.Duration

func (l latencies) pct(p float64) float64 {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	return float64(s[min(len(s)-1, int(p*float64(len(s))))].Nanoseconds()) / 1e6
}

func (l latencies) report(b *testing.B) {
	b.ReportMetric(l.pct(0.50), "p50-ms")
	b.ReportMetric(l.pct(0.99), "p99-ms")
}

// listByScan is List by reading every paper ID with the cursor, sorting
// them here and reading the page's papers: one pass over the collection
// whatever the offset. (BenchmarkLarge compares it with List.)
func (s *Store) listByScan(offset, limit int) ([]paper.Paper, int, error) {
	ctx := context.Background()
	var ids []string
	after := ""
	page := min(s.maxResults, 10000)
	for {
		res, err := s.search(ctx, "list", s.rcl, func(q *graphql.Search) *graphql.Search {
			q = q.WithLimit(page).WithProperties(propID).WithMetadata(&graphql.Metadata{ID: true})
			if after != "" {
				q = q.WithAfter(after)
			}
			return q
		})
		if err != nil {
			return nil, 0, err
		}
		for _, r := range res {
			id, _ := r.Properties[propID].(string)
			ids = append(ids, id)
		}
		if len(res) < page {
			break
		}
		after = res[len(res)-1].ID
	}
	slices.Sort(ids)
	if offset >= len(ids) || limit == 0 {
		return nil, len(ids), nil
	}
	ps, err := s.GetMany(ids[offset:min(offset+limit, len(ids))])
	return ps, len(ids), err
}
