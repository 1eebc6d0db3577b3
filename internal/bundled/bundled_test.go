package bundled

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/recommend-dev/recommend/internal/corpus"
)

// wantPapers is the number of distinct papers in the five seed pages.
const wantPapers = 296

func TestPapers(t *testing.T) {
	papers, err := Papers()
	if err != nil {
		t.Fatal(err)
	}
	if got := len(papers); got != wantPapers {
		t.Fatalf("%d bundled papers, want %d", got, wantPapers)
	}
	ids := map[string]bool{}
	keys := map[string]bool{}
	withDate := 0
	for _, p := range papers {
		if err := p.Validate(); err != nil {
			t.Errorf("paper %s: %v", p.ID, err)
		}
		if ids[p.ID] {
			t.Errorf("duplicate id %s", p.ID)
		}
		ids[p.ID] = true
		if k := corpus.TitleKey(p.Title); keys[k] {
			t.Errorf("duplicate title %q", p.Title)
		} else {
			keys[k] = true
		}
		if !corpus.IsSlugID(p.ID) || p.ID != corpus.SlugID(p.Title) {
			t.Errorf("id %q for title %q, want its slug", p.ID, p.Title)
		}
		if p.Published != "" {
			withDate++
		}
	}
	// Spot checks, including merged metadata.
	byID := map[string]int{}
	for i, p := range papers {
		byID[p.ID] = i
	}
	for _, c := range []struct {
		id, title     string
		authors       int
		published     string
		org, absStart string
	}{
		{"fan-fourier-analysis-networks", "FAN: Fourier Analysis Networks", 0, "", "", "Despite the remarkable success"},
		{"sloan-digital-sky-survey-iv-mapping-the-milky-way-nearby-galaxies-and-the", "Sloan Digital Sky Survey IV: Mapping the Milky Way, Nearby Galaxies, and the Distant Universe", 353, "2017-02-28", "", "We describe the Sloan Digital Sky Survey IV"},
		{"configurable-foundation-models-building-llms-from-a-modular-perspective", "Configurable Foundation Models: Building LLMs from a Modular Perspective", 0, "2024-09-04", "OpenBMB", "Advancements in LLMs"},
		{"learning-dynamic-representations-of-the-functional-connectome-in-neurobiological", "Learning dynamic representations of the functional connectome in neurobiological networks", 5, "2024-02-21", "", "The static synaptic connectivity"},
	} {
		i, ok := byID[c.id]
		if !ok {
			t.Errorf("paper %s missing", c.id)
			continue
		}
		p := papers[i]
		if p.Title != c.title || p.AuthorCount != c.authors || p.Published != c.published || p.Organization != c.org || !strings.HasPrefix(p.Abstract, c.absStart) {
			t.Errorf("paper %s = %+v", c.id, p)
		}
	}
	if withDate == 0 || withDate == len(papers) {
		t.Errorf("%d of %d papers have a date; the seeds have some with and some without", withDate, len(papers))
	}
}

func TestPapersReturnsFreshSlices(t *testing.T) {
	a, err := Papers()
	if err != nil {
		t.Fatal(err)
	}
	a[0].Title = "changed"
	b, err := Papers()
	if err != nil {
		t.Fatal(err)
	}
	if b[0].Title == "changed" {
		t.Error("Papers shares its result between calls")
	}
}

func TestVersion(t *testing.T) {
	data, err := os.ReadFile("papers.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if got, want := Version(), hex.EncodeToString(sum[:]); got != want {
		t.Errorf("Version() = %s, want the SHA-256 of papers.jsonl %s", got, want)
	}
	if Size() != len(data) {
		t.Errorf("Size() = %d, want %d", Size(), len(data))
	}
}

func TestReaderStreams(t *testing.T) {
	r, err := corpus.NewReader(Reader(), Name)
	if err != nil {
		t.Fatal(err)
	}
	if r.Format() != corpus.FormatJSONL {
		t.Errorf("embedded file detected as %v, want jsonl", r.Format())
	}
	n := 0
	for _, err := range r.All() {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != wantPapers {
		t.Errorf("streamed %d papers, want %d", n, wantPapers)
	}
}
