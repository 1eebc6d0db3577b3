package lexical

import (
	"maps"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// sameIndex fails unless a and b hold the same state: documents and their
// slots, forward index, postings, vocabulary with the same term numbers,
// bigram counts and statistics.
func sameIndex(t *testing.T, a, b *Index) {
	t.Helper()
	a.mu.RLock()
	defer a.mu.RUnlock()
	b.mu.RLock()
	defer b.mu.RUnlock()
	if a.live != b.live || a.totalLen != b.totalLen || len(a.docs) != len(b.docs) {
		t.Fatalf("live %d, total length %v, slots %d; want %d, %v, %d", a.live, a.totalLen, len(a.docs), b.live, b.totalLen, len(b.docs))
	}
	if !maps.Equal(a.ids, b.ids) {
		t.Fatalf("id maps differ: %d ids, want %d", len(a.ids), len(b.ids))
	}
	if !maps.Equal(a.uni, b.uni) {
		t.Fatalf("vocabularies differ: %d words, want %d", len(a.uni), len(b.uni))
	}
	for s := range a.docs {
		da, db := &a.docs[s], &b.docs[s]
		if da.id != db.id || !slices.Equal(da.terms, db.terms) || !slices.Equal(da.tfs, db.tfs) || !slices.Equal(da.bigrams, db.bigrams) || a.lens[s] != b.lens[s] {
			t.Fatalf("slot %d: document %q (%d terms, %d bigrams, length %v), want %q (%d, %d, %v)",
				s, da.id, len(da.terms), len(da.bigrams), a.lens[s], db.id, len(db.terms), len(db.bigrams), b.lens[s])
		}
		for _, k := range db.bigrams {
			if got, want := a.biDF.get(k), b.biDF.get(k); got != want {
				t.Fatalf("bigram %x: document frequency %d, want %d", k, got, want)
			}
		}
	}
	if len(a.terms) != len(b.terms) {
		t.Fatalf("%d terms, want %d", len(a.terms), len(b.terms))
	}
	for i := range a.terms {
		if a.terms[i].word != b.terms[i].word || !slices.Equal(a.terms[i].post, b.terms[i].post) {
			t.Fatalf("term %d: %q with %d postings, want %q with %d", i, a.terms[i].word, len(a.terms[i].post), b.terms[i].word, len(b.terms[i].post))
		}
	}
	if got, want := a.biDF.len(), b.biDF.len(); got != want {
		t.Fatalf("%d distinct bigrams, want %d", got, want)
	}
}

// TestAddBatchMatchesAdd builds indexes with AddBatch and with Add one
// document at a time, through the same history (earlier documents,
// deletions, replacements, ids repeated within a batch), and checks that
// they hold the same state and answer queries with the same scores.
func TestAddBatchMatchesAdd(t *testing.T) {
	papers := seedPapers(t)
	type op struct {
		ids, texts []string
		del        []string
	}
	// history returns the operations of a case: every paper once, in
	// batches of size, after a first part added singly; repeats adds
	// ids again within and across batches with other texts.
	history := func(size int, repeats bool) []op {
		r := rand.New(rand.NewPCG(uint64(size), 3))
		var ops []op
		var cur op
		for i, p := range papers {
			cur.ids = append(cur.ids, p.ID)
			cur.texts = append(cur.texts, p.Text())
			if repeats && r.IntN(5) == 0 {
				j := r.IntN(i + 1)
				cur.ids = append(cur.ids, papers[j].ID)
				cur.texts = append(cur.texts, papers[r.IntN(len(papers))].Abstract)
			}
			if repeats && r.IntN(20) == 0 {
				cur.del = append(cur.del, papers[r.IntN(i+1)].ID)
			}
			if len(cur.ids) >= size {
				ops = append(ops, cur)
				cur = op{}
			}
		}
		return append(ops, cur)
	}
	tests := []struct {
		name     string
		opts     []Option
		size     int // documents per AddBatch call
		chunk    int // batchChunk
		procs    int // GOMAXPROCS
		repeats  bool
		preAdded int // papers added with Add before the batches
	}{
		{name: "one batch", size: 1 << 20, chunk: 4096, procs: 2},
		{name: "one batch, no bigrams", opts: []Option{WithBigramWeight(0)}, size: 1 << 20, chunk: 4096, procs: 2},
		{name: "small chunks, repeats and deletes", size: 97, chunk: 16, procs: 2, repeats: true},
		{name: "one core", size: 50, chunk: 32, procs: 1, repeats: true},
		{name: "three workers, replacing earlier Adds", size: 200, chunk: 64, procs: 3, repeats: true, preAdded: 150},
		{name: "batches of one", size: 1, chunk: 4096, procs: 2, repeats: true, preAdded: 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func(c int) { batchChunk = c }(batchChunk)
			batchChunk = tt.chunk
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(tt.procs))
			batched, single := New(tt.opts...), New(tt.opts...)
			for _, p := range papers[:tt.preAdded] {
				text := strings.ToUpper(p.Abstract) // replaced later
				for _, ix := range []*Index{batched, single} {
					if err := ix.Add(p.ID, text); err != nil {
						t.Fatal(err)
					}
				}
			}
			for _, o := range history(tt.size, tt.repeats) {
				if err := batched.AddBatch(o.ids, o.texts); err != nil {
					t.Fatalf("AddBatch: %v", err)
				}
				for i, id := range o.ids {
					if err := single.Add(id, o.texts[i]); err != nil {
						t.Fatalf("Add: %v", err)
					}
				}
				for _, id := range o.del {
					if got, want := batched.Delete(id), single.Delete(id); got != want {
						t.Fatalf("Delete(%q) = %v, want %v", id, got, want)
					}
				}
			}
			sameIndex(t, batched, single)
			if got, want := batched.Stats(), single.Stats(); got.Docs != want.Docs || got.Slots != want.Slots || got.Unigrams != want.Unigrams ||
				got.Bigrams != want.Bigrams || got.Postings != want.Postings || got.BigramOccurrences != want.BigramOccurrences {
				t.Errorf("Stats = %+v, want %+v", got, want)
			}
			for i, p := range papers[:60] {
				if got, want := batched.Search(p.Title, 10, nil), single.Search(p.Title, 10, nil); !slices.Equal(got, want) {
					t.Errorf("Search(%q) = %v, want %v", p.Title, got, want)
				}
				got, _ := batched.Similar(p.ID, 10, nil)
				want, _ := single.Similar(p.ID, 10, nil)
				if !slices.Equal(got, want) {
					t.Errorf("Similar(%q) = %v, want %v", p.ID, got, want)
				}
				pos, neg := []string{p.ID, papers[(i*7)%len(papers)].ID}, []string{papers[(i*13+5)%len(papers)].ID}
				if got, want := batched.Recommend(pos, neg, 10, nil), single.Recommend(pos, neg, 10, nil); !slices.Equal(got, want) {
					t.Errorf("Recommend(%v, %v) = %v, want %v", pos, neg, got, want)
				}
			}
		})
	}
}

