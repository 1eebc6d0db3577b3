package weaviate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	wv "github.com/weaviate/weaviate-go-client/v5/weaviate"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"
	wvgrpc "github.com/weaviate/weaviate-go-client/v5/weaviate/grpc"

	"github.com/recommend-dev/recommend/embeddings"
	"github.com/recommend-dev/recommend/embeddings/cache"
	"github.com/recommend-dev/recommend/embeddings/uselite"
	"github.com/recommend-dev/recommend/internal/bundled"
	"github.com/recommend-dev/recommend/internal/engine"
	"github.com/recommend-dev/recommend/internal/lexical"
	"github.com/recommend-dev/recommend/internal/paper"
	"github.com/recommend-dev/recommend/internal/store"
	"github.com/recommend-dev/recommend/internal/weaviate"
	"github.com/recommend-dev/recommend/internal/weaviatetest"
)

// TestEvalWeaviateBM25 measures whether Weaviate's own BM25 and hybrid
// search would do as well as recommend's lexical index (internal/lexical)
// and hybrid fusion (internal/engine) on the bundled corpus, with the
// evaluations of internal/engine/eval_test.go:
//
//   - title → abstract: each paper's title is the query and its own
//     abstract the one right answer; only abstracts are indexed (Weaviate's
//     BM25 and hybrid search only the abstract property, the vectors are
//     of the abstracts alone), so the title is hidden;
//   - paraphrases: the 216 hand-written queries of
//     internal/engine/testdata/paraphrase.json, over the same
//     abstract-only set-up (as the engine evaluates them), and again over
//     title + abstract (the service's default text, with the bundled
//     vectors).
//
// Rankers: Weaviate BM25 (limit 10, and limit = corpus size, with which
// its BlockMax WAND cannot prune); our lexical.Index over the same texts; Weaviate
// hybrid (relativeScoreFusion, the server's default) at four alphas
// (Weaviate's alpha is the vector side's weight: 0.6 is our engine's
// semantic weight, 0.75 Weaviate's default); our engine's hybrid over the
// embedded store and in-memory index, and over a Weaviate store and index
// (what --store weaviate runs). It logs R@1, MRR@10, R@10 (MRR and recall
// count the first relevant paper, as in eval_test.go), latency p50 and
// p90 per query (query vectors are embedded beforehand and not timed),
// and the mean Jaccard overlap of the top-10 lists of Weaviate's ranker
// and ours.
//
// Weaviate's searches are measured twice. First on fresh writes, still in
// the server's memtables: on weaviate-server v1.35.2 a limited BM25
// search then silently drops most matching documents (BlockMax WAND
// computes a zero upper bound for memtable terms and prunes their
// documents once its heap is full; weaviate/weaviate#11780), so a title
// finds its own abstract about one time in nine. Then after a restart,
// which writes the memtables to disk segments: the steady state, and the
// numbers to compare.
//
// Run it with
//
//	RECOMMEND_REQUIRE_WEAVIATE=1 go test ./internal/weaviate -run EvalWeaviateBM25 -v
func TestEvalWeaviateBM25(t *testing.T) {
	if testing.Short() {
		t.Skip("the evaluation embeds the bundled corpus and runs about 7,500 queries; skipped with -short")
	}
	if raceEnabled {
		t.Skip("the evaluation runs without -race: go test ./internal/weaviate -run EvalWeaviateBM25")
	}
	// Fresh writes stay in memtables until the node restarts (see phase 1
	// below), not for the default 60 s.
	node := weaviatetest.Start(t, weaviatetest.Env("PERSISTENCE_MEMTABLES_FLUSH_DIRTY_AFTER_SECONDS", "3600"))
	ctx := context.Background()

	ps, err := bundled.Papers()
	if err != nil {
		t.Fatal(err)
	}
	fullVecs, err := bundled.Vectors(uselite.ModelName)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := uselite.New()
	if err != nil {
		t.Fatal(err)
	}
	// The cache makes the engines' query embeddings free: every query is
	// embedded here first, so no ranker's latency includes the encoder.
	emb := cache.New(enc, cache.NewMemory(10000))
	abstracts := make([]string, len(ps))
	fullTexts := make([]string, len(ps))
	for i, p := range ps {
		abstracts[i] = p.Abstract
		fullTexts[i] = p.Text()
	}
	start := time.Now()
	absVecs := embedAll(t, emb, abstracts)

	titles := make([]evalQuery, len(ps))
	for i, p := range ps {
		titles[i] = evalQuery{text: strings.TrimSpace(p.Title), relevant: []string{p.ID}}
	}
	paras := loadParaphraseQueries(t)
	var qtexts []string
	for _, q := range append(slices.Clone(titles), paras...) {
		qtexts = append(qtexts, q.text)
	}
	qvs := embedAll(t, emb, qtexts)
	qvec := make(map[string][]float32, len(qtexts))
	for i, q := range qtexts {
		qvec[q] = qvs[i]
	}
	t.Logf("embedded %d abstracts and %d queries in %v", len(abstracts), len(qtexts), time.Since(start).Round(time.Millisecond))

	client := rawClient(t, node)
	abs := newSetup(t, ctx, node, client, emb, "EvalAbstract", ps, absVecs, abstracts, []string{"abstract"},
		func(p paper.Paper) string { return p.Abstract })
	full := newSetup(t, ctx, node, client, emb, "EvalFull", ps, fullVecs, fullTexts, []string{"title", "abstract"}, nil)

	type evaluation struct {
		name    string
		set     *setup
		queries []evalQuery
	}
	evals := []evaluation{
		{"title → abstract", abs, titles},
		{"paraphrases", abs, paras},
		{"paraphrases, title+abstract", full, paras},
	}
	// Phase 1, on fresh writes (still in Weaviate's memtables: the node
	// was started with a dirty-memtable flush delay of an hour): the
	// searches as a client running right after an import would see them.
	unflushed := map[string]map[string]measured{}
	for _, ev := range evals[:2] {
		unflushed[ev.name] = map[string]measured{}
		for _, r := range ev.set.rankers(qvec, len(ps)) {
			if r.name == rWeaviateBM25 || r.name == fmt.Sprintf(rWeaviateHybrid, 0.6) {
				unflushed[ev.name][r.name] = measure(t, r, ev.queries)
			}
		}
	}
	// Phase 2, after a restart, which writes the memtables to disk
	// segments: the steady state of a collection that is not being
	// written to.
	start = time.Now()
	node.Stop()
	node.Restart(t)
	t.Logf("restarted the node (memtables flushed) in %v", time.Since(start).Round(time.Millisecond))

	var table strings.Builder
	fmt.Fprintf(&table, "\n%-28s %-38s %6s %7s %6s %9s %9s\n", "evaluation", "ranker", "R@1", "MRR@10", "R@10", "p50", "p90")
	row := func(ev, name string, m measured) {
		fmt.Fprintf(&table, "%-28s %-38s %6.3f %7.3f %6.3f %9s %9s\n", ev, name, m.r1, m.mrr10, m.r10,
			roundDur(m.percentile(0.5)), roundDur(m.percentile(0.9)))
	}
	results := map[string]map[string]measured{}
	for _, ev := range evals {
		results[ev.name] = map[string]measured{}
		for _, r := range ev.set.rankers(qvec, len(ps)) {
			m := measure(t, r, ev.queries)
			results[ev.name][r.name] = m
			row(ev.name, r.name, m)
		}
		for _, name := range []string{rWeaviateBM25, fmt.Sprintf(rWeaviateHybrid, 0.6)} {
			if m, ok := unflushed[ev.name][name]; ok {
				row(ev.name, name+", unflushed", m)
			}
		}
		for _, pair := range [][2]string{
			{rWeaviateBM25, rOurLexical},
			{rWeaviateBM25, rWeaviateBM25All},
			{fmt.Sprintf(rWeaviateHybrid, 0.6), rEngineHybrid},
			{rEngineHybrid, rEngineWeaviate},
		} {
			a, b := results[ev.name][pair[0]], results[ev.name][pair[1]]
			j, same := overlap(a.lists, b.lists)
			fmt.Fprintf(&table, "%-28s top-10 %s vs %s: mean Jaccard %.3f, same top 1 %.3f\n", ev.name, pair[0], pair[1], j, same)
		}
	}
	t.Log(table.String())

	// What the numbers must show for the measurement to mean anything:
	// every query was answered, our lexical index and hybrid engine score
	// what eval_test.go reports for them, and Weaviate's BM25 searched the
	// abstracts (a title's words are mostly in its own abstract).
	for _, ev := range evals {
		for name, m := range results[ev.name] {
			if len(m.lists) != len(ev.queries) {
				t.Errorf("%s, %s: %d result lists for %d queries", ev.name, name, len(m.lists), len(ev.queries))
			}
		}
	}
	const tol = 0.02
	for _, c := range []struct {
		eval, ranker string
		got          func(measured) float64
		metric       string
		want         float64
	}{
		{"title → abstract", rOurLexical, measured.getR1, "R@1", 0.949},
		{"title → abstract", rOurLexical, measured.getMRR, "MRR@10", 0.967},
		{"paraphrases", rOurLexical, measured.getMRR, "MRR@10", 0.662},
		{"title → abstract", rEngineHybrid, measured.getR1, "R@1", 0.953},
		{"title → abstract", rEngineHybrid, measured.getMRR, "MRR@10", 0.969},
		{"paraphrases", rEngineHybrid, measured.getMRR, "MRR@10", 0.683},
	} {
		if got := c.got(results[c.eval][c.ranker]); math.Abs(got-c.want) > tol {
			t.Errorf("%s, %s: %s = %.3f; eval_test.go reports %.3f for the same set-up (tolerance %.2f)", c.eval, c.ranker, c.metric, got, c.want, tol)
		}
	}
	if got := results["title → abstract"][rWeaviateBM25].r10; got < 0.5 {
		t.Errorf("title → abstract, %s: R@10 = %.3f; want at least 0.5 (is the abstract property searched?)", rWeaviateBM25, got)
	}
}

