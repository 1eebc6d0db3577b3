package lexical

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// smallDocs is a tiny corpus with known vocabulary.
var smallDocs = map[string]string{
	"snn":     "Spiking neural networks on SpiNNaker hardware learn with STDP and homeostasis.",
	"kan":     "KAN: Kolmogorov-Arnold networks replace fixed activations with learnable splines.",
	"fractal": "FractalNet: ultra-deep neural networks without residuals, built by a fractal expansion rule.",
	"gas":     "Neural gas learns topological relationships between prototypes for vector quantization.",
	"co2":     "Atmospheric transport modeling of CO$_2$ with neural networks and mass conservation.",
	"galaxy":  "Galaxy spectra classification and redshift prediction with deep learning on SDSS spectra.",
}

func buildIndex(t testing.TB, docs map[string]string, opts ...Option) *Index {
	t.Helper()
	ix := New(opts...)
	ids := make([]string, 0, len(docs))
	for id := range docs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if err := ix.Add(id, docs[id]); err != nil {
			t.Fatalf("Add(%q): %v", id, err)
		}
	}
	return ix
}

func hitIDs(hits []Hit) []string { return ids(hits) }

func TestSearchFindsNamesAndAcronyms(t *testing.T) {
	ix := buildIndex(t, smallDocs)
	tests := []struct{ query, want string }{
		{"FractalNet", "fractal"},
		{"SpiNNaker", "snn"},
		{"KAN", "kan"},
		{"Kolmogorov Arnold", "kan"},
		{"kolmogorov-arnold network", "kan"},
		{"CO2 transport", "co2"},
		{"neural gas", "gas"},
		{"redshift of galaxies", "galaxy"},
	}
	for _, tt := range tests {
		hits := ix.Search(tt.query, 3, nil)
		if len(hits) == 0 || hits[0].ID != tt.want {
			t.Errorf("Search(%q) = %v, want %q first", tt.query, hits, tt.want)
		}
	}
	if hits := ix.Search("the of and", 3, nil); hits != nil {
		t.Errorf("stop-word query: got %v, want nil", hits)
	}
	if hits := ix.Search("zebra", 3, nil); hits != nil {
		t.Errorf("unknown word: got %v, want nil", hits)
	}
	if hits := ix.Search("neural", 0, nil); hits != nil {
		t.Errorf("k=0: got %v, want nil", hits)
	}
	if hits := New().Search("neural", 5, nil); hits != nil {
		t.Errorf("empty index: got %v, want nil", hits)
	}
}

func TestSearchOrderAndExclude(t *testing.T) {
	ix := buildIndex(t, smallDocs)
	all := ix.Search("neural networks", 10, nil)
	if len(all) < 4 {
		t.Fatalf("Search(neural networks) = %v, want at least 4 hits", all)
	}
	for i := 1; i < len(all); i++ {
		if all[i].Score > all[i-1].Score {
			t.Errorf("hits out of order at %d: %v", i, all)
		}
	}
	if got := ix.Search("neural networks", 2, nil); !slices.Equal(hitIDs(got), hitIDs(all[:2])) {
		t.Errorf("k=2: got %v, want %v", got, all[:2])
	}
	ex := func(id string) bool { return id == all[0].ID }
	got := ix.Search("neural networks", 10, ex)
	if !slices.Equal(hitIDs(got), hitIDs(all[1:])) {
		t.Errorf("excluding %s: got %v, want %v", all[0].ID, hitIDs(got), hitIDs(all[1:]))
	}
}

