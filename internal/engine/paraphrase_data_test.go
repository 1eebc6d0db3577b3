package engine

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/recommend-dev/recommend/internal/bundled"
)

// paraphraseDataFile is the hand-written paraphrase query set for evaluating
// semantic search over the bundled corpus.
var paraphraseDataFile = filepath.Join("testdata", "paraphrase.json")

// minParaphraseQueries is the least number of queries the set must hold to
// say anything about retrieval quality.
const minParaphraseQueries = 30

// minSharedWordLen is the length from which a word shared by a query and
// the title of one of its relevant papers counts as a give-away.
const minSharedWordLen = 5

// genericTitleWords may appear in a query and in a relevant title: each of
// them is in at least 19 of the 296 bundled titles (neural 118, networks 75,
// learning 60, models 30, network 23, based 22, model 20, using 19), so it
// says next to nothing about which paper is meant. Shorter words ("deep",
// "nets") are outside the check by length.
var genericTitleWords = map[string]bool{
	"neural":   true,
	"network":  true,
	"networks": true,
	"model":    true,
	"models":   true,
	"learning": true,
	"based":    true,
	"using":    true,
}

// paraphraseData is the shape of testdata/paraphrase.json.
type paraphraseData struct {
	Description string                `json:"description"`
	Queries     []paraphraseDataQuery `json:"queries"`
}

// paraphraseDataQuery is one query with the IDs of every bundled paper that
// answers it.
type paraphraseDataQuery struct {
	Query    string   `json:"query"`
	Relevant []string `json:"relevant"`
	Note     string   `json:"note,omitempty"`
}

// loadParaphraseData reads and strictly decodes the query set.
func loadParaphraseData(tb testing.TB) paraphraseData {
	tb.Helper()
	data, err := os.ReadFile(paraphraseDataFile)
	if err != nil {
		tb.Fatalf("read paraphrase set: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var set paraphraseData
	if err := dec.Decode(&set); err != nil {
		tb.Fatalf("decode %s: %v", paraphraseDataFile, err)
	}
	if dec.More() {
		tb.Fatalf("decode %s: trailing data after the JSON object", paraphraseDataFile)
	}
	return set
}

// bundledTitles maps every bundled paper ID to its title.
func bundledTitles(tb testing.TB) map[string]string {
	tb.Helper()
	papers, err := bundled.Papers()
	if err != nil {
		tb.Fatalf("bundled papers: %v", err)
	}
	titles := make(map[string]string, len(papers))
	for _, p := range papers {
		titles[p.ID] = p.Title
	}
	return titles
}

// contentWords lower-cases s, splits it at every rune that is not a letter
// or digit (so punctuation and hyphens separate words) and returns the
// distinct words of at least minLen runes that are not generic.
func contentWords(s string, minLen int) []string {
	fields := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	var words []string
	for _, w := range fields {
		if len([]rune(w)) < minLen || genericTitleWords[w] || slices.Contains(words, w) {
			continue
		}
		words = append(words, w)
	}
	return words
}

// sharedWords lists the content words of query that also occur in title,
// in query order.
func sharedWords(query, title string) []string {
	inTitle := contentWords(title, minSharedWordLen)
	var shared []string
	for _, w := range contentWords(query, minSharedWordLen) {
		if slices.Contains(inTitle, w) {
			shared = append(shared, w)
		}
	}
	return shared
}

func TestContentWordsAndSharedWords(t *testing.T) {
	tests := []struct {
		name, query, title string
		want               []string
	}{
		{
			name:  "punctuation and case are ignored",
			query: "ULTRA tall nets; (Residuals) removed",
			title: "FractalNet: Ultra-Deep Neural Networks without Residuals",
			want:  []string{"ultra", "residuals"},
		},
		{
			name:  "hyphenated title words are split",
			query: "recurrent pulse models with astrocyte feedback",
			title: "Astrocyte-Enabled Advancements in Spiking Neural Networks",
			want:  []string{"astrocyte"},
		},
		{
			name:  "generic words and short words do not count",
			query: "a neural network model for deep learning based on using gas",
			title: "Atmospheric Transport Modeling of CO$_2$ with Neural Networks using gas",
			want:  nil,
		},
		{
			name:  "each shared word is reported once in query order",
			query: "spectra of galaxy spectra, and galaxy redshift",
			title: "Galaxy Spectra neural Network: Spectral Classification and Redshift",
			want:  []string{"spectra", "galaxy", "redshift"},
		},
		{
			name:  "stems are not equal words",
			query: "classifying spectral lines",
			title: "Spectra classification",
			want:  nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sharedWords(tt.query, tt.title); !slices.Equal(got, tt.want) {
				t.Errorf("sharedWords(%q, %q) = %q, want %q", tt.query, tt.title, got, tt.want)
			}
		})
	}
}

// TestParaphraseSetData checks the query set itself: enough queries, no
// empty or repeated query, every relevant ID a bundled paper, and no query
// that gives its answer away by sharing a title word.
func TestParaphraseSetData(t *testing.T) {
	set := loadParaphraseData(t)
	titles := bundledTitles(t)

	if strings.TrimSpace(set.Description) == "" {
		t.Error("description is empty, want how the set was written")
	}
	if got := len(set.Queries); got < minParaphraseQueries {
		t.Errorf("got %d queries, want at least %d", got, minParaphraseQueries)
	}

	seen := make(map[string]int, len(set.Queries))
	for i, q := range set.Queries {
		text := strings.TrimSpace(q.Query)
		if text == "" {
			t.Errorf("query %d is empty", i)
			continue
		}
		key := strings.Join(strings.Fields(strings.ToLower(text)), " ")
		if j, dup := seen[key]; dup {
			t.Errorf("query %d repeats query %d: %q", i, j, text)
		}
		seen[key] = i

		if len(q.Relevant) == 0 {
			t.Errorf("query %d %q has no relevant papers", i, text)
		}
		for k, id := range q.Relevant {
			if slices.Contains(q.Relevant[:k], id) {
				t.Errorf("query %d %q lists %s twice", i, text, id)
				continue
			}
			title, ok := titles[id]
			if !ok {
				t.Errorf("query %d %q: relevant ID %q is not in the bundled corpus", i, text, id)
				continue
			}
			if shared := sharedWords(text, title); len(shared) > 0 {
				t.Errorf("query %d %q shares %q with the title of relevant paper %s (%q)", i, text, shared, id, title)
			}
		}
	}
}
