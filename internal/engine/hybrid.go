package engine

import (
	"cmp"
	"context"
	"slices"

	"github.com/recommend-dev/recommend/internal/errs"
	"github.com/recommend-dev/recommend/internal/lexical"
)

// Mode says which scores rank the results.
type Mode string

// The retrieval modes. Hybrid is the default: lexical scores catch names,
// acronyms and rare terms ("FractalNet", "SpiNNaker"); semantic scores catch
// paraphrases. See fuse for how they are combined.
const (
	Hybrid   Mode = "hybrid"
	Semantic Mode = "semantic"
	Lexical  Mode = "lexical"
)

// Modes lists the modes, the default first.
var Modes = []Mode{Hybrid, Semantic, Lexical}

func (m *Mode) check() error {
	switch *m {
	case "":
		*m = Hybrid
	case Hybrid, Semantic, Lexical:
	default:
		return errs.Field("mode", "mode must be hybrid, semantic or lexical, got %q", string(*m))
	}
	return nil
}

// Fusion settings, chosen by measurement (TestEvalFusionSweep, reported in
// the README): each side's scores over the union of candidates are divided
// by that side's best score, then combined as semanticWeight·semantic +
// (1-semanticWeight)·lexical. 0.6 is the weight that beats lexical alone on
// both evaluations (title → abstract and paraphrases); from 0.7 up the
// title → abstract MRR falls below lexical alone. Reciprocal rank fusion
// (k=60) measured worse on both. A document found by one side only is scored
// by the other side exactly, so no candidate is penalised for being missed.
var fusion = fusionConfig{semanticWeight: 0.6, depth: 4, minDepth: 50}

type fusionConfig struct {
	semanticWeight float64
	// depth·k (at least minDepth) candidates are taken from each side.
	depth, minDepth int
}

func (f fusionConfig) candidates(k int) int { return max(f.depth*k, f.minDepth) }

// rerank is how many int8 candidates the semantic index re-ranks exactly
// to find a hybrid query's n semantic candidates: 2n, where the index's
// default for n results would be 10n (500 for the 50 candidates of a
// 10-result query). Fusion scores every candidate of either side exactly
// anyway (a candidate the semantic side misses is scored by cosineScorer),
// so the semantic tail need not be exact; at 100k synthetic papers the
// re-rank was most of the semantic side's time and 2n leaves recall@10 of
// the fused list against Exact unchanged (BenchmarkQuery).
func (f fusionConfig) rerank(n int) int { return 2 * n }

// side is one ranker's view of a query: its own top candidates, and a way
// to score any other document exactly.
type side struct {
	hits  []Hit
	score func(ids []string) ([]float64, error)
}

// fuse merges the candidates of two sides and ranks them by the weighted
// sum of max-normalised scores, best first, at most k.
func fuse(sem, lex side, k int, w float64) ([]Hit, error) {
	type cand struct {
		id       string
		sem, lex float64
		haveSem  bool
		haveLex  bool
	}
	byID := map[string]*cand{}
	var order []*cand
	get := func(id string) *cand {
		c, ok := byID[id]
		if !ok {
			c = &cand{id: id}
			byID[id] = c
			order = append(order, c)
		}
		return c
	}
	for _, h := range sem.hits {
		c := get(h.ID)
		c.sem, c.haveSem = h.Score, true
	}
	for _, h := range lex.hits {
		c := get(h.ID)
		c.lex, c.haveLex = h.Score, true
	}
	var needSem, needLex []string
	for _, c := range order {
		if !c.haveSem {
			needSem = append(needSem, c.id)
		}
		if !c.haveLex {
			needLex = append(needLex, c.id)
		}
	}
	for _, need := range []struct {
		ids   []string
		score func([]string) ([]float64, error)
		set   func(c *cand, s float64)
	}{
		{needSem, sem.score, func(c *cand, s float64) { c.sem = s }},
		{needLex, lex.score, func(c *cand, s float64) { c.lex = s }},
	} {
		if len(need.ids) == 0 || need.score == nil {
			continue
		}
		scores, err := need.score(need.ids)
		if err != nil {
			return nil, err
		}
		for i, s := range scores {
			need.set(byID[need.ids[i]], s)
		}
	}
	var maxSem, maxLex float64
	for _, c := range order {
		maxSem = max(maxSem, c.sem)
		maxLex = max(maxLex, c.lex)
	}
	out := make([]Hit, len(order))
	for i, c := range order {
		var s, l float64
		if maxSem > 0 {
			s = c.sem / maxSem
		}
		if maxLex > 0 {
			l = c.lex / maxLex
		}
		out[i] = Hit{ID: c.id, Score: w*s + (1-w)*l}
	}
	slices.SortStableFunc(out, func(a, b Hit) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out[:min(k, len(out))], nil
}

// lexHits converts the lexical index's hits.
func lexHits(hs []lexical.Hit) []Hit {
	out := make([]Hit, len(hs))
	for i, h := range hs {
		out[i] = Hit{ID: h.ID, Score: h.Score}
	}
	return out
}

// cosineScorer scores ids against q with the index's stored vectors; a
// missing vector scores 0.
func (e *Engine) cosineScorer(ctx context.Context, q []float32) func(ids []string) ([]float64, error) {
	return func(ids []string) ([]float64, error) { return e.index.Score(ctx, q, ids) }
}
