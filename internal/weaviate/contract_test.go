package weaviate_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/recommend-dev/recommend/internal/engine"
	"github.com/recommend-dev/recommend/internal/errs"
	"github.com/recommend-dev/recommend/internal/paper"
	"github.com/recommend-dev/recommend/internal/store"
	"github.com/recommend-dev/recommend/internal/weaviate"
	"github.com/recommend-dev/recommend/internal/weaviatetest"
)

// The contract tests run the same cases against the embedded store
// (bbolt + the in-memory index) and against Weaviate, to show that the
// engine sees the same behaviour from both.

const (
	dims  = 16
	model = "test-model"
)

// backend is one implementation under test, opened fresh for each case.
type backend struct {
	name string
	open func(t *testing.T) (engine.Store, engine.Index)
	// notFound is the backend's sentinel for an unknown ID.
	notFound error
	// invalid tells whether err is the backend's "invalid input" error.
	invalid func(err error) bool
}

func embedded() backend {
	return backend{
		name: "embedded",
		open: func(t *testing.T) (engine.Store, engine.Index) {
			t.Helper()
			st, err := store.Open(filepath.Join(t.TempDir(), "papers.db"), &store.Options{Logger: quietLogger()})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			ix, err := engine.NewMemIndex(model, dims)
			if err != nil {
				t.Fatal(err)
			}
			return st, ix
		},
		notFound: store.ErrNotFound,
		invalid: func(err error) bool {
			return errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrDimensions)
		},
	}
}

var collections atomic.Int64

// weaviateBackend opens a fresh collection on node for each case; with
// node nil its cases are skipped.
func weaviateBackend(node *weaviatetest.Node) backend {
	return backend{
		name: "weaviate",
		open: func(t *testing.T) (engine.Store, engine.Index) {
			t.Helper()
			if node == nil {
				t.Skip("no weaviate-server: " + weaviatetest.InstallCommand)
			}
			st := openWeaviate(t, node, fmt.Sprintf("C%d", collections.Add(1)))
			return st, st.Index()
		},
		notFound: weaviate.ErrNotFound,
		invalid: func(err error) bool {
			return errors.Is(err, weaviate.ErrInvalid) && errs.Code(err) == errs.Invalid
		},
	}
}

func openWeaviate(t testing.TB, node *weaviatetest.Node, collection string, opts ...func(*weaviate.Config)) *weaviate.Store {
	t.Helper()
	cfg := weaviate.Config{
		URLs:       []string{node.URL()},
		GRPCAddrs:  []string{node.GRPCAddr()},
		Collection: collection,
		Logger:     quietLogger(),
	}
	for _, o := range opts {
		o(&cfg)
	}
	st, err := weaviate.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open weaviate collection %s: %v", collection, err)
	}
	return st
}

// contractCases are the cases every backend must pass.
var contractCases = []struct {
	name string
	run  func(t *testing.T, b backend)
}{
	{"RoundTrip", testRoundTrip},
	{"Overwrite", testOverwrite},
	{"List", testList},
	{"Delete", testDelete},
	{"Scan", testScan},
	{"PutVectors", testPutVectors},
	{"TextChangeDropsVector", testTextChange},
	{"Invalid", testInvalid},
	{"Search", testSearch},
	{"SearchFilters", testSearchFilters},
	{"ScoreAndVectors", testScoreAndVectors},
}

func runContract(t *testing.T, backends ...backend) {
	for _, c := range contractCases {
		t.Run(c.name, func(t *testing.T) {
			for _, b := range backends {
				t.Run(b.name, func(t *testing.T) { c.run(t, b) })
			}
		})
	}
}

// --- fixtures ---

func unit(r *rand.Rand) []float32 {
	v := make([]float32, dims)
	var ss float64
	for i := range v {
		v[i] = float32(r.NormFloat64())
		ss += float64(v[i]) * float64(v[i])
	}
	for i := range v {
		v[i] /= float32(math.Sqrt(ss))
	}
	return v
}