func TestAddReplaceDelete(t *testing.T) {
	ix := buildIndex(t, smallDocs)
	if got, want := ix.Len(), len(smallDocs); got != want {
		t.Fatalf("Len = %d, want %d", got, want)
	}
	// Replace: the old text no longer matches, the new one does.
	if err := ix.Add("kan", "Reservoir computing with echo state networks."); err != nil {
		t.Fatal(err)
	}
	if got := ix.Len(); got != len(smallDocs) {
		t.Errorf("Len after replace = %d, want %d", got, len(smallDocs))
	}
	if hits := ix.Search("Kolmogorov", 5, nil); hits != nil {
		t.Errorf("old text still found after replace: %v", hits)
	}
	if hits := ix.Search("echo state reservoir", 5, nil); len(hits) != 1 || hits[0].ID != "kan" {
		t.Errorf("new text not found after replace: %v", hits)
	}
	// Delete.
	if !ix.Delete("kan") {
		t.Error("Delete(kan) = false, want true")
	}
	if ix.Delete("kan") {
		t.Error("second Delete(kan) = true, want false")
	}
	if ix.Has("kan") || ix.Len() != len(smallDocs)-1 {
		t.Errorf("after delete: Has = %v, Len = %d", ix.Has("kan"), ix.Len())
	}
	if hits := ix.Search("echo state reservoir", 5, nil); hits != nil {
		t.Errorf("deleted document still found: %v", hits)
	}
	if _, ok := ix.Similar("kan", 5, nil); ok {
		t.Error("Similar(deleted) reports found")
	}
	if err := ix.Add("", "text"); err == nil {
		t.Error("Add with empty ID: no error")
	}
	// A text without terms is a document that matches nothing.
	if err := ix.Add("empty", "the of and ..."); err != nil {
		t.Fatal(err)
	}
	if !ix.Has("empty") || ix.Len() != len(smallDocs) {
		t.Errorf("empty document: Has = %v, Len = %d", ix.Has("empty"), ix.Len())
	}
	if hits, ok := ix.Similar("empty", 5, nil); !ok || hits != nil {
		t.Errorf("Similar(empty) = %v, %v; want nil, true", hits, ok)
	}
}

// sameHits reports whether two result lists have the same IDs in the same
// order and scores within a relative 1e-9.
func sameHits(a, b []Hit) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID || math.Abs(a[i].Score-b[i].Score) > 1e-9*math.Max(1, math.Abs(a[i].Score)) {
			return false
		}
	}
	return true
}

// TestIncrementalMatchesFresh applies a random sequence of adds, replaces
// and deletes (enough deletes to trigger slot compaction) and checks that
// the index answers exactly like one built from scratch from the final
// documents.
func TestIncrementalMatchesFresh(t *testing.T) {
	papers := seedPapers(t)
	r := rand.New(rand.NewPCG(7, 7))
	ix := New()
	final := map[string]string{}
	text := func() string { return papers[r.IntN(len(papers))].Text() }
	for i := range 2000 {
		id := fmt.Sprintf("d%04d", i)
		final[id] = text()
		if err := ix.Add(id, final[id]); err != nil {
			t.Fatal(err)
		}
	}
	for range 2500 {
		id := fmt.Sprintf("d%04d", r.IntN(2000))
		switch r.IntN(4) {
		case 0: // replace
			final[id] = text()
			if err := ix.Add(id, final[id]); err != nil {
				t.Fatal(err)
			}
		default: // delete
			_, had := final[id]
			if got := ix.Delete(id); got != had {
				t.Fatalf("Delete(%s) = %v, want %v", id, got, had)
			}
			delete(final, id)
		}
	}
	fresh := buildIndex(t, final)
	if ix.Len() != fresh.Len() {
		t.Fatalf("Len = %d, fresh index has %d", ix.Len(), fresh.Len())
	}
	is, fs := ix.Stats(), fresh.Stats()
	if is.Slots >= 2000+500 {
		t.Errorf("slots = %d after deleting most documents: no compaction", is.Slots)
	}
	if is.Postings != fs.Postings || is.Bigrams != fs.Bigrams || is.BigramOccurrences != fs.BigramOccurrences {
		t.Errorf("stats differ: incremental %+v, fresh %+v", is, fs)
	}
	for _, p := range papers[:40] {
		if a, b := ix.Search(p.Title, 10, nil), fresh.Search(p.Title, 10, nil); !sameHits(a, b) {
			t.Errorf("Search(%q):\n incremental %v\n fresh       %v", p.Title, a, b)
		}
	}
	n := 0
	for id := range final {
		if n++; n > 40 {
			break
		}
		a, _ := ix.Similar(id, 10, nil)
		b, _ := fresh.Similar(id, 10, nil)
		if !sameHits(a, b) {
			t.Errorf("Similar(%s):\n incremental %v\n fresh       %v", id, a, b)
		}
	}
}

