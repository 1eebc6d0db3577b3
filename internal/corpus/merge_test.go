package corpus

import (
	"reflect"
	"testing"

	"github.com/recommend-dev/recommend/internal/paper"
)

func TestMerge(t *testing.T) {
	a := paper.Paper{ID: "a-title", Title: "A Title", Abstract: "Short.", AuthorCount: 3, Published: "2023-05-01", Categories: []string{"cs.LG"}}
	b := paper.Paper{ID: "arxiv:2301.00001", Title: "A title", Abstract: "A longer abstract.", Authors: []string{"X", "Y"}, Organization: "Org", Published: "2023-01-31", Categories: []string{"cs.LG", "stat.ML"}, URL: "u", DOI: "d"}
	got := Merge(a, b)
	want := paper.Paper{ID: "arxiv:2301.00001", Title: "A Title", Abstract: "A longer abstract.", Authors: []string{"X", "Y"}, AuthorCount: 3, Organization: "Org", Published: "2023-01-31", Categories: []string{"cs.LG", "stat.ML"}, URL: "u", DOI: "d"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Merge:\ngot  %+v\nwant %+v", got, want)
	}
	if !reflect.DeepEqual(a.Categories, []string{"cs.LG"}) {
		t.Errorf("Merge modified its argument: %v", a.Categories)
	}
	// The other way round: a's source ID and title stay; richer fields
	// still win.
	got = Merge(b, a)
	if got.ID != b.ID || got.Title != b.Title || got.Abstract != b.Abstract || got.AuthorCount != 3 || got.Published != "2023-01-31" {
		t.Errorf("Merge(b, a) = %+v", got)
	}
	// A source ID is not replaced by another source ID.
	if got := Merge(b, paper.Paper{ID: "arxiv:9999.99999", Title: "A title", Abstract: "x"}); got.ID != b.ID {
		t.Errorf("source ID replaced: %q", got.ID)
	}
}

func TestMerger(t *testing.T) {
	m := NewMerger()
	add := func(p paper.Paper, wantID string, wantMerged bool) {
		t.Helper()
		id, merged := m.Add(p)
		if id != wantID || merged != wantMerged {
			t.Errorf("Add(%q) = %q, %v; want %q, %v", p.Title, id, merged, wantID, wantMerged)
		}
	}
	add(paper.Paper{Title: "Graph nets!", Abstract: "One."}, "graph-nets", false)
	// Same normalised title: merged, richer abstract kept.
	add(paper.Paper{ID: "graph-nets", Title: "GRAPH  NETS", Abstract: "One, longer."}, "graph-nets", true)
	// Same slug, different normalised title: a true clash.
	add(paper.Paper{Title: "Graph: nets", Abstract: "Other."}, "graph-nets", true) // same key "graph nets"
	add(paper.Paper{ID: "graph-nets", Title: "Graph nets", Abstract: "x"}, "graph-nets", true)
	add(paper.Paper{Title: "Graph nets 2", Abstract: "Two."}, "graph-nets-2", false)
	add(paper.Paper{ID: "graph-nets-2", Title: "Graph nets II", Abstract: "Other two."}, ClashID("Graph nets II", 8), false)
	// A source ID replaces the slug on merge; the old slug still finds it.
	add(paper.Paper{ID: "arxiv:2401.00001", Title: "graph nets", Abstract: "From arXiv.", Authors: []string{"A"}}, "arxiv:2401.00001", true)
	if p, ok := m.Get("graph-nets"); !ok || p.ID != "arxiv:2401.00001" || p.AuthorCount != 1 {
		t.Errorf("Get(old slug) = %+v, %v", p, ok)
	}
	// Same source ID with a revised title: the same paper.
	add(paper.Paper{ID: "arxiv:2401.00001", Title: "Graph networks (revised)", Abstract: "Revised."}, "arxiv:2401.00001", true)
	// The revised title now leads to the paper too.
	add(paper.Paper{Title: "Graph networks (revised)", Abstract: "Again."}, "arxiv:2401.00001", true)

	if got, want := m.Len(), 3; got != want {
		t.Errorf("Len() = %d, want %d", got, want)
	}
	if got, want := m.Added(), 9; got != want {
		t.Errorf("Added() = %d, want %d", got, want)
	}
	var ids []string
	for _, p := range m.Papers() {
		ids = append(ids, p.ID)
	}
	if want := []string{"arxiv:2401.00001", "graph-nets-2", ClashID("Graph nets II", 8)}; !reflect.DeepEqual(ids, want) {
		t.Errorf("ids %q, want %q", ids, want)
	}
}

