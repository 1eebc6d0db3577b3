package engine

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/recommend-dev/recommend/embeddings"
	"github.com/recommend-dev/recommend/internal/errs"
	"github.com/recommend-dev/recommend/internal/paper"
)

// Limits on queries.
const (
	DefaultLimit   = 10
	MaxLimit       = 100
	MaxQueryLen    = 2000 // characters of a search query
	MaxRecommendID = 100  // positive plus negative ids
)

// Query holds what every kind of query shares.
type Query struct {
	Limit int // 1..MaxLimit; 0 means DefaultLimit
	// PublishedAfter and PublishedBefore ("2006-01-02", inclusive) keep only
	// papers published in that range; papers without a date are dropped when
	// either is set.
	PublishedAfter  string
	PublishedBefore string
	// Exact compares the query with every stored float32 vector instead of
	// scanning compact codes and re-ranking the best candidates.
	Exact bool
	// Mode picks the ranking: Hybrid (the default), Semantic or Lexical.
	Mode Mode
}

// Result is one paper in a result list with its score (cosine similarity for
// semantic queries; higher is better).
type Result struct {
	paper.Paper
	Score float64 `json:"score"`
}

func (q *Query) check() error {
	if err := q.Mode.check(); err != nil {
		return err
	}
	if q.Limit == 0 {
		q.Limit = DefaultLimit
	}
	if q.Limit < 1 || q.Limit > MaxLimit {
		return errs.Field("limit", "limit must be between 1 and %d, got %d", MaxLimit, q.Limit)
	}
	for _, f := range []struct{ name, v string }{{"published_after", q.PublishedAfter}, {"published_before", q.PublishedBefore}} {
		if f.v != "" && !validDate(f.v) {
			return errs.Field(f.name, "%s %q is not a date like 2024-01-31", f.name, f.v)
		}
	}
	if q.PublishedAfter != "" && q.PublishedBefore != "" && q.PublishedAfter > q.PublishedBefore {
		return errs.Field("published_after", "published_after %s is later than published_before %s", q.PublishedAfter, q.PublishedBefore)
	}
	return nil
}

// dated reports whether the query has a date range.
func (q Query) dated() bool { return q.PublishedAfter != "" || q.PublishedBefore != "" }

// exclude returns the filter for a query: skip is a set of ids that must not
// appear (the query's own papers); the date range drops the rest. It is nil
// when there is nothing to drop, so that the indexes need not call it.
func (e *Engine) exclude(q Query, skip map[string]bool) func(string) bool {
	dated := q.dated()
	if !dated && len(skip) == 0 {
		return nil
	}
	return func(id string) bool {
		if skip[id] {
			return true
		}
		if !dated {
			return false
		}
		e.infoMu.RLock()
		d := e.info[id].published
		e.infoMu.RUnlock()
		if d == "" {
			return true
		}
		return (q.PublishedAfter != "" && d < q.PublishedAfter) || (q.PublishedBefore != "" && d > q.PublishedBefore)
	}
}

// semanticSide returns the n papers nearest to vec by the index, best first,
// without the ids in skip or papers outside the query's date range. rerank
// is how many approximate candidates the index re-ranks exactly (0: its
// default for n results).
func (e *Engine) semanticSide(ctx context.Context, vec []float32, n, rerank int, q Query, skip map[string]bool) ([]Hit, error) {
	return e.index.Search(ctx, vec, n, SearchOptions{
		Exact:           q.Exact,
		Rerank:          rerank,
		Skip:            skip,
		PublishedAfter:  q.PublishedAfter,
		PublishedBefore: q.PublishedBefore,
		Exclude:         e.exclude(q, skip),
	})
}

// vector returns the stored vector of id.
func (e *Engine) vector(ctx context.Context, id string) ([]float32, bool, error) {
	vs, err := e.index.Vectors(ctx, []string{id})
	if err != nil {
		return nil, false, err
	}
	return vs[0], vs[0] != nil, nil
}

// bothSides runs the candidate searches of a hybrid query at the same time:
// the lexical one on its own goroutine, the semantic one here. The lexical
// search is single-threaded and the semantic scan's workers leave a core
// idle now and then, so on an idle machine this takes the lexical time off
// a hybrid query's latency (at 100k synthetic papers on 2 cores,
// BenchmarkQuery's hybrid-vs-semantic p50 went from 1.73x to 1.45x for
// related papers and from 1.59x to 1.33x for search); the CPU time is the
// same.
// A panic in the lexical search is returned as an error, not left to crash
// the process from a goroutine no handler recovers.
func bothSides(semantic func() ([]Hit, error), lexical func() []Hit) (sem, lex []Hit, err error) {
	var lexErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if r := recover(); r != nil {
				lexErr = fmt.Errorf("engine: lexical search failed: %v", r)
			}
		}()
		lex = lexical()
	}()
	sem, err = semantic()
	<-done
	if err == nil {
		err = lexErr
	}
	return sem, lex, err
}