func TestSimilarNeverReturnsItself(t *testing.T) {
	papers := seedPapers(t)
	ix := New()
	for _, p := range papers {
		_ = ix.Add(p.ID, p.Text())
	}
	// A duplicate: its twin must come first, itself never.
	_ = ix.Add("twin", papers[0].Text())
	for _, p := range papers {
		hits, ok := ix.Similar(p.ID, 10, nil)
		if !ok {
			t.Fatalf("Similar(%s): not found", p.ID)
		}
		if len(hits) == 0 {
			t.Errorf("Similar(%s): no hits", p.ID)
		}
		for _, h := range hits {
			if h.ID == p.ID {
				t.Fatalf("Similar(%s) returned itself: %v", p.ID, hits)
			}
		}
	}
	hits, _ := ix.Similar(papers[0].ID, 3, nil)
	if len(hits) == 0 || hits[0].ID != "twin" {
		t.Errorf("Similar(%s) = %v, want its twin first", papers[0].ID, hits)
	}
	self, _ := ix.ScoreSimilar(papers[0].ID, []string{papers[0].ID, "twin"})
	if math.Abs(self[0]-hits[0].Score) > 1e-9 || math.Abs(self[1]-hits[0].Score) > 1e-9 {
		t.Errorf("self-score %v and twin's score %v differ from Similar's %v", self[0], self[1], hits[0].Score)
	}
	ceil, _ := ix.SimilarCeiling(papers[0].ID)
	if hits[0].Score > ceil {
		t.Errorf("Similar score %v above ceiling %v", hits[0].Score, ceil)
	}
	ex, _ := ix.Similar(papers[0].ID, 3, func(id string) bool { return id == "twin" })
	if slices.Contains(hitIDs(ex), "twin") {
		t.Errorf("exclude ignored: %v", ex)
	}
	if _, ok := ix.Similar("nope", 3, nil); ok {
		t.Error("Similar(unknown) = ok")
	}
	if _, ok := ix.ScoreSimilar("nope", nil); ok {
		t.Error("ScoreSimilar(unknown) = ok")
	}
}

// bruteTop ranks every document by the exact per-document score and keeps
// the k best positive ones, as the pruned search should.
func bruteTop(scores []float64, ids []string, k int, skip []string) []Hit {
	var all []Hit
	for i, s := range scores {
		if s > 0 && !slices.Contains(skip, ids[i]) {
			all = append(all, Hit{ids[i], s})
		}
	}
	slices.SortFunc(all, func(a, b Hit) int {
		if worse(a, b) {
			return 1
		}
		if worse(b, a) {
			return -1
		}
		return 0
	})
	return all[:min(k, len(all))]
}