// TestMergerClashIsDeterministic checks that the IDs depend only on the
// input order: two runs give the same IDs, and the clash suffix comes from
// the title, not from a counter.
func TestMergerClashIsDeterministic(t *testing.T) {
	input := []paper.Paper{
		{Title: "Nets study", Abstract: "1"},
		{Title: "Nets: study!", Abstract: "2"}, // same key: merged
		{Title: "Nets α study", Abstract: "3"}, // same slug, other key: clash
		{Title: "Nets β study", Abstract: "4"}, // and another
		{Title: "Nets — a study (ii)", Abstract: "5"},
	}
	run := func() []string {
		m := NewMerger()
		for _, p := range input {
			m.Add(p)
		}
		var ids []string
		for _, p := range m.Papers() {
			ids = append(ids, p.ID)
		}
		return ids
	}
	first, second := run(), run()
	if !reflect.DeepEqual(first, second) {
		t.Errorf("IDs differ between runs: %q and %q", first, second)
	}
	want := []string{"nets-study", ClashID("Nets α study", 8), ClashID("Nets β study", 8), "nets-a-study-ii"}
	if !reflect.DeepEqual(first, want) {
		t.Errorf("ids %q, want %q", first, want)
	}

	// Clashing IDs given by the input: escalating suffixes.
	m := NewMerger()
	m.Add(paper.Paper{ID: "x", Title: "One", Abstract: "a"})
	id8 := ClashID("Two", 8)
	m.Add(paper.Paper{ID: id8, Title: "Other", Abstract: "b"})
	if id, _ := m.Add(paper.Paper{ID: "x", Title: "Two", Abstract: "c"}); id != ClashID("Two", 16) {
		t.Errorf("second clash got %q, want %q", id, ClashID("Two", 16))
	}
}

// TestDedupMatchesMerger replays the seed files and a sequence with clashes
// and ID changes through NewDedup and NewMerger: same IDs, same counts, and
// the dedup keeps nothing but IDs.
func TestDedupMatchesMerger(t *testing.T) {
	input := []paper.Paper{
		{Title: "Graph nets!", Abstract: "One."},
		{ID: "graph-nets", Title: "GRAPH  NETS", Abstract: "One, longer."},
		{Title: "Graph nets 2", Abstract: "Two."},
		{ID: "graph-nets-2", Title: "Graph nets II", Abstract: "Other two."},
		{ID: "arxiv:2401.00001", Title: "graph nets", Abstract: "From arXiv."},
		{ID: "arxiv:2401.00001", Title: "Graph networks (revised)", Abstract: "Revised."},
		{Title: "Nets α study", Abstract: "3"},
		{Title: "Nets study", Abstract: "1"},
	}
	for _, name := range sortedKeys(seedCounts) {
		input = append(input, readSeed(t, name)...)
	}
	full, light := NewMerger(), NewDedup()
	for _, p := range input {
		id1, merged1 := full.Add(p)
		id2, merged2 := light.Add(p)
		if id1 != id2 || merged1 != merged2 {
			t.Fatalf("Add(%q): merger %q, %v; dedup %q, %v", p.Title, id1, merged1, id2, merged2)
		}
	}
	if full.Len() != light.Len() || full.Added() != light.Added() || light.Len() != seedDistinct+5 {
		t.Errorf("merger %d/%d, dedup %d/%d distinct/added; want %d distinct", full.Len(), full.Added(), light.Len(), light.Added(), seedDistinct+5)
	}
	for i, p := range light.Papers() {
		if want := (paper.Paper{ID: full.Papers()[i].ID}); !reflect.DeepEqual(p, want) {
			t.Fatalf("dedup paper %d = %+v, want only its ID %q", i, p, want.ID)
		}
	}
}