// Ranker names; rWeaviateHybrid takes the alpha.
const (
	rWeaviateBM25    = "weaviate bm25"
	rWeaviateBM25All = "weaviate bm25, limit = corpus size"
	rOurLexical      = "our lexical"
	rWeaviateHybrid  = "weaviate hybrid a=%.2f"
	rEngineHybrid    = "engine hybrid (mem index)"
	rEngineWeaviate  = "engine hybrid (weaviate index)"
)

// evalQuery is one query and the ids of the papers that answer it.
type evalQuery struct {
	text     string
	relevant []string
}

// ranker returns the ids of the best 10 papers for a query, best first.
type ranker struct {
	name string
	rank func(q string) ([]string, error)
}

// setup is one indexed corpus: the same texts and vectors in a Weaviate
// collection, a lexical.Index and two engines.
type setup struct {
	client   *wv.Client
	class    string
	props    []string
	lex      *lexical.Index
	mem, wvt *engine.Engine
}

func newSetup(t *testing.T, ctx context.Context, node *weaviatetest.Node, client *wv.Client, emb embeddings.Embedder,
	class string, ps []paper.Paper, vecs [][]float32, texts, props []string, text func(paper.Paper) string) *setup {
	t.Helper()
	wst := openWeaviate(t, node, class)
	if err := wst.PutPapers(ps, emb.Model(), vecs); err != nil {
		t.Fatalf("write the bundled papers to Weaviate collection %s: %v", class, err)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "papers.db"), &store.Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.PutPapers(ps, emb.Model(), vecs); err != nil {
		t.Fatalf("write the bundled papers to the embedded store: %v", err)
	}
	lex := lexical.New()
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	if err := lex.AddBatch(ids, texts); err != nil {
		t.Fatal(err)
	}
	newEngine := func(st engine.Store, ix engine.Index, notFound error) *engine.Engine {
		t.Helper()
		e, err := engine.New(engine.Config{Store: st, Index: ix, NotFound: notFound, Embedder: emb, Text: text, Logger: quietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Load(ctx); err != nil {
			t.Fatalf("load the engine over %T: %v", st, err)
		}
		return e
	}
	return &setup{
		client: client,
		class:  class,
		props:  props,
		lex:    lex,
		mem:    newEngine(st, nil, store.ErrNotFound),
		wvt:    newEngine(wst, wst.Index(), weaviate.ErrNotFound),
	}
}

// rankers returns the rankers to compare over the setup; qvec holds the
// query vectors for Weaviate's hybrid search, n is the corpus size.
func (s *setup) rankers(qvec map[string][]float32, n int) []ranker {
	ctx := context.Background()
	rs := []ranker{
		{rWeaviateBM25, func(q string) ([]string, error) {
			return s.weaviate(ctx, 10, (&graphql.BM25ArgumentBuilder{}).WithQuery(q).WithProperties(s.props...), nil)
		}},
		// With a limit of the whole corpus, BlockMax WAND cannot prune
		// (its heap never fills): Weaviate's BM25 scores with no top-k
		// shortcut, the reference for the limit-10 search.
		{rWeaviateBM25All, func(q string) ([]string, error) {
			return s.weaviate(ctx, n, (&graphql.BM25ArgumentBuilder{}).WithQuery(q).WithProperties(s.props...), nil)
		}},
		{rOurLexical, func(q string) ([]string, error) {
			hs := s.lex.Search(q, 10, nil)
			ids := make([]string, len(hs))
			for i, h := range hs {
				ids[i] = h.ID
			}
			return ids, nil
		}},
	}
	for _, alpha := range []float32{0.25, 0.5, 0.6, 0.75} {
		rs = append(rs, ranker{fmt.Sprintf(rWeaviateHybrid, alpha), func(q string) ([]string, error) {
			v, ok := qvec[q]
			if !ok {
				return nil, fmt.Errorf("no vector for query %q", q)
			}
			h := (&graphql.HybridArgumentBuilder{}).WithQuery(q).WithVector(v).WithAlpha(alpha).WithProperties(s.props)
			return s.weaviate(ctx, 10, nil, h)
		}})
	}
	for _, e := range []struct {
		name string
		e    *engine.Engine
	}{{rEngineHybrid, s.mem}, {rEngineWeaviate, s.wvt}} {
		rs = append(rs, ranker{e.name, func(q string) ([]string, error) {
			res, err := e.e.Search(ctx, q, engine.Query{Limit: 10, Mode: engine.Hybrid})
			if err != nil {
				return nil, err
			}
			ids := make([]string, len(res))
			for i, r := range res {
				ids[i] = r.ID
			}
			return ids, nil
		}})
	}
	return rs
}

// weaviate runs one BM25 or hybrid search with the limit over gRPC and
// returns the paper ids of the top 10.
func (s *setup) weaviate(ctx context.Context, limit int, bm25 *graphql.BM25ArgumentBuilder, hybrid *graphql.HybridArgumentBuilder) ([]string, error) {
	q := s.client.Experimental().Search().WithCollection(s.class).WithLimit(limit).WithProperties("paperId")
	if bm25 != nil {
		q = q.WithBM25(bm25)
	} else {
		q = q.WithHybrid(hybrid)
	}
	res, err := q.Do(ctx)
	if err != nil {
		return nil, err
	}
	res = res[:min(10, len(res))]
	ids := make([]string, len(res))
	for i, r := range res {
		id, _ := r.Properties["paperId"].(string)
		if id == "" {
			return nil, fmt.Errorf("result %s has no paperId", r.ID)
		}
		ids[i] = id
	}
	return ids, nil
}

// measured is a ranker's result over one set of queries.
type measured struct {
	r1, mrr10, r10 float64
	lists          [][]string
	lat            []time.Duration
}

func (m measured) getR1() float64  { return m.r1 }
func (m measured) getMRR() float64 { return m.mrr10 }

// percentile returns the p-quantile of the latencies (nearest rank).
func (m measured) percentile(p float64) time.Duration {
	if len(m.lat) == 0 {
		return 0
	}
	s := slices.Clone(m.lat)
	slices.Sort(s)
	return s[min(len(s)-1, int(math.Ceil(p*float64(len(s))))-1)]
}

// measure runs r on every query. R@1, MRR@10 and R@10 count the first
// relevant id in the top 10: with one relevant id per query they are
// ireval.Evaluate's metrics; with several, eval_test.go's paraphraseMRR.
func measure(t *testing.T, r ranker, qs []evalQuery) measured {
	t.Helper()
	var m measured
	for _, q := range qs {
		t0 := time.Now()
		ids, err := r.rank(q.text)
		m.lat = append(m.lat, time.Since(t0))
		if err != nil {
			t.Fatalf("%s: query %q: %v", r.name, q.text, err)
		}
		ids = ids[:min(10, len(ids))]
		m.lists = append(m.lists, ids)
		for i, id := range ids {
			if slices.Contains(q.relevant, id) {
				if i == 0 {
					m.r1++
				}
				m.mrr10 += 1 / float64(i+1)
				m.r10++
				break
			}
		}
	}
	n := float64(len(qs))
	m.r1, m.mrr10, m.r10 = m.r1/n, m.mrr10/n, m.r10/n
	return m
}

// overlap returns the mean Jaccard similarity of the sets of ids in a[i]
// and b[i] (1 when both are empty) and the share of queries whose first
// ids agree.
func overlap(a, b [][]string) (jaccard, sameTop float64) {
	for i := range a {
		in := map[string]bool{}
		for _, id := range a[i] {
			in[id] = true
		}
		union, inter := len(in), 0
		for _, id := range b[i] {
			if in[id] {
				inter++
			} else {
				union++
			}
		}
		if union == 0 {
			jaccard++
		} else {
			jaccard += float64(inter) / float64(union)
		}
		if len(a[i]) > 0 && len(b[i]) > 0 && a[i][0] == b[i][0] {
			sameTop++
		}
	}
	n := float64(len(a))
	return jaccard / n, sameTop / n
}

func roundDur(d time.Duration) string {
	switch {
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	default:
		return d.Round(100 * time.Nanosecond).String()
	}
}

// embedAll embeds texts in batches of 64.
func embedAll(t *testing.T, emb embeddings.Embedder, texts []string) [][]float32 {
	t.Helper()
	var out [][]float32
	for len(texts) > 0 {
		n := min(64, len(texts))
		vs, err := emb.Embed(context.Background(), texts[:n])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, vs...)
		texts = texts[n:]
	}
	return out
}

// loadParaphraseQueries reads the engine's paraphrase set (one copy in the
// repository, shared with internal/engine's evaluation).
func loadParaphraseQueries(t *testing.T) []evalQuery {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "engine", "testdata", "paraphrase.json"))
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Queries []struct {
			Query    string   `json:"query"`
			Relevant []string `json:"relevant"`
		} `json:"queries"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		t.Fatalf("parse the paraphrase set: %v", err)
	}
	if len(set.Queries) == 0 {
		t.Fatal("the paraphrase set has no queries")
	}
	qs := make([]evalQuery, len(set.Queries))
	for i, q := range set.Queries {
		qs[i] = evalQuery{text: strings.TrimSpace(q.Query), relevant: q.Relevant}
	}
	return qs
}

// rawClient is a Weaviate client for the node, for the searches the Store
// does not offer.
func rawClient(t *testing.T, node *weaviatetest.Node) *wv.Client {
	t.Helper()
	u, err := url.Parse(node.URL())
	if err != nil {
		t.Fatal(err)
	}
	c, err := wv.NewClient(wv.Config{
		Host:       u.Host,
		Scheme:     u.Scheme,
		Timeout:    30 * time.Second,
		GrpcConfig: &wvgrpc.Config{Host: node.GRPCAddr()},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