// TestPruningIsExact checks Search, Similar and Recommend (which prune
// candidates) against scoring every document exactly (ScoreQuery,
// ScoreSimilar, ScoreRecommend, which do not prune). Without bigrams the
// results must be identical. With bigrams, which only rescore the best
// unigram matches, every returned score must still be exact, and the
// results must agree with the exhaustive ranking nearly always.
func TestPruningIsExact(t *testing.T) {
	papers := seedPapers(t)
	for _, bigramWeight := range []float64{0, 0.5} {
		ix := New(WithBigramWeight(bigramWeight))
		all := make([]string, len(papers))
		for i, p := range papers {
			_ = ix.Add(p.ID, p.Text())
			all[i] = p.ID
		}
		var same, total int
		compare := func(what string, got, want []Hit, exact func(string) float64) {
			t.Helper()
			total++
			if sameHits(got, want) {
				same++
				return
			}
			if bigramWeight == 0 {
				t.Errorf("%s:\n got  %v\n want %v", what, got, want)
				return
			}
			for i, h := range got {
				if e := exact(h.ID); math.Abs(e-h.Score) > 1e-9*math.Max(1, e) {
					t.Errorf("%s: hit %s scored %v, exact score %v", what, h.ID, h.Score, e)
				}
				if i > 0 && worse(got[i-1], h) {
					t.Errorf("%s: out of order: %v", what, got)
				}
			}
		}
		// A query longer than 64 unigrams exercises bigrams without masks.
		long := papers[1].Abstract + " " + papers[2].Abstract
		queries := []string{long, "spiking neural networks", "graph neural networks for molecular simulation", "deep learning deep learning"}
		for _, p := range papers[:30] {
			queries = append(queries, p.Title)
		}
		for _, q := range queries {
			for _, k := range []int{1, 5, 20} {
				got := ix.Search(q, k, nil)
				want := bruteTop(ix.ScoreQuery(q, all), all, k, nil)
				compare(fmt.Sprintf("Search(%.40q, %d)", q, k), got, want, func(id string) float64 { return ix.ScoreQuery(q, []string{id})[0] })
				ceil := ix.QueryCeiling(q)
				for _, h := range got {
					if h.Score > ceil {
						t.Errorf("Search(%.40q): score %v above ceiling %v", q, h.Score, ceil)
					}
				}
			}
		}
		for _, p := range papers[:30] {
			got, _ := ix.Similar(p.ID, 10, nil)
			scores, _ := ix.ScoreSimilar(p.ID, all)
			want := bruteTop(scores, all, 10, []string{p.ID})
			compare("Similar("+p.ID+")", got, want, func(id string) float64 { s, _ := ix.ScoreSimilar(p.ID, []string{id}); return s[0] })
		}
		for i := range 20 {
			pos := []string{papers[i].ID, papers[i+40].ID}
			neg := []string{papers[i+80].ID}
			got := ix.Recommend(pos, neg, 10, nil)
			want := bruteTop(ix.ScoreRecommend(pos, neg, all), all, 10, append(pos, neg...))
			compare(fmt.Sprintf("Recommend(%v, %v)", pos, neg), got, want, func(id string) float64 { return ix.ScoreRecommend(pos, neg, []string{id})[0] })
		}
		t.Logf("bigram weight %v: %d of %d result lists identical to exhaustive scoring", bigramWeight, same, total)
		if float64(same) < 0.95*float64(total) {
			t.Errorf("bigram weight %v: only %d of %d result lists match exhaustive scoring", bigramWeight, same, total)
		}
	}
}

func TestScoreQuery(t *testing.T) {
	ix := buildIndex(t, smallDocs)
	hits := ix.Search("neural networks", 10, nil)
	ids := append(hitIDs(hits), "nope", "galaxy")
	got := ix.ScoreQuery("neural networks", ids)
	for i, h := range hits {
		if math.Abs(got[i]-h.Score) > 1e-12 {
			t.Errorf("ScoreQuery(%s) = %v, Search says %v", h.ID, got[i], h.Score)
		}
	}
	if got[len(hits)] != 0 || got[len(hits)+1] != 0 {
		t.Errorf("unknown and non-matching IDs scored %v, %v; want 0, 0", got[len(hits)], got[len(hits)+1])
	}
	if got := ix.ScoreQuery("the", []string{"snn"}); len(got) != 1 || got[0] != 0 {
		t.Errorf("stop-word query scored %v", got)
	}
	// A document made of the query, repeated, approaches the ceiling.
	_ = ix.Add("rep", strings.Repeat("neural networks ", 200))
	ceil := ix.QueryCeiling("neural networks")
	s := ix.ScoreQuery("neural networks", []string{"rep"})[0]
	if s > ceil || s < 0.8*ceil {
		t.Errorf("repeated query document scores %v, ceiling %v: want close below", s, ceil)
	}
}

