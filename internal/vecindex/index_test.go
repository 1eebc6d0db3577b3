package vecindex

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"sync"
	"testing"
	"unsafe"

	"github.com/recommend-dev/recommend/internal/synth"
)

func randUnit(r *rand.Rand, dims int) []float32 {
	v := make([]float32, dims)
	var ss float64
	for i := range v {
		v[i] = float32(r.NormFloat64())
		ss += float64(v[i]) * float64(v[i])
	}
	inv := float32(1 / math.Sqrt(ss))
	for i := range v {
		v[i] *= inv
	}
	return v
}

type scored struct {
	id    string
	score float64
}

// bruteForce ranks all live vectors by their float64 dot product with q.
func bruteForce(ids []string, vecs map[string][]float32, q []float32, exclude func(string) bool) []scored {
	var out []scored
	for _, id := range ids {
		v, ok := vecs[id]
		if !ok || (exclude != nil && exclude(id)) {
			continue
		}
		var s float64
		for i := range v {
			s += float64(v[i]) * float64(q[i])
		}
		out = append(out, scored{id, s})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].score > out[j].score })
	return out
}

// checkExact checks that got are the top len(got) of want, in order, ties
// (scores within tol) aside, and that got has min(k, len(want)) hits.
func checkExact(t *testing.T, got []Hit, want []scored, k int) {
	t.Helper()
	const tol = 1e-5
	if n := min(k, len(want)); len(got) != n {
		t.Fatalf("got %d hits, want %d", len(got), n)
	}
	rank := make(map[string]int, len(want))
	for i, w := range want {
		rank[w.id] = i
	}
	for i, h := range got {
		r, ok := rank[h.ID]
		if !ok {
			t.Fatalf("hit %d: %q is not a live, non-excluded id", i, h.ID)
		}
		if d := math.Abs(float64(h.Score) - want[r].score); d > tol {
			t.Errorf("hit %d %q: score %v, want %v", i, h.ID, h.Score, want[r].score)
		}
		if d := math.Abs(want[r].score - want[i].score); d > tol {
			t.Errorf("hit %d: %q has score %v, brute force has %q with %v at this rank", i, h.ID, want[r].score, want[i].id, want[i].score)
		}
		if i > 0 && h.Score > got[i-1].Score {
			t.Errorf("hit %d scores %v, above hit %d's %v", i, h.Score, i-1, got[i-1].Score)
		}
	}
	seen := map[string]bool{}
	for _, h := range got {
		if seen[h.ID] {
			t.Errorf("%q returned twice", h.ID)
		}
		seen[h.ID] = true
	}
}

// fill adds n random vectors and returns their ids and a copy of the data.
func fill(t testing.TB, x *Index, r *rand.Rand, n int) ([]string, map[string][]float32) {
	t.Helper()
	ids := make([]string, n)
	vecs := make([][]float32, n)
	m := make(map[string][]float32, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("doc-%d", i)
		vecs[i] = randUnit(r, x.Dims())
		m[ids[i]] = vecs[i]
	}
	if err := x.AddBatch(ids, vecs); err != nil {
		t.Fatal(err)
	}
	return ids, m
}

func TestExactEqualsBruteForce(t *testing.T) {
	for _, tc := range []struct{ dims, n, k, workers int }{
		{dims: 7, n: 50, k: 5, workers: 1},
		{dims: 37, n: 3000, k: 10, workers: 0},
		{dims: 64, n: 9000, k: 25, workers: 2},
		{dims: 100, n: 9000, k: 1, workers: 3},
	} {
		t.Run(fmt.Sprintf("dims=%d/n=%d/k=%d", tc.dims, tc.n, tc.k), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(tc.dims), uint64(tc.n)))
			x := New(tc.dims, WithWorkers(tc.workers))
			ids, m := fill(t, x, r, tc.n)
			for range 5 {
				q := randUnit(r, tc.dims)
				got, err := x.Search(q, tc.k, SearchOptions{Exact: true})
				if err != nil {
					t.Fatal(err)
				}
				checkExact(t, got, bruteForce(ids, m, q, nil), tc.k)
			}
		})
	}
}

