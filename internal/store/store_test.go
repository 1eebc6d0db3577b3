package store

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/recommend-dev/recommend/internal/paper"
)

var quiet = slog.New(slog.DiscardHandler)

// openTemp opens a new store in a temporary directory, closed at cleanup.
func openTemp(tb testing.TB, opts *Options) *Store {
	tb.Helper()
	if opts == nil {
		opts = &Options{}
	}
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	s, err := Open(filepath.Join(tb.TempDir(), "data", "recommend.db"), opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

var words = strings.Fields(`vector embedding retrieval transformer attention graph
neural network sparse dense quantisation language model corpus benchmark
contrastive learning citation recommendation similarity cosine index latency
memory bandwidth approximate nearest neighbour recall precision`)

func sentence(r *rand.Rand, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(words[r.IntN(len(words))])
	}
	return b.String()
}

// makePaper returns a deterministic paper with a realistic amount of text.
func makePaper(r *rand.Rand, id string) paper.Paper {
	p := paper.Paper{
		ID:       id,
		Title:    sentence(r, 8),
		Abstract: sentence(r, 180),
	}
	if r.IntN(2) == 0 {
		p.Authors = []string{"Ada Lovelace", "Alan Turing", "Grace Hopper"}[:1+r.IntN(3)]
		p.AuthorCount = len(p.Authors)
		p.Published = fmt.Sprintf("20%02d-%02d-%02d", r.IntN(25), 1+r.IntN(12), 1+r.IntN(28))
		p.Categories = []string{"cs.IR", "cs.LG"}
		p.URL = "https://example.org/" + id
		p.DOI = "10.1000/" + id
		p.Organization = "Example Lab"
	}
	return p
}

func makeVec(r *rand.Rand, dims int) []float32 {
	v := make([]float32, dims)
	for i := range v {
		v[i] = r.Float32()*2 - 1
	}
	return v
}

// makeBatch returns n papers with IDs prefix-00000... and vectors of dims.
func makeBatch(r *rand.Rand, prefix string, n, dims int) ([]paper.Paper, [][]float32) {
	ps := make([]paper.Paper, n)
	vs := make([][]float32, n)
	for i := range ps {
		ps[i] = makePaper(r, fmt.Sprintf("%s-%05d", prefix, i))
		vs[i] = makeVec(r, dims)
	}
	return ps, vs
}

func mustPut(tb testing.TB, s *Store, ps []paper.Paper, model string, vs [][]float32) {
	tb.Helper()
	if err := s.PutPapers(ps, model, vs); err != nil {
		tb.Fatalf("PutPapers: %v", err)
	}
}

func mustGet(tb testing.TB, s *Store, id string) paper.Paper {
	tb.Helper()
	p, err := s.Get(id)
	if err != nil {
		tb.Fatalf("Get(%q): %v", id, err)
	}
	return p
}

func wantVector(tb testing.TB, s *Store, model, id string, want []float32) {
	tb.Helper()
	got, err := s.Vector(model, id)
	if want == nil {
		if !errors.Is(err, ErrNotFound) {
			tb.Fatalf("Vector(%q, %q) = %v, %v; want ErrNotFound", model, id, got, err)
		}
		return
	}
	if err != nil {
		tb.Fatalf("Vector(%q, %q): %v", model, id, err)
	}
	if !reflect.DeepEqual(got, want) {
		tb.Fatalf("Vector(%q, %q) differs from what was stored", model, id)
	}
}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	path := filepath.Join(t.TempDir(), "nested", "dir", "recommend.db")
	s, err := Open(path, &Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ps, vs := makeBatch(r, "p", 50, 8)
	ps[0].Authors = []string{"Émilie du Châtelet", ""}
	ps[0].AuthorCount = -1 // stored as given
	mustPut(t, s, ps, "m1", vs)
	if err := s.SetMeta("bundled", "v1"); err != nil {
		t.Fatal(err)
	}
	check := func(s *Store) {
		t.Helper()
		for i, want := range ps {
			if got := mustGet(t, s, want.ID); !reflect.DeepEqual(got, want) {
				t.Errorf("Get(%q) = %+v, want %+v", want.ID, got, want)
			}
			wantVector(t, s, "m1", want.ID, vs[i])
		}
		if n, err := s.Count(); err != nil || n != len(ps) {
			t.Errorf("Count() = %d, %v; want %d", n, err, len(ps))
		}
		if got, err := s.Meta("bundled"); err != nil || got != "v1" {
			t.Errorf("Meta(bundled) = %q, %v; want v1", got, err)
		}
		models, err := s.Models()
		if want := []ModelInfo{{Name: "m1", Dimensions: 8, Count: 50}}; err != nil || !reflect.DeepEqual(models, want) {
			t.Errorf("Models() = %+v, %v; want %+v", models, err, want)
		}
	}
	check(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	s, err = Open(path, &Options{Logger: quiet, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	check(s)
	if s.Path() != path {
		t.Errorf("Path() = %q, want %q", s.Path(), path)
	}
	if s.DB() == nil {
		t.Error("DB() = nil")
	}
}

func TestGetMissing(t *testing.T) {
	s := openTemp(t, nil)
	for _, id := range []string{"nope", ""} {
		if _, err := s.Get(id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(%q) error = %v, want ErrNotFound", id, err)
		}
	}
	if _, err := s.Vector("m", "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Vector of unknown model: %v, want ErrNotFound", err)
	}
	if _, err := s.Meta("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Meta(nope): %v, want ErrNotFound", err)
	}
	if err := s.Delete("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Delete(nope): %v, want ErrNotFound", err)
	}
	if err := s.DeleteModel("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("DeleteModel(nope): %v, want ErrNotFound", err)
	}
}

func TestUpdateSemantics(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	s := openTemp(t, nil)
	ps, a := makeBatch(r, "p", 3, 4)
	mustPut(t, s, ps, "a", a)
	b := [][]float32{makeVec(r, 6), makeVec(r, 6), makeVec(r, 6)}
	if err := s.PutVectors("b", []string{ps[0].ID, ps[1].ID, ps[2].ID}, b); err != nil {
		t.Fatal(err)
	}

	// p0: metadata change only, no vectors: every model's vector stays.
	p0 := ps[0]
	p0.Authors = []string{"Someone Else"}
	mustPut(t, s, []paper.Paper{p0}, "", nil)
	// p1: abstract changes, new vector for "a": "b" is stale and dropped.
	p1 := ps[1]
	p1.Abstract += " revised"
	a1 := makeVec(r, 4)
	mustPut(t, s, []paper.Paper{p1}, "a", [][]float32{a1})
	// p2: title changes, no vectors: every model's vector is stale.
	p2 := ps[2]
	p2.Title = "A different title"
	mustPut(t, s, []paper.Paper{p2}, "", nil)

	for _, tc := range []struct {
		p    paper.Paper
		a, b []float32
	}{
		{p0, a[0], b[0]},
		{p1, a1, nil},
		{p2, nil, nil},
	} {
		if got := mustGet(t, s, tc.p.ID); !reflect.DeepEqual(got, tc.p) {
			t.Errorf("Get(%q) = %+v, want %+v", tc.p.ID, got, tc.p)
		}
		wantVector(t, s, "a", tc.p.ID, tc.a)
		wantVector(t, s, "b", tc.p.ID, tc.b)
	}
	models, err := s.Models()
	want := []ModelInfo{{Name: "a", Dimensions: 4, Count: 2}, {Name: "b", Dimensions: 6, Count: 1}}
	if err != nil || !reflect.DeepEqual(models, want) {
		t.Errorf("Models() = %+v, %v; want %+v", models, err, want)
	}
	if n, _ := s.Count(); n != 3 {
		t.Errorf("Count() = %d after updates, want 3", n)
	}
	if err := s.Verify(); err != nil {
		t.Errorf("Verify after updates: %v", err)
	}
}

func TestDelete(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	s := openTemp(t, nil)
	ps, a := makeBatch(r, "p", 4, 3)
	mustPut(t, s, ps, "a", a)
	if err := s.PutVectors("b", []string{ps[1].ID}, [][]float32{makeVec(r, 5)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ps[1].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ps[1].ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Delete: %v, want ErrNotFound", err)
	}
	wantVector(t, s, "a", ps[1].ID, nil)
	wantVector(t, s, "b", ps[1].ID, nil)
	wantVector(t, s, "a", ps[0].ID, a[0])
	if err := s.Delete(ps[1].ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Delete: %v, want ErrNotFound", err)
	}
	models, _ := s.Models()
	if want := []ModelInfo{{"a", 3, 3}, {"b", 5, 0}}; !reflect.DeepEqual(models, want) {
		t.Errorf("Models() = %+v, want %+v", models, want)
	}
	if n, _ := s.Count(); n != 3 {
		t.Errorf("Count() = %d, want 3", n)
	}
	// Re-adding the deleted ID is a new paper with no vectors.
	mustPut(t, s, []paper.Paper{ps[1]}, "", nil)
	wantVector(t, s, "a", ps[1].ID, nil)
	if err := s.DeleteModel("b"); err != nil {
		t.Fatal(err)
	}
	models, _ = s.Models()
	if want := []ModelInfo{{"a", 3, 3}}; !reflect.DeepEqual(models, want) {
		t.Errorf("Models() after DeleteModel = %+v, want %+v", models, want)
	}
	// The model can come back with other dimensions.
	if err := s.PutVectors("b", []string{ps[0].ID}, [][]float32{makeVec(r, 7)}); err != nil {
		t.Errorf("PutVectors after DeleteModel: %v", err)
	}
	if err := s.Verify(); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

func TestListPaging(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	s := openTemp(t, nil)
	ps, _ := makeBatch(r, "p", 25, 0)
	r.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
	mustPut(t, s, ps, "", nil)
	id := func(i int) string { return fmt.Sprintf("p-%05d", i) }
	for _, tc := range []struct {
		offset, limit int
		want          []string
	}{
		{0, 3, []string{id(0), id(1), id(2)}},
		{10, 2, []string{id(10), id(11)}},
		{23, 10, []string{id(23), id(24)}},
		{25, 10, nil},
		{100, 10, nil},
		{5, 0, nil},
	} {
		got, total, err := s.List(tc.offset, tc.limit)
		if err != nil {
			t.Fatalf("List(%d, %d): %v", tc.offset, tc.limit, err)
		}
		var ids []string
		for _, p := range got {
			ids = append(ids, p.ID)
		}
		if !reflect.DeepEqual(ids, tc.want) || total != 25 {
			t.Errorf("List(%d, %d) = %v, total %d; want %v, total 25", tc.offset, tc.limit, ids, total, tc.want)
		}
	}
	all, _, err := s.List(0, 1000)
	if err != nil || len(all) != 25 {
		t.Fatalf("List(0, 1000) = %d papers, %v", len(all), err)
	}
	for _, p := range all {
		if want := mustGet(t, s, p.ID); !reflect.DeepEqual(p, want) {
			t.Errorf("List entry %q differs from Get", p.ID)
		}
	}
	if _, _, err := s.List(-1, 5); !errors.Is(err, ErrInvalid) {
		t.Errorf("List(-1, 5) error = %v, want ErrInvalid", err)
	}
}

func TestDimensionsMismatch(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	s := openTemp(t, nil)
	ps, vs := makeBatch(r, "p", 2, 8)
	mustPut(t, s, ps[:1], "m", vs[:1])
	err := s.PutPapers(ps[1:], "m", [][]float32{makeVec(r, 9)})
	if !errors.Is(err, ErrDimensions) || !strings.Contains(err.Error(), `"m"`) {
		t.Errorf("PutPapers with 9 dims for an 8-dim model: %v, want ErrDimensions naming the model", err)
	}
	if _, err := s.Get(ps[1].ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("rejected paper was stored: %v", err)
	}
	if err := s.PutVectors("m", []string{ps[0].ID}, [][]float32{makeVec(r, 7)}); !errors.Is(err, ErrDimensions) {
		t.Errorf("PutVectors with 7 dims for an 8-dim model: %v, want ErrDimensions", err)
	}
	wantVector(t, s, "m", ps[0].ID, vs[0])
}

func TestBatchValidation(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	good, goodVecs := makeBatch(r, "g", 3, 4)
	with := func(i int, f func(*paper.Paper)) []paper.Paper {
		ps := append([]paper.Paper(nil), good...)
		f(&ps[i])
		return ps
	}
	withVec := func(i int, v []float32) [][]float32 {
		vs := append([][]float32(nil), goodVecs...)
		vs[i] = v
		return vs
	}
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	for _, tc := range []struct {
		name    string
		papers  []paper.Paper
		model   string
		vectors [][]float32
		index   int // -1: not a BatchError
		want    error
	}{
		{"empty id", with(1, func(p *paper.Paper) { p.ID = "" }), "m", goodVecs, 1, ErrInvalid},
		{"long id", with(2, func(p *paper.Paper) { p.ID = strings.Repeat("x", MaxIDLen+1) }), "m", goodVecs, 2, ErrInvalid},
		{"bad utf8 id", with(0, func(p *paper.Paper) { p.ID = "a\xffb" }), "m", goodVecs, 0, ErrInvalid},
		{"no title", with(1, func(p *paper.Paper) { p.Title = "  " }), "m", goodVecs, 1, ErrInvalid},
		{"no abstract", with(2, func(p *paper.Paper) { p.Abstract = "" }), "m", goodVecs, 2, ErrInvalid},
		{"duplicate id", with(2, func(p *paper.Paper) { p.ID = good[0].ID }), "m", goodVecs, 2, ErrInvalid},
		{"too large", with(1, func(p *paper.Paper) { p.Abstract = strings.Repeat("a", MaxTextLen) }), "", nil, 1, ErrInvalid},
		{"NaN", good, "m", withVec(1, []float32{0, nan, 0, 0}), 1, ErrInvalid},
		{"Inf", good, "m", withVec(2, []float32{0, 0, 0, inf}), 2, ErrInvalid},
		{"empty vector", good, "m", withVec(1, []float32{}), 1, ErrInvalid},
		{"ragged dims", good, "m", withVec(2, []float32{1, 2, 3}), 2, ErrDimensions},
		{"vector count", good, "m", goodVecs[:2], -1, ErrInvalid},
		{"no model", good, "", goodVecs, -1, ErrInvalid},
		{"huge dims", good[:1], "m", [][]float32{make([]float32, MaxDimensions+1)}, 0, ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTemp(t, nil)
			err := s.PutPapers(tc.papers, tc.model, tc.vectors)
			if !errors.Is(err, tc.want) {
				t.Fatalf("PutPapers error = %v, want %v", err, tc.want)
			}
			var be *BatchError
			if got := errors.As(err, &be); got != (tc.index >= 0) {
				t.Fatalf("PutPapers error %v: BatchError = %v, want %v", err, got, tc.index >= 0)
			}
			if be != nil && be.Index != tc.index {
				t.Errorf("BatchError.Index = %d, want %d (%v)", be.Index, tc.index, err)
			}
			if n, _ := s.Count(); n != 0 {
				t.Errorf("Count() = %d after a rejected batch, want 0", n)
			}
		})
	}
}

func TestPutVectorsUnknownPaper(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	s := openTemp(t, nil)
	ps, _ := makeBatch(r, "p", 2, 0)
	mustPut(t, s, ps, "", nil)
	err := s.PutVectors("m", []string{ps[1].ID, "missing", ps[0].ID}, [][]float32{{1}, {2}, {3}})
	var be *BatchError
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &be) || be.Index != 1 || be.ID != "missing" {
		t.Fatalf("PutVectors with an unknown ID: %v, want BatchError{Index: 1, ID: missing} wrapping ErrNotFound", err)
	}
	wantVector(t, s, "m", ps[1].ID, nil)
	if models, _ := s.Models(); len(models) != 0 {
		t.Errorf("Models() = %+v after a rejected batch, want none", models)
	}
}

func TestScan(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	s := openTemp(t, nil)
	n := scanChunk*2 + 17 // crosses chunk boundaries
	ps, vs := makeBatch(r, "p", n, 4)
	// Papers 0 mod 3 have no vector for "m"; a second model covers others.
	var withVec []paper.Paper
	var vecs [][]float32
	want := map[string][]float32{}
	for i := range ps {
		if i%3 != 0 {
			withVec = append(withVec, ps[i])
			vecs = append(vecs, vs[i])
			want[ps[i].ID] = vs[i]
		}
	}
	mustPut(t, s, ps, "", nil)
	mustPut(t, s, withVec, "m", vecs)
	if err := s.PutVectors("other", []string{ps[0].ID, ps[3].ID}, [][]float32{{1, 2}, {3, 4}}); err != nil {
		t.Fatal(err)
	}

	i := 0
	err := s.Scan("m", func(p paper.Paper, vec []float32) error {
		if p.ID != ps[i].ID {
			t.Fatalf("Scan paper %d = %q, want %q", i, p.ID, ps[i].ID)
		}
		if !reflect.DeepEqual(p, ps[i]) {
			t.Errorf("Scan paper %q differs from what was stored", p.ID)
		}
		if !reflect.DeepEqual(vec, want[p.ID]) {
			t.Errorf("Scan vector of %q = %v, want %v", p.ID, vec, want[p.ID])
		}
		i++
		return nil
	})
	if err != nil || i != n {
		t.Fatalf("Scan: %d papers, %v; want %d", i, err, n)
	}

	got := 0
	err = s.ScanVectors("m", func(id string, vec []float32) error {
		if !reflect.DeepEqual(vec, want[id]) {
			t.Errorf("ScanVectors %q: wrong vector", id)
		}
		got++
		return nil
	})
	if err != nil || got != len(want) {
		t.Errorf("ScanVectors: %d vectors, %v; want %d", got, err, len(want))
	}
	if err := s.ScanVectors("unknown", func(string, []float32) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Errorf("ScanVectors(unknown) = %v, want ErrNotFound", err)
	}

	for _, model := range []string{"", "unknown"} {
		count := 0
		if err := s.Scan(model, func(p paper.Paper, vec []float32) error {
			if vec != nil {
				t.Fatalf("Scan(%q) gave a vector for %q", model, p.ID)
			}
			count++
			return nil
		}); err != nil || count != n {
			t.Errorf("Scan(%q): %d papers, %v; want %d", model, count, err, n)
		}
	}

	stop := errors.New("stop")
	calls := 0
	if err := s.Scan("m", func(paper.Paper, []float32) error {
		calls++
		if calls == 5 {
			return stop
		}
		return nil
	}); err != stop || calls != 5 {
		t.Errorf("Scan stopped with %v after %d calls, want stop after 5", err, calls)
	}
}

// TestScanWhileWriting checks that a Scan concurrent with writers sees every
// paper that existed before it started, each with its own vector, and that
// writers are not blocked by a slow callback.
func TestScanWhileWriting(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	s := openTemp(t, nil)
	ps, vs := makeBatch(r, "a", scanChunk+100, 4)
	mustPut(t, s, ps, "m", vs)
	want := map[string][]float32{}
	for i := range ps {
		want[ps[i].ID] = vs[i]
	}

	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	writes := 0
	go func() {
		defer wg.Done()
		wr := rand.New(rand.NewPCG(19, 20))
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			bp, bv := makeBatch(wr, fmt.Sprintf("b%04d", i), 20, 4)
			if err := s.PutPapers(bp, "m", bv); err != nil {
				t.Error(err)
				return
			}
			writes++
		}
	}()
	seen := 0
	err := s.Scan("m", func(p paper.Paper, vec []float32) error {
		if w, ok := want[p.ID]; ok {
			seen++
			if !reflect.DeepEqual(vec, w) {
				t.Errorf("Scan vector of %q is not its own", p.ID)
			}
		} else if len(vec) != 4 {
			t.Errorf("Scan: new paper %q has vector %v", p.ID, vec)
		}
		if seen == 10 {
			time.Sleep(50 * time.Millisecond) // a slow consumer
		}
		return nil
	})
	close(done)
	wg.Wait()
	if err != nil || seen != len(ps) {
		t.Errorf("Scan while writing: saw %d of %d old papers, %v", seen, len(ps), err)
	}
	if writes == 0 {
		t.Error("no write completed during the scan")
	}
	if err := s.Verify(); err != nil {
		t.Error(err)
	}
}

