package engine

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/recommend-dev/recommend/internal/store"
	"github.com/recommend-dev/recommend/internal/synth"
	"github.com/recommend-dev/recommend/internal/vecindex"
)

// sideTestEngine is an engine over n synthetic papers of 64 dimensions,
// enough that the semantic index scans int8 codes and re-ranks (its
// default re-rank depth is 100), not the exhaustive path it takes for
// small corpora.
func sideTestEngine(t *testing.T, n int) (*Engine, *synth.Corpus) {
	t.Helper()
	st := openBenchStore(t, t.TempDir())
	c := synth.New(synth.Config{N: n, Dims: 64, Seed: 5})
	table := newTableEmbedder("synth-table", 64)
	e, err := New(Config{Store: st, NotFound: store.ErrNotFound, Embedder: table, Logger: benchLog})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	for lo := 0; lo < n; lo += 1000 {
		ps, vs := synthBatch(c, lo, min(lo+1000, n))
		for i, p := range ps {
			table.set(p.Text(), vs[i])
		}
		if err := e.Put(context.Background(), ps); err != nil {
			t.Fatal(err)
		}
	}
	return e, c
}

// TestSemanticSideSkip checks that dropping a query's own papers from the
// index's results (semanticSide without a date range) gives what the
// index's exclude function gives, and that no mode returns a query's own
// papers or papers outside its date range.
func TestSemanticSideSkip(t *testing.T) {
	const n = 3000
	e, c := sideTestEngine(t, n)
	ctx := context.Background()

	t.Run("post-filter equals exclude", func(t *testing.T) {
		for j := range 20 {
			skip := map[string]bool{}
			for s := range 1 + j%5 {
				skip[c.ID((j*7919+s*31)%n)] = true
			}
			vec, _ := e.mem().vix.Vector(c.ID((j * 7919) % n))
			for _, k := range []int{1, 10, 50} {
				got, err := e.semanticSide(context.Background(), vec, k, 0, Query{Exact: true}, skip)
				if err != nil {
					t.Fatal(err)
				}
				want, err := e.mem().search(context.Background(), vec, k, vecindex.SearchOptions{Exact: true, Exclude: e.exclude(Query{}, skip)})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(hitList(got), hitList(want)) {
					t.Errorf("query %d, k=%d, skip %v:\ngot  %v\nwant %v", j, k, skip, hitList(got), hitList(want))
				}
			}
		}
	})

	dated := Query{PublishedAfter: "2018-01-01", PublishedBefore: "2020-12-31"}
	for _, tc := range []struct {
		name string
		q    Query
	}{
		{"semantic", Query{Mode: Semantic}},
		{"hybrid", Query{Mode: Hybrid}},
		{"lexical", Query{Mode: Lexical}},
		{"semantic exact", Query{Mode: Semantic, Exact: true}},
		{"semantic dated", Query{Mode: Semantic, PublishedAfter: dated.PublishedAfter, PublishedBefore: dated.PublishedBefore}},
		{"hybrid dated", Query{Mode: Hybrid, PublishedAfter: dated.PublishedAfter, PublishedBefore: dated.PublishedBefore}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check := func(what string, rs []Result, own []string) {
				t.Helper()
				if tc.q.Mode != Lexical && len(rs) != DefaultLimit {
					t.Errorf("%s: %d results, want %d", what, len(rs), DefaultLimit)
				}
				for _, r := range rs {
					if slices.Contains(own, r.ID) {
						t.Errorf("%s: result %s is one of the query's own papers", what, r.ID)
					}
					if tc.q.dated() && (r.Published < tc.q.PublishedAfter || r.Published > tc.q.PublishedBefore) {
						t.Errorf("%s: result %s published %s, outside %s..%s", what, r.ID, r.Published, tc.q.PublishedAfter, tc.q.PublishedBefore)
					}
				}
			}
			for j := range 10 {
				id := c.ID((j * 104729) % n)
				rs, err := e.Related(ctx, id, tc.q)
				if err != nil {
					t.Fatal(err)
				}
				check("related "+id, rs, []string{id})
				// Few positives are dropped after the search, many through
				// the index's exclude function: both must hold.
				for _, np := range []int{2, MaxPostFilter + 4} {
					var pos []string
					for s := range np {
						pos = append(pos, c.ID((j*131+s)%n))
					}
					neg := []string{c.ID((j*977 + 5) % n)}
					rs, err := e.Recommend(ctx, pos, neg, tc.q)
					if err != nil {
						t.Fatal(err)
					}
					check(fmt.Sprintf("recommend %d positives", np), rs, append(pos, neg...))
				}
			}
		})
	}
}

func hitList(hs []Hit) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = fmt.Sprintf("%s:%.5f", h.ID, h.Score)
	}
	return out
}

// mem returns the engine's in-memory index; tests and benchmarks that look
// inside it use the default index.
func (e *Engine) mem() *MemIndex { return e.index.(*MemIndex) }