// recallAt10 is the fraction of want's ids that got has.
func recallAt(got, want []Hit) float64 {
	if len(want) == 0 {
		return 1
	}
	in := make(map[string]bool, len(want))
	for _, h := range want {
		in[h.ID] = true
	}
	n := 0
	for _, h := range got {
		if in[h.ID] {
			n++
		}
	}
	return float64(n) / float64(len(want))
}

func TestApproxRecallClustered(t *testing.T) {
	const n, dims = 20000, 256
	c := synth.New(synth.Config{N: n, Dims: dims, Seed: 42})
	vecs := c.Vectors()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = c.ID(i)
	}
	for _, bits := range []int{8, 4} {
		t.Run(fmt.Sprintf("bits=%d", bits), func(t *testing.T) {
			testRecall(t, c, ids, vecs, bits)
		})
	}
}

func testRecall(t *testing.T, c *synth.Corpus, ids []string, vecs [][]float32, bits int) {
	const k = 10
	n, dims := len(vecs), len(vecs[0])
	x := New(dims, WithBits(bits))
	if err := x.AddBatch(ids, vecs); err != nil {
		t.Fatal(err)
	}
	var sum float64
	queries := 0
	for j := range 60 {
		var q []float32
		switch {
		case j%6 == 5:
			q = c.RandomVector(j) // a direction far from every cluster
		case j%2 == 0:
			q = c.Vector(n+j, nil) // held out, near a cluster
		default:
			q = vecs[(j*7919)%n] // a stored paper, as related-papers asks
		}
		want, err := x.Search(q, k, SearchOptions{Exact: true})
		if err != nil {
			t.Fatal(err)
		}
		got, err := x.Search(q, k, SearchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sum += recallAt(got, want)
		queries++
		for i := 1; i < len(got); i++ {
			if got[i].Score > got[i-1].Score {
				t.Errorf("query %d: hits not sorted: %v", j, got)
			}
		}
	}
	recall := sum / float64(queries)
	t.Logf("%d-bit codes: recall@%d = %.4f over %d queries (kernel %s)", bits, k, recall, queries, Kernel())
	if recall < 0.95 {
		t.Errorf("recall@%d = %.4f, want >= 0.95", k, recall)
	}
}

func TestExclude(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	const dims = 48
	for _, bits := range []int{8, 4} {
		x := New(dims, WithBits(bits))
		ids, m := fill(t, x, r, 10000)
		testExclude(t, r, x, ids, m)
	}
}

func testExclude(t *testing.T, r *rand.Rand, x *Index, ids []string, m map[string][]float32) {
	dims := x.Dims()
	for _, exact := range []bool{false, true} {
		for _, tc := range []struct {
			name string
			ex   func(string) bool
		}{
			{"odd", func(id string) bool { return id[len(id)-1]%2 == 1 }},
			{"all but 3", func(id string) bool { return id != "doc-1" && id != "doc-500" && id != "doc-9999" }},
			{"everything", func(string) bool { return true }},
		} {
			t.Run(fmt.Sprintf("bits=%d/exact=%v/%s", x.bits, exact, tc.name), func(t *testing.T) {
				q := randUnit(r, dims)
				got, err := x.Search(q, 10, SearchOptions{Exact: exact, Exclude: tc.ex})
				if err != nil {
					t.Fatal(err)
				}
				want := bruteForce(ids, m, q, tc.ex)
				if len(got) != min(10, len(want)) {
					t.Fatalf("got %d hits, want %d", len(got), min(10, len(want)))
				}
				for _, h := range got {
					if tc.ex(h.ID) {
						t.Errorf("excluded %q returned", h.ID)
					}
				}
				if exact {
					checkExact(t, got, want, 10)
				}
			})
		}
	}
}

func TestKLargerThanLen(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, n := range []int{0, 1, 5, 300, 5000} {
		x := New(16, WithBits(4-4*(n%2)))
		ids, m := fill(t, x, r, n)
		x.Delete("doc-0")
		delete(m, "doc-0")
		for _, exact := range []bool{false, true} {
			q := randUnit(r, 16)
			got, err := x.Search(q, n+10, SearchOptions{Exact: exact})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != x.Len() {
				t.Fatalf("n=%d exact=%v: got %d hits, want Len()=%d", n, exact, len(got), x.Len())
			}
			checkExact(t, got, bruteForce(ids, m, q, nil), n+10)
		}
	}
}

func TestDeleteReplace(t *testing.T) {
	for _, bits := range []int{8, 4} {
		t.Run(fmt.Sprintf("bits=%d", bits), func(t *testing.T) { testDeleteReplace(t, bits) })
	}
}

func testDeleteReplace(t *testing.T, bits int) {
	r := rand.New(rand.NewPCG(15, 16))
	const dims = 32
	x := New(dims, WithBits(bits))
	ids, m := fill(t, x, r, 6000)
	if got, want := x.Len(), 6000; got != want {
		t.Fatalf("Len = %d, want %d", got, want)
	}
	// Delete every third; a second delete reports false.
	for i := 0; i < len(ids); i += 3 {
		if !x.Delete(ids[i]) {
			t.Fatalf("Delete(%q) = false, want true", ids[i])
		}
		if x.Delete(ids[i]) {
			t.Fatalf("second Delete(%q) = true, want false", ids[i])
		}
		delete(m, ids[i])
		if _, ok := x.Vector(ids[i]); ok {
			t.Fatalf("Vector(%q) found after delete", ids[i])
		}
	}
	if got, want := x.Len(), len(m); got != want {
		t.Fatalf("Len after deletes = %d, want %d", got, want)
	}
	rowsBefore := x.Stats().Rows
	// Replace some live ids, add new ones (reusing the free rows).
	for i := 1; i < 600; i += 3 {
		v := randUnit(r, dims)
		if err := x.Add(ids[i], v); err != nil {
			t.Fatal(err)
		}
		m[ids[i]] = v
	}
	for i := range 1000 {
		id := fmt.Sprintf("new-%d", i)
		v := randUnit(r, dims)
		if err := x.Add(id, v); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		m[id] = v
	}
	if got, want := x.Len(), len(m); got != want {
		t.Fatalf("Len = %d, want %d", got, want)
	}
	if got := x.Stats().Rows; got != rowsBefore {
		t.Errorf("rows grew from %d to %d although 2000 rows were free", rowsBefore, got)
	}
	// Vector returns the caller's very slice.
	for _, id := range []string{"doc-1", "doc-5", "new-7"} {
		v, ok := x.Vector(id)
		if !ok || unsafe.SliceData(v) != unsafe.SliceData(m[id]) || len(v) != dims {
			t.Errorf("Vector(%q) is not the slice given to Add", id)
		}
	}
	for _, exact := range []bool{false, true} {
		for range 5 {
			q := randUnit(r, dims)
			got, err := x.Search(q, 20, SearchOptions{Exact: exact, Rerank: 400})
			if err != nil {
				t.Fatal(err)
			}
			want := bruteForce(ids, m, q, nil)
			for _, h := range got {
				if _, ok := m[h.ID]; !ok {
					t.Fatalf("deleted %q returned", h.ID)
				}
			}
			if exact {
				checkExact(t, got, want, 20)
			}
		}
		// A replaced vector is found by itself.
		got, err := x.Search(m["doc-4"], 1, SearchOptions{Exact: exact})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].ID != "doc-4" || math.Abs(float64(got[0].Score)-1) > 1e-5 {
			t.Errorf("exact=%v: searching doc-4's new vector gave %v", exact, got)
		}
	}
}

