package engine

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/philippgille/chromem-go"

	"github.com/recommend-dev/recommend/internal/vecindex"
)

// hit is one search result before the paper is looked up.
type hit struct {
	ID    string
	Score float64
}

// semanticIndex holds the vectors of one embedding model. chromem-go is the
// store of the documents and their vectors; vecindex answers the queries
// (int8 codes scanned on every core, candidates re-ranked exactly against
// the very float32 slices chromem-go holds, so there is no second float32
// copy). This works around chromem-go's pitfalls too: a query must not ask
// for more results than there are documents, results share memory with the
// store, and there is no way to exclude IDs.
type semanticIndex struct {
	model string
	dims  int
	col   *chromem.Collection
	vix   *vecindex.Index

	// mu orders writes so that chromem-go and vecindex hold the same set.
	mu sync.Mutex
}

func newSemanticIndex(model string, dims int) (*semanticIndex, error) {
	db := chromem.NewDB()
	// No embedding function: the engine embeds; the index only stores vectors.
	noEmbed := func(context.Context, string) ([]float32, error) {
		return nil, fmt.Errorf("engine: the index does not embed text")
	}
	col, err := db.GetOrCreateCollection(fmt.Sprintf("%s-%d", model, dims), nil, noEmbed)
	if err != nil {
		return nil, fmt.Errorf("engine: create index for %s: %w", model, err)
	}
	return &semanticIndex{model: model, dims: dims, col: col, vix: vecindex.New(dims)}, nil
}

// Add stores vectors under ids; an existing id is replaced. The index keeps
// the vectors: the caller must not modify them afterwards.
func (s *semanticIndex) Add(ctx context.Context, ids []string, vecs [][]float32) error {
	for i, id := range ids {
		if len(vecs[i]) != s.dims {
			return fmt.Errorf("engine: vector for %q has %d dimensions, index %s has %d", id, len(vecs[i]), s.model, s.dims)
		}
	}
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
func (s *semanticIndex) Delete(id string) {
	if id == "" {
		// Never call chromem's Delete without IDs: it would delete everything.
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.vix.Delete(id)
	_ = s.col.Delete(context.Background(), nil, nil, id)
}

// Len is the number of vectors in the index.
func (s *semanticIndex) Len() int { return s.vix.Len() }

// Vector returns a copy of the stored vector of id.
func (s *semanticIndex) Vector(id string) ([]float32, bool) {
	v, ok := s.vix.Vector(id)
	if !ok {
		return nil, false
	}
	return slices.Clone(v), true
}

// Search returns up to k nearest neighbours of q by cosine similarity, best
// first, skipping ids for which exclude returns true. exact scans every
// float32 vector instead of the int8 codes.
func (s *semanticIndex) Search(_ context.Context, q []float32, k int, exact bool, exclude func(string) bool) ([]hit, error) {
	return s.search(q, k, vecindex.SearchOptions{Exact: exact, Exclude: exclude})
}

// search is Search with all of vecindex's options.
func (s *semanticIndex) search(q []float32, k int, o vecindex.SearchOptions) ([]hit, error) {
	if k <= 0 || s.vix.Len() == 0 {
		return nil, nil
	}
	hs, err := s.vix.Search(q, k, o)
	if err != nil {
		return nil, fmt.Errorf("engine: query index %s: %w", s.model, err)
	}
	out := make([]hit, len(hs))
	for i, h := range hs {
		out[i] = hit{ID: h.ID, Score: float64(h.Score)}
	}
	return out, nil
}
