package weaviate

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/weaviate/weaviate-go-client/v5/weaviate/filters"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"

	"github.com/recommend-dev/recommend/internal/engine"
	"github.com/recommend-dev/recommend/internal/errs"
)

// This file is the engine.Index side: Index, a view of a Store.

var (
	_ engine.Store = (*Store)(nil)
	_ engine.Index = (*Index)(nil)
)

// Index is the engine.Index of a Store: nearest-neighbour search over the
// vectors stored with the papers. It is a separate type because
// engine.Store and engine.Index both have a Delete method, with different
// signatures. It is safe for concurrent use.
type Index struct {
	s *Store
}

// Index returns the Store's engine.Index.
func (s *Store) Index() *Index { return &Index{s: s} }

// Add does nothing: the vectors are already in Weaviate, written with
// their papers by PutPapers or PutVectors (the store side of the same
// collection). It exists to satisfy engine.Index.
func (x *Index) Add(ctx context.Context, ids []string, vecs [][]float32) error { return nil }

// Delete does nothing, for the same reason as Add: Store.Delete removed
// the object with its vector.
func (x *Index) Delete(ctx context.Context, id string) error { return nil }

// Vectors returns the vectors of ids, in order, nil for an unknown id or a
// paper without a vector.
func (x *Index) Vectors(ctx context.Context, ids []string) ([][]float32, error) {
	s := x.s
	got, err := s.fetch(ctx, "read vectors", ids, s.rcl, true, propID)
	if err != nil {
		return nil, err
	}
	out := make([][]float32, len(ids))
	for i, id := range ids {
		if v := got[id].vec; v != nil {
			out[i] = slices.Clone(v)
		}
	}
	return out, nil
}

// dateFilter returns the filter of a date range, nil when there is none.
// It compares publishedKey, which orders like the published strings (the
// engine compares dates as strings); papers without a date have no
// publishedKey and so match no range.
func dateFilter(o engine.SearchOptions) *filters.WhereBuilder {
	var fs []*filters.WhereBuilder
	if o.PublishedAfter != "" {
		fs = append(fs, filters.Where().WithPath([]string{propDateKey}).WithOperator(filters.GreaterThanEqual).WithValueInt(dateKey(o.PublishedAfter)))
	}
	if o.PublishedBefore != "" {
		fs = append(fs, filters.Where().WithPath([]string{propDateKey}).WithOperator(filters.LessThanEqual).WithValueInt(dateKey(o.PublishedBefore)))
	}
	return and(fs...)
}

// and combines filters; nil for none.
func and(fs ...*filters.WhereBuilder) *filters.WhereBuilder {
	var keep []*filters.WhereBuilder
	for _, f := range fs {
		if f != nil {
			keep = append(keep, f)
		}
	}
	switch len(keep) {
	case 0:
		return nil
	case 1:
		return keep[0]
	}
	return filters.Where().WithOperator(filters.And).WithOperands(keep)
}

// skipFilter excludes the objects of ids.
func skipFilter(ids map[string]bool) *filters.WhereBuilder {
	if len(ids) == 0 {
		return nil
	}
	uuids := make([]string, 0, len(ids))
	for id := range ids {
		uuids = append(uuids, ObjectID(id))
	}
	slices.Sort(uuids)
	return filters.Where().WithPath([]string{"_id"}).WithOperator(filters.ContainsNone).WithValueText(uuids...)
}

// Search returns up to k nearest neighbours of q, best first, with cosine
// similarity scores, leaving out o.Skip and papers outside the date range
// (o.Exclude and o.Rerank are for in-process indexes and are ignored).
//
// The search is HNSW's approximate one. With o.Exact the search is exact:
// Weaviate has no per-query switch for that, but an HNSW index compares
// the query with every allowed vector (a "flat" search) when a filter
// allows fewer objects than the collection's flatSearchCutoff (40,000 by
// default). Search then splits the collection by the part property into
// groups well under the cutoff, runs one filtered search per group and
// merges their best k: the exact top k, at the cost of comparing q with
// every vector. A collection with a cutoff under 1,000 cannot do that and
// Exact is an errs.Invalid error.
func (x *Index) Search(ctx context.Context, q []float32, k int, o engine.SearchOptions) ([]engine.Hit, error) {
	s := x.s
	if k <= 0 {
		return nil, nil
	}
	if err := checkQuery(q); err != nil {
		return nil, err
	}
	dates := dateFilter(o)
	if o.Exact {
		return s.exactSearch(ctx, q, k, and(dates, skipFilter(o.Skip)))
	}
	if dates == nil && len(o.Skip) <= engine.MaxPostFilter {
		hs, err := s.nearVector(ctx, q, k+len(o.Skip), nil)
		if err != nil {
			return nil, err
		}
		return engine.WithoutSkipped(hs, o.Skip, k), nil
	}
	return s.nearVector(ctx, q, k, and(dates, skipFilter(o.Skip)))
}

