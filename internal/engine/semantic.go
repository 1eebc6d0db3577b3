package engine

import (
	"context"
	"fmt"
	"sync"

	"github.com/philippgille/chromem-go"
)

// hit is one search result before the paper is looked up.
type hit struct {
	ID    string
	Score float64
}

// semanticIndex holds the vectors of one embedding model. chromem-go is the
// store of the documents and their vectors; the index works around its
// pitfalls: a query must not ask for more results than there are documents,
// results share memory with the store, and there is no way to exclude IDs.
type semanticIndex struct {
	model string
	dims  int
	col   *chromem.Collection

	mu sync.RWMutex // guards nothing in chromem; serialises Add/Delete against Count-dependent queries
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
	return &semanticIndex{model: model, dims: dims, col: col}, nil
}

// Add stores vectors under ids; an existing id is replaced. The index keeps
// the vectors: the caller must not modify them afterwards.
func (s *semanticIndex) Add(ctx context.Context, ids []string, vecs [][]float32) error {
	docs := make([]chromem.Document, len(ids))
	for i, id := range ids {
		if len(vecs[i]) != s.dims {
			return fmt.Errorf("engine: vector for %q has %d dimensions, index %s has %d", id, len(vecs[i]), s.model, s.dims)
		}
		docs[i] = chromem.Document{ID: id, Embedding: vecs[i]}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range docs {
		if err := s.col.AddDocument(ctx, d); err != nil {
			return fmt.Errorf("engine: index %q: %w", d.ID, err)
		}
	}
	return nil
}

// Delete removes id; it is a no-op for an unknown id.
func (s *semanticIndex) Delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Never call chromem's Delete without IDs: it would delete everything.
	if id != "" {
		_ = s.col.Delete(context.Background(), nil, nil, id)
	}
}

// Len is the number of vectors in the index.
func (s *semanticIndex) Len() int { return s.col.Count() }

// Vector returns a copy of the stored vector of id.
func (s *semanticIndex) Vector(id string) ([]float32, bool) {
	if id == "" {
		return nil, false
	}
	doc, err := s.col.GetByID(context.Background(), id)
	if err != nil {
		return nil, false
	}
	return doc.Embedding, true // GetByID returns a clone
}

// Search returns up to k nearest neighbours of q by cosine similarity, best
// first, skipping ids for which exclude returns true.
func (s *semanticIndex) Search(ctx context.Context, q []float32, k int, exclude func(string) bool) ([]hit, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	total := s.col.Count()
	if total == 0 || k <= 0 {
		return nil, nil
	}
	// Ask for a few more than k so that excluded ids can be dropped, and
	// widen the query until k survive or the whole collection was seen.
	n := min(k+8, total)
	for {
		res, err := s.col.QueryEmbedding(ctx, q, n, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("engine: query index %s: %w", s.model, err)
		}
		hits := make([]hit, 0, k)
		for _, r := range res {
			if exclude != nil && exclude(r.ID) {
				continue
			}
			hits = append(hits, hit{ID: r.ID, Score: float64(r.Similarity)})
			if len(hits) == k {
				break
			}
		}
		if len(hits) == k || n == total {
			return hits, nil
		}
		n = min(n*4, total)
	}
}