func TestRecommend(t *testing.T) {
	papers := seedPapers(t)
	ix := New()
	var spiking, galaxy []string
	for _, p := range papers {
		_ = ix.Add(p.ID, p.Text())
		title := strings.ToLower(p.Title)
		switch {
		case strings.Contains(title, "spiking"):
			spiking = append(spiking, p.ID)
		case strings.Contains(title, "galax") || strings.Contains(title, "brain"):
			galaxy = append(galaxy, p.ID)
		}
	}
	if len(spiking) < 6 || len(galaxy) < 2 {
		t.Fatalf("seed corpus: %d spiking, %d galaxy/brain papers", len(spiking), len(galaxy))
	}
	pos, neg := spiking[:3], galaxy[:2]
	hits := ix.Recommend(pos, neg, 10, nil)
	if len(hits) != 10 {
		t.Fatalf("Recommend: %d hits, want 10", len(hits))
	}
	on := 0
	for _, h := range hits {
		if slices.Contains(pos, h.ID) || slices.Contains(neg, h.ID) {
			t.Errorf("Recommend returned a positive or negative: %s", h.ID)
		}
		if slices.Contains(spiking, h.ID) {
			on++
		}
	}
	if on < 5 {
		t.Errorf("only %d of 10 recommendations are spiking papers: %v", on, hits)
	}
	// Disliking a document pushes down what resembles it.
	sim, _ := ix.Similar(galaxy[0], 1, nil)
	like := ix.ScoreRecommend(pos, nil, []string{sim[0].ID})[0]
	dislike := ix.ScoreRecommend(pos, []string{galaxy[0]}, []string{sim[0].ID})[0]
	if dislike >= like {
		t.Errorf("score of %s (like %s): %v without the negative, %v with it; want lower", sim[0].ID, galaxy[0], like, dislike)
	}
	if got := ix.Recommend([]string{"nope"}, neg, 5, nil); got != nil {
		t.Errorf("unknown positives: %v, want nil", got)
	}
	if got := ix.Recommend(pos, nil, 0, nil); got != nil {
		t.Errorf("k=0: %v", got)
	}
}

func TestNoBigrams(t *testing.T) {
	papers := seedPapers(t)
	with, without := New(), New(WithBigramWeight(0))
	for _, p := range papers {
		_ = with.Add(p.ID, p.Text())
		_ = without.Add(p.ID, p.Text())
	}
	if s := without.Stats(); s.Bigrams != 0 || s.BigramOccurrences != 0 {
		t.Errorf("WithBigramWeight(0) stored bigrams: %+v", s)
	}
	if s := with.Stats(); s.Bigrams == 0 || s.Bytes <= without.Stats().Bytes {
		t.Errorf("default index has no bigrams or is not larger: %+v vs %+v", s, without.Stats())
	}
	q := "spiking neural networks"
	a, b := with.Search(q, 1, nil), without.Search(q, 1, nil)
	if len(a) == 0 || len(b) == 0 || a[0].Score <= b[0].Score {
		t.Errorf("bigram matches should add to the score: with %v, without %v", a, b)
	}
}

func TestOptionsIgnoreBadValues(t *testing.T) {
	ix := New(WithBM25(-1, 2), WithBigramWeight(-1), WithDocTerms(0), WithNegativeWeight(math.Inf(1)))
	want := New().cfg
	if ix.cfg != want {
		t.Errorf("bad option values changed the config: %+v, want %+v", ix.cfg, want)
	}
	ix = New(WithBM25(2, 0.5), WithBigramWeight(1), WithDocTerms(8), WithNegativeWeight(0.25))
	if got := (config{k1: 2, b: 0.5, bigramWeight: 1, docTerms: 8, negWeight: 0.25}); ix.cfg != got {
		t.Errorf("options: %+v, want %+v", ix.cfg, got)
	}
}