// Related returns the papers nearest to the stored paper id, never the paper
// itself, best first.
func (e *Engine) Related(ctx context.Context, id string, q Query) ([]Result, error) {
	if err := q.check(); err != nil {
		return nil, err
	}
	if err := e.checkReady(); err != nil {
		return nil, err
	}
	if err := e.modeNow(&q); err != nil {
		return nil, err
	}
	vec, ok, err := e.vector(ctx, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errs.Errorf(errs.NotFound, "no paper with id %q", id)
	}
	skip := map[string]bool{id: true}
	excl := e.exclude(q, skip)
	var hits []Hit
	switch q.Mode {
	case Semantic:
		hs, err := e.semanticSide(ctx, vec, q.Limit, 0, q, skip)
		if err != nil {
			return nil, err
		}
		hits = hs
	case Lexical:
		hs, _ := e.lex.Similar(id, q.Limit, excl)
		hits = lexHits(hs)
	case Hybrid:
		n := fusion.candidates(q.Limit)
		sem, lex, err := bothSides(
			func() ([]Hit, error) { return e.semanticSide(ctx, vec, n, fusion.rerank(n), q, skip) },
			func() []Hit { hs, _ := e.lex.Similar(id, n, excl); return lexHits(hs) })
		if err != nil {
			return nil, err
		}
		hits, err = fuse(
			side{sem, e.cosineScorer(ctx, vec)},
			side{lex, func(ids []string) ([]float64, error) { s, _ := e.lex.ScoreSimilar(id, ids); return s, nil }},
			q.Limit, fusion.semanticWeight)
		if err != nil {
			return nil, err
		}
	}
	return e.results(hits)
}

// Search returns the papers nearest to a free-text query.
func (e *Engine) Search(ctx context.Context, text string, q Query) ([]Result, error) {
	if err := q.check(); err != nil {
		return nil, err
	}
	text = strings.TrimSpace(text)
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		return nil, errs.Field("q", "q, the search text, is required")
	case n > MaxQueryLen:
		return nil, errs.Field("q", "q is %d characters long; the limit is %d", n, MaxQueryLen)
	}
	if err := e.checkReady(); err != nil {
		return nil, err
	}
	if err := e.modeNow(&q); err != nil {
		return nil, err
	}
	excl := e.exclude(q, nil)
	if q.Mode == Lexical {
		return e.results(lexHits(e.lex.Search(text, q.Limit, excl)))
	}
	vs, err := e.embed(ctx, []string{text})
	if err != nil {
		return nil, err
	}
	if q.Mode == Semantic {
		hits, err := e.semanticSide(ctx, vs[0], q.Limit, 0, q, nil)
		if err != nil {
			return nil, err
		}
		return e.results(hits)
	}
	n := fusion.candidates(q.Limit)
	sem, lex, err := bothSides(
		func() ([]Hit, error) { return e.semanticSide(ctx, vs[0], n, fusion.rerank(n), q, nil) },
		func() []Hit { return lexHits(e.lex.Search(text, n, excl)) })
	if err != nil {
		return nil, err
	}
	hits, err := fuse(
		side{sem, e.cosineScorer(ctx, vs[0])},
		side{lex, func(ids []string) ([]float64, error) { return e.lex.ScoreQuery(text, ids), nil }},
		q.Limit, fusion.semanticWeight)
	if err != nil {
		return nil, err
	}
	return e.results(hits)
}

