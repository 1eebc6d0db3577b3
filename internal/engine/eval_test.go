package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/recommend-dev/recommend/embeddings/cache"
	"github.com/recommend-dev/recommend/embeddings/uselite"
	"github.com/recommend-dev/recommend/internal/bundled"
	"github.com/recommend-dev/recommend/internal/lexical/ireval"
	"github.com/recommend-dev/recommend/internal/paper"
	"github.com/recommend-dev/recommend/internal/store"
)

// evalEngine is an engine over the bundled papers that indexes only their
// abstracts, with the built-in encoder: the set-up of the title → own
// abstract evaluation. It is built once per test binary (embedding 296
// abstracts takes a while) and shared.
var evalEngine = sync.OnceValues(func() (*Engine, error) {
	dir, err := os.MkdirTemp("", "recommend-eval-")
	if err != nil {
		return nil, err
	}
	evalDir = dir
	st, err := store.Open(filepath.Join(dir, "eval.db"), nil)
	if err != nil {
		return nil, err
	}
	enc, err := uselite.New()
	if err != nil {
		return nil, err
	}
	emb := cache.New(enc, cache.NewMemory(10000))
	e, err := New(Config{Store: st, NotFound: store.ErrNotFound, Embedder: emb, Text: func(p paper.Paper) string { return p.Abstract }})
	if err != nil {
		return nil, err
	}
	ps, err := bundled.Papers()
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	for len(ps) > 0 {
		n := min(100, len(ps))
		if err := e.Put(ctx, ps[:n]); err != nil {
			return nil, err
		}
		ps = ps[n:]
	}
	if err := e.Load(ctx); err != nil {
		return nil, err
	}
	return e, nil
})

// evalDir is the evaluation engine's data directory, removed by TestMain.
var evalDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if evalDir != "" {
		os.RemoveAll(evalDir)
	}
	os.Exit(code)
}