func TestAddBatchErrors(t *testing.T) {
	tests := []struct {
		name       string
		ids, texts []string
		want       string
	}{
		{"lengths differ", []string{"a", "b"}, []string{"x"}, "2 ids but 1 texts"},
		{"empty id", []string{"a", ""}, []string{"neural networks", "spiking"}, "empty document ID at 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix := New()
			err := ix.AddBatch(tt.ids, tt.texts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("AddBatch: error %v, want one containing %q", err, tt.want)
			}
			if ix.Len() != 0 {
				t.Errorf("Len = %d after a refused batch, want 0", ix.Len())
			}
		})
	}
	// An empty batch is fine.
	if err := New().AddBatch(nil, nil); err != nil {
		t.Errorf("AddBatch(nil, nil) = %v", err)
	}
}

// TestAddBatchConcurrent runs AddBatch writers next to readers and single
// writers; run with -race.
func TestAddBatchConcurrent(t *testing.T) {
	papers := seedPapers(t)
	defer func(c int) { batchChunk = c }(batchChunk)
	batchChunk = 32
	ix := New()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, p := range papers {
			ix.Search(p.Title, 5, nil)
			ix.Similar(p.ID, 5, nil)
			_ = ix.Add(p.ID, p.Abstract)
		}
	}()
	for lo := 0; lo < len(papers); lo += 50 {
		var ids, texts []string
		for _, p := range papers[lo:min(lo+50, len(papers))] {
			ids = append(ids, p.ID)
			texts = append(texts, p.Text())
		}
		if err := ix.AddBatch(ids, texts); err != nil {
			t.Fatal(err)
		}
	}
	<-done
	if got, want := ix.Len(), len(papers); got != want {
		t.Fatalf("Len = %d, want %d", got, want)
	}
	// Whatever the interleaving, each paper holds its full text or its
	// abstract (their lengths differ), and the index answers like one
	// built afresh from those texts.
	final := map[string]string{}
	for _, p := range papers {
		ix.mu.RLock()
		n := ix.lens[ix.ids[p.ID]]
		ix.mu.RUnlock()
		var a analysis
		analyze(p.Abstract, &a)
		if int(n) == len(a.words) {
			final[p.ID] = p.Abstract
		} else {
			final[p.ID] = p.Text()
		}
	}
	fresh := buildIndex(t, final)
	for _, p := range papers[:40] {
		if got, want := ix.Search(p.Title, 5, nil), fresh.Search(p.Title, 5, nil); !sameHits(got, want) {
			t.Errorf("Search(%q) = %v, fresh index %v", p.Title, got, want)
		}
	}
}

// TestAddBatchRepeatedWords checks term frequencies past the 255 cap and
// documents without any term against Add.
func TestAddBatchRepeatedWords(t *testing.T) {
	texts := []string{
		strings.Repeat("neural ", 300) + strings.Repeat("gas network ", 256) + "spiking",
		"the of and", // no term: an empty document
		strings.Repeat("bio-inspired computing, ", 400),
		"",
	}
	ids := []string{"a", "b", "c", "d"}
	batched, single := New(), New()
	if err := batched.AddBatch(ids, texts); err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		if err := single.Add(id, texts[i]); err != nil {
			t.Fatal(err)
		}
	}
	sameIndex(t, batched, single)
	if got := batched.Len(); got != len(ids) {
		t.Errorf("Len = %d, want %d", got, len(ids))
	}
}

// FuzzAddBatch checks that AddBatch leaves the index in the state Add one
// by one does, whatever the texts (the batch path analyses into scratch
// memory and counts terms in tables; Add sorts).
func FuzzAddBatch(f *testing.F) {
	f.Add("Spiking neural networks on SpiNNaker", "bio-inspired CO$_2$ studies, studies", "neural neural gas", true)
	f.Add("", "the of", "模型 αβ-divergence", false)
	f.Fuzz(func(t *testing.T, a, b, c string, repeat bool) {
		ids := []string{"a", "b", "c"}
		texts := []string{a, b, c}
		if repeat { // an id again within the batch
			ids = append(ids, "a")
			texts = append(texts, b+" "+c)
		}
		batched, single := New(), New()
		if err := batched.AddBatch(ids, texts); err != nil {
			t.Fatal(err)
		}
		for i, id := range ids {
			if err := single.Add(id, texts[i]); err != nil {
				t.Fatal(err)
			}
		}
		sameIndex(t, batched, single)
	})
}