// Recommend returns papers like the positive ones and unlike the negative
// ones (Rocchio: the mean of the positive vectors minus half the mean of the
// negative ones). The given papers never appear in the results.
func (e *Engine) Recommend(ctx context.Context, positive, negative []string, q Query) ([]Result, error) {
	if err := q.check(); err != nil {
		return nil, err
	}
	if len(positive) == 0 {
		return nil, errs.Field("positive", "positive must list at least one paper id")
	}
	if len(positive)+len(negative) > MaxRecommendID {
		return nil, errs.Field("positive", "at most %d paper ids in positive and negative together, got %d", MaxRecommendID, len(positive)+len(negative))
	}
	if err := e.checkReady(); err != nil {
		return nil, err
	}
	if err := e.modeNow(&q); err != nil {
		return nil, err
	}
	skip := map[string]bool{}
	centroid := func(field string, ids []string) ([]float32, error) {
		if len(ids) == 0 {
			return nil, nil
		}
		sum := make([]float32, e.Dimensions())
		vs, err := e.index.Vectors(ctx, ids)
		if err != nil {
			return nil, err
		}
		for i, id := range ids {
			v := vs[i]
			if v == nil {
				return nil, &errs.Error{Code: errs.NotFound, Param: fmt.Sprintf("%s[%d]", field, i), Message: fmt.Sprintf("%s[%d]: no paper with id %q", field, i, id)}
			}
			skip[id] = true
			for j, x := range v {
				sum[j] += x
			}
		}
		for j := range sum {
			sum[j] /= float32(len(ids))
		}
		return sum, nil
	}
	pos, err := centroid("positive", positive)
	if err != nil {
		return nil, err
	}
	neg, err := centroid("negative", negative)
	if err != nil {
		return nil, err
	}
	for j := range neg {
		pos[j] -= 0.5 * neg[j]
	}
	excl := e.exclude(q, skip)
	if q.Mode == Lexical {
		return e.results(lexHits(e.lex.Recommend(positive, negative, q.Limit, excl)))
	}
	if err := embeddings.Normalize(pos); err != nil {
		// The positives and negatives cancel out: nothing to look for.
		return []Result{}, nil
	}
	if q.Mode == Semantic {
		hits, err := e.semanticSide(ctx, pos, q.Limit, 0, q, skip)
		if err != nil {
			return nil, err
		}
		return e.results(hits)
	}
	n := fusion.candidates(q.Limit)
	sem, lex, err := bothSides(
		func() ([]Hit, error) { return e.semanticSide(ctx, pos, n, fusion.rerank(n), q, skip) },
		func() []Hit { return lexHits(e.lex.Recommend(positive, negative, n, excl)) })
	if err != nil {
		return nil, err
	}
	hits, err := fuse(
		side{sem, e.cosineScorer(ctx, pos)},
		side{lex, func(ids []string) ([]float64, error) { return e.lex.ScoreRecommend(positive, negative, ids), nil }},
		q.Limit, fusion.semanticWeight)
	if err != nil {
		return nil, err
	}
	return e.results(hits)
}

func (e *Engine) checkReady() error {
	if !e.ready.Load() {
		return errs.Errorf(errs.Unavailable, "the index is still loading; try again in a moment")
	}
	return nil
}

// checkLoaded turns writes away while Load runs: a paper written while
// Load still reads the store could be indexed, then overwritten in the
// lexical index by the copy Load read before.
func (e *Engine) checkLoaded() error {
	if e.loading.Load() {
		return errs.Errorf(errs.Unavailable, "the index is still loading; try again in a moment")
	}
	return nil
}

// modeNow settles q's mode for the state of the indexes: see ModeNow. A
// lexical query waits for the lexical index.
func (e *Engine) modeNow(q *Query) error {
	q.Mode = e.ModeNow(q.Mode)
	if q.Mode == Lexical && !e.lexReady.Load() {
		return errs.Errorf(errs.Unavailable, "the lexical index is still loading; mode=semantic answers now")
	}
	return nil
}

// results looks up the papers of hits. A paper deleted between the search
// and the look-up is dropped.
func (e *Engine) results(hits []Hit) ([]Result, error) {
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	ps, err := e.store.GetMany(ids)
	if err != nil {
		return nil, fmt.Errorf("engine: look up %d results: %w", len(ids), err)
	}
	byID := make(map[string]paper.Paper, len(ps))
	for _, p := range ps {
		byID[p.ID] = p
	}
	out := make([]Result, 0, len(hits))
	for _, h := range hits {
		if p, ok := byID[h.ID]; ok {
			out = append(out, Result{Paper: p, Score: h.Score})
		}
	}
	return out, nil
}

// MaxEmbedInputs is the most texts one Embed call takes, as OpenAI's API.
const MaxEmbedInputs = 2048

// MaxEmbedInputLen is the longest text Embed takes, in characters.
const MaxEmbedInputLen = 100_000

// Embed embeds texts for other applications and returns their vectors and
// the number of tokens (the encoder's pieces) they hold, where the embedder
// can count them.
func (e *Engine) Embed(ctx context.Context, texts []string) ([][]float32, int, error) {
	if len(texts) == 0 {
		return nil, 0, errs.Field("input", "input must not be empty")
	}
	if len(texts) > MaxEmbedInputs {
		return nil, 0, errs.Field("input", "input has %d items; the limit is %d", len(texts), MaxEmbedInputs)
	}
	tokens := 0
	counter, _ := e.emb.(embeddings.TokenCounter)
	for i, t := range texts {
		if t == "" {
			return nil, 0, errs.Field("input", "input[%d] is empty", i)
		}
		if n := utf8.RuneCountInString(t); n > MaxEmbedInputLen {
			return nil, 0, errs.Field("input", "input[%d] is %d characters long; the limit is %d", i, n, MaxEmbedInputLen)
		}
		if counter != nil {
			tokens += counter.CountTokens(t)
		}
	}
	vs, err := e.embed(ctx, texts)
	if err != nil {
		return nil, 0, err
	}
	return vs, tokens, nil
}