func TestMeta(t *testing.T) {
	s := openTemp(t, nil)
	for _, kv := range [][2]string{{"a", "1"}, {"a", "2"}, {"empty", ""}} {
		if err := s.SetMeta(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Meta(kv[0]); err != nil || got != kv[1] {
			t.Errorf("Meta(%q) = %q, %v; want %q", kv[0], got, err, kv[1])
		}
	}
	if err := s.SetMeta("", "x"); !errors.Is(err, ErrInvalid) {
		t.Errorf("SetMeta with empty key: %v, want ErrInvalid", err)
	}
}

func TestLocked(t *testing.T) {
	s := openTemp(t, nil)
	start := time.Now()
	_, err := Open(s.Path(), &Options{LockTimeout: 200 * time.Millisecond, Logger: quiet})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), s.Path()) {
		t.Fatalf("second Open = %v, want ErrLocked naming %s", err, s.Path())
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("second Open gave up after %v, before its lock timeout", d)
	}
}

func TestReadOnly(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	s := openTemp(t, nil)
	ps, vs := makeBatch(r, "p", 3, 2)
	mustPut(t, s, ps, "m", vs)
	path := s.Path()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := Open(path, &Options{ReadOnly: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if got := mustGet(t, ro, ps[1].ID); !reflect.DeepEqual(got, ps[1]) {
		t.Errorf("read-only Get = %+v", got)
	}
	if err := ro.PutPapers(ps, "", nil); !errors.Is(err, ErrReadOnly) {
		t.Errorf("PutPapers on a read-only store: %v, want ErrReadOnly", err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing.db"), &Options{ReadOnly: true, Logger: quiet}); err == nil {
		t.Error("read-only Open of a missing file succeeded")
	}
}

func TestOpenRefusesForeignFiles(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(dir, "text.db")
	if err := os.WriteFile(text, []byte(strings.Repeat("not a database\n", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{empty, text} {
		_, err := Open(path, &Options{Logger: quiet})
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) {
			t.Errorf("Open(%s) = %v, want ErrCorrupt naming the file", filepath.Base(path), err)
		}
	}
	if _, err := Open(dir, &Options{Logger: quiet}); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("Open(directory) = %v, want an error saying it is a directory", err)
	}
	// The files are left as they were.
	if st, err := os.Stat(empty); err != nil || st.Size() != 0 {
		t.Errorf("empty file changed: %v, %v", st, err)
	}
}

func TestConcurrentWriters(t *testing.T) {
	s := openTemp(t, nil)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 99))
			for i := range 5 {
				ps, vs := makeBatch(r, fmt.Sprintf("w%d-%d", w, i), 10, 3)
				if err := s.PutPapers(ps, "m", vs); err != nil {
					t.Error(err)
				}
				if _, _, err := s.List(0, 5); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if n, _ := s.Count(); n != 4*5*10 {
		t.Errorf("Count() = %d, want %d", n, 4*5*10)
	}
	if err := s.Verify(); err != nil {
		t.Error(err)
	}
}

func TestGetMany(t *testing.T) {
	s := openTemp(t, nil)
	r := rand.New(rand.NewPCG(7, 7))
	ps := []paper.Paper{makePaper(r, "a"), makePaper(r, "b"), makePaper(r, "c")}
	if err := s.PutPapers(ps, "", nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ids  []string
		want []string
	}{
		{nil, nil},
		{[]string{"c", "a"}, []string{"c", "a"}},
		{[]string{"nope", "b", "", "b"}, []string{"b", "b"}},
	} {
		got, err := s.GetMany(tc.ids)
		if err != nil {
			t.Fatalf("GetMany(%q): %v", tc.ids, err)
		}
		var gotIDs []string
		for _, p := range got {
			gotIDs = append(gotIDs, p.ID)
			want, err := s.Get(p.ID)
			if err != nil || !reflect.DeepEqual(p, want) {
				t.Errorf("GetMany(%q) paper %s = %+v, want %+v as Get gives (%v)", tc.ids, p.ID, p, want, err)
			}
		}
		if !reflect.DeepEqual(gotIDs, tc.want) {
			t.Errorf("GetMany(%q) ids = %q, want %q", tc.ids, gotIDs, tc.want)
		}
	}
}