func checkQuery(q []float32) error {
	if len(q) == 0 {
		return errs.Errorf(errs.Invalid, "weaviate: empty query vector")
	}
	var ss float64
	for _, f := range q {
		ss += float64(f) * float64(f)
	}
	if ss == 0 || math.IsNaN(ss) || math.IsInf(ss, 0) {
		return errs.Errorf(errs.Invalid, "weaviate: query vector is zero or not finite")
	}
	return nil
}

// nearVector runs one nearVector search with an optional filter.
func (s *Store) nearVector(ctx context.Context, q []float32, k int, where *filters.WhereBuilder) ([]engine.Hit, error) {
	if k > s.maxResults {
		k = s.maxResults
	}
	res, err := s.search(ctx, "search", s.rcl, func(sq *graphql.Search) *graphql.Search {
		sq = sq.WithNearVector((&graphql.NearVectorArgumentBuilder{}).WithVector(q)).
			WithLimit(k).WithProperties(propID).
			WithMetadata(&graphql.Metadata{ID: true, Distance: true})
		if where != nil {
			sq = sq.WithWhere(where)
		}
		return sq
	})
	if err != nil {
		return nil, err
	}
	out := make([]engine.Hit, 0, len(res))
	for _, r := range res {
		id, _ := r.Properties[propID].(string)
		if id == "" {
			return nil, fmt.Errorf("weaviate: search: object %s has no %s property", r.ID, propID)
		}
		// Weaviate's cosine distance is 1 - cosine similarity.
		out = append(out, engine.Hit{ID: id, Score: 1 - float64(r.Metadata.Distance)})
	}
	return out, nil
}

// minFlatCutoff is the smallest flatSearchCutoff with which exactSearch
// splits the collection into groups of a sensible number.
const minFlatCutoff = 1000

// exactSearch is Search with o.Exact; see Search.
func (s *Store) exactSearch(ctx context.Context, q []float32, k int, where *filters.WhereBuilder) ([]engine.Hit, error) {
	if s.flatCutoff < minFlatCutoff {
		return nil, errs.Errorf(errs.Invalid, "exact search is not available on this Weaviate collection: its HNSW index searches exhaustively only below flatSearchCutoff objects, and %s has flatSearchCutoff %d (at least %d needed)", s.class, s.flatCutoff, minFlatCutoff)
	}
	n, err := s.Count()
	if err != nil {
		return nil, err
	}
	// Groups of about a quarter of the cutoff: a group's size is a sum of
	// Parts/groups part sizes, each about n/Parts, so exceeding four
	// times its expected size is out of the question for any n that
	// needs more than one group.
	groups := min(Parts, max(1, (4*n+s.flatCutoff-1)/s.flatCutoff))
	var all []engine.Hit
	for g := range groups {
		parts := make([]int64, 0, Parts/groups+1)
		for p := g; p < Parts; p += groups {
			parts = append(parts, int64(p))
		}
		f := filters.Where().WithPath([]string{propPart}).WithOperator(filters.ContainsAny).WithValueInt(parts...)
		hs, err := s.nearVector(ctx, q, k, and(f, where))
		if err != nil {
			return nil, err
		}
		all = append(all, hs...)
	}
	slices.SortFunc(all, func(a, b engine.Hit) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return all[:min(k, len(all))], nil
}

// Score returns the cosine similarity of q with the vector of each id, 0
// for an unknown id or a paper without a vector. It runs one nearVector
// search restricted to the ids: Weaviate compares q with each of their
// vectors (a filter that allows so few objects makes HNSW search them
// exhaustively), which measured faster than reading the vectors back
// (at 100k papers: see BenchmarkLarge).
func (x *Index) Score(ctx context.Context, q []float32, ids []string) ([]float64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if err := checkQuery(q); err != nil {
		return nil, err
	}
	// Chunks must stay under the collection's flatSearchCutoff, or the
	// search would be approximate.
	size := min(readPage, x.s.flatCutoff-1)
	if size < 1 {
		return x.scoreByVectors(ctx, q, ids)
	}
	uniq := slices.Clone(ids)
	slices.Sort(uniq)
	uniq = slices.Compact(uniq)
	got := make(map[string]float64, len(uniq))
	for len(uniq) > 0 {
		chunk := uniq[:min(size, len(uniq))]
		uniq = uniq[len(chunk):]
		hs, err := x.s.nearVector(ctx, q, len(chunk), byIDs(chunk))
		if err != nil {
			return nil, err
		}
		for _, h := range hs {
			got[h.ID] = h.Score
		}
	}
	out := make([]float64, len(ids))
	for i, id := range ids {
		out[i] = got[id]
	}
	return out, nil
}

// scoreByVectors is Score by reading the vectors and computing the dot
// products here.
func (x *Index) scoreByVectors(ctx context.Context, q []float32, ids []string) ([]float64, error) {
	vs, err := x.Vectors(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(ids))
	for i, v := range vs {
		if len(v) != len(q) {
			continue
		}
		var dot float64
		for j, f := range v {
			dot += float64(f) * float64(q[j])
		}
		out[i] = dot
	}
	return out, nil
}