func TestBadInput(t *testing.T) {
	x := New(4)
	nan := float32(math.NaN())
	for _, tc := range []struct {
		name string
		id   string
		vec  []float32
	}{
		{"empty id", "", []float32{1, 0, 0, 0}},
		{"short", "a", []float32{1, 0, 0}},
		{"long", "a", []float32{1, 0, 0, 0, 0}},
		{"nil", "a", nil},
		{"not unit", "a", []float32{1, 1, 0, 0}},
		{"zero", "a", []float32{0, 0, 0, 0}},
		{"nan", "a", []float32{nan, 0, 0, 0}},
		{"inf", "a", []float32{float32(math.Inf(1)), 0, 0, 0}},
	} {
		if err := x.Add(tc.id, tc.vec); err == nil {
			t.Errorf("%s: Add(%q, %v) = nil error, want one", tc.name, tc.id, tc.vec)
		}
	}
	if err := x.AddBatch([]string{"a", "b"}, [][]float32{{1, 0, 0, 0}}); err == nil {
		t.Error("AddBatch with 2 ids and 1 vector: nil error")
	}
	// A batch with one bad vector adds nothing.
	if err := x.AddBatch([]string{"a", "b"}, [][]float32{{1, 0, 0, 0}, {2, 0, 0, 0}}); err == nil || x.Len() != 0 {
		t.Errorf("bad batch: err %v, Len %d; want an error and 0", err, x.Len())
	}
	if err := x.Add("a", []float32{0, 1, 0, 0}); err != nil {
		t.Fatal(err)
	}
	for _, q := range [][]float32{nil, {1, 0}, {0, 0, 0, 0}, {nan, 1, 0, 0}} {
		if _, err := x.Search(q, 3, SearchOptions{}); err == nil {
			t.Errorf("Search(%v) = nil error, want one", q)
		}
	}
	// A query need not be unit length.
	got, err := x.Search([]float32{0, 3, 0, 0}, 3, SearchOptions{})
	if err != nil || len(got) != 1 || got[0].ID != "a" || math.Abs(float64(got[0].Score)-1) > 1e-6 {
		t.Errorf("Search(non-unit) = %v, %v; want [a 1]", got, err)
	}
	if got, err := x.Search([]float32{0, 1, 0, 0}, 0, SearchOptions{}); err != nil || len(got) != 0 {
		t.Errorf("Search(k=0) = %v, %v; want nothing", got, err)
	}
}