func makePaper(r *rand.Rand, id string) paper.Paper {
	p := paper.Paper{
		ID:       id,
		Title:    fmt.Sprintf("Title of %s %d", id, r.IntN(1000)),
		Abstract: fmt.Sprintf("Abstract of %s: %d words about things", id, r.IntN(1000)),
	}
	if r.IntN(4) != 0 {
		p.Published = fmt.Sprintf("20%02d-%02d-%02d", 10+r.IntN(15), 1+r.IntN(12), 1+r.IntN(28))
	}
	if r.IntN(2) == 0 {
		p.Authors = []string{"A. Author", "B. Écrivain"}
		p.AuthorCount = 2
		p.Organization = "Org"
		p.Categories = []string{"cs.IR", "cs.LG"}
		p.URL = "https://example.org/" + id
		p.DOI = "10.1000/" + id
	}
	return p
}

func batch(seed uint64, prefix string, n int) ([]paper.Paper, [][]float32) {
	r := rand.New(rand.NewPCG(seed, 1))
	ps := make([]paper.Paper, n)
	vs := make([][]float32, n)
	for i := range ps {
		ps[i] = makePaper(r, fmt.Sprintf("%s%04d", prefix, i))
		vs[i] = unit(r)
	}
	return ps, vs
}

func ids(ps []paper.Paper) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

// put stores papers with vectors and indexes them, as the engine does.
func put(t *testing.T, st engine.Store, ix engine.Index, ps []paper.Paper, vs [][]float32) {
	t.Helper()
	if err := st.PutPapers(ps, model, vs); err != nil {
		t.Fatalf("PutPapers(%d papers): %v", len(ps), err)
	}
	if err := ix.Add(context.Background(), ids(ps), vs); err != nil {
		t.Fatalf("Index.Add: %v", err)
	}
}

// norm makes empty slices nil, as both backends return them.
func norm(p paper.Paper) paper.Paper {
	if len(p.Authors) == 0 {
		p.Authors = nil
	}
	if len(p.Categories) == 0 {
		p.Categories = nil
	}
	return p
}

func wantPapers(t *testing.T, what string, got, want []paper.Paper) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d papers %v, want %d %v", what, len(got), ids(got), len(want), ids(want))
	}
	for i := range got {
		if !reflect.DeepEqual(norm(got[i]), norm(want[i])) {
			t.Fatalf("%s: paper %d:\ngot  %+v\nwant %+v", what, i, got[i], want[i])
		}
	}
}

type scanned struct {
	p   paper.Paper
	vec []float32
}

func scanAll(t *testing.T, st engine.Store, m string) map[string]scanned {
	t.Helper()
	out := map[string]scanned{}
	err := st.Scan(m, func(p paper.Paper, vec []float32) error {
		if _, dup := out[p.ID]; dup {
			t.Errorf("Scan returned %q twice", p.ID)
		}
		out[p.ID] = scanned{p, vec}
		return nil
	})
	if err != nil {
		t.Fatalf("Scan(%q): %v", m, err)
	}
	return out
}

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// exclude is the engine's exclude predicate for skip and a date range.
func exclude(byID map[string]paper.Paper, skip map[string]bool, after, before string) func(string) bool {
	if len(skip) == 0 && after == "" && before == "" {
		return nil
	}
	return func(id string) bool {
		if skip[id] {
			return true
		}
		if after == "" && before == "" {
			return false
		}
		d := byID[id].Published
		return d == "" || (after != "" && d < after) || (before != "" && d > before)
	}
}

// bruteForce is the exact answer: the k best of vecs by dot product with q
// among the ids keep allows.
func bruteForce(ps []paper.Paper, vs [][]float32, q []float32, k int, drop func(string) bool) []engine.Hit {
	var hs []engine.Hit
	for i, p := range ps {
		if drop != nil && drop(p.ID) {
			continue
		}
		hs = append(hs, engine.Hit{ID: p.ID, Score: dot(q, vs[i])})
	}
	sort.Slice(hs, func(a, b int) bool { return hs[a].Score > hs[b].Score })
	return hs[:min(k, len(hs))]
}

// --- cases ---

