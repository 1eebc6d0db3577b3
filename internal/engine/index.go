package engine

import "context"

// Index finds nearest neighbours among the stored vectors of one embedding
// model. The default, NewMemIndex, keeps them in this process (chromem-go
// holds the documents and their vectors, vecindex answers the queries);
// internal/weaviate keeps them in a Weaviate cluster. Every vector the
// engine hands an Index is L2-normalised, so cosine similarity is a dot
// product.
type Index interface {
	// Add indexes vecs under ids, replacing what an id had. The index may
	// keep the slices: the caller must not modify them afterwards.
	Add(ctx context.Context, ids []string, vecs [][]float32) error
	// Delete removes id; an unknown id is not an error.
	Delete(ctx context.Context, id string) error
	// Vectors returns the vectors of ids, in order, nil for an unknown id.
	// The caller may modify them.
	Vectors(ctx context.Context, ids []string) ([][]float32, error)
	// Search returns up to k nearest neighbours of q, best first, scored by
	// cosine similarity.
	Search(ctx context.Context, q []float32, k int, o SearchOptions) ([]Hit, error)
	// Score returns the cosine similarity of q with the vector of each id,
	// 0 for an unknown id.
	Score(ctx context.Context, q []float32, ids []string) ([]float64, error)
}

// SearchOptions narrows and tunes one Index search.
type SearchOptions struct {
	// Exact compares q with every stored vector instead of searching
	// approximately. An index that cannot do that says so with an error.
	Exact bool
	// Rerank is how many approximate candidates an index that re-ranks
	// re-ranks exactly (0: its default for k results).
	Rerank int
	// Skip holds ids that must not be returned: the query's own papers.
	Skip map[string]bool
	// PublishedAfter and PublishedBefore ("2006-01-02", inclusive) keep only
	// papers published in that range; when either is set, papers without a
	// date are dropped.
	PublishedAfter, PublishedBefore string
	// Exclude is Skip and the date range as one predicate, answered from
	// the engine's memory; nil when there is nothing to drop. An index in
	// this process calls it; a remote one sends the fields above instead.
	Exclude func(id string) bool
}

// Hit is one search result before its paper is looked up.
type Hit struct {
	ID    string
	Score float64
}

// MaxPostFilter is the most Skip ids for which an Index asks its search for
// k+len(Skip) results and drops the skipped ones with WithoutSkipped,
// rather than filtering them in the search: both indexes search faster
// unfiltered (vecindex calls an exclude function on every candidate that
// beats its threshold; Weaviate's HNSW search is cheaper without a filter).
const MaxPostFilter = 16

// WithoutSkipped returns hs without the hits in skip, at most k of them,
// reusing hs. An Index may ask its search for k+len(skip) results and drop
// the skipped ones after, which is cheaper than filtering every candidate
// when skip is small.
func WithoutSkipped(hs []Hit, skip map[string]bool, k int) []Hit {
	out := hs[:0]
	for _, h := range hs {
		if !skip[h.ID] {
			out = append(out, h)
		}
	}
	return out[:min(k, len(out))]
}