// TestIDTableModel drives the id table with random inserts and removes and
// compares it with a map.
func TestIDTableModel(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	tab := newIDTable()
	byOrd := map[int32]string{}
	model := map[string]int32{}
	idAt := func(o int32) string { return byOrd[o] }
	next := int32(0)
	for step := range 60000 {
		id := "k" + strconv.Itoa(r.IntN(3000))
		if r.IntN(3) == 0 {
			got, ok := tab.remove(id, idAt)
			want, wok := model[id]
			if ok != wok || (ok && got != want) {
				t.Fatalf("step %d: remove(%q) = %d,%v; want %d,%v", step, id, got, ok, want, wok)
			}
			delete(model, id)
			continue
		}
		got, ok := tab.find(id, idAt)
		want, wok := model[id]
		if ok != wok || (ok && got != want) {
			t.Fatalf("step %d: find(%q) = %d,%v; want %d,%v", step, id, got, ok, want, wok)
		}
		if !ok {
			byOrd[next] = id
			tab.insert(id, next)
			model[id] = next
			next++
		}
	}
	if tab.count != len(model) {
		t.Errorf("count = %d, want %d", tab.count, len(model))
	}
	for id, want := range model {
		if got, ok := tab.find(id, idAt); !ok || got != want {
			t.Errorf("find(%q) = %d,%v; want %d", id, got, ok, want)
		}
	}
}

