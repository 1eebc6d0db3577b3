package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/recommend-dev/recommend/internal/paper"
	"github.com/recommend-dev/recommend/internal/store"
)

// failingIndex is a MemIndex whose named method fails: it shows that the
// engine hands an Index's errors back to the caller instead of answering
// from half the data.
type failingIndex struct {
	*MemIndex
	fail string
}

var errIndexDown = errors.New("index down")

func (f *failingIndex) Vectors(ctx context.Context, ids []string) ([][]float32, error) {
	if f.fail == "Vectors" {
		return nil, errIndexDown
	}
	return f.MemIndex.Vectors(ctx, ids)
}

func (f *failingIndex) Search(ctx context.Context, q []float32, k int, o SearchOptions) ([]Hit, error) {
	if f.fail == "Search" {
		return nil, errIndexDown
	}
	return f.MemIndex.Search(ctx, q, k, o)
}

func (f *failingIndex) Score(ctx context.Context, q []float32, ids []string) ([]float64, error) {
	if f.fail == "Score" {
		return nil, errIndexDown
	}
	return f.MemIndex.Score(ctx, q, ids)
}

func TestIndexErrorsReachTheCaller(t *testing.T) {
	ctx := context.Background()
	st := openBenchStore(t, t.TempDir())
	emb := newTableEmbedder("table", 8)
	mem, err := NewMemIndex(emb.Model(), emb.Dimensions())
	if err != nil {
		t.Fatal(err)
	}
	ix := &failingIndex{MemIndex: mem}
	e, err := New(Config{Store: st, Index: ix, NotFound: store.ErrNotFound, Embedder: emb, Logger: benchLog})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Load(ctx); err != nil {
		t.Fatal(err)
	}
	words := []string{"graph", "vector", "spiking", "robot", "language", "protein"}
	var ps = make([]paper.Paper, 0, len(words))
	for i, w := range words {
		v := make([]float32, 8)
		v[i] = 1
		p := paper.Paper{ID: w, Title: w + " paper", Abstract: "about " + w + " and " + words[(i+1)%len(words)]}
		emb.set(p.Text(), v)
		ps = append(ps, p)
	}
	emb.set("graph", []float32{1, 0, 0, 0, 0, 0, 0, 0}) // the search text
	if err := e.Put(ctx, ps); err != nil {
		t.Fatal(err)
	}
	calls := []struct {
		name string
		run  func(Mode) error
	}{
		{"related", func(m Mode) error { _, err := e.Related(ctx, "graph", Query{Mode: m}); return err }},
		{"search", func(m Mode) error { _, err := e.Search(ctx, "graph", Query{Mode: m}); return err }},
		{"recommend", func(m Mode) error { _, err := e.Recommend(ctx, []string{"graph"}, nil, Query{Mode: m}); return err }},
	}
	for _, fail := range []string{"", "Vectors", "Search"} {
		ix.fail = fail
		for _, c := range calls {
			for _, m := range []Mode{Semantic, Hybrid} {
				err := c.run(m)
				// A search embeds its text instead of reading a vector.
				uses := fail == "Search" || (fail == "Vectors" && c.name != "search")
				if !uses && err != nil {
					t.Errorf("%s mode=%s with %q failing: %v, want no error", c.name, m, fail, err)
				}
				if uses && !errors.Is(err, errIndexDown) {
					t.Errorf("%s mode=%s with %s failing: error %v, want %v", c.name, m, fail, err, errIndexDown)
				}
			}
		}
	}
}

// TestFuseScoreError checks that fusion fails when scoring the other
// side's candidates fails, rather than ranking them as if they scored 0.
func TestFuseScoreError(t *testing.T) {
	ok := func(ids []string) ([]float64, error) { return make([]float64, len(ids)), nil }
	bad := func([]string) ([]float64, error) { return nil, errIndexDown }
	sem := []Hit{{"a", 0.9}}
	lex := []Hit{{"b", 3}}
	for _, tc := range []struct {
		name     string
		sem, lex func([]string) ([]float64, error)
		want     error
	}{
		{"both score", ok, ok, nil},
		{"semantic fails", bad, ok, errIndexDown},
		{"lexical fails", ok, bad, errIndexDown},
	} {
		hs, err := fuse(side{sem, tc.sem}, side{lex, tc.lex}, 10, 0.6)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.want)
		}
		if tc.want == nil && len(hs) != 2 {
			t.Errorf("%s: %d hits, want 2", tc.name, len(hs))
		}
	}
}
