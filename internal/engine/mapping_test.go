package engine

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/recommend-dev/recommend/embeddings"
	"github.com/recommend-dev/recommend/internal/errs"
	"github.com/recommend-dev/recommend/internal/paper"
)

// mapTestStore is an in-memory Store that counts scans.
type mapTestStore struct {
	mu     sync.Mutex
	papers map[string]paper.Paper
	vecs   map[string]map[string][]float32 // model -> id -> vector
	scans  atomic.Int64
}

var errMapTestNotFound = errors.New("not found")

func newMapTestStore() *mapTestStore {
	return &mapTestStore{papers: map[string]paper.Paper{}, vecs: map[string]map[string][]float32{}}
}

func (s *mapTestStore) PutPapers(ps []paper.Paper, model string, vecs [][]float32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, p := range ps {
		s.papers[p.ID] = p
		if vecs != nil {
			if s.vecs[model] == nil {
				s.vecs[model] = map[string][]float32{}
			}
			s.vecs[model][p.ID] = vecs[i]
		}
	}
	return nil
}

func (s *mapTestStore) PutVectors(model string, ids []string, vecs [][]float32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.vecs[model] == nil {
		s.vecs[model] = map[string][]float32{}
	}
	for i, id := range ids {
		s.vecs[model][id] = vecs[i]
	}
	return nil
}

func (s *mapTestStore) Get(id string) (paper.Paper, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.papers[id]
	if !ok {
		return paper.Paper{}, errMapTestNotFound
	}
	return p, nil
}

func (s *mapTestStore) GetMany(ids []string) ([]paper.Paper, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []paper.Paper
	for _, id := range ids {
		if p, ok := s.papers[id]; ok {
			out = append(out, p)
		}
	}
	return out, nil
}

func (s *mapTestStore) Delete(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.papers[id]; !ok {
		return errMapTestNotFound
	}
	delete(s.papers, id)
	for _, m := range s.vecs {
		delete(m, id)
	}
	return nil
}

func (s *mapTestStore) ids() []string {
	ids := make([]string, 0, len(s.papers))
	for id := range s.papers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (s *mapTestStore) List(offset, limit int) ([]paper.Paper, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := s.ids()
	var out []paper.Paper
	for _, id := range ids[min(offset, len(ids)):min(offset+limit, len(ids))] {
		out = append(out, s.papers[id])
	}
	return out, len(ids), nil
}

func (s *mapTestStore) Count() (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.papers), nil
}

func (s *mapTestStore) Scan(model string, fn func(p paper.Paper, vec []float32) error) error {
	s.scans.Add(1)
	s.mu.Lock()
	ids := s.ids()
	type item struct {
		p   paper.Paper
		vec []float32
	}
	items := make([]item, len(ids))
	for i, id := range ids {
		items[i] = item{s.papers[id], slices.Clone(s.vecs[model][id])}
	}
	s.mu.Unlock()
	for _, it := range items {
		if err := fn(it.p, it.vec); err != nil {
			return err
		}
	}
	return nil
}

// mapTestEmbedder embeds a text as the normalised sum of one hashed axis per
// word: texts that share words are close.
type mapTestEmbedder struct{ dims int }

