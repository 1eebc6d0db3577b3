package lexical

import (
	"math/rand/v2"
	"strings"
)

// synthCorpus generates paper-like texts for benchmarks: a vocabulary of
// pseudo-words drawn with a Zipf distribution (s = 1.07, like English), a
// per-document pair of topics (a quarter of the content words come from a
// topic's 100 mid-frequency words, giving realistic co-occurrence), English
// stop words for about a third of the tokens, and sentence punctuation.
// Documents have 100 to 200 words (about 150).
type synthCorpus struct {
	vocab  []string
	topics [][]string
	stops  []string
}

const (
	synthVocab  = 60000
	synthTopics = 500
)

func newSynthCorpus(seed uint64) *synthCorpus {
	r := rand.New(rand.NewPCG(seed, 1))
	syll := []string{"ka", "lo", "mi", "ne", "ra", "tu", "si", "po", "de", "gra", "vel", "on", "ix", "str", "ul", "ph", "an", "et", "or", "qu", "zy", "bre", "cal", "dor", "fen", "gil", "hum", "jas", "kor", "lin"}
	seen := map[string]bool{}
	c := &synthCorpus{}
	for len(c.vocab) < synthVocab {
		n := 2 + r.IntN(3)
		var b strings.Builder
		for range n {
			b.WriteString(syll[r.IntN(len(syll))])
		}
		w := b.String()
		if !seen[w] && !isStopWord(w) && stem(w) == w {
			seen[w] = true
			c.vocab = append(c.vocab, w)
		}
	}
	for range synthTopics {
		t := make([]string, 100)
		for i := range t {
			t[i] = c.vocab[500+r.IntN(20000)]
		}
		c.topics = append(c.topics, t)
	}
	for w := range stopWords {
		if len(w) <= 5 && !strings.HasPrefix(w, "math") {
			c.stops = append(c.stops, w)
		}
	}
	// Map iteration order is random: sort for determinism.
	slicesSortStrings(c.stops)
	return c
}

func slicesSortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// docs returns n documents generated from seed.
func (c *synthCorpus) docs(n int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, 2))
	z := rand.NewZipf(r, 1.07, 2, synthVocab-1)
	out := make([]string, n)
	var b strings.Builder
	for i := range out {
		b.Reset()
		t1, t2 := c.topics[r.IntN(synthTopics)], c.topics[r.IntN(synthTopics)]
		words := 100 + r.IntN(101)
		sentence := 0
		for w := range words {
			var word string
			switch x := r.Float64(); {
			case x < 0.33:
				word = c.stops[r.IntN(len(c.stops))]
			case x < 0.42:
				word = t1[r.IntN(len(t1))]
			case x < 0.50:
				word = t2[r.IntN(len(t2))]
			default:
				word = c.vocab[z.Uint64()]
			}
			if sentence == 0 && w > 0 {
				b.WriteByte(' ')
			}
			if sentence > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(word)
			sentence++
			switch {
			case sentence > 8 && r.IntN(12) == 0:
				b.WriteString(".")
				sentence = 0
			case r.IntN(15) == 0:
				b.WriteString(",")
			}
		}
		b.WriteString(".")
		out[i] = b.String()
	}
	return out
}

// titles returns n title-like queries: 6 to 10 consecutive words from
// random documents of docs.
func synthTitles(docs []string, n int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, 3))
	out := make([]string, n)
	for i := range out {
		f := strings.Fields(docs[r.IntN(len(docs))])
		k := 6 + r.IntN(5)
		start := r.IntN(len(f) - k)
		out[i] = strings.Join(f[start:start+k], " ")
	}
	return out
}