func testRoundTrip(t *testing.T, b backend) {
	st, _ := b.open(t)
	ps, vs := batch(1, "rt:", 30)
	ps[0].Title = "  Spaces kept  "
	ps[1].ID = "arxiv:2401.01234"
	ps[2].Authors = []string{"Only One"}
	ps[2].AuthorCount = 7 // a count without the names
	if err := st.PutPapers(ps, model, vs); err != nil {
		t.Fatal(err)
	}
	for _, p := range ps[:5] {
		got, err := st.Get(p.ID)
		if err != nil {
			t.Fatalf("Get(%q): %v", p.ID, err)
		}
		wantPapers(t, "Get", []paper.Paper{got}, []paper.Paper{p})
	}
	if _, err := st.Get("no-such-id"); !errors.Is(err, b.notFound) {
		t.Errorf("Get(unknown): got %v, want an error wrapping %v", err, b.notFound)
	}
	got, err := st.GetMany([]string{ps[3].ID, "unknown", ps[1].ID, ps[3].ID})
	if err != nil {
		t.Fatal(err)
	}
	wantPapers(t, "GetMany", got, []paper.Paper{ps[3], ps[1], ps[3]})
	if got, err := st.GetMany(nil); err != nil || len(got) != 0 {
		t.Errorf("GetMany(nil) = %v, %v; want nothing", got, err)
	}
	if n, err := st.Count(); err != nil || n != len(ps) {
		t.Errorf("Count() = %d, %v; want %d", n, err, len(ps))
	}
}