func loadEval(t *testing.T) *Engine {
	t.Helper()
	if testing.Short() {
		t.Skip("the evaluation embeds the whole bundled corpus; skipped with -short")
	}
	if raceEnabled {
		// Embedding 296 abstracts under the race detector takes minutes and
		// tests no concurrency; .ci/run runs the evaluation without -race.
		t.Skip("the evaluation runs without -race: go test ./internal/engine -run Eval")
	}
	e, err := evalEngine()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// rankWith returns a ranker for ireval that searches in mode.
func rankWith(t *testing.T, e *Engine, mode Mode) func(string) []string {
	return func(q string) []string {
		rs, err := e.Search(context.Background(), q, Query{Limit: 10, Mode: mode})
		if err != nil {
			t.Fatalf("search %q in %s mode: %v", q, mode, err)
		}
		ids := make([]string, len(rs))
		for i, r := range rs {
			ids[i] = r.ID
		}
		return ids
	}
}

// Title → own abstract: each paper's title is the query and its abstract
// (the only text indexed) the one right answer. Goals for hybrid: MRR@10 >=
// 0.95, R@1 >= 0.92, and never worse than lexical alone.
func TestEvalTitleToAbstract(t *testing.T) {
	e := loadEval(t)
	ps, err := bundled.Papers()
	if err != nil {
		t.Fatal(err)
	}
	cases := make([]ireval.Case, len(ps))
	for i, p := range ps {
		cases[i] = ireval.Case{Query: p.Title, Want: p.ID}
	}
	got := map[Mode]ireval.Result{}
	for _, m := range Modes {
		got[m] = ireval.Evaluate(cases, rankWith(t, e, m))
		t.Logf("title → abstract, %-8s %v", m, got[m])
	}
	h, l := got[Hybrid], got[Lexical]
	if h.MRR10 < 0.95 || h.R1 < 0.92 {
		t.Errorf("hybrid: %v; want MRR@10 >= 0.95 and R@1 >= 0.92", h)
	}
	if h.MRR10 < l.MRR10 || h.R1 < l.R1 {
		t.Errorf("hybrid (%v) is worse than lexical alone (%v)", h, l)
	}
}

// paraphraseSet is testdata/paraphrase.json: topic queries written without
// the key words of the papers they should find.
type paraphraseSet struct {
	Queries []struct {
		Query    string   `json:"query"`
		Relevant []string `json:"relevant"`
	} `json:"queries"`
}

func loadParaphrases(t *testing.T) paraphraseSet {
	t.Helper()
	data, err := os.ReadFile("testdata/paraphrase.json")
	if err != nil {
		t.Fatal(err)
	}
	var set paraphraseSet
	if err := json.Unmarshal(data, &set); err != nil {
		t.Fatal(err)
	}
	return set
}

// paraphraseMRR is the mean reciprocal rank of the first relevant paper in
// the top 10, and recall@10 (a relevant paper in the top 10).
func paraphraseMRR(t *testing.T, e *Engine, set paraphraseSet, mode Mode) (mrr, r10 float64) {
	rank := rankWith(t, e, mode)
	for _, q := range set.Queries {
		for i, id := range rank(q.Query) {
			if slices.Contains(q.Relevant, id) {
				mrr += 1 / float64(i+1)
				r10++
				break
			}
		}
	}
	n := float64(len(set.Queries))
	return mrr / n, r10 / n
}

// On paraphrases hybrid must beat lexical alone.
func TestEvalParaphrases(t *testing.T) {
	e := loadEval(t)
	set := loadParaphrases(t)
	res := map[Mode][2]float64{}
	for _, m := range Modes {
		mrr, r10 := paraphraseMRR(t, e, set, m)
		res[m] = [2]float64{mrr, r10}
		t.Logf("paraphrases (%d), %-8s MRR@10=%.4f R@10=%.4f", len(set.Queries), m, mrr, r10)
	}
	if res[Hybrid][0] <= res[Lexical][0] {
		t.Errorf("hybrid MRR@10 %.4f does not beat lexical %.4f on paraphrases", res[Hybrid][0], res[Lexical][0])
	}
}

// TestEvalFusionSweep prints both evaluations for a range of semantic
// weights, the measurement behind fusion.semanticWeight. Run it with
// RECOMMEND_EVAL_SWEEP=1 go test ./internal/engine -run Sweep -v.
func TestEvalFusionSweep(t *testing.T) {
	if os.Getenv("RECOMMEND_EVAL_SWEEP") == "" {
		t.Skip("set RECOMMEND_EVAL_SWEEP=1 to sweep the fusion weight")
	}
	e := loadEval(t)
	ps, _ := bundled.Papers()
	cases := make([]ireval.Case, len(ps))
	for i, p := range ps {
		cases[i] = ireval.Case{Query: p.Title, Want: p.ID}
	}
	set := loadParaphrases(t)
	saved := fusion
	defer func() { fusion = saved }()
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-6s %-8s %-8s %-10s %-10s\n", "w", "R@1", "MRR@10", "para MRR", "para R@10")
	for _, w := range []float64{0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1} {
		fusion.semanticWeight = w
		r := ireval.Evaluate(cases, rankWith(t, e, Hybrid))
		mrr, r10 := paraphraseMRR(t, e, set, Hybrid)
		fmt.Fprintf(&b, "%-6.1f %-8.4f %-8.4f %-10.4f %-10.4f\n", w, r.R1, r.MRR10, mrr, r10)
	}
	// Reciprocal rank fusion over the same candidates, for comparison.
	rrf := func(q string) []string {
		ctx := context.Background()
		vs, err := e.embed(ctx, []string{q})
		if err != nil {
			t.Fatal(err)
		}
		n := fusion.candidates(10)
		sem, err := e.index.Search(ctx, vs[0], n, SearchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		lex := lexHits(e.lex.Search(q, n, nil))
		score := map[string]float64{}
		for _, side := range [][]Hit{sem, lex} {
			for r, h := range side {
				score[h.ID] += 1 / float64(60+r+1)
			}
		}
		ids := make([]string, 0, len(score))
		for id := range score {
			ids = append(ids, id)
		}
		slices.SortFunc(ids, func(a, b string) int {
			if score[a] != score[b] {
				if score[a] > score[b] {
					return -1
				}
				return 1
			}
			return strings.Compare(a, b)
		})
		return ids[:min(10, len(ids))]
	}
	r := ireval.Evaluate(cases, rrf)
	var pm, pr float64
	for _, q := range set.Queries {
		for i, id := range rrf(q.Query) {
			if slices.Contains(q.Relevant, id) {
				pm += 1 / float64(i+1)
				pr++
				break
			}
		}
	}
	fmt.Fprintf(&b, "%-6s %-8.4f %-8.4f %-10.4f %-10.4f\n", "RRF", r.R1, r.MRR10, pm/float64(len(set.Queries)), pr/float64(len(set.Queries)))
	t.Log(b.String())
}