func (w mapTestEmbedder) Model() string   { return "words" }
func (w mapTestEmbedder) Dimensions() int { return w.dims }
func (w mapTestEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		v := make([]float32, w.dims)
		for _, word := range strings.Fields(strings.ToLower(t)) {
			h := fnv.New32a()
			h.Write([]byte(word))
			v[h.Sum32()%uint32(w.dims)]++
		}
		if err := embeddings.Normalize(v); err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// mapTopicPapers makes n papers, alternately about graphs and about proteins.
func mapTopicPapers(n int) []paper.Paper {
	topics := []string{
		"graph neural network message passing node edge",
		"protein folding structure amino acid residue",
	}
	ps := make([]paper.Paper, n)
	for i := range ps {
		t := topics[i%2]
		ps[i] = paper.Paper{
			ID:       fmt.Sprintf("p%03d", i),
			Title:    fmt.Sprintf("%s study %d", strings.Fields(t)[0], i),
			Abstract: fmt.Sprintf("%s variant%d", t, i),
		}
		if i%3 == 0 {
			ps[i].Published = "2024-01-02"
		}
	}
	return ps
}

func newMapTestEngine(t *testing.T, ps []paper.Paper) (*Engine, *mapTestStore) {
	t.Helper()
	st := newMapTestStore()
	e, err := New(Config{Store: st, NotFound: errMapTestNotFound, Embedder: mapTestEmbedder{dims: 64}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if len(ps) > 0 {
		vecs, err := e.embedPapers(ctx, ps)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.PutPapers(ps, e.Model(), vecs); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Load(ctx); err != nil {
		t.Fatal(err)
	}
	return e, st
}

func TestMapLaysOutTheCorpus(t *testing.T) {
	ps := mapTopicPapers(40)
	e, _ := newMapTestEngine(t, ps)
	m, err := e.Map(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Points) != len(ps) {
		t.Fatalf("map has %d points, want %d", len(m.Points), len(ps))
	}
	if m.Model != "words" || m.Clusters != 2 {
		t.Errorf("model %q, %d clusters; want words, 2 (ChooseK(40))", m.Model, m.Clusters)
	}
	topicCluster := map[int]int{} // topic -> cluster
	for i, pt := range m.Points {
		p := ps[i]
		if pt.ID != p.ID || pt.Title != p.Title || pt.Published != p.Published {
			t.Errorf("point %d = %+v, want the paper %s %q published %q", i, pt, p.ID, p.Title, p.Published)
		}
		if pt.X < -1 || pt.X > 1 || pt.Y < -1 || pt.Y > 1 {
			t.Errorf("point %s at (%v, %v), outside [-1, 1]", pt.ID, pt.X, pt.Y)
		}
		topic := i % 2
		if c, ok := topicCluster[topic]; ok && c != pt.Cluster {
			t.Errorf("point %s (topic %d) in cluster %d, the topic's others in %d", pt.ID, topic, pt.Cluster, c)
		}
		topicCluster[topic] = pt.Cluster
	}
	if topicCluster[0] == topicCluster[1] {
		t.Errorf("both topics in cluster %d", topicCluster[0])
	}
}

func TestMapIsCachedUntilAWrite(t *testing.T) {
	ctx := context.Background()
	e, st := newMapTestEngine(t, mapTopicPapers(30))
	scansAfterLoad := st.scans.Load()
	first, err := e.Map(ctx)
	if err != nil {
		t.Fatal(err)
	}
	second, err := e.Map(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.scans.Load() - scansAfterLoad; got != 1 {
		t.Errorf("two Map calls scanned the store %d times, want 1 (the second from the cache)", got)
	}
	if &first.Points[0] != &second.Points[0] {
		t.Error("the second Map call did not return the cached map")
	}

	add := paper.Paper{ID: "new", Title: "graph neural network for molecules", Abstract: "graph neural network message passing"}
	if err := e.Put(ctx, []paper.Paper{add}); err != nil {
		t.Fatal(err)
	}
	afterPut, err := e.Map(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(afterPut.Points) != 31 || !slices.ContainsFunc(afterPut.Points, func(p MapPoint) bool { return p.ID == "new" }) {
		t.Errorf("after Put the map has %d points, want 31 with the new paper", len(afterPut.Points))
	}
	if err := e.Delete("p000"); err != nil {
		t.Fatal(err)
	}
	afterDelete, err := e.Map(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(afterDelete.Points) != 30 || slices.ContainsFunc(afterDelete.Points, func(p MapPoint) bool { return p.ID == "p000" }) {
		t.Errorf("after Delete the map has %d points, want 30 without p000", len(afterDelete.Points))
	}
	if got := st.scans.Load() - scansAfterLoad; got != 3 {
		t.Errorf("store scanned %d times for 4 maps around 2 writes, want 3", got)
	}
	// A failed write (unknown id) changes nothing and keeps the cache.
	if err := e.Delete("nope"); errs.Code(err) != errs.NotFound {
		t.Fatalf("Delete(unknown) = %v, want not found", err)
	}
	if _, err := e.Map(ctx); err != nil {
		t.Fatal(err)
	}
	if got := st.scans.Load() - scansAfterLoad; got != 3 {
		t.Errorf("a failed delete invalidated the map (%d scans, want 3)", got)
	}
}

func TestMapEdgeCases(t *testing.T) {
	ctx := context.Background()
	t.Run("empty corpus", func(t *testing.T) {
		e, _ := newMapTestEngine(t, nil)
		m, err := e.Map(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Points) != 0 || m.Clusters != 0 {
			t.Errorf("empty corpus: %d points, %d clusters; want none", len(m.Points), m.Clusters)
		}
	})
	t.Run("one paper", func(t *testing.T) {
		e, _ := newMapTestEngine(t, mapTopicPapers(1))
		m, err := e.Map(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Points) != 1 || m.Points[0].X != 0 || m.Points[0].Y != 0 || m.Clusters != 1 {
			t.Errorf("one paper: %+v, %d clusters; want it at the origin in 1 cluster", m.Points, m.Clusters)
		}
	})
	t.Run("not ready", func(t *testing.T) {
		e, err := New(Config{Store: newMapTestStore(), NotFound: errMapTestNotFound, Embedder: mapTestEmbedder{dims: 8}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Map(ctx); errs.Code(err) != errs.Unavailable {
			t.Errorf("Map before Load = %v, want %s", err, errs.Unavailable)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		e, _ := newMapTestEngine(t, mapTopicPapers(10))
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := e.Map(cctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Map with a cancelled context = %v, want context.Canceled", err)
		}
		if _, err := e.Map(ctx); err != nil {
			t.Errorf("Map after a cancelled one: %v", err)
		}
	})
}

func TestMapConcurrentWithWrites(t *testing.T) {
	ctx := context.Background()
	e, _ := newMapTestEngine(t, mapTopicPapers(50))
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 10 {
				if g == 0 {
					p := paper.Paper{ID: fmt.Sprintf("w%d", i), Title: "protein", Abstract: "protein folding"}
					if err := e.Put(ctx, []paper.Paper{p}); err != nil {
						t.Error(err)
					}
					continue
				}
				m, err := e.Map(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if len(m.Points) < 50 || len(m.Points) > 60 {
					t.Errorf("map has %d points, want 50..60", len(m.Points))
				}
			}
		})
	}
	wg.Wait()
	m, err := e.Map(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Points) != 60 {
		t.Errorf("after all writes the map has %d points, want 60", len(m.Points))
	}
}
