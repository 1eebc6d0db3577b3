package engine

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/philippgille/chromem-go"

	"github.com/recommend-dev/recommend/internal/vecindex"
)

// MemIndex is the default Index: it holds the vectors of one embedding
// model in this process. chromem-go is the store of the documents and their
// vectors; vecindex answers the queries (int8 codes scanned on every core,
// candidates re-ranked exactly against the very float32 slices chromem-go
// holds, so there is no second float32 copy). This works around chromem-go's
// pitfalls too: a query must not ask for more results than there are
// documents, results share memory with the store, and there is no way to
// exclude IDs.
type MemIndex struct {
	model string
	dims  int
	col   *chromem.Collection
	vix   *vecindex.Index

	// mu orders writes so that chromem-go and vecindex hold the same set.
	mu sync.Mutex
}

// NewMemIndex returns an empty in-memory index for vectors of model, dims
// long. opts tune its vecindex (code bits, workers).
func NewMemIndex(model string, dims int, opts ...vecindex.Option) (*MemIndex, error) {
	db := chromem.NewDB()
	// No embedding function: the engine embeds; the index only stores vectors.
	noEmbed := func(context.Context, string) ([]float32, error) {
		return nil, fmt.Errorf("engine: the index does not embed text")
	}
	col, err := db.GetOrCreateCollection(fmt.Sprintf("%s-%d", model, dims), nil, noEmbed)
	if err != nil {
		return nil, fmt.Errorf("engine: create index for %s: %w", model, err)
	}
	return &MemIndex{model: model, dims: dims, col: col, vix: vecindex.New(dims, opts...)}, nil
}

// Add stores vectors under ids; an existing id is replaced. The index keeps
// the vectors: the caller must not modify them afterwards.
func (s *MemIndex) Add(ctx context.Context, ids []string, vecs [][]float32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	// vecindex checks every vector before it adds any: add there first so
	// that a bad vector leaves both untouched.
	if err := s.vix.AddBatch(ids, vecs); err != nil {
		return fmt.Errorf("engine: index %s: %w", s.model, err)
	}
	for i, id := range ids {
		if err := s.col.AddDocument(ctx, chromem.Document{ID: id, Embedding: vecs[i]}); err != nil {
			return fmt.Errorf("engine: index %q: %w", id, err)
		}
	}
	return nil
}

// Delete removes id; it is a no-op for an unknown id.
func (s *MemIndex) Delete(_ context.Context, id string) error {
	if id == "" {
		// Never call chromem's Delete without IDs: it would delete everything.
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.vix.Delete(id)
	return s.col.Delete(context.Background(), nil, nil, id)
}

// Len is the number of vectors in the index.
func (s *MemIndex) Len() int { return s.vix.Len() }

// Queue reports how many searches scan the index and how many wait.
func (s *MemIndex) Queue() (scanning, waiting int) { return s.vix.Queue() }

// Vectors returns copies of the stored vectors of ids.
func (s *MemIndex) Vectors(_ context.Context, ids []string) ([][]float32, error) {
	out := make([][]float32, len(ids))
	for i, id := range ids {
		if v, ok := s.vix.Vector(id); ok {
			out[i] = slices.Clone(v)
		}
	}
	return out, nil
}

// Score returns the dot product of q with the stored vector of each id.
// It scores the few candidates of a hybrid query that the semantic side
// did not find; a plain loop is plenty for that.
func (s *MemIndex) Score(_ context.Context, q []float32, ids []string) ([]float64, error) {
	out := make([]float64, len(ids))
	for i, id := range ids {
		v, ok := s.vix.Vector(id) // read only: no copy needed
		if !ok {
			continue
		}
		var dot float32
		for j, x := range v {
			dot += x * q[j]
		}
		out[i] = float64(dot)
	}
	return out, nil
}

// Search returns the k nearest neighbours of q, best first.
//
// Without a date range, the ids in o.Skip are dropped from k+len(Skip)
// results rather than handed to vecindex as an exclude function: vecindex
// calls that function on every candidate that beats its running threshold,
// thousands per query at 100k papers, each a cache miss on the candidate's
// id string; that was a quarter of the CPU time of a related-papers query
// at 100k papers (BenchmarkQuery).
func (s *MemIndex) Search(ctx context.Context, q []float32, k int, o SearchOptions) ([]Hit, error) {
	if k <= 0 || s.vix.Len() == 0 {
		return nil, nil
	}
	dated := o.PublishedAfter != "" || o.PublishedBefore != ""
	if dated || len(o.Skip) > MaxPostFilter {
		return s.search(ctx, q, k, vecindex.SearchOptions{Exact: o.Exact, Exclude: o.Exclude, Rerank: o.Rerank})
	}
	rerank := o.Rerank
	if rerank > 0 {
		rerank += len(o.Skip)
	}
	hs, err := s.search(ctx, q, k+len(o.Skip), vecindex.SearchOptions{Exact: o.Exact, Rerank: rerank})
	if err != nil {
		return nil, err
	}
	return WithoutSkipped(hs, o.Skip, k), nil
}

// search runs one vecindex search. Searches scan one at a time, each on
// every core, the others waiting their turn in order (vecindex's admission
// control): one that waits past its request's end gives up.
func (s *MemIndex) search(ctx context.Context, q []float32, k int, o vecindex.SearchOptions) ([]Hit, error) {
	hs, err := s.vix.SearchContext(ctx, q, k, o)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("engine: query index %s: %w", s.model, err)
	}
	out := make([]Hit, len(hs))
	for i, h := range hs {
		out[i] = Hit{ID: h.ID, Score: float64(h.Score)}
	}
	return out, nil
}
