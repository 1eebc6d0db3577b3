package weaviate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/weaviate/weaviate-go-client/v5/weaviate/fault"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/filters"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"
	"github.com/weaviate/weaviate/entities/models"

	"github.com/recommend-dev/recommend/internal/paper"
)

// This file is the engine.Store side of Store.

// search runs one gRPC search built by build at consistency level cl.
func (s *Store) search(ctx context.Context, what, cl string, build func(q *graphql.Search) *graphql.Search) ([]graphql.SearchResult, error) {
	var out []graphql.SearchResult
	err := s.do(ctx, what, func(ctx context.Context, n *node) error {
		q := n.client.Experimental().Search().WithCollection(s.class).WithConsistencyLevel(cl)
		res, err := build(q).Do(ctx)
		out = res
		return err
	})
	return out, err
}

// byIDs is a filter matching the objects of paper ids.
func byIDs(ids []string) *filters.WhereBuilder {
	uuids := make([]string, len(ids))
	for i, id := range ids {
		uuids[i] = ObjectID(id)
	}
	return filters.Where().WithPath([]string{"_id"}).WithOperator(filters.ContainsAny).WithValueText(uuids...)
}

// fetch reads the objects of ids (with their vectors when withVector) at
// consistency level cl, keyed by paper ID; unknown ids are absent.
func (s *Store) fetch(ctx context.Context, what string, ids []string, cl string, withVector bool, props ...string) (map[string]object, error) {
	out := make(map[string]object, len(ids))
	uniq := slices.Clone(ids)
	slices.Sort(uniq)
	uniq = slices.Compact(uniq)
	page := readPage
	for len(uniq) > 0 {
		chunk := uniq[:min(page, len(uniq))]
		res, err := s.search(ctx, what, cl, func(q *graphql.Search) *graphql.Search {
			q = q.WithWhere(byIDs(chunk)).WithLimit(len(chunk)).
				WithMetadata(&graphql.Metadata{ID: true, Vector: withVector})
			if len(props) > 0 {
				q = q.WithProperties(props...)
			}
			return q
		})
		if err != nil && tooLarge(err) && page > 1 {
			page /= 2
			continue
		}
		if err != nil {
			return nil, err
		}
		uniq = uniq[len(chunk):]
		for _, r := range res {
			o, err := fromResult(r)
			if err != nil {
				return nil, err
			}
			out[o.p.ID] = o
		}
	}
	return out, nil
}

