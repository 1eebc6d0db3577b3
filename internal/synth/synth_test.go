package synth

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func TestDeterministic(t *testing.T) {
	cfg := Config{N: 300, Dims: 64, Seed: 9}
	p1, v1 := Generate(cfg)
	p2, v2 := Generate(cfg)
	for i := range p1 {
		if p1[i].Title != p2[i].Title || p1[i].Abstract != p2[i].Abstract || p1[i].ID != p2[i].ID {
			t.Fatalf("paper %d differs between runs: %q vs %q", i, p1[i].Title, p2[i].Title)
		}
		if !slices.Equal(v1[i], v2[i]) {
			t.Fatalf("vector %d differs between runs", i)
		}
	}
	// Paper i does not depend on the order it is asked in.
	c := New(cfg)
	if got := c.Vector(17, nil); !slices.Equal(got, v1[17]) {
		t.Error("vector 17 depends on what was generated before")
	}
	if got := c.Paper(17); got.Abstract != p1[17].Abstract {
		t.Error("paper 17 depends on what was generated before")
	}
	other := New(Config{N: 300, Dims: 64, Seed: 10})
	if slices.Equal(other.Vector(0, nil), v1[0]) {
		t.Error("a different seed gave the same vector")
	}
}

func TestVectorsAreUnitAndClustered(t *testing.T) {
	const n, dims = 2000, 128
	c := New(Config{N: n, Dims: dims, Seed: 1})
	vecs := c.Vectors()
	topics := make([]int, n)
	for i, v := range vecs {
		if len(v) != dims {
			t.Fatalf("vector %d has %d dims, want %d", i, len(v), dims)
		}
		if norm := math.Sqrt(dot(v, v)); math.Abs(norm-1) > 1e-5 {
			t.Fatalf("vector %d has norm %v, want 1", i, norm)
		}
		topics[i] = c.Topic(i)
	}
	// The nearest neighbour of most papers is in the same topic, and the
	// similarity to it is high but not 1 (no duplicates).
	sameTopic := 0
	var nnSim, randSim float64
	for i := range 200 {
		best, bestJ := -2.0, -1
		for j := range vecs {
			if j == i {
				continue
			}
			if s := dot(vecs[i], vecs[j]); s > best {
				best, bestJ = s, j
			}
		}
		if topics[bestJ] == topics[i] {
			sameTopic++
		}
		nnSim += best
		randSim += dot(vecs[i], vecs[(i*7+1000)%n])
		if best > 0.999 {
			t.Errorf("paper %d has a near-duplicate (similarity %v)", i, best)
		}
	}
	nnSim /= 200
	randSim /= 200
	t.Logf("nearest neighbour in same topic: %d/200; mean NN similarity %.3f, mean random-pair similarity %.3f", sameTopic, nnSim, randSim)
	if sameTopic < 180 {
		t.Errorf("nearest neighbour in the same topic for %d/200 papers, want >= 180", sameTopic)
	}
	if nnSim < 0.6 || nnSim > 0.95 {
		t.Errorf("mean nearest-neighbour similarity %.3f, want within [0.6, 0.95]", nnSim)
	}
	if randSim < 0.05 || randSim > 0.5 {
		t.Errorf("mean random-pair similarity %.3f, want within [0.05, 0.5]", randSim)
	}
	// Topics have varied sizes (Zipf), and there are many of them.
	sizes := map[int]int{}
	for _, tp := range topics {
		sizes[tp]++
	}
	largest, smallest := 0, n
	for _, s := range sizes {
		largest, smallest = max(largest, s), min(smallest, s)
	}
	if len(sizes) < 30 || largest < 3*smallest {
		t.Errorf("%d topics of sizes %d..%d, want >= 30 topics of varied size", len(sizes), smallest, largest)
	}
}

func TestPapersText(t *testing.T) {
	c := New(Config{N: 400, Dims: 32, Seed: 5})
	papers := c.Papers()
	ids := map[string]bool{}
	words := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, w := range strings.Fields(strings.ToLower(strings.ReplaceAll(s, ".", " "))) {
			m[w] = true
		}
		return m
	}
	overlap := func(a, b map[string]bool) int {
		n := 0
		for w := range a {
			if b[w] {
				n++
			}
		}
		return n
	}
	var same, diff, ns, nd int
	for i, p := range papers {
		if err := p.Validate(); err != nil {
			t.Fatalf("paper %d: %v", i, err)
		}
		if ids[p.ID] {
			t.Fatalf("duplicate id %q", p.ID)
		}
		ids[p.ID] = true
		if n := len(strings.Fields(p.Abstract)); n < 50 {
			t.Errorf("paper %d abstract has %d words", i, n)
		}
		if p.Published < "2015-01-01" || p.Published > "2025-12-31" || len(p.Published) != 10 {
			t.Errorf("paper %d published %q", i, p.Published)
		}
	}
	// Papers of the same topic share more words than papers of different
	// topics: lexical and semantic similarity agree roughly.
	sets := make([]map[string]bool, 150)
	for i := range sets {
		sets[i] = words(papers[i].Text())
	}
	for i := range 150 {
		for j := i + 1; j < 150; j++ {
			o := overlap(sets[i], sets[j])
			if c.Topic(i) == c.Topic(j) {
				same += o
				ns++
			} else {
				diff += o
				nd++
			}
		}
	}
	if ns == 0 || nd == 0 {
		t.Fatal("no pairs to compare")
	}
	ms, md := float64(same)/float64(ns), float64(diff)/float64(nd)
	t.Logf("mean shared words: same topic %.1f, different topics %.1f", ms, md)
	if ms < 1.5*md {
		t.Errorf("same-topic papers share %.1f words, others %.1f; want clearly more", ms, md)
	}
}

func TestRandomVector(t *testing.T) {
	c := New(Config{N: 10, Dims: 256, Seed: 2})
	a, b := c.RandomVector(1), c.RandomVector(2)
	if math.Abs(math.Sqrt(dot(a, a))-1) > 1e-5 {
		t.Error("random vector is not unit")
	}
	if s := dot(a, b); math.Abs(s) > 0.3 {
		t.Errorf("two random directions have similarity %v", s)
	}
	if !slices.Equal(a, c.RandomVector(1)) {
		t.Error("RandomVector is not deterministic")
	}
}