func testOverwrite(t *testing.T, b backend) {
	st, ix := b.open(t)
	ps, vs := batch(2, "ow:", 10)
	put(t, st, ix, ps, vs)
	ps2 := slices.Clone(ps[:3])
	vs2 := [][]float32{vs[5], vs[6], vs[7]}
	for i := range ps2 {
		ps2[i].Title += " (revised)"
		ps2[i].Published = ""
		ps2[i].Authors = nil
		ps2[i].AuthorCount = 0
		ps2[i].DOI = ""
	}
	put(t, st, ix, ps2, vs2)
	got, err := st.GetMany(ids(ps2))
	if err != nil {
		t.Fatal(err)
	}
	wantPapers(t, "after overwrite", got, ps2)
	if n, err := st.Count(); err != nil || n != len(ps) {
		t.Errorf("Count() after overwrite = %d, %v; want %d", n, err, len(ps))
	}
	v, err := ix.Vectors(context.Background(), []string{ps2[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(v[0], vs2[0]) {
		t.Errorf("vector after overwrite: got %v, want %v", v[0], vs2[0])
	}
}

func testList(t *testing.T, b backend) {
	st, _ := b.open(t)
	var ps []paper.Paper
	r := rand.New(rand.NewPCG(3, 3))
	// Byte order: upper case before lower case, multi-byte UTF-8 last.
	for _, id := range []string{"b", "B", "a", "A", "é", "z9", "z10", "doi:10.1/x", "arxiv:1", "arxiv:10", "arxiv:2", "_", "0", "~"} {
		ps = append(ps, makePaper(r, id))
	}
	if err := st.PutPapers(ps, "", nil); err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(ps)
	slices.SortFunc(want, func(a, b paper.Paper) int { return strings.Compare(a.ID, b.ID) })
	for _, tc := range []struct{ offset, limit int }{{0, 100}, {0, 3}, {3, 4}, {10, 10}, {13, 1}, {14, 5}, {100, 5}, {2, 0}} {
		got, total, err := st.List(tc.offset, tc.limit)
		if err != nil {
			t.Fatalf("List(%d, %d): %v", tc.offset, tc.limit, err)
		}
		if total != len(ps) {
			t.Errorf("List(%d, %d) total = %d, want %d", tc.offset, tc.limit, total, len(ps))
		}
		lo, hi := min(tc.offset, len(want)), min(tc.offset+tc.limit, len(want))
		wantPapers(t, fmt.Sprintf("List(%d, %d)", tc.offset, tc.limit), got, want[lo:hi])
	}
	if _, _, err := st.List(-1, 5); !b.invalid(err) {
		t.Errorf("List(-1, 5): got %v, want an invalid-input error", err)
	}
}

func testDelete(t *testing.T, b backend) {
	st, ix := b.open(t)
	ps, vs := batch(4, "del:", 20)
	put(t, st, ix, ps, vs)
	gone := ps[7].ID
	if err := st.Delete(gone); err != nil {
		t.Fatalf("Delete(%q): %v", gone, err)
	}
	if err := ix.Delete(context.Background(), gone); err != nil {
		t.Fatalf("Index.Delete(%q): %v", gone, err)
	}
	if err := st.Delete(gone); !errors.Is(err, b.notFound) {
		t.Errorf("second Delete(%q): got %v, want an error wrapping %v", gone, err, b.notFound)
	}
	if err := st.Delete("never-there"); !errors.Is(err, b.notFound) {
		t.Errorf("Delete(unknown): got %v, want an error wrapping %v", err, b.notFound)
	}
	if _, err := st.Get(gone); !errors.Is(err, b.notFound) {
		t.Errorf("Get after Delete: got %v, want not found", err)
	}
	if n, err := st.Count(); err != nil || n != len(ps)-1 {
		t.Errorf("Count() after Delete = %d, %v; want %d", n, err, len(ps)-1)
	}
	if _, ok := scanAll(t, st, model)[gone]; ok {
		t.Errorf("Scan still returns deleted %q", gone)
	}
	hs, err := ix.Search(context.Background(), vs[7], 5, engine.SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hs {
		if h.ID == gone {
			t.Errorf("Search returns deleted %q", gone)
		}
	}
	v, err := ix.Vectors(context.Background(), []string{gone})
	if err != nil || v[0] != nil {
		t.Errorf("Vectors(deleted) = %v, %v; want [nil]", v, err)
	}
}

func testScan(t *testing.T, b backend) {
	st, ix := b.open(t)
	ps, vs := batch(5, "scan:", 50)
	put(t, st, ix, ps[:40], vs[:40])
	if err := st.PutPapers(ps[40:], "", nil); err != nil { // papers without vectors
		t.Fatal(err)
	}
	got := scanAll(t, st, model)
	if len(got) != len(ps) {
		t.Fatalf("Scan(%q) saw %d papers, want %d", model, len(got), len(ps))
	}
	for i, p := range ps {
		s := got[p.ID]
		wantPapers(t, "Scan", []paper.Paper{s.p}, []paper.Paper{p})
		switch {
		case i < 40 && !slices.Equal(s.vec, vs[i]):
			t.Errorf("Scan: %s vector %v, want %v", p.ID, s.vec, vs[i])
		case i >= 40 && s.vec != nil:
			t.Errorf("Scan: %s has vector %v, want none", p.ID, s.vec)
		}
	}
	for id, s := range scanAll(t, st, "another-model") {
		if s.vec != nil {
			t.Errorf("Scan(another-model): %s has a vector", id)
		}
	}
	stop := errors.New("stop here")
	n := 0
	err := st.Scan(model, func(paper.Paper, []float32) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if err != stop || n != 3 {
		t.Errorf("Scan with a failing callback: got %v after %d calls, want %v after 3", err, n, stop)
	}
}

func testPutVectors(t *testing.T, b backend) {
	st, ix := b.open(t)
	ps, vs := batch(6, "pv:", 10)
	if err := st.PutPapers(ps, "", nil); err != nil {
		t.Fatal(err)
	}
	if err := st.PutVectors(model, []string{ps[0].ID, "unknown"}, vs[:2]); !errors.Is(err, b.notFound) {
		t.Errorf("PutVectors with an unknown id: got %v, want an error wrapping %v", err, b.notFound)
	}
	if s := scanAll(t, st, model)[ps[0].ID]; s.vec != nil {
		t.Errorf("PutVectors with an unknown id wrote %s's vector", ps[0].ID)
	}
	if err := st.PutVectors(model, ids(ps), vs); err != nil {
		t.Fatal(err)
	}
	if err := ix.Add(context.Background(), ids(ps), vs); err != nil {
		t.Fatal(err)
	}
	got := scanAll(t, st, model)
	for i, p := range ps {
		if !slices.Equal(got[p.ID].vec, vs[i]) {
			t.Errorf("after PutVectors: %s vector %v, want %v", p.ID, got[p.ID].vec, vs[i])
		}
		wantPapers(t, "paper after PutVectors", []paper.Paper{got[p.ID].p}, []paper.Paper{p})
	}
	// New vectors of another model, with the papers' text changed too:
	// Scan of the old model then has no vector for them on either backend.
	ps2 := slices.Clone(ps[:4])
	for i := range ps2 {
		ps2[i].Abstract += " Revised."
	}
	if err := st.PutPapers(ps2, "model-2", vs[4:8]); err != nil {
		t.Fatal(err)
	}
	old, next := scanAll(t, st, model), scanAll(t, st, "model-2")
	for i, p := range ps {
		switch {
		case i < 4 && old[p.ID].vec != nil:
			t.Errorf("Scan(%q): %s still has a vector after its text changed and model-2 vectors were stored", model, p.ID)
		case i < 4 && !slices.Equal(next[p.ID].vec, vs[4+i]):
			t.Errorf("Scan(model-2): %s vector %v, want %v", p.ID, next[p.ID].vec, vs[4+i])
		case i >= 4 && next[p.ID].vec != nil:
			t.Errorf("Scan(model-2): %s has a vector, want none", p.ID)
		case i >= 4 && !slices.Equal(old[p.ID].vec, vs[i]):
			t.Errorf("Scan(%q): %s vector %v, want %v", model, p.ID, old[p.ID].vec, vs[i])
		}
	}
}

func testTextChange(t *testing.T, b backend) {
	st, ix := b.open(t)
	ps, vs := batch(7, "tc:", 6)
	put(t, st, ix, ps, vs)
	ps2 := slices.Clone(ps[:3])
	ps2[0].Title = "A new title"            // text changed: vector dropped
	ps2[1].Abstract = "A new abstract."     // text changed: vector dropped
	ps2[2].Categories = []string{"new.cat"} // metadata only: vector kept
	if err := st.PutPapers(ps2, "", nil); err != nil {
		t.Fatal(err)
	}
	got := scanAll(t, st, model)
	for i, want := range []bool{false, false, true, true} {
		s := got[ps[i].ID]
		if (s.vec != nil) != want {
			t.Errorf("after re-putting without vectors: %s has vector %v, want one: %v", ps[i].ID, s.vec != nil, want)
		}
		if want && !slices.Equal(s.vec, vs[i]) {
			t.Errorf("%s kept vector %v, want %v", ps[i].ID, s.vec, vs[i])
		}
	}
	wantPapers(t, "re-put papers", []paper.Paper{got[ps2[2].ID].p}, []paper.Paper{ps2[2]})
}

func testInvalid(t *testing.T, b backend) {
	st, _ := b.open(t)
	ps, vs := batch(8, "inv:", 3)
	bad := func(f func(ps []paper.Paper, vs [][]float32) ([]paper.Paper, [][]float32)) ([]paper.Paper, [][]float32) {
		p2, v2 := slices.Clone(ps), slices.Clone(vs)
		return f(p2, v2)
	}
	cases := []struct {
		name string
		ps   []paper.Paper
		vs   [][]float32
	}{}
	add := func(name string, f func(ps []paper.Paper, vs [][]float32) ([]paper.Paper, [][]float32)) {
		p, v := bad(f)
		cases = append(cases, struct {
			name string
			ps   []paper.Paper
			vs   [][]float32
		}{name, p, v})
	}
	add("empty id", func(p []paper.Paper, v [][]float32) ([]paper.Paper, [][]float32) { p[1].ID = ""; return p, v })
	add("no title", func(p []paper.Paper, v [][]float32) ([]paper.Paper, [][]float32) { p[1].Title = " "; return p, v })
	add("no abstract", func(p []paper.Paper, v [][]float32) ([]paper.Paper, [][]float32) { p[2].Abstract = ""; return p, v })
	add("duplicate id", func(p []paper.Paper, v [][]float32) ([]paper.Paper, [][]float32) { p[2].ID = p[0].ID; return p, v })
	add("NaN", func(p []paper.Paper, v [][]float32) ([]paper.Paper, [][]float32) {
		v[1] = slices.Clone(v[1])
		v[1][3] = float32(math.NaN())
		return p, v
	})
	add("short vector", func(p []paper.Paper, v [][]float32) ([]paper.Paper, [][]float32) { v[2] = v[2][:dims-1]; return p, v })
	add("vector count", func(p []paper.Paper, v [][]float32) ([]paper.Paper, [][]float32) { return p, v[:2] })
	for _, c := range cases {
		if err := st.PutPapers(c.ps, model, c.vs); !b.invalid(err) {
			t.Errorf("PutPapers with %s: got %v, want an invalid-input error", c.name, err)
		}
	}
	if n, err := st.Count(); err != nil || n != 0 {
		t.Errorf("Count() after rejected batches = %d, %v; want 0", n, err)
	}
	if err := st.PutPapers(ps, model, vs); err != nil {
		t.Fatal(err)
	}
	if err := st.PutVectors(model, []string{ps[0].ID}, [][]float32{make([]float32, dims+1)}); !b.invalid(err) {
		t.Errorf("PutVectors with other dimensions: got %v, want an invalid-input error", err)
	}
}

func searchFixture(t *testing.T, b backend, n int) (engine.Store, engine.Index, []paper.Paper, [][]float32) {
	st, ix := b.open(t)
	ps, vs := batch(9, "s:", n)
	put(t, st, ix, ps, vs)
	return st, ix, ps, vs
}

// checkHits compares hits with the exact answer: scores must be the exact
// cosines of the returned ids, in order, and the ids must be the exact
// ones (approximate searches may miss at most maxMiss of them).
func checkHits(t *testing.T, what string, got, want []engine.Hit, vecOf map[string][]float32, q []float32, maxMiss int) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d hits %v, want %d %v", what, len(got), got, len(want), want)
	}
	wantIDs := map[string]bool{}
	for _, h := range want {
		wantIDs[h.ID] = true
	}
	miss := 0
	for i, h := range got {
		v, ok := vecOf[h.ID]
		if !ok {
			t.Fatalf("%s: hit %d is %q, not a paper of the query's set", what, i, h.ID)
		}
		if d := math.Abs(h.Score - dot(q, v)); d > 1e-5 {
			t.Errorf("%s: hit %q score %v, want %v", what, h.ID, h.Score, dot(q, v))
		}
		if i > 0 && h.Score > got[i-1].Score+1e-6 {
			t.Errorf("%s: hits not best first: %v", what, got)
		}
		if !wantIDs[h.ID] {
			miss++
		}
	}
	if miss > maxMiss {
		t.Errorf("%s: %d of %d hits are not among the exact best (allowed %d):\ngot  %v\nwant %v", what, miss, len(got), maxMiss, got, want)
	}
}

func testSearch(t *testing.T, b backend) {
	_, ix, ps, vs := searchFixture(t, b, 400)
	vecOf := map[string][]float32{}
	for i, p := range ps {
		vecOf[p.ID] = vs[i]
	}
	ctx := context.Background()
	r := rand.New(rand.NewPCG(10, 10))
	for qi := range 5 {
		q := unit(r)
		for _, exact := range []bool{false, true} {
			got, err := ix.Search(ctx, q, 10, engine.SearchOptions{Exact: exact})
			if err != nil {
				t.Fatalf("Search(exact=%v): %v", exact, err)
			}
			maxMiss := 1
			if exact {
				maxMiss = 0
			}
			checkHits(t, fmt.Sprintf("query %d exact=%v", qi, exact), got, bruteForce(ps, vs, q, 10, nil), vecOf, q, maxMiss)
		}
	}
	// A paper's own vector finds it first, unless skipped.
	self := ps[17].ID
	got, err := ix.Search(ctx, vs[17], 3, engine.SearchOptions{})
	if err != nil || len(got) == 0 || got[0].ID != self {
		t.Errorf("Search(own vector) = %v, %v; want %s first", got, err, self)
	}
	skip := map[string]bool{self: true}
	got, err = ix.Search(ctx, vs[17], 3, engine.SearchOptions{Skip: skip, Exclude: exclude(nil, skip, "", "")})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range got {
		if h.ID == self {
			t.Errorf("Search with Skip returned skipped %s", self)
		}
	}
	if len(got) != 3 {
		t.Errorf("Search with Skip returned %d hits, want 3", len(got))
	}
	if got, err := ix.Search(ctx, vs[0], 0, engine.SearchOptions{}); err != nil || len(got) != 0 {
		t.Errorf("Search(k=0) = %v, %v; want nothing", got, err)
	}
}

func testSearchFilters(t *testing.T, b backend) {
	_, ix, ps, vs := searchFixture(t, b, 300)
	byID, vecOf := map[string]paper.Paper{}, map[string][]float32{}
	for i, p := range ps {
		byID[p.ID], vecOf[p.ID] = p, vs[i]
	}
	ctx := context.Background()
	r := rand.New(rand.NewPCG(11, 11))
	day := ""
	for _, p := range ps {
		if p.Published != "" {
			day = p.Published
			break
		}
	}
	skipMany := map[string]bool{}
	for _, p := range ps[:40] {
		skipMany[p.ID] = true
	}
	for _, tc := range []struct {
		name          string
		skip          map[string]bool
		after, before string
	}{
		{"after", nil, "2018-01-01", ""},
		{"before", nil, "", "2015-06-30"},
		{"range", nil, "2013-01-01", "2016-12-31"},
		{"one day", nil, day, day},
		{"many skipped", skipMany, "", ""},
		{"skipped and dated", skipMany, "2012-01-01", ""},
	} {
		q := unit(r)
		for _, exact := range []bool{false, true} {
			drop := exclude(byID, tc.skip, tc.after, tc.before)
			got, err := ix.Search(ctx, q, 10, engine.SearchOptions{
				Exact: exact, Skip: tc.skip, PublishedAfter: tc.after, PublishedBefore: tc.before, Exclude: drop,
			})
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			for _, h := range got {
				if drop(h.ID) {
					t.Errorf("%s: returned %s (published %q), which the filter excludes", tc.name, h.ID, byID[h.ID].Published)
				}
			}
			maxMiss := 1
			if exact {
				maxMiss = 0
			}
			checkHits(t, fmt.Sprintf("%s exact=%v", tc.name, exact), got, bruteForce(ps, vs, q, 10, drop), vecOf, q, maxMiss)
		}
	}
}

func testScoreAndVectors(t *testing.T, b backend) {
	_, ix, ps, vs := searchFixture(t, b, 50)
	ctx := context.Background()
	q := unit(rand.New(rand.NewPCG(12, 12)))
	want := []string{ps[3].ID, "unknown", ps[40].ID, ps[3].ID}
	got, err := ix.Score(ctx, q, want)
	if err != nil {
		t.Fatal(err)
	}
	exp := []float64{dot(q, vs[3]), 0, dot(q, vs[40]), dot(q, vs[3])}
	for i := range exp {
		if math.Abs(got[i]-exp[i]) > 1e-5 {
			t.Errorf("Score(%s) = %v, want %v", want[i], got[i], exp[i])
		}
	}
	vecs, err := ix.Vectors(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(vecs[0], vs[3]) || vecs[1] != nil || !slices.Equal(vecs[2], vs[40]) || !slices.Equal(vecs[3], vs[3]) {
		t.Errorf("Vectors(%v) = %v", want, vecs)
	}
	vecs[0][0] = 42 // the caller may modify them
	again, _ := ix.Vectors(ctx, want[:1])
	if again[0][0] == 42 {
		t.Errorf("Vectors returned the index's own slice")
	}
}