// write stores objects in batches at the write consistency level.
func (s *Store) write(ctx context.Context, what string, objs []*models.Object) error {
	for len(objs) > 0 {
		chunk := objs[:min(writeBatch, len(objs))]
		objs = objs[len(chunk):]
		err := s.do(ctx, what, func(ctx context.Context, n *node) error {
			res, err := n.client.Batch().ObjectsBatcher().WithObjects(chunk...).WithConsistencyLevel(s.wcl).Do(ctx)
			if err != nil {
				return err
			}
			for i, r := range res {
				if r.Result == nil || r.Result.Errors == nil || len(r.Result.Errors.Error) == 0 {
					continue
				}
				msg := r.Result.Errors.Error[0].Message
				id, _ := chunk[i].Properties.(map[string]any)[propID].(string)
				e := fmt.Errorf("paper %q: %s", id, msg)
				if replicaTrouble(msg) {
					return &serverError{msg: e.Error()}
				}
				if strings.Contains(msg, "dimensions") || strings.Contains(msg, "invalid") || strings.Contains(msg, "validat") {
					return invalid("%s: %v", what, e)
				}
				return e
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// checkPapers validates a batch of papers as the embedded store does.
func checkPapers(papers []paper.Paper) error {
	seen := make(map[string]int, len(papers))
	for i := range papers {
		p := &papers[i]
		if err := checkID(p.ID); err != nil {
			return invalid("put papers: item %d (id %q): %v", i, p.ID, err)
		}
		if err := p.Validate(); err != nil {
			return invalid("put papers: item %d (id %q): %v", i, p.ID, err)
		}
		if err := checkText(p); err != nil {
			return invalid("put papers: item %d (id %q): %v", i, p.ID, err)
		}
		if j, dup := seen[p.ID]; dup {
			return invalid("put papers: item %d (id %q): duplicate id, also at index %d", i, p.ID, j)
		}
		seen[p.ID] = i
	}
	return nil
}

// PutPapers stores papers and, when vectors is not nil, their vectors for
// model (vectors[i] belongs to papers[i]), replacing papers that exist.
// With vectors nil, a paper that exists keeps its vector if its title and
// abstract are unchanged and loses it otherwise (as in the embedded store).
// Invalid input (see the embedded store's rules) is rejected whole with an
// error wrapping ErrInvalid; a vector whose length differs from the
// collection's is rejected by Weaviate, also as ErrInvalid, but the papers
// of the batch before it may have been written.
func (s *Store) PutPapers(papers []paper.Paper, model string, vectors [][]float32) error {
	if len(papers) == 0 {
		if len(vectors) != 0 {
			return invalid("put papers: %d vectors for 0 papers", len(vectors))
		}
		return nil
	}
	if err := checkPapers(papers); err != nil {
		return err
	}
	if vectors != nil {
		if err := checkVectors("put papers", model, len(papers), vectors); err != nil {
			return err
		}
	}
	ctx := context.Background()
	objs := make([]*models.Object, len(papers))
	if vectors != nil {
		for i := range papers {
			objs[i] = s.toObject(&papers[i], model, vectors[i])
		}
		return s.write(ctx, "put papers", objs)
	}
	ids := make([]string, len(papers))
	for i := range papers {
		ids[i] = papers[i].ID
	}
	old, err := s.fetch(ctx, "put papers: read the papers", ids, s.wcl, true, propID, propTitle, propAbstract, propModel)
	if err != nil {
		return err
	}
	for i := range papers {
		p := &papers[i]
		var vec []float32
		model := ""
		if o, ok := old[p.ID]; ok && o.vec != nil && o.p.Title == p.Title && o.p.Abstract == p.Abstract {
			vec, model = o.vec, o.model
		}
		objs[i] = s.toObject(p, model, vec)
	}
	return s.write(ctx, "put papers", objs)
}

// PutVectors stores vectors of model for existing papers, replacing the
// vector each had (of whatever model). An unknown ID is an error wrapping
// ErrNotFound and nothing is written; invalid input wraps ErrInvalid.
func (s *Store) PutVectors(model string, ids []string, vectors [][]float32) error {
	if len(ids) == 0 {
		if len(vectors) != 0 {
			return invalid("put vectors: %d vectors for 0 ids", len(vectors))
		}
		return nil
	}
	seen := make(map[string]int, len(ids))
	for i, id := range ids {
		if err := checkID(id); err != nil {
			return invalid("put vectors: item %d (id %q): %v", i, id, err)
		}
		if j, dup := seen[id]; dup {
			return invalid("put vectors: item %d (id %q): duplicate id, also at index %d", i, id, j)
		}
		seen[id] = i
	}
	if err := checkVectors("put vectors", model, len(ids), vectors); err != nil {
		return err
	}
	ctx := context.Background()
	old, err := s.fetch(ctx, "put vectors: read the papers", ids, s.wcl, false, paperProps...)
	if err != nil {
		return err
	}
	objs := make([]*models.Object, len(ids))
	for i, id := range ids {
		o, ok := old[id]
		if !ok {
			return fmt.Errorf("put vectors: item %d (id %q): paper %w", i, id, ErrNotFound)
		}
		objs[i] = s.toObject(&o.p, model, vectors[i])
	}
	return s.write(ctx, "put vectors", objs)
}

// Get returns the paper with the given ID, or an error wrapping
// ErrNotFound.
func (s *Store) Get(id string) (paper.Paper, error) {
	ps, err := s.GetMany([]string{id})
	if err != nil {
		return paper.Paper{}, err
	}
	if len(ps) == 0 {
		return paper.Paper{}, fmt.Errorf("paper %q: %w", id, ErrNotFound)
	}
	return ps[0], nil
}

// GetMany returns the papers of ids in the order of ids, leaving out
// unknown ids (an id given twice is returned twice).
func (s *Store) GetMany(ids []string) ([]paper.Paper, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	got, err := s.fetch(context.Background(), "get papers", ids, s.rcl, false, paperProps...)
	if err != nil {
		return nil, err
	}
	out := make([]paper.Paper, 0, len(got))
	for _, id := range ids {
		if o, ok := got[id]; ok {
			out = append(out, o.p)
		}
	}
	return out, nil
}

// Delete removes a paper and its vector, or returns an error wrapping
// ErrNotFound.
func (s *Store) Delete(id string) error {
	ctx := context.Background()
	got, err := s.fetch(ctx, "delete: read the paper", []string{id}, s.wcl, false, propID)
	if err != nil {
		return err
	}
	if _, ok := got[id]; !ok {
		return fmt.Errorf("delete: paper %q: %w", id, ErrNotFound)
	}
	return s.do(ctx, "delete", func(ctx context.Context, n *node) error {
		err := n.client.Data().Deleter().WithClassName(s.class).WithID(ObjectID(id)).WithConsistencyLevel(s.wcl).Do(ctx)
		var we *fault.WeaviateClientError
		if errors.As(err, &we) && we.IsUnexpectedStatusCode && we.StatusCode == 404 {
			return nil // a retry after a failure that had deleted it
		}
		return err
	})
}

// Count returns the number of papers.
func (s *Store) Count() (int, error) {
	var n int
	err := s.do(context.Background(), "count", func(ctx context.Context, nd *node) error {
		resp, err := nd.client.GraphQL().Aggregate().WithClassName(s.class).
			WithFields(graphql.Field{Name: "meta", Fields: []graphql.Field{{Name: "count"}}}).Do(ctx)
		if err != nil {
			return err
		}
		if len(resp.Errors) > 0 {
			msg := resp.Errors[0].Message
			if replicaTrouble(msg) {
				return &serverError{msg: msg}
			}
			return errors.New(msg)
		}
		agg, _ := resp.Data["Aggregate"].(map[string]any)
		rows, _ := agg[s.class].([]any)
		if len(rows) != 1 {
			return fmt.Errorf("unexpected aggregate answer %v", resp.Data)
		}
		meta, _ := rows[0].(map[string]any)["meta"].(map[string]any)
		c, ok := meta["count"].(float64)
		if !ok {
			return fmt.Errorf("unexpected aggregate answer %v", resp.Data)
		}
		n = int(c)
		return nil
	})
	return n, err
}

// List returns up to limit papers in ID order (byte-wise), starting at the
// offset-th, and the total number of papers. Weaviate sorts by the idKey
// property; past its maximum result window (Config.MaxResults) List pages
// on with an idKey > last filter, so a deep offset costs one query per
// MaxResults papers skipped.
func (s *Store) List(offset, limit int) ([]paper.Paper, int, error) {
	if offset < 0 || limit < 0 {
		return nil, 0, invalid("list: offset %d and limit %d must not be negative", offset, limit)
	}
	total, err := s.Count()
	if err != nil {
		return nil, 0, err
	}
	if limit == 0 || offset >= total {
		return nil, total, nil
	}
	limit = min(limit, total-offset)
	ctx := context.Background()
	page := func(after string, skip, n int, props ...string) ([]object, error) {
		res, err := s.search(ctx, "list", s.rcl, func(q *graphql.Search) *graphql.Search {
			q = q.WithSort(graphql.Sort{Path: []string{propKey}, Order: graphql.Asc}).
				WithOffset(skip).WithLimit(n).WithProperties(props...)
			if after != "" {
				q = q.WithWhere(filters.Where().WithPath([]string{propKey}).WithOperator(filters.GreaterThan).WithValueText(idKey(after)))
			}
			return q
		})
		if err != nil {
			return nil, err
		}
		out := make([]object, len(res))
		for i, r := range res {
			if out[i], err = fromResult(r); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	after := ""
	// Skip whole windows by their last ID only.
	for offset+limit > s.maxResults && offset > 0 {
		n := min(offset, s.maxResults)
		os, err := page(after, n-1, 1, propID)
		if err != nil {
			return nil, 0, err
		}
		if len(os) == 0 {
			return nil, total, nil
		}
		after = os[0].p.ID
		offset -= n
	}
	var out []paper.Paper
	for len(out) < limit {
		n := min(limit-len(out), s.maxResults-offset)
		os, err := page(after, offset, n, paperProps...)
		if err != nil {
			return nil, 0, err
		}
		for _, o := range os {
			out = append(out, o.p)
		}
		if len(os) < n {
			break
		}
		after, offset = os[len(os)-1].p.ID, 0
	}
	return out, total, nil
}

// Scan calls fn for every paper with its vector for model, nil when the
// paper has none or one of another model. It reads pages of up to 500
// objects with Weaviate's cursor (in object UUID order, not ID order) and
// stops at the first error fn returns, which it returns unchanged. Like the
// embedded store's Scan it is not a snapshot: papers written meanwhile may
// or may not be seen.
func (s *Store) Scan(model string, fn func(p paper.Paper, vec []float32) error) error {
	ctx := context.Background()
	after := ""
	page := readPage
	for {
		res, err := s.search(ctx, "scan", s.rcl, func(q *graphql.Search) *graphql.Search {
			// Without a model nobody wants the vectors: do not ship them.
			q = q.WithLimit(page).WithProperties(paperProps...).WithMetadata(&graphql.Metadata{ID: true, Vector: model != ""})
			if after != "" {
				q = q.WithAfter(after)
			}
			return q
		})
		if err != nil && tooLarge(err) && page > 1 {
			page /= 2
			continue
		}
		if err != nil {
			return err
		}
		for _, r := range res {
			o, err := fromResult(r)
			if err != nil {
				return err
			}
			vec := o.vec
			if model == "" || o.model != model {
				vec = nil
			}
			if err := fn(o.p, vec); err != nil {
				return err
			}
		}
		if len(res) < page {
			return nil
		}
		after = res[len(res)-1].ID
		page = min(2*page, readPage)
	}
}
