package engine

import (
	"context"
	"sync"
	"testing"

	"github.com/recommend-dev/recommend/internal/paper"
	"github.com/recommend-dev/recommend/internal/store"
	"github.com/recommend-dev/recommend/internal/synth"
)

// countingEmbedder records the texts it is asked to embed.
type countingEmbedder struct {
	*tableEmbedder
	mu    sync.Mutex
	texts []string
}

func (c *countingEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	c.mu.Lock()
	c.texts = append(c.texts, texts...)
	c.mu.Unlock()
	return c.tableEmbedder.Embed(ctx, texts)
}

// Writing a paper again embeds it again only if its text changed.
func TestPutReusesVectorsOfUnchangedText(t *testing.T) {
	ctx := context.Background()
	st := openBenchStore(t, t.TempDir())
	c := synth.New(synth.Config{N: 20, Dims: 16, Seed: 9})
	emb := &countingEmbedder{tableEmbedder: newTableEmbedder("table", 16)}
	ps, vs := synthBatch(c, 0, 20)
	for i, p := range ps {
		emb.set(p.Text(), vs[i])
	}
	e, err := New(Config{Store: st, NotFound: store.ErrNotFound, Embedder: emb, Logger: benchLog})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.Put(ctx, ps); err != nil {
		t.Fatal(err)
	}
	if got := len(emb.texts); got != len(ps) {
		t.Fatalf("first Put embedded %d texts, want %d", got, len(ps))
	}

	again := append([]paper.Paper(nil), ps[:5]...)
	again[1].Authors = []string{"Someone Else"} // metadata only
	again[2].Title += " (revised)"              // new text
	emb.set(again[2].Text(), c.Vector(0, nil))
	newOne := c.Paper(20)
	emb.set(newOne.Text(), c.Vector(20, nil))
	again = append(again, newOne)
	emb.texts = nil
	if err := e.Put(ctx, again); err != nil {
		t.Fatal(err)
	}
	want := []string{again[2].Text(), newOne.Text()}
	if len(emb.texts) != len(want) || emb.texts[0] != want[0] || emb.texts[1] != want[1] {
		t.Errorf("second Put embedded %d texts %q, want only the changed and the new paper's", len(emb.texts), emb.texts)
	}
	// An unchanged paper keeps its stored vector; the revised one has the
	// vector of its new text.
	got, _ := e.index.Vectors(ctx, []string{ps[0].ID, ps[2].ID})
	if cosine32(got[0], vs[0]) < 0.9999 {
		t.Errorf("paper 0's vector changed on a re-put of the same text")
	}
	if cosine32(got[1], c.Vector(0, nil)) < 0.9999 {
		t.Errorf("the revised paper keeps its old vector")
	}
}

func cosine32(a, b []float32) float64 {
	var d float64
	for i := range a {
		d += float64(a[i]) * float64(b[i])
	}
	return d
}