func TestConcurrent(t *testing.T) {
	const dims = 32
	x := New(dims, WithWorkers(2), WithBits(4))
	r := rand.New(rand.NewPCG(19, 20))
	base := make([][]float32, 3000)
	ids := make([]string, len(base))
	for i := range base {
		base[i] = randUnit(r, dims)
		ids[i] = fmt.Sprintf("base-%d", i)
	}
	if err := x.AddBatch(ids, base); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 3 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 99))
			for i := range 300 {
				id := fmt.Sprintf("w%d-%d", w, i%50)
				switch r.IntN(4) {
				case 0:
					x.Delete(id)
				case 1:
					batch := make([][]float32, 40)
					bids := make([]string, 40)
					for j := range batch {
						batch[j] = randUnit(r, dims)
						bids[j] = fmt.Sprintf("w%d-b%d", w, r.IntN(200))
					}
					if err := x.AddBatch(bids, batch); err != nil {
						errs <- err
						return
					}
				default:
					if err := x.Add(id, randUnit(r, dims)); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	for s := range 3 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(s), 7))
			for range 200 {
				q := randUnit(r, dims)
				hits, err := x.Search(q, 10, SearchOptions{Exact: r.IntN(2) == 0, Exclude: func(id string) bool { return id[0] == 'w' && id[len(id)-1] == '3' }})
				if err != nil {
					errs <- err
					return
				}
				if len(hits) != 10 {
					errs <- fmt.Errorf("got %d hits, want 10", len(hits))
					return
				}
				for _, h := range hits {
					if h.ID == "" {
						errs <- fmt.Errorf("empty id in %v", hits)
						return
					}
				}
				if v, ok := x.Vector(hits[0].ID); ok && len(v) != dims {
					errs <- fmt.Errorf("Vector has %d dims", len(v))
					return
				}
				_ = x.Len()
				_ = x.Stats()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// The table and the rows agree after the storm.
	n := 0
	for _, c := range x.chunks {
		for _, id := range c.ids {
			if id != "" {
				n++
				if _, ok := x.Vector(id); !ok {
					t.Errorf("row with id %q not in the table", id)
				}
			}
		}
	}
	if n != x.Len() {
		t.Errorf("%d rows have ids, Len() = %d", n, x.Len())
	}
}

func TestMemoryRatio(t *testing.T) {
	for _, dims := range []int{384, 512} {
		for _, bits := range []int{8, 4} {
			const n = 2 * chunkRows // two full chunks; a partial one holds less
			x := New(dims, WithBits(bits))
			r := rand.New(rand.NewPCG(21, uint64(dims)))
			backing := make([]float32, n*dims)
			ids := make([]string, n)
			vecs := make([][]float32, n)
			for i := range vecs {
				v := backing[i*dims : (i+1)*dims : (i+1)*dims]
				v[r.IntN(dims)] = 1
				vecs[i] = v
				ids[i] = fmt.Sprintf("paper-%06d", i)
			}
			if err := x.AddBatch(ids, vecs); err != nil {
				t.Fatal(err)
			}
			s := x.Stats()
			t.Logf("dims %d, %d bits: %+v ratio %.4f", dims, bits, s, s.Ratio())
			if want := 1.3 - 0.125*float64(8-bits)/4; s.Ratio() > want {
				t.Errorf("dims %d, %d bits: memory ratio %.4f, want <= %.3f", dims, bits, s.Ratio(), want)
			}
			if s.CodeBytes != int64(n*x.rowBytes) {
				t.Errorf("dims %d, %d bits: %d bytes of codes for %d rows of %d", dims, bits, s.CodeBytes, n, x.rowBytes)
			}
		}
	}
}

func TestSortCandsDeterministic(t *testing.T) {
	cs := []cand{{1, 5}, {2, 3}, {1, 2}, {2, 9}}
	sortCands(cs)
	want := []cand{{2, 3}, {2, 9}, {1, 2}, {1, 5}}
	if !slices.Equal(cs, want) {
		t.Errorf("sortCands = %v, want %v", cs, want)
	}
}

func TestQuantizeRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for _, dims := range []int{1, 5, 31, 32, 33, 64, 100, 512} {
		v := randUnit(r, dims)
		c8 := make([]int8, (dims+31)&^31)
		s8 := quantize(v, c8)
		c4 := make([]int8, ((dims+63)&^63)/2)
		s4 := quantize4(v, c4)
		for i, f := range v {
			if d := math.Abs(float64(f) - float64(c8[i])*float64(s8)); d > float64(s8)/2*1.0001 {
				t.Errorf("dims %d [%d]: 8-bit %v -> %d*%v, off by %v", dims, i, f, c8[i], s8, d)
			}
			b := uint8(c4[i/64*32+i%32])
			u := b & 15
			if i%64 >= 32 {
				u = b >> 4
			}
			if d := math.Abs(float64(f) - (float64(u)-8)*float64(s4)); u == 0 || d > float64(s4)/2*1.0001 {
				t.Errorf("dims %d [%d]: 4-bit %v -> (%d-8)*%v, off by %v", dims, i, f, u, s4, d)
			}
		}
		for i := dims; i < len(c8); i++ {
			if c8[i] != 0 {
				t.Errorf("dims %d: 8-bit padding [%d] = %d", dims, i, c8[i])
			}
		}
	}
}

// TestTopK checks the buffered top-k against a full sort, with many ties.
func TestTopK(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	for _, k := range []int{1, 2, 3, 10, 100} {
		for _, n := range []int{0, 1, k, 2*k + 1, 1000} {
			var tk topK
			tk.reset(k)
			all := make([]cand, n)
			for i := range all {
				all[i] = cand{float32(r.IntN(50)), int32(i)}
				if all[i].score > tk.thr {
					tk.push(all[i])
				}
			}
			got := slices.Clone(tk.result())
			sortCands(got)
			sortCands(all)
			want := all[:min(k, n)]
			if !slices.Equal(got, want) {
				t.Errorf("k=%d n=%d: got %v, want %v", k, n, got, want)
			}
		}
	}
}

// TestAddBatchDuplicates: within one batch (spanning several quantisation
// groups) a later vector of an id replaces an earlier one.
func TestAddBatchDuplicates(t *testing.T) {
	r := rand.New(rand.NewPCG(27, 28))
	const dims, n = 8, quantizeGroup + 1500
	x := New(dims)
	ids := make([]string, n)
	vecs := make([][]float32, n)
	for i := range ids {
		ids[i] = "id-" + strconv.Itoa(i%(quantizeGroup+100))
		vecs[i] = randUnit(r, dims)
	}
	if err := x.AddBatch(ids, vecs); err != nil {
		t.Fatal(err)
	}
	if got, want := x.Len(), quantizeGroup+100; got != want {
		t.Fatalf("Len = %d, want %d", got, want)
	}
	for _, i := range []int{0, 99, 100, quantizeGroup + 99, n - 1} {
		v, ok := x.Vector(ids[i])
		last := i
		for j := i; j < n; j++ {
			if ids[j] == ids[i] {
				last = j
			}
		}
		if !ok || unsafe.SliceData(v) != unsafe.SliceData(vecs[last]) {
			t.Errorf("Vector(%q) is not the batch's last vector for it (index %d)", ids[i], last)
		}
	}
}

func TestBitsFor(t *testing.T) {
	for _, tt := range []struct{ n, want int }{
		{0, 8}, {300, 8}, {FourBitMin - 1, 8}, {FourBitMin, 4}, {100_000, 4}, {2_500_000, 4},
	} {
		if got := BitsFor(tt.n); got != tt.want {
			t.Errorf("BitsFor(%d) = %d, want %d", tt.n, got, tt.want)
		}
	}
}