func TestErrFull(t *testing.T) {
	if !errors.Is(fmt.Errorf("x: %w", ErrFull), ErrFull) {
		t.Fatal("ErrFull does not wrap")
	}
}

// TestConcurrentUse runs readers and writers together; run with -race.
func TestConcurrentUse(t *testing.T) {
	papers := seedPapers(t)
	ix := New()
	for _, p := range papers[:100] {
		_ = ix.Add(p.ID, p.Text())
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 2 { // writers
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for range 150 {
				p := papers[r.IntN(len(papers))]
				if r.IntN(3) == 0 {
					ix.Delete(p.ID)
				} else if err := ix.Add(p.ID, p.Text()); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	var reads sync.WaitGroup
	for g := range 4 { // readers
		reads.Add(1)
		go func() {
			defer reads.Done()
			r := rand.New(rand.NewPCG(uint64(g), 2))
			for {
				select {
				case <-stop:
					return
				default:
				}
				p := papers[r.IntN(len(papers))]
				ix.Search(p.Title, 10, nil)
				ix.Similar(p.ID, 5, nil)
				ix.Recommend([]string{p.ID, papers[r.IntN(len(papers))].ID}, []string{papers[r.IntN(len(papers))].ID}, 5, nil)
				ix.ScoreQuery(p.Title, []string{p.ID})
				ix.Len()
				ix.Stats()
			}
		}()
	}
	wg.Wait()
	close(stop)
	reads.Wait()
	// Still consistent with a fresh index of what remains.
	final := map[string]string{}
	for _, p := range papers {
		if ix.Has(p.ID) {
			final[p.ID] = p.Text()
		}
	}
	fresh := buildIndex(t, final)
	for _, p := range papers[:20] {
		if a, b := ix.Search(p.Title, 5, nil), fresh.Search(p.Title, 5, nil); !sameHits(a, b) {
			t.Errorf("after concurrent use, Search(%q): %v, fresh %v", p.Title, a, b)
		}
	}
}

// FuzzSearch checks that any query is handled: no panic, at most k hits,
// best first, within the ceiling, and equal to the exact scores.
func FuzzSearch(f *testing.F) {
	for _, s := range []string{"spiking neural networks", "CO$_2$ bio-inspired", "", "the of", "neural neural neural", "\xff", "模型"} {
		f.Add(s, 5)
	}
	papers := seedPapers(f)[:60]
	ix := New()
	all := make([]string, len(papers))
	for i, p := range papers {
		_ = ix.Add(p.ID, p.Text())
		all[i] = p.ID
	}
	f.Fuzz(func(t *testing.T, q string, k int) {
		k = k % 50
		hits := ix.Search(q, k, nil)
		if len(hits) > max(k, 0) {
			t.Fatalf("Search(%q, %d): %d hits", q, k, len(hits))
		}
		ceil := ix.QueryCeiling(q)
		for i, h := range hits {
			if h.Score <= 0 || h.Score > ceil*(1+1e-12) || math.IsNaN(h.Score) {
				t.Fatalf("Search(%q): score %v (ceiling %v)", q, h.Score, ceil)
			}
			if i > 0 && worse(hits[i-1], h) {
				t.Fatalf("Search(%q): out of order: %v", q, hits)
			}
		}
		if k > 0 {
			if want := bruteTop(ix.ScoreQuery(q, all), all, k, nil); !sameHits(hits, want) {
				t.Fatalf("Search(%q, %d) = %v, exact %v", q, k, hits, want)
			}
		}
	})
}
